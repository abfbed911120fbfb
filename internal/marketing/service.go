package marketing

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tradewind/tradewind/internal/answercache"
	"github.com/tradewind/tradewind/internal/attribution"
	"github.com/tradewind/tradewind/internal/kvjson"
	"github.com/tradewind/tradewind/internal/touch"
)

// Service runs the analyses over a node's store.
type Service struct {
	// Scan reads the store.
	Scan ScanFunc
	// RefreshTouches brings the store's touch tables (touch_rows and
	// touch_points, kept with the key expression KeySQL gives) up to date
	// before a read: the store's RefreshTouchPoints.
	RefreshTouches func(ctx context.Context, keySQL string, args []any) error
	// Taxonomy classifies touches; nil is touch.Default().
	Taxonomy *touch.Taxonomy
	// JetStream and Bucket keep the experiment definitions (a key-value
	// bucket: they must be the same on every node and outlive the store,
	// which a restore or rebuild replaces).
	JetStream jetstream.JetStream
	Bucket    string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// CacheFor is how long a period's data is reused (default 5 minutes).
	CacheFor time.Duration
	// Generation, when set, is how many log messages the store has
	// applied: a cached read is dropped when the store has grown by more
	// than 5% (and 1,000 messages) or gone back (see internal/answercache).
	Generation func() uint64
	Logger     *slog.Logger

	mu        sync.Mutex
	defs      *kvjson.Bucket[Experiment]
	cacheOnce sync.Once
	cache     *answercache.Cache[dataKey, *Data] // the periods' data
	asked     atomic.Int64                       // when an analysis was last asked for (UnixNano)
}

func (s *Service) taxonomy() *touch.Taxonomy {
	if s.Taxonomy != nil {
		return s.Taxonomy
	}
	return touch.Default()
}

// ChannelTaxonomy is the taxonomy in force.
func (s *Service) ChannelTaxonomy() *touch.Taxonomy { return s.taxonomy() }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Period is the time range and window of an analysis.
type Period struct {
	// From and To bound the conversions analysed, [From, To); zero From
	// is 90 days before To, zero To is tomorrow (UTC).
	From, To time.Time
	// Lookback is the look-back window (default 30 days).
	Lookback time.Duration
}

func (s *Service) resolve(p Period) Period {
	if p.To.IsZero() {
		n := s.now().UTC()
		p.To = time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, time.UTC)
	}
	if p.From.IsZero() {
		p.From = p.To.AddDate(0, 0, -90)
	}
	if p.Lookback <= 0 {
		p.Lookback = DefaultLookback
	}
	return p
}

// load reads the data of a period, from the cache when it was read less
// than CacheFor ago. Reading it is the expensive part of every analysis
// (seconds over a year of events), and the dashboard's marketing page asks
// for three analyses of the same period at once: they share one read. The
// Data is shared: analyses only read it.
func (s *Service) load(ctx context.Context, p Period) (*Data, Period, error) {
	if ctx.Value(warming{}) == nil {
		s.asked.Store(s.now().UnixNano())
	}
	return s.fetch(ctx, p)
}

// warming marks a context of Warm's, whose reads are not requests.
type warming struct{}

// fetch is load without counting as a request. Data older than CacheFor
// is still answered from while a fresh read runs in the background (up to
// three times CacheFor: after that, or once the store has grown by 5%, a
// request waits for the fresh read), and the analyses asked of the old
// data are computed on the new before it replaces the old, so that a
// dashboard in use never waits for a read.
func (s *Service) fetch(ctx context.Context, p Period) (*Data, Period, error) {
	p = s.resolve(p)
	key := dataKey{p.From.UnixNano(), p.To.UnixNano(), p.Lookback}
	d, _, err := s.data().Get(ctx, key, s.generation(), func(ctx context.Context, prev *Data) (*Data, error) {
		d, err := s.read(ctx, p, prev)
		if err != nil && prev != nil && s.Logger != nil {
			s.Logger.Warn("marketing data refresh failed; answering from the previous read", "err", err)
		}
		return d, err
	})
	return d, p, err
}

