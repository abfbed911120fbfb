// Package api serves tradewind's REST API for operators and analysts:
// accounts and tokens, sources, read-only SQL, imports, exchange rates,
// backups, data-subject requests, consent, audit, retention, health and
// metrics. Every endpoint is in one route table with the permission it
// needs; only the health probes, sign-in and first-run setup are public.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/tradewind/tradewind/internal/audit"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/backup"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/journey"
	"github.com/tradewind/tradewind/internal/marketing"
	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/privacy"
	"github.com/tradewind/tradewind/internal/realtime"
	"github.com/tradewind/tradewind/internal/retention"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/duckdb"
	"github.com/tradewind/tradewind/internal/voc"
	"github.com/tradewind/tradewind/internal/web"
)

// Backend is what the API drives; the app implements it.
type Backend interface {
	CreateSource(ctx context.Context, s source.Source) (source.Source, error)
	SourceList() []source.Source
	Query(ctx context.Context, sql string, maxRows int) (*store.Result, error)
	// QueryArgs runs one of the API's own parameterised reads.
	QueryArgs(ctx context.Context, sql string, args []any) (*store.Result, error)
	Ready(ctx context.Context) error
	Import(ctx context.Context, req ImportRequest) (*ImportReport, error)
	ImportFX(ctx context.Context, r ImportFXRequest) (*FXReport, error)
	Backup(ctx context.Context, dir string) (*backup.Manifest, error)
	BackupKeys(ctx context.Context, dir string) error
}

