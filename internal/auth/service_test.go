package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tradewind/tradewind/internal/eventlog"
)

// clock is a settable clock for expiry and lockout tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cheapArgon keeps tests fast; the real parameters are tested in
// password_test.go.
var cheapArgon = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const adminToken = "admin-token-for-tests-0123456789"

type env struct {
	svc *Service
	clk *clock
	js  jetstream.JetStream
	ctx context.Context
}

// newEnv starts an embedded JetStream (the event log's own) and opens a
// Service on it.
func newEnv(t *testing.T, tweak ...func(*Options)) *env {
	t.Helper()
	ctx := context.Background()
	l, err := eventlog.Open(ctx, eventlog.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	e := &env{clk: newClock(), js: l.JetStream(), ctx: ctx}
	e.svc = e.open(t, tweak...)
	return e
}

func (e *env) open(t *testing.T, tweak ...func(*Options)) *Service {
	t.Helper()
	opts := Options{AdminToken: adminToken, Argon2: cheapArgon, Now: e.clk.Now}
	for _, f := range tweak {
		f(&opts)
	}
	s, err := Open(e.ctx, e.js, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var admin = &Principal{Kind: KindAdmin, UserID: AdminID, Role: RoleOwner}

func (e *env) user(t *testing.T, email string, role Role) User {
	t.Helper()
	u, err := e.svc.CreateUser(e.ctx, admin, NewUser{Email: email, Name: "Test", Role: role, Password: "pass-" + email})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) login(t *testing.T, email string) *Session {
	t.Helper()
	s, err := e.svc.LoginWithUserAgent(e.ctx, email, "pass-"+email, "192.0.2.1", "test-agent")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// call runs a request through Require(perm) and returns the recorder and
// the principal the handler saw.
func (e *env) call(t *testing.T, perm Permission, r *http.Request) (*httptest.ResponseRecorder, *Principal) {
	t.Helper()
	var seen *Principal
	h := e.svc.Require(perm, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w, seen
}

func bearer(method, secret string) *http.Request {
	r := httptest.NewRequest(method, "/v1/x", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	return r
}

func withCookie(r *http.Request, s *Session) *http.Request {
	w := httptest.NewRecorder()
	SetCookie(w, s, false)
	for _, c := range w.Result().Cookies() {
		r.AddCookie(c)
	}
	return r
}

func TestFirstRunOwnerOnlyOnce(t *testing.T) {
	e := newEnv(t)
	if e.svc.HasOwner() {
		t.Fatal("fresh install has an owner")
	}
	// A bad first attempt does not use up the first-run page.
	var fe *FieldError
	if _, err := e.svc.CreateOwner(e.ctx, "not-an-address", "", "long enough pw"); !errors.As(err, &fe) || fe.Field != "email" {
		t.Fatalf("bad e-mail: %v", err)
	}
	// Concurrent first-run submissions: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, losses := 0, 0
	for i := range 8 {
		wg.Go(func() {
			_, err := e.svc.CreateOwner(e.ctx, "owner"+string(rune('a'+i))+"@example.com", "Owner", "owner password 1")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, ErrOwnerExists):
				losses++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || losses != 7 {
		t.Fatalf("%d owners created, %d refused; want 1 and 7", wins, losses)
	}
	if !e.svc.HasOwner() {
		t.Fatal("no owner after first run")
	}
	// Another node (a second Service on the same buckets) agrees.
	other := e.open(t)
	if !other.HasOwner() {
		t.Fatal("second node sees no owner")
	}
	if _, err := other.CreateOwner(e.ctx, "late@example.com", "", "owner password 1"); !errors.Is(err, ErrOwnerExists) {
		t.Fatalf("late first run = %v", err)
	}
}

func TestCreateUserValidation(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "Alice@Example.COM", RoleAnalyst)
	if u.Email != "alice@example.com" || u.Role != RoleAnalyst || u.ID == "" {
		t.Fatalf("user = %+v", u)
	}
	b, _ := json.Marshal(u)
	if strings.Contains(string(b), "argon2") || strings.Contains(string(b), "password_hash") {
		t.Fatalf("a user marshals its hash: %s", b)
	}
	for _, c := range []struct {
		nu    NewUser
		field string
	}{
		{NewUser{Email: "ALICE@example.com", Role: RoleViewer, Password: "another password"}, "email"},
		{NewUser{Email: "bob", Role: RoleViewer, Password: "another password"}, "email"},
		{NewUser{Email: "bob@example.com", Role: "root", Password: "another password"}, "role"},
		{NewUser{Email: "bob@example.com", Role: RoleViewer, Password: "short"}, "password"},
		{NewUser{Email: "bob@example.com", Role: RoleViewer, Password: "BOB@example.com"}, "password"},
	} {
		_, err := e.svc.CreateUser(e.ctx, admin, c.nu)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("CreateUser(%+v) = %v, want a %s error", c.nu.Email, err, c.field)
		}
		if err != nil && c.nu.Password != "" && strings.Contains(err.Error(), c.nu.Password) {
			t.Errorf("error %q contains the password", err)
		}
	}
	// Permissions of the actor.
	analyst := &Principal{Kind: KindSession, UserID: u.ID, Role: RoleAnalyst}
	if _, err := e.svc.CreateUser(e.ctx, analyst, NewUser{Email: "c@example.com", Role: RoleViewer, Password: "long enough pw"}); !errors.Is(err, ErrForbidden) {
		t.Errorf("analyst created a user: %v", err)
	}
	adm := &Principal{Kind: KindSession, UserID: "x", Role: RoleAdmin}
	e.clk.Add(time.Second) // so ListUsers' order (oldest first) is known
	if _, err := e.svc.CreateUser(e.ctx, adm, NewUser{Email: "c@example.com", Role: RoleOwner, Password: "long enough pw"}); !errors.Is(err, ErrForbidden) {
		t.Errorf("admin created an owner: %v", err)
	}
	if _, err := e.svc.CreateUser(e.ctx, adm, NewUser{Email: "c@example.com", Role: RoleAdmin, Password: "long enough pw"}); err != nil {
		t.Errorf("admin could not create an admin: %v", err)
	}
	if got := e.svc.ListUsers(); len(got) != 2 || got[0].ID != u.ID {
		t.Errorf("ListUsers = %+v", got)
	}
	if got, ok := e.svc.UserByEmail(" ALICE@example.com"); !ok || got.ID != u.ID {
		t.Error("UserByEmail did not find alice")
	}
}

func TestLoginAndLockout(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@example.com", RoleAnalyst)
	s, err := e.svc.Login(e.ctx, "ALICE@example.com ", "pass-alice@example.com", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if s.UserID != u.ID || len(s.ID) != 43 || s.CSRF == "" || s.Handle != hashHex(s.ID) {
		t.Fatalf("session = %+v", s)
	}
	if !s.ExpiresAt.Equal(e.clk.Now().Add(DefaultSessionLifetime)) {
		t.Errorf("expires %v", s.ExpiresAt)
	}
	// Unknown account and wrong password give the same error.
	if _, err := e.svc.Login(e.ctx, "nobody@example.com", "whatever password", "192.0.2.1"); !errors.Is(err, ErrInvalidLogin) {
		t.Fatalf("unknown user: %v", err)
	}
	fail := func() error {
		_, err := e.svc.Login(e.ctx, "alice@example.com", "wrong password!", "192.0.2.2")
		return err
	}
	for i := 1; i <= 4; i++ {
		if err := fail(); !errors.Is(err, ErrInvalidLogin) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	lockedFor := func(err error) time.Duration {
		t.Helper()
		var le *LockedError
		if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
			t.Fatalf("want a LockedError, got %v", err)
		}
		return le.RetryAfter
	}
	if d := lockedFor(fail()); d != time.Minute {
		t.Fatalf("5th failure locks for %v, want 1m", d)
	}
	// While locked even the right password is refused, unchecked.
	_, err = e.svc.Login(e.ctx, "alice@example.com", "pass-alice@example.com", "192.0.2.3")
	if d := lockedFor(err); d != time.Minute {
		t.Fatalf("locked for %v", d)
	}
	// Another node sees the lock through the bucket.
	other := e.open(t)
	_, err = other.Login(e.ctx, "alice@example.com", "pass-alice@example.com", "192.0.2.3")
	lockedFor(err)
	// Back-off doubles.
	e.clk.Add(time.Minute)
	if d := lockedFor(fail()); d != 2*time.Minute {
		t.Fatalf("6th failure locks for %v, want 2m", d)
	}
	e.clk.Add(2 * time.Minute)
	if d := lockedFor(fail()); d != 4*time.Minute {
		t.Fatalf("7th failure locks for %v, want 4m", d)
	}
	for _, want := range []time.Duration{8, 16, 32, 60, 60} {
		e.clk.Add(time.Hour)
		if d := lockedFor(fail()); d != want*time.Minute {
			t.Fatalf("lock %v, want %vm", d, want)
		}
	}
	// After the lock ends, the right password works and resets the count.
	e.clk.Add(time.Hour)
	if _, err := e.svc.Login(e.ctx, "alice@example.com", "pass-alice@example.com", "192.0.2.3"); err != nil {
		t.Fatalf("login after the lock: %v", err)
	}
	if err := fail(); !errors.Is(err, ErrInvalidLogin) {
		t.Fatalf("first failure after a success: %v", err)
	}
}

func TestLockoutOfUnknownAccountsAndAddresses(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice@example.com", RoleViewer)
	// An unknown account locks like a real one, so lockouts do not reveal
	// which accounts exist.
	var err error
	for range 5 {
		_, err = e.svc.Login(e.ctx, "ghost@example.com", "wrong password!", "198.51.100.1")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("unknown account after 5 failures: %v", err)
	}
	// One address spraying many accounts is locked after 20 failures.
	for i := range 20 {
		_, err = e.svc.Login(e.ctx, "user"+string(rune('a'+i))+"@example.com", "wrong password!", "203.0.113.9")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("address after 20 failures: %v", err)
	}
	if _, err := e.svc.Login(e.ctx, "alice@example.com", "pass-alice@example.com", "203.0.113.9"); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked address logged in: %v", err)
	}
	if _, err := e.svc.Login(e.ctx, "alice@example.com", "pass-alice@example.com", "203.0.113.10"); err != nil {
		t.Fatalf("other address: %v", err)
	}
	// An hour without failures forgives the address.
	e.clk.Add(time.Hour + time.Second)
	if _, err := e.svc.Login(e.ctx, "alice@example.com", "pass-alice@example.com", "203.0.113.9"); err != nil {
		t.Fatalf("address after an hour: %v", err)
	}
}

func TestDisabledUserAndRehash(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@example.com", RoleViewer)
	// Raising the parameters re-hashes at the next login.
	stronger := cheapArgon
	stronger.Time = 2
	s2 := e.open(t, func(o *Options) { o.Argon2 = stronger })
	if _, err := s2.Login(e.ctx, "alice@example.com", "pass-alice@example.com", ""); err != nil {
		t.Fatal(err)
	}
	ent, err := s2.users.Get(e.ctx, userPrefix+u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rec userRecord
	_ = json.Unmarshal(ent.Value(), &rec)
	if NeedsRehash(rec.PasswordHash, stronger) {
		t.Fatal("hash not upgraded at login")
	}
	if _, err := e.svc.DisableUser(e.ctx, admin, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Login(e.ctx, "alice@example.com", "wrong password!", ""); !errors.Is(err, ErrInvalidLogin) {
		t.Fatalf("disabled, wrong password: %v", err)
	}
	if _, err := e.svc.Login(e.ctx, "alice@example.com", "pass-alice@example.com", ""); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled, right password: %v", err)
	}
}

func TestSessionCookieAndCSRF(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice@example.com", RoleAnalyst)
	s := e.login(t, "alice@example.com")

	w := httptest.NewRecorder()
	SetCookie(w, s, true)
	c := w.Result().Cookies()[0]
	if c.Name != CookieName || c.Value != s.ID || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Fatalf("cookie = %+v", c)
	}

	code := func(r *http.Request) int {
		w, _ := e.call(t, DashboardRead, withCookie(r, s))
		return w.Code
	}
	if got := code(httptest.NewRequest("GET", "/", nil)); got != http.StatusNoContent {
		t.Fatalf("GET = %d", got)
	}
	w2, p := e.call(t, DashboardRead, withCookie(httptest.NewRequest("GET", "/", nil), s))
	if w2.Code != http.StatusNoContent || p.Kind != KindSession || p.Email != "alice@example.com" || p.CSRF != s.CSRF || p.SessionID != s.Handle {
		t.Fatalf("principal = %+v", p)
	}
	post := func(header, form string) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(form))
		if form != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if header != "" {
			r.Header.Set("X-CSRF-Token", header)
		}
		return r
	}
	if got := code(post("", "")); got != http.StatusForbidden {
		t.Fatalf("POST without CSRF = %d", got)
	}
	if got := code(post("wrong", "")); got != http.StatusForbidden {
		t.Fatalf("POST with a wrong CSRF = %d", got)
	}
	if got := code(post("", "csrf_token=wrong")); got != http.StatusForbidden {
		t.Fatalf("POST with a wrong form CSRF = %d", got)
	}
	if got := code(post(s.CSRF, "")); got != http.StatusNoContent {
		t.Fatalf("POST with CSRF header = %d", got)
	}
	if got := code(post("", "csrf_token="+url.QueryEscape(s.CSRF))); got != http.StatusNoContent {
		t.Fatalf("POST with CSRF field = %d", got)
	}
	for _, m := range []string{"PUT", "PATCH", "DELETE"} {
		if got := code(httptest.NewRequest(m, "/", nil)); got != http.StatusForbidden {
			t.Fatalf("%s without CSRF = %d", m, got)
		}
	}
	// A garbage or unknown cookie is 401.
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: CookieName, Value: "forged"})
	if w, _ := e.call(t, DashboardRead, r); w.Code != http.StatusUnauthorized {
		t.Fatalf("forged cookie = %d", w.Code)
	}
	// The session works on another node, and a logout there ends it here.
	other := e.open(t)
	p2, err := other.Authenticate(withCookie(httptest.NewRequest("GET", "/", nil), s))
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Logout(e.ctx, p2); err != nil {
		t.Fatal(err)
	}
	if got := code(httptest.NewRequest("GET", "/", nil)); got != http.StatusUnauthorized {
		t.Fatalf("GET after logout = %d", got)
	}
	// The bucket holds only the hash of the id.
	if _, err := e.svc.sessions.Get(e.ctx, sessPrefix+s.ID); err == nil {
		t.Fatal("session stored under its id")
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.SessionIdle = time.Hour; o.SessionLifetime = 3 * time.Hour })
	e.user(t, "alice@example.com", RoleViewer)
	s := e.login(t, "alice@example.com")
	auth := func() error {
		_, err := e.svc.Authenticate(withCookie(httptest.NewRequest("GET", "/", nil), s))
		return err
	}
	// Activity every 50 minutes keeps it alive until the absolute end.
	for range 3 {
		e.clk.Add(50 * time.Minute)
		if err := auth(); err != nil {
			t.Fatalf("active session refused: %v", err)
		}
	}
	e.clk.Add(30 * time.Minute) // 3h10m after login
	if err := auth(); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("after the lifetime: %v", err)
	}
	s = e.login(t, "alice@example.com")
	e.clk.Add(time.Hour)
	if err := auth(); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("after an idle hour: %v", err)
	}
}

