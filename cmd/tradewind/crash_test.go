package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/app"
)

// TestMain lets a test run this test binary as the tradewind command (in a
// child process it can kill), without building the binary separately.
func TestMain(m *testing.M) {
	if args := os.Getenv("TRADEWIND_TEST_RUN_MAIN"); args != "" {
		if err := run(context.Background(), strings.Split(args, "\x1f")); err != nil {
			fmt.Fprintln(os.Stderr, "tradewind:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer runs `tradewind serve` in a child process and waits for /readyz.
func startServer(t *testing.T, data, addr string) *exec.Cmd {
	t.Helper()
	return startServerWith(t, data, addr)
}

// TestAcknowledgedMessagesSurviveSIGKILL sends batches from several clients,
// kills the server with SIGKILL in the middle, restarts it, and checks that
// every message that got a 200 is in events exactly once.
func TestAcknowledgedMessagesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a server")
	}
	data := t.TempDir()
	addr := freePort(t)
	srv := startServer(t, data, addr)
	tok, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tok))
	body, _ := json.Marshal(map[string]string{"name": "crash test", "currency": "USD"})
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/sources", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create source: %v %v", resp, err)
	}
	var src struct {
		WriteKey string `json:"write_key"`
	}
	json.NewDecoder(resp.Body).Decode(&src)
	resp.Body.Close()

	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				ids := make([]string, 50)
				var sb strings.Builder
				sb.WriteString(`{"batch":[`)
				for i := range ids {
					ids[i] = fmt.Sprintf("w%d-b%d-m%d", w, b, i)
					if i > 0 {
						sb.WriteString(",")
					}
					fmt.Fprintf(&sb, `{"type":"track","anonymousId":"a%d","event":"Product Viewed","messageId":%q,"properties":{"sku":"S-%d"}}`, i, ids[i], i)
				}
				sb.WriteString(`]}`)
				req, _ := http.NewRequest("POST", "http://"+addr+"/v1/batch", strings.NewReader(sb.String()))
				req.SetBasicAuth(src.WriteKey, "")
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					for _, id := range ids {
						acked[id] = true
					}
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no batch was acknowledged before the kill")
	}

	// Restart, let the writer catch up, then read the store directly.
	srv = startServer(t, data, addr)
	time.Sleep(200 * time.Millisecond)
	var last, prev string
	for i := 0; i < 200; i++ {
		req, _ := http.NewRequest("POST", "http://"+addr+"/v1/query", strings.NewReader(`{"sql":"SELECT value FROM tw_state WHERE key = 'applied_seq'"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var q struct{ Rows [][]any }
		json.NewDecoder(resp.Body).Decode(&q)
		resp.Body.Close()
		if len(q.Rows) == 1 {
			last = fmt.Sprint(q.Rows[0][0])
		}
		if last != "" && last == prev {
			break
		}
		prev = last
		time.Sleep(100 * time.Millisecond)
	}
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()

	a, err := app.Open(context.Background(), app.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	res, err := a.Query(context.Background(), "SELECT message_id, count(*) FROM events GROUP BY 1", 10_000_000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range res.Rows {
		id, n := r[0].(string), r[1].(int64)
		if n != 1 {
			t.Errorf("message %s stored %d times", id, n)
		}
		seen[id] = true
	}
	missing := 0
	for id := range acked {
		if !seen[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged messages are missing after SIGKILL", missing, len(acked))
	}
	t.Logf("%d acknowledged messages all stored exactly once (%d stored in all)", len(acked), len(seen))
}
