package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tradewind/tradewind/internal/answercache"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/profile/cluster"
	"github.com/tradewind/tradewind/internal/profile/rfm"
	"github.com/tradewind/tradewind/internal/store"
)

func (s *Server) analyticsRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/v1/rfm", Perm: auth.DashboardRead, handler: s.rfmSummary},
		{Method: "GET", Path: "/v1/clusters", Perm: auth.DashboardRead, handler: s.clusters},
		{Method: "POST", Path: "/v1/query/shared", Perm: auth.QuerySQL, handler: s.audited("query.sql", s.sharedQuery)},
	}
}

// Shared reads: the overview's KPI and trend SQL reads every order of the
// period through the orders view, which gives each order its profile by
// joining the identity mapping: 1.7–4.7 s at 1,000,000 customers
// (bench/dashboard), most of it that join and the per-profile grouping,
// which no rewrite of the SQL removes. Every visitor of the overview asks
// the same questions, so their answers are shared (internal/answercache):
// an answer younger than sharedFresh is served as it is; an older one, up
// to sharedStale, is served while a new one is computed in the
// background; past that, or for a new question, the visitor waits for the
// query. As on the marketing page, the figures may lag the store by up to
// sharedFresh plus one query, but never by more than 5% of its messages:
// an answer read before the store's applied messages grew by more is
// dropped (the overview seen before a bulk load showed no orders after
// it).
const (
	sharedFresh   = time.Minute
	sharedStale   = 15 * time.Minute
	sharedLimit   = 60 * time.Second // one question's time limit
	sharedEntries = 64               // distinct questions kept; the overview asks 6
)

// sharedAnswers are a node's shared answers, by question (SQL text and
// row limit, or the RFM or clusters question).
type sharedAnswers = answercache.Cache[string, any]

var sharedCaches sync.Map // Backend (else *Server) → *sharedAnswers

// shared is the node's shared answers: kept per Backend, the node, so that
// the server made for the warm-up at start (Warm) and the one serving
// requests share them. A Backend must be comparable (a pointer).
func (s *Server) shared() *sharedAnswers {
	var key any = s
	if s.Backend != nil {
		key = s.Backend
	}
	c, _ := sharedCaches.LoadOrStore(key, &sharedAnswers{Fresh: sharedFresh, Stale: sharedStale,
		Limit: sharedLimit, Entries: sharedEntries})
	return c.(*sharedAnswers)
}

// appliedMessages is how many log messages the store has applied (0 when
// unknown), the version of the shared answers: a count, not the applied
// position, because positions are not dense (eventlog/position.go) and
// an answer is read again when the store grew by 5%.
func (s *Server) appliedMessages(ctx context.Context) uint64 {
	res, err := s.Backend.QueryArgs(ctx, "SELECT value FROM tw_state WHERE key = 'applied_messages'", nil)
	if err != nil || len(res.Rows) == 0 {
		return 0
	}
	n, _ := strconv.ParseUint(asString(res.Rows[0][0]), 10, 64)
	return n
}

// sharedQuery answers POST /v1/query/shared {"sql": …, "max_rows": …} like
// POST /v1/query (the same read-only SQL, permission and audit), from the
// shared answers: for the dashboard's own questions, which every visitor
// asks, not for exploration. computed_at says when the answer was read.
func (s *Server) sharedQuery(w http.ResponseWriter, r *http.Request) {
	sql, max, ok := s.queryRequest(w, r, map[string]any{"shared": true})
	if !ok {
		return
	}
	v, at, err := s.shared().Get(r.Context(), sharedSQLKey(sql, max), s.appliedMessages(r.Context()), s.runSQL(sql, max))
	if s.queryFailed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, struct {
		QueryResponse
		ComputedAt time.Time `json:"computed_at"`
	}{queryResponse(v.(*store.Result)), at.UTC()})
}

// sharedSQLKey is the shared answers' key of a SQL question.
func sharedSQLKey(sql string, maxRows int) string {
	return "sql\x00" + strconv.Itoa(maxRows) + "\x00" + sql
}

