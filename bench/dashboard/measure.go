package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tradewind/tradewind/bench/machine"
	"github.com/tradewind/tradewind/internal/web"
)

// call is one request a page makes.
type call struct {
	name   string
	method string
	path   string
	body   string // POST body (JSON)
}

// page is a dashboard page: its HTML and the calls its script makes on
// load, in stages: the calls of a stage run in parallel (Promise.all or
// independent loads), a stage starts when the one before has answered.
type page struct {
	name   string
	stages [][]call
}

func sqlCall(name, q string) call {
	b, _ := json.Marshal(map[string]string{"sql": q})
	return call{name: name, method: "POST", path: "/v1/query", body: string(b)}
}

func get(path string) call { return call{name: path, method: "GET", path: path} }

// sharedCall is a query the page sends to POST /v1/query/shared.
func sharedCall(name, q string) call {
	c := sqlCall(name, q)
	c.path = "/v1/query/shared"
	return c
}

// The overview's SQL is the server's (web.OverviewKPISQL /
// OverviewTrendSQL), which it writes on the page's period buttons.
var kpiSQL, trendSQL = web.OverviewKPISQL, web.OverviewTrendSQL

// The customers page's top customers (customers.js TOP_SQL).
const topSQL = "SELECT profile_id, country, orders, net_revenue_base, aov_base, last_order_at, marketplaces\n" +
	"FROM profiles WHERE orders > 0 ORDER BY net_revenue_base DESC NULLS LAST, profile_id LIMIT 25"

// pages lists every page's calls for a user with every permission (the
// admin token), read from internal/web/static/js/*.js: what each page's
// onReady starts.
func pages(ids ids) []page {
	q := url.QueryEscape
	prof := "/v1/profiles/" + q(ids.profile)
	return []page{
		{"overview (90 days)", [][]call{{get("/"), get("/v1/alerts?status=open&limit=200"), get("/v1/sources"),
			sharedCall("kpiSQL(90) shared", kpiSQL(90)), sharedCall("trendSQL(90) shared", trendSQL(90))}}},
		{"overview 365 days (button)", [][]call{{sharedCall("kpiSQL(365) shared", kpiSQL(365)), sharedCall("trendSQL(365) shared", trendSQL(365))}}},
		{"overview SQL, not shared", [][]call{{sqlCall("kpiSQL(90) /v1/query", kpiSQL(90)), sqlCall("trendSQL(90) /v1/query", trendSQL(90)),
			sqlCall("kpiSQL(365) /v1/query", kpiSQL(365)), sqlCall("trendSQL(365) /v1/query", trendSQL(365))}}},
		{"customers", [][]call{{get("/customers"), get("/v1/sources"), sqlCall("TOP_SQL", topSQL)}}},
		{"customers search", [][]call{{get("/v1/profiles?user_id=" + q(ids.userID) + "&source=" + q(ids.source))}}},
		{"customer", [][]call{{get("/customers/" + q(ids.profile)), get(prof)},
			{get(prof + "/timeline?limit=50"), get(prof + "/deliveries?limit=50"),
				get("/v1/consent?profile_id=" + q(ids.profile))}}},
		{"segments", [][]call{{get("/segments"), get("/v1/segments"), get("/v1/rfm"), sharedCall("RFM cells SQL shared", ids.cellsSQL),
			get("/v1/clusters"), get("/v1/audience-syncs")},
			{get("/v1/segments/" + q(ids.segment)), get("/v1/segments/" + q(ids.segment) + "/members?limit=50")}}},
		{"segments preview (typing)", [][]call{{{name: "/v1/segments/preview", method: "POST", path: "/v1/segments/preview",
			body: `{"rule_text":"orders >= 2 and days_since_last_order > 60"}`}}}},
		{"segments preview, event rule", [][]call{{{name: "/v1/segments/preview (event count rule)", method: "POST", path: "/v1/segments/preview",
			body: `{"rule_text":"event \"Order Completed\" count >= 2 within 90d"}`}}}},
		{"predictions", [][]call{{get("/predictions"), get("/v1/predictions/report"), get("/v1/predictions/summary?by=all"),
			get("/v1/predictions/distribution"), get("/v1/sources")},
			{get("/v1/predictions?tier=high&order=clv&limit=10"), get("/v1/segments"), get("/v1/predictions/summary?by=marketplace")}}},
		{"voc", [][]call{{get("/voc"), get("/v1/voc/model"), get("/v1/voc/summary?by=all&days=3650"), get("/v1/voc/summary?by=all&days=90"),
			get("/v1/voc/summary?by=marketplace&days=90"), get("/v1/voc/summary?by=language&days=90"),
			get("/v1/voc/summary?by=week&days=90"), get("/v1/sources")},
			{get("/v1/voc/topics?days=90"), get("/v1/voc/reviews?limit=10"), get("/v1/voc/suspicious?days=90")}}},
		{"marketing", [][]call{{get("/marketing"), get("/v1/attribution?model=all&by=channel&lookback_days=30"),
			get("/v1/roi?group=channel"), get("/v1/influencers"), get("/v1/experiments")}}},
		{"alerts", [][]call{{get("/alerts"), get("/v1/alerts?status=open")}}},
		{"journeys", [][]call{{get("/journeys"), get("/v1/journeys"), get("/v1/destinations")}}},
		{"compliance", [][]call{{get("/compliance"), get("/v1/compliance/rules")}}},
		{"sources", [][]call{{get("/sources"), get("/v1/quality/sources"), get("/v1/quality/rates?window=hour"),
			get("/v1/quality/quarantine")}}},
		{"privacy", [][]call{{get("/privacy"), get("/v1/privacy/requests")}}},
		{"audit", [][]call{{get("/audit"), get("/v1/audit?limit=100"), get("/v1/audit/verify")}}},
		{"settings", [][]call{{get("/settings"), get("/v1/users"), get("/v1/tokens"), get("/v1/sources"), get("/v1/retention")}}},
	}
}

