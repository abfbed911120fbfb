package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/attribution"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/marketing"
)

// marketingRoutes are the endpoints of attribution, channel ROI,
// influencers and experiments. Reading a report needs the dashboard;
// defining an experiment is, like a segment, a change to what the
// dashboard measures, so it needs segments.write.
func (s *Server) marketingRoutes() []Route {
	if s.Marketing == nil {
		return nil
	}
	return []Route{
		{Method: "GET", Path: "/v1/attribution", Perm: auth.DashboardRead, handler: s.attribution},
		{Method: "GET", Path: "/v1/roi", Perm: auth.DashboardRead, handler: s.roi},
		{Method: "GET", Path: "/v1/influencers", Perm: auth.DashboardRead, handler: s.influencers},
		{Method: "GET", Path: "/v1/channels", Perm: auth.DashboardRead, handler: s.channelTaxonomy},
		{Method: "GET", Path: "/v1/experiments", Perm: auth.DashboardRead, handler: s.listExperiments},
		{Method: "POST", Path: "/v1/experiments", Perm: auth.SegmentsWrite, handler: s.audited("experiment.create", s.saveExperiment(true))},
		{Method: "GET", Path: "/v1/experiments/{id}", Perm: auth.DashboardRead, handler: s.getExperiment},
		{Method: "PUT", Path: "/v1/experiments/{id}", Perm: auth.SegmentsWrite, handler: s.audited("experiment.change", s.saveExperiment(false))},
		{Method: "DELETE", Path: "/v1/experiments/{id}", Perm: auth.SegmentsWrite, handler: s.audited("experiment.delete", s.deleteExperiment)},
		{Method: "GET", Path: "/v1/experiments/{id}/results", Perm: auth.DashboardRead, handler: s.experimentResults},
	}
}

// paramError is a bad query parameter, answered 400 naming it.
type paramError struct{ field, reason string }

func (e *paramError) Error() string { return e.field + ": " + e.reason }

// period reads from, to (YYYY-MM-DD, both days included, or RFC 3339
// instants) and lookback_days (1 to 365, default 30).
func period(r *http.Request) (marketing.Period, error) {
	q := r.URL.Query()
	var p marketing.Period
	parse := func(name string, endOfDay bool) (time.Time, error) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return time.Time{}, nil
		}
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			if endOfDay {
				t = t.AddDate(0, 0, 1)
			}
			return t, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t.UTC(), nil
		}
		return time.Time{}, &paramError{name, "must be a date YYYY-MM-DD or an RFC 3339 time"}
	}
	var err error
	if p.From, err = parse("from", false); err != nil {
		return p, err
	}
	if p.To, err = parse("to", true); err != nil {
		return p, err
	}
	if !p.From.IsZero() && !p.To.IsZero() && !p.To.After(p.From) {
		return p, &paramError{"to", "must not be before from"}
	}
	if v := q.Get("lookback_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 365 {
			return p, &paramError{"lookback_days", "must be a whole number of days from 1 to 365"}
		}
		p.Lookback = time.Duration(n) * 24 * time.Hour
	}
	return p, nil
}

// modelOptions reads half_life (time decay, in touches) and order (Markov).
func modelOptions(r *http.Request) (marketing.Options, error) {
	q := r.URL.Query()
	var o marketing.Options
	if v := q.Get("half_life"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0) || f > 1000 {
			return o, &paramError{"half_life", "must be a number of touches > 0"}
		}
		o.HalfLife = f
	}
	if v := q.Get("order"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > attribution.MaxMarkovOrder {
			return o, &paramError{"order", "must be 1 to " + strconv.Itoa(attribution.MaxMarkovOrder)}
		}
		o.MarkovOrder = n
	}
	return o, nil
}

// model reads ?model= (def when empty; "all" only when allowed).
func model(r *http.Request, def attribution.Model, all bool) ([]attribution.Model, error) {
	v := strings.TrimSpace(r.URL.Query().Get("model"))
	if v == "" {
		return []attribution.Model{def}, nil
	}
	if all && strings.EqualFold(v, "all") {
		return attribution.Models, nil
	}
	m, err := attribution.ParseModel(v)
	if err != nil {
		reason := err.Error()
		if all {
			reason += ", or all"
		}
		return nil, &paramError{"model", reason}
	}
	return []attribution.Model{m}, nil
}

