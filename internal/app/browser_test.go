package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/voc/health"
)

// The browser test drives the dashboard in a real headless Chromium
// (Debian's chromium package) the way a user does: it signs in through the
// form, switches the language with the language links, opens every page in
// Chinese and in English, builds a segment with the rule builder and
// exports its members as CSV, searches for a customer and opens their
// customer-360 page, reads the sources and data-quality page, and runs the
// prediction models from the predictions page (empty, refused, scored, and
// while another run is going) and opens a customer worth winning back,
// checks a Chinese text for China on the compliance page, and on the
// journeys page dry-runs the editor's example, saves it, starts and pauses
// it, and creates a webhook destination. Any
// console error, uncaught exception or failed request (other than the one
// it provokes on purpose) fails it. It saves a PNG screenshot of every page
// in both languages in $TRADEWIND_TEST_ARTIFACTS (default: a temporary
// directory, logged).
//
// Without Chromium it skips, unless CI=true, where it fails: CI must run
// it (scripts/test installs the chromium package when it is missing).

// chromiumPath finds the browser: $TRADEWIND_CHROMIUM, /usr/bin/chromium,
// or chromium on the PATH.
func chromiumPath() string {
	if p := os.Getenv("TRADEWIND_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// browserOwner signs in; the address is not a real person's, but the test
// still never logs it.
const (
	browserOwnerEmail    = "owner@browser.tradewind.test"
	browserOwnerPassword = "a long browser-test password"
	// browserBuyer is the customer the test sends and then searches for.
	browserBuyerEmail = "buyer.browser@kiteline.test"
	browserBuyerID    = "browser-buyer-1"
)

// pageCheck is what the test reads from every page once it has settled.
type pageCheck struct {
	Lang    string   `json:"lang"`
	Path    string   `json:"path"`
	Title   string   `json:"title"`
	Missing bool     `json:"missing"`
	Errors  []string `json:"errors"`
	Nav     []string `json:"nav"`
	Current string   `json:"current"`
}

// checkJS reads a pageCheck: the language, missing catalog keys, error
// boxes a user would see, the navigation's links and the current one.
const checkJS = `(() => ({
  lang: document.documentElement.lang,
  path: location.pathname,
  title: document.title,
  missing: document.body.innerText.includes('[missing:'),
  errors: [...document.querySelectorAll('.alert-error, [role=alert]')]
    .filter(e => !e.hidden && e.offsetParent !== null && e.textContent.trim() !== '')
    .map(e => e.textContent.trim()),
  nav: [...document.querySelectorAll('#site-nav a')].map(a => a.getAttribute('href')),
  current: (document.querySelector('#site-nav a[aria-current=page]') || {}).textContent || ''
}))()`

// settledJS is true once a page has loaded and its scripts have replaced
// every "loading" placeholder and finished every busy button.
const settledJS = `document.readyState === 'complete' &&
  !document.querySelector('main .loading') &&
  !document.querySelector('[aria-busy=true]')`

// dashPage is one page of the dashboard and what shows it has its data.
type dashPage struct {
	name, path string
	// ready is a JavaScript condition, beyond settledJS, that holds once the
	// page shows its data.
	ready string
}

var dashPages = []dashPage{
	{"overview", "/", `document.querySelectorAll('#kpis .card').length >= 4 && !!document.querySelector('#chart-revenue canvas') && !!document.querySelector('#by-market table')`},
	{"customers", "/customers", `!!document.querySelector('#top-customers table')`},
	{"segments", "/segments", `!!document.querySelector('#seg-list ul') && !!document.querySelector('#rfm table') && !!document.querySelector('#clusters li') &&
		![...document.querySelectorAll('.seg-list .badge')].some(b => b.textContent === '…')`},
	{"sources", "/sources", `document.querySelectorAll('#q-cards .card').length === 4 && !!document.querySelector('#q-sources table') &&
		!!document.querySelector('#q-quarantine table') && !!document.querySelector('#chart-rates canvas')`},
	{"privacy", "/privacy", `true`},
	{"audit", "/audit", `!!document.querySelector('#entries table') && !document.querySelector('#verify .loading')`},
	{"settings", "/settings", `!!document.querySelector('#users table') && !!document.querySelector('#sources table')`},
	// With scored reviews, the key figures, the three charts, the topics
	// and the example texts.
	{"voc", "/voc", `document.querySelectorAll('#v-cards .card').length === 4 && !!document.querySelector('#chart-v-market canvas') &&
		!!document.querySelector('#chart-v-lang canvas') && !!document.querySelector('#chart-v-trend canvas') &&
		!!document.querySelector('#v-topics table') && !!document.querySelector('#v-examples ul, #v-examples .empty')`},
	// Marketing: the attribution comparison, the ROI table, the influencer
	// board and the experiments, each as a table or saying what to do next.
	{"marketing", "/marketing", `!!document.querySelector('#mk-attr table, #mk-attr .empty') && !!document.querySelector('#mk-roi table, #mk-roi .empty') &&
		!!document.querySelector('#mk-inf table, #mk-inf .empty') && !!document.querySelector('#mk-exp table, #mk-exp .empty')`},
	// The inbox with the open alerts, or saying there are none under the
	// filter.
	{"alerts", "/alerts", `!!document.querySelector('#al-list table, #al-list .empty')`},
	// Journeys: the list (or what to do first) and the webhook
	// destinations; the editor holds the example.
	{"journeys", "/journeys", `!!document.querySelector('#j-list table, #j-list .empty') && !!document.querySelector('#j-dests table, #j-dests .empty') &&
		document.querySelector('#j-json').value.includes('abandoned_checkout')`},
	// The compliance check: the countries of the rules, and the rules of
	// the chosen one.
	{"compliance", "/compliance", `document.querySelectorAll('#cc-country option').length > 5 && !!document.querySelector('#cc-rules table')`},
	// With a run that scored, the key figures, the summary and the models'
	// parameters; before one, the empty state.
	{"predictions", "/predictions", `!!document.querySelector('#p-empty:not([hidden])') ||
		(document.querySelectorAll('#p-cards .card').length === 4 && !!document.querySelector('#p-summary table, #p-summary .empty') &&
		!!document.querySelector('#p-params table, #p-params .empty'))`},
}

func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser and loads a demo seller")
	}
	chrome := chromiumPath()
	if chrome == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium is not installed, and CI=true: the browser test must run in CI. " +
				"Install Debian's chromium package (scripts/test does), or set TRADEWIND_CHROMIUM.")
		}
		t.Skip("Chromium is not installed (apt-get install chromium, or set TRADEWIND_CHROMIUM); CI=true makes this a failure")
	}
	start := time.Now()
	artifacts := os.Getenv("TRADEWIND_TEST_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots go to %s (set TRADEWIND_TEST_ARTIFACTS to keep them)", artifacts)

	// Predictions run when the test says, not on the schedule.
	// So does the brand-health check.
	// The seller's postal address, as `serve --postal-address` sets it: an
	// e-mail journey to the US needs one (CAN-SPAM).
	n := openNode(t, Config{Predict: predict.Config{Every: -1}, VoCEvery: -1,
		Actions: ActionsConfig{PublicURL: "https://shop.example", PostalAddress: "Kiteline Inc., 100 Main Street, Springfield, IL 62701"}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := n.a.Auth.CreateOwner(ctx, browserOwnerEmail, "Browser test", browserOwnerPassword); err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t, ctx, chrome, n.srv.URL, artifacts)

	// Signed out, the dashboard sends the visitor to the sign-in page; the
	// language links switch it, and the choice is remembered.
	b.navigate("/")
	b.waitFor("the sign-in page", `!!document.querySelector('#login-form')`)
	if c := b.check(); c.Path != "/login" {
		t.Fatalf("signed out, / went to %s, want /login", c.Path)
	}
	b.switchLanguage("zh-CN")
	b.screenshot("login-zh")
	b.do("sign in",
		chromedp.SendKeys(chromedp.CSS(`#login-form input[name=email]`), browserOwnerEmail),
		chromedp.SendKeys(chromedp.CSS(`#login-form input[name=password]`), browserOwnerPassword))
	b.loadAfter("sign in", chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	if c := b.check(); c.Path != "/" || c.Lang != "zh-CN" {
		t.Fatalf("after signing in: %s in %q, want / in zh-CN (the language chosen on the sign-in page)", c.Path, c.Lang)
	}

	// Before any data, the pages say what to do next.
	b.emptyStates()

	// A small demo seller, today: a year of 1,000 shoppers, the least on
	// which the churn models train and are compared on a holdout (with
	// fewer, churn risk falls back to 1 − P(alive); with less than a year,
	// Gamma-Gamma often cannot fit and there are no lifetime values).
	loadStart := time.Now()
	fxFile := filepath.Join("..", "..", "..", "shared", "data", "fx", "eurofxref-hist.zip")
	if _, err := os.Stat(fxFile); err != nil {
		t.Logf("no ECB rates at %s: amounts in the base currency stay empty", fxFile)
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	rep, err := n.a.LoadDemo(ctx, demo.Config{Seed: 5, People: 1000, Months: 12, Now: day}, fxFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.a.Profiles.WaitApplied(ctx, rep.LastSeq); err != nil {
		t.Fatal(err)
	}
	n.sendBrowserBuyer(ctx)
	// The segments `tradewind demo` starts with.
	for _, s := range []struct{ name, rule string }{
		{"Repeat buyers", `event "Order Completed" count >= 2 within 90d`},
		{"At risk", `orders >= 2 and days_since_last_order > 60`},
	} {
		if code, m := n.admin("POST", "/v1/segments", map[string]any{"name": s.name, "rule_text": s.rule}); code != 201 {
			t.Fatalf("segment %s: %d %v", s.name, code, m)
		}
	}
	// An experiment (the demo sends no assignments: its results say so).
	if code, m := n.admin("POST", "/v1/experiments", map[string]any{"id": "checkout_v2", "name": "Checkout v2",
		"variants": []map[string]string{{"id": "0", "name": "control"}, {"id": "1", "name": "one-page"}},
		"metrics":  []map[string]string{{"kind": "conversion"}}}); code != 201 {
		t.Fatalf("experiment: %d %v", code, m)
	}
	t.Logf("demo seller loaded in %s: %d messages, %d orders", time.Since(loadStart).Round(time.Millisecond), rep.Stats.Messages, rep.Stats.Orders)
	// The predictions, as the daily run makes them.
	predStart := time.Now()
	if err := n.a.Profiles.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	run, err := n.a.Predict.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scored := run.Status == "scored"
	t.Logf("predictions in %s: %s, %d customers, model %s %s", time.Since(predStart).Round(time.Millisecond), run.Status, run.Customers, run.ModelVersion, run.Error)
	// Brand health, as the hourly check makes it.
	n.checkBrandHealth(ctx)

	for _, lang := range []string{"zh-CN", "en"} {
		suffix := map[string]string{"zh-CN": "zh", "en": "en"}[lang]
		if lang != "zh-CN" {
			b.switchLanguage(lang)
		}
		for _, p := range dashPages {
			b.visit(p, lang)
			b.screenshot(p.name + "-" + suffix)
			if p.name == "customers" {
				b.findCustomer(lang)
				b.screenshot("customer-" + suffix)
			}
		}
		b.checkSourcesPage(lang)
		b.checkVoCPage(lang)
		b.checkAlertsPage(lang)
		b.checkMarketingPage(lang)
		b.checkPredictionsPage(lang, scored)
		b.checkCompliancePage(lang)
	}
	b.checkNow()
	b.tablet()
	b.runPredictions(n, scored)
	b.buildSegment(n)
	b.runJourney(n)
	b.keyboard()
	b.finish()
	t.Logf("browser test done in %s; %d screenshots in %s", time.Since(start).Round(time.Millisecond), b.shots, artifacts)
}

// sendBrowserBuyer sends a customer through the tracking API with a
// source's write key (an identify and an order), and one message that is
// refused, so the quarantine has an entry; it waits until the store and the
// profiles have both.
func (n *node) sendBrowserBuyer(ctx context.Context) {
	n.t.Helper()
	src, ok := n.a.Sources.ByID("web")
	if !ok {
		n.t.Fatal("the demo has no source web")
	}
	post := func(path, body string, want int) {
		req, _ := http.NewRequest("POST", n.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", basic(src.WriteKey))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			n.t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			n.t.Fatalf("POST %s: %d %s, want %d", path, resp.StatusCode, b, want)
		}
	}
	now := time.Now().UTC().Format(time.RFC3339)
	post("/v1/identify", `{"userId":"`+browserBuyerID+`","traits":{"email":"`+browserBuyerEmail+`","country":"DE","language":"de"},"timestamp":"`+now+`"}`, 200)
	post("/v1/track", `{"userId":"`+browserBuyerID+`","event":"Order Completed","timestamp":"`+now+`",
		"properties":{"order_id":"browser-order-1","total":59.9,"revenue":59.9,"currency":"EUR","products":[{"product_id":"p1","sku":"K-1","name":"Kite","price":59.9,"quantity":1}]}}`, 200)
	// A track without an event name is refused and quarantined.
	post("/v1/track", `{"userId":"`+browserBuyerID+`","properties":{"note":"no event name"}}`, 400)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var quarantined, profiles int64
		// The engine copies profiles into the store at a pace that slows
		// after a bulk load; the pages read the engine, the check below
		// reads the store: flush it now.
		_ = n.a.Profiles.Flush(ctx)
		_ = n.a.Store.Scan(ctx, "SELECT count(*) FROM quarantine WHERE source_id = 'web'", nil, func(r []any) error { quarantined, _ = r[0].(int64); return nil })
		_ = n.a.Store.Scan(ctx, "SELECT count(*) FROM profile_users WHERE source_id = 'web' AND user_id = ?", []any{browserBuyerID},
			func(r []any) error { profiles, _ = r[0].(int64); return nil })
		if quarantined > 0 && profiles > 0 {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("after 20 s: %d quarantined, %d profiles of the buyer", quarantined, profiles)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// browserRun is one browser tab on the dashboard, and what it saw.
type browserRun struct {
	t     *testing.T
	ctx   context.Context
	base  string
	dir   string
	shots int

	mu       sync.Mutex
	step     string
	urls     map[network.RequestID]string
	problems []string
	// expected are failures provoked on purpose: a URL substring and the
	// status; seen counts the matches.
	expected map[string]int64
	seen     map[string]int
}

func startBrowser(t *testing.T, parent context.Context, chrome, base, dir string) *browserRun {
	t.Helper()
	profile := t.TempDir()
	alloc, cancelAlloc := chromedp.NewExecAllocator(parent,
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1366, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b := &browserRun{t: t, ctx: ctx, base: base, dir: dir, urls: map[network.RequestID]string{},
		expected: map[string]int64{}, seen: map[string]int{}}
	if err := chromedp.Listen(ctx, b.event); err != nil {
		t.Fatalf("start %s: %v", chrome, err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 900)); err != nil {
		t.Fatal(err)
	}
	// Charts honour prefers-reduced-motion: drawn at once, the screenshots
	// show them whole instead of halfway through their animation.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}}); err != nil {
		t.Fatal(err)
	}
	return b
}

// event records what the page reports; it runs on the browser's reading
// goroutine and must return fast.
func (b *browserRun) event(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	add := func(format string, args ...any) {
		b.problems = append(b.problems, fmt.Sprintf("[%s] ", b.step)+fmt.Sprintf(format, args...))
	}
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if e.Request != nil {
			b.urls[e.RequestID] = e.Request.URL
		}
	case *network.EventResponseReceived:
		if e.Response == nil || e.Response.Status < 400 {
			return
		}
		if b.isExpected(e.Response.URL, e.Response.Status) {
			return
		}
		add("HTTP %d for %s %s", e.Response.Status, e.Type, b.short(e.Response.URL))
	case *network.EventLoadingFailed:
		// A request the page aborted itself (a superseded live count, a
		// navigation away) is not a failure.
		if e.Canceled || e.ErrorText == "net::ERR_ABORTED" {
			return
		}
		add("request failed: %s %s (%s)", e.Type, b.short(b.urls[e.RequestID]), e.ErrorText)
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		add("uncaught exception at %s:%d: %s", b.short(d.URL), d.LineNumber+1, text)
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range e.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, string(a.Value))
			}
		}
		add("console.%s: %s", e.Type, strings.Join(parts, " "))
	case *cdplog.EventEntryAdded:
		if e.Entry == nil || e.Entry.Level != cdplog.EntryLevelError {
			return
		}
		// A failed response is reported here too ("Failed to load
		// resource"); the expected ones are not problems.
		if e.Entry.Source == "network" && b.isExpected(e.Entry.URL, -1) {
			return
		}
		add("browser log (%s): %s %s", e.Entry.Source, e.Entry.Text, b.short(e.Entry.URL))
	}
}

// isExpected reports whether a failure was provoked on purpose (status -1:
// any status of an expected URL); b.mu is held.
func (b *browserRun) isExpected(url string, status int64) bool {
	for sub, want := range b.expected {
		if strings.Contains(url, sub) && (status == -1 || status == want) {
			if status != -1 {
				b.seen[sub]++
			}
			return true
		}
	}
	return false
}

func (b *browserRun) short(url string) string { return strings.TrimPrefix(url, b.base) }

// expect declares a failure the next steps provoke on purpose.
func (b *browserRun) expect(urlSub string, status int64) {
	b.mu.Lock()
	b.expected[urlSub] = status
	b.mu.Unlock()
}

// setStep names what the browser does now, for the problems it reports.
func (b *browserRun) setStep(s string) {
	b.mu.Lock()
	b.step = s
	b.mu.Unlock()
}

// problemsSoFar fails the test with every problem the page reported.
func (b *browserRun) problemsSoFar() {
	b.t.Helper()
	b.mu.Lock()
	ps := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range ps {
		b.t.Error(p)
	}
	if len(ps) > 0 {
		b.t.FailNow()
	}
}

// do runs actions as one step, with a time limit.
func (b *browserRun) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.setStep(step)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(step, err)
	}
}

