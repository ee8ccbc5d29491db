//go:build unix

package httpapi

import "syscall"

// openFileLimit returns the process's limit of open files (the soft limit,
// which Go raises to the hard one at startup); none when it is unlimited.
func openFileLimit() (uint64, bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur >= 1<<40 {
		return 0, false
	}
	return uint64(rl.Cur), true
}
