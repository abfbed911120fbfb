package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/answercache"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/voc"
	"github.com/tradewind/tradewind/internal/voc/suspect"
)

// vocRoutes are the endpoints of the voice of the customer: review
// sentiment, topics, brand health and alerts.
func (s *Server) vocRoutes() []Route {
	if s.VoC == nil {
		return nil
	}
	return []Route{
		{Method: "GET", Path: "/v1/voc/summary", Perm: auth.DashboardRead, handler: s.vocSummary},
		{Method: "GET", Path: "/v1/voc/topics", Perm: auth.DashboardRead, handler: s.vocTopics},
		{Method: "GET", Path: "/v1/voc/reviews", Perm: auth.DashboardRead, handler: s.vocReviews},
		{Method: "POST", Path: "/v1/voc/check", Perm: auth.ModelsRun, handler: s.audited("voc.check", s.vocCheck)},
		{Method: "GET", Path: "/v1/voc/suspicious", Perm: auth.DashboardRead, handler: s.vocSuspicious},
		{Method: "GET", Path: "/v1/alerts", Perm: auth.DashboardRead, handler: s.listAlerts},
		{Method: "POST", Path: "/v1/voc/train", Perm: auth.ModelsRun, handler: s.audited("voc.train", s.vocTrain)},
		{Method: "GET", Path: "/v1/voc/model", Perm: auth.DashboardRead, handler: s.vocModel},
		{Method: "DELETE", Path: "/v1/voc/model", Perm: auth.ModelsRun, handler: s.audited("voc.model.revert", s.vocRevert)},
		{Method: "POST", Path: "/v1/voc/rescore", Perm: auth.ModelsRun, handler: s.audited("voc.rescore", s.vocRescore)},
	}
}

// vocTrainRequest is the body of POST /v1/voc/train; zero values take the
// defaults of voc.TrainOptions.
type vocTrainRequest struct {
	MinPerClass int     `json:"min_per_class"`
	Holdout     float64 `json:"holdout"`
	Seed        uint64  `json:"seed"`
	DryRun      bool    `json:"dry_run"`
	// Scratch trains from zero weights instead of fine-tuning the
	// built-in model.
	Scratch bool `json:"scratch"`
	// Rescore re-scores the stored reviews when a model was accepted.
	Rescore bool `json:"rescore"`
}

// vocTrain answers POST /v1/voc/train: trains the seller's own sentiment
// model on the stored rated reviews, evaluates it against the built-in
// one on held-out reviews per language, serves it where it wins (unless
// dry_run) and answers the report.
func (s *Server) vocTrain(w http.ResponseWriter, r *http.Request) {
	if s.VoC.Sellers == nil {
		ingest.WriteError(w, http.StatusNotFound, "", "seller models are not available on this node")
		return
	}
	var req vocTrainRequest
	if r.ContentLength != 0 && !decode(w, r, &req) {
		return
	}
	opt := voc.TrainOptions{MinPerClass: req.MinPerClass, Holdout: req.Holdout, Seed: req.Seed, Scratch: req.Scratch}
	if err := opt.Validate(); err != nil {
		ingest.WriteError(w, http.StatusBadRequest, "", err.Error())
		return
	}
	rep, err := s.VoC.Sellers.Train(r.Context(), opt, req.DryRun)
	if err != nil {
		s.vocModelError(w, "voc train", err)
		return
	}
	out := map[string]any{"report": rep}
	if req.Rescore && rep.Activated {
		res, err := s.VoC.Sellers.Rescore(r.Context(), nil)
		if err != nil {
			s.vocModelError(w, "voc rescore", err)
			return
		}
		out["rescore"] = res
		rep.Note = "new and stored reviews in " + strings.Join(rep.Accepted, ", ") + " are scored with this model"
	}
	auditNote(w, rep.Version, map[string]any{"accepted": rep.Accepted, "dry_run": req.DryRun, "reviews": rep.Reviews})
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) vocModelError(w http.ResponseWriter, what string, err error) {
	if errors.Is(err, voc.ErrTraining) {
		ingest.WriteError(w, http.StatusConflict, "", err.Error())
		return
	}
	s.Logger.Error(what, "err", err)
	ingest.WriteError(w, http.StatusInternalServerError, "", what+" failed")
}

