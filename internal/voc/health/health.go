// Package health turns scored reviews and social mentions into a daily
// brand-health index per series (overall, marketplace, country, product,
// channel, or any combination) and raises graded, de-duplicated alerts when
// the negative share or the volume of a series departs from a baseline that
// has learnt its weekly seasonality.
//
// The package is pure: it reads a slice of Text and returns rows, so the
// caller can run it daily over the store and write the result as log
// messages and rows of an alerts table. Everything is deterministic — the
// same input gives the same index, the same alerts and the same alert IDs.
//
// # Daily index
//
// For each series and UTC day: volume, counts and shares of the three
// sentiment labels, mean sentiment score, mean star rating (of rated texts),
// RatingTrend and Health:
//
//   - RatingTrend is the least-squares slope of star rating on day over the
//     trailing TrendWindow days (default 28), every rated text one point, in
//     stars per day; nil with fewer than 5 ratings or only one rated day.
//   - Health (0–100) is computed over the trailing HealthWindow days
//     (default 7, so a single quiet day does not swing it):
//     N = (positives − negatives) / (texts + 5), the net sentiment shrunk
//     towards 0 by five pseudo-neutral texts so that three reviews cannot
//     make a 0 or a 100; R = (sum of stars + 3·3) / (rated + 3), the mean
//     rating shrunk towards 3 stars by three pseudo-ratings; then
//     Health = 100 · (0.6 · (1+N)/2 + 0.4 · (R−1)/4) when the window has a
//     rated text and Health = 100 · (1+N)/2 when it has none (social-only
//     series). 50 is neutral; a window with no texts is 50.
//
// # Baseline
//
// Level. The expected value for day d is learnt from the same weekday in
// the BaselineWeeks (default 8) weeks before d — days d−7, d−14, …, d−56 —
// that lie on or after the series' first day. Comparing a Saturday only
// with Saturdays is what lets a series whose weekend volume is three times
// its weekday volume, or whose Monday negative share is higher than its
// Friday's, stay silent. With 4 or more such days the highest and the
// lowest are dropped (so one past incident day does not move the level);
// the volume level is the mean of the rest (days without texts count as 0),
// the share level the pooled ratio Σneg/Σn of the rest (days with at least
// one text). At least MinHistoryWeeks (default 4) such days are needed
// before a metric is tested; until then the day is indexed but cannot
// alert.
//
// Spread. Eight values give a good level but a poor scale, so the
// day-to-day variation beyond counting noise is pooled over all weekdays
// of the 16 weeks before d (two blocks of BaselineWeeks, each past day's
// residual e taken from the level of its own weekday in its block, levels
// computed as above) and re-estimated every 7 days. The models are
// Var(volume) = L + α·L² (negative binomial) and Var(share) = L(1−L)/n + τ²
// (beta-binomial); α and τ² are the smallest values ≥ 0 for which the mean
// of the lowest 90% of e²/Var is at most 0.6231, its value for normal
// residuals — a robust moment match that weighs each day by its own volume
// and ignores the worst tenth of days (past incidents).
//
// # Alert rule
//
// Two metrics are tested each day, both one-sided (only an increase is a
// problem: a drop in volume is indistinguishable from an ingest outage,
// which freshness monitoring catches, and a drop in negative share is good
// news). Each gets z = Φ⁻¹(1 − P(X ≥ observed)) under a predictive
// distribution that includes counting noise, the overdispersion and the
// level's own estimation error (m = days the level was computed from, N =
// their texts), capped at 38:
//
//   - negative_share, k negatives out of n texts, tested when
//     n ≥ MinVolume (default 10) and k ≥ MinNegatives (default 3):
//     X ~ beta-binomial(n) whose share has mean p0 = the share level clamped
//     to [0.02, 0.98] (a clean history is no proof that the true share is
//     0) and variance τ² + τ²/m + p0(1−p0)/N. For small n this is close to
//     the exact binomial test, under which 2 negatives out of 3 is
//     unremarkable; for large n the τ² term keeps normal wobble silent.
//   - volume, c texts, tested when c ≥ MinVolume: X ~ negative binomial
//     with mean λ = max(volume level, 1) and variance λ + α·λ² +
//     (λ + α·λ²)/m (Poisson when that extra is 0).
//
// When the observation is at or below the mean, z is the (negative)
// normal-approximation value, shown in the index and never alerting.
//
// A metric's grade is info when z ≥ InfoZ (default 4), warning when
// z ≥ WarningZ (default 5), critical when z ≥ CriticalZ (default 6); the
// day's grade in a series is the higher of the two metrics' grades, and
// the alert reports the metric that gave it (the larger z on a tie). The
// thresholds are higher than the textbook 3 by measurement: on simulated
// seasonal series without incidents P(z ≥ 3) is 0.001–0.002 per test, in
// line with a normal tail, which at two tests a day is about one info
// alert per series per year from noise alone — for 1,000 series, three a
// day. At 4 the 61,000 simulated tests of TestCalibration had one (a
// volume z of 4.05), i.e. of the order of one per 80 series-years.
//
// # Incidents and de-duplication
//
// Each series has at most one open incident. The first day whose grade is
// info or higher opens one; its ID is derived from the series key and that
// day. An alert is emitted when the incident opens and again each time the
// day's grade exceeds the highest grade the incident has had (escalation),
// so an incident yields at most three alerts — one per grade. Lower or
// equal grades while open emit nothing. The incident closes on the
// QuietDays-th (default 3) consecutive day without an info-or-higher grade;
// a later alerting day opens a new incident with a new ID. Each alert
// carries up to three example texts: the lowest-scored texts of the series
// that day.
package health

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Label is a sentiment label as produced by the sentiment scorer.
type Label string

