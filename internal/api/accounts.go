package api

import (
	"encoding/json"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
)

func (s *Server) accountRoutes() []Route {
	var pages []Route
	if s.Web == nil {
		// Without the dashboard, minimal sign-in and first-run forms.
		pages = []Route{
			{Method: "GET", Path: "/login", Public: "the sign-in page: a form, no data", handler: s.loginPage},
			{Method: "GET", Path: "/setup", Public: "first-run page; creates the owner only while none exists", handler: s.setupPage},
		}
	}
	return append(pages, []Route{
		{Method: "POST", Path: "/v1/auth/login", Public: "signs in with e-mail and password; rate limited per address and locked out with back-off", handler: s.login},
		{Method: "POST", Path: "/v1/setup", Public: "creates the first owner only while none exists (409 after)", handler: s.setup},
		{Method: "POST", Path: "/v1/auth/logout", handler: s.logout},
		{Method: "GET", Path: "/v1/auth/me", handler: s.me},
		{Method: "GET", Path: "/v1/users", Perm: auth.UsersRead, handler: s.listUsers},
		{Method: "POST", Path: "/v1/users", Perm: auth.UsersWrite, handler: s.audited("user.create", s.createUser)},
		{Method: "PATCH", Path: "/v1/users/{id}", Perm: auth.UsersWrite, handler: s.audited("user.change", s.changeUser)},
		{Method: "GET", Path: "/v1/tokens", Perm: auth.TokensWrite, handler: s.listTokens},
		{Method: "POST", Path: "/v1/tokens", Perm: auth.TokensWrite, handler: s.audited("token.create", s.createToken)},
		{Method: "DELETE", Path: "/v1/tokens/{id}", Perm: auth.TokensWrite, handler: s.audited("token.revoke", s.revokeToken)},
	}...)
}

// credentials reads e-mail and password from a JSON body or a form.
func credentials(w http.ResponseWriter, r *http.Request) (email, password, name string, ok bool) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			ingest.WriteError(w, http.StatusBadRequest, "", "invalid form")
			return "", "", "", false
		}
		return r.PostFormValue("email"), r.PostFormValue("password"), r.PostFormValue("name"), true
	}
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Name     string `json:"name"`
	}
	if !decode(w, r, &req) {
		return "", "", "", false
	}
	return req.Email, req.Password, req.Name, true
}

func isForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data"
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ip := auth.ClientIP(r)
	if s.LoginLimiter != nil {
		if ok, retry := s.LoginLimiter.Allow("ip/" + ip); !ok {
			auth.WriteTooMany(w, retry, ingest.WriteError)
			return
		}
	}
	email, password, _, ok := credentials(w, r)
	if !ok {
		return
	}
	if strings.TrimSpace(email) == "" || password == "" {
		ingest.WriteError(w, http.StatusBadRequest, "email", "email and password are required")
		return
	}
	sess, err := s.Auth.LoginWithUserAgent(r.Context(), email, password, ip, r.UserAgent())
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		s.record(r, "auth.login_failed", maskEmail(email), "denied", map[string]any{"reason": "locked"})
		w.Header().Set("Retry-After", retryAfter(locked.RetryAfter))
		ingest.WriteError(w, http.StatusTooManyRequests, "", "too many failed sign-ins; try again later")
		return
	case errors.Is(err, auth.ErrInvalidLogin), errors.Is(err, auth.ErrDisabled):
		s.record(r, "auth.login_failed", maskEmail(email), "denied", nil)
		if isForm(r) {
			s.renderLogin(w, http.StatusUnauthorized, "E-mail or password is wrong. / 邮箱或密码错误。")
			return
		}
		ingest.WriteError(w, http.StatusUnauthorized, "", err.Error())
		return
	case err != nil:
		var fe *auth.FieldError
		if errors.As(err, &fe) {
			ingest.WriteError(w, http.StatusBadRequest, fe.Field, fe.Error())
			return
		}
		s.Logger.Error("login failed", "err", err)
		ingest.WriteError(w, http.StatusServiceUnavailable, "", "could not sign in; try again")
		return
	}
	auth.SetCookie(w, sess, s.SecureCookies)
	u, _ := s.Auth.GetUser(sess.UserID)
	r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Kind: auth.KindSession, UserID: u.ID, Email: u.Email, Role: u.Role}))
	s.record(r, "auth.login", u.ID, "ok", nil)
	if isForm(r) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u, "csrf_token": sess.CSRF, "expires_at": sess.ExpiresAt})
}

