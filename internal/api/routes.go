package api

import (
	"errors"
	"html/template"
	"net/http"
	"net/http/pprof"
	"net/url"
	"strings"

	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
)

// Route is one endpoint of the API with what it takes to call it: a
// permission (Any lists alternatives), or, for the few public endpoints,
// the reason they need none. The table is the single source of truth for the
// permission-matrix test and docs/permissions.md.
type Route struct {
	Method, Path string
	// Perm is required; "" with Public == "" means any signed-in principal.
	Perm auth.Permission
	// Any lets a principal with any one of these permissions in.
	Any []auth.Permission
	// Public says why the endpoint needs no credentials (and how it is
	// protected instead); empty for authenticated endpoints.
	Public string
	// Page marks a dashboard page: without a session it redirects to the
	// sign-in page instead of answering 401, and a missing permission gets
	// an HTML page instead of JSON.
	Page    bool
	handler http.HandlerFunc
}

// Routes lists every endpoint of the API.
func (s *Server) Routes() []Route {
	rs := []Route{
		{Method: "GET", Path: "/healthz", Public: "liveness probe; says only ok", handler: s.healthz},
		{Method: "GET", Path: "/readyz", Public: "readiness probe; says only ready or not", handler: s.readyz},
		{Method: "GET", Path: "/metrics", Perm: auth.MetricsRead, handler: s.Metrics.ServeHTTP},
		{Method: "GET", Path: "/debug/pprof/", Perm: auth.DebugPprof, handler: pprof.Index},
		{Method: "GET", Path: "/debug/pprof/profile", Perm: auth.DebugPprof, handler: pprof.Profile},
		{Method: "GET", Path: "/debug/pprof/trace", Perm: auth.DebugPprof, handler: pprof.Trace},
		{Method: "POST", Path: "/v1/sources", Perm: auth.SourcesWrite, handler: s.audited("source.create", s.createSource)},
		{Method: "GET", Path: "/v1/sources", Perm: auth.SourcesRead, handler: s.listSources},
		{Method: "POST", Path: "/v1/query", Perm: auth.QuerySQL, handler: s.audited("query.sql", s.query)},
		{Method: "POST", Path: "/v1/imports", Perm: auth.ImportsWrite, handler: s.audited("import.run", s.importFile)},
		{Method: "POST", Path: "/v1/fx_rates", Perm: auth.FXWrite, handler: s.audited("config.fx_rates", s.importFX)},
		{Method: "POST", Path: "/v1/admin/backup", Perm: auth.BackupRun, handler: s.audited("backup.run", s.backup)},
	}
	rs = append(rs, s.accountRoutes()...)
	rs = append(rs, s.privacyRoutes()...)
	rs = append(rs, s.profileRoutes()...)
	rs = append(rs, s.analyticsRoutes()...)
	rs = append(rs, s.qualityRoutes()...)
	rs = append(rs, s.predictionRoutes()...)
	rs = append(rs, s.marketingRoutes()...)
	rs = append(rs, s.vocRoutes()...)
	rs = append(rs, s.complianceRoutes()...)
	rs = append(rs, s.actionRoutes()...)
	rs = append(rs, s.audienceRoutes()...)
	rs = append(rs, s.pageRoutes()...)
	return rs
}

// pageRoutes are the dashboard's pages and assets.
func (s *Server) pageRoutes() []Route {
	if s.Web == nil {
		return nil
	}
	var out []Route
	for _, p := range s.Web.Pages() {
		rt := Route{Method: p.Method, Path: p.Path, Perm: p.Perm, Any: p.Any, Page: true, handler: p.Handler}
		if p.Public {
			rt.Public = "dashboard page or asset without data: the sign-in and first-run pages and their static files"
		}
		out = append(out, rt)
	}
	return out
}

// Register mounts the API on mux.
func (s *Server) Register(mux *http.ServeMux) {
	for _, rt := range s.Routes() {
		mux.Handle(rt.Method+" "+rt.Path, s.guard(rt))
	}
}

