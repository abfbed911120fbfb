package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/predict"
)

// predictionRoutes are the endpoints of customer predictions: lifetime
// value, churn risk and the model reports.
func (s *Server) predictionRoutes() []Route {
	if s.Predict == nil {
		return nil
	}
	return []Route{
		{Method: "GET", Path: "/v1/predictions/report", Perm: auth.DashboardRead, handler: s.predictionReport},
		{Method: "POST", Path: "/v1/predictions/refresh", Perm: auth.ModelsRun, handler: s.audited("predictions.refresh", s.refreshPredictions)},
		{Method: "GET", Path: "/v1/predictions/summary", Perm: auth.DashboardRead, handler: s.predictionSummary},
		{Method: "GET", Path: "/v1/predictions/distribution", Perm: auth.DashboardRead, handler: s.predictionDistribution},
		{Method: "GET", Path: "/v1/predictions", Perm: auth.CustomersRead, handler: s.listPredictions},
	}
}

// predictionReport answers with the newest run's model report.
func (s *Server) predictionReport(w http.ResponseWriter, r *http.Request) {
	run, err := s.Predict.Latest(r.Context())
	if err != nil {
		s.Logger.Error("prediction report", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the prediction report")
		return
	}
	if run == nil {
		ingest.WriteError(w, http.StatusNotFound, "", "no prediction run yet: POST /v1/predictions/refresh runs one (they also run daily)")
		return
	}
	writeJSON(w, http.StatusOK, run)
}

// refreshPredictions runs the models now and answers with the report; a
// run the data cannot support answers 200 with status "refused" and why.
func (s *Server) refreshPredictions(w http.ResponseWriter, r *http.Request) {
	run, err := s.Predict.Refresh(r.Context())
	switch {
	case errors.Is(err, predict.ErrBusy):
		ingest.WriteError(w, http.StatusConflict, "", err.Error())
		return
	case err != nil:
		s.Logger.Error("prediction run", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "the prediction run failed")
		return
	}
	writeJSON(w, http.StatusOK, run)
}

// summaryBy maps ?by= to the grouping of the summary query: customers of
// several marketplaces or channels count in each.
// The lists are unnested in a select list, not as a lateral table: DuckDB
// joined every profile back to its unnested rows, 1.3 of the 2 s at
// 1,000,000 customers (bench/dashboard).
var summaryBy = map[string]struct{ from, key string }{
	"marketplace": {"(SELECT p.*, unnest(CASE WHEN len(f.marketplaces) = 0 OR f.marketplaces IS NULL THEN ['(none)'] ELSE f.marketplaces END) AS k FROM customer_predictions p LEFT JOIN profiles f USING (profile_id)) p", "p.k"},
	"channel":     {"(SELECT p.*, unnest(CASE WHEN len(f.channels) = 0 OR f.channels IS NULL THEN ['(none)'] ELSE f.channels END) AS k FROM customer_predictions p LEFT JOIN profiles f USING (profile_id)) p", "p.k"},
	"segment":     {"customer_predictions p JOIN segment_members sm USING (profile_id)", "sm.segment_id"},
	"tier":        {"customer_predictions p", "coalesce(p.churn_tier, '(none)')"},
	"all":         {"customer_predictions p", "'all'"},
}

// predictionSummary answers GET /v1/predictions/summary?by=marketplace|
// channel|segment|tier|all: customers, total and mean CLV, mean P(alive)
// and churn risk, and the churn tiers per group.
func (s *Server) predictionSummary(w http.ResponseWriter, r *http.Request) {
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "all"
	}
	g, ok := summaryBy[by]
	if !ok {
		ingest.WriteError(w, http.StatusBadRequest, "by", "by must be marketplace, channel, segment, tier or all")
		return
	}
	q := fmt.Sprintf(`SELECT %s AS "group", count(*) AS customers,
		round(sum(p.clv), 2) AS clv_total, round(avg(p.clv), 2) AS clv_mean, round(median(p.clv), 2) AS clv_median,
		round(avg(p.p_alive), 4) AS p_alive_mean, round(avg(p.churn_risk), 4) AS churn_risk_mean,
		round(sum(p.expected_purchases), 1) AS expected_purchases,
		count(*) FILTER (WHERE p.churn_tier = 'high') AS churn_high,
		count(*) FILTER (WHERE p.churn_tier = 'medium') AS churn_medium,
		count(*) FILTER (WHERE p.churn_tier = 'low') AS churn_low
		FROM %s GROUP BY 1 ORDER BY clv_total DESC NULLS LAST, 1`, g.key, g.from)
	res, err := s.Backend.QueryArgs(r.Context(), q, nil)
	if err != nil {
		s.Logger.Error("prediction summary", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not summarise the predictions")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"by": by, "groups": rows(res.Columns, res.Rows)})
}

// predictionDistribution answers with the CLV distribution (log-spaced
// buckets) and the churn-risk histogram, for the dashboard's charts.
func (s *Server) predictionDistribution(w http.ResponseWriter, r *http.Request) {
	clv, err := s.Backend.QueryArgs(r.Context(), `SELECT CASE WHEN clv IS NULL THEN NULL WHEN clv < 1 THEN 0 ELSE floor(log2(clv))::INTEGER + 1 END AS bucket,
		count(*) AS customers, round(sum(clv), 2) AS clv FROM customer_predictions GROUP BY 1 ORDER BY 1 NULLS LAST`, nil)
	if err != nil {
		s.Logger.Error("prediction distribution", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the predictions")
		return
	}
	churn, err := s.Backend.QueryArgs(r.Context(), `SELECT least(floor(churn_risk * 10)::INTEGER, 9) AS decile, count(*) AS customers
		FROM customer_predictions WHERE churn_risk IS NOT NULL GROUP BY 1 ORDER BY 1`, nil)
	if err != nil {
		s.Logger.Error("prediction distribution", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the predictions")
		return
	}
	// Bucket b ≥ 1 holds CLV in [2^(b−1), 2^b); bucket 0 below 1.
	var buckets []map[string]any
	for _, row := range clv.Rows {
		b, ok := row[0].(int32)
		if !ok {
			buckets = append(buckets, map[string]any{"from": nil, "to": nil, "customers": JSONValue(row[1]), "clv": JSONValue(row[2])})
			continue
		}
		from, to := 0.0, 1.0
		if b > 0 {
			from, to = float64(int64(1)<<(b-1)), float64(int64(1)<<b)
		}
		buckets = append(buckets, map[string]any{"from": from, "to": to, "customers": JSONValue(row[1]), "clv": JSONValue(row[2])})
	}
	writeJSON(w, http.StatusOK, map[string]any{"clv": buckets, "churn_risk": rows(churn.Columns, churn.Rows)})
}

// predictionOrder is the sort of GET /v1/predictions.
var predictionOrder = map[string]string{
	"clv": "clv DESC NULLS LAST", "churn_risk": "churn_risk DESC NULLS LAST",
	"p_alive": "p_alive ASC NULLS LAST", "expected_purchases": "expected_purchases DESC NULLS LAST",
}

// listPredictions answers GET /v1/predictions?tier=high&order=clv&limit=100&offset=0:
// customers with their predictions, the most valuable (or most at risk)
// first — the "who is worth winning back" list.
func (s *Server) listPredictions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	order := predictionOrder[q.Get("order")]
	if order == "" {
		if q.Get("order") != "" {
			ingest.WriteError(w, http.StatusBadRequest, "order", "order must be clv, churn_risk, p_alive or expected_purchases")
			return
		}
		order = predictionOrder["clv"]
	}
	limit, offset := 100, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			ingest.WriteError(w, http.StatusBadRequest, "limit", "limit must be 1 to 10000")
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			ingest.WriteError(w, http.StatusBadRequest, "offset", "offset must be a whole number ≥ 0")
			return
		}
		offset = n
	}
	where, args := "TRUE", []any{}
	if t := q.Get("tier"); t != "" {
		if t != "high" && t != "medium" && t != "low" {
			ingest.WriteError(w, http.StatusBadRequest, "tier", "tier must be high, medium or low")
			return
		}
		where, args = "churn_tier = ?", append(args, t)
	}
	args = append(args, limit, offset)
	res, err := s.Backend.QueryArgs(r.Context(), `SELECT profile_id, clv, p_alive, expected_purchases, expected_spend,
		churn_risk, churn_tier, reasons, frequency, recency, "T", model_version, scored_at
		FROM customer_predictions WHERE `+where+` ORDER BY `+order+`, profile_id LIMIT ? OFFSET ?`, args)
	if err != nil {
		s.Logger.Error("predictions", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the predictions")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customers": rows(res.Columns, res.Rows), "limit": limit, "offset": offset})
}

// profilePredictions reads one profile's predictions for GET
// /v1/profiles/{id}; nil when it has none.
func (s *Server) profilePredictions(r *http.Request, pid string) map[string]any {
	if s.Predict == nil {
		return nil
	}
	res, err := s.Backend.QueryArgs(r.Context(), `SELECT clv, p_alive, expected_purchases, expected_spend, churn_risk,
		churn_tier, reasons, model_version, scored_at FROM customer_predictions WHERE profile_id = ?`, []any{pid})
	if err != nil || len(res.Rows) == 0 {
		return nil
	}
	return rows(res.Columns, res.Rows)[0]
}
