// Package web serves tradewind's dashboard: the pages a growth team opens in
// a browser, in Chinese and English. Pages are server-rendered
// html/template shells; their data comes from the JSON API (package api),
// loaded by small scripts without a framework or a build step, and charts
// are drawn with Apache ECharts. Every script, style sheet and chart
// library is embedded in the binary (go:embed) and served under /static/
// with content-hashed names, so nothing is loaded from the internet and the
// pages satisfy a strict Content-Security-Policy: no inline scripts, no
// eval.
//
// The package only renders and serves; the server mounts Pages() in its
// route table, authenticates the request and checks each page's permission
// before calling a non-public handler, and puts the principal in the
// request's context (auth.FromContext). The pages hide what the user's role
// may not use; the API checks every call again.
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/profile/rfm"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configures the dashboard.
type Options struct {
	// Logger receives rendering errors; nil discards them.
	Logger *slog.Logger
	// SecureCookies marks the language cookie Secure (served over TLS).
	SecureCookies bool
	// BaseCurrency is the currency every amount is converted into
	// (--base-currency), shown with amounts; empty shows plain numbers where
	// a page cannot read it from the orders.
	BaseCurrency string
	// HasOwner, if set, reports whether the first owner exists: while none
	// does, GET /login sends the visitor to the first-run page /setup, and
	// once one does, GET /setup sends them to /login. Nil leaves both pages
	// where they are (the sign-in page then links to /setup, and the setup
	// page reports the API's answer if an owner exists already).
	HasOwner func() bool
}

// UI is the dashboard: its parsed templates and embedded assets.
type UI struct {
	log      *slog.Logger
	secure   bool
	hasOwner func() bool
	base     string
	assets   *assets
	pages    map[string]*template.Template
	now      func() time.Time
}

// Page is one route of the dashboard for the server's route table.
type Page struct {
	// Method and Path form the http.ServeMux pattern ("GET /customers/{id}").
	Method, Path string
	// Perm is the permission the server checks before calling Handler; ""
	// lets in any signed-in user (the handler may check more itself).
	Perm auth.Permission
	// Public pages (sign-in, first-run setup, static assets) need no
	// session; the server calls them without authenticating.
	Public bool
	// Any lets in a principal with any one of these permissions (the
	// page itself shows what each allows).
	Any []auth.Permission
	// Handler serves the page.
	Handler http.HandlerFunc
}

// pageSpec describes one authenticated page.
type pageSpec struct {
	id      string // template name and nav key
	title   string // catalog key of the title
	scripts []string
	charts  bool // loads ECharts
}

// New parses the templates and prepares the assets; an error means the
// embedded files are broken (a build problem, caught by the tests).
func New(o Options) (*UI, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	as, err := loadAssets(staticFS, "static")
	if err != nil {
		return nil, err
	}
	for _, l := range Langs {
		if err := as.add(i18nAssetName(l), i18nScript(l)); err != nil {
			return nil, err
		}
	}
	u := &UI{log: log, secure: o.SecureCookies, hasOwner: o.HasOwner, base: o.BaseCurrency, assets: as,
		pages: map[string]*template.Template{}, now: time.Now}
	funcs := template.FuncMap{
		"asset": as.url,
		// idf passes a view and an id prefix to the identifier fields.
		"idf": func(v *view, prefix string) idFields { return idFields{V: v, Prefix: prefix} },
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		id := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if id == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		u.pages[id] = t
	}
	for _, p := range pageSpecs {
		if u.pages[p.id] == nil {
			return nil, fmt.Errorf("web: no template for page %s", p.id)
		}
		for _, s := range p.scripts {
			if as.url(s) == "" {
				return nil, fmt.Errorf("web: page %s: no asset %s", p.id, s)
			}
		}
	}
	return u, nil
}

// The pages: their templates, titles and scripts.
var pageSpecs = []pageSpec{
	{id: "overview", title: "overview.title", scripts: []string{"js/overview.js"}, charts: true},
	{id: "customers", title: "customers.title", scripts: []string{"js/customers.js"}},
	{id: "customer", title: "customer.title", scripts: []string{"js/customer.js"}},
	{id: "segments", title: "segments.title", scripts: []string{"js/segments.js", "js/audiences.js"}},
	{id: "predictions", title: "predictions.title", scripts: []string{"js/predictions.js"}, charts: true},
	{id: "voc", title: "voc.title", scripts: []string{"js/voc.js"}, charts: true},
	{id: "alerts", title: "alerts.title", scripts: []string{"js/alerts.js"}},
	{id: "marketing", title: "marketing.title", scripts: []string{"js/marketing.js"}, charts: true},
	{id: "sources", title: "sources.title", scripts: []string{"js/sources.js"}, charts: true},
	{id: "privacy", title: "privacy.title", scripts: []string{"js/privacy.js"}},
	{id: "audit", title: "audit.title", scripts: []string{"js/audit.js"}},
	{id: "settings", title: "settings.title", scripts: []string{"js/settings.js"}},
	{id: "journeys", title: "journeys.title", scripts: []string{"js/journeys.js"}, charts: true},
	{id: "compliance", title: "compliance.title", scripts: []string{"js/compliance.js"}},
	{id: "forbidden", title: "forbidden.title"},
	{id: "login", title: "login.title", scripts: []string{"js/login.js"}},
	{id: "setup", title: "setup.title", scripts: []string{"js/login.js"}},
}

