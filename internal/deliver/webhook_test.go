package deliver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a real HTTP receiver that verifies signatures as a customer's
// endpoint would, records what it got and answers with a chosen status.
type receiver struct {
	mu       sync.Mutex
	secret   []byte
	status   int
	header   http.Header // extra response headers
	got      []http.Header
	bodies   [][]byte
	verified []error
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.got = append(rc.got, r.Header.Clone())
	rc.bodies = append(rc.bodies, body)
	rc.verified = append(rc.verified, Verify(rc.secret, r.Header.Get(HeaderSignature), body, time.Now(), time.Minute))
	for k, v := range rc.header {
		w.Header()[k] = v
	}
	if rc.status == 0 {
		rc.status = http.StatusNoContent
	}
	w.WriteHeader(rc.status)
}

func TestWebhookSendSignsAndVerifies(t *testing.T) {
	secret := []byte("whsec-test-1")
	rc := &receiver{secret: secret}
	srv := httptest.NewServer(rc)
	defer srv.Close()

	wh := &Webhook{URL: srv.URL + "/hooks/tradewind?token=abc", Secret: secret, Headers: map[string]string{"X-Shop": "s1", "Tradewind-Id": "forged"}}
	body := []byte(`{"event":"checkout_abandoned","person":"p1"}`)
	if err := wh.Send(context.Background(), "delivery-42", body); err != nil {
		t.Fatalf("send: %v", err)
	}
	if len(rc.got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(rc.got))
	}
	h := rc.got[0]
	if err := rc.verified[0]; err != nil {
		t.Fatalf("receiver could not verify: %v", err)
	}
	for k, want := range map[string]string{
		"Tradewind-Id": "delivery-42", "Content-Type": "application/json",
		"User-Agent": "tradewind", "X-Shop": "s1",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if ts := h.Get(HeaderTimestamp); ts == "" || !strings.HasPrefix(h.Get(HeaderSignature), "t="+ts+",v1=") {
		t.Errorf("timestamp %q and signature %q disagree", ts, h.Get(HeaderSignature))
	}
	if string(rc.bodies[0]) != string(body) {
		t.Errorf("body = %s", rc.bodies[0])
	}
}

