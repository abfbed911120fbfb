package web

import (
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/profile/rfm"
)

func newUI(t *testing.T, o Options) *UI {
	t.Helper()
	u, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// serve mounts the pages on a mux as the server does, with the principal
// (if any) put in the context in place of the server's authentication.
func serve(u *UI, p *auth.Principal) http.Handler {
	mux := http.NewServeMux()
	for _, pg := range u.Pages() {
		h := pg.Handler
		if !pg.Public && p != nil {
			h = func(w http.ResponseWriter, r *http.Request) {
				pg.Handler(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
			}
		}
		mux.HandleFunc(pg.Method+" "+pg.Path, h)
	}
	return mux
}

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var (
	owner  = &auth.Principal{Kind: auth.KindSession, UserID: "u_owner", Email: "owner@example.com", Role: auth.RoleOwner, CSRF: "csrf-owner-token"}
	viewer = &auth.Principal{Kind: auth.KindSession, UserID: "u_viewer", Email: "viewer@example.com", Role: auth.RoleViewer, CSRF: "csrf-viewer-token"}
)

var authPages = []string{"/", "/customers", "/customers/p_123", "/segments", "/predictions", "/voc", "/marketing", "/alerts", "/journeys", "/journeys/abandoned-checkout", "/compliance", "/sources", "/privacy", "/audit", "/settings"}

func TestPagesRenderInBothLanguages(t *testing.T) {
	u := newUI(t, Options{BaseCurrency: "USD"})
	h := serve(u, owner)
	for _, lang := range Langs {
		for _, path := range authPages {
			rec := get(t, h, path, map[string]string{"Cookie": LangCookie + "=" + string(lang)})
			if rec.Code != http.StatusOK {
				t.Fatalf("%s %s: status %d: %s", lang, path, rec.Code, rec.Body)
			}
			body := rec.Body.String()
			checkPage(t, lang, path, body)
			if !strings.Contains(body, `<meta name="csrf-token" content="csrf-owner-token">`) {
				t.Errorf("%s %s: no CSRF meta tag", lang, path)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("%s %s: Content-Type %q", lang, path, ct)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s %s: Cache-Control %q", lang, path, cc)
			}
			for _, nav := range []string{"nav.overview", "nav.customers", "nav.segments", "nav.predictions", "nav.voc", "nav.marketing", "nav.alerts", "nav.journeys", "nav.compliance", "nav.sources", "nav.privacy", "nav.audit", "nav.settings"} {
				if !strings.Contains(body, ">"+catalog(lang)[nav]+"</a>") {
					t.Errorf("%s %s: the owner's navigation lacks %s", lang, path, nav)
				}
			}
		}
	}
}

// checkPage checks what every rendered page must satisfy.
func checkPage(t *testing.T, lang Lang, path, body string) {
	t.Helper()
	if !strings.Contains(body, `<html lang="`+lang.HTML()+`">`) {
		t.Errorf("%s %s: html lang is not %s", lang, path, lang.HTML())
	}
	if i := strings.Index(body, "[missing:"); i >= 0 {
		t.Errorf("%s %s: a message is missing: %s", lang, path, body[i:min(len(body), i+60)])
	}
	if err := inlineCode(body); err != "" {
		t.Errorf("%s %s: %s", lang, path, err)
	}
	if !strings.Contains(body, u18nScriptURL(lang)) {
		t.Errorf("%s %s: does not load the %s catalog", lang, path, lang)
	}
}

func u18nScriptURL(l Lang) string { return "/static/i18n/" + string(l) + "." }

var (
	scriptTag   = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script\s*>`)
	handlerAttr = regexp.MustCompile(`(?i)<[^>]+\son[a-z]+\s*=`)
	jsURL       = regexp.MustCompile(`(?i)(href|src|action)\s*=\s*["']?\s*javascript:`)
	styleTag    = regexp.MustCompile(`(?i)<style\b`)
)

// inlineCode reports code the Content-Security-Policy would block: inline
// scripts, event-handler attributes, javascript: URLs.
func inlineCode(body string) string {
	for _, m := range scriptTag.FindAllStringSubmatch(body, -1) {
		if !strings.Contains(strings.ToLower(m[1]), "src=") {
			return "a <script> without src: " + m[0]
		}
		if strings.TrimSpace(m[2]) != "" {
			return "a <script> with inline code: " + m[0]
		}
	}
	if m := handlerAttr.FindString(body); m != "" {
		return "an inline event handler: " + m
	}
	if m := jsURL.FindString(body); m != "" {
		return "a javascript: URL: " + m
	}
	if styleTag.MatchString(body) {
		return "a <style> element (styles belong in app.css)"
	}
	return ""
}

func TestInlineCodeDetector(t *testing.T) {
	for _, bad := range []string{
		`<script>alert(1)</script>`,
		`<script src="/static/a.js">alert(1)</script>`,
		`<button onclick="x()">`,
		`<a href="javascript:x()">`,
	} {
		if inlineCode(bad) == "" {
			t.Errorf("not detected: %s", bad)
		}
	}
	if e := inlineCode(`<script defer src="/static/a.js"></script><button data-on="x">`); e != "" {
		t.Errorf("false alarm: %s", e)
	}
}

func TestViewerSeesWhatTheRoleAllows(t *testing.T) {
	u := newUI(t, Options{})
	h := serve(u, viewer)
	for _, lang := range Langs {
		rec := get(t, h, "/", map[string]string{"Accept-Language": lang.HTML()})
		body := rec.Body.String()
		checkPage(t, lang, "/", body)
		m := catalog(lang)
		for _, hidden := range []string{"nav.sources", "nav.privacy", "nav.audit", "nav.settings"} {
			if strings.Contains(body, ">"+m[hidden]+"</a>") {
				t.Errorf("%s: a viewer sees the link %s", lang, hidden)
			}
		}
		if !strings.Contains(body, m["overview.no_sql"]) {
			t.Errorf("%s: a viewer (no query.sql) is not told why the overview has no revenue", lang)
		}
		// The privacy page needs one of three permissions the viewer lacks.
		rec = get(t, h, "/privacy", map[string]string{"Accept-Language": lang.HTML()})
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), m["forbidden.text"]) {
			t.Errorf("%s: /privacy for a viewer: %d", lang, rec.Code)
		}
		checkPage(t, lang, "/privacy", rec.Body.String())
	}
	// Predictions: a viewer reads them but may not run the models.
	body := get(t, h, "/predictions", nil).Body.String()
	if strings.Contains(body, `id="p-run"`) || strings.Contains(body, "data-run") || !strings.Contains(body, catalog(En)["predictions.empty_no_run"]) {
		t.Error("a viewer is offered to run the prediction models")
	}
	if !strings.Contains(get(t, serve(newUI(t, Options{}), owner), "/predictions", nil).Body.String(), `id="p-run"`) {
		t.Error("the owner is not offered to run the prediction models")
	}
	// Voice of the customer and marketing: a viewer reads them and the
	// alerts but may not run the brand-health check.
	for _, path := range []string{"/voc", "/marketing", "/alerts"} {
		rec := get(t, h, path, nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `aria-current="page"`) {
			t.Errorf("%s for a viewer: %d, or not marked in the navigation", path, rec.Code)
		}
	}
	if body := get(t, h, "/voc", nil).Body.String(); strings.Contains(body, `id="v-check"`) || !strings.Contains(body, catalog(En)["voc.empty_text"]) {
		t.Error("a viewer is offered to run the brand-health check, or the page lacks its empty state")
	}
	if !strings.Contains(get(t, serve(newUI(t, Options{}), owner), "/voc", nil).Body.String(), `id="v-check"`) {
		t.Error("the owner is not offered to run the brand-health check")
	}
	// Segments: a viewer may preview but not save.
	body = get(t, h, "/segments", nil).Body.String()
	if strings.Contains(body, catalog(En)["segments.save"]) || !strings.Contains(body, catalog(En)["segments.readonly"]) {
		t.Error("a viewer is offered to save segments")
	}
}

func TestPagesWithoutPrincipalGoToLogin(t *testing.T) {
	u := newUI(t, Options{})
	h := serve(u, nil)
	rec := get(t, h, "/customers", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Fatalf("status %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestPublicPages(t *testing.T) {
	u := newUI(t, Options{})
	h := serve(u, nil)
	for _, lang := range Langs {
		for _, path := range []string{"/login", "/setup"} {
			rec := get(t, h, path, map[string]string{"Accept-Language": lang.HTML() + ",fr;q=0.5"})
			if rec.Code != http.StatusOK {
				t.Fatalf("%s %s: %d", lang, path, rec.Code)
			}
			body := rec.Body.String()
			checkPage(t, lang, path, body)
			if !strings.Contains(body, `name="email"`) || !strings.Contains(body, `name="password"`) {
				t.Errorf("%s %s: no email and password fields", lang, path)
			}
			if strings.Contains(body, `id="site-nav"`) {
				t.Errorf("%s %s: a public page shows the navigation", lang, path)
			}
		}
		body := get(t, h, "/login", map[string]string{"Accept-Language": lang.HTML()}).Body.String()
		if !strings.Contains(body, `action="/v1/auth/login"`) || !strings.Contains(body, `href="/setup"`) {
			t.Errorf("%s: the sign-in page does not post to the API or link to the first-run page", lang)
		}
	}
	body := get(t, h, "/setup", nil).Body.String()
	if !strings.Contains(body, `name="name"`) || !strings.Contains(body, `action="/v1/setup"`) {
		t.Error("the setup page lacks the name field or does not post to /v1/setup")
	}
}

func TestHasOwnerRedirects(t *testing.T) {
	has := false
	u := newUI(t, Options{HasOwner: func() bool { return has }})
	h := serve(u, nil)
	if rec := get(t, h, "/login", nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/setup" {
		t.Errorf("no owner: /login answers %d → %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := get(t, h, "/setup", nil); rec.Code != http.StatusOK {
		t.Errorf("no owner: /setup answers %d", rec.Code)
	}
	has = true
	if rec := get(t, h, "/setup", nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Errorf("owner: /setup answers %d → %q", rec.Code, rec.Header().Get("Location"))
	}
	rec := get(t, h, "/login", nil)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `href="/setup"`) {
		t.Errorf("owner: /login answers %d, or still links to /setup", rec.Code)
	}
}

func TestLanguageSwitch(t *testing.T) {
	u := newUI(t, Options{SecureCookies: true})
	h := serve(u, owner)
	rec := get(t, h, "/customers?email=a%40b.example&lang=zh", nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status %d", rec.Code)
	}
	if loc := rec.Header().Get("Location"); loc != "/customers?email=a%40b.example" {
		t.Errorf("Location %q", loc)
	}
	c := rec.Result().Cookies()
	if len(c) != 1 || c[0].Name != LangCookie || c[0].Value != "zh" || !c[0].Secure || c[0].Path != "/" || c[0].MaxAge <= 0 {
		t.Errorf("cookie %+v", c)
	}
	// The language links keep the page's query.
	body := get(t, h, "/customers?email=x", map[string]string{"Cookie": LangCookie + "=zh"}).Body.String()
	if !strings.Contains(body, `href="/customers?email=x&amp;lang=en"`) {
		t.Error("the English link does not keep the query")
	}
	// A bad language sets nothing but still comes back.
	rec = get(t, h, "/audit?lang=xx", nil)
	if rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) != 0 || rec.Header().Get("Location") != "/audit" {
		t.Errorf("bad lang: %d %v %q", rec.Code, rec.Result().Cookies(), rec.Header().Get("Location"))
	}
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		accept, cookie string
		want           Lang
	}{
		{"", "", En},
		{"zh-CN,zh;q=0.9,en;q=0.8", "", Zh},
		{"en-US,en;q=0.9,zh;q=0.5", "", En},
		{"fr-FR,zh-TW;q=0.7,en;q=0.3", "", Zh},
		{"de", "", En},
		{"zh;q=0,en;q=0.1", "", En},
		{"en-GB,en;q=0.9,zh-Hans;q=0.95", "", En},
		{"en", "zh", Zh},
		{"zh", "en", En},
		{"zh", "klingon", Zh},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: LangCookie, Value: tc.cookie})
		}
		if got := Negotiate(r); got != tc.want {
			t.Errorf("Accept-Language %q, cookie %q: %s, want %s", tc.accept, tc.cookie, got, tc.want)
		}
	}
}