// vocModel answers GET /v1/voc/model: which model scores each language,
// and the serving seller model's card.
func (s *Server) vocModel(w http.ResponseWriter, r *http.Request) {
	if s.VoC.Sellers == nil {
		ingest.WriteError(w, http.StatusNotFound, "", "seller models are not available on this node")
		return
	}
	writeJSON(w, http.StatusOK, s.VoC.Sellers.Status())
}

// vocRevert answers DELETE /v1/voc/model: the built-in model scores every
// language again (stored reviews keep their scores until a rescore).
func (s *Server) vocRevert(w http.ResponseWriter, r *http.Request) {
	if s.VoC.Sellers == nil {
		ingest.WriteError(w, http.StatusNotFound, "", "seller models are not available on this node")
		return
	}
	v, err := s.VoC.Sellers.Revert()
	if err != nil {
		s.vocModelError(w, "voc model revert", err)
		return
	}
	auditNote(w, v, nil)
	writeJSON(w, http.StatusOK, map[string]any{"reverted": v, "status": s.VoC.Sellers.Status()})
}

// vocRescore answers POST /v1/voc/rescore?lang=de,fr: re-scores the
// stored reviews (of those languages, default all) with the models that
// serve now.
func (s *Server) vocRescore(w http.ResponseWriter, r *http.Request) {
	if s.VoC.Sellers == nil {
		ingest.WriteError(w, http.StatusNotFound, "", "seller models are not available on this node")
		return
	}
	var langs []string
	for _, l := range strings.Split(r.URL.Query().Get("lang"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > 8 {
				ingest.WriteError(w, http.StatusBadRequest, "lang", "lang must be language subtags separated by commas")
				return
			}
			langs = append(langs, l)
		}
	}
	res, err := s.VoC.Sellers.Rescore(r.Context(), langs)
	if err != nil {
		s.vocModelError(w, "voc rescore", err)
		return
	}
	auditNote(w, res.Seller, map[string]any{"reviews": res.Reviews, "changed": res.Changed})
	writeJSON(w, http.StatusOK, res)
}