func TestChangesEndSessions(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@example.com", RoleAnalyst)
	ok := func(s *Session) bool {
		_, err := e.svc.Authenticate(withCookie(httptest.NewRequest("GET", "/", nil), s))
		return err == nil
	}
	// Role change.
	s := e.login(t, "alice@example.com")
	if _, err := e.svc.UpdateRole(e.ctx, admin, u.ID, RoleMarketer); err != nil {
		t.Fatal(err)
	}
	if ok(s) {
		t.Fatal("session survived a role change")
	}
	// A no-op role change ends nothing.
	s = e.login(t, "alice@example.com")
	if _, err := e.svc.UpdateRole(e.ctx, admin, u.ID, RoleMarketer); err != nil || !ok(s) {
		t.Fatalf("no-op role change: %v, session ok %v", err, ok(s))
	}
	// Own password change: this session stays, the others end.
	here, there := e.login(t, "alice@example.com"), e.login(t, "alice@example.com")
	p, err := e.svc.Authenticate(withCookie(httptest.NewRequest("GET", "/", nil), here))
	if err != nil {
		t.Fatal(err)
	}
	var fe *FieldError
	if err := e.svc.ChangePassword(e.ctx, p, u.ID, "not my password", "a brand new password"); !errors.As(err, &fe) || fe.Field != "current_password" {
		t.Fatalf("wrong current password: %v", err)
	}
	if err := e.svc.ChangePassword(e.ctx, p, u.ID, "pass-alice@example.com", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if !ok(here) || ok(there) || ok(s) {
		t.Fatalf("after own password change: here %v there %v old %v; want true false false", ok(here), ok(there), ok(s))
	}
	if _, err := e.svc.Login(e.ctx, "alice@example.com", "a brand new password", ""); err != nil {
		t.Fatal(err)
	}
	// Disabling.
	if _, err := e.svc.DisableUser(e.ctx, admin, u.ID); err != nil {
		t.Fatal(err)
	}
	if ok(here) {
		t.Fatal("session survived disabling")
	}
	// The purge removes the void sessions from the bucket.
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := 0
		lister, err := e.svc.sessions.ListKeysFiltered(e.ctx, sessPrefix+"*")
		if err == nil {
			for range lister.Keys() {
				n++
			}
		}
		if n <= 1 { // the login with the new password, not yet purged by the disable at worst
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions left in the bucket", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOwnerProtection(t *testing.T) {
	e := newEnv(t)
	o1, err := e.svc.CreateOwner(e.ctx, "one@example.com", "One", "owner password 1")
	if err != nil {
		t.Fatal(err)
	}
	owner1 := &Principal{Kind: KindSession, UserID: o1.ID, Role: RoleOwner}
	if _, err := e.svc.UpdateRole(e.ctx, owner1, o1.ID, RoleAdmin); !errors.Is(err, ErrLastOwner) {
		t.Fatalf("demoting the last owner: %v", err)
	}
	if _, err := e.svc.DisableUser(e.ctx, owner1, o1.ID); !errors.Is(err, ErrLastOwner) {
		t.Fatalf("disabling the last owner: %v", err)
	}
	adm := e.user(t, "adm@example.com", RoleAdmin)
	admP := &Principal{Kind: KindSession, UserID: adm.ID, Role: RoleAdmin}
	if _, err := e.svc.UpdateRole(e.ctx, admP, adm.ID, RoleOwner); !errors.Is(err, ErrForbidden) {
		t.Fatalf("admin made itself owner: %v", err)
	}
	if _, err := e.svc.UpdateRole(e.ctx, owner1, adm.ID, RoleOwner); err != nil {
		t.Fatal(err)
	}
	o2, _ := e.svc.GetUser(adm.ID)
	admin2 := e.user(t, "adm2@example.com", RoleAdmin)
	admin2P := &Principal{Kind: KindSession, UserID: admin2.ID, Role: RoleAdmin}
	// An admin cannot touch an owner, even with two owners.
	if _, err := e.svc.UpdateRole(e.ctx, admin2P, o1.ID, RoleViewer); !errors.Is(err, ErrForbidden) {
		t.Fatalf("admin demoted an owner: %v", err)
	}
	if _, err := e.svc.DisableUser(e.ctx, admin2P, o1.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("admin disabled an owner: %v", err)
	}
	if err := e.svc.ChangePassword(e.ctx, admin2P, o1.ID, "", "a takeover password"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("admin reset an owner's password: %v", err)
	}
	// An owner can demote another owner while one remains.
	if _, err := e.svc.UpdateRole(e.ctx, owner1, o2.ID, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateRole(e.ctx, owner1, o1.ID, RoleAdmin); !errors.Is(err, ErrLastOwner) {
		t.Fatalf("last owner demoted itself: %v", err)
	}
	// The admin token acts as an owner.
	if _, err := e.svc.UpdateRole(e.ctx, admin, o2.ID, RoleOwner); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DisableUser(e.ctx, admin, o1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DisableUser(e.ctx, admin, o2.ID); !errors.Is(err, ErrLastOwner) {
		t.Fatalf("disabled the last enabled owner: %v", err)
	}
	if _, err := e.svc.UpdateRole(e.ctx, admin, o2.ID, RoleViewer); !errors.Is(err, ErrLastOwner) {
		t.Fatalf("demoted the last enabled owner: %v", err)
	}
}

func TestAPITokens(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@example.com", RoleAnalyst)
	secret, tok, err := e.svc.CreateToken(e.ctx, u.ID, "nightly export", []Permission{QuerySQL, DashboardRead, QuerySQL}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) != secretLen {
		t.Fatalf("secret shape %d chars", len(secret))
	}
	if len(tok.Scopes) != 2 || tok.Scopes[0] != DashboardRead || !tok.ExpiresAt.Equal(e.clk.Now().Add(DefaultTokenLifetime)) {
		t.Fatalf("token = %+v", tok)
	}
	// Scopes beyond the role are refused.
	var fe *FieldError
	if _, _, err := e.svc.CreateToken(e.ctx, u.ID, "x", []Permission{PIIRead}, time.Time{}); !errors.As(err, &fe) || fe.Field != "scopes" {
		t.Fatalf("pii.read for an analyst: %v", err)
	}
	if _, _, err := e.svc.CreateToken(e.ctx, u.ID, "x", nil, time.Time{}); !errors.As(err, &fe) || fe.Field != "scopes" {
		t.Fatalf("no scopes: %v", err)
	}
	if _, _, err := e.svc.CreateToken(e.ctx, u.ID, "x", []Permission{QuerySQL}, e.clk.Now().Add(-time.Second)); !errors.As(err, &fe) || fe.Field != "expires_at" {
		t.Fatalf("past expiry: %v", err)
	}
	if _, _, err := e.svc.CreateToken(e.ctx, u.ID, "x", []Permission{QuerySQL}, e.clk.Now().Add(2*365*24*time.Hour)); !errors.As(err, &fe) || fe.Field != "expires_at" {
		t.Fatalf("two-year expiry: %v", err)
	}

	w, p := e.call(t, QuerySQL, bearer("POST", secret)) // no CSRF needed
	if w.Code != http.StatusNoContent || p.Kind != KindToken || p.TokenID != tok.ID || p.UserID != u.ID {
		t.Fatalf("token request = %d, %+v", w.Code, p)
	}
	if w, _ := e.call(t, SegmentsWrite, bearer("POST", secret)); w.Code != http.StatusForbidden {
		t.Fatalf("permission of the role but not the token = %d", w.Code)
	}
	// Demotion narrows the token at once: scopes ∩ role.
	if _, err := e.svc.UpdateRole(e.ctx, admin, u.ID, RoleViewer); err != nil {
		t.Fatal(err)
	}
	if w, _ := e.call(t, QuerySQL, bearer("GET", secret)); w.Code != http.StatusForbidden {
		t.Fatalf("query.sql after demotion = %d", w.Code)
	}
	if w, p := e.call(t, DashboardRead, bearer("GET", secret)); w.Code != http.StatusNoContent || len(p.Scopes) != 1 {
		t.Fatalf("dashboard.read after demotion = %d, %+v", w.Code, p)
	}
	if _, err := e.svc.UpdateRole(e.ctx, admin, u.ID, RoleAnalyst); err != nil {
		t.Fatal(err)
	}
	// Listing never shows secrets.
	list := e.svc.ListTokens(u.ID)
	b, _ := json.Marshal(list)
	if len(list) != 1 || strings.Contains(string(b), secret) || strings.Contains(string(b), "hash") {
		t.Fatalf("list = %s", b)
	}
	// Last use is recorded, in the background.
	deadline := time.Now().Add(5 * time.Second)
	for tk, _ := e.svc.GetToken(tok.ID); tk.LastUsedAt.IsZero(); tk, _ = e.svc.GetToken(tok.ID) {
		if time.Now().After(deadline) {
			t.Fatal("last use not recorded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Another node knows the token through its watcher.
	other := e.open(t)
	if _, err := other.Authenticate(bearer("GET", secret)); err != nil {
		t.Fatalf("other node: %v", err)
	}
	// Expiry.
	short, _, err := e.svc.CreateToken(e.ctx, u.ID, "short", []Permission{QuerySQL}, e.clk.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Add(time.Hour)
	if w, _ := e.call(t, QuerySQL, bearer("GET", short)); w.Code != http.StatusUnauthorized {
		t.Fatalf("expired token = %d", w.Code)
	}
	// Revocation: only by its user; then 401 here and on the other node.
	if err := e.svc.RevokeToken(e.ctx, "usr_someoneelse", tok.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke by another user: %v", err)
	}
	if err := e.svc.RevokeToken(e.ctx, u.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if w, _ := e.call(t, QuerySQL, bearer("GET", secret)); w.Code != http.StatusUnauthorized {
		t.Fatalf("revoked token = %d", w.Code)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		if _, err := other.Authenticate(bearer("GET", secret)); errors.Is(err, ErrInvalidCredentials) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("other node still accepts the revoked token")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A disabled user's tokens stop working.
	s3, _, err := e.svc.CreateToken(e.ctx, u.ID, "third", []Permission{QuerySQL}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DisableUser(e.ctx, admin, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(bearer("GET", s3)); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("disabled user's token: %v", err)
	}
}

func TestTokenCannotMintBroaderToken(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@example.com", RoleAnalyst)
	narrow, _, err := e.svc.CreateToken(e.ctx, u.ID, "minter", []Permission{TokensWrite}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Authenticate(bearer("POST", narrow))
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithPrincipal(e.ctx, p)
	if _, _, err := e.svc.CreateToken(ctx, u.ID, "wider", []Permission{QuerySQL}, time.Time{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("token minted a broader token: %v", err)
	}
	if _, _, err := e.svc.CreateToken(ctx, u.ID, "same", []Permission{TokensWrite}, time.Time{}); err != nil {
		t.Fatalf("same scopes: %v", err)
	}
	v := e.user(t, "v@example.com", RoleViewer)
	if _, _, err := e.svc.CreateToken(ctx, v.ID, "for someone else", []Permission{DashboardRead}, time.Time{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("token for another user: %v", err)
	}
}

func TestAdminTokenAndRequireAnswers(t *testing.T) {
	e := newEnv(t)
	w, p := e.call(t, DebugPprof, bearer("POST", adminToken))
	if w.Code != http.StatusNoContent || p.Kind != KindAdmin || p.UserID != AdminID || p.Role != RoleOwner {
		t.Fatalf("admin token = %d, %+v", w.Code, p)
	}
	// No credentials: 401 with a challenge.
	w, _ = e.call(t, DashboardRead, httptest.NewRequest("GET", "/", nil))
	var body map[string]string
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" || body["error"] == "" {
		t.Fatalf("no credentials = %d %v %s", w.Code, w.Header(), w.Body)
	}
	// Wrong tokens of every shape: 401.
	for _, h := range []string{"Bearer " + adminToken + "x", "Bearer twt_" + strings.Repeat("a", 52), "Basic Zm9vOmJhcg==", "Bearer "} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", h)
		if w, _ := e.call(t, DashboardRead, r); w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("Authorization %q = %d", h, w.Code)
		}
	}
	// Lacking the permission: 403 naming it.
	e.user(t, "v@example.com", RoleViewer)
	s := e.login(t, "v@example.com")
	w, _ = e.call(t, QuerySQL, withCookie(httptest.NewRequest("GET", "/", nil), s))
	body = map[string]string{}
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	if w.Code != http.StatusForbidden || body["permission"] != "query.sql" || body["error"] == "" {
		t.Fatalf("viewer querying = %d %s", w.Code, w.Body)
	}
	// No admin token configured: the old one is just a wrong token.
	e2 := e.open(t, func(o *Options) { o.AdminToken = "" })
	if _, err := e2.Authenticate(bearer("GET", adminToken)); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("admin token with none configured: %v", err)
	}
	// An injected error writer keeps the API's shape.
	var got []string
	e3 := e.open(t, func(o *Options) {
		o.WriteError = func(w http.ResponseWriter, status int, field, msg string) {
			got = append(got, field)
			w.WriteHeader(status)
		}
	})
	h := e3.Require(QuerySQL, http.NotFoundHandler())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	rec2 := httptest.NewRecorder()
	h.ServeHTTP(rec2, withCookie(httptest.NewRequest("POST", "/", nil), s))
	if rec.Code != 401 || rec2.Code != 403 || len(got) != 2 || got[1] != "csrf_token" {
		t.Fatalf("injected writer: %d %d %v", rec.Code, rec2.Code, got)
	}
}

func TestLogValuesHideSecrets(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice@example.com", RoleViewer)
	s := e.login(t, "alice@example.com")
	var buf strings.Builder
	logger := newTextLogger(&buf)
	logger.Info("x", "session", s, "principal", &Principal{Kind: KindSession, SessionID: s.Handle, CSRF: s.CSRF})
	if strings.Contains(buf.String(), s.ID) || strings.Contains(buf.String(), s.CSRF) {
		t.Fatalf("log shows a secret: %s", buf.String())
	}
	b, _ := json.Marshal(s)
	if strings.Contains(string(b), s.ID) || strings.Contains(string(b), s.CSRF) {
		t.Fatalf("JSON shows a secret: %s", b)
	}
}
