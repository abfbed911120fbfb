package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/deliver"
	"github.com/tradewind/tradewind/internal/testlog"
	"github.com/tradewind/tradewind/internal/testmail"
)

// startServerWith runs `tradewind serve` with extra flags in a child process.
func startServerWith(t *testing.T, data, addr string, extra ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--listen", addr, "--log-level", "warn"}, extra...)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TRADEWIND_TEST_RUN_MAIN="+strings.Join(args, "\x1f"))
	cmd.Stderr = io.MultiWriter(os.Stderr, testlog.Writer(t))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatal("server did not become ready")
	return nil
}

// TestJourneySurvivesSIGKILL kills the server with SIGKILL while a journey
// is delivering to a slow receiver and a real SMTP server, restarts it, and
// checks that every person got every step's action, and that no step was
// delivered under two different idempotency keys (repeats of the same key,
// the crash-between-delivery-and-record case, are allowed).
func TestJourneySurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a server")
	}
	const people = 60
	box := testmail.Start(t)
	var (
		mu     sync.Mutex
		secret []byte
		keys   = map[string]map[string]bool{} // person/step → ids
		bad    int
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		time.Sleep(20 * time.Millisecond) // slow enough to be mid-flight at the kill
		mu.Lock()
		defer mu.Unlock()
		if deliver.Verify(secret, r.Header.Get(deliver.HeaderSignature), body, time.Now(), time.Minute) != nil {
			bad++
			w.WriteHeader(400)
			return
		}
		var b struct{ ProfileID, Step string }
		_ = json.Unmarshal(body, &struct {
			ProfileID *string `json:"profile_id"`
			Step      *string `json:"step"`
		}{&b.ProfileID, &b.Step})
		k := b.ProfileID + "/" + b.Step
		if keys[k] == nil {
			keys[k] = map[string]bool{}
		}
		keys[k][r.Header.Get(deliver.HeaderID)] = true
	}))
	defer recv.Close()

	data := t.TempDir()
	addr := freePort(t)
	flags := []string{"--smtp-url", "smtp+plain://" + box.Addr, "--mail-from", "shop@shop.example",
		"--postal-address", "Shop Inc., 100 Main Street, Springfield, IL 62701", "--quiet-hours", "", "--webhook-allow-private"}
	srv := startServerWith(t, data, addr, flags...)
	tok, _ := os.ReadFile(filepath.Join(data, "admin.token"))
	token := strings.TrimSpace(string(tok))
	call := func(method, path string, in any, out any) int {
		t.Helper()
		b, _ := json.Marshal(in)
		req, _ := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var src struct {
		WriteKey string `json:"write_key"`
	}
	if code := call("POST", "/v1/sources", map[string]string{"name": "site", "currency": "USD", "country": "US"}, &src); code != 201 {
		t.Fatalf("source: %d", code)
	}
	var dest struct{ Secret string }
	if code := call("POST", "/v1/destinations", map[string]any{"name": "crm", "url": recv.URL, "concurrency": 2}, &dest); code != 201 {
		t.Fatalf("destination: %d", code)
	}
	mu.Lock()
	secret = []byte(dest.Secret)
	mu.Unlock()
	def := map[string]any{"name": "Welcome", "trigger": map[string]any{"type": "event", "event": "Signed Up"},
		"consent": "unless_refused",
		"steps": []any{
			map[string]any{"id": "hello", "type": "webhook", "destination": "crm"},
			map[string]any{"id": "pause", "type": "wait", "duration": "1s"},
			map[string]any{"id": "mail", "type": "email", "template": map[string]any{"variants": map[string]any{
				"en": map[string]any{"subject": "Welcome", "text": "Glad you are here."}}}},
			map[string]any{"id": "again", "type": "webhook", "destination": "crm"},
		}}
	var out map[string]any
	if code := call("POST", "/v1/journeys", def, &out); code != 201 {
		t.Fatalf("journey: %d %v", code, out)
	}
	if code := call("POST", "/v1/journeys/welcome/start", nil, &out); code != 200 {
		t.Fatalf("start: %d %v", code, out)
	}
	var sb strings.Builder
	sb.WriteString(`{"batch":[`)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for i := 0; i < people; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"type":"identify","userId":"u%d","timestamp":%q,"traits":{"email":"u%d@example.com"}},`, i, now, i)
		fmt.Fprintf(&sb, `{"type":"track","userId":"u%d","event":"Signed Up","timestamp":%q}`, i, now)
	}
	sb.WriteString(`]}`)
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/batch", strings.NewReader(sb.String()))
	req.SetBasicAuth(src.WriteKey, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("batch: %v %v", resp, err)
	}
	resp.Body.Close()
	// Kill once some, not all, first webhooks are in.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(keys)
		mu.Unlock()
		if n >= people/3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	mu.Lock()
	atKill := len(keys)
	mu.Unlock()
	if atKill >= 2*people {
		t.Fatalf("everything was delivered before the kill (%d); the test proves nothing", atKill)
	}

	srv = startServerWith(t, data, addr, flags...)
	defer func() { srv.Process.Signal(syscall.SIGTERM); srv.Wait() }()
	deadline = time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(keys)
		mu.Unlock()
		if (n == 2*people && len(box.Messages()) >= people) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // anything extra would arrive now
	defer func() {
		if t.Failed() {
			var dl map[string]any
			call("GET", "/v1/journeys/welcome/stats", nil, &dl)
			t.Logf("deliveries: %v", dl)
		}
	}()
	mu.Lock()
	defer mu.Unlock()
	if bad != 0 {
		t.Errorf("%d webhooks with bad signatures", bad)
	}
	if len(keys) != 2*people {
		t.Errorf("webhooks for %d person-steps, want %d (killed at %d)", len(keys), 2*people, atKill)
	}
	for k, ids := range keys {
		if len(ids) != 1 {
			t.Errorf("%s delivered under %d different ids", k, len(ids))
		}
	}
	mails := map[string]map[string]bool{} // recipient → Message-IDs
	for _, raw := range box.Messages() {
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		to := m.Header.Get("To")
		if mails[to] == nil {
			mails[to] = map[string]bool{}
		}
		mails[to][m.Header.Get("Message-Id")] = true
	}
	if len(mails) != people {
		t.Errorf("e-mails to %d people, want %d", len(mails), people)
	}
	for to, ids := range mails {
		if len(ids) != 1 {
			t.Errorf("%s got %d different Message-IDs", to, len(ids))
		}
	}
	t.Logf("killed after %d of %d webhook steps; %d e-mails in the end", atKill, 2*people, len(box.Messages()))
}