// guard authenticates a request and checks the route's permission: 401
// without valid credentials, 403 without the permission (or the CSRF token
// of a session); both are audited. Authenticated callers are rate limited
// per principal.
func (s *Server) guard(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if rt.Public != "" {
			rt.handler(w, r)
			return
		}
		p, err := s.Auth.Authenticate(r)
		if err != nil && rt.Page && (errors.Is(err, auth.ErrUnauthenticated) || errors.Is(err, auth.ErrInvalidCredentials)) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err != nil {
			s.denyAuth(w, r, err)
			return
		}
		if s.Limiter != nil {
			key := p.UserID + "/" + p.TokenID
			if ok, retry := s.Limiter.Allow(key); !ok {
				auth.WriteTooMany(w, retry, ingest.WriteError)
				return
			}
		}
		allowed := rt.Perm == "" && len(rt.Any) == 0 || rt.Perm != "" && p.Can(rt.Perm)
		for _, perm := range rt.Any {
			allowed = allowed || p.Can(perm)
		}
		if !allowed {
			need := string(rt.Perm)
			if need == "" {
				var names []string
				for _, a := range rt.Any {
					names = append(names, string(a))
				}
				need = strings.Join(names, " or ")
			}
			s.record(r.WithContext(auth.WithPrincipal(r.Context(), p)), "auth.denied", rt.Method+" "+rt.Path, "denied", map[string]any{"needs": need})
			if rt.Page {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(http.StatusForbidden)
				_ = forbiddenPage.Execute(w, need)
				return
			}
			ingest.WriteError(w, http.StatusForbidden, "", "your role does not allow this: it needs the permission "+need)
			return
		}
		rt.handler(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// denyAuth answers a request whose credentials are missing or wrong.
func (s *Server) denyAuth(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, auth.ErrCSRF):
		s.record(r, "auth.csrf_failed", r.Method+" "+r.URL.Path, "denied", nil)
		ingest.WriteError(w, http.StatusForbidden, "csrf_token", "missing or wrong CSRF token (X-CSRF-Token header or csrf_token field)")
	case errors.Is(err, auth.ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Bearer realm="tradewind"`)
		ingest.WriteError(w, http.StatusUnauthorized, "", "authentication required: sign in, or send Authorization: Bearer <token>")
	case errors.Is(err, auth.ErrInvalidCredentials):
		s.record(r, "auth.invalid_credentials", r.Method+" "+r.URL.Path, "denied", nil)
		w.Header().Set("WWW-Authenticate", `Bearer realm="tradewind", error="invalid_token"`)
		ingest.WriteError(w, http.StatusUnauthorized, "", "invalid, expired or revoked credentials")
	default:
		s.Logger.Error("could not authenticate a request", "path", r.URL.Path, "err", err)
		ingest.WriteError(w, http.StatusServiceUnavailable, "", "could not check credentials; try again")
	}
}

// audited records every call of h in the audit log as action, with the
// outcome its status says and, if detail is set, what detail says about the
// request (read before h runs, so a handler may consume the body).
func (s *Server) audited(action string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h(sw, r)
		outcome := "ok"
		switch {
		case sw.status == http.StatusForbidden || sw.status == http.StatusUnauthorized:
			outcome = "denied"
		case sw.status == statusClientClosed:
			outcome = "cancelled"
		case sw.status >= 400:
			outcome = "failed"
		}
		detail := map[string]any{"status": sw.status}
		for k, v := range sw.detail {
			detail[k] = v
		}
		s.record(r, action, sw.target, outcome, detail)
	}
}

// statusClientClosed answers a request whose client went away before the
// answer was ready (a page left while its query ran): not the request's
// fault, so neither a 400 nor a 500 (the status nginx uses for it).
const statusClientClosed = 499

// statusWriter remembers the status of a response, and what the handler
// wants said about it in the audit log (auditNote).
type statusWriter struct {
	http.ResponseWriter
	status int
	target string
	detail map[string]any
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// auditNote sets the target and detail of the audit entry of an audited
// handler; outside one it does nothing.
func auditNote(w http.ResponseWriter, target string, detail map[string]any) {
	sw, ok := w.(*statusWriter)
	if !ok {
		return
	}
	if target != "" {
		sw.target = target
	}
	if sw.detail == nil {
		sw.detail = map[string]any{}
	}
	for k, v := range detail {
		sw.detail[k] = v
	}
}

// forbiddenPage tells a signed-in user that their role does not open a
// dashboard page.
var forbiddenPage = template.Must(template.New("403").Parse(`<!doctype html><html><head><meta charset="utf-8">
<title>403 · tradewind</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto">
<h1>403</h1><p>Your role does not open this page (it needs the permission <code>{{.}}</code>).<br>
您的角色无权访问此页面（需要权限 <code>{{.}}</code>）。</p><p><a href="/">Overview / 概览</a></p></body></html>`))
