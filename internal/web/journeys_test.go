package web

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tradewind/tradewind/internal/compliance"
	"github.com/tradewind/tradewind/internal/journey"
)

// TestExampleJourneyIsValid checks the editor's example in both languages:
// the engine accepts it as it stands, and its Chinese e-mail passes the
// content check for China (a commercial e-mail's subject starts with 广告).
func TestExampleJourneyIsValid(t *testing.T) {
	for _, l := range Langs {
		var j journey.Journey
		dec := json.NewDecoder(strings.NewReader(exampleJourney(l)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&j); err != nil {
			t.Fatalf("%s: the example is not a journey: %v", l, err)
		}
		if err := j.Validate(); err != nil {
			t.Fatalf("%s: the engine refuses the example: %v", l, err)
		}
		if j.Name != catalog(l)["journeys.example_name"] || j.Trigger.Type != journey.TriggerAbandonedCheckout || j.Goal == nil || j.ControlPercent <= 0 {
			t.Errorf("%s: example %+v", l, j)
		}
		want := map[Lang]string{En: "en", Zh: "zh-CN"}[l]
		if got := j.Steps[0].Template.DefaultLocale; got != want {
			t.Errorf("%s: the e-mail's default language is %s, want %s", l, got, want)
		}
		zh := j.Steps[0].Template.Variants["zh-CN"]
		rep := compliance.Check(compliance.Content{Country: "CN", Channel: "email", Locale: "zh-CN", Subject: zh.Subject, Text: zh.Text + "\n退订：https://shop.example/u/x"})
		if rep.Verdict == compliance.Block {
			t.Errorf("%s: the example's Chinese e-mail is blocked for China: %+v", l, rep.Findings)
		}
	}
}

// TestJourneysPage checks the journeys page: the editor prefilled with the
// example in the user's language, the journey of the path to open, and
// what a role without actions.write is offered.
func TestJourneysPage(t *testing.T) {
	u := newUI(t, Options{})
	for _, l := range Langs {
		h := serve(u, owner)
		rec := get(t, h, "/journeys/abandoned-checkout", map[string]string{"Cookie": LangCookie + "=" + string(l)})
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", l, rec.Code)
		}
		body := rec.Body.String()
		checkPage(t, l, "/journeys/abandoned-checkout", body)
		if !strings.Contains(body, `data-journey-id="abandoned-checkout"`) {
			t.Errorf("%s: the page does not open the journey of its path", l)
		}
		m := regexp.MustCompile(`(?s)<textarea id="j-json"[^>]*>(.*?)</textarea>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no editor for the owner", l)
		}
		if got := html.UnescapeString(m[1]); got != exampleJourney(l) {
			t.Errorf("%s: the editor holds %q, want the example", l, got)
		}
		if !strings.Contains(html.UnescapeString(m[1]), catalog(l)["journeys.example_name"]) {
			t.Errorf("%s: the example is not in the page's language", l)
		}
		for _, id := range []string{`id="j-start"`, `id="j-stop"`, `id="j-dry"`, `id="j-dest-form"`, `id="j-deliveries"`, `id="j-dead"`} {
			if !strings.Contains(body, id) {
				t.Errorf("%s: the owner lacks %s", l, id)
			}
		}
		// A viewer reads journeys and their delivery log (customers.read),
		// but neither edits nor starts them, nor reads dead letters.
		vb := get(t, serve(u, viewer), "/journeys", map[string]string{"Cookie": LangCookie + "=" + string(l)}).Body.String()
		checkPage(t, l, "/journeys", vb)
		for _, id := range []string{`id="j-start"`, `id="j-new"`, `id="j-json"`, `id="j-dest-form"`, `id="j-dead"`, `id="j-replay"`} {
			if strings.Contains(vb, id) {
				t.Errorf("%s: a viewer is offered %s", l, id)
			}
		}
		for _, k := range []string{"journeys.readonly", "journeys.dead_need_perm"} {
			if !strings.Contains(vb, html.EscapeString(catalog(l)[k])) {
				t.Errorf("%s: a viewer is not told %s", l, k)
			}
		}
		if !strings.Contains(vb, ">"+catalog(l)["nav.journeys"]+"</a>") || !strings.Contains(vb, ">"+catalog(l)["nav.compliance"]+"</a>") {
			t.Errorf("%s: a viewer's navigation lacks journeys or compliance", l)
		}
	}
}

// TestCompliancePage checks the compliance page's form and that a viewer
// (dashboard.read) may use it.
func TestCompliancePage(t *testing.T) {
	u := newUI(t, Options{})
	for _, l := range Langs {
		rec := get(t, serve(u, viewer), "/compliance", map[string]string{"Cookie": LangCookie + "=" + string(l)})
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", l, rec.Code)
		}
		body := rec.Body.String()
		checkPage(t, l, "/compliance", body)
		for _, f := range []string{`name="country"`, `name="channel"`, `name="subject"`, `name="text"`, `name="html"`, `id="cc-rules"`, `aria-current="page"`} {
			if !strings.Contains(body, f) {
				t.Errorf("%s: the compliance page lacks %s", l, f)
			}
		}
		for _, c := range compliance.Channels {
			if !strings.Contains(body, `<option value="`+c+`">`) {
				t.Errorf("%s: no channel %s", l, c)
			}
		}
	}
}
