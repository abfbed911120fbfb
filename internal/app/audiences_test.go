package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tradewind/tradewind/internal/adlist"
)

// getRaw sends an admin GET and returns the status, headers and body.
func (n *node) getRaw(path string) (int, http.Header, []byte) {
	n.t.Helper()
	req, _ := http.NewRequest("GET", n.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+n.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// sortedRecords parses a CSV and returns its header and its rows sorted.
func sortedRecords(t *testing.T, b []byte) ([]string, []string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	if len(recs) == 0 {
		t.Fatal("empty file")
	}
	var rows []string
	for _, r := range recs[1:] {
		rows = append(rows, strings.Join(r, ","))
	}
	slices.Sort(rows)
	return recs[0], rows
}

// expectRows builds the expected rows of a file from normalised values
// written out by hand (not through adlist's normalisers), hashed.
func expectRows(rows ...[]string) []string {
	var out []string
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, v := range r {
			if v != "" {
				cells[i] = adlist.Hash(v)
			}
		}
		out = append(out, strings.Join(cells, ","))
	}
	slices.Sort(out)
	return out
}

// TestAudienceExportAndSync identifies shoppers with e-mails and phones,
// puts them in a segment, and exports it for Meta and Google: every cell is
// the SHA-256 of the value normalised as each platform asks, a shopper who
// refused advertising is left out, and no plain value leaves the node. An
// on-change sync writes its first file, writes nothing while membership
// stands still, and a new file when a shopper joins.
func TestAudienceExportAndSync(t *testing.T) {
	n := openNode(t, Config{})
	ctx := context.Background()
	src, key := n.createSource("Site", "EUR")
	identify := func(user string, traits map[string]any) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"userId": user, "messageId": "id-" + user, "traits": traits})
		if code, m := n.do("POST", "/v1/identify", basic(key), b, nil); code != 200 {
			t.Fatalf("identify %s: %d %v", user, code, m)
		}
	}
	identify("u1", map[string]any{"email": " Lena.K@Example.com", "phone": "(415) 555-2671", "country": "US", "plan": "gold"})
	identify("u2", map[string]any{"email": "Wang.Fang@Example.CN", "phone": "138 0013 8000", "country": "CN", "plan": "gold"})
	identify("u3", map[string]any{"phone": "+44 7911 123456", "country": "GB", "plan": "gold"})
	identify("u4", map[string]any{"email": "silver@example.org", "country": "DE", "plan": "silver"})
	identify("u5", map[string]any{"email": "no-ads@example.org", "country": "DE", "plan": "gold"})

	code, m := n.admin("POST", "/v1/segments", map[string]any{"id": "gold", "name": "Gold plan", "rule_text": `"traits.plan" = "gold"`})
	if code != 201 {
		t.Fatalf("create segment: %d %v", code, m)
	}
	seg := m["id"].(string)
	members := func(want float64) {
		t.Helper()
		n.waitCount(fmt.Sprintf("SELECT count(*) FROM segment_members WHERE segment_id = '%s'", seg), want)
	}
	members(4)
	if code, m := n.admin("POST", "/v1/consent", map[string]any{"identifier": map[string]string{"user_id": "u5", "source": src},
		"purposes": map[string]bool{"advertising": false}}); code != 202 {
		t.Fatalf("consent: %d %v", code, m)
	}
	n.waitCount("SELECT count(*) FROM consent WHERE purpose = 'advertising' AND NOT granted", 1)

	// Meta: email, phone (digits with country code, no +), country.
	code, hdr, body := n.getRaw("/v1/segments/" + seg + "/audience?format=meta")
	if code != 200 {
		t.Fatalf("meta export: %d %s", code, body)
	}
	if cd := hdr.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Errorf("Content-Disposition %q", cd)
	}
	wantMeta := expectRows(
		[]string{"lena.k@example.com", "14155552671", "us"},
		[]string{"wang.fang@example.cn", "8613800138000", "cn"},
		[]string{"", "447911123456", "gb"},
	)
	head, rows := sortedRecords(t, body)
	if !slices.Equal(head, []string{"email", "phone", "country"}) || !slices.Equal(rows, wantMeta) {
		t.Fatalf("meta file:\n%v\n%v\nwant\n%v", head, rows, wantMeta)
	}
	if hdr.Get("X-Audience-Members") != "4" || hdr.Get("X-Audience-Written") != "3" || hdr.Get("X-Audience-No-Consent") != "1" {
		t.Errorf("counts: members %s written %s no-consent %s", hdr.Get("X-Audience-Members"),
			hdr.Get("X-Audience-Written"), hdr.Get("X-Audience-No-Consent"))
	}
	for _, plain := range []string{"@", "lena", "4155552671", "no-ads"} {
		if bytes.Contains(bytes.ToLower(body), []byte(plain)) {
			t.Errorf("the file holds %q in plain text", plain)
		}
	}

	// Google: Email, Phone in E.164 with the +.
	code, _, body = n.getRaw("/v1/segments/" + seg + "/audience?format=google")
	if code != 200 {
		t.Fatalf("google export: %d %s", code, body)
	}
	wantGoogle := expectRows(
		[]string{"lena.k@example.com", "+14155552671"},
		[]string{"wang.fang@example.cn", "+8613800138000"},
		[]string{"", "+447911123456"},
	)
	head, rows = sortedRecords(t, body)
	if !slices.Equal(head, []string{"Email", "Phone"}) || !slices.Equal(rows, wantGoogle) {
		t.Fatalf("google file:\n%v\n%v\nwant\n%v", head, rows, wantGoogle)
	}

	// granted_only keeps only members who granted advertising: none did.
	code, hdr, body = n.getRaw("/v1/segments/" + seg + "/audience?format=google&consent=granted_only")
	if _, rows := sortedRecords(t, body); code != 200 || len(rows) != 0 || hdr.Get("X-Audience-No-Consent") != "4" {
		t.Fatalf("granted_only: %d %v %s", code, hdr, body)
	}

	// Every download is audited with its counts, never its values.
	_, au := n.admin("GET", "/v1/audit?action=audience.export", nil)
	entries, _ := au["entries"].([]any)
	if len(entries) != 3 {
		t.Fatalf("audit entries of exports: %v", au)
	}
	e := entries[len(entries)-1].(map[string]any) // the first, meta
	if d, _ := e["detail"].(map[string]any); d["rows"] != float64(3) || e["target"] != seg {
		t.Errorf("audit entry %v", e)
	}
	if raw, _ := json.Marshal(entries); bytes.Contains(raw, []byte("example")) {
		t.Errorf("audit entries hold personal data: %s", raw)
	}

	// Clear 400s naming the field.
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		field        string
	}{
		{"GET", "/v1/segments/" + seg + "/audience?format=tiktok", nil, 400, "format"},
		{"GET", "/v1/segments/" + seg + "/audience", nil, 400, "format"},
		{"GET", "/v1/segments/" + seg + "/audience?format=meta&consent=maybe", nil, 400, "consent"},
		{"GET", "/v1/segments/nope/audience?format=meta", nil, 404, "segment"},
		{"POST", "/v1/audience-syncs", map[string]any{"id": "x", "segment": "nope", "format": "meta", "on_change": true}, 400, "segment"},
		{"POST", "/v1/audience-syncs", map[string]any{"id": "x", "segment": seg, "format": "csv", "on_change": true}, 400, "format"},
		{"POST", "/v1/audience-syncs", map[string]any{"id": "x", "segment": seg, "format": "meta", "every": "soon"}, 400, "every"},
		{"POST", "/v1/audience-syncs", map[string]any{"id": "x", "segment": seg, "format": "meta", "every": "1m"}, 400, "every"},
		{"POST", "/v1/audience-syncs", map[string]any{"id": "x", "segment": seg, "format": "meta"}, 400, "every"},
		{"POST", "/v1/audience-syncs", map[string]any{"id": "x", "segment": seg, "format": "meta", "on_change": true, "dir": "../../etc"}, 400, "dir"},
		{"POST", "/v1/audience-syncs", map[string]any{"id": "x", "segment": seg, "format": "meta", "on_change": true, "dir": "/tmp"}, 400, "dir"},
		{"POST", "/v1/audience-syncs", map[string]any{"id": "X Y", "segment": seg, "format": "meta", "on_change": true}, 400, "id"},
		{"POST", "/v1/audience-syncs", map[string]any{"id": "x", "segment": seg, "format": "meta", "on_change": true, "colour": "red"}, 400, "colour"},
		{"POST", "/v1/audience-syncs", map[string]any{"id": "x", "segment": seg, "format": "meta", "on_change": "yes"}, 400, "on_change"},
	} {
		code, m := n.admin(c.method, c.path, c.body)
		if code != c.status || (c.field != "" && m["field"] != c.field) {
			t.Errorf("%s %s %v: %d %v, want %d naming %s", c.method, c.path, c.body, code, m, c.status, c.field)
		}
	}

	// An on-change sync.
	code, m = n.admin("POST", "/v1/audience-syncs", map[string]any{"id": "gold-meta", "segment": seg, "format": "meta",
		"on_change": true, "every": "7d", "keep": 2})
	if code != 201 || m["every"] != "7d" {
		t.Fatalf("create sync: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/audience-syncs", map[string]any{"id": "gold-meta", "segment": seg, "format": "meta", "on_change": true}); code != 409 {
		t.Fatalf("second sync with one id: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/audience-syncs", map[string]any{"id": "other", "segment": seg, "format": "google", "on_change": true, "dir": "gold-meta"}); code != 400 || m["field"] != "dir" {
		t.Fatalf("second sync in one directory: %d %v", code, m)
	}
	svc := n.a.audienceService()
	dir := filepath.Join(n.a.Cfg.DataDir, "exports", "gold-meta")
	csvFiles := func() []string {
		t.Helper()
		ents, _ := os.ReadDir(dir)
		var out []string
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "gold-meta-meta-") && strings.HasSuffix(e.Name(), ".csv") {
				out = append(out, e.Name())
			}
		}
		return out
	}
	check := func() {
		t.Helper()
		if err := svc.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check()
	first := csvFiles()
	if len(first) != 1 {
		t.Fatalf("after the first check: %v", first)
	}
	latest, err := os.ReadFile(filepath.Join(dir, "latest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, rows := sortedRecords(t, latest); !slices.Equal(rows, wantMeta) {
		t.Fatalf("latest.csv: %v", rows)
	}
	if fi, err := os.Stat(filepath.Join(dir, first[0])); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode: %v %v", fi, err)
	}
	// Nothing changed: no new file.
	check()
	check()
	if got := csvFiles(); len(got) != 1 {
		t.Fatalf("a check without a membership change wrote %v", got)
	}

	// A new member joins: the next check writes a new file with her.
	identify("u6", map[string]any{"email": "New.Joiner@Example.com", "country": "FR", "plan": "gold"})
	members(5)
	check()
	got := csvFiles()
	if len(got) != 2 {
		t.Fatalf("after a join: %v", got)
	}
	latest, _ = os.ReadFile(filepath.Join(dir, "latest.csv"))
	if !bytes.Contains(latest, []byte(adlist.Hash("new.joiner@example.com"))) {
		t.Fatal("latest.csv lacks the new member")
	}
	_, rm := n.admin("GET", "/v1/audience-syncs/gold-meta/runs", nil)
	runs, _ := rm["runs"].([]any)
	if len(runs) != 2 || runs[0].(map[string]any)["trigger"] != "change" || runs[1].(map[string]any)["trigger"] != "first" ||
		runs[0].(map[string]any)["written"] != float64(4) {
		t.Fatalf("runs: %v", rm)
	}

	// A manual run; keep 2 prunes the oldest file.
	code, m = n.admin("POST", "/v1/audience-syncs/gold-meta/run", map[string]any{})
	if code != 200 || m["trigger"] != "manual" || m["file"] == "" {
		t.Fatalf("run: %d %v", code, m)
	}
	if got := csvFiles(); len(got) != 2 || slices.Contains(got, first[0]) {
		t.Fatalf("after a third file with keep 2: %v (first %s)", got, first[0])
	}
	code, hdr, body = n.getRaw("/v1/audience-syncs/gold-meta/latest")
	if code != 200 || !bytes.Equal(body, latest) || !strings.Contains(hdr.Get("Content-Disposition"), m["file"].(string)) {
		t.Fatalf("latest download: %d %q %s", code, hdr.Get("Content-Disposition"), body)
	}
	_, au = n.admin("GET", "/v1/audit?action=audience_sync.download", nil)
	if entries, _ := au["entries"].([]any); len(entries) != 1 || entries[0].(map[string]any)["detail"].(map[string]any)["rows"] != float64(4) {
		t.Fatalf("download audit: %v", au)
	}

	// An erased member leaves the segment: the on-change sync writes a
	// file without her, and a fresh export cannot include her.
	code, m = n.admin("POST", "/v1/privacy/erasure", map[string]any{"identifier": map[string]string{"email": "wang.fang@example.cn"}})
	if code != 202 {
		t.Fatalf("erasure: %d %v", code, m)
	}
	if done := n.waitRequest(m["request_id"].(string)); done["status"] != "completed" {
		t.Fatalf("erasure: %v", done)
	}
	members(4)
	check()
	latest, _ = os.ReadFile(filepath.Join(dir, "latest.csv"))
	wang := adlist.Hash("wang.fang@example.cn")
	if bytes.Contains(latest, []byte(wang)) || !bytes.Contains(latest, []byte(adlist.Hash("lena.k@example.com"))) {
		t.Fatalf("latest.csv after the erasure:\n%s", latest)
	}
	if _, _, body := n.getRaw("/v1/segments/" + seg + "/audience?format=meta"); bytes.Contains(body, []byte(wang)) {
		t.Fatal("an erased member exported")
	}

	// Listing, changing, deleting.
	if code, m := n.admin("GET", "/v1/audience-syncs", nil); code != 200 || len(m["syncs"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, m)
	}
	if code, m := n.admin("PUT", "/v1/audience-syncs/gold-meta", map[string]any{"segment": seg, "format": "google", "on_change": true}); code != 200 || m["format"] != "google" || m["version"] != float64(2) {
		t.Fatalf("change: %d %v", code, m)
	}
	if code, _ := n.admin("DELETE", "/v1/audience-syncs/gold-meta", nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the sync's files outlived it: %v", err)
	}
	if code, _ := n.admin("GET", "/v1/audience-syncs/gold-meta", nil); code != 404 {
		t.Fatalf("get after delete: %d", code)
	}
}
