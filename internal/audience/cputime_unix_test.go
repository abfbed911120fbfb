//go:build unix

package audience

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used, user and system:
// on a shared machine, CPU time per operation is a steadier figure than
// wall time, which includes waiting for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