// data is the periods' data: a read costs seconds to a minute at
// 1,000,000 customers, and a trickle of live events (under 1,000
// messages) waits for CacheFor rather than paying for one.
func (s *Service) data() *answercache.Cache[dataKey, *Data] {
	s.cacheOnce.Do(func() {
		s.cache = &answercache.Cache[dataKey, *Data]{Fresh: s.cacheFor(), Stale: 3 * s.cacheFor(), MinGrowth: 1000, Now: s.Now}
	})
	return s.cache
}

// read refreshes the store's touch tables and reads p's data; with prev,
// the analyses asked of prev are computed on the new data too.
func (s *Service) read(ctx context.Context, p Period, prev *Data) (*Data, error) {
	if s.RefreshTouches != nil {
		q, args := KeySQL(s.taxonomy())
		if err := s.RefreshTouches(ctx, q, args); err != nil {
			return nil, err
		}
	}
	d, err := Load(ctx, s.Scan, s.taxonomy(), p.From, p.To, p.Lookback)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		prev.answerAgain(ctx, d)
	}
	return d, nil
}

// dataKey identifies a period's data in the cache.
type dataKey struct {
	from, to int64
	lookback time.Duration
}

// answers keep the analyses computed on one Data: an analysis (a model
// run over a million journeys: seconds) is computed once per read of the
// data, whoever asks for it and however often.
type answers struct {
	mu sync.Mutex
	m  map[string]*answer
}

type answer struct {
	done chan struct{}
	v    any
	err  error
	// fn computes it on a Data (a later read of the same period).
	fn func(ctx context.Context, d *Data) (any, error)
}