func retryAfter(d time.Duration) string {
	secs := int(d.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	b, _ := json.Marshal(secs)
	return string(b)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if p.Kind == auth.KindSession {
		if err := s.Auth.Logout(r.Context(), p); err != nil {
			s.Logger.Error("logout failed", "err", err)
		}
		auth.ClearCookie(w, s.SecureCookies)
	}
	s.record(r, "auth.logout", p.UserID, "ok", nil)
	writeJSON(w, http.StatusOK, map[string]string{"status": "signed out"})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	out := map[string]any{"kind": p.Kind, "user_id": p.UserID, "role": p.Role, "permissions": p.Permissions()}
	if u, ok := s.Auth.GetUser(p.UserID); ok {
		out["user"] = u
	}
	if p.Kind == auth.KindSession {
		out["csrf_token"] = p.CSRF
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	if s.Auth.HasOwner() {
		ingest.WriteError(w, http.StatusConflict, "", "an owner exists already; sign in instead")
		return
	}
	if s.LoginLimiter != nil {
		if ok, retry := s.LoginLimiter.Allow("ip/" + auth.ClientIP(r)); !ok {
			auth.WriteTooMany(w, retry, ingest.WriteError)
			return
		}
	}
	email, password, name, ok := credentials(w, r)
	if !ok {
		return
	}
	u, err := s.Auth.CreateOwner(r.Context(), email, name, password)
	var fe *auth.FieldError
	switch {
	case errors.Is(err, auth.ErrOwnerExists):
		ingest.WriteError(w, http.StatusConflict, "", "an owner exists already; sign in instead")
		return
	case errors.As(err, &fe):
		ingest.WriteError(w, http.StatusBadRequest, fe.Field, fe.Error())
		return
	case err != nil:
		s.Logger.Error("create owner failed", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not create the owner")
		return
	}
	r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Kind: auth.KindSession, UserID: u.ID, Email: u.Email, Role: u.Role}))
	s.record(r, "user.create_owner", u.ID, "ok", nil)
	if isForm(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"users": s.Auth.ListUsers()})
}

