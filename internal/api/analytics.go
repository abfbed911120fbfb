package api

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/profile/cluster"
	"github.com/tradewind/tradewind/internal/profile/rfm"
)

func (s *Server) analyticsRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/v1/rfm", Perm: auth.DashboardRead, handler: s.rfmSummary},
		{Method: "GET", Path: "/v1/clusters", Perm: auth.DashboardRead, handler: s.clusters},
	}
}

// rfmSummary answers GET /v1/rfm?as_of=YYYY-MM-DD&period_days=365&by_marketplace=true
// with the named RFM segments' sizes and revenue shares, overall and per
// marketplace.
func (s *Server) rfmSummary(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o := rfm.Options{AsOf: s.now(), PeriodDays: 365, Cancellations: "cancellations", ByMarketplace: q.Get("by_marketplace") == "true"}
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
	res, err := s.Backend.QueryArgs(r.Context(), sql, nil)
	if err != nil {
		s.Logger.Error("rfm", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not compute RFM")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"as_of": o.AsOf.Format(time.DateOnly), "period_days": o.PeriodDays,
		"segments": rows(res.Columns, res.Rows)})
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
	kmax := 8
	if v, err := strconv.Atoi(r.URL.Query().Get("k_max")); err == nil && v >= 2 && v <= 12 {
		kmax = v
	}
	now := s.now()
	res, err := s.Backend.QueryArgs(r.Context(), `SELECT orders, coalesce(aov_base, 0),
		greatest(date_diff('day', CAST(timezone('UTC', last_order_at) AS DATE), CAST(timezone('UTC', ?::TIMESTAMPTZ) AS DATE)), 0),
		coalesce(order_interval_days, 'NaN'::DOUBLE), refunded_orders / greatest(orders, 1), reviews / greatest(orders, 1),
		len(marketplaces), marketplaces
		FROM profiles WHERE orders > 0 ORDER BY profile_id LIMIT 200000`, []any{now})
	if err != nil {
		s.Logger.Error("clusters", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the profiles")
		return
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
		ingest.WriteError(w, http.StatusUnprocessableEntity, "", "not enough customers with orders to cluster: "+err.Error())
		return
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
	writeJSON(w, http.StatusOK, map[string]any{"k": m.K, "criterion": "mean silhouette on a sample, k in 2..k_max",
		"silhouette": m.Silhouette, "silhouette_by_k": scores, "customers": len(X), "clusters": out})
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