// answer is fn's result on d, computed once (callers asking while it is
// computed wait for it).
func (d *Data) answer(ctx context.Context, key string, fn func(ctx context.Context, d *Data) (any, error)) (any, error) {
	d.answers.mu.Lock()
	if d.answers.m == nil {
		d.answers.m = map[string]*answer{}
	}
	a := d.answers.m[key]
	if a == nil {
		a = &answer{done: make(chan struct{}), fn: fn}
		d.answers.m[key] = a
		d.answers.mu.Unlock()
		a.v, a.err = fn(context.WithoutCancel(ctx), d)
		close(a.done)
	} else {
		d.answers.mu.Unlock()
	}
	select {
	case <-a.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return a.v, a.err
}

// answerAgain computes on next the analyses asked of d (without errors).
func (d *Data) answerAgain(ctx context.Context, next *Data) {
	d.answers.mu.Lock()
	type job struct {
		key string
		fn  func(ctx context.Context, d *Data) (any, error)
	}
	var jobs []job
	for k, a := range d.answers.m {
		select {
		case <-a.done:
			if a.err == nil {
				jobs = append(jobs, job{k, a.fn})
			}
		default:
		}
	}
	d.answers.mu.Unlock()
	for _, j := range jobs {
		_, _ = next.answer(ctx, j.key, j.fn)
	}
}

// analyse answers one analysis of q's period: fn on the period's data,
// once per read of it for each key.
func analyse[T any](ctx context.Context, s *Service, q Period, key string, fn func(ctx context.Context, d *Data, p Period) (T, error)) (T, error) {
	var zero T
	d, p, err := s.load(ctx, q)
	if err != nil {
		return zero, err
	}
	v, err := d.answer(ctx, key, func(ctx context.Context, d *Data) (any, error) { return fn(ctx, d, p) })
	if err != nil {
		return zero, err
	}
	return v.(T), nil
}

func (s *Service) generation() uint64 {
	if s.Generation == nil {
		return 0
	}
	return s.Generation()
}

// AskedWithin says whether an analysis was asked for within d: keeping
// the data warm costs a read every few minutes (seconds of CPU on a large
// store), worth it only while someone uses the page.
func (s *Service) AskedWithin(d time.Duration) bool {
	at := s.asked.Load()
	return at != 0 && s.now().Sub(time.Unix(0, at)) < d
}

// CacheTTL is how long a period's data is reused.
func (s *Service) CacheTTL() time.Duration { return s.cacheFor() }

func (s *Service) cacheFor() time.Duration {
	if s.CacheFor > 0 {
		return s.CacheFor
	}
	return 5 * time.Minute
}

// Warm reads the default period's data (the dashboard's) and computes the
// marketing page's analyses on it now.
func (s *Service) Warm(ctx context.Context) {
	ctx = context.WithValue(ctx, warming{}, true)
	_, err := s.Attribution(ctx, AttributionQuery{Models: attribution.Models, Level: ByChannel})
	if err == nil {
		_, err = s.ROI(ctx, ROIQuery{Group: ByChannel})
	}
	if err == nil {
		_, err = s.Influencers(ctx, InfluencerQuery{})
	}
	if err != nil && ctx.Err() == nil && s.Logger != nil {
		s.Logger.Warn("marketing data warm-up failed", "err", err)
	}
}

// AttributionQuery asks for one model's credit, or every model's.
type AttributionQuery struct {
	Period
	// Models to run (one, or all of them).
	Models []attribution.Model
	Level  Level
	Options
}

// AttributionResult is the answer: one report per model, and what was
// analysed.
type AttributionResult struct {
	From         string                `json:"from"`
	To           string                `json:"to"`
	LookbackDays float64               `json:"lookback_days"`
	By           Level                 `json:"by"`
	Converting   int                   `json:"converting_journeys"`
	NonConverted int                   `json:"non_converting_journeys"`
	Unpriced     int                   `json:"unpriced_orders"`
	Coupons      map[string]CouponLink `json:"coupons,omitempty"`
	Models       []AttributionReport   `json:"models"`
}

// Attribution credits channels (or campaigns) with the orders of the
// period by each requested model.
func (s *Service) Attribution(ctx context.Context, q AttributionQuery) (*AttributionResult, error) {
	if q.Level == "" {
		q.Level = ByChannel
	}
	key := fmt.Sprintf("attribution %v %s %+v", q.Models, q.Level, q.Options)
	return analyse(ctx, s, q.Period, key, func(_ context.Context, d *Data, p Period) (*AttributionResult, error) {
		return d.attribution(p, q)
	})
}

func (d *Data) attribution(p Period, q AttributionQuery) (*AttributionResult, error) {
	js := d.journeys()
	out := &AttributionResult{From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly),
		LookbackDays: p.Lookback.Hours() / 24, By: q.Level, Coupons: d.Coupons}
	for _, j := range js {
		if j.Converted {
			out.Converting++
			if !d.Profiles[j.Profile].Orders[j.Order].Priced {
				out.Unpriced++
			}
		} else {
			out.NonConverted++
		}
	}
	for _, m := range q.Models {
		rep, _, err := d.Attribute(js, q.Level, m, q.Options)
		if err != nil {
			return nil, fmt.Errorf("marketing: %s: %w", m, err)
		}
		out.Models = append(out.Models, rep)
	}
	return out, nil
}

// ROIQuery asks for return on ad spend.
type ROIQuery struct {
	Period
	// Model attributes the orders (default markov).
	Model attribution.Model
	// Group is channel or campaign.
	Group Level
	// By splits further: "", "marketplace" or "week".
	By string
	Options
}