func (b *browserRun) navigate(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
}

// loadAfter runs an action that loads a new page (a click on a link or a
// form that navigates) and waits for the load.
func (b *browserRun) loadAfter(step string, trigger chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.setStep(step)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, trigger)); err != nil {
		b.fail(step, err)
	}
}

// fail ends the test at a step that did not happen: with the problems the
// page reported, what it shows, and a screenshot.
func (b *browserRun) fail(step string, err error) {
	b.t.Helper()
	b.mu.Lock()
	ps := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range ps {
		b.t.Error(p)
	}
	c := b.check()
	b.screenshot("FAILED-" + regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(step), "-"))
	b.t.Fatalf("%s: %v (on %s, errors shown: %q)", step, err, c.Path, c.Errors)
}

// waitFor waits until a JavaScript condition holds.
func (b *browserRun) waitFor(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 40*time.Second)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(30*time.Second)))
		// A poll runs in the page's JavaScript context of the moment; when
		// the page replaces it meanwhile (a navigation still settling, a
		// reload), Chromium answers "Cannot find context with specified id":
		// not the condition failing, so the poll starts again in the new
		// context, within the same deadline.
		if err != nil && ctx.Err() == nil && strings.Contains(err.Error(), "Cannot find context with specified id") {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			b.fail("waiting for "+what, err)
		}
		return
	}
}

