package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/tradewind/tradewind/internal/importer"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/ingest/records"
)

// ImportRequest is one bulk import sent to the server: the file is the body.
type ImportRequest struct {
	SourceID string
	Kind     string
	Format   string
	Mapping  string
	Body     io.Reader
	KeepRaw  bool
}

// ImportReport is what an import did.
type ImportReport = importer.Report

// ImportFXRequest carries an ECB rates file (history zip, or CSV).
type ImportFXRequest struct {
	Body io.Reader
}

// FXReport is what an exchange-rate import did.
type FXReport struct {
	Rates       int    `json:"rates"`
	First       string `json:"first"`
	Last        string `json:"last"`
	Reconverted int    `json:"reconverted"`
}

// BadRequestError marks a job error caused by the request (unknown source,
// bad header, bad mapping), answered with 400.
type BadRequestError struct {
	Field string
	Err   error
}

func (e *BadRequestError) Error() string { return e.Err.Error() }
func (e *BadRequestError) Unwrap() error { return e.Err }

func (s *Server) jobError(w http.ResponseWriter, what string, err error) {
	var bre *BadRequestError
	var re *records.RowError
	switch {
	case errors.As(err, &bre):
		ingest.WriteError(w, http.StatusBadRequest, bre.Field, bre.Error())
	case errors.As(err, &re):
		ingest.WriteError(w, http.StatusBadRequest, re.Field, re.Error())
	default:
		s.Logger.Error(what+" failed", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", what+" failed: "+err.Error())
	}
}

func (s *Server) importFile(w http.ResponseWriter, r *http.Request) {
	// A large file streams for longer than the server's read timeout allows
	// an ordinary request.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(2 * time.Hour))
	_ = rc.SetWriteDeadline(time.Now().Add(2 * time.Hour))
	q := r.URL.Query()
	req := ImportRequest{SourceID: q.Get("source"), Kind: q.Get("kind"), Format: q.Get("format"),
		Mapping: q.Get("mapping"), Body: r.Body, KeepRaw: q.Get("keep_raw") == "true"}
	if req.SourceID == "" {
		ingest.WriteError(w, http.StatusBadRequest, "source", "source (a source id) is required")
		return
	}
	if req.Kind == "" {
		ingest.WriteError(w, http.StatusBadRequest, "kind", "kind is required: events, orders, customers, reviews or ad_spend")
		return
	}
	// An import may outlast the server's write timeout; it is bounded here.
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Hour)
	defer cancel()
	rep, err := s.Backend.Import(ctx, req)
	if err != nil {
		s.jobError(w, "import", err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) importFX(w http.ResponseWriter, r *http.Request) {
	rep, err := s.Backend.ImportFX(r.Context(), ImportFXRequest{Body: http.MaxBytesReader(w, r.Body, 64<<20)})
	if err != nil {
		s.jobError(w, "exchange-rate import", err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Dir     string `json:"dir"`
		KeysDir string `json:"keys_dir"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.Dir == "" && req.KeysDir == "" {
		ingest.WriteError(w, http.StatusBadRequest, "dir", "dir (a new or empty directory on the server's machine) is required")
		return
	}
	if req.KeysDir != "" {
		if err := s.Backend.BackupKeys(r.Context(), req.KeysDir); err != nil {
			s.jobError(w, "key backup", err)
			return
		}
		auditNote(w, "keys", nil)
		if req.Dir == "" {
			writeJSON(w, http.StatusOK, map[string]string{"keys_dir": req.KeysDir})
			return
		}
	}
	m, err := s.Backend.Backup(r.Context(), req.Dir)
	if err != nil {
		s.jobError(w, "backup", err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}
