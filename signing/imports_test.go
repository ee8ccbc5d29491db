package signing_test

import (
	"go/build"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImports keeps the kit importable by a receiver without the engine: the
// package imports the standard library only. The standard library imports
// nothing else, so checking the direct imports covers every dependency.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	require.NoError(t, err)
	require.NotEmpty(t, pkg.Imports)
	for _, path := range pkg.Imports {
		first, _, _ := strings.Cut(path, "/")
		// Module paths begin with a domain; standard library paths never have a dot there.
		require.NotContains(t, first, ".", "signing imports %s, which is not in the standard library", path)
		std, err := build.Import(path, ".", build.FindOnly)
		require.NoError(t, err, path)
		require.True(t, std.Goroot, "signing imports %s, which is not in the standard library", path)
	}
}
