package realtime

import (
	"testing"
	"time"
)

func TestFlushWaitStretchesUnderLoad(t *testing.T) {
	for _, c := range []struct{ every, took, want time.Duration }{
		{time.Second, 0, time.Second},                          // idle: the configured interval
		{time.Second, 20 * time.Millisecond, time.Second},      // light: still every second
		{time.Second, 200 * time.Millisecond, 4 * time.Second}, // bulk load: 20× the last flush
		{time.Second, 5 * time.Second, maxFlushWait},           // never staler than maxFlushWait
		{time.Minute, 5 * time.Second, time.Minute},            // a longer configured interval is the bound
	} {
		if got := flushWait(c.every, c.took); got != c.want {
			t.Errorf("flushWait(%v, %v) = %v, want %v", c.every, c.took, got, c.want)
		}
	}
}
