package api

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/journey"
)

// actionRoutes are the endpoints of journeys, their destinations and
// deliveries, and the public unsubscribe link.
func (s *Server) actionRoutes() []Route {
	if s.Journeys == nil {
		return nil
	}
	rs := []Route{
		{Method: "GET", Path: "/v1/journeys", Perm: auth.DashboardRead, handler: s.listJourneys},
		{Method: "POST", Path: "/v1/journeys", Perm: auth.ActionsWrite, handler: s.audited("journey.create", s.saveJourney(true))},
		{Method: "POST", Path: "/v1/journeys/dry-run", Perm: auth.ActionsWrite, handler: s.dryRunJourney},
		{Method: "GET", Path: "/v1/journeys/{id}", Perm: auth.DashboardRead, handler: s.getJourney},
		{Method: "PUT", Path: "/v1/journeys/{id}", Perm: auth.ActionsWrite, handler: s.audited("journey.update", s.saveJourney(false))},
		{Method: "DELETE", Path: "/v1/journeys/{id}", Perm: auth.ActionsWrite, handler: s.audited("journey.delete", s.deleteJourney)},
		{Method: "POST", Path: "/v1/journeys/{id}/start", Perm: auth.ActionsWrite, handler: s.audited("journey.start", s.journeyStatus(journey.StatusActive))},
		{Method: "POST", Path: "/v1/journeys/{id}/pause", Perm: auth.ActionsWrite, handler: s.audited("journey.pause", s.journeyStatus(journey.StatusPaused))},
		{Method: "POST", Path: "/v1/journeys/{id}/stop", Perm: auth.ActionsWrite, handler: s.audited("journey.stop", s.journeyStatus(journey.StatusStopped))},
		{Method: "GET", Path: "/v1/journeys/{id}/stats", Perm: auth.DashboardRead, handler: s.journeyStats},
		{Method: "GET", Path: "/v1/journeys/{id}/deliveries", Perm: auth.CustomersRead, handler: s.journeyDeliveries},
		{Method: "GET", Path: "/v1/profiles/{id}/deliveries", Perm: auth.CustomersRead, handler: s.profileDeliveries},
		{Method: "GET", Path: "/v1/dead-letters", Perm: auth.ActionsWrite, handler: s.deadLetters},
		{Method: "POST", Path: "/v1/dead-letters/replay", Perm: auth.ActionsWrite, handler: s.audited("journey.replay", s.replayDeadLetters)},
		{Method: "GET", Path: "/v1/suppressions", Perm: auth.ActionsWrite, handler: s.listSuppressions},
		{Method: "POST", Path: "/v1/suppressions", Perm: auth.ActionsWrite, handler: s.audited("suppression.add", s.changeSuppressions(true))},
		{Method: "DELETE", Path: "/v1/suppressions", Perm: auth.ActionsWrite, handler: s.audited("suppression.remove", s.changeSuppressions(false))},
		{Method: "GET", Path: "/v1/destinations", Perm: auth.DashboardRead, handler: s.listDestinations},
		{Method: "POST", Path: "/v1/destinations", Perm: auth.ActionsWrite, handler: s.audited("destination.create", s.saveDestination(true))},
		{Method: "PUT", Path: "/v1/destinations/{name}", Perm: auth.ActionsWrite, handler: s.audited("destination.update", s.saveDestination(false))},
		{Method: "DELETE", Path: "/v1/destinations/{name}", Perm: auth.ActionsWrite, handler: s.audited("destination.delete", s.deleteDestination)},
	}
	if s.Unsubscribe != nil {
		public := "unsubscribe link: the signed, expiring token in the path is the credential"
		rs = append(rs,
			Route{Method: "GET", Path: "/u/{token}", Public: public, handler: s.unsubscribePage},
			Route{Method: "POST", Path: "/u/{token}", Public: public, handler: s.unsubscribeNow})
	}
	return rs
}

// journeyListItem is a definition with its headline tallies.
type journeyListItem struct {
	journey.Journey
	Summary journey.Summary `json:"summary"`
}

