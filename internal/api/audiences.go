package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/tradewind/tradewind/internal/audiencesync"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
)

// AudienceService exports segments as ad-platform customer lists and keeps
// audience syncs (internal/audiencesync.Service implements it).
type AudienceService interface {
	Export(ctx context.Context, segment string, f audiencesync.Format, c audiencesync.Consent, w io.Writer) (audiencesync.Result, error)
	Syncs(ctx context.Context) ([]audiencesync.Sync, error)
	Get(ctx context.Context, id string) (*audiencesync.Sync, error)
	Create(ctx context.Context, x audiencesync.Sync, by string) (*audiencesync.Sync, error)
	Update(ctx context.Context, id string, x audiencesync.Sync, by string) (*audiencesync.Sync, error)
	Delete(ctx context.Context, id string) error
	RunNow(ctx context.Context, id string) (audiencesync.Run, error)
	Runs(ctx context.Context, id string) ([]audiencesync.Run, error)
	Latest(ctx context.Context, id string) (*os.File, audiencesync.Run, error)
}

// audienceRoutes are the endpoints of audience exports and syncs. Reading
// the definitions is a dashboard read; exporting, defining, running and
// downloading need actions.write, and every file handed out is audited
// with its row count (never its values).
func (s *Server) audienceRoutes() []Route {
	if s.Audiences == nil || s.Profiles == nil {
		return nil
	}
	return []Route{
		{Method: "GET", Path: "/v1/segments/{id}/audience", Perm: auth.ActionsWrite, handler: s.audited("audience.export", s.exportAudience)},
		{Method: "GET", Path: "/v1/audience-syncs", Perm: auth.DashboardRead, handler: s.listAudienceSyncs},
		{Method: "POST", Path: "/v1/audience-syncs", Perm: auth.ActionsWrite, handler: s.audited("audience_sync.create", s.saveAudienceSync(true))},
		{Method: "GET", Path: "/v1/audience-syncs/{id}", Perm: auth.DashboardRead, handler: s.getAudienceSync},
		{Method: "PUT", Path: "/v1/audience-syncs/{id}", Perm: auth.ActionsWrite, handler: s.audited("audience_sync.change", s.saveAudienceSync(false))},
		{Method: "DELETE", Path: "/v1/audience-syncs/{id}", Perm: auth.ActionsWrite, handler: s.audited("audience_sync.delete", s.deleteAudienceSync)},
		{Method: "POST", Path: "/v1/audience-syncs/{id}/run", Perm: auth.ActionsWrite, handler: s.audited("audience_sync.run", s.runAudienceSync)},
		{Method: "GET", Path: "/v1/audience-syncs/{id}/runs", Perm: auth.DashboardRead, handler: s.audienceSyncRuns},
		{Method: "GET", Path: "/v1/audience-syncs/{id}/latest", Perm: auth.ActionsWrite, handler: s.audited("audience_sync.download", s.downloadAudienceSync)},
	}
}

// audienceError answers an error of the audience service: 400 naming the
// field, 404, 409, or 500 (logged, not shown).
func (s *Server) audienceError(w http.ResponseWriter, err error, what string) {
	var fe *audiencesync.FieldError
	switch {
	case errors.As(err, &fe):
		ingest.WriteError(w, http.StatusBadRequest, fe.Field, fe.Error())
	case errors.Is(err, audiencesync.ErrNotFound):
		ingest.WriteError(w, http.StatusNotFound, "", err.Error())
	case errors.Is(err, audiencesync.ErrExists):
		ingest.WriteError(w, http.StatusConflict, "id", err.Error())
	case errors.Is(err, audiencesync.ErrNoFile):
		ingest.WriteError(w, http.StatusNotFound, "", err.Error())
	default:
		s.Logger.Error(what, "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not "+what)
	}
}

// exportAudience answers GET /v1/segments/{id}/audience?format=meta|google
// [&consent=exclude_refused|granted_only] with the segment as a hashed
// customer-list CSV, as an attachment. The counts are in headers too
// (X-Audience-Members, -Written, -Skipped, -No-Consent), so a script can
// check them without parsing the file.
func (s *Server) exportAudience(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	auditNote(w, id, nil)
	q := r.URL.Query()
	f, err := audiencesync.ParseFormat(q.Get("format"))
	if err != nil {
		s.audienceError(w, err, "export the audience")
		return
	}
	c, err := audiencesync.ParseConsent(q.Get("consent"))
	if err != nil {
		s.audienceError(w, err, "export the audience")
		return
	}
	if _, ok := s.Profiles.Segment(id); !ok {
		ingest.WriteError(w, http.StatusNotFound, "segment", "segment not found")
		return
	}
	// Written to memory first: the file is hashes only (~130 bytes a row),
	// and an error found half-way can still be answered as an error
	// instead of a truncated file that looks complete.
	var buf bytes.Buffer
	res, err := s.Audiences.Export(r.Context(), id, f, c, &buf)
	if err != nil {
		s.audienceError(w, err, "export the audience")
		return
	}
	auditNote(w, id, map[string]any{"format": string(f), "consent": string(c), "members": res.Members,
		"rows": res.Written, "skipped": res.Skipped, "no_consent": res.NoConsent})
	s.watchAccess(r, res.Written)
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+id+"-"+string(f)+`.csv"`)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	setCounts(h, res)
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w)
}

