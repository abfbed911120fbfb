package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/compliance"
	"github.com/tradewind/tradewind/internal/deliver"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/journey"
	"github.com/tradewind/tradewind/internal/privacy"
	"github.com/tradewind/tradewind/internal/realtime"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/sendtime"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/duckdb"
)

// ActionsConfig configures journeys and their deliveries.
type ActionsConfig struct {
	// SMTPURL is smtp://user:pass@host:587 (STARTTLS), smtps://…:465
	// (implicit TLS) or smtp+plain://host:25 (no TLS, localhost relays
	// only); empty sends no e-mail.
	SMTPURL string
	// MailFrom is the sender of journey e-mails.
	MailFrom string
	// PublicURL is where people reach this node (unsubscribe links).
	PublicURL string
	// HolidaysDir holds public holidays per country (XX_*.json); empty
	// knows none.
	HolidaysDir string
	// QuietHours is "21:00-09:00" in each person's zone ("" none).
	QuietHours string
	// AvoidHolidays holds person-facing messages on public holidays of
	// the person's country.
	AvoidHolidays bool
	// ComplianceRules is an extra rules directory for content checks.
	ComplianceRules string
	// PostalAddress is the sender's postal address for e-mail footers.
	PostalAddress string
	// EmailCaps are the frequency caps per person, "1/24h,3/7d"; empty
	// keeps the engine's default (the same).
	EmailCaps string
	// AllowPrivateWebhooks lets webhook destinations be internal addresses.
	AllowPrivateWebhooks bool
}

// parseCaps reads "1/24h,3/7d": at most N messages per window.
func parseCaps(s string) ([]journey.Cap, error) {
	var out []journey.Cap
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, w, ok := strings.Cut(part, "/")
		max, err1 := strconv.Atoi(strings.TrimSpace(n))
		win, err2 := journey.ParseDuration(w)
		if !ok || err1 != nil || err2 != nil || max < 1 || win <= 0 {
			return nil, fmt.Errorf("e-mail caps: %q is not N/WINDOW, e.g. 1/24h or 3/7d", part)
		}
		out = append(out, journey.Cap{Max: max, Window: win})
	}
	return out, nil
}

// openActions sets up the journey engine over the profile engine, the
// privacy service and the event log.
func (a *App) openActions(ctx context.Context) error {
	ac := a.Cfg.Actions
	var mailer *deliver.Mailer
	if ac.SMTPURL != "" {
		m, err := parseSMTPURL(ac.SMTPURL, ac.MailFrom)
		if err != nil {
			return err
		}
		mailer = m
	}
	var cal *sendtime.Calendar
	if ac.HolidaysDir != "" {
		var err error
		if cal, err = sendtime.LoadCalendar(ac.HolidaysDir); err != nil {
			return fmt.Errorf("holidays: %w", err)
		}
	}
	rules := sendtime.Rules{AvoidHolidays: ac.AvoidHolidays}
	if ac.QuietHours != "" {
		from, to, ok := strings.Cut(ac.QuietHours, "-")
		qs, err1 := sendtime.ParseTimeOfDay(strings.TrimSpace(from))
		qe, err2 := sendtime.ParseTimeOfDay(strings.TrimSpace(to))
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("quiet hours %q: write HH:MM-HH:MM, e.g. 21:00-09:00", ac.QuietHours)
		}
		rules.QuietStart, rules.QuietEnd = qs, qe
	}
	if err := rules.Validate(); err != nil {
		return fmt.Errorf("send-time rules: %w", err)
	}
	var caps map[string][]journey.Cap
	if ac.EmailCaps != "" {
		c, err := parseCaps(ac.EmailCaps)
		if err != nil {
			return err
		}
		caps = map[string][]journey.Cap{"email": c}
	}
	checker, err := a.complianceChecker(ac.ComplianceRules)
	if err != nil {
		return err
	}
	key, err := a.unsubscribeKey()
	if err != nil {
		return err
	}
	a.unsubKey = key
	domain := "tradewind.invalid"
	if u, err := url.Parse(ac.PublicURL); err == nil && u.Hostname() != "" {
		domain = u.Hostname()
	}
	cfg := journey.Config{Dir: filepath.Join(a.Cfg.DataDir, "journeys"), Log: a.Log, JetStream: a.Log.JetStream(),
		Bucket: a.bucket("tradewind_journeys"), People: appPeople{a: a, proj: &lockedProjector{Projector: &store.Projector{Source: a.sourceInfo, ToBase: a.toBase,
			TokenOf: privacy.TokenOf, Suppressed: a.Privacy.StoreSuppressed, Expired: a.Retention.Expired}}}, Mailer: mailer, Calendar: cal, SendRules: rules,
		Check: checker, Notify: a.notifyTeam, MailDomain: domain, PostalAddress: ac.PostalAddress, Caps: caps, AllowPrivateWebhooks: ac.AllowPrivateWebhooks, Now: a.Cfg.Now, Logger: a.Logger,
		Registry: a.Registry, Sync: a.Cfg.Fsync, Durable: a.Cfg.BucketPrefix + "journeys", PlanNext: a.nextOrders,
		LastDone: a.lastDone}
	if ac.PublicURL != "" {
		base := strings.TrimRight(ac.PublicURL, "/")
		cfg.UnsubscribeURL = func(pid, channel string) string {
			return base + "/u/" + a.UnsubscribeToken(pid, channel, a.clock().Add(unsubscribeValid))
		}
	}
	if a.Journeys, err = journey.Open(ctx, cfg); err != nil {
		return err
	}
	// An erased person's runs, pending actions and delivery log go too.
	forget := a.Privacy.OnErase
	a.Privacy.OnErase = func(ctx context.Context, ids []store.Identity) error {
		pids := a.profilesOf(ids)
		if err := forget(ctx, ids); err != nil {
			return err
		}
		return a.Journeys.Forget(pids)
	}
	return nil
}