func (s *Server) listJourneys(w http.ResponseWriter, r *http.Request) {
	sums := s.Journeys.Summaries()
	out := []journeyListItem{}
	for _, j := range s.Journeys.Journeys() {
		out = append(out, journeyListItem{j, sums[j.ID]})
	}
	writeJSON(w, http.StatusOK, map[string]any{"journeys": out})
}

func (s *Server) getJourney(w http.ResponseWriter, r *http.Request) {
	j, err := s.Journeys.Journey(r.PathValue("id"))
	if s.journeyErr(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// journeyErr answers an engine error with its status; false when err is nil.
func (s *Server) journeyErr(w http.ResponseWriter, err error) bool {
	var fe *journey.FieldError
	var blocked *journey.ErrBlocked
	switch {
	case err == nil:
		return false
	case errors.As(err, &fe):
		ingest.WriteError(w, http.StatusBadRequest, fe.Field, fe.Error())
	case errors.As(err, &blocked):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": err.Error(), "blocked": blocked.Reasons,
			"content_issues": blocked.Issues})
	case errors.Is(err, journey.ErrNotFound):
		ingest.WriteError(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, journey.ErrExists):
		ingest.WriteError(w, http.StatusConflict, "id", err.Error())
	case strings.Contains(err.Error(), "stopped"):
		ingest.WriteError(w, http.StatusConflict, "status", err.Error())
	default:
		s.Logger.Error("journeys", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "the journey engine failed; see the server log")
	}
	return true
}

// journeyAnswer is a definition with the content check's warnings, as
// lines and structured.
type journeyAnswer struct {
	journey.Journey
	Warnings      []string               `json:"warnings"`
	ContentIssues []journey.ContentIssue `json:"content_issues"`
}

func newJourneyAnswer(j journey.Journey, issues []journey.ContentIssue) journeyAnswer {
	a := journeyAnswer{Journey: j, Warnings: []string{}, ContentIssues: []journey.ContentIssue{}}
	for _, is := range issues {
		a.Warnings = append(a.Warnings, is.String())
		a.ContentIssues = append(a.ContentIssues, is)
	}
	return a
}

func (s *Server) saveJourney(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var j journey.Journey
		if !decode(w, r, &j) {
			return
		}
		if !create {
			if id := r.PathValue("id"); j.ID != "" && j.ID != id {
				ingest.WriteError(w, http.StatusBadRequest, "id", "the body's id differs from the path's")
				return
			} else {
				j.ID = id
			}
		}
		saved, warnings, err := s.Journeys.Save(r.Context(), j, create, principal(r).UserID)
		if s.journeyErr(w, err) {
			return
		}
		auditNote(w, saved.ID, map[string]any{"version": saved.Version})
		status := http.StatusOK
		if create {
			status = http.StatusCreated
		}
		writeJSON(w, status, newJourneyAnswer(saved, warnings))
	}
}

func (s *Server) deleteJourney(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.journeyErr(w, s.Journeys.Delete(r.Context(), id)) {
		return
	}
	auditNote(w, id, nil)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) journeyStatus(status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		j, warnings, err := s.Journeys.SetStatus(r.Context(), id, status, principal(r).UserID)
		if s.journeyErr(w, err) {
			return
		}
		auditNote(w, id, map[string]any{"status": status})
		writeJSON(w, http.StatusOK, newJourneyAnswer(j, warnings))
	}
}

// dryRunRequest is a definition (or a saved journey's id) and whom to try
// it on.
type dryRunRequest struct {
	ID         string           `json:"id"`
	Journey    *journey.Journey `json:"journey"`
	Sample     int              `json:"sample"`
	ProfileIDs []string         `json:"profile_ids"`
}