func specOf(id string) pageSpec {
	for _, p := range pageSpecs {
		if p.id == id {
			return p
		}
	}
	panic("web: unknown page " + id)
}

// privacyPerms let a user into the privacy page: any one of them.
var privacyPerms = []auth.Permission{auth.PrivacyExport, auth.PrivacyErase, auth.PrivacyApprove}

// navItem is one link of the navigation.
type navItem struct {
	ID, Key, Href string
	// Any: the user needs one of these to see the link.
	Any []auth.Permission
}

var navItems = []navItem{
	{ID: "overview", Key: "nav.overview", Href: "/", Any: []auth.Permission{auth.DashboardRead}},
	{ID: "customers", Key: "nav.customers", Href: "/customers", Any: []auth.Permission{auth.CustomersRead}},
	{ID: "segments", Key: "nav.segments", Href: "/segments", Any: []auth.Permission{auth.DashboardRead}},
	{ID: "predictions", Key: "nav.predictions", Href: "/predictions", Any: []auth.Permission{auth.DashboardRead}},
	{ID: "voc", Key: "nav.voc", Href: "/voc", Any: []auth.Permission{auth.DashboardRead}},
	{ID: "marketing", Key: "nav.marketing", Href: "/marketing", Any: []auth.Permission{auth.DashboardRead}},
	{ID: "alerts", Key: "nav.alerts", Href: "/alerts", Any: []auth.Permission{auth.DashboardRead}},
	{ID: "journeys", Key: "nav.journeys", Href: "/journeys", Any: []auth.Permission{auth.DashboardRead}},
	{ID: "compliance", Key: "nav.compliance", Href: "/compliance", Any: []auth.Permission{auth.DashboardRead}},
	{ID: "sources", Key: "nav.sources", Href: "/sources", Any: []auth.Permission{auth.SourcesRead}},
	{ID: "privacy", Key: "nav.privacy", Href: "/privacy", Any: privacyPerms},
	{ID: "audit", Key: "nav.audit", Href: "/audit", Any: []auth.Permission{auth.AuditRead}},
	{ID: "settings", Key: "nav.settings", Href: "/settings", Any: []auth.Permission{auth.UsersRead}},
}

// Pages lists every page and static route, for the server's route table.
// The overview is "GET /{$}" (exactly /, not every unmatched path).
func (u *UI) Pages() []Page {
	return []Page{
		{Method: "GET", Path: "/{$}", Perm: auth.DashboardRead, Handler: u.page("overview", "overview", u.overviewData)},
		{Method: "GET", Path: "/customers", Perm: auth.CustomersRead, Handler: u.page("customers", "customers", nil)},
		{Method: "GET", Path: "/customers/{id}", Perm: auth.CustomersRead, Handler: u.page("customer", "customers", func(r *http.Request, v *view) {
			v.ProfileID = r.PathValue("id")
		})},
		{Method: "GET", Path: "/segments", Perm: auth.DashboardRead, Handler: u.page("segments", "segments", u.segmentsData)},
		// Lifetime value and churn risk: the newest run's numbers and how
		// good its models are.
		{Method: "GET", Path: "/predictions", Perm: auth.DashboardRead, Handler: u.page("predictions", "predictions", nil)},
		// Voice of the customer: review sentiment by marketplace, language
		// and week, topics with their rating impact, example texts.
		{Method: "GET", Path: "/voc", Perm: auth.DashboardRead, Handler: u.page("voc", "voc", nil)},
		// The alerts inbox of the brand-health monitor.
		{Method: "GET", Path: "/alerts", Perm: auth.DashboardRead, Handler: u.page("alerts", "alerts", nil)},
		// Which marketing works: attribution, ROI, influencers, experiments.
		{Method: "GET", Path: "/marketing", Perm: auth.DashboardRead, Handler: u.page("marketing", "marketing", nil)},
		// Journeys: the list with their tallies, one journey's definition,
		// per-step stats, treatment against control, deliveries and dead
		// letters; the JSON editor with its dry run; webhook destinations.
		// Changing anything needs actions.write, which the page checks
		// (and the API checks again).
		{Method: "GET", Path: "/journeys", Perm: auth.DashboardRead, Handler: u.page("journeys", "journeys", u.journeysData)},
		{Method: "GET", Path: "/journeys/{id}", Perm: auth.DashboardRead, Handler: u.page("journeys", "journeys", u.journeysData)},
		// The content compliance check of a message for a country, and the
		// rules in force there.
		{Method: "GET", Path: "/compliance", Perm: auth.DashboardRead, Handler: u.page("compliance", "compliance", nil)},
		// Sources and data quality: ingest rates and the quarantine.
		{Method: "GET", Path: "/sources", Perm: auth.SourcesRead, Handler: u.page("sources", "sources", nil)},
		// Any one of three permissions opens the privacy page, so the page
		// checks them itself.
		{Method: "GET", Path: "/privacy", Any: privacyPerms, Handler: u.page("privacy", "privacy", nil, privacyPerms...)},
		{Method: "GET", Path: "/audit", Perm: auth.AuditRead, Handler: u.page("audit", "audit", nil)},
		// Every section of the settings checks its own permission (users,
		// one's own tokens, sources, retention), so any signed-in user opens
		// it and sees the sections their role allows.
		{Method: "GET", Path: "/settings", Handler: u.page("settings", "settings", nil)},
		{Method: "GET", Path: "/login", Public: true, Handler: u.login},
		{Method: "GET", Path: "/setup", Public: true, Handler: u.setup},
		{Method: "GET", Path: "/static/", Public: true, Handler: u.static},
		{Method: "GET", Path: "/favicon.ico", Public: true, Handler: u.favicon},
	}
}

