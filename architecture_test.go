package paykit_test

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// imports returns, per non-test Go file of dir, the paths it imports.
func imports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range af.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			out[filepath.Base(f)] = append(out[filepath.Base(f)], p)
		}
	}
	return out
}

// TestArchitecture_Imports: the domain speaks HTTP only in the delivery
// engine and no go-ethereum at all (chains.go's types are its own), and the
// dialects and the pages reach the store only through the Service (the pages
// not the dialects either: they are a layer of their own).
func TestArchitecture_Imports(t *testing.T) {
	engine := []string{"attempts.go", "deliveries_options.go", "schemes.go"}
	for file, paths := range imports(t, ".") {
		if slices.Contains(paths, "net/http") {
			require.Contains(t, engine, file, "%s imports net/http outside the delivery engine", file)
		}
		for _, p := range paths {
			require.False(t, strings.HasPrefix(p, "github.com/ethereum/"), "%s imports go-ethereum's %s", file, p)
		}
	}
	for file, paths := range imports(t, "httpapi") {
		for _, p := range paths {
			require.False(t, strings.HasPrefix(p, "github.com/paykit/paykit/store"), "httpapi/%s imports %s", file, p)
		}
	}
	for file, paths := range imports(t, "pages") {
		for _, p := range paths {
			require.False(t, strings.HasPrefix(p, "github.com/paykit/paykit/store") || strings.HasPrefix(p, "github.com/paykit/paykit/httpapi"),
				"pages/%s imports %s", file, p)
		}
	}
}

// TestArchitecture_NoGoEthereum: go-ethereum is heavy, so only the EVM
// adapter (chain/evm) and what runs it on a simulated chain may build on it;
// the root, its sandbox chain and the example server never do, even
// indirectly, so `go run ./examples/server` stays fast.
func TestArchitecture_NoGoEthereum(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		t.Skipf("no go command to list dependencies with: %v", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", ".", "./chain/sandbox", "./chain/chaintest", "./contracts",
		"./examples/server", "./httpapi").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Fields(string(out)) {
		require.False(t, strings.HasPrefix(dep, "github.com/ethereum/"), "the root, the sandbox or the example server depends on %s", dep)
	}
}

// TestArchitecture_NoVendorWire: the root's types have one JSON form, their
// own, and neither the root nor the store says a vendor's wire words; the
// dialects own those.
func TestArchitecture_NoVendorWire(t *testing.T) {
	marshaler := reflect.TypeFor[json.Marshaler]()
	unmarshaler := reflect.TypeFor[json.Unmarshaler]()
	for _, typ := range []reflect.Type{
		reflect.TypeFor[*paykit.Payout](), reflect.TypeFor[*paykit.Employee](), reflect.TypeFor[*paykit.Invoice](),
		reflect.TypeFor[*paykit.Integration](), reflect.TypeFor[*paykit.Pricing](), reflect.TypeFor[*paykit.Request](),
		reflect.TypeFor[*paykit.Token](), reflect.TypeFor[*paykit.Payment](), reflect.TypeFor[*paykit.TaxInvoice](),
		reflect.TypeFor[*paykit.Receipt](), reflect.TypeFor[*paykit.Web3Payment](),
	} {
		require.False(t, typ.Implements(marshaler), "%s marshals itself", typ)
		require.False(t, typ.Implements(unmarshaler), "%s unmarshals itself", typ)
	}
	// Django REST Framework's words, which only the Gigapay dialect says.
	drf := []string{"non_field_errors", "This field is required.", "This field may not be blank.",
		"Ensure this field has", "Select a valid choice", "with this id already exists"}
	root, err := filepath.Glob("*.go")
	require.NoError(t, err)
	stores, err := filepath.Glob("store/*.go")
	require.NoError(t, err)
	for _, f := range append(root, stores...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, w := range drf {
			require.NotContains(t, string(src), w, "%s says the Gigapay dialect's words", f)
		}
	}
}