func (s *Server) dryRunJourney(w http.ResponseWriter, r *http.Request) {
	var req dryRunRequest
	if !decode(w, r, &req) {
		return
	}
	var j journey.Journey
	switch {
	case req.Journey != nil:
		j = *req.Journey
	case req.ID != "":
		var err error
		if j, err = s.Journeys.Journey(req.ID); s.journeyErr(w, err) {
			return
		}
	default:
		ingest.WriteError(w, http.StatusBadRequest, "journey", "give a journey definition, or the id of a saved one")
		return
	}
	if req.Sample <= 0 {
		req.Sample = 20
	}
	if req.Sample > 500 || len(req.ProfileIDs) > 500 {
		ingest.WriteError(w, http.StatusBadRequest, "sample", "at most 500 people")
		return
	}
	pids := req.ProfileIDs
	if len(pids) == 0 {
		res, err := s.Backend.QueryArgs(r.Context(), `SELECT profile_id FROM profiles USING SAMPLE `+strconv.Itoa(req.Sample)+` ROWS`, nil)
		if err != nil {
			s.Logger.Error("dry run sample", "err", err)
			ingest.WriteError(w, http.StatusInternalServerError, "", "could not sample profiles")
			return
		}
		for _, row := range res.Rows {
			if id, ok := row[0].(string); ok {
				pids = append(pids, id)
			}
		}
	}
	rep, err := s.Journeys.DryRun(r.Context(), j, pids)
	if s.journeyErr(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) journeyStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.Journeys.JourneyStats(r.PathValue("id"))
	if s.journeyErr(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func limitParam(r *http.Request) int {
	n, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	return n
}

func (s *Server) journeyDeliveries(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.Journeys.Journey(id); s.journeyErr(w, err) {
		return
	}
	ds, err := s.Journeys.Deliveries("", id, limitParam(r))
	if s.journeyErr(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}

func (s *Server) profileDeliveries(w http.ResponseWriter, r *http.Request) {
	ds, err := s.Journeys.Deliveries(r.PathValue("id"), "", limitParam(r))
	if s.journeyErr(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}

func (s *Server) deadLetters(w http.ResponseWriter, r *http.Request) {
	ds, err := s.Journeys.DeadLetters(r.URL.Query().Get("journey"), limitParam(r))
	if s.journeyErr(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": ds})
}

func (s *Server) replayDeadLetters(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IDs     []string `json:"ids"`
		Journey string   `json:"journey"`
	}
	if !decode(w, r, &req) {
		return
	}
	n, err := s.Journeys.Replay(req.IDs, req.Journey)
	if s.journeyErr(w, err) {
		return
	}
	auditNote(w, req.Journey, map[string]any{"replayed": n})
	writeJSON(w, http.StatusOK, map[string]any{"replayed": n})
}

func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request) {
	list, err := s.Journeys.Suppressions(limitParam(r))
	if s.journeyErr(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"suppressions": list})
}

// suppressionEntry names whom a channel must not reach: a profile, or an
// e-mail address (kept only as its blind-index token, so a list of bounced
// addresses works for people tradewind has not met yet).
type suppressionEntry struct {
	ProfileID string `json:"profile_id"`
	Email     string `json:"email"`
	Channel   string `json:"channel"`
	Reason    string `json:"reason"`
}

// changeSuppressions adds (add) or removes entries of the suppression
// list: {"entries": [{"email" | "profile_id", "channel", "reason"}]}.
func (s *Server) changeSuppressions(add bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Entries []suppressionEntry `json:"entries"`
		}
		if !decode(w, r, &req) {
			return
		}
		if len(req.Entries) == 0 || len(req.Entries) > 10000 {
			ingest.WriteError(w, http.StatusBadRequest, "entries", "give 1 to 10,000 entries")
			return
		}
		list := make([]journey.Suppression, 0, len(req.Entries))
		for i, e := range req.Entries {
			field := "entries[" + strconv.Itoa(i) + "]"
			if e.Channel == "" {
				e.Channel = "email"
			}
			if e.Channel != "email" && e.Channel != "sms" {
				ingest.WriteError(w, http.StatusBadRequest, field+".channel", "channel is email or sms")
				return
			}
			if (e.ProfileID == "") == (e.Email == "") {
				ingest.WriteError(w, http.StatusBadRequest, field, "give exactly one of profile_id and email")
				return
			}
			key := e.ProfileID
			if e.Email != "" {
				tok, ok := s.Privacy.EmailToken(e.Email)
				if !ok {
					ingest.WriteError(w, http.StatusBadRequest, field+".email", "is not an e-mail address")
					return
				}
				key = journey.EmailKey(tok)
			}
			if e.Reason == "" {
				e.Reason = "added by " + principal(r).UserID
			}
			list = append(list, journey.Suppression{Key: key, Channel: e.Channel, Reason: clip(e.Reason, 200)})
		}
		var err error
		if add {
			err = s.Journeys.Suppress(list)
		} else {
			err = s.Journeys.Unsuppress(list)
		}
		if s.journeyErr(w, err) {
			return
		}
		auditNote(w, "", map[string]any{"entries": len(list)})
		key := "removed"
		if add {
			key = "added"
		}
		writeJSON(w, http.StatusOK, map[string]any{key: len(list)})
	}
}

