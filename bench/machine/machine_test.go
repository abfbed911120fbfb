package machine

import (
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