// view is what a page template renders.
type view struct {
	Lang    Lang
	msgs    map[string]string
	missing []string
	// PageID names the page; NavID the navigation entry it belongs to.
	PageID, NavID string
	TitleKey      string
	// User is the signed-in principal (nil on public pages).
	User      *auth.Principal
	UserLabel string
	CSRF      string
	Nav       []navLink
	LangLinks []langLink
	Scripts   []string
	// Perms lists the user's permissions, space-separated, for scripts.
	Perms string
	// ProfileID is the customer of the customer page.
	ProfileID string
	// JourneyID is the journey the journeys page opens (/journeys/{id});
	// JourneyExample the definition its editor starts with.
	JourneyID, JourneyExample string
	// RFMGrid is the segment of each (R, F) score pair as JSON; RFMCellSQL
	// counts customers per (R, F) cell over the last 365 days.
	RFMGrid, RFMCellSQL string
	// OverviewPeriods are the overview's period buttons with their SQL.
	OverviewPeriods []overviewPeriod
	// ShowSetupLink says whether the sign-in page links to the first-run
	// page (whether an owner exists is unknown).
	ShowSetupLink bool
	// BaseCurrency is the currency of amounts in the base currency.
	BaseCurrency string
	// Roles and Permissions are listed in documentation order.
	Roles       []auth.Role
	Permissions []auth.Permission
}

// navLink is a navigation entry as rendered.
type navLink struct {
	Key, Href string
	Active    bool
}

// langLink switches the page's language.
type langLink struct {
	Lang   Lang
	Label  string
	Href   string
	Active bool
}

// idFields is the data of the identifier fields template.
type idFields struct {
	V      *view
	Prefix string
}

// T is the message key in the page's language.
func (v *view) T(key string) string {
	if m, ok := v.msgs[key]; ok {
		return m
	}
	v.missing = append(v.missing, key)
	return "[missing:" + key + "]"
}

// Can reports whether the signed-in user may use perm.
func (v *view) Can(perm string) bool {
	return v.User != nil && v.User.Can(auth.Permission(perm))
}

