package health

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// start is a Monday, so day i has weekday (i+1)%7 in time.Weekday terms.
var start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func day(i int) time.Time { return start.AddDate(0, 0, i) }

type market struct {
	name, country string
	weekday       float64 // mean texts per weekday; weekends are 3×
}

var markets = []market{
	{"amazon.de", "DE", 40},
	{"amazon.fr", "FR", 60},
	{"amazon.it", "IT", 8},
}

// negShare is the normal negative share per time.Weekday: Mondays are
// grumpier than weekends, so a flat baseline would alarm every Monday.
var negShare = [7]float64{0.08, 0.16, 0.15, 0.13, 0.15, 0.17, 0.10}

// injected describes an injected departure: from day first for n days, in
// one marketplace, the negative share becomes share and the volume is
// multiplied by volMul.
type injected struct {
	market      string
	first, n    int
	share       float64
	volMul      float64
	negOnlyMore bool // extra volume is all negative
}

func (in *injected) on(m string, i int) bool {
	return in != nil && m == in.market && i >= in.first && i < in.first+in.n
}

func poisson(r *rand.Rand, lam float64) int {
	// Knuth for small means, normal approximation above (exact enough for
	// a test generator and much faster).
	if lam > 60 {
		return max(0, int(math.Round(lam+math.Sqrt(lam)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lam), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

var products = []string{"P1", "P2", "P3", "P4"}

func mkText(r *rand.Rand, id string, t time.Time, m market, neg bool) Text {
	tx := Text{ID: id, Time: t.Add(time.Duration(r.IntN(86400)) * time.Second),
		Marketplace: m.name, Country: m.country, Product: products[r.IntN(len(products))], Channel: "review"}
	switch u := r.Float64(); {
	case neg:
		tx.Label, tx.Score, tx.Rating = Negative, -0.3-0.7*r.Float64(), float64(1+r.IntN(2))
		tx.Text = "broke after a week, " + id
	case u < 0.7:
		tx.Label, tx.Score, tx.Rating = Positive, 0.3+0.7*r.Float64(), float64(4+r.IntN(2))
		tx.Text = "love it " + id
	default:
		tx.Label, tx.Score, tx.Rating = Neutral, 0.4*r.Float64()-0.2, 3
		tx.Text = "it is ok " + id
	}
	if r.IntN(10) < 3 { // social mentions: no rating, other channel
		tx.Rating, tx.Channel = 0, "social"
	}
	return tx
}

// synth generates days of texts for markets with weekly seasonality in
// volume (weekends 3×) and in negative share (negShare), Poisson volume,
// day-level overdispersion of the share (±15% relative), and an optional
// injected.
func synth(seed uint64, days int, in *injected) []Text {
	r := rand.New(rand.NewPCG(seed, 7))
	var out []Text
	for i := 0; i < days; i++ {
		t := day(i)
		wd := t.Weekday()
		for _, m := range markets {
			lam := m.weekday
			if wd == time.Saturday || wd == time.Sunday {
				lam *= 3
			}
			p := negShare[wd] * math.Exp(0.15*r.NormFloat64())
			extra := 0
			if in.on(m.name, i) {
				if in.share > 0 {
					p = in.share
				}
				if in.volMul > 1 {
					if in.negOnlyMore {
						extra = poisson(r, lam*(in.volMul-1))
					} else {
						lam *= in.volMul
					}
				}
			}
			n := poisson(r, lam)
			for j := 0; j < n; j++ {
				out = append(out, mkText(r, fmt.Sprintf("%s-%d-%d", m.name, i, j), t, m, r.Float64() < p))
			}
			for j := 0; j < extra; j++ {
				out = append(out, mkText(r, fmt.Sprintf("%s-%d-x%d", m.name, i, j), t, m, true))
			}
		}
	}
	return out
}

const days = 120

// TestSeasonalitySilent: weekly seasonality in volume and negative share
// plus noise must raise nothing — no alert of any grade in any series —
// across several seeds.
func TestSeasonalitySilent(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		texts := synth(seed, days, nil)
		res := Run(texts, day(0), day(days-1), Options{})
		for _, a := range res.Alerts {
			t.Errorf("seed %d: unexpected alert %s", seed, a.Message)
		}
		if len(res.Index) == 0 {
			t.Fatalf("seed %d: no index rows", seed)
		}
	}
}

// TestIncidentFires: the same series with the negative share of one
// marketplace jumping from ~15% to 45% for 5 days raises a warning or
// critical alert on the first or second injected day, in that marketplace
// only, as one injected, with negative examples from that marketplace.
func TestIncidentFires(t *testing.T) {
	const first = 90
	for seed := uint64(1); seed <= 8; seed++ {
		in := &injected{market: "amazon.fr", first: first, n: 5, share: 0.45}
		texts := synth(seed, days, in)
		res := Run(texts, day(0), day(days-1), Options{})
		var inSeries []Alert
		for _, a := range res.Alerts {
			switch {
			case a.Series == "marketplace=amazon.fr":
				inSeries = append(inSeries, a)
			case strings.Contains(a.Series, "marketplace=") || strings.Contains(a.Series, "country="):
				// Only series holding the injected's texts may alert.
				if a.Series != "country=FR" {
					t.Errorf("seed %d: alert in unaffected series: %s", seed, a.Message)
				}
			}
		}
		if len(inSeries) == 0 {
			t.Fatalf("seed %d: no alert in marketplace=amazon.fr", seed)
		}
		var hi *Alert
		ids := map[string]bool{}
		for i := range inSeries {
			a := &inSeries[i]
			ids[a.IncidentID] = true
			if hi == nil && a.Grade >= Warning {
				hi = a
			}
		}
		if len(ids) != 1 {
			t.Errorf("seed %d: %d incidents in marketplace=amazon.fr, want 1", seed, len(ids))
		}
		if hi == nil {
			t.Fatalf("seed %d: no warning/critical, got %s", seed, inSeries[0].Message)
		}
		if !hi.Day.Equal(day(first)) && !hi.Day.Equal(day(first+1)) {
			t.Errorf("seed %d: first warning on %s, want injected day 1 or 2 (%s)", seed, hi.Day.Format(time.DateOnly), day(first).Format(time.DateOnly))
		}
		if hi.Metric != MetricNegativeShare {
			t.Errorf("seed %d: metric %s, want negative_share", seed, hi.Metric)
		}
		if len(hi.Examples) != 3 {
			t.Errorf("seed %d: %d examples, want 3", seed, len(hi.Examples))
		}
		for _, e := range hi.Examples {
			if !strings.HasPrefix(e.ID, "amazon.fr-") || e.Score >= 0 {
				t.Errorf("seed %d: example %+v is not a negative amazon.fr text", seed, e)
			}
		}
		if inSeries[0].Status != Closed || inSeries[0].ClosedAt == nil {
			t.Errorf("seed %d: injected not closed after the series calmed down: %+v", seed, inSeries[0])
		}
		if !inSeries[0].OpenedAt.Equal(inSeries[0].Day) || inSeries[0].ID != inSeries[0].IncidentID+"-"+inSeries[0].Grade.String() {
			t.Errorf("seed %d: bad ids/opening: %+v", seed, inSeries[0])
		}
		if seed == 1 {
			for _, a := range inSeries {
				t.Logf("%s [%s]", a.Message, a.Status)
			}
		}
	}
}

// TestVolumeSpikeOfNegatives: a burst of extra negative texts (3× the
// normal volume, all negative) for two days alerts on the first day.
func TestVolumeSpikeOfNegatives(t *testing.T) {
	in := &injected{market: "amazon.de", first: 100, n: 2, volMul: 3, negOnlyMore: true}
	res := Run(synth(3, days, in), day(0), day(days-1), Options{Series: [][]Dimension{{Marketplace}}})
	var got []Alert
	for _, a := range res.Alerts {
		if a.Series != "marketplace=amazon.de" {
			t.Errorf("alert in unaffected series: %s", a.Message)
			continue
		}
		got = append(got, a)
	}
	if len(got) == 0 || got[0].Grade < Warning && (len(got) < 2 || got[1].Grade < Warning) {
		t.Fatalf("no warning/critical for the negative spike: %+v", got)
	}
	if !got[0].Day.Equal(day(100)) {
		t.Errorf("first alert on %s, want %s", got[0].Day, day(100))
	}
	t.Logf("%s", got[0].Message)
}

// constSeries builds a series with exactly n texts a day, k of them
// negative, and per-day overrides.
func constSeries(ndays, n, k int, over map[int][2]int) []Text {
	var out []Text
	for i := 0; i < ndays; i++ {
		nn, kk := n, k
		if o, ok := over[i]; ok {
			nn, kk = o[0], o[1]
		}
		for j := 0; j < nn; j++ {
			tx := Text{ID: fmt.Sprintf("t%03d-%03d", i, j), Time: day(i).Add(time.Hour), Marketplace: "m", Label: Positive, Score: 0.5, Rating: 5}
			if j < kk {
				tx.Label, tx.Score, tx.Rating = Negative, -0.9+float64(j)*0.01, 1
			}
			out = append(out, tx)
		}
	}
	return out
}

var onlyMarket = Options{Series: [][]Dimension{{Marketplace}}}

// TestTinyVolume: 2 negatives out of 3 texts, against a 10% baseline, is
// not a crisis — nor is 3 out of 3.
func TestTinyVolume(t *testing.T) {
	texts := constSeries(70, 3, 0, map[int][2]int{60: {3, 2}, 65: {3, 3}})
	// Give the history a non-zero share on some days.
	res := Run(texts, day(0), day(69), onlyMarket)
	if len(res.Alerts) != 0 {
		t.Fatalf("tiny series alerted: %s", res.Alerts[0].Message)
	}
	// Guard the guard: the same jump at volume 30 must alert.
	texts = constSeries(70, 30, 3, map[int][2]int{60: {30, 20}})
	res = Run(texts, day(0), day(69), onlyMarket)
	if len(res.Alerts) == 0 || res.Alerts[0].Grade != Critical {
		t.Fatalf("20 of 30 negative against 10%% did not raise critical: %+v", res.Alerts)
	}
}

// TestEscalationAndClose: info → warning → critical on successive days
// yields three alerts of one injected, a repeat of a lower grade yields
// nothing, and the injected closes after QuietDays quiet days; the next
// departure opens a new injected.
func TestEscalationAndClose(t *testing.T) {
	// Baseline exactly 10 negatives out of 100 every day (MAD 0, so the
	// exact binomial z decides).
	// With that history the predictive z of k negatives out of 100 is
	// about 4.3 for 27, 5.3 for 32 and 7 for 40.
	over := map[int][2]int{
		60: {100, 27},                               // info
		61: {100, 32},                               // warning
		62: {100, 27},                               // info again: nothing new
		63: {100, 40},                               // critical
		64: {100, 10}, 65: {100, 10}, 66: {100, 10}, // quiet ×3 → closed on 66
		70: {100, 33}, // new incident
	}
	res := Run(constSeries(80, 100, 10, over), day(0), day(79), onlyMarket)
	want := []struct {
		d int
		g Grade
	}{{60, Info}, {61, Warning}, {63, Critical}, {70, Warning}}
	if len(res.Alerts) != len(want) {
		for _, a := range res.Alerts {
			t.Log(a.Message)
		}
		t.Fatalf("%d alerts, want %d", len(res.Alerts), len(want))
	}
	for i, w := range want {
		a := res.Alerts[i]
		if !a.Day.Equal(day(w.d)) || a.Grade != w.g {
			t.Errorf("alert %d: %s %s, want day %d %s", i, a.Day.Format(time.DateOnly), a.Grade, w.d, w.g)
		}
	}
	first := res.Alerts[0].IncidentID
	for _, a := range res.Alerts[:3] {
		if a.IncidentID != first || a.Status != Closed || a.ClosedAt == nil || !a.ClosedAt.Equal(day(66)) {
			t.Errorf("alert %s: injected %s status %s closed %v, want %s closed on day 66", a.ID, a.IncidentID, a.Status, a.ClosedAt, first)
		}
		if !a.OpenedAt.Equal(day(60)) {
			t.Errorf("alert %s opened %s", a.ID, a.OpenedAt)
		}
	}
	last := res.Alerts[3]
	if last.IncidentID == first || last.Status != Closed || !last.ClosedAt.Equal(day(73)) {
		t.Errorf("second injected: %+v", last)
	}
	if len(res.Incidents) != 2 || res.Incidents[0].PeakGrade != Critical || !res.Incidents[0].LastDay.Equal(day(63)) {
		t.Errorf("incidents: %+v", res.Incidents)
	}
	// Examples: the three most negative texts of the day, lowest first.
	ex := res.Alerts[0].Examples
	if len(ex) != 3 || ex[0].ID != "t060-000" || ex[1].ID != "t060-001" || ex[2].ID != "t060-002" {
		t.Errorf("examples: %+v", ex)
	}

	// IDs do not depend on the requested range, and a later range still
	// returns the first injected's alerts (for their status) only if the
	// injected is open in it.
	res2 := Run(constSeries(80, 100, 10, over), day(62), day(79), onlyMarket)
	if len(res2.Alerts) != 4 || res2.Alerts[0].ID != res.Alerts[0].ID {
		t.Errorf("range 62–79: %d alerts, first %v", len(res2.Alerts), res2.Alerts)
	}
	res3 := Run(constSeries(80, 100, 10, over), day(67), day(79), onlyMarket)
	if len(res3.Alerts) != 1 || res3.Alerts[0].ID != res.Alerts[3].ID {
		t.Errorf("range 67–79: %+v", res3.Alerts)
	}
	if len(res3.Index) != 13 {
		t.Errorf("range 67–79: %d index rows, want 13", len(res3.Index))
	}
}

// TestOpenAtEnd: an incident still going on at the end of the range is
// reported open, without ClosedAt.
func TestOpenAtEnd(t *testing.T) {
	over := map[int][2]int{60: {100, 40}}
	res := Run(constSeries(62, 100, 10, over), day(0), day(61), onlyMarket)
	if len(res.Alerts) != 1 || res.Alerts[0].Status != Open || res.Alerts[0].ClosedAt != nil ||
		len(res.Incidents) != 1 || res.Incidents[0].Status != Open {
		t.Fatalf("%+v %+v", res.Alerts, res.Incidents)
	}
}

// TestCalibration: on the seasonal series without incidents the z-scores
// of both metrics must have a tail close to a standard normal's
// (P(z ≥ 3) = 0.00135; we allow 0.003) and never reach 4.5, which is what
// makes the thresholds mean what they say; the 30 seeds make about 60,000
// tests.
func TestCalibration(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	var tests, over3 [2]int
	maxZ := [2]float64{}
	for seed := uint64(101); seed <= 130; seed++ {
		res := Run(synth(seed, days, nil), day(0), day(days-1), Options{InfoZ: 100, WarningZ: 101, CriticalZ: 102})
		for _, r := range res.Index {
			for m, z := range []float64{r.VolumeZ, r.NegativeShareZ} {
				if z == 0 {
					continue
				}
				tests[m]++
				if z >= 3 {
					over3[m]++
				}
				maxZ[m] = max(maxZ[m], z)
			}
		}
	}
	for m, name := range []string{"volume", "negative_share"} {
		rate := float64(over3[m]) / float64(tests[m])
		t.Logf("%s: %d tests, P(z≥3) = %.5f, max z %.2f", name, tests[m], rate, maxZ[m])
		if tests[m] < 20000 || rate > 0.003 || maxZ[m] >= 4.5 {
			t.Errorf("%s: miscalibrated", name)
		}
	}
}

// TestIndex checks the daily index arithmetic on a hand-made series.
func TestIndex(t *testing.T) {
	var texts []Text
	// 10 days; day i has one 5-star positive text and, from day 5 on, one
	// 1-star negative text, so the rating trends down.
	for i := 0; i < 10; i++ {
		texts = append(texts, Text{ID: fmt.Sprintf("p%d", i), Time: day(i), Product: "X", Label: Positive, Score: 0.8, Rating: 5})
		if i >= 5 {
			texts = append(texts, Text{ID: fmt.Sprintf("n%d", i), Time: day(i), Product: "X", Label: Negative, Score: -0.6, Rating: 1})
		}
	}
	texts = append(texts, Text{ID: "s", Time: day(9), Label: Neutral, Score: 0}) // no product: only "all"
	res := Run(texts, day(9), day(9), Options{})
	rows := map[string]DayIndex{}
	for _, r := range res.Index {
		rows[r.Series] = r
	}
	x, ok := rows["product=X"]
	if !ok || len(rows) != 2 {
		t.Fatalf("rows: %+v", rows)
	}
	if x.Volume != 2 || x.Positive != 1 || x.Negative != 1 || x.NegativeShare != 0.5 || math.Abs(x.MeanScore-0.1) > 1e-12 {
		t.Errorf("product=X day 9: %+v", x)
	}
	if x.MeanRating == nil || *x.MeanRating != 3 {
		t.Errorf("mean rating %v", x.MeanRating)
	}
	if x.RatingTrend == nil || *x.RatingTrend >= 0 {
		t.Errorf("rating trend %v, want negative", x.RatingTrend)
	}
	// Window days 3–9: 7 positives, 5 negatives, 12 texts, 12 ratings
	// summing 7·5+5·1 = 40.
	net := (7.0 - 5) / (12 + 5)
	want := 100 * (0.6*(1+net)/2 + 0.4*((40+9)/(12+3.0)-1)/4)
	if math.Abs(x.Health-want) > 0.01 {
		t.Errorf("health %.2f, want %.2f", x.Health, want)
	}
	if a := rows["all"]; a.Volume != 3 || a.Neutral != 1 {
		t.Errorf("all: %+v", a)
	}
	if x.ExpectedVolume != nil {
		t.Errorf("baseline before 4 weeks of history: %v", *x.ExpectedVolume)
	}
	b, err := json.Marshal(res.Index[0])
	if err != nil || !strings.Contains(string(b), `"grade":"none"`) {
		t.Errorf("json %s %v", b, err)
	}
}

func TestSeriesKey(t *testing.T) {
	tx := &Text{Marketplace: "amazon.de", Product: "a,b=c"}
	if k, ok := SeriesKey([]Dimension{Product, Marketplace}, tx); !ok || k != "marketplace=amazon.de,product=a%2Cb%3Dc" {
		t.Errorf("key %q %v", k, ok)
	}
	if _, ok := SeriesKey([]Dimension{Country}, tx); ok {
		t.Error("missing country should not key a series")
	}
	if k, _ := SeriesKey(nil, tx); k != "all" {
		t.Errorf("key %q", k)
	}
}

func TestAlertJSON(t *testing.T) {
	closed := day(3)
	a := Alert{ID: "inc-1-warning", Grade: Warning, Metric: MetricVolume, Status: Closed, ClosedAt: &closed}
	b, _ := json.Marshal(a)
	var back Alert
	if err := json.Unmarshal(b, &back); err != nil || back.Grade != Warning || !back.ClosedAt.Equal(closed) {
		t.Fatalf("round trip %s: %+v %v", b, back, err)
	}
}

// TestBinomTail checks the tail sums against values computed by hand.
func TestBinomTail(t *testing.T) {
	// P(X ≥ 2 | n=3, p=0.1) = 3·0.01·0.9 + 0.001 = 0.028
	if p := betaBinomTail(2, 3, 0.1, 0); math.Abs(p-0.028) > 1e-12 {
		t.Errorf("binomTail = %v", p)
	}
	// P(X ≥ 3 | λ=1) = 1 − e⁻¹(1 + 1 + 0.5)
	if p := negBinomTail(3, 1, 0); math.Abs(p-(1-math.Exp(-1)*2.5)) > 1e-9 {
		t.Errorf("poissonTail = %v", p)
	}
	if z := tailZ(0.0013498980316301); math.Abs(z-3) > 1e-6 {
		t.Errorf("tailZ = %v", z)
	}
}