// ROIRow is one group's return.
type ROIRow struct {
	Channel      string   `json:"channel"`
	Campaign     string   `json:"campaign,omitempty"`
	Marketplace  string   `json:"marketplace,omitempty"`
	Week         string   `json:"week,omitempty"`
	Spend        float64  `json:"spend"`
	Impressions  int64    `json:"impressions"`
	Clicks       int64    `json:"clicks"`
	Conversions  float64  `json:"conversions"`
	Revenue      float64  `json:"revenue"`
	NewCustomers float64  `json:"new_customers"`
	ROAS         *float64 `json:"roas"`
	CAC          *float64 `json:"cac"`
	CostPerOrder *float64 `json:"cost_per_order"`
	// PredictedLTV is the mean predicted lifetime value of the attributed
	// new customers who have a prediction; LTVToCAC divides it by CAC.
	PredictedLTV *float64 `json:"predicted_ltv"`
	LTVToCAC     *float64 `json:"ltv_to_cac"`

	ltvSum, ltvWeight float64
}

// ROIResult is the answer of ROI.
type ROIResult struct {
	From         string   `json:"from"`
	To           string   `json:"to"`
	LookbackDays float64  `json:"lookback_days"`
	Model        string   `json:"model"`
	Group        Level    `json:"group"`
	By           string   `json:"by,omitempty"`
	Currency     string   `json:"currency,omitempty"`
	Rows         []ROIRow `json:"rows"`
	Total        ROIRow   `json:"total"`
	// UnpricedSpend counts spend rows without a base-currency amount
	// (no exchange rate yet): left out of spend.
	UnpricedSpend int64 `json:"unpriced_spend_rows"`
}

// spendSQL sums ad spend in the base currency per channel, campaign,
// marketplace (the row's, else its source's id) and ISO week.
const spendSQL = `
SELECT channel, lower(trim(campaign)), coalesce(nullif(marketplace, ''), source_id), CAST(date_trunc('week', date) AS DATE),
  coalesce(sum(spend_base), 0)::DOUBLE, coalesce(sum(impressions), 0)::BIGINT, coalesce(sum(clicks), 0)::BIGINT,
  count(*) FILTER (WHERE spend_base IS NULL), any_value(base_currency)
FROM ad_spend WHERE date >= ? AND date < ?
GROUP BY ALL`

type spendRow struct {
	channel, campaign, marketplace, week string
	spend                                float64
	impressions, clicks, unpriced        int64
	currency                             string
}