func TestCatalogHasEveryKeyInBothLanguages(t *testing.T) {
	ph := regexp.MustCompile(`\{[a-z]+\}`)
	for k, m := range messages {
		if strings.TrimSpace(m.en) == "" || strings.TrimSpace(m.zh) == "" {
			t.Errorf("%s: empty in a language: %+v", k, m)
		}
		a, b := ph.FindAllString(m.en, -1), ph.FindAllString(m.zh, -1)
		sort.Strings(a)
		sort.Strings(b)
		if !slices.Equal(a, b) {
			t.Errorf("%s: placeholders differ: en %v, zh %v", k, a, b)
		}
	}
	if len(enMessages) != len(messages) || len(zhMessages) != len(messages) {
		t.Errorf("catalog sizes: %d, en %d, zh %d", len(messages), len(enMessages), len(zhMessages))
	}
}

// TestCatalogCoversEveryUse finds the keys templates and scripts use, and
// the keys built from data (roles, permissions, RFM segments), in the
// catalog.
func TestCatalogCoversEveryUse(t *testing.T) {
	need := map[string]string{}
	tplKey := regexp.MustCompile(`\.T "([^"]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFS, p)
		for _, m := range tplKey.FindAllStringSubmatch(string(b), -1) {
			need[m[1]] = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	namespaces := map[string]bool{}
	for k := range messages {
		ns, _, _ := strings.Cut(k, ".")
		namespaces[ns] = true
	}
	jsKey := regexp.MustCompile(`'([a-z]+\.[a-z0-9_]*[a-z0-9])'`)
	err = fs.WalkDir(staticFS, "static/js", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(staticFS, p)
		for _, m := range jsKey.FindAllStringSubmatch(string(b), -1) {
			ns, _, _ := strings.Cut(m[1], ".")
			if namespaces[ns] && !auth.Permission(m[1]).Valid() {
				need[m[1]] = p
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range auth.Roles {
		need["role."+string(r)] = "auth.Roles"
	}
	for _, p := range auth.Permissions {
		need["perm."+string(p)] = "auth.Permissions"
	}
	for _, s := range rfm.Segments {
		need["rfm."+s] = "rfm.Segments"
	}
	for _, k := range apiErrors {
		need[k] = "apiErrors"
	}
	for _, p := range apiErrorPrefixes {
		need[p[1]] = "apiErrorPrefixes"
	}
	for _, s := range pageSpecs {
		need[s.title] = "pageSpecs"
	}
	for _, n := range navItems {
		need[n.Key] = "navItems"
	}
	if len(need) < 300 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(need))
	}
	var missing []string
	for k, where := range need {
		if _, ok := messages[k]; !ok {
			missing = append(missing, k+" ("+where+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("keys used but not in the catalog:\n%s", strings.Join(missing, "\n"))
	}
}

func TestStaticAssets(t *testing.T) {
	u := newUI(t, Options{})
	h := serve(u, nil)
	want := map[string]string{
		"app.css":               "text/css; charset=utf-8",
		"js/common.js":          "text/javascript; charset=utf-8",
		"js/overview.js":        "text/javascript; charset=utf-8",
		"vendor/echarts.min.js": "text/javascript; charset=utf-8",
		"icon.svg":              "image/svg+xml",
		"i18n/zh.js":            "text/javascript; charset=utf-8",
		"vendor/LICENSE":        "text/plain; charset=utf-8",
		"vendor/NOTICE":         "text/plain; charset=utf-8",
	}
	for name, ct := range want {
		a := u.assets.byName[name]
		if a == nil {
			t.Errorf("no asset %s", name)
			continue
		}
		if a.ctype != ct {
			t.Errorf("%s: content type %q, want %q", name, a.ctype, ct)
		}
	}
	for name, a := range u.assets.byName {
		url := u.assets.url(name)
		rec := get(t, h, url, nil)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %d", url, rec.Code)
			continue
		}
		if rec.Header().Get("Content-Type") != a.ctype || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", url, rec.Header())
		}
		if rec.Body.String() != string(a.body) {
			t.Errorf("%s: wrong body", url)
		}
		etag := rec.Header().Get("ETag")
		if a.hashed != "" {
			if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
				t.Errorf("%s: Cache-Control %q", url, cc)
			}
			if !strings.Contains(url, a.etag[1:11]) {
				t.Errorf("%s: the name does not carry the content hash", url)
			}
		}
		if rec := get(t, h, url, map[string]string{"If-None-Match": etag}); rec.Code != http.StatusNotModified {
			t.Errorf("%s: If-None-Match answers %d", url, rec.Code)
		}
		// The logical name is served too, to revalidate.
		rec = get(t, h, "/static/"+name, nil)
		if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("/static/%s: %d %q", name, rec.Code, rec.Header().Get("Cache-Control"))
		}
	}
	// gzip for those who take it.
	url := u.assets.url("vendor/echarts.min.js")
	rec := get(t, h, url, map[string]string{"Accept-Encoding": "br, gzip"})
	if rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("no gzip: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != string(u.assets.byName["vendor/echarts.min.js"].body) {
		t.Error("gzip body differs")
	}
	if rec := get(t, h, url, map[string]string{"Accept-Encoding": "gzip;q=0"}); rec.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}
	for _, bad := range []string{"/static/nope.js", "/static/", "/static/../web.go", "/static/js/common.0000000000.js"} {
		if rec := get(t, h, bad, nil); rec.Code != http.StatusNotFound && (rec.Code < 300 || rec.Code > 308) {
			t.Errorf("%s: %d", bad, rec.Code)
		}
	}
	if rec := get(t, h, "/favicon.ico", nil); rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("/favicon.ico: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestPagesContract(t *testing.T) {
	u := newUI(t, Options{})
	mux := http.NewServeMux() // panics on conflicting patterns
	public := map[string]bool{}
	for _, p := range u.Pages() {
		mux.HandleFunc(p.Method+" "+p.Path, p.Handler)
		if p.Handler == nil || p.Method != "GET" {
			t.Errorf("%s %s: handler %v", p.Method, p.Path, p.Handler != nil)
		}
		if p.Perm != "" && !p.Perm.Valid() {
			t.Errorf("%s: unknown permission %s", p.Path, p.Perm)
		}
		if p.Public {
			public[p.Path] = true
			if p.Perm != "" {
				t.Errorf("%s: public with a permission", p.Path)
			}
		}
	}
	for _, p := range []string{"/login", "/setup", "/static/", "/favicon.ico"} {
		if !public[p] {
			t.Errorf("%s is not public", p)
		}
	}
	if len(public) != 4 {
		t.Errorf("public pages: %v", public)
	}
}

func TestRFMDataOnTheSegmentsPage(t *testing.T) {
	u := newUI(t, Options{})
	body := get(t, serve(u, owner), "/segments", nil).Body.String()
	if !strings.Contains(body, `data-grid="[[&#34;Lost&#34;,&#34;Hibernating&#34;`) {
		t.Error("no RFM grid on the segments page")
	}
	if !strings.Contains(body, "GROUP BY r_score, f_score") {
		t.Error("no per-cell SQL for a role with query.sql")
	}
	body = get(t, serve(u, viewer), "/segments", nil).Body.String()
	if !strings.Contains(body, `data-cells-sql=""`) {
		t.Error("a role without query.sql gets SQL to run")
	}
}

// TestScripts runs the scripts' unit tests (testdata/scripts_test.js) in
// Node.js when it is installed.
func TestScripts(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	dir := t.TempDir()
	for _, l := range Langs {
		if err := os.WriteFile(filepath.Join(dir, "i18n-"+string(l)+".js"), i18nScript(l), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(node, "testdata/scripts_test.js", dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s", out)
}
