package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/compliance"
)

// complianceServer serves the compliance routes without authentication:
// the guard in front of them is the same as every route's and is tested
// with the permission matrix; here the handlers' contract is.
func complianceServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := &Server{}
	mux := http.NewServeMux()
	for _, rt := range s.complianceRoutes() {
		if rt.Perm != auth.DashboardRead || rt.Public != "" {
			t.Fatalf("%s %s: permission %q, public %q; want dashboard read", rt.Method, rt.Path, rt.Perm, rt.Public)
		}
		mux.HandleFunc(rt.Method+" "+rt.Path, rt.handler)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func postJSON(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", url, err)
	}
	return res.StatusCode, m
}

func TestComplianceCheckAPI(t *testing.T) {
	srv := complianceServer(t)
	code, m := postJSON(t, srv.URL+"/v1/compliance/check",
		`{"country": "cn", "channel": "email", "locale": "zh-CN", "subject": "春节大促", "text": "全网最佳，第一次购买立减，回T退订"}`)
	if code != 200 {
		t.Fatalf("%d %v", code, m)
	}
	var rep compliance.Report
	b, _ := json.Marshal(m)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != compliance.Block || rep.Country != "CN" || rep.Channel != "email" || rep.Locale != "zh-CN" {
		t.Errorf("report %+v", rep)
	}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		got[f.RuleID+":"+f.Match] = true
		if f.Source == "" || f.Reason.EN == "" || f.Reason.ZH == "" {
			t.Errorf("finding without reason or source: %+v", f)
		}
	}
	// The missing 广告 label, 最佳; not 第一次.
	if !got["cn-email-ad-label:"] || !got["cn-adlaw-absolute-terms:最佳"] || len(rep.Findings) != 2 {
		t.Errorf("findings %+v", rep.Findings)
	}

	// A clean message: ok, and findings is an empty list, not null.
	code, m = postJSON(t, srv.URL+"/v1/compliance/check", `{"country": "US", "channel": "ad", "text": "Winter sale"}`)
	if code != 200 || m["verdict"] != "ok" || m["findings"] == nil {
		t.Errorf("clean: %d %v", code, m)
	}

	for _, c := range []struct{ body, field string }{
		{`{"country": "UK", "text": "x"}`, "country"},
		{`{"text": "x"}`, "country"},
		{`{"country": "DE", "channel": "fax", "text": "x"}`, "channel"},
		{`{"country": "DE", "text": "x", "sender": "me"}`, "sender"},
		{`{"country": "DE", "text": 5}`, "text"},
		{`not json`, ""},
	} {
		code, m := postJSON(t, srv.URL+"/v1/compliance/check", c.body)
		if code != 400 || m["field"] != nilIfEmpty(c.field) || m["error"] == "" {
			t.Errorf("%s: %d %v, want 400 naming %q", c.body, code, m, c.field)
		}
	}
	big := `{"country": "DE", "text": "` + strings.Repeat("a", 1<<20) + `"}`
	if code, m := postJSON(t, srv.URL+"/v1/compliance/check", big); code != http.StatusRequestEntityTooLarge || !strings.Contains(m["error"].(string), "1 MB") {
		t.Errorf("big body: %d %v", code, m)
	}
}

// nilIfEmpty is what a decoded error's "field" holds: absent when empty.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func TestComplianceRulesAPI(t *testing.T) {
	srv := complianceServer(t)
	get := func(q string) (int, map[string]any) {
		res, err := http.Get(srv.URL + "/v1/compliance/rules" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	code, all := get("")
	if code != 200 || len(all["rules"].([]any)) != len(compliance.Rules()) || all["groups"].(map[string]any)["EU"] == nil {
		t.Fatalf("all rules: %d %v", code, all)
	}
	code, kr := get("?country=kr")
	if code != 200 {
		t.Fatal(code)
	}
	for _, r := range kr["rules"].([]any) {
		rule := r.(map[string]any)
		if rule["source"] == "" || rule["file"] == "" {
			t.Errorf("rule %v", rule)
		}
		if id := rule["id"].(string); !strings.HasPrefix(id, "kr-") && !strings.HasPrefix(id, "east-asia-") {
			t.Errorf("rule %s listed for KR", id)
		}
	}
	if code, m := get("?country=XX"); code != 400 || m["field"] != "country" {
		t.Errorf("bad country: %d %v", code, m)
	}
	if code, m := get("?country=VA"); code != 200 || len(m["rules"].([]any)) != 0 {
		t.Errorf("country without rules: %d %v", code, m)
	}
}