// The three sentiment labels; anything else counts as neutral, so an
// unscored text still adds to volume without skewing the mix.
const (
	Positive Label = "positive"
	Neutral  Label = "neutral"
	Negative Label = "negative"
)

// Text is one scored review or mention. Empty series fields mean "unknown":
// the text joins no series that needs that dimension (a social post without
// a product is not part of any product series) but still joins "all".
type Text struct {
	ID          string    `json:"id"`
	Text        string    `json:"text"`
	Time        time.Time `json:"time"` // bucketed to its UTC day
	Marketplace string    `json:"marketplace,omitempty"`
	Country     string    `json:"country,omitempty"`
	Product     string    `json:"product,omitempty"`
	Channel     string    `json:"channel,omitempty"`
	Rating      float64   `json:"rating,omitempty"` // stars 1–5; 0 = no rating
	Label       Label     `json:"label"`
	Score       float64   `json:"score"` // sentiment score in [−1, 1]
}

// Dimension names one series key field.
type Dimension string

// The dimensions a series can be keyed by.
const (
	Marketplace Dimension = "marketplace"
	Country     Dimension = "country"
	Product     Dimension = "product"
	Channel     Dimension = "channel"
)

// DefaultSeries is the overall series plus one series per value of each
// single dimension.
var DefaultSeries = [][]Dimension{{}, {Marketplace}, {Country}, {Product}, {Channel}}

// Grade is the severity of an alert. It marshals as "info", "warning",
// "critical" (and "none" for the zero value) so that log messages and table
// rows read the same.
type Grade int8

// Grades in increasing severity; the order is used for escalation.
const (
	None Grade = iota
	Info
	Warning
	Critical
)

var gradeNames = [...]string{"none", "info", "warning", "critical"}

// String returns the grade's name.
func (g Grade) String() string {
	if g < 0 || int(g) >= len(gradeNames) {
		return fmt.Sprintf("grade(%d)", int8(g))
	}
	return gradeNames[g]
}

// MarshalText writes the grade's name, so JSON carries "warning", not 2.
func (g Grade) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText reads a grade's name back.
func (g *Grade) UnmarshalText(b []byte) error {
	for i, n := range gradeNames {
		if string(b) == n {
			*g = Grade(i)
			return nil
		}
	}
	return fmt.Errorf("health: unknown grade %q", b)
}

// Metric names what departed from the baseline.
type Metric string

// The tested metrics.
const (
	MetricNegativeShare Metric = "negative_share"
	MetricVolume        Metric = "volume"
)

// Status is the state of the incident an alert belongs to.
type Status string

// Incident states.
const (
	Open   Status = "open"
	Closed Status = "closed"
)

// Options tunes Run. The zero value of each field means its default, so
// Options{} is the documented behaviour.
type Options struct {
	// Series lists the dimension sets to index; nil means DefaultSeries.
	// An empty set is the overall series "all".
	Series [][]Dimension
	// BaselineWeeks is how many past same-weekday days form the baseline
	// (default 8).
	BaselineWeeks int
	// MinHistoryWeeks is how many of them must exist before a series can
	// alert (default 4).
	MinHistoryWeeks int
	// MinVolume is the least number of texts on a day for either metric to
	// be tested (default 10).
	MinVolume int
	// MinNegatives is the least number of negatives for a negative-share
	// alert (default 3).
	MinNegatives int
	// InfoZ, WarningZ, CriticalZ are the grade thresholds (defaults 4, 5,
	// 6; see the package comment for why not 3).
	InfoZ, WarningZ, CriticalZ float64
	// QuietDays is how many consecutive non-alerting days close an incident
	// (default 3).
	QuietDays int
	// HealthWindow is the trailing window of the health index in days
	// (default 7).
	HealthWindow int
	// TrendWindow is the trailing window of the rating trend in days
	// (default 28).
	TrendWindow int
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Series == nil {
		o.Series = DefaultSeries
	}
	def(&o.BaselineWeeks, 8)
	def(&o.MinHistoryWeeks, 4)
	if o.MinHistoryWeeks > o.BaselineWeeks {
		o.MinHistoryWeeks = o.BaselineWeeks
	}
	def(&o.MinVolume, 10)
	def(&o.MinNegatives, 3)
	deff(&o.InfoZ, 4)
	deff(&o.WarningZ, 5)
	deff(&o.CriticalZ, 6)
	def(&o.QuietDays, 3)
	def(&o.HealthWindow, 7)
	def(&o.TrendWindow, 28)
	return o
}

// LookbackDays is how many days before the first day of interest Run needs
// texts for, so that the baseline (16 weeks for the overdispersion by
// default), the trend and the health window of that day are complete.
func LookbackDays(opts Options) int {
	o := opts.withDefaults()
	return max(7*o.BaselineWeeks*dispersionBlocks, o.TrendWindow-1, o.HealthWindow-1)
}