// profilesOf finds the profiles of identities (before the profile engine
// forgets them).
func (a *App) profilesOf(ids []store.Identity) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		var cands []identity.ID
		if id.UserID != "" {
			cands = append(cands, identity.ID{Kind: identity.User, NS: id.SourceID, Value: id.UserID})
		}
		if id.AnonymousID != "" {
			cands = append(cands, identity.ID{Kind: identity.Anon, Value: id.AnonymousID})
		}
		for _, c := range cands {
			if pid, err := a.Profiles.Lookup(c); err == nil && !seen[pid] {
				seen[pid] = true
				out = append(out, pid)
			}
		}
	}
	return out
}

// startActions starts the journey engine's loops.
func (a *App) startActions(ctx context.Context) {
	if a.Journeys != nil {
		a.Journeys.Start(ctx)
	}
}

// closeActions stops the journey engine.
func (a *App) closeActions() error {
	if a.Journeys == nil {
		return nil
	}
	return a.Journeys.Close()
}

func parseSMTPURL(raw, from string) (*deliver.Mailer, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, errors.New("smtp url: write smtp://user:password@host:587, smtps://…:465 or smtp+plain://localhost:25")
	}
	m := &deliver.Mailer{Host: u.Hostname(), From: from}
	switch u.Scheme {
	case "smtp":
		m.TLS = deliver.TLSStartTLS
	case "smtps":
		m.TLS = deliver.TLSImplicit
	case "smtp+plain":
		m.TLS = deliver.TLSNone
	default:
		return nil, fmt.Errorf("smtp url: scheme %q is not smtp, smtps or smtp+plain", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if m.Port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("smtp url: port %q", p)
		}
	}
	if u.User != nil {
		m.Username = u.User.Username()
		m.Password, _ = u.User.Password()
	}
	if m.From == "" {
		return nil, errors.New("smtp: give the sender address (--mail-from)")
	}
	return m, nil
}

// complianceChecker adapts the content rules to the journey engine.
func (a *App) complianceChecker(dir string) (func(country, channel, locale, subject, text, html string) (string, []journey.ContentIssue), error) {
	// The operator's rules join the built-in ones for the whole node: the
	// API's check and the journeys' apply the same set.
	if dir != "" {
		if err := compliance.Load(dir); err != nil {
			return nil, fmt.Errorf("compliance rules: %w", err)
		}
	}
	return func(country, channel, locale, subject, text, html string) (string, []journey.ContentIssue) {
		if country == "" {
			return "ok", nil // no country: no country's rules apply
		}
		rep := compliance.Check(compliance.Content{Country: country, Channel: channel, Locale: locale, Subject: subject,
			Text: text, HTML: html})
		var issues []journey.ContentIssue
		for _, f := range rep.Findings {
			issues = append(issues, journey.ContentIssue{Country: country, RuleID: f.RuleID, Severity: string(f.Severity),
				Excerpt: f.Excerpt, Reason: journey.Text{EN: f.Reason.EN, ZH: f.Reason.ZH}, Source: f.Source})
		}
		return string(rep.Verdict), issues
	}, nil
}

