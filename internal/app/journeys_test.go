package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/deliver"
	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/testmail"
)

// hookReceiver is a real HTTP receiver that checks signatures.
type hookReceiver struct {
	mu     sync.Mutex
	secret []byte
	ids    []string
	bodies []map[string]any
	bad    int
	srv    *httptest.Server
	delay  time.Duration
	status int
}

func startReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{status: 200}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		secret, delay, status := h.secret, h.delay, h.status
		h.mu.Unlock()
		time.Sleep(delay)
		if err := deliver.Verify(secret, r.Header.Get(deliver.HeaderSignature), body, time.Now(), time.Minute); err != nil {
			h.mu.Lock()
			h.bad++
			h.mu.Unlock()
			w.WriteHeader(400)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		h.mu.Lock()
		h.ids = append(h.ids, r.Header.Get(deliver.HeaderID))
		h.bodies = append(h.bodies, m)
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) received() ([]string, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string{}, h.ids...), h.bad
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAbandonedCheckoutJourney is issue 9's acceptance: an abandoned
// checkout produces exactly one localised e-mail and one signed webhook,
// through a real SMTP server and a real HTTP receiver; a checkout followed
// by its order produces nothing; the delivery log and the stats say so.
func TestAbandonedCheckoutJourney(t *testing.T) {
	box := testmail.Start(t)
	hook := startReceiver(t)
	n := openNode(t, Config{Actions: ActionsConfig{SMTPURL: "smtp+plain://" + box.Addr, MailFrom: "Shop <news@shop.example>",
		PublicURL: "https://shop.example", PostalAddress: "Shop GmbH, 100 Main Street, Springfield, IL 62701",
		AllowPrivateWebhooks: true}})
	_, key := n.createSource("Shop", "EUR")

	code, dest := n.admin("POST", "/v1/destinations", map[string]any{"name": "crm", "url": hook.srv.URL})
	if code != 201 || !strings.HasPrefix(dest["secret"].(string), "whsec_") {
		t.Fatalf("destination: %d %v", code, dest)
	}
	hook.mu.Lock()
	hook.secret = []byte(dest["secret"].(string))
	hook.mu.Unlock()
	if code, list := n.admin("GET", "/v1/destinations", nil); code != 200 || strings.Contains(fmt.Sprint(list), "whsec_") {
		t.Fatalf("a listing must not show the secret: %d %v", code, list)
	}

	def := map[string]any{
		"name":    "Abandoned checkout",
		"trigger": map[string]any{"type": "abandoned_checkout", "hours": 0.0005},
		"steps": []any{
			map[string]any{"id": "mail", "type": "email", "template": map[string]any{"default_locale": "en", "variants": map[string]any{
				"en": map[string]any{"subject": "You left something, {{.first_name}}", "text": "Your cart is waiting."},
				"de": map[string]any{"subject": "Ihr Warenkorb wartet, {{.first_name}}", "text": "Sie haben etwas vergessen.",
					"html": "<p>Hallo {{.first_name}}</p>"},
			}}},
			map[string]any{"id": "crm", "type": "webhook", "destination": "crm"},
		},
		"goal":    map[string]any{"event": "Order Completed", "within": "7d"},
		"consent": "required",
	}
	if code, m := n.admin("POST", "/v1/journeys", def); code != 201 {
		t.Fatalf("create journey: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/journeys/abandoned-checkout/start", nil); code != 200 || m["status"] != "active" {
		t.Fatalf("start: %d %v", code, m)
	}

	send := func(body map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		if code, m := n.do("POST", "/v1/"+body["type"].(string), basic(key), b, nil); code != 200 {
			t.Fatalf("%v: %d %v", body["type"], code, m)
		}
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	// Anna abandons her checkout; Ben orders within the window.
	send(map[string]any{"type": "identify", "userId": "anna", "timestamp": now, "traits": map[string]any{
		"email": "anna@example.de", "firstName": "Anna", "locale": "de-DE", "email_opt_in": true,
		"address": map[string]any{"country": "DE"}}})
	send(map[string]any{"type": "identify", "userId": "ben", "timestamp": now, "traits": map[string]any{
		"email": "ben@example.com", "firstName": "Ben", "email_opt_in": true}})
	send(map[string]any{"type": "track", "userId": "anna", "event": "Checkout Started", "timestamp": now,
		"properties": map[string]any{"value": "59.90", "currency": "EUR"}})
	send(map[string]any{"type": "track", "userId": "ben", "event": "Checkout Started", "timestamp": now})
	send(map[string]any{"type": "track", "userId": "ben", "event": "Order Completed", "timestamp": now,
		"properties": map[string]any{"order_id": "o-1", "total": "20.00", "currency": "EUR"}})

	defer func() {
		if t.Failed() {
			_, st := n.admin("GET", "/v1/journeys/abandoned-checkout/stats", nil)
			_, dead := n.admin("GET", "/v1/journeys/abandoned-checkout/deliveries", nil)
			t.Logf("stats %v\ndead letters %v\napplied %d, profiles %d", st, dead, n.a.Journeys.Applied(), n.a.Profiles.Applied())
		}
	}()
	waitFor(t, "one e-mail and one webhook", 30*time.Second, func() bool {
		ids, _ := hook.received()
		return len(box.Messages()) >= 1 && len(ids) >= 1
	})
	// Nothing more comes: Ben recovered, and nobody is sent twice.
	time.Sleep(2 * time.Second)
	msgs := box.Messages()
	ids, bad := hook.received()
	if len(msgs) != 1 || len(ids) != 1 || bad != 0 {
		t.Fatalf("%d e-mails, %d webhooks (%d with bad signatures), want exactly one each", len(msgs), len(ids), bad)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(msgs[0]))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != "Ihr Warenkorb wartet, Anna" {
		t.Errorf("subject %q, want the German variant personalised", subject)
	}
	if to := msg.Header.Get("To"); !strings.Contains(to, "anna@example.de") {
		t.Errorf("to %q", to)
	}
	if lu := msg.Header.Get("List-Unsubscribe"); !strings.Contains(lu, "https://shop.example/u/") {
		t.Errorf("List-Unsubscribe %q", lu)
	}
	if msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", msg.Header.Get("List-Unsubscribe-Post"))
	}
	// The Message-ID and the webhook's id are the same idempotency key.
	if mid := msg.Header.Get("Message-Id"); !strings.HasPrefix(mid, "<act_") {
		t.Errorf("Message-ID %q", mid)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	parts := 0
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		if _, err := mr.NextPart(); err != nil {
			break
		}
		parts++
	}
	if parts != 2 {
		t.Errorf("%d MIME parts, want text and HTML", parts)
	}
	if !strings.HasPrefix(ids[0], "act_") {
		t.Errorf("webhook id %q", ids[0])
	}
	hook.mu.Lock()
	body := hook.bodies[0]
	hook.mu.Unlock()
	if body["journey"] != "abandoned-checkout" || body["step"] != "crm" || body["profile_id"] == "" {
		t.Errorf("webhook body %v", body)
	}

	// Stats: two watched, one recovered, one entered the treatment (no
	// control group), both actions delivered.
	code, st := n.admin("GET", "/v1/journeys/abandoned-checkout/stats", nil)
	if code != 200 {
		t.Fatalf("stats: %d %v", code, st)
	}
	c := st["counters"].(map[string]any)
	if c["recovered_none"] != 1.0 || c["entered_treatment"] != 1.0 || c["delivered:mail"] != 1.0 || c["delivered:crm"] != 1.0 {
		t.Errorf("counters %v", c)
	}
	pid := body["profile_id"].(string)
	code, dl := n.admin("GET", "/v1/profiles/"+pid+"/deliveries", nil)
	if code != 200 || len(dl["deliveries"].([]any)) != 2 {
		t.Fatalf("deliveries: %d %v", code, dl)
	}
	for _, d := range dl["deliveries"].([]any) {
		if d := d.(map[string]any); d["status"] != "delivered" {
			t.Errorf("delivery %v", d)
		}
	}

	// The unsubscribe link works once signed, refuses a forged one, and
	// stops further e-mail.
	lu := msg.Header.Get("List-Unsubscribe")
	link := lu[strings.Index(lu, "https://shop.example")+len("https://shop.example") : strings.Index(lu, ">")]
	if code, _ := n.do("POST", link+"x", "", nil, nil); code != 400 {
		t.Errorf("forged unsubscribe: %d", code)
	}
	if code, _ := n.do("POST", link, "", nil, nil); code != 200 {
		t.Errorf("unsubscribe: %d", code)
	}
	if why, ok := n.a.Journeys.Suppressed(pid, "email"); !ok {
		t.Errorf("not suppressed after unsubscribing (%q)", why)
	}
	// The refusal is the person's consent decision now.
	code, cons := n.admin("GET", "/v1/consent?user_id=anna&source="+n.a.SourceList()[0].ID, nil)
	if code != 200 || fmt.Sprint(cons["current"].(map[string]any)["email"].(map[string]any)["granted"]) != "false" {
		t.Errorf("consent after unsubscribing: %d %v", code, cons)
	}
	// An expired link does nothing.
	old := n.a.UnsubscribeToken(pid, "email", time.Now().Add(-time.Hour))
	if code, _ := n.do("POST", "/u/"+old, "", nil, nil); code != 400 {
		t.Errorf("expired unsubscribe link: %d", code)
	}
}

func TestParseCaps(t *testing.T) {
	caps, err := parseCaps("1/24h, 3/7d")
	if err != nil || len(caps) != 2 || caps[0].Max != 1 || caps[0].Window != 24*time.Hour || caps[1].Window != 7*24*time.Hour {
		t.Fatalf("%v %v", caps, err)
	}
	for _, bad := range []string{"1", "0/1d", "x/1d", "2/soon"} {
		if _, err := parseCaps(bad); err == nil || !strings.Contains(err.Error(), "N/WINDOW") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestFailingDestinationIsolatedAndProfileActions checks that a slow,
// failing webhook destination does not hold up another (every delivery to
// the healthy one lands while the failing one has not even been tried for
// everyone), and that profile actions reach the profile through the log:
// a trait set, and membership of a list segment.
func TestFailingDestinationIsolatedAndProfileActions(t *testing.T) {
	const people = 30
	slow, fast := startReceiver(t), startReceiver(t)
	var slowTries atomic.Int64
	slow.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowTries.Add(1)
		time.Sleep(300 * time.Millisecond)
		w.WriteHeader(503)
	})
	n := openNode(t, Config{Actions: ActionsConfig{AllowPrivateWebhooks: true}})
	_, key := n.createSource("Shop", "EUR")
	for name, h := range map[string]*hookReceiver{"slow": slow, "fast": fast} {
		code, d := n.admin("POST", "/v1/destinations", map[string]any{"name": name, "url": h.srv.URL, "concurrency": 1})
		if code != 201 {
			t.Fatalf("destination %s: %d %v", name, code, d)
		}
		h.mu.Lock()
		h.secret = []byte(d["secret"].(string))
		h.mu.Unlock()
	}
	def := map[string]any{"name": "Welcome", "trigger": map[string]any{"type": "event", "event": "Signed Up"},
		"steps": []any{
			map[string]any{"id": "to-slow", "type": "webhook", "destination": "slow"},
			map[string]any{"id": "to-fast", "type": "webhook", "destination": "fast"},
			map[string]any{"id": "list", "type": "add_to_segment", "segment": "welcomed"},
			map[string]any{"id": "mark", "type": "set_trait", "trait": "welcome_journey", "value": "done"},
		}}
	if code, m := n.admin("POST", "/v1/journeys", def); code != 201 {
		t.Fatalf("journey: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/journeys/welcome/start", nil); code != 200 {
		t.Fatalf("start: %d %v", code, m)
	}
	var sb strings.Builder
	sb.WriteString(`{"batch":[`)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for i := 0; i < people; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"type":"track","userId":"p%d","event":"Signed Up","timestamp":%q}`, i, now)
	}
	sb.WriteString(`]}`)
	if code, m := n.do("POST", "/v1/batch", basic(key), []byte(sb.String()), nil); code != 200 {
		t.Fatalf("batch: %d %v", code, m)
	}
	waitFor(t, "every delivery to the healthy destination", 60*time.Second, func() bool {
		ids, _ := fast.received()
		return len(ids) == people
	})
	if tried := slowTries.Load(); tried >= people {
		t.Errorf("the failing destination was tried %d times before the healthy one finished: it held it up", tried)
	}
	// Profile actions: the list segment and the trait.
	waitFor(t, "the list segment's members", 30*time.Second, func() bool {
		_, m := n.admin("GET", "/v1/segments/welcomed/members?limit=100", nil)
		ms, _ := m["members"].([]any)
		return len(ms) == people
	})
	pid, err := n.a.Profiles.Lookup(identity.ID{Kind: identity.User, NS: n.a.SourceList()[0].ID, Value: "p0"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := n.a.Profiles.Profile(pid, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if string(v.Traits["welcome_journey"]) != `"done"` {
		t.Errorf("trait welcome_journey = %s", v.Traits["welcome_journey"])
	}
	// The failing destination's actions are still being retried, not lost.
	_, st := n.admin("GET", "/v1/journeys/welcome/stats", nil)
	if st["outbox"].(float64) == 0 && st["dead"].(float64) == 0 {
		t.Errorf("the failing destination's actions vanished: %v", st)
	}
}

// TestSuppressionList: an address put on the suppression list before its
// person is known gets no e-mail, bad entries are refused naming the field,
// and the list keeps the address only as its token.
func TestSuppressionList(t *testing.T) {
	box := testmail.Start(t)
	n := openNode(t, Config{Actions: ActionsConfig{SMTPURL: "smtp+plain://" + box.Addr, MailFrom: "shop@shop.example",
		PublicURL: "https://shop.example", PostalAddress: "Shop Inc., 100 Main Street, Springfield, IL 62701"}})
	_, key := n.createSource("Shop", "EUR")
	for body, field := range map[string]string{
		`{"entries":[{"email":"not an address"}]}`:               "entries[0].email",
		`{"entries":[{"email":"a@b.example","profile_id":"p"}]}`: "entries[0]",
		`{"entries":[{"email":"a@b.example","channel":"fax"}]}`:  "entries[0].channel",
		`{"entries":[]}`: "entries",
	} {
		code, m := n.do("POST", "/v1/suppressions", "Bearer "+n.token, []byte(body), nil)
		if code != 400 || m["field"] != field {
			t.Errorf("%s: %d %v, want 400 naming %s", body, code, m, field)
		}
	}
	if code, m := n.admin("POST", "/v1/suppressions", map[string]any{"entries": []any{
		map[string]any{"email": " Bounced@Example.com ", "reason": "hard bounce"}}}); code != 200 || m["added"] != 1.0 {
		t.Fatalf("suppress: %d %v", code, m)
	}
	_, list := n.admin("GET", "/v1/suppressions", nil)
	if s := fmt.Sprint(list); strings.Contains(strings.ToLower(s), "bounced@example.com") || !strings.Contains(s, "email:") {
		t.Errorf("the list shows %s", s)
	}
	def := map[string]any{"name": "Hello", "trigger": map[string]any{"type": "event", "event": "Signed Up"}, "consent": "unless_refused",
		"steps": []any{map[string]any{"id": "mail", "type": "email", "template": map[string]any{"variants": map[string]any{
			"en": map[string]any{"subject": "Hello", "text": "Welcome."}}}}}}
	if code, m := n.admin("POST", "/v1/journeys", def); code != 201 {
		t.Fatalf("journey: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/journeys/hello/start", nil); code != 200 {
		t.Fatalf("start: %d %v", code, m)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for user, email := range map[string]string{"ok": "fine@example.com", "bounced": "bounced@example.com"} {
		b, _ := json.Marshal(map[string]any{"batch": []any{
			map[string]any{"type": "identify", "userId": user, "timestamp": now, "traits": map[string]any{"email": email}},
			map[string]any{"type": "track", "userId": user, "event": "Signed Up", "timestamp": now}}})
		if code, m := n.do("POST", "/v1/batch", basic(key), b, nil); code != 200 {
			t.Fatalf("batch: %d %v", code, m)
		}
	}
	waitFor(t, "both deliveries recorded", 30*time.Second, func() bool {
		_, st := n.admin("GET", "/v1/journeys/hello/stats", nil)
		c, _ := st["counters"].(map[string]any)
		return c["delivered:mail"] == 1.0 && c["skipped:mail"] == 1.0
	})
	msgs := box.Messages()
	if len(msgs) != 1 || !strings.Contains(string(msgs[0]), "fine@example.com") {
		t.Fatalf("%d e-mails", len(msgs))
	}
	_, dl := n.admin("GET", "/v1/journeys/hello/deliveries", nil)
	if !strings.Contains(fmt.Sprint(dl), "suppressed: hard bounce") {
		t.Errorf("deliveries %v", dl)
	}
	if code, m := n.admin("DELETE", "/v1/suppressions", map[string]any{"entries": []any{map[string]any{"email": "bounced@example.com"}}}); code != 200 || m["removed"] != 1.0 {
		t.Errorf("unsuppress: %d %v", code, m)
	}
	if _, list := n.admin("GET", "/v1/suppressions", nil); len(list["suppressions"].([]any)) != 0 {
		t.Errorf("after removing: %v", list)
	}
}

// TestDemoJourneysPassTheirChecks: the demo's journeys are valid, pass the
// content check for the countries their variants go to (with the demo's
// postal address), and start.
func TestDemoJourneysPassTheirChecks(t *testing.T) {
	n := openNode(t, Config{Actions: ActionsConfig{PostalAddress: DemoPostalAddress}})
	ctx := context.Background()
	count, err := n.a.SeedDemoJourneys(ctx)
	if err != nil || count != len(demoJourneys()) {
		t.Fatalf("%d journeys, %v", count, err)
	}
	if again, err := n.a.SeedDemoJourneys(ctx); again != 0 || err != nil {
		t.Errorf("seeding twice defined %d more (%v)", again, err)
	}
	for _, j := range n.a.Journeys.Journeys() {
		if j.Trigger.Type == "alert" {
			if j.Status != "active" {
				t.Errorf("%s is %s, want active", j.ID, j.Status)
			}
			continue
		}
		code, m := n.admin("POST", "/v1/journeys/"+j.ID+"/start", nil)
		if code != 200 {
			t.Errorf("start %s: %d %v", j.ID, code, m)
			continue
		}
		if w := m["warnings"].([]any); len(w) != 0 {
			t.Errorf("%s: warnings %v", j.ID, w)
		}
	}
	if _, ok := n.a.Profiles.Segment("journey_win_back_high_churn_risk_trigger"); !ok {
		t.Error("the prediction trigger's segment was not made")
	}
}

// TestInternalWebhookDestinationsRefused: without --webhook-allow-private,
// a destination on a loopback, private or link-local address is refused
// when it is defined, naming the field.
func TestInternalWebhookDestinationsRefused(t *testing.T) {
	n := openNode(t, Config{})
	for _, u := range []string{"http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data", "https://10.0.0.7/x",
		"http://localhost:8080/", "http://[::1]/h"} {
		code, m := n.admin("POST", "/v1/destinations", map[string]any{"name": "internal", "url": u})
		if code != 400 || m["field"] != "url" {
			t.Errorf("%s: %d %v, want 400 naming url", u, code, m)
		}
	}
	if code, m := n.admin("POST", "/v1/destinations", map[string]any{"name": "crm", "url": "https://crm.example/hooks"}); code != 201 {
		t.Errorf("a public destination: %d %v", code, m)
	}
}

// TestResendPastTheLogWindowTriggersOnce: an SDK that resends an event
// after JetStream's duplicate window (here 200 ms) gets a new log
// sequence; the profile engine skips it, and a journey that lets people
// re-enter must not act on it either. A new event (another messageId)
// does re-enter: the first resend's silence is the deduplication's.
func TestResendPastTheLogWindowTriggersOnce(t *testing.T) {
	hook := startReceiver(t)
	n := openNode(t, Config{LogDuplicateWindow: 200 * time.Millisecond, Actions: ActionsConfig{AllowPrivateWebhooks: true}})
	_, key := n.createSource("Shop", "EUR")
	code, dest := n.admin("POST", "/v1/destinations", map[string]any{"name": "crm", "url": hook.srv.URL})
	if code != 201 {
		t.Fatalf("destination: %d %v", code, dest)
	}
	hook.mu.Lock()
	hook.secret = []byte(dest["secret"].(string))
	hook.mu.Unlock()
	def := map[string]any{
		"name":    "Welcome",
		"trigger": map[string]any{"type": "event", "event": "Signed Up"},
		"reentry": map[string]any{"mode": "always"},
		"steps":   []any{map[string]any{"id": "crm", "type": "webhook", "destination": "crm"}},
	}
	if code, m := n.admin("POST", "/v1/journeys", def); code != 201 {
		t.Fatalf("create journey: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/journeys/welcome/start", nil); code != 200 {
		t.Fatalf("start: %d %v", code, m)
	}
	send := func(id string) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"type": "track", "userId": "dan", "event": "Signed Up", "messageId": id,
			"timestamp": time.Now().UTC().Format(time.RFC3339Nano)})
		if code, m := n.do("POST", "/v1/track", basic(key), b, nil); code != 200 {
			t.Fatalf("track: %d %v", code, m)
		}
	}
	webhooks := func() int {
		ids, _ := hook.received()
		return len(ids)
	}
	send("signup-1")
	waitFor(t, "the first webhook", 30*time.Second, func() bool { return webhooks() >= 1 })
	time.Sleep(time.Second) // past the log's window: the resend is a new log message
	send("signup-1")
	last, err := n.a.Log.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the journeys to read the resend", 30*time.Second, func() bool { return n.a.Journeys.Applied() >= last })
	time.Sleep(2 * time.Second)
	if got := webhooks(); got != 1 {
		t.Fatalf("%d webhooks after a resend past the log's window, want 1", got)
	}
	send("signup-2")
	waitFor(t, "the re-entry's webhook", 30*time.Second, func() bool { return webhooks() >= 2 })
}