func TestVerifyRejects(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"a":1}`)
	h := Sign(secret, now, body)

	if err := Verify(secret, h, body, now.Add(30*time.Second), time.Minute); err != nil {
		t.Fatalf("fresh signature rejected: %v", err)
	}
	if err := Verify(secret, h, []byte(`{"a":2}`), now, time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered body: err = %v, want ErrBadSignature", err)
	}
	if err := Verify([]byte("other"), h, body, now, time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong secret: err = %v, want ErrBadSignature", err)
	}
	if err := Verify(secret, h, body, now.Add(10*time.Minute), time.Minute); !errors.Is(err, ErrStaleTimestamp) {
		t.Errorf("old timestamp: err = %v, want ErrStaleTimestamp", err)
	}
	if err := Verify(secret, h, body, now.Add(-10*time.Minute), time.Minute); !errors.Is(err, ErrStaleTimestamp) {
		t.Errorf("future timestamp: err = %v, want ErrStaleTimestamp", err)
	}
	// Moving the timestamp forward to dodge the replay window breaks the MAC.
	replayed := strings.Replace(h, "t=1800000000", "t=1800000600", 1)
	if err := Verify(secret, replayed, body, now.Add(10*time.Minute), time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("re-stamped header: err = %v, want ErrBadSignature", err)
	}
	for _, bad := range []string{"", "v1=abcd", "t=1800000000", "t=x,v1=00"} {
		if err := Verify(secret, bad, body, now, time.Minute); !errors.Is(err, ErrNoSignature) {
			t.Errorf("header %q: err = %v, want ErrNoSignature", bad, err)
		}
	}
}

func TestSignRotation(t *testing.T) {
	oldS, newS := []byte("old"), []byte("new")
	rc := &receiver{secret: oldS} // a receiver not yet given the new secret
	srv := httptest.NewServer(rc)
	defer srv.Close()
	wh := &Webhook{URL: srv.URL, Secret: newS, OldSecrets: [][]byte{oldS}}
	if err := wh.Send(context.Background(), "d1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if rc.verified[0] != nil {
		t.Fatalf("old secret did not verify during rotation: %v", rc.verified[0])
	}
	if err := Verify(newS, rc.got[0].Get(HeaderSignature), rc.bodies[0], time.Now(), 0); err != nil {
		t.Fatalf("new secret did not verify: %v", err)
	}
	if n := strings.Count(rc.got[0].Get(HeaderSignature), "v1="); n != 2 {
		t.Fatalf("header has %d v1 values, want 2", n)
	}
}

func TestWebhookClassification(t *testing.T) {
	cases := []struct {
		status     int
		retryAfter string
		permanent  bool
		wait       time.Duration
	}{
		{status: 500},
		{status: 503, retryAfter: "120", wait: 2 * time.Minute},
		{status: 429, retryAfter: "7", wait: 7 * time.Second},
		{status: 429, retryAfter: "999999", wait: DefaultMaxRetryAfter},
		{status: 408},
		{status: 425},
		{status: 400, permanent: true},
		{status: 401, permanent: true},
		{status: 404, permanent: true},
		{status: 410, permanent: true},
	}
	for _, c := range cases {
		rc := &receiver{secret: []byte("k"), status: c.status, header: http.Header{}}
		if c.retryAfter != "" {
			rc.header.Set("Retry-After", c.retryAfter)
		}
		srv := httptest.NewServer(rc)
		wh := &Webhook{URL: srv.URL + "/p?token=SECRET-TOKEN", Secret: []byte("k")}
		err := wh.Send(context.Background(), "id", []byte(`{}`))
		srv.Close()
		if err == nil {
			t.Errorf("%d: no error", c.status)
			continue
		}
		var pe *PermanentError
		var re *RetryableError
		if c.permanent {
			if !errors.As(err, &pe) || pe.Status != c.status {
				t.Errorf("%d: err = %v, want permanent", c.status, err)
			}
		} else {
			if !errors.As(err, &re) || re.Status != c.status {
				t.Errorf("%d: err = %v, want retryable", c.status, err)
			} else if re.RetryAfter != c.wait {
				t.Errorf("%d: RetryAfter = %s, want %s", c.status, re.RetryAfter, c.wait)
			}
		}
		if msg := err.Error(); strings.Contains(msg, "SECRET-TOKEN") || !strings.Contains(msg, "127.0.0.1") {
			t.Errorf("%d: message %q should name the host and not the URL's token", c.status, msg)
		}
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	date := now.Add(90 * time.Second).Format(http.TimeFormat)
	if got := parseRetryAfter(date, now, time.Hour); got != 90*time.Second {
		t.Errorf("HTTP-date: got %s, want 90s", got)
	}
	if got := parseRetryAfter(now.Add(48*time.Hour).Format(http.TimeFormat), now, time.Hour); got != time.Hour {
		t.Errorf("far date: got %s, want the 1h cap", got)
	}
	if got := parseRetryAfter("soon", now, time.Hour); got != 0 {
		t.Errorf("garbage: got %s", got)
	}
}

func TestWebhookNetworkErrorRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	wh := &Webhook{URL: url + "/x?token=SECRET-TOKEN", Secret: []byte("k"), Timeout: 2 * time.Second}
	err := wh.Send(context.Background(), "id", []byte(`{}`))
	var re *RetryableError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want retryable", err)
	}
	if strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Errorf("message leaks the URL: %v", err)
	}
}

func TestWebhookRedirects(t *testing.T) {
	other := &receiver{secret: []byte("k")}
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	same := &receiver{secret: []byte("k")}
	mux := http.NewServeMux()
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherSrv.URL+"/steal", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new", http.StatusPermanentRedirect)
	})
	mux.HandleFunc("/found", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new", http.StatusFound)
	})
	mux.Handle("/new", same)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	wh := &Webhook{URL: srv.URL + "/elsewhere", Secret: []byte("k")}
	if err := wh.Send(context.Background(), "id", []byte(`{}`)); !IsPermanent(err) {
		t.Errorf("redirect to another host: err = %v, want permanent", err)
	}
	if len(other.got) != 0 {
		t.Errorf("the other host received %d requests", len(other.got))
	}
	wh.URL = srv.URL + "/found"
	if err := wh.Send(context.Background(), "id", []byte(`{}`)); !IsPermanent(err) {
		t.Errorf("302: err = %v, want permanent", err)
	}
	wh.URL = srv.URL + "/moved"
	if err := wh.Send(context.Background(), "id", []byte(`{"x":1}`)); err != nil {
		t.Fatalf("308 on the same host: %v", err)
	}
	if len(same.got) != 1 || same.verified[0] != nil || string(same.bodies[0]) != `{"x":1}` {
		t.Errorf("308 target got %d requests, verify %v", len(same.got), same.verified)
	}
}

func TestValidate(t *testing.T) {
	for _, ok := range []string{"https://hooks.example.com/x", "http://127.0.0.1:8080/"} {
		if err := Validate(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)", "/relative", "https://user:pw@example.com/", "https:///nohost", "::"} {
		if err := Validate(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: error leaks credentials: %v", bad, err)
		}
	}
	wh := &Webhook{URL: "ftp://example.com/", Secret: []byte("k")}
	if err := wh.Send(context.Background(), "id", nil); !IsPermanent(err) {
		t.Errorf("Send to ftp: err = %v, want permanent", err)
	}
}

func TestWebhookContextCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- (&Webhook{URL: srv.URL, Secret: []byte("k")}).Send(ctx, "id", []byte(`{}`))
	}()
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want it to wrap context.Canceled", err)
	}
	if IsPermanent(err) {
		t.Fatalf("a cancelled delivery must stay retryable")
	}
}

func TestBackoff(t *testing.T) {
	base, limit := 100*time.Millisecond, 5*time.Second
	for attempt := range 20 {
		ceiling := min(base<<min(attempt, 30), limit)
		for range 200 {
			d := Backoff(attempt, base, limit)
			if d < 0 || d > ceiling {
				t.Fatalf("attempt %d: %s outside [0, %s]", attempt, d, ceiling)
			}
		}
	}
	// Full jitter: late attempts spread over the whole window, not near its end.
	var low int
	for range 1000 {
		if Backoff(10, base, limit) < limit/2 {
			low++
		}
	}
	if low < 300 || low > 700 {
		t.Errorf("%d of 1000 waits in the lower half, want about 500", low)
	}
	if d := Backoff(1000, time.Second, 0); d < 0 {
		t.Errorf("no cap and a huge attempt overflowed: %s", d)
	}
	if Backoff(3, 0, time.Second) != 0 {
		t.Errorf("zero base should give zero")
	}
}

// TestGuardedClientRefusesInternalAddresses: a client built with IsPublic
// will not connect to a loopback receiver, and says so as a permanent
// error; the same receiver is reached without the guard.
func TestGuardedClientRefusesInternalAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	w := Webhook{URL: srv.URL, Secret: []byte("s"), Client: NewClient(IsPublic)}
	err := w.Send(context.Background(), "id-1", []byte(`{}`))
	if !IsPermanent(err) || !errors.Is(err, ErrAddressRefused) {
		t.Fatalf("loopback through the guard: %v", err)
	}
	w.Client = NewClient(func(net.IP) bool { return true })
	if err := w.Send(context.Background(), "id-1", []byte(`{}`)); err != nil {
		t.Fatalf("without the guard: %v", err)
	}
	for addr, public := range map[string]bool{"127.0.0.1": false, "10.1.2.3": false, "169.254.169.254": false, "100.64.0.1": false,
		"192.168.0.1": false, "::1": false, "fd00::1": false, "0.0.0.0": false, "8.8.8.8": true, "2001:4860:4860::8888": true, "100.128.0.1": true} {
		if IsPublic(net.ParseIP(addr)) != public {
			t.Errorf("IsPublic(%s) = %v", addr, !public)
		}
	}
}