// notifyTeam puts a journey's notice in the alerts inbox.
func (a *App) notifyTeam(ctx context.Context, jid, step, message, person string) error {
	now := a.clock().UTC()
	sum := sha256.Sum256([]byte(jid + "\x00" + step + "\x00" + person + "\x00" + now.Format(time.RFC3339Nano)))
	detail, _ := json.Marshal(map[string]any{"journey": jid, "step": step, "message": message})
	return a.Store.SaveAlerts(ctx, []duckdb.AlertRow{{AlertID: "journey-" + fmt.Sprintf("%x", sum[:8]), Kind: "journey",
		Series: jid, Metric: step, Grade: "info", Status: "open", Day: now.Truncate(24 * time.Hour), Count: 1,
		RaisedAt: now, Detail: detail}})
}

// nextOrders is each likely-alive repeat buyer's expected next order: their
// last order plus their usual gap.
func (a *App) nextOrders(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := a.Store.Scan(ctx, `SELECT p.profile_id, p.last_order_at, p.order_interval_days
		FROM profiles p JOIN customer_predictions c ON c.profile_id = p.profile_id
		WHERE p.orders >= 2 AND p.order_interval_days > 0 AND p.last_order_at IS NOT NULL AND c.p_alive >= 0.5`, nil,
		func(row []any) error {
			pid, _ := row[0].(string)
			last, _ := row[1].(time.Time)
			gap, _ := row[2].(float64)
			out[pid] = last.Add(time.Duration(gap * float64(24*time.Hour)))
			return nil
		})
	return out, err
}

// lastDone is when each profile last did event, from the store.
func (a *App) lastDone(ctx context.Context, event string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := a.Store.Scan(ctx, `SELECT profile_id, max("timestamp") FROM events
		WHERE type = 'track' AND event = ? AND profile_id IS NOT NULL GROUP BY profile_id`, []any{event},
		func(row []any) error {
			pid, _ := row[0].(string)
			at, _ := row[1].(time.Time)
			if pid != "" && !at.IsZero() {
				out[pid] = at
			}
			return nil
		})
	return out, err
}

// appPeople answers the journey engine's questions about people from the
// profile engine and the privacy service.
type appPeople struct {
	a    *App
	proj *lockedProjector
}

// lockedProjector is a projector of the journey engine's, used from one
// goroutine at a time.
type lockedProjector struct {
	mu sync.Mutex
	*store.Projector
}

// Resolve waits until the profile engine has applied the message, then
// finds its sender's profile by userId, anonymousId, e-mail or phone.
func (p appPeople) Resolve(ctx context.Context, d eventlog.Delivery) (string, error) {
	a := p.a
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.Profiles.WaitApplied(wctx, d.Seq); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("waiting for the profile engine to reach message %d: %w", d.Seq, err)
	}
	// A resend past JetStream's duplicate window reaches every consumer;
	// the profile engine skipped it, and so must the journeys (or a
	// journey that lets people re-enter would send twice).
	if rep, err := a.Profiles.Repeated(&d); err != nil {
		return "", fmt.Errorf("message %d: %w", d.Seq, err)
	} else if rep {
		return "", nil
	}
	// userId and anonymousId are read straight from the message; only a
	// message with neither (a shop's order webhook with an e-mail) needs
	// the projection, which decrypts.
	var cands []identity.ID
	if v, err := fastjson.ParseBytes(d.Data); err == nil {
		if u := v.GetStringBytes("userId"); len(u) > 0 {
			// Lookup maps a shared user-id space itself.
			cands = append(cands, identity.ID{Kind: identity.User, NS: d.Meta.Source, Value: string(u)})
		}
		if an := v.GetStringBytes("anonymousId"); len(an) > 0 {
			cands = append(cands, identity.ID{Kind: identity.Anon, Value: string(an)})
		}
	}
	for _, c := range cands {
		pid, err := a.Profiles.Lookup(c)
		if errors.Is(err, realtime.ErrProfileNotFound) {
			continue
		}
		return pid, err
	}
	// The journey engine's own projector: the store writer's is not safe
	// for use from another goroutine.
	p.proj.mu.Lock()
	pr := p.proj.Project(d)
	p.proj.mu.Unlock()
	if pr.Err != nil || pr.Suppressed || pr.Event == nil {
		return "", nil
	}
	cands = cands[:0]
	for _, t := range pr.Tokens {
		switch t.Kind {
		case "email":
			cands = append(cands, identity.ID{Kind: identity.Email, Value: t.Token})
		case "phone":
			cands = append(cands, identity.ID{Kind: identity.Phone, Value: t.Token})
		}
	}
	for _, c := range cands {
		pid, err := a.Profiles.Lookup(c)
		if errors.Is(err, realtime.ErrProfileNotFound) {
			continue
		}
		return pid, err
	}
	return "", nil
}

