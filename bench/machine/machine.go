// Package machine reads what the benchmarks print beside each figure: how
// busy the whole machine was, this process's own CPU time and the load
// average — the project's benchmarks run on a 2-core machine shared with
// other work, and a figure means little without them.
package machine

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Busy is the CPU time the whole machine has spent busy since boot, in
// seconds: every field of /proc/stat's cpu line but idle and iowait (guest
// time is already counted in user).
func Busy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var busy float64
	for i, v := range strings.Fields(line)[1:] {
		n, _ := strconv.ParseFloat(v, 64)
		if i == 3 || i == 4 || i >= 8 { // idle, iowait; guest, guest_nice
			continue
		}
		busy += n
	}
	return busy / 100
}

// SelfCPU is this process's user and system CPU time, in seconds.
func SelfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// LoadAvg is the 1, 5 and 15-minute load averages as /proc/loadavg says
// them, or "?".
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