// Example is a text attached to an alert.
type Example struct {
	ID     string  `json:"id"`
	Text   string  `json:"text"`
	Score  float64 `json:"score"`
	Rating float64 `json:"rating,omitempty"`
}

// DayIndex is one row of the daily index of one series. Pointer fields are
// nil when undefined (no rating, baseline still warming up), which maps to
// NULL in a table.
type DayIndex struct {
	Series        string    `json:"series"`
	Day           time.Time `json:"day"`
	Volume        int       `json:"volume"`
	Positive      int       `json:"positive"`
	Neutral       int       `json:"neutral"`
	Negative      int       `json:"negative"`
	PositiveShare float64   `json:"positive_share"`
	NeutralShare  float64   `json:"neutral_share"`
	NegativeShare float64   `json:"negative_share"`
	MeanScore     float64   `json:"mean_score"`
	Rated         int       `json:"rated"`
	MeanRating    *float64  `json:"mean_rating,omitempty"`
	// RatingTrend is stars per day over the trailing TrendWindow days.
	RatingTrend *float64 `json:"rating_trend,omitempty"`
	Health      float64  `json:"health"`
	// ExpectedVolume and ExpectedNegativeShare are the baseline for the
	// day; VolumeZ and NegativeShareZ the z-scores as defined in the
	// package comment (0 when the metric was not tested).
	ExpectedVolume        *float64 `json:"expected_volume,omitempty"`
	ExpectedNegativeShare *float64 `json:"expected_negative_share,omitempty"`
	VolumeZ               float64  `json:"volume_z"`
	NegativeShareZ        float64  `json:"negative_share_z"`
	Grade                 Grade    `json:"grade"`
}

// Alert is one alert: an incident opening or escalating. The same struct
// is the log message payload and the row of the alerts table; ID is unique
// per row and stable across runs, so the table can be upserted by ID (a
// later run updates Status and ClosedAt).
type Alert struct {
	// ID is IncidentID + "-" + grade: one row per grade an incident
	// reaches.
	ID string `json:"id"`
	// IncidentID is derived from Series and OpenedAt only.
	IncidentID string    `json:"incident_id"`
	Series     string    `json:"series"`
	Metric     Metric    `json:"metric"`
	Grade      Grade     `json:"grade"`
	Day        time.Time `json:"day"`
	// Observed and Expected are the metric's value and baseline: a share in
	// [0, 1] for negative_share, a count of texts for volume.
	Observed float64 `json:"observed"`
	Expected float64 `json:"expected"`
	Z        float64 `json:"z"`
	// Count is the number of texts in the series that day, Negatives how
	// many of them were negative.
	Count     int        `json:"count"`
	Negatives int        `json:"negatives"`
	Examples  []Example  `json:"examples"`
	OpenedAt  time.Time  `json:"opened_at"`
	Status    Status     `json:"status"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	Message   string     `json:"message"`
}

// Incident summarises one incident: from the first alerting day to the
// last, with the highest grade reached.
type Incident struct {
	ID        string     `json:"id"`
	Series    string     `json:"series"`
	OpenedAt  time.Time  `json:"opened_at"`
	LastDay   time.Time  `json:"last_day"`
	PeakGrade Grade      `json:"peak_grade"`
	Status    Status     `json:"status"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
}

// Result is what Run returns. Index is sorted by series key then day,
// Alerts by day then series, Incidents by opening day then series.
type Result struct {
	Index     []DayIndex `json:"index"`
	Alerts    []Alert    `json:"alerts"`
	Incidents []Incident `json:"incidents"`
}

