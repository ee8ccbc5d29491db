//go:build unix

package paykit_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time this process has used, user and system: a
// benchmark on a shared machine reports it per operation, which other
// processes change far less than they change the wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
