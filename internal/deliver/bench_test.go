package deliver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func BenchmarkSign(b *testing.B) {
	body := make([]byte, 1024)
	secret := []byte("whsec-bench")
	now := time.Now()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		_ = Sign(secret, now, body)
	}
}

// BenchmarkLanesWebhook measures signed deliveries through a lane to a local
// receiver: the cost the dispatcher pays per webhook, network aside.
func BenchmarkLanesWebhook(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	wh := &Webhook{URL: srv.URL, Secret: []byte("k")}
	lanes := NewLanes(func(string) LaneConfig { return LaneConfig{Concurrency: 4, Queue: 4096} })
	defer lanes.Close()
	body := []byte(`{"event":"checkout_abandoned","person":"p-123","at":"2026-11-22T12:00:00Z"}`)
	var wg sync.WaitGroup
	b.ResetTimer()
	// b.N rather than b.Loop: the deliveries still in flight after the last
	// Submit must be waited for inside the timed region.
	for i := range b.N {
		key := fmt.Sprint(i)
		wg.Add(1)
		for !lanes.Submit("bench", key, func(ctx context.Context) {
			defer wg.Done()
			if err := wh.Send(ctx, key, body); err != nil {
				b.Error(err)
			}
		}) {
			time.Sleep(10 * time.Microsecond) // queue full: let the workers catch up
		}
	}
	wg.Wait()
}