// ids are the identifiers the per-customer and per-segment calls use.
type ids struct {
	profile, userID, source, segment, cellsSQL string
}

type client struct {
	base, token string
	hc          *http.Client
}

// do makes one call and returns its time, status and body. An answer
// 429 (the API's per-principal rate limit, which the fast pages of a small
// store reach) is waited out as the answer says and the call made again,
// up to 5 times; the wait is not timed.
func (c *client) do(ctx context.Context, cl call) (time.Duration, int, []byte, error) {
	for range 5 {
		d, st, b, retry, err := c.once(ctx, cl)
		if err != nil || st != http.StatusTooManyRequests {
			return d, st, b, err
		}
		time.Sleep(retry)
	}
	d, st, b, _, err := c.once(ctx, cl)
	return d, st, b, err
}

// once makes one call; retry is the wait a 429 answer asks for.
func (c *client) once(ctx context.Context, cl call) (d time.Duration, status int, b []byte, retry time.Duration, err error) {
	var body io.Reader
	if cl.body != "" {
		body = strings.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.base+cl.path, body)
	if err != nil {
		return 0, 0, nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if cl.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	t := time.Now()
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, 0, nil, 0, err
	}
	b, err = io.ReadAll(res.Body)
	res.Body.Close()
	d = time.Since(t)
	retry = time.Second
	if n, perr := strconv.Atoi(res.Header.Get("Retry-After")); perr == nil && n > 0 {
		retry = time.Duration(n) * time.Second
	}
	return d, res.StatusCode, b, retry, err
}

func (c *client) json(ctx context.Context, cl call, out any) error {
	_, st, b, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	if st != 200 {
		return fmt.Errorf("%s: %d %.200s", cl.path, st, b)
	}
	return json.Unmarshal(b, out)
}

// nonEmpty says whether an answer carries data: HTML, or JSON with some
// non-empty list or a non-zero number in it.
func nonEmpty(b []byte) bool {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("<")) {
		return len(b) > 0
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case []any:
			return len(x) > 0
		case map[string]any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		case float64:
			return x != 0
		case bool:
			return x
		}
		return false
	}
	return walk(v)
}

// server is a running `tradewind serve`.
type server struct {
	cmd *exec.Cmd
	url string
	pid int
}

