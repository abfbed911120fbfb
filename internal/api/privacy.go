package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/tradewind/tradewind/internal/audit"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/privacy"
	"github.com/tradewind/tradewind/internal/realtime"
	"github.com/tradewind/tradewind/internal/retention"
	"github.com/tradewind/tradewind/internal/store"
)

func (s *Server) privacyRoutes() []Route {
	anyPrivacy := []auth.Permission{auth.PrivacyExport, auth.PrivacyErase, auth.PrivacyApprove}
	return []Route{
		{Method: "POST", Path: "/v1/privacy/erasure", Perm: auth.PrivacyErase, handler: s.audited("privacy.erasure", s.submitRequest(privacy.KindErasure))},
		{Method: "POST", Path: "/v1/privacy/export", Perm: auth.PrivacyExport, handler: s.audited("privacy.export", s.submitRequest(privacy.KindExport))},
		{Method: "GET", Path: "/v1/privacy/requests", Any: anyPrivacy, handler: s.listRequests},
		{Method: "GET", Path: "/v1/privacy/requests/{id}", Any: anyPrivacy, handler: s.getRequest},
		{Method: "POST", Path: "/v1/privacy/requests/{id}/approve", Perm: auth.PrivacyApprove, handler: s.audited("privacy.approve", s.approveRequest)},
		{Method: "GET", Path: "/v1/privacy/requests/{id}/download", Perm: auth.PrivacyExport, handler: s.audited("privacy.download", s.downloadExport)},
		{Method: "GET", Path: "/v1/privacy/alerts", Perm: auth.AuditRead, handler: s.alerts},
		{Method: "POST", Path: "/v1/consent", Perm: auth.ConsentWrite, handler: s.audited("consent.record", s.recordConsent)},
		{Method: "GET", Path: "/v1/consent", Perm: auth.ConsentRead, handler: s.getConsent},
		{Method: "GET", Path: "/v1/audit", Perm: auth.AuditRead, handler: s.searchAudit},
		{Method: "GET", Path: "/v1/audit/verify", Perm: auth.AuditRead, handler: s.verifyAudit},
		{Method: "GET", Path: "/v1/retention", Perm: auth.DashboardRead, handler: s.getRetention},
		{Method: "PUT", Path: "/v1/retention", Perm: auth.RetentionWrite, handler: s.audited("config.retention", s.putRetention)},
		{Method: "POST", Path: "/v1/retention/run", Perm: auth.RetentionWrite, handler: s.audited("retention.run", s.runRetention)},
	}
}

// privacyError answers an error of the privacy service.
func (s *Server) privacyError(w http.ResponseWriter, err error) {
	var fe *privacy.FieldError
	switch {
	case errors.As(err, &fe):
		ingest.WriteError(w, http.StatusBadRequest, fe.Field, fe.Error())
	case errors.Is(err, privacy.ErrRequestNotFound):
		ingest.WriteError(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, privacy.ErrSelfApproval), errors.Is(err, privacy.ErrAwaitingApproval):
		ingest.WriteError(w, http.StatusForbidden, "", err.Error())
	case errors.Is(err, privacy.ErrNotAwaiting), errors.Is(err, privacy.ErrNotExport):
		ingest.WriteError(w, http.StatusConflict, "", err.Error())
	default:
		s.Logger.Error("privacy request failed", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "the privacy request failed")
	}
}

// submitRequest answers POST /v1/privacy/erasure and /v1/privacy/export:
// {"identifier": {"email"|"phone"|"user_id"|"anonymous_id": value, "source"?:
// id, "region"?: cc}, "regulation"?: "gdpr"|"ccpa"|"appi"|"pipl",
// "masked"?: bool (export only)} → 202 {"request_id", "status", …}.
func (s *Server) submitRequest(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Identifier *privacy.Identifier `json:"identifier"`
			Regulation string              `json:"regulation"`
			Masked     bool                `json:"masked"`
		}
		if !decode(w, r, &req) {
			return
		}
		if req.Identifier == nil {
			ingest.WriteError(w, http.StatusBadRequest, "identifier", "identifier is required, e.g. {\"identifier\": {\"email\": \"…\"}}")
			return
		}
		if kind == privacy.KindErasure && req.Masked {
			ingest.WriteError(w, http.StatusBadRequest, "masked", "masked applies to exports only")
			return
		}
		rq, err := s.Privacy.Submit(r.Context(), kind, *req.Identifier, req.Regulation, principal(r).UserID, req.Masked)
		if err != nil {
			s.privacyError(w, err)
			return
		}
		rq.Query = nil
		auditNote(w, rq.ID, map[string]any{"identifier": rq.Identifier.Kind + " " + rq.Identifier.Masked, "regulation": rq.Regulation})
		w.Header().Set("Location", "/v1/privacy/requests/"+rq.ID)
		writeJSON(w, http.StatusAccepted, rq)
	}
}