func evalJS[T any](b *browserRun, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %.60q: %v", expr, err)
	}
	return v
}

func (b *browserRun) check() pageCheck { return evalJS[pageCheck](b, checkJS) }

// screenshot saves the whole page as a PNG.
func (b *browserRun) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		b.t.Fatalf("screenshot %s is not a PNG", name)
	}
	b.shots++
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shots, name)), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// switchLanguage clicks the language switch's link for lang and checks the
// page came back in it.
func (b *browserRun) switchLanguage(lang string) {
	b.t.Helper()
	b.loadAfter("switch to "+lang, chromedp.Click(chromedp.CSS(`.lang-switch a[hreflang="`+lang+`"]`)))
	b.waitFor("the page in "+lang, `document.readyState === 'complete' && document.documentElement.lang === '`+lang+`'`)
	if c := b.check(); strings.Contains(c.Path, "lang=") || c.Lang != lang {
		b.t.Fatalf("after switching to %s: %s in %s", lang, c.Path, c.Lang)
	}
	b.problemsSoFar()
}

// visit opens a page by its address (so the language must come from the
// remembered choice) and checks it: in lang, its data shown, no error box,
// no missing message, the navigation marking it, nothing reported.
func (b *browserRun) visit(p dashPage, lang string) {
	b.t.Helper()
	b.navigate(p.path)
	b.setStep(p.name + " in " + lang)
	b.waitFor(p.name+" in "+lang, "("+settledJS+") && ("+p.ready+")")
	c := b.check()
	if c.Lang != lang {
		b.t.Errorf("%s: the page is in %q, want %q (the language choice was not remembered)", p.path, c.Lang, lang)
	}
	if c.Missing {
		b.t.Errorf("%s in %s: a message is missing from the catalog", p.path, lang)
	}
	if len(c.Errors) > 0 {
		b.t.Errorf("%s in %s: the page shows errors: %q", p.path, lang, c.Errors)
	}
	if c.Current == "" {
		b.t.Errorf("%s in %s: no navigation entry is marked current", p.path, lang)
	}
	for _, q := range dashPages {
		found := false
		for _, h := range c.Nav {
			found = found || h == q.path
		}
		if !found {
			b.t.Errorf("%s in %s: the navigation has no link to %s (%v)", p.path, lang, q.path, c.Nav)
		}
	}
	b.problemsSoFar()
}

// findCustomer searches the customers page, first for nobody (the page says
// so; the 404 behind it is expected), then for the buyer the test sent, and
// opens their customer-360 page.
func (b *browserRun) findCustomer(lang string) {
	b.t.Helper()
	b.expect("/v1/profiles?email=nobody", 404)
	b.do("search for nobody in "+lang,
		chromedp.SetValue(chromedp.CSS(`#find-kind`), "email"),
		chromedp.SendKeys(chromedp.CSS(`#find-value`), "nobody@kiteline.test"),
		chromedp.Click(chromedp.CSS(`#customer-search button[type=submit]`)))
	b.waitFor("the not-found note", `(() => { const e = document.querySelector('#search-error'); return e && !e.hidden && e.classList.contains('alert-warn') })()`)
	b.mu.Lock()
	seen := b.seen["/v1/profiles?email=nobody"]
	b.mu.Unlock()
	if seen == 0 {
		b.t.Error("the search for nobody answered no 404 that the browser saw: the request watch is blind")
	}
	b.do("search for the buyer in "+lang, chromedp.Evaluate[chromedp.Void](`document.querySelector("#find-value").value = ""`),
		chromedp.SendKeys(chromedp.CSS(`#find-value`), browserBuyerEmail))
	b.loadAfter("open the buyer in "+lang, chromedp.Click(chromedp.CSS(`#customer-search button[type=submit]`)))
	b.setStep("customer 360 in " + lang)
	b.waitFor("the customer-360 page in "+lang, "("+settledJS+`) && location.pathname.startsWith('/customers/') &&
		document.querySelectorAll('#c-cards .card').length > 0 && !!document.querySelector('#c-identities table, #c-identities ul, #c-identities dl') &&
		!!document.querySelector('#c-timeline table, #c-timeline ul, #c-timeline ol') &&
		!!document.querySelector('#c-predictions dl, #c-predictions .empty') &&
		!!document.querySelector('#c-messages table, #c-messages .empty')`)
	c := b.check()
	if c.Lang != lang || len(c.Errors) > 0 || c.Missing {
		b.t.Errorf("customer page %s: lang %s, errors %q, missing %v", c.Path, c.Lang, c.Errors, c.Missing)
	}
	orders := evalJS[string](b, `document.querySelector('#c-cards .card .value').textContent`)
	if orders != "1" {
		b.t.Errorf("customer page %s: the orders card says %q, want 1", c.Path, orders)
	}
	b.problemsSoFar()
}

// checkSourcesPage checks the data-quality page shows real numbers: the
// demo's events received in the last hour, and the refused message with
// its field and reason.
func (b *browserRun) checkSourcesPage(lang string) {
	b.t.Helper()
	b.visit(dashPages[3], lang)
	got := evalJS[struct {
		Hour   string   `json:"hour"`
		Rows   int      `json:"rows"`
		Fields []string `json:"fields"`
	}](b, `({
		hour: document.querySelectorAll('#q-cards .card .value')[1].textContent,
		rows: document.querySelectorAll('#q-sources tbody tr').length,
		fields: [...document.querySelectorAll('#q-quarantine tbody tr')].map(r => r.cells[4].textContent + ': ' + r.cells[5].textContent)
	})`)
	if !regexp.MustCompile(`[1-9]`).MatchString(got.Hour) {
		b.t.Errorf("sources in %s: events in the last hour %q, want the demo's", lang, got.Hour)
	}
	if got.Rows < len(demo.Sources()) {
		b.t.Errorf("sources in %s: %d rows, want at least the demo's %d sources", lang, got.Rows, len(demo.Sources()))
	}
	if len(got.Fields) == 0 || !strings.HasPrefix(got.Fields[0], "event:") {
		b.t.Errorf("sources in %s: quarantine %q, want the refused track (field event)", lang, got.Fields)
	}
	// The day window redraws the chart.
	b.do("rates of the day in "+lang, chromedp.Click(chromedp.CSS(`#q-window button[data-window=day]`)))
	b.waitFor("the day's rates", `document.querySelector('#q-window button[data-window=day]').getAttribute('aria-pressed') === 'true' && !document.querySelector('[aria-busy=true]')`)
	b.problemsSoFar()
}