func startServer(ctx context.Context, bin, dir string) (*server, error) {
	_ = os.Remove(filepath.Join(dir, "server.json"))
	logf, err := os.Create(dir + ".server.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--data", dir, "--listen", "127.0.0.1:0", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid}
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, "server.json")); err == nil {
			var sj struct {
				URL string `json:"url"`
			}
			if json.Unmarshal(b, &sj) == nil && sj.URL != "" {
				if res, err := http.Get(sj.URL + "/readyz"); err == nil {
					res.Body.Close()
					if res.StatusCode == 200 {
						s.url = sj.URL
						return s, nil
					}
				}
			}
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("server did not become ready; see %s.server.log", dir)
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// cpu is the server process's user+system CPU time in seconds.
func (s *server) cpu() float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

// settle waits until the server has used under 0.1 CPU-seconds a second
// for quietFor in a row (start-up work such as warming the dashboard's and
// the marketing data done), after atLeast at the earliest, and at most
// limit. The quiet stretch must be long: at 1,000,000 customers the node
// was idle from 10 s to 30 s after it was ready, then busy on both cores
// until 70 s (the marketing warm-up) and again from 120 s to 135 s, so 5
// quiet seconds timed the pages during that work.
func (s *server) settle(atLeast, quietFor, limit time.Duration) time.Duration {
	t0 := time.Now()
	time.Sleep(atLeast)
	var quiet time.Duration
	last := s.cpu()
	for time.Since(t0) < limit && quiet < quietFor {
		time.Sleep(time.Second)
		c := s.cpu()
		if c-last < 0.1 {
			quiet += time.Second
		} else {
			quiet = 0
		}
		last = c
	}
	return time.Since(t0)
}

func measure(ctx context.Context, bin, dir string, n int, only, skip string, quiet, settleMax time.Duration) error {
	tok, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		return err
	}
	t0 := time.Now()
	srv, err := startServer(ctx, bin, dir)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("measure: server ready in %.1fs (CPU %.1fs); ", time.Since(t0).Seconds(), srv.cpu())
	st := srv.settle(20*time.Second, quiet, settleMax)
	fmt.Printf("settled after %.0fs more (server CPU %.1fs), load %s\n", st.Seconds(), srv.cpu(), machine.LoadAvg())
	c := &client{base: srv.url, token: strings.TrimSpace(string(tok)), hc: &http.Client{Timeout: 10 * time.Minute}}
	id, err := findIDs(ctx, c)
	if err != nil {
		return err
	}
	fmt.Printf("measure: customer %s (user %s in %s), segment %s\n", id.profile, id.userID, id.source, id.segment)
	var counts struct {
		Rows [][]any `json:"rows"`
	}
	if err := c.json(ctx, sqlCall("counts", `SELECT (SELECT count(*) FROM profiles), (SELECT count(*) FROM customers),
		(SELECT count(*) FROM order_rows), (SELECT count(*) FROM event_rows), (SELECT count(*) FROM reviews),
		(SELECT count(*) FROM segment_members), (SELECT count(*) FROM customer_predictions)`), &counts); err == nil && len(counts.Rows) == 1 {
		fmt.Printf("measure: profiles %v, customers %v, order rows %v, event rows %v, reviews %v, segment members %v, predictions %v\n",
			counts.Rows[0]...)
	}
	if err := checkTimeline(ctx, c, id.profile); err != nil {
		return err
	}
	fmt.Printf("\n%-28s %-58s %6s %9s %9s %9s %8s %s\n", "page", "call", "status", "first ms", "p50 ms", "p95 ms", "CPU s", "data")
	failed := 0
	for _, p := range pages(id) {
		if only != "" && !strings.Contains(p.name, only) || skip != "" && strings.Contains(p.name, skip) {
			continue
		}
		// Each call alone, n times after a first (cold) call.
		times := map[string][]float64{}
		for _, stage := range p.stages {
			for _, cl := range stage {
				cpu0, load0 := srv.cpu(), machine.LoadAvg()
				first, status, body, err := c.do(ctx, cl)
				if err != nil {
					return err
				}
				var ts []float64
				for range n {
					d, st, _, err := c.do(ctx, cl)
					if err != nil {
						return err
					}
					if st != status {
						status = st
					}
					ts = append(ts, ms(d))
				}
				times[cl.name] = ts
				ok := "ok"
				switch {
				case status != 200:
					ok = fmt.Sprintf("ERROR %.120s", oneLine(body))
					failed++
				case !nonEmpty(body):
					// Nothing of this kind in the demo (no deliveries, no
					// privacy requests…): said, not counted as a failure.
					ok = fmt.Sprintf("empty %.80s", oneLine(body))
				}
				name := cl.name
				if len(name) > 58 {
					name = name[:55] + "..."
				}
				fmt.Printf("%-28s %-58s %6d %9.0f %9.0f %9.0f %8.2f %s (load %s)\n", p.name, name, status, ms(first),
					quantile(ts, 0.5), quantile(ts, 0.95), (srv.cpu()-cpu0)/float64(n+1), ok, load0)
			}
		}
		// The page: per round, the slowest call of each stage, summed over
		// the stages (the calls of a stage run in parallel in the browser;
		// this adds no contention between them).
		var pt []float64
		for i := range n {
			var sum float64
			for _, stage := range p.stages {
				var mx float64
				for _, cl := range stage {
					mx = max(mx, times[cl.name][i])
				}
				sum += mx
			}
			pt = append(pt, sum)
		}
		fmt.Printf("%-28s %-58s %6s %9s %9.0f %9.0f\n", p.name, fmt.Sprintf("PAGE (%d stages: slowest call per stage, summed)", len(p.stages)), "", "",
			quantile(pt, 0.5), quantile(pt, 0.95))
	}
	fmt.Printf("\nmeasure: done, load %s, server CPU %.1fs in all\n", machine.LoadAvg(), srv.cpu())
	if failed > 0 {
		return fmt.Errorf("%d calls failed", failed)
	}
	return nil
}