// SeriesKey is the canonical key of a series: "all", or dimension=value
// pairs in the order marketplace, country, product, channel joined by ",",
// values query-escaped so a value holding "," or "=" cannot be confused.
func SeriesKey(dims []Dimension, t *Text) (string, bool) {
	var b strings.Builder
	for _, d := range canonical(dims) {
		v := t.field(d)
		if v == "" {
			return "", false
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(d))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	if b.Len() == 0 {
		return "all", true
	}
	return b.String(), true
}

var dimOrder = []Dimension{Marketplace, Country, Product, Channel}

// canonical orders and de-duplicates dims so that {product, marketplace}
// and {marketplace, product} are the same series.
func canonical(dims []Dimension) []Dimension {
	var out []Dimension
	for _, d := range dimOrder {
		if slices.Contains(dims, d) {
			out = append(out, d)
		}
	}
	return out
}

func (t *Text) field(d Dimension) string {
	switch d {
	case Marketplace:
		return t.Marketplace
	case Country:
		return t.Country
	case Product:
		return t.Product
	case Channel:
		return t.Channel
	}
	return ""
}

const secondsPerDay = 86400

// dayNum is the number of the UTC day holding t since the Unix epoch.
func dayNum(t time.Time) int64 {
	s := t.Unix()
	d := s / secondsPerDay
	if s%secondsPerDay < 0 {
		d--
	}
	return d
}

func dayTime(d int64) time.Time { return time.Unix(d*secondsPerDay, 0).UTC() }

// IncidentID derives an incident's ID from its series key and opening day,
// so re-running over the same data yields the same ID.
func IncidentID(series string, opened time.Time) string {
	h := sha256.Sum256([]byte(series + "\x00" + dayTime(dayNum(opened)).Format(time.DateOnly)))
	return "inc-" + hex.EncodeToString(h[:8])
}

const maxExamples = 3

// dispersionBlocks is how many BaselineWeeks-long blocks the
// overdispersion is learnt from (16 weeks by default).
const dispersionBlocks = 2

// dayAgg accumulates one series on one day. Examples are kept as indexes
// into the input, the three lowest scores so far.
type dayAgg struct {
	n, pos, neu, neg int32
	rated            int32
	nex              int8
	sumScore         float64
	sumRating        float64
	ex               [maxExamples]int32
}

type series struct {
	key   string
	first int64 // day number of its first text
	days  []dayAgg
	// slab backs the index rows' optional fields, one allocation per
	// series instead of up to four per row.
	slab []float64
}

// ptr stores v in the slab and returns its address.
func (s *series) ptr(v float64) *float64 {
	if len(s.slab) == cap(s.slab) {
		s.slab = make([]float64, 0, 1024)
	}
	s.slab = append(s.slab, v)
	return &s.slab[len(s.slab)-1]
}

type seriesID struct {
	spec                       int
	mkt, country, prod, chanel string
}

// Run indexes texts and evaluates alerts. Every day from the first text's
// day to `to` is evaluated, so incident state (and with it alert IDs) does
// not depend on `from`. Index rows are returned for days in [from, to] (UTC
// days, inclusive). Incidents are those open on some day of [from, to];
// Alerts are all alerts of those incidents, including ones dated before
// from, so that upserting rows by ID keeps Status and ClosedAt current —
// log as new only those with Day ≥ from. Pass texts from at least
// LookbackDays(opts) days before from; texts after `to` are ignored. A
// series has rows from the day of its first text on; memory is about 64
// bytes per series per day evaluated, so pass the lookback, not all
// history.
func Run(texts []Text, from, to time.Time, opts Options) Result {
	o := opts.withDefaults()
	fromD, toD := dayNum(from), dayNum(to)
	if len(texts) == 0 || toD < fromD {
		return Result{}
	}
	day0 := int64(math.MaxInt64)
	for i := range texts {
		if d := dayNum(texts[i].Time); d < day0 {
			day0 = d
		}
	}
	if day0 > toD {
		return Result{}
	}
	span := int(toD-day0) + 1

	specs := make([][]Dimension, len(o.Series))
	for i, s := range o.Series {
		specs[i] = canonical(s)
	}
	byID := make(map[seriesID]*series)
	var all []*series
	for i := range texts {
		t := &texts[i]
		d := dayNum(t.Time)
		if d > toD {
			continue
		}
		for si, spec := range specs {
			id := seriesID{spec: si}
			ok := true
			for _, dim := range spec {
				v := t.field(dim)
				if v == "" {
					ok = false
					break
				}
				switch dim {
				case Marketplace:
					id.mkt = v
				case Country:
					id.country = v
				case Product:
					id.prod = v
				case Channel:
					id.chanel = v
				}
			}
			if !ok {
				continue
			}
			s := byID[id]
			if s == nil {
				key, _ := SeriesKey(spec, t)
				s = &series{key: key, first: d, days: make([]dayAgg, span)}
				byID[id] = s
				all = append(all, s)
			}
			if d < s.first {
				s.first = d
			}
			s.days[d-day0].add(texts, int32(i))
		}
	}
	// Two specs can name the same key only if the caller listed a set
	// twice; sort by key so output order is stable regardless of map order.
	slices.SortFunc(all, func(a, b *series) int { return cmp.Compare(a.key, b.key) })

	// Series are independent: evaluate them in parallel, each into its
	// own Result, and concatenate in key order so output stays
	// deterministic.
	parts := make([]Result, len(all))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(all)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(all) {
					return
				}
				all[i].evaluate(texts, day0, fromD, &o, &parts[i])
			}
		})
	}
	wg.Wait()
	var res Result
	var nIndex int
	for i := range parts {
		nIndex += len(parts[i].Index)
	}
	res.Index = make([]DayIndex, 0, nIndex)
	for i := range parts {
		res.Index = append(res.Index, parts[i].Index...)
		res.Alerts = append(res.Alerts, parts[i].Alerts...)
		res.Incidents = append(res.Incidents, parts[i].Incidents...)
		parts[i] = Result{}
	}
	// Keep incidents open on some day of the range, and all their alerts —
	// also those dated before from, so that upserting by ID updates their
	// Status and ClosedAt.
	fromT, toT := dayTime(fromD), dayTime(toD)
	keep := make(map[string]bool)
	inc := res.Incidents[:0]
	for _, r := range res.Incidents {
		if r.ClosedAt == nil || !r.ClosedAt.Before(fromT) {
			keep[r.ID] = true
			inc = append(inc, r)
		}
	}
	res.Incidents = inc
	als := res.Alerts[:0]
	for _, a := range res.Alerts {
		if keep[a.IncidentID] && !a.Day.After(toT) {
			als = append(als, a)
		}
	}
	res.Alerts = als
	slices.SortStableFunc(res.Alerts, func(a, b Alert) int {
		return cmp.Or(a.Day.Compare(b.Day), cmp.Compare(a.Series, b.Series), cmp.Compare(a.Grade, b.Grade))
	})
	slices.SortStableFunc(res.Incidents, func(a, b Incident) int {
		return cmp.Or(a.OpenedAt.Compare(b.OpenedAt), cmp.Compare(a.Series, b.Series))
	})
	return res
}