func setCounts(h http.Header, res audiencesync.Result) {
	h.Set("X-Audience-Members", strconv.Itoa(res.Members))
	h.Set("X-Audience-Written", strconv.Itoa(res.Written))
	h.Set("X-Audience-Skipped", strconv.Itoa(res.Skipped))
	h.Set("X-Audience-No-Consent", strconv.Itoa(res.NoConsent))
}

func (s *Server) listAudienceSyncs(w http.ResponseWriter, r *http.Request) {
	xs, err := s.Audiences.Syncs(r.Context())
	if err != nil {
		s.audienceError(w, err, "list the audience syncs")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"syncs": xs})
}

func (s *Server) getAudienceSync(w http.ResponseWriter, r *http.Request) {
	x, err := s.Audiences.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.audienceError(w, err, "read the audience sync")
		return
	}
	out := map[string]any{"sync": x}
	if runs, err := s.Audiences.Runs(r.Context(), x.ID); err == nil && len(runs) > 0 {
		out["last_run"] = runs[0]
	}
	writeJSON(w, http.StatusOK, out)
}

// audienceSyncRequest is the body of a sync definition. Every is text
// ("24h", "7d"); the server fills in the rest.
type audienceSyncRequest struct {
	ID       string `json:"id"`
	Segment  string `json:"segment"`
	Format   string `json:"format"`
	Every    string `json:"every"`
	OnChange bool   `json:"on_change"`
	Dir      string `json:"dir"`
	Keep     int    `json:"keep"`
	Consent  string `json:"consent"`
}

func (s *Server) saveAudienceSync(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req audienceSyncRequest
		if !decode(w, r, &req) {
			return
		}
		every, err := audiencesync.ParseDuration(req.Every)
		if err != nil {
			ingest.WriteError(w, http.StatusBadRequest, "every", "every "+err.Error())
			return
		}
		if !create {
			req.ID = r.PathValue("id")
		}
		auditNote(w, req.ID, nil)
		x := audiencesync.Sync{ID: req.ID, Segment: req.Segment, Format: audiencesync.Format(req.Format),
			Every: every, OnChange: req.OnChange, Dir: req.Dir, Keep: req.Keep, Consent: audiencesync.Consent(req.Consent)}
		var out *audiencesync.Sync
		if create {
			out, err = s.Audiences.Create(r.Context(), x, principal(r).UserID)
		} else {
			out, err = s.Audiences.Update(r.Context(), req.ID, x, principal(r).UserID)
		}
		if err != nil {
			s.audienceError(w, err, "save the audience sync")
			return
		}
		auditNote(w, out.ID, map[string]any{"segment": out.Segment, "format": string(out.Format),
			"every": out.Every.String(), "on_change": out.OnChange, "dir": out.Dir, "consent": string(out.Consent)})
		status := http.StatusOK
		if create {
			status = http.StatusCreated
			w.Header().Set("Location", "/v1/audience-syncs/"+out.ID)
		}
		writeJSON(w, status, out)
	}
}

func (s *Server) deleteAudienceSync(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	auditNote(w, id, nil)
	if err := s.Audiences.Delete(r.Context(), id); err != nil {
		s.audienceError(w, err, "delete the audience sync")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// runAudienceSync answers POST /v1/audience-syncs/{id}/run: it runs the
// sync now and answers with the run (200), or with the failed run and its
// error (500, the run recorded all the same).
func (s *Server) runAudienceSync(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	auditNote(w, id, nil)
	run, err := s.Audiences.RunNow(r.Context(), id)
	if err != nil && run.At.IsZero() {
		s.audienceError(w, err, "run the audience sync")
		return
	}
	auditNote(w, id, map[string]any{"file": run.File, "members": run.Members, "rows": run.Written,
		"skipped": run.Skipped, "no_consent": run.NoConsent})
	if err != nil {
		s.Logger.Error("audience sync run", "sync", id, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "the run failed: " + run.Error, "run": run})
		return
	}
	writeJSON(w, http.StatusOK, run)
}

func (s *Server) audienceSyncRuns(w http.ResponseWriter, r *http.Request) {
	runs, err := s.Audiences.Runs(r.Context(), r.PathValue("id"))
	if err != nil {
		s.audienceError(w, err, "read the runs")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": runs})
}

// downloadAudienceSync answers GET /v1/audience-syncs/{id}/latest with the
// sync's newest file, as an attachment under its own name.
func (s *Server) downloadAudienceSync(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	auditNote(w, id, nil)
	f, run, err := s.Audiences.Latest(r.Context(), id)
	if err != nil {
		s.audienceError(w, err, "read the latest file")
		return
	}
	defer f.Close()
	auditNote(w, id, map[string]any{"file": run.File, "rows": run.Written})
	s.watchAccess(r, run.Written)
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+run.File+`"`)
	setCounts(h, run.Result)
	if st, err := f.Stat(); err == nil {
		h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, f)
}