// checkTimeline checks that the customer's timeline is the events view's:
// the same messages, newest first.
func checkTimeline(ctx context.Context, c *client, profile string) error {
	var tl struct {
		Events []struct {
			Seq json.Number `json:"seq"`
		} `json:"events"`
	}
	if err := c.json(ctx, get("/v1/profiles/"+url.QueryEscape(profile)+"/timeline?limit=1000"), &tl); err != nil {
		return err
	}
	var view struct {
		Rows [][]json.Number `json:"rows"`
	}
	q := `SELECT seq FROM events WHERE profile_id = '` + strings.ReplaceAll(profile, "'", "''") + `' ORDER BY "timestamp" DESC, seq DESC LIMIT 1000`
	if err := c.json(ctx, sqlCall("timeline view", q), &view); err != nil {
		return err
	}
	var a, b []string
	for _, e := range tl.Events {
		a = append(a, e.Seq.String())
	}
	for _, r := range view.Rows {
		b = append(b, r[0].String())
	}
	if !slices.Equal(a, b) {
		return fmt.Errorf("the timeline of %s (%d messages) is not the events view's (%d)", profile, len(a), len(b))
	}
	fmt.Printf("measure: the timeline of %s is the events view's (%d messages)\n", profile, len(a))
	return nil
}

// findIDs picks an original (not copied) customer with several orders —
// profile reads go through the profile engine, which knows only the
// originals; their timeline and consent reads scan the whole store — one of
// their user ids, a segment with members and the segments page's RFM cell SQL.
func findIDs(ctx context.Context, c *client) (ids, error) {
	var id ids
	var res struct {
		Rows [][]any `json:"rows"`
	}
	if err := c.json(ctx, sqlCall("pick", `SELECT p.profile_id, u.user_id, u.source_id FROM profiles p JOIN profile_users u USING (profile_id)
		WHERE p.orders >= 3 AND p.reviews > 0 AND p.profile_id NOT LIKE '%~%' ORDER BY p.profile_id DESC LIMIT 1`), &res); err != nil {
		return id, err
	}
	if len(res.Rows) == 0 {
		return id, fmt.Errorf("no customer with 3 orders and a review")
	}
	id.profile, id.userID, id.source = fmt.Sprint(res.Rows[0][0]), fmt.Sprint(res.Rows[0][1]), fmt.Sprint(res.Rows[0][2])
	var segs struct {
		Segments []struct {
			ID      string `json:"id"`
			Members any    `json:"members"`
		} `json:"segments"`
	}
	if err := c.json(ctx, get("/v1/segments"), &segs); err != nil {
		return id, err
	}
	if len(segs.Segments) == 0 {
		return id, fmt.Errorf("no segment")
	}
	id.segment = segs.Segments[0].ID
	// The RFM cell SQL is in the segments page's HTML (data-cells-sql).
	_, _, b, err := c.do(ctx, get("/segments"))
	if err != nil {
		return id, err
	}
	// The attribute spans lines.
	if i := bytes.Index(b, []byte(`data-cells-sql="`)); i >= 0 {
		v := b[i+len(`data-cells-sql="`):]
		if j := bytes.IndexByte(v, '"'); j >= 0 {
			id.cellsSQL = html.UnescapeString(string(v[:j]))
		}
	}
	if id.cellsSQL == "" {
		return id, fmt.Errorf("no data-cells-sql on the segments page")
	}
	return id, nil
}

func oneLine(b []byte) string { return strings.Join(strings.Fields(string(b)), " ") }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func quantile(s []float64, q float64) float64 {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	i := int(q*float64(len(c)-1) + 0.5)
	return c[min(i, len(c)-1)]
}