// Person reads a profile with its personal traits decrypted, and the
// person's consent.
func (p appPeople) Person(ctx context.Context, pid string) (*journey.Person, error) {
	a := p.a
	v, err := a.Profiles.Profile(pid, a.clock())
	if errors.Is(err, realtime.ErrProfileNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := &journey.Person{ID: v.ID, Traits: map[string]any{}, Computed: v.Computed, Segments: map[string]bool{},
		Consent: map[string]bool{}}
	for k, raw := range v.Traits {
		var x any
		if json.Unmarshal(raw, &x) == nil {
			out.Traits[k] = a.Privacy.Reveal(x, false)
		}
	}
	str := func(m map[string]any, keys ...string) string {
		for _, k := range keys {
			if s, ok := m[k].(string); ok && strings.TrimSpace(s) != "" {
				return strings.TrimSpace(s)
			}
		}
		return ""
	}
	out.Email = str(out.Traits, "email")
	if out.Email != "" {
		out.EmailToken, _ = a.Privacy.EmailToken(out.Email)
	}
	out.FirstName = str(out.Traits, "firstName", "first_name")
	out.Country = strings.ToUpper(str(v.Computed, "country"))
	if out.Country == "" {
		// A postal address is high-tier personal data, encrypted in the
		// profile engine: its country is read here, decrypted.
		out.Country = strings.ToUpper(str(out.Traits, "country"))
		if addr, ok := out.Traits["address"].(map[string]any); ok && out.Country == "" {
			out.Country = strings.ToUpper(str(addr, "country"))
		}
	}
	out.TimeZone = str(v.Computed, "timezone")
	out.Locale = str(out.Traits, "locale", "language")
	if out.Locale == "" {
		out.Locale = str(v.Computed, "language")
	}
	for _, m := range v.Segments {
		out.Segments[m.ID] = true
	}
	// Consent: the newest decision per purpose over the person's
	// identities, from the store.
	for _, id := range v.Identities {
		if id.Kind != identity.User {
			continue
		}
		cv, err := a.Privacy.Consent(ctx, privacy.Identifier{UserID: id.Value, Source: id.NS})
		if err != nil {
			if errors.Is(err, privacy.ErrNoPerson) {
				continue
			}
			return nil, err
		}
		for purpose, d := range cv.Current {
			out.Consent[purpose] = d.Granted
		}
		break
	}
	// A shop's marketing opt-in flag counts as the e-mail decision when no
	// explicit one is recorded.
	if _, ok := out.Consent[segment.PurposeEmail]; !ok {
		if b, ok := out.Traits["email_opt_in"].(bool); ok {
			out.Consent[segment.PurposeEmail] = b
		}
	}
	return out, nil
}

// journeysUser is who the segments journeys keep are defined by.
const journeysUser = "journeys"

// EnsureSegment keeps a segment a journey needs (a prediction trigger's,
// a list): created if missing, updated if journeys own it, refused if
// someone defined it with another rule.
func (p appPeople) EnsureSegment(ctx context.Context, id, name, rule string) error {
	a := p.a
	r, err := realtime.ParseRule(rule)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(r)
	old, exists := a.Profiles.Segment(id)
	if exists && old.CreatedBy != journeysUser {
		if cur, err := realtime.ParseRule(old.RuleText); err == nil {
			if b, _ := json.Marshal(cur); string(b) == string(raw) {
				return nil
			}
		}
		return fmt.Errorf("segment %q exists with its own rule; choose another segment id for the journey's list", id)
	}
	_, err = a.Profiles.SaveSegment(ctx, realtime.SegmentDef{ID: id, Name: name, Rule: raw, RuleText: rule}, !exists, journeysUser)
	return err
}

// SetTraits publishes an identify for the person's userId, from the
// source that userId belongs to, with the action's id as messageId: the
// profile engine applies it like any identify, and a repeat after a crash
// is a duplicate the log drops.
func (p appPeople) SetTraits(ctx context.Context, pid, messageID string, traits map[string]any) error {
	a := p.a
	v, err := a.Profiles.Profile(pid, a.clock())
	if errors.Is(err, realtime.ErrProfileNotFound) {
		return &journey.PersonError{Reason: "the person no longer exists (erased or merged away)"}
	}
	if err != nil {
		return err
	}
	for _, id := range v.Identities {
		if id.Kind != identity.User {
			continue
		}
		if _, ok := a.Sources.ByID(id.NS); !ok {
			continue // a shared user-id space, not a source
		}
		raw, err := json.Marshal(map[string]any{"type": segment.Identify, "userId": id.Value, "messageId": messageID,
			"traits": traits, "context": map[string]any{"library": map[string]any{"name": "tradewind-journeys"}}})
		if err != nil {
			return err
		}
		return a.publishInternal(ctx, id.NS, raw)
	}
	return &journey.PersonError{Reason: "the person has no userId to attach traits to (anonymous only)"}
}

// unsubscribeValid is how long an unsubscribe link works (CAN-SPAM asks
// for at least 30 days after sending).
const unsubscribeValid = 180 * 24 * time.Hour

// unsubscribeKey reads or creates the key that signs unsubscribe links.
func (a *App) unsubscribeKey() ([]byte, error) {
	path := filepath.Join(a.Cfg.DataDir, "keys", "unsubscribe.key")
	if b, err := os.ReadFile(path); err == nil && len(b) == 32 {
		return b, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

// UnsubscribeToken signs (profile, channel, expiry): the link needs no
// sign-in and cannot be forged or stretched past its expiry.
func (a *App) UnsubscribeToken(pid, channel string, expires time.Time) string {
	payload := binary.BigEndian.AppendUint64(nil, uint64(expires.Unix()))
	payload = append(payload, channel+"\x00"+pid...)
	mac := hmac.New(sha256.New, a.unsubKey)
	mac.Write(payload)
	sig := mac.Sum(nil)[:16]
	return base64.RawURLEncoding.EncodeToString(append(payload, sig...))
}

// unsubscribeFunc serves unsubscribe links when journeys run.
func (a *App) unsubscribeFunc() func(ctx context.Context, token string) (string, error) {
	if a.Journeys == nil {
		return nil
	}
	return a.Unsubscribe
}

// ErrBadUnsubscribe is returned for a forged, damaged or expired link.
var ErrBadUnsubscribe = errors.New("this unsubscribe link is not valid or has expired")

// Unsubscribe carries out an unsubscribe link: the channel is suppressed
// for the person at once, and the refusal is recorded as their consent
// decision.
func (a *App) Unsubscribe(ctx context.Context, token string) (channel string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 8+16+3 {
		return "", ErrBadUnsubscribe
	}
	payload, sig := raw[:len(raw)-16], raw[len(raw)-16:]
	mac := hmac.New(sha256.New, a.unsubKey)
	mac.Write(payload)
	if !hmac.Equal(sig, mac.Sum(nil)[:16]) {
		return "", ErrBadUnsubscribe
	}
	if time.Unix(int64(binary.BigEndian.Uint64(payload[:8])), 0).Before(a.clock()) {
		return "", ErrBadUnsubscribe
	}
	channel, pid, ok := strings.Cut(string(payload[8:]), "\x00")
	if !ok {
		return "", ErrBadUnsubscribe
	}
	if err := a.Journeys.Unsubscribe(pid, channel, "unsubscribed by link"); err != nil {
		return "", err
	}
	purpose := segment.PurposeEmail
	if channel == "sms" {
		purpose = segment.PurposeSMS
	}
	if v, err := a.Profiles.Profile(pid, a.clock()); err == nil {
		f := false
		for _, id := range v.Identities {
			if id.Kind != identity.User {
				continue
			}
			_, err := a.Privacy.RecordConsent(ctx, privacy.ConsentRequest{
				Identifier: &privacy.Identifier{UserID: id.Value, Source: id.NS},
				Purposes:   map[string]*bool{purpose: &f}, Proof: "unsubscribe link"})
			if err == nil {
				break
			}
		}
	}
	return channel, nil
}