func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) {
	all, err := s.Privacy.List(r.Context())
	if err != nil {
		s.privacyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": all})
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request) {
	rq, err := s.Privacy.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.privacyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rq)
}

func (s *Server) approveRequest(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	auditNote(w, id, nil)
	rq, err := s.Privacy.Approve(r.Context(), id, principal(r).UserID)
	if err != nil {
		s.privacyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rq)
}

// downloadExport answers GET /v1/privacy/requests/{id}/download[?format=zip]
// with the export document. An unmasked export needs the pii.read permission
// too, and its approval; every download is audited and counted against the
// principal's personal-data baseline.
func (s *Server) downloadExport(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	auditNote(w, id, nil)
	p := principal(r)
	rq, err := s.Privacy.Get(r.Context(), id)
	if err != nil {
		s.privacyError(w, err)
		return
	}
	if !rq.Masked && !p.Can(auth.PIIRead) {
		ingest.WriteError(w, http.StatusForbidden, "", "an unmasked export needs the permission pii.read")
		return
	}
	doc, rows, err := s.Privacy.Export(r.Context(), id)
	if err != nil {
		s.privacyError(w, err)
		return
	}
	for _, rows := range doc.Data {
		for _, row := range rows {
			for k, v := range row {
				row[k] = JSONValue(v)
			}
		}
	}
	auditNote(w, id, map[string]any{"rows": rows, "masked": rq.Masked})
	s.watchAccess(r, rows)
	if r.URL.Query().Get("format") == "zip" {
		b, err := privacy.Zip(doc)
		if err != nil {
			s.privacyError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.zip"`)
		_, _ = w.Write(b)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.json"`)
	writeJSON(w, http.StatusOK, doc)
}

// watchAccess counts personal records a principal read, and records an
// alert in the audit log when the volume is unusual for them.
func (s *Server) watchAccess(r *http.Request, n int) {
	if s.Access == nil || n == 0 {
		return
	}
	if a := s.Access.Record(principal(r).UserID, n, time.Now()); a != nil {
		s.Logger.Warn("unusual access to personal data", "actor", a.Actor, "count", a.Count, "baseline", a.Baseline)
		s.record(r, "alert.unusual_access", a.Actor, "ok", map[string]any{"count": a.Count, "baseline": a.Baseline, "reason": a.Reason})
	}
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request) {
	if s.Audit == nil {
		writeJSON(w, http.StatusOK, map[string]any{"alerts": []audit.Entry{}})
		return
	}
	es, err := s.Audit.Search(r.Context(), audit.Filter{Action: "alert.", Limit: 200})
	if err != nil {
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the audit log")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": es})
}

// recordConsent answers POST /v1/consent: {"identifier": {…}, "purposes":
// {"email": true, …}, "lawful_basis"?: "consent", "proof"?: "…"} → 202 with
// the identities it was recorded for.
func (s *Server) recordConsent(w http.ResponseWriter, r *http.Request) {
	var req privacy.ConsentRequest
	if !decode(w, r, &req) {
		return
	}
	out, err := s.Privacy.RecordConsent(r.Context(), req)
	if err != nil {
		var fe *privacy.FieldError
		if errors.As(err, &fe) {
			ingest.WriteError(w, http.StatusBadRequest, fe.Field, fe.Error())
			return
		}
		if errors.Is(err, privacy.ErrNoPerson) {
			ingest.WriteError(w, http.StatusNotFound, "identifier", err.Error())
			return
		}
		s.privacyError(w, err)
		return
	}
	auditNote(w, "", map[string]any{"identities": out.Identities, "purposes": req.Purposes})
	writeJSON(w, http.StatusAccepted, out)
}

// getConsent answers GET /v1/consent?email=…|phone=…|user_id=…&source=…|anonymous_id=…
// with the person's current consent per purpose and its history; with
// ?profile_id=… (a customer's page), the consent of that profile's user and
// anonymous ids.
func (s *Server) getConsent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if pid := q.Get("profile_id"); pid != "" {
		s.profileConsent(w, r, pid)
		return
	}
	id := privacy.Identifier{Email: q.Get("email"), Phone: q.Get("phone"), UserID: q.Get("user_id"),
		AnonymousID: q.Get("anonymous_id"), Source: q.Get("source"), Region: q.Get("region")}
	out, err := s.Privacy.Consent(r.Context(), id)
	if err != nil {
		var fe *privacy.FieldError
		if errors.As(err, &fe) {
			ingest.WriteError(w, http.StatusBadRequest, fe.Field, fe.Error())
			return
		}
		s.privacyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// profileConsent answers GET /v1/consent?profile_id=…: the consent given
// under the profile's user ids (with their sources) and anonymous ids, as
// the store's identity mapping holds them. A merged-away id answers for the
// surviving profile.
func (s *Server) profileConsent(w http.ResponseWriter, r *http.Request, id string) {
	if s.Profiles == nil {
		ingest.WriteError(w, http.StatusNotFound, "profile_id", "profiles are not kept on this node")
		return
	}
	v, err := s.Profiles.Profile(id, s.now())
	if errors.Is(err, realtime.ErrProfileNotFound) {
		ingest.WriteError(w, http.StatusNotFound, "profile_id", "profile not found")
		return
	}
	if err != nil {
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the profile")
		return
	}
	ids, err := s.senders(r.Context(), v.ID)
	if err != nil {
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the profile's identities")
		return
	}
	out, err := s.Privacy.ConsentOf(r.Context(), &store.Person{Identities: ids})
	if err != nil {
		s.privacyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// searchAudit answers GET /v1/audit?actor=&action=&target=&outcome=&since=&until=&q=&limit=&before=.
func (s *Server) searchAudit(w http.ResponseWriter, r *http.Request) {
	if s.Audit == nil {
		writeJSON(w, http.StatusOK, map[string]any{"entries": []audit.Entry{}})
		return
	}
	q := r.URL.Query()
	f := audit.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"),
		Outcome: q.Get("outcome"), Text: q.Get("q")}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(t.name); v != "" {
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				ingest.WriteError(w, http.StatusBadRequest, t.name, t.name+" must be an RFC 3339 time")
				return
			}
			*t.dst = tm
		}
	}
	for _, n := range []struct {
		name string
		dst  any
	}{{"limit", &f.Limit}, {"before", &f.BeforeSeq}} {
		if v := q.Get(n.name); v != "" {
			u, err := strconv.ParseUint(v, 10, 63)
			if err != nil {
				ingest.WriteError(w, http.StatusBadRequest, n.name, n.name+" must be a whole number")
				return
			}
			switch d := n.dst.(type) {
			case *int:
				*d = int(u)
			case *uint64:
				*d = u
			}
		}
	}
	es, err := s.Audit.Search(r.Context(), f)
	if err != nil {
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the audit log")
		return
	}
	s.record(r, "audit.read", "", "ok", map[string]any{"entries": len(es)})
	writeJSON(w, http.StatusOK, map[string]any{"entries": es})
}

func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) {
	if s.Audit == nil {
		ingest.WriteError(w, http.StatusNotFound, "", "no audit log")
		return
	}
	rep, err := s.Audit.Verify(r.Context())
	if err != nil {
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not verify the audit log")
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) getRetention(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"policy": s.Retention.Policy(), "last_run": s.Retention.LastRun()})
}

func (s *Server) putRetention(w http.ResponseWriter, r *http.Request) {
	var p retention.Policy
	if !decode(w, r, &p) {
		return
	}
	if err := s.Retention.SetPolicy(r.Context(), p); err != nil {
		var fe *retention.FieldError
		if errors.As(err, &fe) {
			ingest.WriteError(w, http.StatusBadRequest, fe.Field, fe.Error())
			return
		}
		s.Logger.Error("retention policy", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not save the policy")
		return
	}
	b, _ := json.Marshal(p)
	auditNote(w, "", map[string]any{"policy": string(b)})
	writeJSON(w, http.StatusOK, map[string]any{"policy": p})
}

func (s *Server) runRetention(w http.ResponseWriter, r *http.Request) {
	rep, err := s.Retention.Run(r.Context())
	if err != nil {
		s.Logger.Error("retention run", "err", err)
		writeJSON(w, http.StatusInternalServerError, rep)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
