package realtime

import "testing"

// TestOwnSeqsCountOnlyAnUnbrokenRun: the engine is current past its own
// messages only up to the first sequence that is not one of them (a
// message of a sender the consumer has not delivered yet).
func TestOwnSeqsCountOnlyAnUnbrokenRun(t *testing.T) {
	var o ownSeqs
	if got := o.after(10); got != 10 {
		t.Fatalf("nothing own: after(10) = %d", got)
	}
	o.add([]uint64{13, 11, 12, 15, 3}, 10) // 3 is below applied: forgotten
	if got := o.after(10); got != 13 {
		t.Errorf("own 11–13 and 15, 14 someone else's: after(10) = %d, want 13", got)
	}
	if got := o.after(14); got != 15 {
		t.Errorf("once 14 is processed: after(14) = %d, want 15", got)
	}
	if got := o.after(20); got != 20 || len(o.seqs) != 0 {
		t.Errorf("past them all: after(20) = %d with %v kept, want 20 and none", got, o.seqs)
	}
	o.add([]uint64{21, 21}, 20) // a duplicate's ack names the first copy's sequence
	if got := o.after(20); got != 21 || len(o.seqs) != 1 {
		t.Errorf("duplicate acks: after(20) = %d with %v, want 21 once", got, o.seqs)
	}
}
