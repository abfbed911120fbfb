package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// CookieName is the dashboard session cookie.
const CookieName = "tw_session"

// sessPrefix keys sessions in their bucket: sess.<hex SHA-256 of the id>.
// Only the hash is stored, so reading the bucket (a backup, a NATS
// operator) does not yield a usable cookie.
const sessPrefix = "sess."

// Session is a dashboard login.
type Session struct {
	// ID is the secret cookie value: 32 random bytes, base64url. It is set
	// only on the Session that Login returns and is never stored, logged
	// or marshalled.
	ID string `json:"-"`
	// Handle is the SHA-256 of ID in hex: the session's public name, safe to
	// show and log (Principal.SessionID).
	Handle     string    `json:"handle"`
	UserID     string    `json:"user_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"` // absolute end; the idle timeout may end it sooner
	IP         string    `json:"ip,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
	// CSRF is the token that unsafe requests authenticated by this session
	// must carry (header X-CSRF-Token or form field csrf_token). Pages embed
	// it; it is worthless without the cookie.
	CSRF string `json:"-"`
}

// LogValue keeps the secret id and the CSRF token out of logs.
func (s *Session) LogValue() slog.Value {
	if s == nil {
		return slog.StringValue("<none>")
	}
	return slog.GroupValue(slog.String("handle", s.Handle), slog.String("user", s.UserID))
}

// sessionRecord is what the bucket holds.
type sessionRecord struct {
	UserID      string    `json:"user_id"`
	AuthVersion uint64    `json:"auth_version"`
	CreatedAt   time.Time `json:"created_at"`
	LastSeenAt  time.Time `json:"last_seen_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	IP          string    `json:"ip,omitempty"`
	UserAgent   string    `json:"user_agent,omitempty"`
	CSRF        string    `json:"csrf"`
}

var b64url = base64.RawURLEncoding

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// newSession opens a session for rec. Every login gets a fresh id, so an id
// planted before login (session fixation) is never promoted.
func (s *Service) newSession(ctx context.Context, rec userRecord, ip, userAgent string) (*Session, error) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	id := b64url.EncodeToString(raw)
	csrf := make([]byte, 32)
	_, _ = rand.Read(csrf)
	now := s.now().UTC()
	sr := sessionRecord{
		UserID: rec.ID, AuthVersion: rec.AuthVersion,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opts.SessionLifetime),
		IP: clip(ip, 64), UserAgent: clip(userAgent, 256), CSRF: b64url.EncodeToString(csrf),
	}
	handle := hashHex(id)
	b, _ := json.Marshal(sr)
	if _, err := s.sessions.Create(ctx, sessPrefix+handle, b); err != nil {
		return nil, fmt.Errorf("auth: store session: %w", err)
	}
	return &Session{ID: id, Handle: handle, UserID: sr.UserID, CreatedAt: sr.CreatedAt, LastSeenAt: sr.LastSeenAt,
		ExpiresAt: sr.ExpiresAt, IP: sr.IP, UserAgent: sr.UserAgent, CSRF: sr.CSRF}, nil
}

// SetCookie sets the session cookie: HttpOnly (scripts cannot read it),
// SameSite=Lax (other sites' forms do not send it with a POST; links still
// work), Secure when served over TLS, for the whole site, until the
// session's absolute expiry.
func SetCookie(w http.ResponseWriter, s *Session, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: s.ID, Path: "/", Expires: s.ExpiresAt,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie removes the session cookie from the browser (after Logout).
func ClearCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

// Logout ends the session p was authenticated by; for a principal that is
// not a session it does nothing.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if p == nil || p.Kind != KindSession || p.SessionID == "" {
		return nil
	}
	if err := s.sessions.Delete(ctx, sessPrefix+p.SessionID); err != nil {
		return fmt.Errorf("auth: end session: %w", err)
	}
	return nil
}

// touchEvery throttles last-seen writes: one per minute per session is
// precise enough for the idle timeout and keeps page loads from writing.
func (s *Service) touchEvery() time.Duration { return min(time.Minute, s.opts.SessionIdle/10) }