func (a *dayAgg) add(texts []Text, i int32) {
	t := &texts[i]
	a.n++
	switch t.Label {
	case Positive:
		a.pos++
	case Negative:
		a.neg++
	default:
		a.neu++
	}
	a.sumScore += t.Score
	if t.Rating > 0 {
		a.rated++
		a.sumRating += t.Rating
	}
	// Keep the lowest-scored texts; ties go to the lower ID so examples do
	// not depend on input order.
	less := func(x, y int32) bool {
		if texts[x].Score != texts[y].Score {
			return texts[x].Score < texts[y].Score
		}
		return texts[x].ID < texts[y].ID
	}
	if int(a.nex) < maxExamples {
		a.ex[a.nex] = i
		a.nex++
	} else if less(i, a.ex[maxExamples-1]) {
		a.ex[maxExamples-1] = i
	} else {
		return
	}
	for j := int(a.nex) - 1; j > 0 && less(a.ex[j], a.ex[j-1]); j-- {
		a.ex[j], a.ex[j-1] = a.ex[j-1], a.ex[j]
	}
}

// incident is the open-incident state of one series.
type incident struct {
	open   bool
	id     string
	start  int64
	grade  Grade
	quiet  int
	alerts []int // indexes into Result.Alerts emitted for it
	inc    int   // index into Result.Incidents
}

func (s *series) evaluate(texts []Text, day0, fromD int64, o *Options, res *Result) {
	var inc incident
	var bl baseline
	res.Index = make([]DayIndex, 0, max(0, int(day0)+len(s.days)-int(max(fromD, s.first))))
	startIdx := int(s.first - day0)
	for t := startIdx; t < len(s.days); t++ {
		d := day0 + int64(t)
		a := &s.days[t]
		report := d >= fromD

		bl.compute(s.days, startIdx, t, o.BaselineWeeks, dispersionBlocks)
		var volZ, expVol float64
		haveVol := bl.volM >= o.MinHistoryWeeks
		if haveVol {
			expVol = bl.vol
			if int(a.n) >= o.MinVolume {
				volZ = volumeZ(float64(a.n), bl.vol, bl.volVar)
			}
		}
		var shareZ, expShare float64
		haveShare := bl.shareM >= o.MinHistoryWeeks
		if haveShare {
			expShare = bl.share
			if int(a.n) >= o.MinVolume && int(a.neg) >= o.MinNegatives {
				shareZ = shareZScore(int(a.neg), int(a.n), clampShare(bl.share), bl.shareVar)
			}
		}

		g, metric, z := None, MetricNegativeShare, shareZ
		gs, gv := o.grade(shareZ), o.grade(volZ)
		switch {
		case gs >= gv:
			g = gs
		default:
			g, metric, z = gv, MetricVolume, volZ
		}
		if gs == gv && volZ > shareZ {
			metric, z = MetricVolume, volZ
		}

		if report {
			s.indexRow(d, t, o, res, haveVol, expVol, haveShare, expShare, volZ, shareZ, g)
		}

		// Incident state machine.
		if g >= Info {
			inc.quiet = 0
			if !inc.open {
				inc = incident{open: true, id: IncidentID(s.key, dayTime(d)), start: d}
				res.Incidents = append(res.Incidents, Incident{ID: inc.id, Series: s.key, OpenedAt: dayTime(d), Status: Open})
				inc.inc = len(res.Incidents) - 1
			}
			if g > inc.grade {
				inc.grade = g
				var obs, exp float64
				if metric == MetricVolume {
					obs, exp = float64(a.n), expVol
				} else {
					obs, exp = float64(a.neg)/float64(a.n), expShare
				}
				al := Alert{
					ID: inc.id + "-" + g.String(), IncidentID: inc.id, Series: s.key,
					Metric: metric, Grade: g, Day: dayTime(d),
					Observed: obs, Expected: exp, Z: round2(z),
					Count: int(a.n), Negatives: int(a.neg),
					Examples: a.examples(texts), OpenedAt: dayTime(inc.start), Status: Open,
				}
				al.Message = message(&al)
				res.Alerts = append(res.Alerts, al)
				inc.alerts = append(inc.alerts, len(res.Alerts)-1)
			}
			r := &res.Incidents[inc.inc]
			r.LastDay, r.PeakGrade = dayTime(d), inc.grade
		} else if inc.open {
			inc.quiet++
			if inc.quiet >= o.QuietDays {
				closed := dayTime(d)
				for _, ai := range inc.alerts {
					res.Alerts[ai].Status = Closed
					res.Alerts[ai].ClosedAt = &closed
				}
				res.Incidents[inc.inc].Status = Closed
				res.Incidents[inc.inc].ClosedAt = &closed
				inc = incident{}
			}
		}
	}
}

