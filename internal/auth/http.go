package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
)

// Principal kinds.
const (
	KindSession = "user_session" // dashboard session cookie
	KindToken   = "api_token"    // Authorization: Bearer twt_…
	KindAdmin   = "admin_token"  // Authorization: Bearer <TRADEWIND_ADMIN_TOKEN>
)

// AdminID is the Principal.UserID of the admin token, so audit records
// name it like a user.
const AdminID = "admin-token"

// Principal is who a request acts as.
type Principal struct {
	Kind   string // KindSession, KindToken or KindAdmin
	UserID string // AdminID for the admin token
	Email  string
	Role   Role
	// Scopes are an API token's effective permissions (its scopes that the
	// user's role still has); nil for other kinds.
	Scopes    []Permission
	TokenID   string // API token id
	SessionID string // session handle (hash of the cookie), never the cookie
	// CSRF is the session's CSRF token, for pages to embed in forms.
	CSRF string
}

// Can reports whether p may use permission perm: its role must grant it,
// and for an API token its scopes must include it as well. A nil principal
// may do nothing.
func (p *Principal) Can(perm Permission) bool {
	if p == nil || !p.Role.Can(perm) {
		return false
	}
	return p.Kind != KindToken || slices.Contains(p.Scopes, perm)
}

// Permissions lists what p may do, in documentation order (for a UI that
// hides what the user cannot use).
func (p *Principal) Permissions() []Permission {
	var out []Permission
	for _, perm := range Permissions {
		if p.Can(perm) {
			out = append(out, perm)
		}
	}
	return out
}

// LogValue keeps the CSRF token out of logs.
func (p *Principal) LogValue() slog.Value {
	if p == nil {
		return slog.StringValue("<none>")
	}
	return slog.GroupValue(slog.String("kind", p.Kind), slog.String("user", p.UserID),
		slog.String("role", string(p.Role)), slog.String("token", p.TokenID), slog.String("session", p.SessionID))
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal a middleware put in ctx.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(*Principal)
	return p, ok && p != nil
}

// Authenticate finds the principal of a request: an "Authorization: Bearer"
// header with the admin token or an API token, else the session cookie. For
// a cookie on an unsafe method (anything but GET, HEAD, OPTIONS, TRACE) the
// request must carry the session's CSRF token (header X-CSRF-Token, or form
// field csrf_token in a url-encoded body), because browsers send cookies
// with cross-site requests; bearer requests need none, since browsers never
// add an Authorization header on their own.
//
// Errors: ErrUnauthenticated (no credentials), ErrInvalidCredentials,
// ErrCSRF, or a wrapped bucket error.
func (s *Service) Authenticate(r *http.Request) (*Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return nil, ErrInvalidCredentials
		}
		if s.opts.AdminToken != "" {
			// Hashing first makes the comparison constant-time in the
			// length too.
			sum := sha256.Sum256([]byte(tok))
			if subtle.ConstantTimeCompare(sum[:], s.adminHash[:]) == 1 {
				return &Principal{Kind: KindAdmin, UserID: AdminID, Role: RoleOwner}, nil
			}
		}
		return s.tokenPrincipal(tok)
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, ErrUnauthenticated
	}
	p, err := s.sessionPrincipal(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	if !safeMethod(r.Method) && !checkCSRF(r, p.CSRF) {
		return nil, ErrCSRF
	}
	return p, nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

func isURLEncodedForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/x-www-form-urlencoded"
}

// Require lets a request through only with a principal that has perm: 401
// (with WWW-Authenticate) without valid credentials, 403 without the
// permission or the CSRF token. The principal goes into the request's
// context (FromContext); one already there from an outer middleware is
// used as is.
func (s *Service) Require(perm Permission, next http.Handler) http.Handler {
	return s.guard(perm, next)
}

// Authenticated lets through any authenticated principal (a "who am I" or a
// logout endpoint), with the same answers as Require.
func (s *Service) Authenticated(next http.Handler) http.Handler {
	return s.guard("", next)
}

func (s *Service) guard(perm Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := FromContext(r.Context())
		if !ok {
			var err error
			if p, err = s.Authenticate(r); err != nil {
				s.deny(w, r, err)
				return
			}
			r = r.WithContext(WithPrincipal(r.Context(), p))
		}
		if perm != "" && !p.Can(perm) {
			s.writeError(w, http.StatusForbidden, "", "this needs the permission "+string(perm), perm)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// deny answers a failed Authenticate.
func (s *Service) deny(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrCSRF):
		s.writeError(w, http.StatusForbidden, "csrf_token", err.Error(), "")
	case errors.Is(err, ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Bearer realm="tradewind"`)
		s.writeError(w, http.StatusUnauthorized, "", "authentication required: log in, or send Authorization: Bearer <token>", "")
	case errors.Is(err, ErrInvalidCredentials):
		w.Header().Set("WWW-Authenticate", `Bearer realm="tradewind", error="invalid_token"`)
		s.writeError(w, http.StatusUnauthorized, "", "invalid, expired or revoked credentials", "")
	default:
		s.log.Error("auth: could not authenticate a request", "path", r.URL.Path, "err", err)
		s.writeError(w, http.StatusServiceUnavailable, "", "could not check credentials; try again", "")
	}
}

func (s *Service) writeError(w http.ResponseWriter, status int, field, msg string, perm Permission) {
	if s.opts.WriteError != nil {
		s.opts.WriteError(w, status, field, msg)
		return
	}
	writeErrorJSON(w, status, field, msg, perm)
}

// errorBody is the default error shape.
type errorBody struct {
	Error      string     `json:"error"`
	Field      string     `json:"field,omitempty"`
	Permission Permission `json:"permission,omitempty"`
}

func writeErrorJSON(w http.ResponseWriter, status int, field, msg string, perm Permission) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: msg, Field: field, Permission: perm})
}

// ClientIP is the address of the peer of r, without the port. It does not
// read X-Forwarded-For: behind a reverse proxy the caller must supply the
// client address it trusts, or every client shares the proxy's lockout and
// limits.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