// sessionPrincipal authenticates a session cookie value.
func (s *Service) sessionPrincipal(ctx context.Context, id string) (*Principal, error) {
	if raw, err := b64url.DecodeString(id); err != nil || len(raw) != 32 {
		return nil, ErrInvalidCredentials
	}
	handle := hashHex(id)
	key := sessPrefix + handle
	e, err := s.sessions.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read session: %w", err)
	}
	var sr sessionRecord
	if err := json.Unmarshal(e.Value(), &sr); err != nil {
		return nil, ErrInvalidCredentials
	}
	now := s.now().UTC()
	if !now.Before(sr.ExpiresAt) || !now.Before(sr.LastSeenAt.Add(s.opts.SessionIdle)) {
		_ = s.sessions.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
		return nil, ErrInvalidCredentials
	}
	s.mu.RLock()
	ue := s.userByID[sr.UserID]
	var u userRecord
	if ue != nil {
		u = ue.rec
	}
	s.mu.RUnlock()
	// A session older than the user's auth version is void. It is not
	// deleted here: during a password change the user's record is newer
	// than the changing session for a moment, until modifyUser carries the
	// session over; the purge after every such change deletes the rest. A
	// session newer than this node's copy of the user was opened on a node
	// that saw the change first, and is fine.
	if ue == nil || u.Disabled || sr.AuthVersion < u.AuthVersion {
		return nil, ErrInvalidCredentials
	}
	if now.Sub(sr.LastSeenAt) >= s.touchEvery() {
		sr.LastSeenAt = now
		b, _ := json.Marshal(sr)
		// Update, not Put: a logout racing with this request must win,
		// not be undone by a resurrected record.
		if _, err := s.sessions.Update(ctx, key, b, e.Revision()); err != nil && !isConflict(err) {
			s.log.Warn("auth: could not record session activity", "session", handle, "err", err)
		}
	}
	return &Principal{Kind: KindSession, UserID: u.ID, Email: u.Email, Role: u.Role, SessionID: handle, CSRF: sr.CSRF}, nil
}

// checkCSRF compares the request's CSRF token with the session's in
// constant time. The form field is read only from url-encoded bodies:
// parsing a multipart body here would buffer an upload before the handler
// sees it, so multipart requests send the header.
func checkCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && isURLEncodedForm(r) {
		got = r.PostFormValue("csrf_token")
	}
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// carrySession moves the session handle of user id to auth version v, so a
// user who changed their own password stays logged in where they did it.
func (s *Service) carrySession(ctx context.Context, handle, id string, v uint64) {
	key := sessPrefix + handle
	e, err := s.sessions.Get(ctx, key)
	if err != nil {
		return
	}
	var sr sessionRecord
	if json.Unmarshal(e.Value(), &sr) != nil || sr.UserID != id {
		return
	}
	sr.AuthVersion = v
	b, _ := json.Marshal(sr)
	if _, err := s.sessions.Update(ctx, key, b, e.Revision()); err != nil {
		s.log.Warn("auth: could not keep the current session", "session", handle, "err", err)
	}
}

// purgeSessions deletes the sessions of user id opened under an auth
// version before v. They are already refused (the version check); deleting
// them keeps the bucket small. It reads every session, which is fine for the
// number of dashboard sessions an installation has and runs in the
// background.
func (s *Service) purgeSessions(ctx context.Context, id string, v uint64) {
	l, err := s.sessions.ListKeysFiltered(ctx, sessPrefix+"*")
	if err != nil {
		if !errors.Is(err, jetstream.ErrNoKeysFound) {
			s.log.Warn("auth: could not list sessions", "err", err)
		}
		return
	}
	defer func() { _ = l.Stop() }()
	var stale []jetstream.KeyValueEntry
	for k := range l.Keys() {
		e, err := s.sessions.Get(ctx, k)
		if err != nil {
			continue
		}
		var sr sessionRecord
		if json.Unmarshal(e.Value(), &sr) == nil && sr.UserID == id && sr.AuthVersion < v {
			stale = append(stale, e)
		}
	}
	for _, e := range stale {
		if err := s.sessions.Delete(ctx, e.Key(), jetstream.LastRevision(e.Revision())); err != nil && !isConflict(err) {
			s.log.Warn("auth: could not delete a session", "err", err)
		}
	}
}