// baseline is the expected volume and negative share of one day and their
// spread, learnt from the trailing window; its slices are reused from day
// to day.
type baseline struct {
	// vol and share are the trimmed levels of t's own weekday, volM and
	// shareM how many days they were learnt from (before trimming).
	vol, share   float64
	volM, shareM int
	// volVar is the variance of the true volume around vol (overdispersion
	// plus the level's estimation error), shareVar the same for the share.
	volVar, shareVar float64
	// alpha and tau2 are the pooled overdispersions, refreshed every 7
	// days (they move slowly and cost the most).
	alpha, tau2    float64
	refreshed      int
	vols, negs, ns [7][]float64
	v, sh          residuals
	scratch        []float64
}

// residuals are squared residuals e² with their model variance base + x·w
// for the unknown overdispersion x.
type residuals struct{ e2, base, w []float64 }

func (r *residuals) reset() { r.e2, r.base, r.w = r.e2[:0], r.base[:0], r.w[:0] }

func (r *residuals) add(e2, base, w float64) {
	r.e2, r.base, r.w = append(r.e2, e2), append(r.base, base), append(r.w, w)
}

// trimmedChi2Mean is the mean of the lowest 90% of a χ²₁ variable,
// (0.9 − 2·1.6449·φ(1.6449)) / 0.9: what the trimmed mean of e²/Var is
// for normal residuals with the right variance.
const trimmedChi2Mean = 0.6230940

// compute fills b for day t. The level comes from days t−7, t−14, …,
// t−7·weeks (on or after first); the overdispersion from the 7·weeks·blocks
// days before t, in blocks of 7·weeks days.
//
// Level: with 4 or more days the highest and the lowest are dropped, so one
// past incident day does not move it; then the mean volume, and the pooled
// ratio Σneg/Σn for the share.
//
// Overdispersion: each past day's residual e is taken from the level of its
// own weekday within its block. The model is Var(volume) = L + α·L²
// (negative binomial) and Var(share) = L(1−L)/n + τ² (beta-binomial); α and
// τ² are the smallest values ≥ 0 for which the mean of the lowest 90% of
// e²/Var is at most what it is for normal residuals. Pooling all weekdays
// and 16 weeks, and a trimmed mean rather than a median, is what made the
// estimate stable: with per-weekday MADs over 8 weeks, or a pooled median,
// a chance high τ² hid a 15% → 45% negative-share jump.
func (b *baseline) compute(days []dayAgg, first, t, weeks, blocks int) {
	refresh := b.refreshed == 0 || t-b.refreshed >= 7
	if refresh {
		b.refreshed = t
		b.v.reset()
		b.sh.reset()
	}
	var volUsed, shareUsed, shareN float64
	b.vol, b.share, b.volM, b.shareM = 0, 0, 0, 0
	for blk := 0; blk < blocks && (blk == 0 || refresh); blk++ {
		for c := range 7 {
			b.vols[c], b.negs[c], b.ns[c] = b.vols[c][:0], b.negs[c][:0], b.ns[c][:0]
		}
		for lag := blk*7*weeks + 1; lag <= (blk+1)*7*weeks && t-lag >= first; lag++ {
			d := &days[t-lag]
			c := lag % 7
			b.vols[c] = append(b.vols[c], float64(d.n))
			if d.n > 0 {
				b.negs[c] = append(b.negs[c], float64(d.neg))
				b.ns[c] = append(b.ns[c], float64(d.n))
			}
		}
		if blk == 0 {
			b.volM, b.shareM = len(b.vols[0]), len(b.ns[0])
		}
		for c := range 7 {
			if len(b.vols[c]) >= 2 {
				lvl, used := trimmedRatio(b.vols[c], nil)
				if blk == 0 && c == 0 {
					b.vol, volUsed = lvl, used
				}
				if refresh {
					l := max(lvl, 1)
					for _, v := range b.vols[c] {
						b.v.add((v-lvl)*(v-lvl), l, l*l)
					}
				}
			}
			if len(b.ns[c]) >= 2 {
				lvl, used := trimmedRatio(b.negs[c], b.ns[c])
				if blk == 0 && c == 0 {
					b.share, shareUsed = lvl, used
					for _, n := range b.ns[c] {
						shareN += n
					}
					shareN *= used / float64(len(b.ns[c]))
				}
				if refresh {
					p := clampShare(lvl)
					for i, n := range b.ns[c] {
						e := b.negs[c][i]/n - lvl
						b.sh.add(e*e, p*(1-p)/n, 1)
					}
				}
			}
		}
	}
	if refresh {
		b.alpha = b.extraVar(&b.v)
		b.tau2 = b.extraVar(&b.sh)
	}
	b.volVar, b.shareVar = 0, 0
	if volUsed > 0 {
		l := max(b.vol, 1)
		dayVar := l + b.alpha*l*l
		b.volVar = b.alpha*l*l + dayVar/volUsed
	}
	if shareUsed > 0 {
		p := clampShare(b.share)
		b.shareVar = b.tau2 + b.tau2/shareUsed + p*(1-p)/shareN
	}
}