func level(r *http.Request, name string) (marketing.Level, error) {
	switch v := r.URL.Query().Get(name); v {
	case "", "channel":
		return marketing.ByChannel, nil
	case "campaign":
		return marketing.ByCampaign, nil
	}
	return "", &paramError{name, name + " must be channel or campaign"}
}

// marketingError answers an analysis' error: 400 for a parameter, 499 when
// the client left, 500 otherwise.
func (s *Server) marketingError(w http.ResponseWriter, r *http.Request, what string, err error) {
	var pe *paramError
	var ee *marketing.ExperimentError
	switch {
	case errors.As(err, &pe):
		ingest.WriteError(w, http.StatusBadRequest, pe.field, pe.Error())
	case errors.As(err, &ee):
		ingest.WriteError(w, http.StatusBadRequest, ee.Field, ee.Error())
	case errors.Is(err, marketing.ErrExperimentNotFound):
		ingest.WriteError(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, marketing.ErrExperimentExists):
		ingest.WriteError(w, http.StatusConflict, "id", err.Error())
	case r.Context().Err() != nil || errors.Is(err, context.Canceled):
		ingest.WriteError(w, statusClientClosed, "", "the client went away before the answer was ready")
	default:
		s.Logger.Error(what, "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not compute the "+what)
	}
}

// attributionAnswer is GET /v1/attribution's answer for one model: the
// report in the CLI's shape, with what was analysed beside it.
type attributionAnswer struct {
	marketing.AttributionReport
	From         string                          `json:"from"`
	To           string                          `json:"to"`
	LookbackDays float64                         `json:"lookback_days"`
	By           marketing.Level                 `json:"by"`
	Converting   int                             `json:"converting_journeys"`
	NonConverted int                             `json:"non_converting_journeys"`
	Unpriced     int                             `json:"unpriced_orders"`
	Coupons      map[string]marketing.CouponLink `json:"coupons,omitempty"`
}

// attribution answers GET /v1/attribution?model=markov|…|all&by=channel|
// campaign&from=&to=&lookback_days=&half_life=&order=: one model's credit
// in the shape of `tradewind attribution --json`, or with model=all every
// model's under "models", for comparison.
func (s *Server) attribution(w http.ResponseWriter, r *http.Request) {
	p, err := period(r)
	if err != nil {
		s.marketingError(w, r, "attribution", err)
		return
	}
	opt, err := modelOptions(r)
	if err != nil {
		s.marketingError(w, r, "attribution", err)
		return
	}
	models, err := model(r, attribution.Markov, true)
	if err != nil {
		s.marketingError(w, r, "attribution", err)
		return
	}
	lv, err := level(r, "by")
	if err != nil {
		s.marketingError(w, r, "attribution", err)
		return
	}
	res, err := s.Marketing.Attribution(r.Context(), marketing.AttributionQuery{Period: p, Models: models, Level: lv, Options: opt})
	if err != nil {
		s.marketingError(w, r, "attribution", err)
		return
	}
	if strings.EqualFold(r.URL.Query().Get("model"), "all") {
		writeJSON(w, http.StatusOK, res)
		return
	}
	writeJSON(w, http.StatusOK, attributionAnswer{AttributionReport: res.Models[0], From: res.From, To: res.To,
		LookbackDays: res.LookbackDays, By: res.By, Converting: res.Converting, NonConverted: res.NonConverted,
		Unpriced: res.Unpriced, Coupons: res.Coupons})
}

// roi answers GET /v1/roi?group=channel|campaign&by=marketplace|week&
// model=&from=&to=&lookback_days=.
func (s *Server) roi(w http.ResponseWriter, r *http.Request) {
	p, err := period(r)
	if err == nil {
		var opt marketing.Options
		opt, err = modelOptions(r)
		var models []attribution.Model
		if err == nil {
			models, err = model(r, attribution.Markov, false)
		}
		var g marketing.Level
		if err == nil {
			g, err = level(r, "group")
		}
		by := r.URL.Query().Get("by")
		if err == nil && by != "" && by != "marketplace" && by != "week" {
			err = &paramError{"by", "by must be marketplace or week (or absent)"}
		}
		if err == nil {
			var res *marketing.ROIResult
			res, err = s.Marketing.ROI(r.Context(), marketing.ROIQuery{Period: p, Model: models[0], Group: g, By: by, Options: opt})
			if err == nil {
				writeJSON(w, http.StatusOK, res)
				return
			}
		}
	}
	s.marketingError(w, r, "return on ad spend", err)
}