// Server is the API.
type Server struct {
	Backend Backend
	// Auth authenticates every request but the few public ones.
	Auth *auth.Service
	// Audit records who did what; nil records nothing (tests of one
	// handler).
	Audit *audit.Log
	// Access watches reads and exports of personal data per principal and
	// raises an alert on unusual volumes; nil watches nothing.
	Access *audit.AccessMonitor
	// Privacy carries out data-subject requests and records consent.
	Privacy *privacy.Service
	// Retention keeps the retention policy and runs its job.
	Retention *retention.Service
	// Profiles is the real-time profile engine (profiles, identity,
	// segments); nil serves none of their endpoints.
	Profiles *realtime.Engine
	// OrderDays brings the store's orders pre-aggregated per identity and
	// day up to date (store.OrderDaysKeeper); RFM then reads them instead
	// of every order row through the identity join. Nil reads the orders.
	OrderDays func(ctx context.Context) (store.OrderDaysRefresh, error)
	// OwnMessages brings the store's table of the profile each of the
	// node's own messages names up to date (duckdb.RefreshOwnMessages);
	// a timeline then looks the profile's up instead of reading every own
	// message's JSON. Nil reads the JSON.
	OwnMessages func(ctx context.Context) (int64, error)
	// EventDays brings the store's events counted per identity and day up
	// to date (duckdb.RefreshEventDays), which segment previews read; the
	// node's start does it first, so that the first preview after a bulk
	// load does not wait for it. Nil leaves it to the first preview.
	EventDays func(ctx context.Context) (uint64, error)
	// Predict runs and reports customer predictions; nil serves none of
	// their endpoints.
	Predict *predict.Service
	// Marketing runs attribution, ROI, influencers and experiments; nil
	// serves none of their endpoints.
	Marketing *marketing.Service
	// VoC checks brand health on demand; nil serves none of the voice of
	// the customer's endpoints.
	VoC *voc.Monitor
	// Journeys runs journeys and delivers their actions; nil serves none
	// of their endpoints.
	Journeys *journey.Engine
	// Audiences exports segments as ad-platform customer lists; nil serves
	// none of their endpoints.
	Audiences AudienceService
	// Unsubscribe carries out a signed unsubscribe link and says which
	// channel it stopped; nil serves no unsubscribe links.
	Unsubscribe func(ctx context.Context, token string) (string, error)
	// Web is the dashboard; nil serves no pages.
	Web *web.UI
	// Now is the clock of segment windows; nil is time.Now.
	Now func() time.Time
	// Limiter bounds each principal's request rate; LoginLimiter each
	// client address's sign-in attempts. Nil limits nothing.
	Limiter, LoginLimiter *auth.Limiter
	// SecureCookies marks session cookies Secure (served over TLS).
	SecureCookies bool
	Logger        *slog.Logger
	Metrics       http.Handler
	// MaxRows caps a query's rows.
	MaxRows int
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Backend.Ready(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// record appends an audit entry for the request's principal. Personal data
// must not be in target or detail: callers pass masked values (the audit log
// masks emails and phones again on its own).
func (s *Server) record(r *http.Request, action, target, outcome string, detail map[string]any) {
	if s.Audit == nil {
		return
	}
	e := audit.Entry{Action: action, Target: target, Outcome: outcome, Detail: detail,
		IP: auth.ClientIP(r), UserAgent: r.UserAgent()}
	if p, ok := auth.FromContext(r.Context()); ok {
		e.Actor, e.ActorEmail, e.ActorKind, e.Role = p.UserID, p.Email, p.Kind, string(p.Role)
	} else {
		e.Actor, e.ActorKind = "anonymous", "none"
	}
	if _, err := s.Audit.Append(context.WithoutCancel(r.Context()), e); err != nil {
		s.Logger.Error("audit append failed", "action", action, "err", err)
	}
}

// principal is the request's authenticated principal (guard put it there).
func principal(r *http.Request) *auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decode reads a JSON body of at most 1 MB into v, refusing unknown fields,
// and answers 400 itself on failure, naming the field when it can.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field := ""
		var te *json.UnmarshalTypeError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &te):
			field = te.Field
			err = fmt.Errorf("%s must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		case errors.As(err, &mbe):
			ingest.WriteError(w, http.StatusRequestEntityTooLarge, "", "body larger than 1 MB")
			return false
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		}
		ingest.WriteError(w, http.StatusBadRequest, field, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// jsonKind names a Go kind as the JSON type a client must send.
func jsonKind(k string) string {
	switch k {
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "ptr":
		return "a value"
	}
	return "a number"
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
	auditNote(w, src.ID, nil)
	w.Header().Set("Location", "/v1/sources/"+src.ID)
	writeJSON(w, http.StatusCreated, src)
}

// listSources lists the sources; their write keys and webhook secrets only
// for principals who may manage sources.
func (s *Server) listSources(w http.ResponseWriter, r *http.Request) {
	list := s.Backend.SourceList()
	if p := principal(r); p == nil || !p.Can(auth.SourcesWrite) {
		for i := range list {
			list[i].WriteKey, list[i].WebhookSecret = "", ""
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": list})
}

// QueryResponse is the answer of POST /v1/query.
type QueryResponse struct {
	Columns   []string `json:"columns"`
	Types     []string `json:"types,omitempty"`
	Rows      [][]any  `json:"rows"`
	Truncated bool     `json:"truncated"`
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	sql, max, ok := s.queryRequest(w, r, nil)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
	defer cancel()
	res, err := s.Backend.Query(ctx, sql, max)
	if s.queryFailed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, queryResponse(res))
}

// queryRequest reads the body of POST /v1/query and /v1/query/shared
// ({"sql", "max_rows"}), notes the SQL in the audit log (with note's
// extra fields) and returns it with the row limit; false when it answered
// with an error instead.
func (s *Server) queryRequest(w http.ResponseWriter, r *http.Request, note map[string]any) (sql string, maxRows int, ok bool) {
	var req struct {
		SQL     string `json:"sql"`
		MaxRows int    `json:"max_rows"`
	}
	if !decode(w, r, &req) {
		return "", 0, false
	}
	if strings.TrimSpace(req.SQL) == "" {
		ingest.WriteError(w, http.StatusBadRequest, "sql", "sql is required")
		return "", 0, false
	}
	fields := map[string]any{"sql": clip(req.SQL, 2000)}
	for k, v := range note {
		fields[k] = v
	}
	auditNote(w, "", fields)
	maxRows = s.MaxRows
	if req.MaxRows > 0 && req.MaxRows < maxRows {
		maxRows = req.MaxRows
	}
	return req.SQL, maxRows, true
}

// queryFailed answers a query's error, if it is one, with the status that
// says whose fault it was, and reports whether it did.
func (s *Server) queryFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	var qe *duckdb.QueryError
	switch {
	case err == nil:
		return false
	case r.Context().Err() != nil:
		ingest.WriteError(w, statusClientClosed, "", "the client went away before the query finished")
	case errors.Is(err, store.ErrReadOnly):
		ingest.WriteError(w, http.StatusBadRequest, "sql", err.Error())
	case errors.As(err, &qe):
		ingest.WriteError(w, http.StatusBadRequest, "sql", qe.Error())
	case errors.Is(err, context.DeadlineExceeded):
		ingest.WriteError(w, http.StatusGatewayTimeout, "sql", "query took longer than 60s")
	default:
		s.Logger.Error("query failed", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "query failed")
	}
	return true
}

// queryResponse is a result in the JSON form of POST /v1/query.
func queryResponse(res *store.Result) QueryResponse {
	out := QueryResponse{Columns: res.Columns, Types: res.Types, Rows: make([][]any, len(res.Rows)), Truncated: res.Truncated}
	for i, row := range res.Rows {
		out.Rows[i] = make([]any, len(row))
		for j, v := range row {
			out.Rows[i][j] = JSONValue(v)
		}
	}
	return out
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
	case []string:
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

// clip shortens s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