// vocSuspicious answers GET /v1/voc/suspicious?days=90: reviews flagged
// as part of a burst, a near-duplicate of another product's or account's
// review, or contradicting their own rating, each with the reason in
// words. Detection reads the period's reviews and compares them (about a
// second per 100,000 reviews: 1.9 CPU-s at 1,000,000 customers), the same
// for every visitor of the page, so the answer is one of the shared ones
// (see sharedFresh): computed_at says when it was made.
func (s *Server) vocSuspicious(w http.ResponseWriter, r *http.Request) {
	days, ok := vocDays(w, r)
	if !ok {
		return
	}
	v, at, err := s.shared().Get(r.Context(), suspiciousKey(days), s.appliedMessages(r.Context()), s.runSuspicious(days))
	if err != nil {
		s.Logger.Error("voc suspicious", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the reviews")
		return
	}
	a := v.(suspicious)
	writeJSON(w, http.StatusOK, map[string]any{"days": days, "reviews": a.reviews, "flags": a.flags, "computed_at": at.UTC()})
}

// suspiciousKey is the shared answers' key of the suspicious reviews of
// the last days.
func suspiciousKey(days int) string { return "voc-suspicious\x00" + strconv.Itoa(days) }

// suspicious is a shared answer of GET /v1/voc/suspicious.
type suspicious struct {
	reviews int
	flags   []suspect.Flag
}

// runSuspicious computes the flags of the last days' reviews.
func (s *Server) runSuspicious(days int) answercache.Compute[any] {
	return func(ctx context.Context, _ any) (any, error) {
		res, err := s.Backend.QueryArgs(ctx, `SELECT review_id, coalesce(product_id, ''), coalesce(customer_id, ''), "timestamp",
			coalesce(CAST(round(rating) AS INTEGER), 0), coalesce(title, '') || ' ' || coalesce(body, ''), coalesce(sentiment_score, 0)
			FROM reviews WHERE "timestamp" >= ? ORDER BY "timestamp"`, []any{s.now().AddDate(0, 0, -days)})
		if err != nil {
			return nil, err
		}
		reviews := make([]suspect.Review, 0, len(res.Rows))
		for _, row := range res.Rows {
			rv := suspect.Review{ID: asString(row[0]), Product: asString(row[1]), Account: asString(row[2]), Text: asString(row[5])}
			rv.Time, _ = row[3].(time.Time)
			if n, ok := row[4].(int32); ok {
				rv.Rating = int(n)
			}
			rv.Score, _ = row[6].(float64)
			reviews = append(reviews, rv)
		}
		flags := suspect.Detect(reviews, suspect.Options{})
		if flags == nil {
			flags = []suspect.Flag{}
		}
		return suspicious{reviews: len(reviews), flags: flags}, nil
	}
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// vocDays reads ?days= (default 90).
func vocDays(w http.ResponseWriter, r *http.Request) (int, bool) {
	days := 90
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3650 {
			ingest.WriteError(w, http.StatusBadRequest, "days", "days must be 1 to 3650")
			return 0, false
		}
		days = n
	}
	return days, true
}

// vocBy maps ?by= to the grouping of the summary: the reviewed order's
// marketplace, the review's language, the product, or the week.
var vocBy = map[string]string{
	"marketplace": "coalesce(o.marketplace, '(none)')",
	"language":    "coalesce(r.detected_language, 'und')",
	"product":     "coalesce(r.product_id, '(none)')",
	"week":        "CAST(date_trunc('week', r.\"timestamp\") AS DATE)",
	"all":         "'all'",
}

// vocSummary answers GET /v1/voc/summary?by=marketplace|language|product|week|all&days=90:
// reviews, the sentiment mix, mean score and rating per group.
func (s *Server) vocSummary(w http.ResponseWriter, r *http.Request) {
	days, ok := vocDays(w, r)
	if !ok {
		return
	}
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "marketplace"
	}
	key, ok := vocBy[by]
	if !ok {
		ingest.WriteError(w, http.StatusBadRequest, "by", "by must be marketplace, language, product, week or all")
		return
	}
	res, err := s.Backend.QueryArgs(r.Context(), `SELECT `+key+` AS "group", count(*) AS reviews,
		count(*) FILTER (WHERE r.sentiment = 'positive') AS positive,
		count(*) FILTER (WHERE r.sentiment = 'neutral') AS neutral,
		count(*) FILTER (WHERE r.sentiment = 'negative') AS negative,
		round(avg(r.sentiment_score), 4) AS mean_score, round(avg(CAST(r.rating AS DOUBLE)), 3) AS mean_rating
		FROM reviews r LEFT JOIN order_rows o ON o.source_id = r.source_id AND o.order_id = json_extract_string(r.properties, '$.order_id')
		WHERE r.sentiment IS NOT NULL AND r."timestamp" >= ? GROUP BY 1 ORDER BY 1`, []any{s.now().AddDate(0, 0, -days)})
	if err != nil {
		s.Logger.Error("voc summary", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not summarise the reviews")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"by": by, "days": days, "groups": rows(res.Columns, res.Rows)})
}

// vocTopics answers GET /v1/voc/topics?days=90[&marketplace=M]: per topic
// the mentions, their share of reviews, the sentiment of the reviews that
// mention it, and its rating impact — the mean rating of reviews that
// mention the topic minus that of those that do not.
func (s *Server) vocTopics(w http.ResponseWriter, r *http.Request) {
	days, ok := vocDays(w, r)
	if !ok {
		return
	}
	where, args := `r.sentiment IS NOT NULL AND r."timestamp" >= ?`, []any{s.now().AddDate(0, 0, -days)}
	if m := r.URL.Query().Get("marketplace"); m != "" {
		where += " AND o.marketplace = ?"
		args = append(args, m)
	}
	res, err := s.Backend.QueryArgs(r.Context(), `WITH rv AS (
		SELECT r.review_id, r.topics, r.sentiment, r.sentiment_score, CAST(r.rating AS DOUBLE) AS rating
		FROM reviews r LEFT JOIN order_rows o ON o.source_id = r.source_id AND o.order_id = json_extract_string(r.properties, '$.order_id')
		WHERE `+where+`), t AS (SELECT DISTINCT review_id, unnest(topics) AS topic FROM rv),
		n AS (SELECT count(*) AS total, avg(rating) AS all_rating FROM rv)
		SELECT t.topic, count(*) AS mentions, round(count(*) / any_value(n.total), 4) AS share,
		count(*) FILTER (WHERE rv.sentiment = 'negative') AS negative,
		round(avg(rv.sentiment_score), 4) AS mean_score, round(avg(rv.rating), 3) AS mean_rating,
		round(avg(rv.rating) - (any_value(n.all_rating) * any_value(n.total) - sum(rv.rating)) / nullif(any_value(n.total) - count(rv.rating), 0), 3) AS rating_impact
		FROM t JOIN rv USING (review_id), n GROUP BY t.topic ORDER BY mentions DESC`, args)
	if err != nil {
		s.Logger.Error("voc topics", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not summarise the topics")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"days": days, "topics": rows(res.Columns, res.Rows)})
}

// vocReviews answers GET /v1/voc/reviews?sentiment=negative&topic=shipping&limit=20:
// example texts, newest first.
func (s *Server) vocReviews(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	where, args := "r.sentiment IS NOT NULL", []any{}
	if v := q.Get("sentiment"); v != "" {
		if v != "positive" && v != "neutral" && v != "negative" {
			ingest.WriteError(w, http.StatusBadRequest, "sentiment", "sentiment must be positive, neutral or negative")
			return
		}
		where, args = where+" AND r.sentiment = ?", append(args, v)
	}
	if v := q.Get("topic"); v != "" {
		where, args = where+" AND list_contains(r.topics, ?)", append(args, v)
	}
	if v := q.Get("language"); v != "" {
		where, args = where+" AND r.detected_language = ?", append(args, v)
	}
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			ingest.WriteError(w, http.StatusBadRequest, "limit", "limit must be 1 to 500")
			return
		}
		limit = n
	}
	args = append(args, limit)
	res, err := s.Backend.QueryArgs(r.Context(), `SELECT r.review_id, r.product_id, r."timestamp", CAST(r.rating AS DOUBLE) AS rating,
		r.title, r.body, r.language, r.detected_language, r.sentiment, r.sentiment_score, r.topics
		FROM reviews r WHERE `+where+` ORDER BY r."timestamp" DESC LIMIT ?`, args)
	if err != nil {
		s.Logger.Error("voc reviews", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the reviews")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"reviews": rows(res.Columns, res.Rows)})
}

// vocCheck runs the brand-health check now.
func (s *Server) vocCheck(w http.ResponseWriter, r *http.Request) {
	res, err := s.VoC.Run(r.Context())
	if err != nil {
		s.Logger.Error("voc check", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "the brand-health check failed")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": res.From.Format(time.DateOnly), "to": res.To.Format(time.DateOnly),
		"texts": res.Texts, "alerts": res.Alerts, "new": len(res.New)})
}

// listAlerts answers GET /v1/alerts?status=open|closed|all&grade=warning&limit=100:
// the alerts inbox, newest first.
func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	where, args := "TRUE", []any{}
	switch st := q.Get("status"); st {
	case "", "all":
	case "open", "closed":
		where, args = where+" AND status = ?", append(args, st)
	default:
		ingest.WriteError(w, http.StatusBadRequest, "status", "status must be open, closed or all")
		return
	}
	if g := q.Get("grade"); g != "" {
		if g != "info" && g != "warning" && g != "critical" {
			ingest.WriteError(w, http.StatusBadRequest, "grade", "grade must be info, warning or critical")
			return
		}
		where, args = where+" AND grade = ?", append(args, g)
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			ingest.WriteError(w, http.StatusBadRequest, "limit", "limit must be 1 to 1000")
			return
		}
		limit = n
	}
	args = append(args, limit)
	res, err := s.Backend.QueryArgs(r.Context(), `SELECT alert_id, incident_id, kind, series, metric, grade, status, day,
		observed, expected, z, count, raised_at, detail FROM alerts WHERE `+where+` ORDER BY day DESC, raised_at DESC LIMIT ?`, args)
	if err != nil {
		s.Logger.Error("alerts", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the alerts")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": rows(res.Columns, res.Rows)})
}
