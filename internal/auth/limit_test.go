package auth

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestLimiterAllowAndRetryAfter(t *testing.T) {
	clk := newClock()
	l := NewLimiter(rate.Every(time.Second), 3, LimiterOptions{Now: clk.Now})
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("4th = %v, %v; want refused with a wait ≤ 1s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key is limited too")
	}
	// A refused request takes no token: after the wait one is allowed.
	clk.Add(wait)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refused after waiting the retry-after")
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	clk := newClock()
	l := NewLimiter(rate.Every(time.Second), 2, LimiterOptions{Now: clk.Now, MaxKeys: 100})
	for i := range 1000 {
		l.Allow(fmt.Sprint("k", i))
	}
	if n := l.Len(); n != 100 {
		t.Fatalf("%d keys kept, want the cap of 100", n)
	}
	// Keys idle long enough to refill are dropped.
	clk.Add(3 * time.Second)
	l.Allow("fresh")
	if n := l.Len(); n != 1 {
		t.Fatalf("%d keys after they all went idle, want 1", n)
	}
}

func TestLimiterMiddleware(t *testing.T) {
	clk := newClock()
	l := NewLimiter(rate.Every(10*time.Second), 1, LimiterOptions{Now: clk.Now})
	h := l.Middleware(ClientIP, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	do := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/v1/login", nil)
		r.RemoteAddr = "192.0.2.7:5555"
		h.ServeHTTP(w, r)
		return w
	}
	if w := do(); w.Code != 200 {
		t.Fatalf("first = %d", w.Code)
	}
	w := do()
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "10" {
		t.Fatalf("second = %d, Retry-After %q; want 429, 10", w.Code, w.Header().Get("Retry-After"))
	}
}
