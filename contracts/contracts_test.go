package contracts_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/contracts"
)

// TestArtifacts recompiles the contracts with the pinned solc and compares the
// result with the committed build/ byte for byte. It needs node and
// `npm ci` in contracts/; without them it skips, unless PAYKIT_REQUIRE_SOLC is
// set (CI sets it, after installing solc), when it fails instead.
func TestArtifacts(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("node_modules", "solc", "package.json"))
	}
	if err != nil {
		if os.Getenv("PAYKIT_REQUIRE_SOLC") != "" {
			t.Fatalf("PAYKIT_REQUIRE_SOLC is set but node or solc is missing (run npm ci in contracts/): %v", err)
		}
		t.Skipf("skipping the recompilation: node or the pinned solc is missing (run `npm ci` in contracts/): %v", err)
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	require.NoError(t, json.Unmarshal(mustRead(t, "package.json"), &pkg))
	require.Equal(t, contracts.SolcVersion, pkg.DevDependencies["solc"], "package.json pins another solc than SolcVersion")

	out := t.TempDir()
	cmd := exec.Command(node, "compile.mjs", "--out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, "compile.mjs: %s", stderr.String())
	require.Contains(t, string(stdout), "solc "+contracts.SolcVersion+"+", "the installed solc is not the pinned one")
	for _, name := range []string{"Escrow.abi.json", "Escrow.bin", "TestUSDT.abi.json", "TestUSDT.bin"} {
		require.Equal(t, string(mustRead(t, filepath.Join("build", name))), string(mustRead(t, filepath.Join(out, name))),
			"build/%s differs from a fresh compilation: run `node contracts/compile.mjs` and commit build/", name)
	}
}

// TestEmbedded: the embedded artifacts decode and are the committed files.
func TestEmbedded(t *testing.T) {
	require.True(t, json.Valid([]byte(contracts.EscrowABI())))
	require.True(t, json.Valid([]byte(contracts.TestUSDTABI())))
	require.NotEmpty(t, contracts.EscrowBytecode())
	require.NotEmpty(t, contracts.TestUSDTBytecode())
	require.Equal(t, string(mustRead(t, "build/Escrow.abi.json")), contracts.EscrowABI())
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	require.NoError(tb, err)
	return b
}
