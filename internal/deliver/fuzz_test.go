package deliver

import (
	"testing"
	"time"
)

// FuzzVerify feeds Verify arbitrary headers (it parses what a stranger sent)
// and checks that a genuine signature of any body always verifies.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	f.Add("t=1800000000,v1=00", []byte(`{}`))
	f.Add(",,=,t=,v1=zz,t=1", []byte(nil))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_ = Verify([]byte("k"), header, body, now, time.Minute)
		if err := Verify([]byte("k"), Sign([]byte("k"), now, body), body, now, time.Minute); err != nil {
			t.Fatalf("genuine signature rejected: %v", err)
		}
	})
}