// runSQL computes a shared SQL question: a user's read-only query.
func (s *Server) runSQL(sql string, maxRows int) answercache.Compute[any] {
	return func(ctx context.Context, _ any) (any, error) { return s.Backend.Query(ctx, sql, maxRows) }
}

// rfmSummary answers GET /v1/rfm?as_of=YYYY-MM-DD&period_days=365&by_marketplace=true
// with the named RFM segments' sizes and revenue shares, overall and per
// marketplace.
func (s *Server) rfmSummary(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o := defaultRFM(s.now())
	o.ByMarketplace = q.Get("by_marketplace") == "true"
	if v := q.Get("as_of"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			ingest.WriteError(w, http.StatusBadRequest, "as_of", "as_of must be a date YYYY-MM-DD")
			return
		}
		o.AsOf = t
	}
	if v := q.Get("period_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 36500 {
			ingest.WriteError(w, http.StatusBadRequest, "period_days", "period_days must be 0 (all orders) to 36500")
			return
		}
		o.PeriodDays = n
	}
	sql, err := rfm.Summary(o)
	if err != nil {
		ingest.WriteError(w, http.StatusBadRequest, "", err.Error())
		return
	}
	v, _, err := s.shared().Get(r.Context(), "rfm\x00"+sql, s.appliedMessages(r.Context()), s.runRFM(o, sql))
	res, _ := v.(*store.Result)
	if err != nil {
		s.Logger.Error("rfm", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not compute RFM")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"as_of": o.AsOf.Format(time.DateOnly), "period_days": o.PeriodDays,
		"segments": rows(res.Columns, res.Rows)})
}

// defaultRFM is the RFM summary the segments page asks for (GET /v1/rfm
// without parameters) at now.
func defaultRFM(now time.Time) rfm.Options {
	return rfm.Options{AsOf: now, PeriodDays: 365, Cancellations: "cancellations"}
}

// runRFM computes an RFM summary (sql is rfm.Summary(o)) for the shared
// answers: 2.7–4 s at 1,000,000 customers from the orders, so shared like
// the overview's reads, and read from the order days when the store keeps
// them: the same measures at a third of the CPU (bench/predict/FIGURES.md).
func (s *Server) runRFM(o rfm.Options, sql string) answercache.Compute[any] {
	return func(ctx context.Context, _ any) (any, error) {
		q := sql
		if s.OrderDays != nil {
			if _, err := s.OrderDays(ctx); err != nil {
				s.Logger.Warn("rfm: the order days could not be brought up to date; reading every order", "err", err)
			} else if od, err := rfm.Summary(rfm.Options{AsOf: o.AsOf, PeriodDays: o.PeriodDays, Cancellations: o.Cancellations,
				ByMarketplace: o.ByMarketplace, OrderDays: true}); err == nil {
				q = od
			}
		}
		return s.Backend.QueryArgs(ctx, q, nil)
	}
}

// clusterFeatures are the behaviour profiles are clustered on, with the
// words that describe a cluster far from the average on each.
var clusterFeatures = []cluster.Feature{
	{Name: "orders", High: "buy often", Low: "buy rarely", Log: true},
	{Name: "aov_base", High: "large baskets", Low: "small baskets", Log: true},
	{Name: "days_since_last_order", High: "lapsed", Low: "bought recently", Log: true},
	{Name: "order_interval_days", High: "long gaps between orders", Low: "reorder quickly", Log: true},
	{Name: "refund_rate", High: "return a lot", Low: "rarely return"},
	{Name: "review_rate", High: "write reviews", Low: ""},
	{Name: "marketplaces", High: "shop on several marketplaces", Low: ""},
}

