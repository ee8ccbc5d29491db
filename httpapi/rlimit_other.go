//go:build !unix

package httpapi

// openFileLimit reports no limit where the system has none to read.
func openFileLimit() (uint64, bool) { return 0, false }