// extraVar returns the smallest x ≥ 0 for which the mean of the lowest 90%
// of e2ᵢ/(baseᵢ + x·wᵢ) is at most trimmedChi2Mean, by bisection on a log
// scale to about 1%.
func (b *baseline) extraVar(r *residuals) float64 {
	if len(r.e2) < 5 {
		return 0
	}
	f := func(x float64) float64 {
		b.scratch = b.scratch[:0]
		for i, e2 := range r.e2 {
			b.scratch = append(b.scratch, e2/(r.base[i]+x*r.w[i]))
		}
		slices.Sort(b.scratch)
		keep := max(1, len(b.scratch)*9/10)
		var sum float64
		for _, v := range b.scratch[:keep] {
			sum += v
		}
		return sum / float64(keep)
	}
	if f(0) <= trimmedChi2Mean {
		return 0
	}
	hi := 1e-9
	for f(hi) > trimmedChi2Mean {
		hi *= 16
		if hi > 1e9 {
			return hi
		}
	}
	lo := hi / 16
	for range 12 {
		mid := math.Sqrt(lo * hi)
		if f(mid) > trimmedChi2Mean {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// clampShare keeps a baseline share off 0 and 1: a clean history is not
// evidence that the true share is 0, and one negative must not be a crisis.
func clampShare(p float64) float64 { return min(max(p, 0.02), 0.98) }

// trimmedRatio returns Σnum/Σden (Σnum/count when den is nil) over the
// values, leaving out with 4 or more values the one with the highest and
// the one with the lowest ratio; used is how many values were kept.
func trimmedRatio(num, den []float64) (ratio, used float64) {
	ratioAt := func(i int) float64 {
		if den == nil {
			return num[i]
		}
		return num[i] / den[i]
	}
	lo, hi := -1, -1
	if len(num) >= 4 {
		lo, hi = 0, 0
		for i := range num {
			if r := ratioAt(i); r < ratioAt(lo) {
				lo = i
			} else if r >= ratioAt(hi) {
				hi = i
			}
		}
		if lo == hi { // all equal
			hi = (lo + 1) % len(num)
		}
	}
	var sn, sd float64
	for i := range num {
		if i == lo || i == hi {
			continue
		}
		sn += num[i]
		if den == nil {
			sd++
		} else {
			sd += den[i]
		}
		used++
	}
	if sd == 0 {
		return 0, 0
	}
	return sn / sd, used
}

func (o *Options) grade(z float64) Grade {
	switch {
	case z >= o.CriticalZ:
		return Critical
	case z >= o.WarningZ:
		return Warning
	case z >= o.InfoZ:
		return Info
	}
	return None
}

func (a *dayAgg) examples(texts []Text) []Example {
	out := make([]Example, 0, a.nex)
	for _, i := range a.ex[:a.nex] {
		t := &texts[i]
		out = append(out, Example{ID: t.ID, Text: t.Text, Score: t.Score, Rating: t.Rating})
	}
	return out
}

func message(a *Alert) string {
	what := fmt.Sprintf("negative share %.0f%% vs expected %.0f%% (%d of %d texts)",
		100*a.Observed, 100*a.Expected, a.Negatives, a.Count)
	if a.Metric == MetricVolume {
		what = fmt.Sprintf("volume %d vs expected %.0f", a.Count, a.Expected)
	}
	return fmt.Sprintf("%s: %s on %s in %s, z=%.1f", a.Grade, what, a.Day.Format(time.DateOnly), a.Series, a.Z)
}

func (s *series) indexRow(d int64, t int, o *Options, res *Result, haveVol bool, expVol float64,
	haveShare bool, expShare float64, volZ, shareZ float64, g Grade) {
	a := &s.days[t]
	r := DayIndex{
		Series: s.key, Day: dayTime(d), Volume: int(a.n),
		Positive: int(a.pos), Neutral: int(a.neu), Negative: int(a.neg),
		Rated: int(a.rated), VolumeZ: round2(volZ), NegativeShareZ: round2(shareZ), Grade: g,
	}
	if a.n > 0 {
		n := float64(a.n)
		r.PositiveShare, r.NeutralShare, r.NegativeShare = float64(a.pos)/n, float64(a.neu)/n, float64(a.neg)/n
		r.MeanScore = a.sumScore / n
	}
	if a.rated > 0 {
		m := a.sumRating / float64(a.rated)
		r.MeanRating = s.ptr(m)
	}
	if haveVol {
		v := expVol
		r.ExpectedVolume = s.ptr(v)
	}
	if haveShare {
		v := expShare
		r.ExpectedNegativeShare = s.ptr(v)
	}

	// Health over the trailing window.
	var n, pos, neg, rated, sumR float64
	for p := max(0, t-o.HealthWindow+1); p <= t; p++ {
		pa := &s.days[p]
		n += float64(pa.n)
		pos += float64(pa.pos)
		neg += float64(pa.neg)
		rated += float64(pa.rated)
		sumR += pa.sumRating
	}
	r.Health = healthIndex(n, pos, neg, rated, sumR)

	// Rating trend: least squares over individual ratings, x = day offset.
	var w, x, y, xy, xx float64
	days := 0
	for p := max(0, t-o.TrendWindow+1); p <= t; p++ {
		pa := &s.days[p]
		if pa.rated == 0 {
			continue
		}
		days++
		xi := float64(p - t)
		ri := float64(pa.rated)
		w += ri
		x += ri * xi
		xx += ri * xi * xi
		y += pa.sumRating
		xy += xi * pa.sumRating
	}
	if w >= 5 && days >= 2 {
		if den := xx - x*x/w; den > 0 {
			slope := (xy - x*y/w) / den
			r.RatingTrend = s.ptr(slope)
		}
	}
	res.Index = append(res.Index, r)
}

// healthIndex is the documented 0–100 index from window totals.
func healthIndex(n, pos, neg, rated, sumRating float64) float64 {
	net := (pos - neg) / (n + 5)
	sent := (1 + net) / 2
	if rated == 0 {
		return round2(100 * sent)
	}
	r := (sumRating + 3*3) / (rated + 3)
	return round2(100 * (0.6*sent + 0.4*(r-1)/4))
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// volumeZ is the z-score of volume c under a negative binomial (Gamma–
// Poisson) predictive distribution with mean max(mu, 1) and variance
// mean + v; v = 0 is plain Poisson.
func volumeZ(c, mu, v float64) float64 {
	lam := max(mu, 1)
	if c <= lam {
		return (c - lam) / math.Sqrt(lam+v)
	}
	return tailZ(negBinomTail(int(c), lam, v))
}

// shareZScore is the z-score of k negatives out of n under a beta-binomial
// predictive distribution: the true share has mean p0 and variance v
// (day-to-day variation plus the baseline's estimation error), the count
// given the share is binomial. v = 0 is the exact binomial test — right
// for small n, where 2 out of 3 is unremarkable; v > 0 keeps normal wobble
// of a large series from alarming.
func shareZScore(k, n int, p0, v float64) float64 {
	nf := float64(n)
	if float64(k) <= nf*p0 {
		return (float64(k) - nf*p0) / math.Sqrt(nf*p0*(1-p0)+nf*nf*v)
	}
	return tailZ(betaBinomTail(k, n, p0, v))
}

// tailZ converts an upper-tail probability to a standard-normal z.
func tailZ(p float64) float64 {
	if p <= 0 {
		return 38 // beyond float64's normal tail; any threshold is passed
	}
	if p >= 1 {
		return -38
	}
	// Cap: Erfcinv overflows to +Inf for subnormal p, which JSON cannot
	// carry.
	return min(math.Sqrt2*math.Erfcinv(2*p), 38)
}

// betaBinomTail is P(X ≥ k) for X ~ BetaBinomial(n, α, β) with mean p and
// Var(share) = v, i.e. α+β = p(1−p)/v − 1; binomial when v is negligible.
// Only called with k above the mean, where terms decrease, so the sum
// stops once they no longer matter.
func betaBinomTail(k, n int, p, v float64) float64 {
	if k <= 0 {
		return 1
	}
	if k > n {
		return 0
	}
	kappa := math.Inf(1)
	if v > 0 {
		kappa = p*(1-p)/v - 1
	}
	if kappa <= 0.01 {
		kappa = 0.01
	}
	lc := lchoose(n, k)
	var lt float64
	if kappa > 1e8 {
		lt = lc + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p)
	} else {
		a, b := kappa*p, kappa*(1-p)
		lt = lc + lbeta(float64(k)+a, float64(n-k)+b) - lbeta(a, b)
	}
	term := math.Exp(lt)
	sum := term
	for j := k; j < n; j++ {
		// Ratio of consecutive terms.
		r := float64(n-j) / float64(j+1)
		if kappa > 1e8 {
			r *= p / (1 - p)
		} else {
			a, b := kappa*p, kappa*(1-p)
			r *= (float64(j) + a) / (float64(n-j-1) + b)
		}
		term *= r
		sum += term
		if term < sum*1e-12 {
			break
		}
	}
	return min(sum, 1)
}

// negBinomTail is P(X ≥ c) for X with mean lam and variance lam + v:
// negative binomial with shape r = lam²/v, Poisson when v is negligible.
func negBinomTail(c int, lam, v float64) float64 {
	if c <= 0 {
		return 1
	}
	var lt, ratio func(j int) float64
	if v < 1e-9*lam {
		ll := math.Log(lam)
		lt = func(j int) float64 { lg, _ := math.Lgamma(float64(j + 1)); return float64(j)*ll - lam - lg }
		ratio = func(j int) float64 { return lam / float64(j+1) }
	} else {
		r := lam * lam / v
		q := lam / (r + lam)
		lt = func(j int) float64 {
			a, _ := math.Lgamma(float64(j) + r)
			b, _ := math.Lgamma(r)
			g, _ := math.Lgamma(float64(j + 1))
			return a - b - g + r*math.Log1p(-q) + float64(j)*math.Log(q)
		}
		ratio = func(j int) float64 { return (float64(j) + r) / float64(j+1) * q }
	}
	term := math.Exp(lt(c))
	sum := term
	for j := c; term > 0 && term >= sum*1e-12; j++ {
		term *= ratio(j)
		sum += term
	}
	return min(sum, 1)
}

func lchoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

func lbeta(a, b float64) float64 {
	x, _ := math.Lgamma(a)
	y, _ := math.Lgamma(b)
	z, _ := math.Lgamma(a + b)
	return x + y - z
}
