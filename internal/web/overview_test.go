package web

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOverviewQuestionsOnThePage: the overview's period buttons carry the
// SQL the server asks at start (SharedQuestions), the default period's
// among them, so the first visitor's questions are the ones answered
// ahead; a role without query.sql gets no SQL.
func TestOverviewQuestionsOnThePage(t *testing.T) {
	u := newUI(t, Options{})
	body := get(t, serve(u, owner), "/", nil).Body.String()
	attr := regexp.MustCompile(`data-days="(\d+)" aria-pressed="(true|false)" data-kpi-sql="([^"]*)" data-trend-sql="([^"]*)"`)
	ms := attr.FindAllStringSubmatch(body, -1)
	if len(ms) != len(OverviewPeriods) {
		t.Fatalf("%d period buttons with SQL on the overview, want %d", len(ms), len(OverviewPeriods))
	}
	shared := u.SharedQuestions()
	for _, m := range ms {
		kpi, trend := html.UnescapeString(m[3]), html.UnescapeString(m[4])
		if m[1] == "90" {
			if m[2] != "true" || kpi != OverviewKPISQL(90) || trend != OverviewTrendSQL(90) {
				t.Errorf("default period's button: pressed %s, SQL not OverviewKPISQL/OverviewTrendSQL(90)", m[2])
			}
			if len(shared) < 2 || shared[0] != kpi || shared[1] != trend {
				t.Error("the default period's questions are not the first shared questions answered at start")
			}
		}
		// Every period is answered at start: the 365-day KPIs take over a
		// second at 1,000,000 customers.
		if !slices.Contains(shared, kpi) || !slices.Contains(shared, trend) {
			t.Errorf("period %s: its questions are not among the shared questions answered at start", m[1])
		}
		if !strings.Contains(kpi, "INTERVAL "+m[1]+" DAY") || !strings.Contains(trend, "INTERVAL "+m[1]+" DAY") {
			t.Errorf("period %s: SQL of another period", m[1])
		}
	}
	if !strings.Contains(OverviewTrendSQL(365), "date_trunc('week'") || !strings.Contains(OverviewTrendSQL(90), "date_trunc('day'") {
		t.Error("trend buckets: weeks for a year, days for 90 days")
	}
	if q, _ := u.rfmCellSQL(); !slices.Contains(shared, q) {
		t.Error("the RFM cells are not among the shared questions")
	}
	if body := get(t, serve(u, viewer), "/", nil).Body.String(); strings.Contains(body, "data-kpi-sql") {
		t.Error("a role without query.sql gets the overview's SQL")
	}
}
