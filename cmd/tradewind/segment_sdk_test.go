package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSegmentNodeSDK is the acceptance test of the Segment-compatible
// tracking API against the official Segment Node SDK
// (@segment/analytics-node, pinned in test/segment-node/package.json): the SDK
// delivers 10,000 track and identify calls to a tradewind node run in this
// process, all of them land in events, every order total is stored as the
// exact decimal that was sent, and sending the same messages again adds
// nothing.
//
// It needs node and npm; without them it skips, except under CI=true, where
// it fails.
func TestSegmentNodeSDK(t *testing.T) {
	node, nodeErr := exec.LookPath("node")
	npm, npmErr := exec.LookPath("npm")
	if nodeErr != nil || npmErr != nil {
		msg := fmt.Sprintf("the Segment Node SDK test needs node and npm on PATH (node: %v, npm: %v)", nodeErr, npmErr)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "test", "segment-node"))
	if err != nil {
		t.Fatal(err)
	}
	sdkNPMInstall(t, npm, dir)

	const token = "segment-sdk-test-admin-token"
	t.Setenv("TRADEWIND_ADMIN_TOKEN", token)
	base := sdkStartServer(t)
	c := &sdkClient{t: t, base: base, token: token}

	var src struct {
		ID       string `json:"id"`
		WriteKey string `json:"write_key"`
	}
	c.do("POST", "/v1/sources", map[string]string{"name": "Segment Node SDK", "currency": "USD"}, http.StatusCreated, &src)
	if src.WriteKey == "" {
		t.Fatal("POST /v1/sources answered no write_key")
	}

	const n = 10000
	run := fmt.Sprintf("sdk%d", time.Now().UnixNano())
	like := run + "-%"
	countSQL := fmt.Sprintf("SELECT count(*) FROM events WHERE message_id LIKE '%s'", like)
	ordersSQL := fmt.Sprintf("SELECT count(*) FROM orders WHERE order_id LIKE '%s'", like)
	ordersFile := filepath.Join(t.TempDir(), "orders.json")

	// First delivery.
	start := time.Now()
	sdkSend(t, node, dir, base, src.WriteKey, run, n, ordersFile)
	t.Logf("first send: %d calls delivered by the SDK in %s", n, time.Since(start).Round(time.Millisecond))

	deadline := time.Now().Add(60 * time.Second)
	var got int64
	for {
		got = c.count(countSQL)
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got != n {
		t.Fatalf("events from run %s: %d, want %d (after %s)", run, got, n, time.Since(start).Round(time.Millisecond))
	}
	t.Logf("all %d events visible %s after the first send started", n, time.Since(start).Round(time.Millisecond))

	byType := map[string]int64{}
	for _, r := range c.query(fmt.Sprintf("SELECT type, count(*) FROM events WHERE message_id LIKE '%s' GROUP BY type", like)) {
		byType[sdkString(t, r[0])] = sdkInt(t, r[1])
	}
	if len(byType) != 2 || byType["track"] != n/2 || byType["identify"] != n/2 {
		t.Errorf("events by type = %v, want track %d, identify %d", byType, n/2, n/2)
	}
	if d := c.count(fmt.Sprintf("SELECT count(DISTINCT message_id) FROM events WHERE message_id LIKE '%s'", like)); d != n {
		t.Errorf("distinct message ids = %d, want %d", d, n)
	}
	if q := c.count(fmt.Sprintf("SELECT count(*) FROM quarantine WHERE source_id = '%s'", src.ID)); q != 0 {
		t.Errorf("quarantine holds %d entries for the source, want 0", q)
	}
	// The SDK's own context reaches the events.
	lib := c.query(fmt.Sprintf("SELECT context->>'$.library.name' FROM events WHERE message_id = '%s-t-0'", run))
	if len(lib) != 1 || sdkString(t, lib[0][0]) != "@segment/analytics-node" {
		t.Errorf("context.library.name of %s-t-0 = %v, want @segment/analytics-node", run, lib)
	}

	// Every order total round-trips exactly: the decimal text the SDK sent
	// equals the stored DECIMAL.
	raw, err := os.ReadFile(ordersFile)
	if err != nil {
		t.Fatal(err)
	}
	var sent map[string]json.Number
	if err := json.Unmarshal(raw, &sent); err != nil {
		t.Fatalf("%s: %v", ordersFile, err)
	}
	if len(sent) == 0 {
		t.Fatal("send.js sent no Order Completed")
	}
	stored := map[string]string{}
	for _, r := range c.query(fmt.Sprintf("SELECT order_id, total FROM orders WHERE order_id LIKE '%s'", like)) {
		stored[sdkString(t, r[0])] = sdkString(t, r[1])
	}
	if len(stored) != len(sent) {
		t.Errorf("orders stored = %d, want %d", len(stored), len(sent))
	}
	fractional := 0
	for id, want := range sent {
		w, ok := new(big.Rat).SetString(want.String())
		if !ok {
			t.Fatalf("order %s: sent total %q is not a decimal", id, want)
		}
		if !w.IsInt() {
			fractional++
		}
		g, ok := stored[id]
		if !ok {
			t.Errorf("order %s (total %s) is not in orders", id, want)
			continue
		}
		gr, ok := new(big.Rat).SetString(g)
		if !ok || gr.Cmp(w) != 0 {
			t.Errorf("order %s: stored total %q, sent %s", id, g, want)
		}
	}
	if fractional == 0 {
		t.Error("no sent order total had a fractional part; the decimal check proves nothing")
	}
	ordersBefore := c.count(ordersSQL)
	appliedBefore := c.appliedSeq()

	// Second delivery of the very same messages adds nothing.
	start = time.Now()
	sdkSend(t, node, dir, base, src.WriteKey, run, n, "")
	t.Logf("second send: %d calls delivered by the SDK in %s", n, time.Since(start).Round(time.Millisecond))
	applied := c.settle(appliedBefore)
	if got := c.count(countSQL); got != n {
		t.Errorf("after resending: events from run %s = %d, want still %d (store applied up to %d)", run, got, n, applied)
	}
	if got := c.count(ordersSQL); got != ordersBefore {
		t.Errorf("after resending: orders = %d, want still %d", got, ordersBefore)
	}
	if got := c.count(fmt.Sprintf("SELECT count(*) FROM quarantine WHERE source_id = '%s'", src.ID)); got != 0 {
		t.Errorf("after resending: quarantine holds %d entries for the source, want 0", got)
	}
}

