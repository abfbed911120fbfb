package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tradewind/tradewind/internal/api"
	"github.com/tradewind/tradewind/internal/auth"
)

// session signs a user in and returns their cookie and CSRF token.
func (n *node) session(email, password string) (*http.Cookie, string) {
	n.t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post(n.srv.URL+"/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		n.t.Fatalf("login %s: %d %s", email, resp.StatusCode, body)
	}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.Unmarshal(body, &out)
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				n.t.Fatalf("session cookie flags: %+v", c)
			}
			return c, out.CSRF
		}
	}
	n.t.Fatal("no session cookie")
	return nil, ""
}

// TestPermissionMatrix walks every endpoint of the API with every role
// (signed in through the dashboard's session cookie, CSRF token included)
// and with no credentials: each answers, or refuses, as the route table and
// the role matrix say.
func TestPermissionMatrix(t *testing.T) {
	n := openNode(t, Config{})
	const pw = "correct horse battery"
	type cred struct {
		role   auth.Role
		cookie *http.Cookie
		csrf   string
	}
	var creds []cred
	for _, role := range auth.Roles {
		email := string(role) + "@staff.example"
		if code, m := n.admin("POST", "/v1/users", map[string]string{"email": email, "role": string(role), "password": pw}); code != 201 {
			t.Fatalf("create %s: %d %v", role, code, m)
		}
		c, csrf := n.session(email, pw)
		creds = append(creds, cred{role, c, csrf})
	}
	routes := n.a.API().Routes()
	// Signing out ends the session the walk uses: last.
	slices.SortStableFunc(routes, func(a, b api.Route) int {
		return bool2int(a.Path == "/v1/auth/logout") - bool2int(b.Path == "/v1/auth/logout")
	})
	for _, rt := range routes {
		name := rt.Method + " " + rt.Path
		anon := n.call(rt.Method, rt.Path, nil, nil)
		switch {
		case rt.Public == "" && rt.Page && anon != http.StatusSeeOther:
			t.Errorf("page %s without a session: %d, want a redirect to /login", name, anon)
		case rt.Public == "" && !rt.Page && anon != http.StatusUnauthorized:
			t.Errorf("%s without credentials: %d, want 401", name, anon)
		}
		if rt.Public != "" && (anon == http.StatusUnauthorized || anon == http.StatusForbidden) {
			t.Errorf("public %s: %d", name, anon)
		}
		if rt.Public != "" {
			continue
		}
		for _, c := range creds {
			allowed := rt.Perm == "" && len(rt.Any) == 0 || rt.Perm != "" && c.role.Can(rt.Perm)
			for _, p := range rt.Any {
				allowed = allowed || c.role.Can(p)
			}
			got := n.call(rt.Method, rt.Path, map[string]string{"X-CSRF-Token": c.csrf}, c.cookie)
			switch {
			case allowed && (got == http.StatusUnauthorized || got == http.StatusForbidden):
				t.Errorf("%s as %s: %d, want allowed", name, c.role, got)
			case !allowed && got != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403", name, c.role, got)
			}
			// Without the CSRF token a session may not change anything.
			if rt.Method != "GET" && rt.Path != "/v1/auth/logout" {
				if got := n.call(rt.Method, rt.Path, nil, c.cookie); got != http.StatusForbidden {
					t.Errorf("%s as %s without CSRF token: %d, want 403", name, c.role, got)
				}
			}
		}
	}
	// The tracking API and webhooks authenticate their own way.
	for _, p := range []string{"/v1/track", "/v1/identify", "/v1/batch", "/v1/page", "/v1/webhooks/shopify/nope"} {
		if got := n.call("POST", p, nil, nil); got != http.StatusUnauthorized {
			t.Errorf("POST %s without a write key or signature: %d, want 401", p, got)
		}
	}
	// A write key only ingests.
	_, key := n.createSource("Web", "USD")
	if got := n.call("POST", "/v1/query", map[string]string{"Authorization": basic(key)}, nil); got != http.StatusUnauthorized {
		t.Errorf("query with a write key: %d, want 401", got)
	}
	if got := n.call("GET", "/v1/sources", map[string]string{"Authorization": "Bearer " + key}, nil); got != http.StatusUnauthorized {
		t.Errorf("sources with a write key as bearer: %d, want 401", got)
	}
}

func bool2int(b bool) int {
	if b {
		return 1
	}
	return 0
}

// call sends one request of the walk.
func (n *node) call(method, path string, hdr map[string]string, cookie *http.Cookie) int {
	n.t.Helper()
	if strings.HasPrefix(path, "/debug/pprof/") && path != "/debug/pprof/" {
		path += "?seconds=1"
	}
	path = strings.ReplaceAll(strings.ReplaceAll(path, "{id}", "nope"), "{$}", "")
	body := []byte("{}")
	req, _ := http.NewRequest(method, n.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