// authError answers an error of the auth service.
func (s *Server) authError(w http.ResponseWriter, err error) {
	var fe *auth.FieldError
	switch {
	case errors.As(err, &fe):
		ingest.WriteError(w, http.StatusBadRequest, fe.Field, fe.Error())
	case errors.Is(err, auth.ErrNotFound):
		ingest.WriteError(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, auth.ErrEmailTaken):
		ingest.WriteError(w, http.StatusConflict, "email", err.Error())
	case errors.Is(err, auth.ErrForbidden), errors.Is(err, auth.ErrLastOwner):
		ingest.WriteError(w, http.StatusForbidden, "", err.Error())
	default:
		s.Logger.Error("account change failed", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not change the account")
	}
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email    string `json:"email"`
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
	}
	if !decode(w, r, &req) {
		return
	}
	role, err := auth.ParseRole(req.Role)
	if err != nil {
		ingest.WriteError(w, http.StatusBadRequest, "role", err.Error())
		return
	}
	u, err := s.Auth.CreateUser(r.Context(), principal(r), auth.NewUser{Email: req.Email, Name: req.Name, Role: role, Password: req.Password})
	if err != nil {
		s.authError(w, err)
		return
	}
	auditNote(w, u.ID, map[string]any{"role": u.Role})
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) changeUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Role     *string `json:"role"`
		Disabled *bool   `json:"disabled"`
	}
	if !decode(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	auditNote(w, id, nil)
	var u auth.User
	var err error
	if req.Role != nil {
		role, perr := auth.ParseRole(*req.Role)
		if perr != nil {
			ingest.WriteError(w, http.StatusBadRequest, "role", perr.Error())
			return
		}
		if u, err = s.Auth.UpdateRole(r.Context(), principal(r), id, role); err != nil {
			s.authError(w, err)
			return
		}
		auditNote(w, id, map[string]any{"role": role})
	}
	if req.Disabled != nil {
		if *req.Disabled {
			u, err = s.Auth.DisableUser(r.Context(), principal(r), id)
		} else {
			u, err = s.Auth.EnableUser(r.Context(), principal(r), id)
		}
		if err != nil {
			s.authError(w, err)
			return
		}
		auditNote(w, id, map[string]any{"disabled": *req.Disabled})
	}
	if req.Role == nil && req.Disabled == nil {
		ingest.WriteError(w, http.StatusBadRequest, "", "nothing to change: give role and/or disabled")
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"tokens": s.Auth.ListTokens(principal(r).UserID)})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name      string    `json:"name"`
		Scopes    []string  `json:"scopes"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if !decode(w, r, &req) {
		return
	}
	p := principal(r)
	if p.Kind == auth.KindAdmin {
		ingest.WriteError(w, http.StatusBadRequest, "", "the admin token belongs to no user; sign in as a user to create API tokens")
		return
	}
	scopes, err := auth.ParsePermissions(req.Scopes)
	if err != nil {
		ingest.WriteError(w, http.StatusBadRequest, "scopes", err.Error())
		return
	}
	secret, tok, err := s.Auth.CreateToken(r.Context(), p.UserID, req.Name, scopes, req.ExpiresAt)
	if err != nil {
		s.authError(w, err)
		return
	}
	auditNote(w, tok.ID, map[string]any{"scopes": tok.Scopes, "expires_at": tok.ExpiresAt})
	writeJSON(w, http.StatusCreated, map[string]any{"token": secret, "info": tok,
		"note": "the token is shown once; store it now"})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	auditNote(w, id, nil)
	if err := s.Auth.RevokeToken(r.Context(), principal(r).UserID, id); err != nil {
		s.authError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// maskEmail masks an e-mail address for the audit log.
func maskEmail(e string) string {
	local, domain, ok := strings.Cut(strings.TrimSpace(e), "@")
	if !ok || local == "" {
		return "***"
	}
	return local[:1] + "***@" + domain
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}} · tradewind</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#1f2937}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1.2rem}.err{color:#b91c1c}</style></head>
<body><h1>{{.Title}}</h1>{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
{{if .Setup}}<label for="name">Name / 姓名</label><input id="name" name="name" autocomplete="name">{{end}}
<label for="email">E-mail / 邮箱</label><input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password / 密码</label><input id="password" name="password" type="password" autocomplete="{{if .Setup}}new-password{{else}}current-password{{end}}" required minlength="10">
<button type="submit">{{.Button}}</button></form></body></html>`))

type pageData struct {
	Title, Action, Button, Error string
	Setup                        bool
}

func (s *Server) renderLogin(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, pageData{Title: "Sign in / 登录", Action: "/v1/auth/login", Button: "Sign in / 登录", Error: msg})
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if !s.Auth.HasOwner() {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	s.renderLogin(w, http.StatusOK, "")
}

func (s *Server) setupPage(w http.ResponseWriter, r *http.Request) {
	if s.Auth.HasOwner() {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, pageData{Title: "Create the owner account / 创建所有者账户", Action: "/v1/setup",
		Button: "Create / 创建", Setup: true})
}