// sdkNPMInstall installs test/segment-node's pinned packages: npm ci when the
// lock file is there, else npm install. npm's cache makes a repeat fast.
func sdkNPMInstall(t *testing.T, npm, dir string) {
	t.Helper()
	args := []string{"ci"}
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); errors.Is(err, os.ErrNotExist) {
		args = []string{"install"}
	}
	args = append(args, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	t.Logf("npm %s: %s", args[0], time.Since(start).Round(time.Millisecond))
}

// sdkStartServer runs `tradewind serve` in this process on a free loopback port
// with a fresh data directory, waits until /readyz answers 200 and stops the
// server when the test ends.
func sdkStartServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", t.TempDir(), "--listen", addr,
			"--nats-url=", "--log-level", "warn"})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("tradewind serve ended with: %v", err)
			}
		case <-time.After(45 * time.Second):
			t.Error("tradewind serve did not stop within 45 s of its context ending")
		}
	})

	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-done:
			done <- err // for the cleanup
			t.Fatalf("tradewind serve ended before it was ready: %v", err)
		default:
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz did not answer 200 within 60 s (last: %v)", base, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sdkSend runs send.js, which fails on any delivery error the SDK
// reports, any non-200 answer and any message a 200 answer rejected.
func sdkSend(t *testing.T, node, dir, base, writeKey, run string, n int, ordersOut string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "send.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TW_HOST="+base, "TW_WRITE_KEY="+writeKey, "RUN="+run,
		fmt.Sprintf("N=%d", n), "ORDERS_OUT="+ordersOut)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node send.js (RUN=%s N=%d): %v\nstdout: %s\nstderr: %s", run, n, err, stdout.String(), stderr.String())
	}
	t.Logf("send.js: %s", strings.TrimSpace(stdout.String()))
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("send.js stderr: %s", s)
	}
}

// sdkClient calls tradewind's admin API.
type sdkClient struct {
	t           *testing.T
	base, token string
}

func (c *sdkClient) do(method, path string, body any, want int, out any) {
	c.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(b))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s %s: status %d, want %d: %s", method, path, b, resp.StatusCode, want, data)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		c.t.Fatalf("%s %s: decoding %s: %v", method, path, data, err)
	}
}

// query runs one SQL statement through POST /v1/query and returns its rows.
func (c *sdkClient) query(sql string) [][]any {
	c.t.Helper()
	var res struct {
		Columns   []string `json:"columns"`
		Rows      [][]any  `json:"rows"`
		Truncated bool     `json:"truncated"`
	}
	c.do("POST", "/v1/query", map[string]string{"sql": sql}, http.StatusOK, &res)
	if res.Truncated {
		c.t.Fatalf("query %q: answer truncated", sql)
	}
	return res.Rows
}

// count runs a query answering one integer.
func (c *sdkClient) count(sql string) int64 {
	c.t.Helper()
	rows := c.query(sql)
	if len(rows) != 1 || len(rows[0]) != 1 {
		c.t.Fatalf("query %q: want one value, got %v", sql, rows)
	}
	return sdkInt(c.t, rows[0][0])
}

// appliedSeq is the event log position the store is complete up to.
func (c *sdkClient) appliedSeq() int64 {
	c.t.Helper()
	rows := c.query("SELECT value FROM tw_state WHERE key = 'applied_seq'")
	if len(rows) == 0 {
		return 0
	}
	var v int64
	if _, err := fmt.Sscan(sdkString(c.t, rows[0][0]), &v); err != nil {
		c.t.Fatalf("tw_state applied_seq = %v: %v", rows[0][0], err)
	}
	return v
}

// settle waits until the store's applied log position has not moved for 2 s
// (at most 30 s), so that anything the event log accepted is in the tables.
func (c *sdkClient) settle(from int64) int64 {
	c.t.Helper()
	last, since := c.appliedSeq(), time.Now()
	deadline := time.Now().Add(30 * time.Second)
	for time.Since(since) < 2*time.Second {
		if time.Now().After(deadline) {
			c.t.Fatalf("the store's applied_seq kept moving for 30 s (from %d, now %d)", from, last)
		}
		time.Sleep(200 * time.Millisecond)
		if v := c.appliedSeq(); v != last {
			last, since = v, time.Now()
		}
	}
	if last < from {
		c.t.Fatalf("the store's applied_seq went back from %d to %d", from, last)
	}
	return last
}

func sdkInt(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a JSON number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%v is not an integer: %v", v, err)
	}
	return i
}

func sdkString(t *testing.T, v any) string {
	t.Helper()
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	t.Fatalf("%v (%T) is not a string", v, v)
	return ""
}