func (s *Service) spend(ctx context.Context, p Period) ([]spendRow, error) {
	tax := s.taxonomy()
	var out []spendRow
	err := s.Scan(ctx, spendSQL, []any{p.From, p.To}, func(r []any) error {
		out = append(out, spendRow{channel: tax.Alias(r[0].(string)), campaign: r[1].(string), marketplace: r[2].(string),
			week: r[3].(time.Time).Format(time.DateOnly), spend: r[4].(float64), impressions: r[5].(int64), clicks: r[6].(int64),
			unpriced: r[7].(int64), currency: r[8].(string)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("marketing: ad spend: %w", err)
	}
	return out, nil
}

// ROI joins attributed orders with ad spend per group: ROAS (attributed
// revenue / spend), CAC (spend / attributed new customers), cost per order
// (spend / attributed orders) and predicted LTV:CAC, where predictions
// exist. A group without spend still shows what it brought.
func (s *Service) ROI(ctx context.Context, q ROIQuery) (*ROIResult, error) {
	if q.Model == "" {
		q.Model = attribution.Markov
	}
	if q.Group == "" {
		q.Group = ByChannel
	}
	key := fmt.Sprintf("roi %s %s %s %+v", q.Model, q.Group, q.By, q.Options)
	return analyse(ctx, s, q.Period, key, func(ctx context.Context, d *Data, p Period) (*ROIResult, error) {
		return s.roi(ctx, d, p, q)
	})
}

func (s *Service) roi(ctx context.Context, d *Data, p Period, q ROIQuery) (*ROIResult, error) {
	js := d.journeys()
	_, res, err := d.Attribute(js, q.Group, q.Model, q.Options)
	if err != nil {
		return nil, err
	}
	credits := d.JourneyCredits(js, q.Group, res, q.Options)
	rows := map[string]*ROIRow{}
	row := func(label, market, wk string) *ROIRow {
		ch, camp, _ := strings.Cut(label, "/")
		switch q.By {
		case "marketplace":
			wk = ""
		case "week":
			market = ""
		default:
			market, wk = "", ""
		}
		k := label + "\x00" + market + "\x00" + wk
		r := rows[k]
		if r == nil {
			r = &ROIRow{Channel: ch, Campaign: camp, Marketplace: market, Week: wk}
			rows[k] = r
		}
		return r
	}
	for i, j := range js {
		if !j.Converted {
			continue
		}
		p := &d.Profiles[j.Profile]
		o := p.Orders[j.Order]
		for _, sh := range credits[i] {
			r := row(sh.Label, o.Marketplace, week(o.At))
			r.Conversions += sh.Conversions
			r.Revenue += sh.Value
			if o.Rank == 1 {
				r.NewCustomers += sh.Conversions
				if !math.IsNaN(p.CLV) {
					r.ltvSum += sh.Conversions * p.CLV
					r.ltvWeight += sh.Conversions
				}
			}
		}
	}
	sp, err := s.spend(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &ROIResult{From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly), LookbackDays: p.Lookback.Hours() / 24,
		Model: string(q.Model), Group: q.Group, By: q.By, Rows: []ROIRow{}}
	for _, x := range sp {
		label := x.channel
		if q.Group == ByCampaign && x.campaign != "" {
			label += "/" + x.campaign
		}
		r := row(label, x.marketplace, x.week)
		r.Spend += x.spend
		r.Impressions += x.impressions
		r.Clicks += x.clicks
		out.UnpricedSpend += x.unpriced
		out.Currency = x.currency
	}
	out.Total.Channel = "total"
	for _, r := range rows {
		r.finish()
		out.Rows = append(out.Rows, *r)
		t := &out.Total
		t.Spend += r.Spend
		t.Impressions += r.Impressions
		t.Clicks += r.Clicks
		t.Conversions += r.Conversions
		t.Revenue += r.Revenue
		t.NewCustomers += r.NewCustomers
		t.ltvSum += r.ltvSum
		t.ltvWeight += r.ltvWeight
	}
	out.Total.finish()
	sort.Slice(out.Rows, func(i, j int) bool {
		a, b := out.Rows[i], out.Rows[j]
		if a.Week != b.Week {
			return a.Week < b.Week
		}
		if a.Marketplace != b.Marketplace {
			return a.Marketplace < b.Marketplace
		}
		if a.Spend != b.Spend {
			return a.Spend > b.Spend
		}
		if a.Revenue != b.Revenue {
			return a.Revenue > b.Revenue
		}
		return a.Channel+"/"+a.Campaign < b.Channel+"/"+b.Campaign
	})
	return out, nil
}

// finish computes the ratios (nil where a denominator is 0) and rounds
// the amounts to cents for reading.
func (r *ROIRow) finish() {
	ratio := func(a, b float64) *float64 {
		if b <= 0 {
			return nil
		}
		v := round(a/b, 4)
		return &v
	}
	r.ROAS = ratio(r.Revenue, r.Spend)
	if r.Spend > 0 {
		// Without spend a CAC of 0 would read as "free customers" where
		// the truth is "no cost recorded".
		r.CAC = ratio(r.Spend, r.NewCustomers)
		r.CostPerOrder = ratio(r.Spend, r.Conversions)
	}
	r.PredictedLTV = ratio(r.ltvSum, r.ltvWeight)
	if r.PredictedLTV != nil && r.CAC != nil && *r.CAC > 0 {
		r.LTVToCAC = ratio(*r.PredictedLTV, *r.CAC)
	}
	r.Spend, r.Revenue = round(r.Spend, 2), round(r.Revenue, 2)
	r.Conversions, r.NewCustomers = round(r.Conversions, 4), round(r.NewCustomers, 4)
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}