// page serves an authenticated page: id names its template, nav its
// navigation entry; fill adds page data; any, if given, are permissions of
// which the user needs one.
func (u *UI) page(id, nav string, fill func(*http.Request, *view), any ...auth.Permission) http.HandlerFunc {
	spec := specOf(id)
	return func(w http.ResponseWriter, r *http.Request) {
		lang, done := u.language(w, r)
		if done {
			return
		}
		p, ok := auth.FromContext(r.Context())
		if !ok {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		v := u.newView(r, lang, spec)
		v.User, v.CSRF, v.NavID = p, p.CSRF, nav
		v.UserLabel = p.Email
		if v.UserLabel == "" {
			v.UserLabel = p.UserID
		}
		perms := p.Permissions()
		names := make([]string, len(perms))
		for i, perm := range perms {
			names[i] = string(perm)
		}
		v.Perms = strings.Join(names, " ")
		for _, n := range navItems {
			if canAny(p, n.Any) {
				v.Nav = append(v.Nav, navLink{Key: n.Key, Href: n.Href, Active: n.ID == nav})
			}
		}
		if len(any) > 0 && !canAny(p, any) {
			fv := u.newView(r, lang, specOf("forbidden"))
			fv.User, fv.CSRF, fv.NavID, fv.Nav, fv.Perms, fv.UserLabel = p, p.CSRF, nav, v.Nav, v.Perms, v.UserLabel
			u.render(w, http.StatusForbidden, "forbidden", fv)
			return
		}
		if fill != nil {
			fill(r, v)
		}
		u.render(w, http.StatusOK, id, v)
	}
}

func canAny(p *auth.Principal, perms []auth.Permission) bool {
	for _, perm := range perms {
		if p.Can(perm) {
			return true
		}
	}
	return false
}

// newView prepares the parts of a view every page has.
func (u *UI) newView(r *http.Request, lang Lang, spec pageSpec) *view {
	v := &view{Lang: lang, msgs: catalog(lang), PageID: spec.id, TitleKey: spec.title, BaseCurrency: u.base,
		Roles: auth.Roles, Permissions: auth.Permissions}
	v.Scripts = append(v.Scripts, u.assets.url(i18nAssetName(lang)), u.assets.url("js/common.js"))
	if spec.charts {
		v.Scripts = append(v.Scripts, u.assets.url("vendor/echarts.min.js"))
	}
	for _, s := range spec.scripts {
		v.Scripts = append(v.Scripts, u.assets.url(s))
	}
	for _, l := range Langs {
		v.LangLinks = append(v.LangLinks, langLink{Lang: l, Label: l.Name(), Href: langHref(r, l), Active: l == lang})
	}
	return v
}

// langHref is the current URL with ?lang=l (the page then sets the cookie
// and comes back without it).
func langHref(r *http.Request, l Lang) string {
	q := r.URL.Query()
	q.Set("lang", string(l))
	return r.URL.Path + "?" + q.Encode()
}

// render executes a page template into a buffer, so that a failure is a
// clean 500 rather than half a page.
func (u *UI) render(w http.ResponseWriter, status int, id string, v *view) {
	var buf bytes.Buffer
	if err := u.pages[id].ExecuteTemplate(&buf, "layout", v); err != nil {
		u.log.Error("web: rendering a page failed", "page", id, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	if len(v.missing) > 0 {
		u.log.Warn("web: messages missing from the catalog", "page", id, "lang", string(v.Lang), "keys", v.missing)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", v.Lang.HTML())
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// segmentsData gives the segments page the RFM grid and the SQL of its
// per-cell counts.
func (u *UI) segmentsData(r *http.Request, v *view) {
	b, _ := json.Marshal(rfm.Grid)
	v.RFMGrid = string(b)
	q, err := u.rfmCellSQL()
	if err != nil {
		u.log.Error("web: RFM query", "err", err)
		return
	}
	v.RFMCellSQL = q
}

// rfmCellSQL is the segments page's count of customers per RFM cell as of
// now (asked through the shared answers).
func (u *UI) rfmCellSQL() (string, error) {
	q, err := rfm.Query(rfm.Options{AsOf: u.now(), PeriodDays: 365, Cancellations: "cancellations"})
	if err != nil {
		return "", err
	}
	return "SELECT r_score, f_score, count(*) AS customers, sum(monetary) AS monetary FROM (\n" + q +
		"\n) AS rfm GROUP BY r_score, f_score ORDER BY r_score, f_score", nil
}

// login serves the sign-in page; while no owner exists (if the server
// said how to know) it sends the visitor to the first-run page.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	lang, done := u.language(w, r)
	if done {
		return
	}
	if u.hasOwner != nil && !u.hasOwner() {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	v := u.newView(r, lang, specOf("login"))
	v.ShowSetupLink = u.hasOwner == nil
	u.render(w, http.StatusOK, "login", v)
}

// setup serves the first-run page that creates the owner account.
func (u *UI) setup(w http.ResponseWriter, r *http.Request) {
	lang, done := u.language(w, r)
	if done {
		return
	}
	if u.hasOwner != nil && u.hasOwner() {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	v := u.newView(r, lang, specOf("setup"))
	u.render(w, http.StatusOK, "setup", v)
}

// language finds the page's language: ?lang= (which is remembered in the
// tw_lang cookie, and the visitor sent back to the URL without it, so done
// is true), else the cookie, else Accept-Language.
func (u *UI) language(w http.ResponseWriter, r *http.Request) (lang Lang, done bool) {
	q := r.URL.Query()
	if v, ok := q["lang"]; ok {
		l, valid := ParseLang(strings.Join(v, ""))
		if valid {
			http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
				SameSite: http.SameSiteLaxMode, Secure: u.secure})
		}
		q.Del("lang")
		path := r.URL.Path
		if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.HasPrefix(path, "/\\") {
			path = "/" // never a redirect to another host
		}
		target := &url.URL{Path: path, RawQuery: q.Encode()}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, target.String(), http.StatusSeeOther)
		return l, true
	}
	return Negotiate(r), false
}
