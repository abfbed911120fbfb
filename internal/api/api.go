// Package api serves tradewind's REST API for operators and analysts:
// sources, read-only SQL, imports, exchange rates, backups, health and
// metrics. Every endpoint but the health probes requires the admin token.
package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/tradewind/tradewind/internal/backup"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/duckdb"
)

// Backend is what the API drives; the app implements it.
type Backend interface {
	CreateSource(ctx context.Context, s source.Source) (source.Source, error)
	SourceList() []source.Source
	Query(ctx context.Context, sql string, maxRows int) (*store.Result, error)
	Ready(ctx context.Context) error
	Import(ctx context.Context, req ImportRequest) (*ImportReport, error)
	ImportFX(ctx context.Context, r ImportFXRequest) (*FXReport, error)
	Backup(ctx context.Context, dir string) (*backup.Manifest, error)
}

// Server is the API.
type Server struct {
	Backend    Backend
	AdminToken string
	Logger     *slog.Logger
	Metrics    http.Handler
	// MaxRows caps a query's rows.
	MaxRows int
}

// Register mounts the API on mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Backend.Ready(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("GET /metrics", s.auth(s.Metrics.ServeHTTP))
	// Profiles for operators, behind the admin token like everything else.
	mux.HandleFunc("GET /debug/pprof/", s.auth(pprof.Index))
	mux.HandleFunc("GET /debug/pprof/profile", s.auth(pprof.Profile))
	mux.HandleFunc("GET /debug/pprof/trace", s.auth(pprof.Trace))
	mux.HandleFunc("POST /v1/sources", s.auth(s.createSource))
	mux.HandleFunc("GET /v1/sources", s.auth(s.listSources))
	mux.HandleFunc("POST /v1/query", s.auth(s.query))
	mux.HandleFunc("POST /v1/imports", s.auth(s.importFile))
	mux.HandleFunc("POST /v1/fx_rates", s.auth(s.importFX))
	mux.HandleFunc("POST /v1/admin/backup", s.auth(s.backup))
}

// auth requires "Authorization: Bearer <admin token>".
func (s *Server) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.AdminToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tradewind"`)
			ingest.WriteError(w, http.StatusUnauthorized, "", "missing or wrong admin token (Authorization: Bearer …)")
			return
		}
		next(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decode reads a JSON body of at most 1 MB into v, refusing unknown fields,
// and answers 400 itself on failure.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		ingest.WriteError(w, http.StatusBadRequest, "", "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func (s *Server) createSource(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID            string `json:"id"`
		Name          string `json:"name"`
		Kind          string `json:"kind"`
		Store         string `json:"store"`
		Currency      string `json:"currency"`
		Marketplace   string `json:"marketplace"`
		Country       string `json:"country"`
		WriteKey      string `json:"write_key"`
		WebhookSecret string `json:"webhook_secret"`
	}
	if !decode(w, r, &req) {
		return
	}
	src, err := s.Backend.CreateSource(r.Context(), source.Source{ID: req.ID, Name: req.Name, Kind: req.Kind,
		Store: req.Store, Currency: req.Currency, Marketplace: req.Marketplace, Country: req.Country,
		WriteKey: req.WriteKey, WebhookSecret: req.WebhookSecret})
	var fe *source.FieldError
	switch {
	case errors.As(err, &fe):
		ingest.WriteError(w, http.StatusBadRequest, fe.Field, fe.Error())
		return
	case errors.Is(err, source.ErrExists):
		ingest.WriteError(w, http.StatusConflict, "id", err.Error())
		return
	case err != nil:
		s.Logger.Error("create source failed", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not create the source")
		return
	}
	w.Header().Set("Location", "/v1/sources/"+src.ID)
	writeJSON(w, http.StatusCreated, src)
}

func (s *Server) listSources(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"sources": s.Backend.SourceList()})
}

// QueryResponse is the answer of POST /v1/query.
type QueryResponse struct {
	Columns   []string `json:"columns"`
	Types     []string `json:"types,omitempty"`
	Rows      [][]any  `json:"rows"`
	Truncated bool     `json:"truncated"`
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SQL     string `json:"sql"`
		MaxRows int    `json:"max_rows"`
	}
	if !decode(w, r, &req) {
		return
	}
	if strings.TrimSpace(req.SQL) == "" {
		ingest.WriteError(w, http.StatusBadRequest, "sql", "sql is required")
		return
	}
	max := s.MaxRows
	if req.MaxRows > 0 && req.MaxRows < max {
		max = req.MaxRows
	}
	ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
	defer cancel()
	res, err := s.Backend.Query(ctx, req.SQL, max)
	var qe *duckdb.QueryError
	switch {
	case errors.Is(err, store.ErrReadOnly):
		ingest.WriteError(w, http.StatusBadRequest, "sql", err.Error())
		return
	case errors.As(err, &qe):
		ingest.WriteError(w, http.StatusBadRequest, "sql", qe.Error())
		return
	case errors.Is(err, context.DeadlineExceeded):
		ingest.WriteError(w, http.StatusGatewayTimeout, "sql", "query took longer than 60s")
		return
	case err != nil:
		s.Logger.Error("query failed", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "query failed")
		return
	}
	out := QueryResponse{Columns: res.Columns, Types: res.Types, Rows: make([][]any, len(res.Rows)), Truncated: res.Truncated}
	for i, row := range res.Rows {
		out.Rows[i] = make([]any, len(row))
		for j, v := range row {
			out.Rows[i][j] = JSONValue(v)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// JSONValue converts a value from the store into its JSON form: integers as
// numbers, decimals as exact strings, times as RFC 3339 UTC, JSON columns
// nested, blobs as base64.
func JSONValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int8, int16, int32, int64, uint8, uint16, uint32, uint64, int, float32:
		return x
	case float64:
		return x
	case *big.Int:
		return json.Number(x.String())
	case duckdbdrv.Decimal:
		return duckdb.DecimalString(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case duckdbdrv.UUID:
		return x.String()
	case duckdbdrv.Interval:
		return fmt.Sprintf("%d months %d days %d µs", x.Months, x.Days, x.Micros)
	case []byte:
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = JSONValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = JSONValue(e)
		}
		return out
	case duckdbdrv.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = JSONValue(e)
		}
		return out
	default:
		return fmt.Sprint(x)
	}
}