func (s *Server) listDestinations(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"destinations": s.Journeys.Destinations()})
}

func (s *Server) saveDestination(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var d journey.Destination
		if !decode(w, r, &d) {
			return
		}
		if d.Secret != "" {
			ingest.WriteError(w, http.StatusBadRequest, "secret", "secrets are generated by tradewind; rotate with ?rotate_secret=true")
			return
		}
		if !create {
			d.Name = r.PathValue("name")
		}
		rotate := r.URL.Query().Get("rotate_secret") == "true"
		out, err := s.Journeys.SaveDestination(r.Context(), d, create, rotate, principal(r).UserID)
		if s.journeyErr(w, err) {
			return
		}
		auditNote(w, out.Name, map[string]any{"rotated": rotate && !create})
		status := http.StatusOK
		if create {
			status = http.StatusCreated
		}
		writeJSON(w, status, out)
	}
}

func (s *Server) deleteDestination(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if s.journeyErr(w, s.Journeys.DeleteDestination(r.Context(), name)) {
		return
	}
	auditNote(w, name, nil)
	w.WriteHeader(http.StatusNoContent)
}

// unsubscribeTmpl is the unsubscribe page, in both languages: the person
// may not read the dashboard's.
var unsubscribeTmpl = template.Must(template.New("u").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Unsubscribe · 退订</title>
<style>body{font:16px system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.6rem 1.2rem}</style>
</head><body>
{{if .Done}}<h1>You are unsubscribed · 已退订</h1>
<p>You will receive no more {{.Channel}} messages from us. · 您将不再收到我们的{{.Channel}}消息。</p>
{{else if .Error}}<h1>Link not valid · 链接无效</h1><p>{{.Error}}</p>
{{else}}<h1>Unsubscribe? · 退订？</h1>
<p>Stop receiving {{.Channel}} messages from us. · 不再接收我们的{{.Channel}}消息。</p>
<form method="post"><button type="submit">Unsubscribe · 退订</button></form>{{end}}
</body></html>`))

// unsubscribePage asks for confirmation: a GET must not unsubscribe, as
// mail scanners follow links.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = unsubscribeTmpl.Execute(w, map[string]any{"Channel": "e-mail"})
}

// unsubscribeNow carries out the link: the one-click POST of RFC 8058
// (List-Unsubscribe-Post) or the page's button.
func (s *Server) unsubscribeNow(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	channel, err := s.Unsubscribe(context.WithoutCancel(r.Context()), r.PathValue("token"))
	if err != nil {
		status := http.StatusBadRequest
		msg := err.Error()
		if !strings.Contains(msg, "not valid") {
			s.Logger.Error("unsubscribe", "err", err)
			status, msg = http.StatusInternalServerError, "please try again later · 请稍后再试"
		}
		w.WriteHeader(status)
		_ = unsubscribeTmpl.Execute(w, map[string]any{"Error": msg})
		return
	}
	s.record(r, "consent.unsubscribe", channel, "ok", nil)
	_ = unsubscribeTmpl.Execute(w, map[string]any{"Done": true, "Channel": channel})
}
