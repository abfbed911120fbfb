// Package machine reads what the benchmarks print beside each figure: how
// busy the whole machine was, a process's CPU time and memory, the load
// average and the size of a data directory — the project's benchmarks run
// on a 2-core machine shared with other work, and a figure means little
// without them.
package machine

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// ProcCPU is a process's user and system CPU time in seconds, read from
// /proc (clock ticks of 1/100 s, the Linux default), or 0 when it cannot be
// read. For this process SelfCPU is finer.
func ProcCPU(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	// After the name: state(0) … utime(11) stime(12).
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

// Memory fields of /proc/PID/status that Mem reads.
const (
	RSS  = "VmRSS" // resident memory now
	Peak = "VmHWM" // the peak resident memory since start or ResetPeak
)

// Mem is a memory field of a process's /proc status (RSS or Peak) in MiB;
// pid 0 is this process. It is 0 when it cannot be read.
func Mem(pid int, field string) float64 {
	path := "/proc/self/status"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// ResetPeak starts a new peak for Mem(pid, Peak) (Linux clear_refs 5), so a
// phase's peak is not an earlier phase's; pid 0 is this process.
func ResetPeak(pid int) {
	path := "/proc/self/clear_refs"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/clear_refs", pid)
	}
	_ = os.WriteFile(path, []byte("5"), 0)
}

// DirMiB is the size of the files under dir in MiB; what cannot be read is
// left out.
func DirMiB(dir string) float64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if i, err := d.Info(); err == nil {
			n += i.Size()
		}
		return nil
	})
	return float64(n) / (1 << 20)
}