// clusters answers GET /v1/clusters[?k_max=8] with behavioural clusters of
// the profiles that ordered: k chosen by silhouette, each described in
// words.
func (s *Server) clusters(w http.ResponseWriter, r *http.Request) {
	kmax := defaultClusters
	if v, err := strconv.Atoi(r.URL.Query().Get("k_max")); err == nil && v >= 2 && v <= 12 {
		kmax = v
	}
	now := s.now()
	// Shared like the overview's reads: reading up to 200,000 profiles and
	// fitting takes over a second at 1,000,000 customers, and the answer
	// only depends on the day (days since the last order).
	v, _, err := s.shared().Get(r.Context(), clustersKey(kmax, now), s.appliedMessages(r.Context()), s.runClusters(kmax, now))
	var few errTooFew
	switch {
	case errors.As(err, &few):
		ingest.WriteError(w, http.StatusUnprocessableEntity, "", "not enough customers with orders to cluster: "+few.Error())
		return
	case err != nil:
		s.Logger.Error("clusters", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the profiles")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// defaultClusters is the k_max of GET /v1/clusters without one.
const defaultClusters = 8

// clustersKey is the shared answers' key of the clusters: the answer
// depends on the day (days since the last order).
func clustersKey(kmax int, now time.Time) string {
	return "clusters\x00" + strconv.Itoa(kmax) + "\x00" + now.UTC().Format(time.DateOnly)
}

// runClusters computes the clusters for the shared answers.
func (s *Server) runClusters(kmax int, now time.Time) answercache.Compute[any] {
	return func(ctx context.Context, _ any) (any, error) { return s.fitClusters(ctx, kmax, now) }
}

// errTooFew is a clustering that found too few customers.
type errTooFew struct{ error }

// fitClusters reads the profiles that ordered and clusters them.
func (s *Server) fitClusters(ctx context.Context, kmax int, now time.Time) (map[string]any, error) {
	res, err := s.Backend.QueryArgs(ctx, `SELECT orders, coalesce(aov_base, 0),
		greatest(date_diff('day', CAST(timezone('UTC', last_order_at) AS DATE), CAST(timezone('UTC', ?::TIMESTAMPTZ) AS DATE)), 0),
		coalesce(order_interval_days, 'NaN'::DOUBLE), refunded_orders / greatest(orders, 1), reviews / greatest(orders, 1),
		len(marketplaces), marketplaces
		FROM profiles WHERE orders > 0 ORDER BY profile_id LIMIT 200000`, []any{now})
	if err != nil {
		return nil, err
	}
	X := make([][]float64, 0, len(res.Rows))
	for _, row := range res.Rows {
		x := make([]float64, len(clusterFeatures))
		for i := range clusterFeatures {
			x[i] = toFloat(row[i])
		}
		X = append(X, x)
	}
	m, err := cluster.Fit(X, clusterFeatures, cluster.Options{KMax: kmax, Seed: 1})
	if err != nil {
		return nil, errTooFew{err}
	}
	desc := m.Describe(X, cluster.DescribeOptions{})
	out := make([]map[string]any, 0, len(desc))
	for _, d := range desc {
		means := map[string]any{}
		for i, f := range clusterFeatures {
			if v := d.Means[i]; !math.IsNaN(v) && !math.IsInf(v, 0) {
				means[f.Name] = math.Round(v*100) / 100
			}
		}
		out = append(out, map[string]any{"cluster": d.Cluster, "size": d.Size, "share": d.Share, "description": d.Text, "means": means})
	}
	scores := map[string]float64{}
	for k, v := range m.Scores {
		scores[strconv.Itoa(k)] = v
	}
	return map[string]any{"k": m.K, "criterion": "mean silhouette on a sample, k in 2..k_max",
		"silhouette": m.Silhouette, "silhouette_by_k": scores, "customers": len(X), "clusters": out}, nil
}

func toFloat(v any) float64 {
	switch x := JSONValue(v).(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err == nil {
			return f
		}
	}
	return math.NaN()
}

// rows turns a result into JSON objects.
func rows(cols []string, rs [][]any) []map[string]any {
	out := make([]map[string]any, 0, len(rs))
	for _, row := range rs {
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			m[c] = JSONValue(row[i])
		}
		out = append(out, m)
	}
	return out
}
