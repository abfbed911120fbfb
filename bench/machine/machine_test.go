package machine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadings: on Linux every reading is there, and this process's CPU
// time grows with work while the machine's busy time never falls.
func TestReadings(t *testing.T) {
	if f := strings.Fields(LoadAvg()); len(f) != 3 {
		t.Fatalf("LoadAvg() = %q, want three numbers", LoadAvg())
	}
	b0, s0 := Busy(), SelfCPU()
	if b0 <= 0 {
		t.Fatalf("Busy() = %v", b0)
	}
	x := 0
	for SelfCPU()-s0 < 0.05 {
		x++
	}
	if s1 := SelfCPU(); s1 <= s0 || Busy() < b0 {
		t.Fatalf("after work: self %v → %v, busy %v → %v (%d)", s0, s1, b0, Busy(), x)
	}
}

// TestProcess: another process's readings (here, this one's by pid) agree
// with this process's own, its memory grows when it touches more, and a
// directory's size counts the bytes written into it.
func TestProcess(t *testing.T) {
	pid := os.Getpid()
	x := 0
	for SelfCPU() < 0.05 {
		x++
	}
	if c := ProcCPU(pid); c <= 0 || c > SelfCPU()+0.02 {
		t.Fatalf("ProcCPU(self) = %v, SelfCPU = %v (%d)", c, SelfCPU(), x)
	}
	if ProcCPU(0) != 0 || ProcCPU(1<<30) != 0 {
		t.Fatalf("ProcCPU of no process is not 0")
	}
	ResetPeak(0)
	before := Mem(pid, RSS)
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	after, peak := Mem(0, RSS), Mem(pid, Peak)
	if before <= 0 || after < before+32 || peak < after {
		t.Fatalf("RSS %v MiB → %v MiB after touching 64 MiB, peak %v MiB", before, after, peak)
	}
	_ = buf[len(buf)-1]
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "f"), make([]byte, 3<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := DirMiB(dir); got != 3 {
		t.Fatalf("DirMiB = %v, want 3", got)
	}
}