// influencers answers GET /v1/influencers?model=&from=&to=&lookback_days=
// &channels=influencer,affiliate: the ranked board.
func (s *Server) influencers(w http.ResponseWriter, r *http.Request) {
	p, err := period(r)
	if err == nil {
		var opt marketing.Options
		opt, err = modelOptions(r)
		var models []attribution.Model
		if err == nil {
			models, err = model(r, attribution.Markov, false)
		}
		var chans []string
		for c := range strings.SplitSeq(r.URL.Query().Get("channels"), ",") {
			if c = strings.TrimSpace(c); c != "" {
				chans = append(chans, c)
			}
		}
		if err == nil {
			var res *marketing.InfluencerResult
			res, err = s.Marketing.Influencers(r.Context(), marketing.InfluencerQuery{Period: p, Model: models[0], Channels: chans, Options: opt})
			if err == nil {
				writeJSON(w, http.StatusOK, res)
				return
			}
		}
	}
	s.marketingError(w, r, "influencer board", err)
}

// channelTaxonomy answers GET /v1/channels with the channel taxonomy in
// force, so a seller can see (and copy into channels.json) the rules.
func (s *Server) channelTaxonomy(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Marketing.ChannelTaxonomy())
}

func (s *Server) listExperiments(w http.ResponseWriter, r *http.Request) {
	list, err := s.Marketing.Experiments(r.Context())
	if err != nil {
		s.marketingError(w, r, "experiment list", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"experiments": list})
}

func (s *Server) getExperiment(w http.ResponseWriter, r *http.Request) {
	e, err := s.Marketing.GetExperiment(r.Context(), r.PathValue("id"))
	if err != nil {
		s.marketingError(w, r, "experiment", err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// experimentRequest is the body of POST and PUT /v1/experiments.
type experimentRequest struct {
	ID                 string              `json:"id"`
	Name               string              `json:"name"`
	Description        string              `json:"description"`
	Variants           []marketing.Variant `json:"variants"`
	Weights            []float64           `json:"weights"`
	AssignmentEvent    string              `json:"assignment_event"`
	ExperimentProperty string              `json:"experiment_property"`
	VariantProperty    string              `json:"variant_property"`
	Key                string              `json:"key"`
	Start              *time.Time          `json:"start"`
	End                *time.Time          `json:"end"`
	Metrics            []marketing.Metric  `json:"metrics"`
}

func (s *Server) saveExperiment(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req experimentRequest
		if !decode(w, r, &req) {
			return
		}
		e := marketing.Experiment{ID: req.ID, Name: req.Name, Description: req.Description, Variants: req.Variants,
			Weights: req.Weights, AssignmentEvent: req.AssignmentEvent, ExperimentProperty: req.ExperimentProperty,
			VariantProperty: req.VariantProperty, Key: req.Key, Start: req.Start, End: req.End, Metrics: req.Metrics}
		by := principal(r).UserID
		var out *marketing.Experiment
		var err error
		if create {
			out, err = s.Marketing.CreateExperiment(r.Context(), e, by)
		} else {
			out, err = s.Marketing.UpdateExperiment(r.Context(), r.PathValue("id"), e, by)
		}
		if err != nil {
			s.marketingError(w, r, "experiment", err)
			return
		}
		auditNote(w, out.ID, map[string]any{"version": out.Version})
		status := http.StatusOK
		if create {
			status = http.StatusCreated
			w.Header().Set("Location", "/v1/experiments/"+out.ID)
		}
		writeJSON(w, status, out)
	}
}

func (s *Server) deleteExperiment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	auditNote(w, id, nil)
	if err := s.Marketing.DeleteExperiment(r.Context(), id); err != nil {
		s.marketingError(w, r, "experiment", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// experimentResults answers GET /v1/experiments/{id}/results: per metric,
// the variants' sums from the store and the verdict of
// internal/experiment (the shape of `tradewind experiment analyze --json`).
func (s *Server) experimentResults(w http.ResponseWriter, r *http.Request) {
	res, err := s.Marketing.ExperimentResults(r.Context(), r.PathValue("id"))
	if err != nil {
		s.marketingError(w, r, "experiment results", err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