var digits = regexp.MustCompile(`[^0-9]`)

// buildSegment builds a segment with the rule builder, watches the live
// count, saves it, waits for its members and exports them as CSV.
func (b *browserRun) buildSegment(n *node) {
	b.t.Helper()
	b.visit(dashPages[2], "en")
	b.do("write a rule",
		chromedp.SendKeys(chromedp.CSS(`#seg-name`), "Browser test buyers"),
		chromedp.SendKeys(chromedp.CSS(`#seg-rule`), `orders >= 1`))
	b.waitFor("the live count", `/^[0-9,]+ customers match now$/.test(document.querySelector('#seg-count').textContent)`)
	first := evalJS[string](b, `document.querySelector('#seg-count').textContent`)
	// The count follows the rule as it changes.
	b.do("change the rule", chromedp.SendKeys(chromedp.CSS(`#seg-rule`), ` and country = "DE"`))
	b.waitFor("the new live count", `/^[0-9,]+ customers match now$/.test(document.querySelector('#seg-count').textContent) &&
		document.querySelector('#seg-count').textContent !== `+strconv.Quote(first))
	live, _ := strconv.Atoi(digits.ReplaceAllString(evalJS[string](b, `document.querySelector('#seg-count').textContent`), ""))
	all, _ := strconv.Atoi(digits.ReplaceAllString(first, ""))
	if live <= 0 || live >= all {
		b.t.Fatalf("live counts: %d for orders >= 1, then %d with country DE: want 0 < second < first", all, live)
	}
	b.screenshot("segment-builder-en")
	b.do("save the segment", chromedp.Click(chromedp.CSS(`#seg-form button[type=submit]`)))
	b.waitFor("the saved segment", `(() => { const n = document.querySelector('#seg-error'); return n && !n.hidden && n.classList.contains('alert-ok') })() &&
		[...document.querySelectorAll('.seg-list .seg-name')].some(e => e.textContent === 'Browser test buyers') &&
		!document.querySelector('#members-panel').hidden`)
	id := evalJS[string](b, `document.querySelector('#seg-form input[name=id]').value`)
	if id == "" {
		b.t.Fatal("the saved segment has no id in the form")
	}
	// Its members are filled in the background: wait until the engine has
	// them all, then show them.
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, m := n.admin("GET", "/v1/segments/"+id, nil)
		if code == 200 && fmt.Sprint(m["members"]) == strconv.Itoa(live) {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("segment %s: %d %v members after 30 s, the live count said %d", id, code, m["members"], live)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.do("show the members", chromedp.Click(chromedp.CSS(`.seg-list li.selected .seg-actions button`)))
	b.waitFor("the members", "("+settledJS+`) && document.querySelectorAll('#members tbody tr').length > 0`)
	rows := evalJS[int](b, `document.querySelectorAll('#members tbody tr').length`)
	if want := min(live, 50); rows != want {
		b.t.Errorf("members table: %d rows, want %d", rows, want)
	}
	b.screenshot("segment-members-en")

	// Export: the browser downloads the CSV.
	downloads := filepath.Join(b.t.TempDir(), "downloads")
	if err := os.MkdirAll(downloads, 0o755); err != nil {
		b.t.Fatal(err)
	}
	b.setStep("export CSV")
	if _, err := chromedp.CallBrowser(b.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads, EventsEnabled: new(true)}); err != nil {
		b.t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	progress := chromedp.BrowserEvents(dctx, browser.DownloadProgress)
	b.do("export CSV", chromedp.Click(chromedp.CSS(`#members-csv`)))
	var file string
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("CSV download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			b.t.Fatal("CSV download canceled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = ev.FilePath
			break
		}
	}
	if file == "" {
		file = filepath.Join(downloads, id+".csv")
	}
	body, err := os.ReadFile(file)
	if err != nil {
		b.t.Fatalf("the downloaded CSV: %v", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		b.t.Fatalf("the downloaded CSV does not parse: %v", err)
	}
	if len(recs) == 0 || recs[0][0] != "profile_id" || len(recs)-1 != live {
		header := []string{}
		if len(recs) > 0 {
			header = recs[0]
		}
		b.t.Errorf("CSV export: header %v and %d rows, want profile_id first and %d rows (the live count)", header, len(recs)-1, live)
	}
	for _, r := range recs[1:] {
		if r[2] != "DE" {
			b.t.Errorf("CSV export: a member in %q, the rule says DE", r[2])
			break
		}
	}
	b.problemsSoFar()
}

// emptyStates checks the overview, the data-quality page and the
// predictions page of a server with no data yet: no error, and a note
// saying what to do; on the predictions page, Run now runs the models,
// which refuse to score and say why.
func (b *browserRun) emptyStates() {
	b.t.Helper()
	b.waitFor("the empty overview", settledJS+` && !!document.querySelector('#ov-note:not([hidden])')`)
	if c := b.check(); len(c.Errors) > 0 {
		b.t.Errorf("the empty overview shows errors: %q", c.Errors)
	}
	b.screenshot("overview-empty-zh")
	b.navigate("/sources")
	b.waitFor("the empty sources page", settledJS+` && !!document.querySelector('#q-sources .empty a[href^="/settings"]') &&
		!!document.querySelector('#q-rates-note:not([hidden])') && !!document.querySelector('#q-quarantine .empty')`)
	if c := b.check(); len(c.Errors) > 0 {
		b.t.Errorf("the empty sources page shows errors: %q", c.Errors)
	}
	b.screenshot("sources-empty-zh")
	b.problemsSoFar()

	// No review yet: the voice of the customer says how reviews arrive,
	// and the inbox that there are no alerts.
	b.navigate("/voc")
	b.waitFor("the empty voice of the customer", settledJS+` && !!document.querySelector('#v-empty:not([hidden])') && document.querySelector('#v-body').hidden`)
	if c := b.check(); len(c.Errors) > 0 || c.Missing {
		b.t.Errorf("the empty voice of the customer shows errors %q, missing %v", c.Errors, c.Missing)
	}
	b.screenshot("voc-empty-zh")
	b.navigate("/alerts")
	b.waitFor("the empty alerts inbox", settledJS+` && !!document.querySelector('#al-empty:not([hidden])') && document.querySelector('#al-panel').hidden`)
	if c := b.check(); len(c.Errors) > 0 || c.Missing {
		b.t.Errorf("the empty alerts inbox shows errors %q, missing %v", c.Errors, c.Missing)
	}
	b.screenshot("alerts-empty-zh")
	// No touches yet: marketing says where they come from.
	b.navigate("/marketing")
	b.waitFor("the empty marketing page", settledJS+` && !!document.querySelector('#mk-empty:not([hidden])') &&
		!!document.querySelector('#mk-attr .empty') && !!document.querySelector('#mk-exp .empty')`)
	if c := b.check(); len(c.Errors) > 0 || c.Missing {
		b.t.Errorf("the empty marketing page shows errors %q, missing %v", c.Errors, c.Missing)
	}
	b.screenshot("marketing-empty-zh")
	b.problemsSoFar()

	// No run yet: the report answers 404 and the page says what a run needs.
	b.expect("/v1/predictions/report", 404)
	b.navigate("/predictions")
	b.waitFor("the empty predictions page", settledJS+` && !!document.querySelector('#p-empty:not([hidden]) button[data-run]') &&
		document.querySelector('#p-body').hidden && document.querySelector('#p-run').hidden`)
	if c := b.check(); len(c.Errors) > 0 {
		b.t.Errorf("the empty predictions page shows errors: %q", c.Errors)
	}
	b.screenshot("predictions-empty-zh")
	b.do("run the models on no data", chromedp.Click(chromedp.CSS(`#p-empty button[data-run]`)))
	b.waitFor("the refused run", settledJS+` && (() => { const n = document.querySelector('#p-note'); return n && !n.hidden &&
		n.classList.contains('alert-warn') && !!n.querySelector('.refused-error') })() && !document.querySelector('#p-empty').hidden`)
	if got := evalJS[string](b, `document.querySelector('#p-note .refused-error').textContent`); !strings.Contains(got, "no customer") {
		b.t.Errorf("the refused run's reason %q, want the model's (no customer with an order yet)", got)
	}
	if c := b.check(); len(c.Errors) > 0 {
		b.t.Errorf("the refused predictions page shows errors: %q", c.Errors)
	}
	b.screenshot("predictions-refused-zh")
	b.problemsSoFar()
}

// checkPredictionsPage checks the predictions page shows the scored run's
// numbers: customers scored, the charts, the churn models compared on
// their holdout, the lifetime models' holdout check, the summary by each
// grouping and the customers worth winning back, with their reasons.
func (b *browserRun) checkPredictionsPage(lang string, scored bool) {
	b.t.Helper()
	p := dashPages[len(dashPages)-1]
	b.visit(p, lang)
	if !scored {
		// A refused run shows its reason, and the page nothing broken.
		b.waitFor("the refused note", `!!document.querySelector('#p-note .refused-error')`)
		return
	}
	got := evalJS[struct {
		Scored   string   `json:"scored"`
		CLV      string   `json:"clv"`
		Charts   []string `json:"charts"`
		Models   int      `json:"models"`
		Params   int      `json:"params"`
		Verdict  string   `json:"verdict"`
		Winback  []string `json:"winback"`
		Reasons  int      `json:"reasons"`
		Summary  int      `json:"summary"`
		Holdouts bool     `json:"holdouts"`
		// NoImportance: the chosen churn model has no feature importance
		// (the 1 − P(alive) fallback won) and the page says so.
		NoImportance bool `json:"no_importance"`
	}](b, `({
		scored: document.querySelectorAll('#p-cards .card .value')[0].textContent,
		clv: document.querySelectorAll('#p-cards .card .value')[1].textContent,
		charts: [...document.querySelectorAll('.chart')].filter(c => !c.hidden && c.querySelector('canvas')).map(c => c.id),
		models: document.querySelectorAll('#p-models tbody tr').length,
		params: document.querySelectorAll('#p-params tbody tr').length,
		verdict: document.querySelector('#p-churn-verdict .alert').textContent,
		winback: [...document.querySelectorAll('#p-winback tbody tr a')].map(a => a.getAttribute('href')),
		reasons: document.querySelectorAll('#p-winback tbody ul.reasons li').length,
		summary: document.querySelectorAll('#p-summary tbody tr').length,
		holdouts: !document.querySelector('#p-holdout-charts').hidden,
		no_importance: !!document.querySelector('#chart-importance').parentNode.querySelector('p.empty')
	})`)
	if !regexp.MustCompile(`^[1-9][0-9,]*$`).MatchString(got.Scored) {
		b.t.Errorf("predictions in %s: customers scored %q", lang, got.Scored)
	}
	if !regexp.MustCompile(`[1-9]`).MatchString(got.CLV) {
		b.t.Errorf("predictions in %s: expected lifetime value %q", lang, got.CLV)
	}
	want := []string{"chart-clv", "chart-churn"}
	if got.Holdouts {
		want = append(want, "chart-cumulative", "chart-frequency")
	}
	if got.Models > 0 {
		want = append(want, "chart-calibration")
		if !got.NoImportance {
			want = append(want, "chart-importance")
		}
	}
	for _, c := range want {
		if !strings.Contains(strings.Join(got.Charts, " "), c) {
			b.t.Errorf("predictions in %s: no %s (charts drawn: %v)", lang, c, got.Charts)
		}
	}
	if got.Params == 0 || got.Summary == 0 || got.Verdict == "" {
		b.t.Errorf("predictions in %s: %d parameter rows, %d summary rows, verdict %q", lang, got.Params, got.Summary, got.Verdict)
	}
	if len(got.Winback) > 0 && (!strings.HasPrefix(got.Winback[0], "/customers/") || got.Reasons == 0) {
		b.t.Errorf("predictions in %s: worth winning back %v with %d reasons", lang, got.Winback, got.Reasons)
	}
	// Each grouping of the summary.
	for _, by := range []string{"channel", "segment", "tier", "marketplace"} {
		b.do("summary by "+by+" in "+lang, chromedp.Click(chromedp.CSS(`#p-by button[data-by=`+by+`]`)))
		b.waitFor("the summary by "+by, settledJS+` && document.querySelector('#p-by button[data-by=`+by+`]').getAttribute('aria-pressed') === 'true' &&
			!!document.querySelector('#p-summary table, #p-summary .empty')`)
	}
	b.problemsSoFar()
}

// runPredictions runs the models from the page while another run is going
// (the page says so and shows the other run's result when it ends), then
// alone, and opens a customer worth winning back.
func (b *browserRun) runPredictions(n *node, scored bool) {
	b.t.Helper()
	b.visit(dashPages[len(dashPages)-1], "en")
	before := evalJS[string](b, `document.querySelector('#p-cards .card:last-child .model-version') ? document.querySelector('#p-cards .card:last-child .model-version').textContent : ''`)
	// A run started elsewhere: the page's run is refused with 409 while it
	// goes (if it is still going when the click lands).
	b.expect("/v1/predictions/refresh", 409)
	other := make(chan error, 1)
	go func() { _, err := n.a.Predict.Refresh(context.Background()); other <- err }()
	time.Sleep(50 * time.Millisecond)
	b.do("run now while a run goes", chromedp.Click(chromedp.CSS(`#p-run`)))
	b.waitFor("the run's end", `(() => { const n = document.querySelector('#p-note');
		return n && !n.hidden && (n.classList.contains('alert-ok') || n.textContent.includes('already going') || n.classList.contains('alert-warn')) })()`)
	busy := evalJS[bool](b, `document.querySelector('#p-note').textContent.includes('already going')`)
	if err := <-other; err != nil && !strings.Contains(err.Error(), "already going") {
		b.t.Fatal(err)
	}
	if busy {
		b.screenshot("predictions-busy-en")
		// The page follows the other run and shows it when it ends.
		b.waitFor("the other run's result", settledJS+` && document.querySelector('#p-note').hidden && !!document.querySelector('#p-cards .model-version') &&
			document.querySelector('#p-cards .card:last-child .model-version').textContent !== `+strconv.Quote(before))
	}
	b.mu.Lock()
	saw409 := b.seen["/v1/predictions/refresh"]
	b.mu.Unlock()
	b.t.Logf("run now during another run: the page saw %d answers 409, busy note %v", saw409, busy)
	// Alone, the run ends and the page shows it.
	b.do("run now", chromedp.Click(chromedp.CSS(`#p-run`)))
	b.waitFor("the run's result", settledJS+` && (() => { const n = document.querySelector('#p-note'); return n && !n.hidden &&
		(n.classList.contains('alert-ok') || !!n.querySelector('.refused-error')) })()`)
	b.screenshot("predictions-ran-en")
	if !scored {
		b.problemsSoFar()
		return
	}
	// A customer worth winning back, on their customer-360 page.
	if evalJS[int](b, `document.querySelectorAll('#p-winback tbody a').length`) == 0 {
		b.t.Log("no customer at high churn risk to open")
		b.problemsSoFar()
		return
	}
	b.loadAfter("open a customer worth winning back", chromedp.Click(chromedp.CSS(`#p-winback tbody a`)))
	b.waitFor("their predictions", settledJS+` && location.pathname.startsWith('/customers/') && !!document.querySelector('#c-predictions dl .badge-bad') &&
		document.querySelectorAll('#c-predictions ul.reasons li').length > 0`)
	if c := b.check(); len(c.Errors) > 0 || c.Missing {
		b.t.Errorf("customer worth winning back %s: errors %q, missing %v", c.Path, c.Errors, c.Missing)
	}
	b.screenshot("customer-winback-en")
	b.problemsSoFar()
}

// keyboard checks the page works without a mouse: Tab reaches the skip
// link first, which moves the focus to the content, and the next Tab stops
// land on the page's own controls.
func (b *browserRun) keyboard() {
	b.t.Helper()
	b.visit(dashPages[3], "en")
	b.do("tab to the skip link", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`), chromedp.KeyEvent("\t"))
	if got := evalJS[string](b, `document.activeElement.className`); got != "skip-link" {
		b.t.Errorf("the first Tab stop is %q, want the skip link", got)
	}
	b.do("follow the skip link", chromedp.KeyEvent("\r"))
	b.waitFor("the focus in the content", `document.activeElement && document.activeElement.id === 'main'`)
	b.do("tab into the content", chromedp.KeyEvent("\t"))
	if got := evalJS[string](b, `document.activeElement.id || document.activeElement.textContent`); got != "q-refresh" {
		b.t.Errorf("the first Tab stop in the content is %q, want the refresh button", got)
	}
	b.do("refresh with the keyboard", chromedp.KeyEvent("\r"))
	b.waitFor("the refreshed page", settledJS)
	b.problemsSoFar()
}

// finish waits a moment for late requests and checks nothing failed.
func (b *browserRun) finish() {
	b.t.Helper()
	b.setStep("end")
	b.do("settle", chromedp.Sleep(300*time.Millisecond))
	b.problemsSoFar()
}

// checkBrandHealth waits until the demo's reviews are scored, runs the
// brand-health check as the hourly schedule would, and, when the demo's
// reviews raise no alert (it injects no incident), saves one made the way
// the monitor makes them, so the inbox has a row with example texts to
// show.
func (n *node) checkBrandHealth(ctx context.Context) {
	n.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var all, scored int64
		_ = n.a.Store.Scan(ctx, "SELECT count(*), count(sentiment) FROM reviews", nil, func(r []any) error {
			all, _ = r[0].(int64)
			scored, _ = r[1].(int64)
			return nil
		})
		if all > 0 && scored == all {
			break
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("after 30 s: %d of %d reviews scored", scored, all)
		}
		time.Sleep(100 * time.Millisecond)
	}
	res, err := n.a.VoC.Run(ctx)
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Logf("brand health: %d texts from %s to %s, %d alerts", res.Texts, res.From.Format(time.DateOnly), res.To.Format(time.DateOnly), len(res.Alerts))
	if res.Texts == 0 {
		n.t.Fatal("the brand-health check read no scored review of the demo")
	}
	open := 0
	for _, a := range res.Alerts {
		if a.Status == health.Open {
			open++
		}
	}
	if open > 0 {
		return
	}
	var examples []health.Example
	_ = n.a.Store.Scan(ctx, `SELECT review_id, body, sentiment_score, CAST(rating AS DOUBLE) FROM reviews
		WHERE sentiment = 'negative' AND body IS NOT NULL ORDER BY sentiment_score, review_id LIMIT 3`, nil, func(r []any) error {
		e := health.Example{}
		e.ID, _ = r[0].(string)
		e.Text, _ = r[1].(string)
		e.Score, _ = r[2].(float64)
		e.Rating, _ = r[3].(float64)
		examples = append(examples, e)
		return nil
	})
	day := res.To.AddDate(0, 0, -1)
	series := "marketplace=amazon_de"
	al := health.Alert{IncidentID: health.IncidentID(series, day), Series: series, Metric: health.MetricNegativeShare,
		Grade: health.Warning, Day: day, Observed: 0.46, Expected: 0.12, Z: 5.3, Count: 24, Negatives: 11, Examples: examples,
		OpenedAt: day, Status: health.Open}
	al.ID = al.IncidentID + "-warning"
	al.Message = "warning: negative share 46% vs expected 12% (11 of 24 texts) on " + day.Format(time.DateOnly) + " in " + series + ", z=5.3"
	if err := n.a.VoC.Save(ctx, []health.Alert{al}); err != nil {
		n.t.Fatal(err)
	}
	n.t.Logf("the demo raised no open alert: saved a test alert on %s with %d examples", series, len(examples))
}

// checkVoCPage checks the voice of the customer shows the demo's reviews:
// reviews scored, the topics with their rating impact, example texts in
// their own language, and that the period, the marketplace of the topics
// and the example filters each reload what they govern.
func (b *browserRun) checkVoCPage(lang string) {
	b.t.Helper()
	p := pageNamed("voc")
	b.visit(p, lang)
	got := evalJS[struct {
		Scored   string   `json:"scored"`
		Topics   int      `json:"topics"`
		Impacts  []string `json:"impacts"`
		Examples int      `json:"examples"`
		Langs    []string `json:"langs"`
		Markets  int      `json:"markets"`
	}](b, `({
		scored: document.querySelector('#v-cards .card .value').textContent,
		topics: document.querySelectorAll('#v-topics tbody tr').length,
		impacts: [...document.querySelectorAll('#v-topics tbody tr')].map(r => r.cells[3].textContent),
		examples: document.querySelectorAll('#v-examples li.review').length,
		langs: [...document.querySelectorAll('#v-examples blockquote[lang]')].map(q => q.getAttribute('lang')),
		markets: document.querySelectorAll('#v-topic-market option').length
	})`)
	if !regexp.MustCompile(`^[1-9][0-9,]*$`).MatchString(got.Scored) {
		b.t.Errorf("voc in %s: reviews scored %q", lang, got.Scored)
	}
	if got.Topics == 0 {
		b.t.Errorf("voc in %s: no topics", lang)
	}
	for _, s := range got.Impacts {
		if !regexp.MustCompile(`^([+-][0-9]\.[0-9]{2}|0\.00|—) (★|星)$|^—$`).MatchString(s) {
			b.t.Errorf("voc in %s: rating impact %q is not a signed number of stars", lang, s)
			break
		}
	}
	if got.Examples == 0 || len(got.Langs) == 0 {
		b.t.Errorf("voc in %s: %d example texts, languages %v", lang, got.Examples, got.Langs)
	}
	if got.Markets < 2 {
		b.t.Errorf("voc in %s: the topics' marketplace list has %d entries", lang, got.Markets)
	}
	// A topic's button shows its example texts.
	topic := evalJS[string](b, `document.querySelector('#v-topics tbody button[data-topic]').getAttribute('data-topic')`)
	b.do("examples of "+topic+" in "+lang, chromedp.Click(chromedp.CSS(`#v-topics tbody button[data-topic]`)))
	b.waitFor("the examples of "+topic, settledJS+` && document.querySelector('#v-ex-topic').value === `+strconv.Quote(topic)+` &&
		!!document.querySelector('#v-examples ul, #v-examples .empty')`)
	b.do("positive examples in "+lang, chromedp.SetValue(chromedp.CSS(`#v-ex-sentiment`), "positive"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#v-ex-sentiment').dispatchEvent(new Event('change'))`))
	b.waitFor("the positive examples", settledJS+` && !!document.querySelector('#v-examples ul, #v-examples .empty')`)
	// Topics of one marketplace.
	b.do("topics of one marketplace in "+lang, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#v-topic-market');
		s.value = s.options[1].value; s.dispatchEvent(new Event('change')) })()`))
	b.waitFor("the marketplace's topics", settledJS+` && !!document.querySelector('#v-topics table, #v-topics .empty')`)
	// The period.
	for _, d := range []string{"30", "365"} {
		b.do("the last "+d+" days in "+lang, chromedp.Click(chromedp.CSS(`#v-days button[data-days="`+d+`"]`)))
		b.waitFor("the last "+d+" days", settledJS+` && document.querySelector('#v-days button[data-days="`+d+`"]').getAttribute('aria-pressed') === 'true' &&
			document.querySelectorAll('#v-cards .card').length === 4`)
	}
	if c := b.check(); len(c.Errors) > 0 || c.Missing {
		b.t.Errorf("voc in %s after the filters: errors %q, missing %v", lang, c.Errors, c.Missing)
	}
	b.screenshot("voc-365-" + map[string]string{"zh-CN": "zh", "en": "en"}[lang])
	b.problemsSoFar()
}

// checkMarketingPage checks the marketing page compares the models per
// channel in a chart and a table, and opens the experiment's results.
func (b *browserRun) checkMarketingPage(lang string) {
	b.t.Helper()
	b.visit(pageNamed("marketing"), lang)
	if !evalJS[bool](b, `!!document.querySelector('#chart-mk-attr canvas') && document.querySelectorAll('#mk-attr thead th').length === 9`) {
		b.t.Errorf("marketing in %s: no attribution chart, or not every model in the table", lang)
	}
	b.do("open the experiment's results in "+lang, chromedp.Click(chromedp.CSS(`#mk-exp tbody button[aria-expanded]`)))
	b.waitFor("the experiment's results", settledJS+` && document.querySelector('#mk-exp tbody button').getAttribute('aria-expanded') === 'true' &&
		!!document.querySelector('#mk-exp-0:not([hidden]) .exp-results, #mk-exp-0:not([hidden]) .alert')`)
	if c := b.check(); len(c.Errors) > 0 || c.Missing {
		b.t.Errorf("marketing in %s with the results: errors %q, missing %v", lang, c.Errors, c.Missing)
	}
	b.screenshot("marketing-results-" + map[string]string{"zh-CN": "zh", "en": "en"}[lang])
	b.problemsSoFar()
}

// checkAlertsPage checks the inbox lists the open alert with its series in
// words and values, opens its details with the example texts, and filters
// by grade and status.
func (b *browserRun) checkAlertsPage(lang string) {
	b.t.Helper()
	b.visit(pageNamed("alerts"), lang)
	got := evalJS[struct {
		Rows   int      `json:"rows"`
		Series []string `json:"series"`
		Grades []string `json:"grades"`
	}](b, `({
		rows: document.querySelectorAll('#al-list tbody tr.alert-row').length,
		series: [...document.querySelectorAll('#al-list tbody tr.alert-row th')].map(e => e.textContent),
		grades: [...document.querySelectorAll('#al-list tbody tr.alert-row .badge')].map(e => e.className)
	})`)
	if got.Rows == 0 {
		b.t.Fatalf("alerts in %s: no open alert listed", lang)
	}
	for _, s := range got.Series {
		if strings.Contains(s, "=") {
			b.t.Errorf("alerts in %s: series %q is not in words", lang, s)
		}
	}
	b.do("open an alert's details in "+lang, chromedp.Click(chromedp.CSS(`#al-list tbody tr.alert-row button[aria-expanded]`)))
	b.waitFor("the alert's details", `document.querySelector('#al-list tbody tr.alert-row button').getAttribute('aria-expanded') === 'true' &&
		!!document.querySelector('#al-list tr.alert-detail-row:not([hidden]) .alert-detail dl')`)
	if n := evalJS[int](b, `document.querySelectorAll('#al-list tr.alert-detail-row:not([hidden]) blockquote').length`); n == 0 {
		b.t.Errorf("alerts in %s: the details show no example text", lang)
	}
	b.screenshot("alerts-detail-" + map[string]string{"zh-CN": "zh", "en": "en"}[lang])
	// Filters: a grade no alert has, then every alert.
	b.do("critical alerts in "+lang, chromedp.SetValue(chromedp.CSS(`#al-grade`), "critical"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#al-grade').dispatchEvent(new Event('change'))`))
	b.waitFor("the critical alerts", settledJS+` && !!document.querySelector('#al-list table, #al-list .empty')`)
	b.do("every alert in "+lang, chromedp.SetValue(chromedp.CSS(`#al-status`), "all"), chromedp.SetValue(chromedp.CSS(`#al-grade`), ""),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#al-status').dispatchEvent(new Event('change'))`))
	b.waitFor("every alert", settledJS+` && document.querySelectorAll('#al-list tbody tr.alert-row').length >= `+strconv.Itoa(got.Rows))
	if c := b.check(); len(c.Errors) > 0 || c.Missing {
		b.t.Errorf("alerts in %s after the filters: errors %q, missing %v", lang, c.Errors, c.Missing)
	}
	b.problemsSoFar()
}

// checkNow runs the brand-health check from the voice of the customer
// page, which says how many texts it read and links to the alerts.
func (b *browserRun) checkNow() {
	b.t.Helper()
	b.visit(pageNamed("voc"), "en")
	b.do("check now", chromedp.Click(chromedp.CSS(`#v-check`)))
	b.waitFor("the check's result", settledJS+` && (() => { const n = document.querySelector('#v-note');
		return n && !n.hidden && (n.classList.contains('alert-ok') || n.classList.contains('alert-warn')) && /Checked [1-9]/.test(n.textContent) })()`)
	b.screenshot("voc-checked-en")
	b.problemsSoFar()
}

// pageNamed is the page of dashPages with that name.
func pageNamed(name string) dashPage {
	for _, p := range dashPages {
		if p.name == name {
			return p
		}
	}
	panic("no page " + name)
}

// tablet opens the voice of the customer and the alerts at a tablet's
// width (portrait, 820 px): one column, nothing wider than the screen.
func (b *browserRun) tablet() {
	b.t.Helper()
	b.do("tablet viewport", chromedp.EmulateViewport(820, 1180))
	for _, name := range []string{"voc", "alerts"} {
		b.visit(pageNamed(name), "en")
		if w := evalJS[int](b, `document.documentElement.scrollWidth`); w > 820 {
			b.t.Errorf("%s on a tablet: the page is %d px wide, the screen 820", name, w)
		}
		b.screenshot(name + "-tablet-en")
	}
	b.do("laptop viewport", chromedp.EmulateViewport(1366, 900))
	b.problemsSoFar()
}

// checkCompliancePage checks a Chinese text with an absolute claim (最好)
// for China: the verdict is block, the finding names the Advertising Law
// rule with its reason in the page's language, and the rules of China are
// listed.
func (b *browserRun) checkCompliancePage(lang string) {
	b.t.Helper()
	b.visit(pageNamed("compliance"), lang)
	b.do("check a Chinese text for China in "+lang,
		chromedp.SetValue(chromedp.CSS(`#cc-country`), "CN"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#cc-country').dispatchEvent(new Event('change'))`),
		chromedp.SetValue(chromedp.CSS(`#cc-channel`), "ad"),
		chromedp.SendKeys(chromedp.CSS(`#cc-text`), "这是全网最好的耳机，立即购买！"),
		chromedp.Click(chromedp.CSS(`#cc-check`)))
	b.waitFor("the verdict", settledJS+` && !!document.querySelector('#cc-verdict .badge-bad') && !!document.querySelector('#cc-findings table') &&
		[...document.querySelectorAll('#cc-rules tbody code')].some(c => c.textContent === 'cn-adlaw-absolute-terms')`)
	got := evalJS[struct {
		Rules   []string `json:"rules"`
		Reasons []string `json:"reasons"`
		Matches []string `json:"matches"`
	}](b, `({
		rules: [...document.querySelectorAll('#cc-findings tbody code')].map(e => e.textContent),
		reasons: [...document.querySelectorAll('#cc-findings tbody tr')].map(r => r.cells[1].textContent),
		matches: [...document.querySelectorAll('#cc-findings tbody mark')].map(e => e.textContent)
	})`)
	found := false
	for i, r := range got.Rules {
		if r != "cn-adlaw-absolute-terms" {
			continue
		}
		found = true
		want := map[string]string{"zh-CN": "广告", "en": "Advertising Law"}[lang]
		if !strings.Contains(got.Reasons[i], want) {
			b.t.Errorf("compliance in %s: the reason %q is not in the page's language (want %q in it)", lang, got.Reasons[i], want)
		}
	}
	if !found || !strings.Contains(strings.Join(got.Matches, " "), "最") {
		b.t.Errorf("compliance in %s: findings %v, matches %v: want cn-adlaw-absolute-terms on 最好", lang, got.Rules, got.Matches)
	}
	if c := b.check(); len(c.Errors) > 0 || c.Missing {
		b.t.Errorf("compliance in %s: errors %q, missing %v", lang, c.Errors, c.Missing)
	}
	b.screenshot("compliance-cn-" + map[string]string{"zh-CN": "zh", "en": "en"}[lang])
	b.problemsSoFar()
}

// runJourney uses the journeys page as a marketer does: it dry-runs the
// editor's example (an abandoned-checkout reminder) on a sample of the
// demo's customers and sees the outcomes per person, saves it (a draft,
// listed), starts it (active, here and in the API), pauses it, and creates
// a webhook destination whose secret the page shows once. Then the test's
// buyer goes through a journey, and its delivery log and the buyer's
// Messages panel show what was sent and what was skipped.
func (b *browserRun) runJourney(n *node) {
	b.t.Helper()
	b.visit(pageNamed("journeys"), "en")
	b.do("dry-run the example", chromedp.Click(chromedp.CSS(`#j-dry`)))
	b.waitFor("the dry run's outcomes", settledJS+` && !!document.querySelector('#j-dry-outcomes table') &&
		document.querySelectorAll('#j-dry-people tbody tr').length > 0`)
	got := evalJS[struct {
		Title    string   `json:"title"`
		People   int      `json:"people"`
		Outcomes []string `json:"outcomes"`
	}](b, `({
		title: document.querySelector('#j-dry-result h3').textContent,
		people: document.querySelectorAll('#j-dry-people tbody tr').length,
		outcomes: [...document.querySelectorAll('#j-dry-outcomes tbody tr')].map(r => r.cells[0].textContent + ' = ' + r.cells[1].textContent)
	})`)
	if got.Title != "Dry run on 20 customers" || got.People != 20 {
		b.t.Errorf("dry run: %q with %d people, want 20 of the demo's customers", got.Title, got.People)
	}
	if !strings.Contains(strings.Join(got.Outcomes, "\n"), "E-mail") {
		b.t.Errorf("dry run: outcomes %q say nothing of the e-mail step", got.Outcomes)
	}
	b.t.Logf("dry run outcomes: %q", got.Outcomes)
	if c := b.check(); len(c.Errors) > 0 || c.Missing {
		b.t.Errorf("dry run: errors %q, missing %v", c.Errors, c.Missing)
	}
	b.screenshot("journeys-dry-run-en")

	b.do("save the journey", chromedp.Click(chromedp.CSS(`#j-save`)))
	b.waitFor("the saved journey", settledJS+` && (() => { const n = document.querySelector('#j-editor-note'); return n && !n.hidden && n.classList.contains('alert-ok') })() &&
		!!document.querySelector('#j-list a.j-open[data-id="abandoned-checkout"]') && !document.querySelector('#j-detail').hidden &&
		document.querySelector('#j-status .badge').textContent === 'Draft' && location.pathname === '/journeys/abandoned-checkout'`)
	// The buttons are pressed with the keyboard's Enter (a focused button),
	// so a scroll in flight cannot move them under the pointer.
	b.do("start the journey", chromedp.Focus(chromedp.CSS(`#j-start`)), chromedp.KeyEvent("\r"))
	b.waitFor("the started journey", settledJS+` && document.querySelector('#j-status .badge').textContent === 'Active' &&
		[...document.querySelectorAll('#j-list tbody tr')].some(r => r.textContent.includes('Abandoned checkout') && r.querySelector('.badge').textContent === 'Active') &&
		!document.querySelector('#j-start:not([hidden])') && !!document.querySelector('#j-pause:not([hidden])')`)
	if code, m := n.admin("GET", "/v1/journeys/abandoned-checkout", nil); code != 200 || m["status"] != "active" {
		b.t.Errorf("after Start on the page, the API says %d %v", code, m["status"])
	}
	// Opened by its address, the journey shows its definition, tallies,
	// the treatment-vs-control chart, steps, deliveries and dead letters.
	b.navigate("/journeys/abandoned-checkout")
	b.waitFor("the journey's page", settledJS+` && !document.querySelector('#j-detail').hidden && document.querySelectorAll('#j-cards .card').length === 5 &&
		document.querySelectorAll('#j-def ol.flow li').length === 5 && !!document.querySelector('#chart-j-arms canvas') &&
		document.querySelectorAll('#j-steps tbody tr').length === 5 && !!document.querySelector('#j-deliveries table, #j-deliveries .empty') &&
		!!document.querySelector('#j-dead table, #j-dead .empty')`)
	if c := b.check(); len(c.Errors) > 0 || c.Missing || c.Current != "Journeys" {
		b.t.Errorf("journey page: errors %q, missing %v, current %q", c.Errors, c.Missing, c.Current)
	}
	b.screenshot("journey-active-en")
	b.do("pause the journey", chromedp.Focus(chromedp.CSS(`#j-pause`)), chromedp.KeyEvent("\r"))
	b.waitFor("the paused journey", settledJS+` && document.querySelector('#j-status .badge').textContent === 'Paused' &&
		document.querySelector('#j-start').textContent === 'Resume'`)

	// A webhook destination: its secret is shown once.
	b.do("create a destination",
		chromedp.SendKeys(chromedp.CSS(`#j-dest-name`), "crm"),
		chromedp.SendKeys(chromedp.CSS(`#j-dest-url`), "https://crm.example/hooks/tradewind"),
		chromedp.Click(chromedp.CSS(`#j-dest-form button[type=submit]`)))
	b.waitFor("the destination's secret", settledJS+` && /^whsec_/.test((document.querySelector('#j-dest-secret .secret') || {}).textContent || '') &&
		[...document.querySelectorAll('#j-dests tbody code')].some(c => c.textContent === 'crm')`)
	if list := evalJS[string](b, `document.querySelector('#j-dests').textContent`); strings.Contains(list, "whsec_") {
		b.t.Error("the destinations list shows a secret")
	}
	b.screenshot("journeys-destination-en")
	b.problemsSoFar()

	// A journey the test's buyer goes through (an e-mail, which cannot go:
	// no consent, no SMTP server; then a team notice): its delivery log and
	// dead letters, and the Messages panel of the buyer's customer page,
	// show both steps with their status and reason.
	def := map[string]any{"id": "browser-ping", "name": "Browser ping", "trigger": map[string]any{"type": "event", "event": "Browser Ping"},
		"steps": []any{
			map[string]any{"id": "hello", "type": "email", "template": map[string]any{"default_locale": "en",
				"variants": map[string]any{"en": map[string]any{"subject": "Hello", "text": "Thanks for your order."}}}},
			map[string]any{"id": "tell-team", "type": "notify", "message": "The browser test's buyer pinged."},
		},
		"reentry": map[string]any{"mode": "always"}}
	if code, m := n.admin("POST", "/v1/journeys", def); code != 201 {
		b.t.Fatalf("create journey browser-ping: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/journeys/browser-ping/start", nil); code != 200 {
		b.t.Fatalf("start journey browser-ping: %d %v", code, m)
	}
	src, _ := n.a.Sources.ByID("web")
	req, _ := http.NewRequest("POST", n.srv.URL+"/v1/track", strings.NewReader(`{"userId":"`+browserBuyerID+`","event":"Browser Ping","timestamp":"`+
		time.Now().UTC().Format(time.RFC3339Nano)+`"}`))
	req.Header.Set("Authorization", basic(src.WriteKey))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.t.Fatalf("track Browser Ping: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, m := n.admin("GET", "/v1/journeys/browser-ping/deliveries", nil)
		if ds, _ := m["deliveries"].([]any); code == 200 && len(ds) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("after 30 s the buyer's journey has delivered %d %v", code, m)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.navigate("/journeys/browser-ping")
	b.waitFor("the journey's delivery log", settledJS+` && document.querySelectorAll('#j-deliveries tbody tr').length >= 2`)
	b.screenshot("journey-deliveries-en")
	// Without an SMTP server the e-mail ends as a dead letter: replay it
	// from the page.
	if evalJS[int](b, `document.querySelectorAll('#j-dead tbody button').length`) > 0 {
		b.do("replay a dead letter", chromedp.Focus(chromedp.CSS(`#j-dead tbody button`)), chromedp.KeyEvent("\r"))
		b.waitFor("the replayed dead letter", settledJS+` && (() => { const n = document.querySelector('#j-note');
			return n && !n.hidden && n.classList.contains('alert-ok') && n.textContent.includes('queued again') })()`)
		b.screenshot("journey-replayed-en")
	}
	b.loadAfter("open the buyer from the delivery log", chromedp.Click(chromedp.CSS(`#j-deliveries tbody a[href^="/customers/"]`)))
	b.waitFor("the buyer's messages", settledJS+` && location.pathname.startsWith('/customers/') && document.querySelectorAll('#c-messages tbody tr').length >= 2`)
	msgs := evalJS[[]string](b, `[...document.querySelectorAll('#c-messages tbody tr')].map(r => [...r.cells].map(c => c.textContent).join(' | '))`)
	var mail, notice bool
	for _, m := range msgs {
		// The e-mail is not sent (no consent, no SMTP server): its row says why.
		mail = mail || strings.Contains(m, "browser-ping") && strings.Contains(m, "hello") && !strings.Contains(m, "Delivered") && !strings.HasSuffix(m, "| —")
		notice = notice || strings.Contains(m, "tell-team") && strings.Contains(m, "Delivered")
	}
	if !mail || !notice {
		b.t.Errorf("the buyer's messages %q: want the e-mail not sent, with its reason, and the team notice delivered", msgs)
	}
	b.t.Logf("the buyer's messages: %q", msgs)
	if c := b.check(); len(c.Errors) > 0 || c.Missing {
		b.t.Errorf("the buyer's page: errors %q, missing %v", c.Errors, c.Missing)
	}
	b.screenshot("customer-messages-en")
	b.problemsSoFar()
}
