package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/ingest/jsonscan"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
)

// Sources finds sources by write key and id.
type Sources interface {
	ByWriteKey(key string) (source.Source, bool)
	ByID(id string) (source.Source, bool)
}

// Quarantiner records refused messages (where and why, never the value).
type Quarantiner interface {
	Quarantine(ctx context.Context, entries []store.QuarantineEntry) error
}

// HTTP serves the tracking API.
type HTTP struct {
	Service    *Service
	Sources    Sources
	Quarantine Quarantiner
	Logger     *slog.Logger
	// CORSOrigins are the browser origins allowed to send (analytics.js);
	// "*" allows any.
	CORSOrigins []string
	// Limit, if set, rate-limits requests per client address (kind "ip")
	// and per source (kind "source", after the write key is checked); ok
	// false answers 429 with Retry-After.
	Limit func(kind, key string) (ok bool, retryAfter time.Duration)
	// inflight bounds concurrent requests; past it the API answers 429.
	inflight chan struct{}
	// parsers are reused across requests: a parser's value cache is most
	// of what parsing a 100-message batch allocates (a quarter of the
	// server's allocations at 20,000 events/s when each request made its
	// own). Nothing of a request's parsed values outlives its answer.
	parsers fastjson.ParserPool
}

// NewHTTP makes the tracking API with at most maxInflight requests at once.
func NewHTTP(svc *Service, sources Sources, q Quarantiner, logger *slog.Logger, maxInflight int) *HTTP {
	if maxInflight <= 0 {
		maxInflight = 512
	}
	return &HTTP{Service: svc, Sources: sources, Quarantine: q, Logger: logger, inflight: make(chan struct{}, maxInflight)}
}

// Register mounts the tracking endpoints on mux.
func (h *HTTP) Register(mux *http.ServeMux) {
	for path, typ := range map[string]string{
		"identify": segment.Identify, "track": segment.Track, "page": segment.Page, "screen": segment.Screen,
		"group": segment.Group, "alias": segment.Alias,
		// analytics.js's short paths
		"i": segment.Identify, "t": segment.Track, "p": segment.Page, "s": segment.Screen, "g": segment.Group, "a": segment.Alias,
	} {
		mux.HandleFunc("POST /v1/"+path, h.cors(h.single(typ)))
		mux.HandleFunc("OPTIONS /v1/"+path, h.cors(preflight))
	}
	mux.HandleFunc("POST /v1/batch", h.cors(h.batch))
	mux.HandleFunc("POST /v1/b", h.cors(h.batch))
	mux.HandleFunc("POST /v1/import", h.cors(h.batch)) // Segment's HTTP API alias of batch
	mux.HandleFunc("OPTIONS /v1/batch", h.cors(preflight))
	mux.HandleFunc("OPTIONS /v1/b", h.cors(preflight))
	mux.HandleFunc("GET /v1/projects/{writeKey}/settings", h.cors(h.settings))
}

// APIError is the JSON body of every error answer.
type APIError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// WriteError answers with status and a JSON error.
func WriteError(w http.ResponseWriter, status int, field, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(APIError{Error: msg, Field: field})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func preflight(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }

func (h *HTTP) cors(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && h.originAllowed(origin) {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Vary", "Origin")
			w.Header().Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Authorization, Content-Encoding")
			w.Header().Set("Access-Control-Max-Age", "600")
		}
		next(w, r)
	}
}

func (h *HTTP) originAllowed(origin string) bool {
	for _, o := range h.CORSOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// acquire takes an in-flight slot, waiting briefly; false means overload.
func (h *HTTP) acquire(w http.ResponseWriter) bool {
	select {
	case h.inflight <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(100 * time.Millisecond)
	defer t.Stop()
	select {
	case h.inflight <- struct{}{}:
		return true
	case <-t.C:
		if h.Service.Metrics != nil {
			h.Service.Metrics.Overloaded.Inc()
		}
		w.Header().Set("Retry-After", "1")
		WriteError(w, http.StatusTooManyRequests, "", "server busy, retry later")
		return false
	}
}

func (h *HTTP) release() { <-h.inflight }

// readBody reads the request body, gunzipping it, within MaxRequestBytes
// after decompression. It answers the error itself and returns nil then.
func readBody(w http.ResponseWriter, r *http.Request) []byte {
	var rd io.Reader = http.MaxBytesReader(w, r.Body, 4*MaxRequestBytes)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			WriteError(w, http.StatusBadRequest, "", "body is not valid gzip")
			return nil
		}
		defer zr.Close()
		rd = zr
	}
	body, err := io.ReadAll(io.LimitReader(rd, MaxRequestBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			WriteError(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("request larger than %d KB", MaxRequestBytes>>10))
			return nil
		}
		WriteError(w, http.StatusBadRequest, "", "could not read the body: "+err.Error())
		return nil
	}
	if len(body) > MaxRequestBytes {
		WriteError(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("request larger than %d KB after decompression", MaxRequestBytes>>10))
		return nil
	}
	return body
}

// authenticate finds the source by HTTP Basic user name (Segment's write key,
// empty password) or the body's writeKey. It answers 401 itself.
func (h *HTTP) authenticate(w http.ResponseWriter, r *http.Request, v *fastjson.Value) (source.Source, bool) {
	key, _, ok := r.BasicAuth()
	if !ok || key == "" {
		if v != nil {
			key = string(v.GetStringBytes("writeKey"))
		}
	}
	if key == "" {
		WriteError(w, http.StatusUnauthorized, "writeKey", "missing write key: send it as the HTTP Basic user name or as writeKey in the body")
		return source.Source{}, false
	}
	src, ok := h.Sources.ByWriteKey(key)
	if !ok {
		WriteError(w, http.StatusUnauthorized, "writeKey", "unknown write key")
		return source.Source{}, false
	}
	return src, true
}

// request reads, parses and authenticates a tracking call. It answers
// errors itself; ok is false then. When ok, the caller must call
// h.done(p) once it has answered: v belongs to the parser p.
func (h *HTTP) request(w http.ResponseWriter, r *http.Request) (v *fastjson.Value, body []byte, src source.Source, p *fastjson.Parser, ok bool) {
	if !h.acquire(w) {
		return nil, nil, src, nil, false
	}
	parser := h.parsers.Get()
	defer func() {
		if !ok {
			h.done(parser)
		}
	}()
	if !h.allow(w, "ip", clientIP(r)) {
		return nil, nil, src, nil, false
	}
	if body = readBody(w, r); body == nil {
		return nil, nil, src, nil, false
	}
	v, err := parser.ParseBytes(body)
	if err != nil {
		WriteError(w, http.StatusBadRequest, "", "body is not valid JSON")
		return nil, nil, src, nil, false
	}
	if src, ok = h.authenticate(w, r, v); !ok {
		return nil, nil, src, nil, false
	}
	if !h.allow(w, "source", src.ID) {
		return nil, nil, src, nil, false
	}
	return v, body, src, parser, true
}

// done gives back what request borrowed: the in-flight slot and the parser.
func (h *HTTP) done(p *fastjson.Parser) {
	h.parsers.Put(p)
	h.release()
}

// allow applies the rate limit of one kind; a refusal is answered with 429.
func (h *HTTP) allow(w http.ResponseWriter, kind, key string) bool {
	if h.Limit == nil {
		return true
	}
	ok, retry := h.Limit(kind, key)
	if !ok {
		secs := int(retry.Seconds() + 0.999)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		WriteError(w, http.StatusTooManyRequests, "", "rate limit exceeded for this "+kind+"; retry later")
		if h.Service.Metrics != nil {
			h.Service.Metrics.Overloaded.Inc()
		}
	}
	return ok
}

// clientIP is the peer address of r without the port (X-Forwarded-For is
// not trusted: behind a proxy every client would share its limit).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *HTTP) single(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, body, src, p, ok := h.request(w, r)
		if !ok {
			return
		}
		defer h.done(p)
		if len(body) > MaxMessageBytes {
			WriteError(w, http.StatusRequestEntityTooLarge, "message", fmt.Sprintf("message larger than %d KB", MaxMessageBytes>>10))
			return
		}
		out, err := h.Service.Accept(r.Context(), src, []Item{{Value: v, Raw: body, Type: typ}}, Options{})
		if err != nil {
			h.unavailable(w, err)
			return
		}
		if e := out[0].Err; e != nil {
			field, reason := FieldErr(e)
			h.quarantine(r.Context(), src.ID, "http", []store.QuarantineEntry{{Index: -1, Field: field, Reason: reason}})
			WriteError(w, http.StatusBadRequest, field, field+" "+reason)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
	}
}

// Rejected is one refused message of a batch.
type Rejected struct {
	Index  int    `json:"index"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (h *HTTP) batch(w http.ResponseWriter, r *http.Request) {
	v, body, src, p, ok := h.request(w, r)
	if !ok {
		return
	}
	defer h.done(p)
	if v.Type() != fastjson.TypeObject {
		WriteError(w, http.StatusBadRequest, "", "body must be a JSON object with a batch array")
		return
	}
	arr := v.Get("batch")
	if arr == nil || arr.Type() != fastjson.TypeArray {
		WriteError(w, http.StatusBadRequest, "batch", "batch must be an array of messages")
		return
	}
	msgs, _ := arr.Array()
	opts := Options{BatchContext: v.Get("context")}
	if sa := v.Get("sentAt"); sa != nil && sa.Type() == fastjson.TypeString {
		t, err := segment.ParseTime(string(sa.GetStringBytes()))
		if err != nil {
			WriteError(w, http.StatusBadRequest, "sentAt", "sentAt is not an ISO-8601 date-time")
			return
		}
		opts.BatchSentAt = t
	}
	// Each message goes to the log as the bytes the sender wrote, unless
	// the server must change it (see Service.prepare).
	raws := jsonscan.BatchElements(body, len(msgs))
	items := make([]Item, len(msgs))
	for i, m := range msgs {
		items[i] = Item{Value: m}
		if raws != nil {
			items[i].Raw = raws[i]
		}
	}
	out, err := h.Service.Accept(r.Context(), src, items, opts)
	if err != nil {
		h.unavailable(w, err)
		return
	}
	var rejected []Rejected
	var q []store.QuarantineEntry
	for i, o := range out {
		if o.Err != nil {
			field, reason := FieldErr(o.Err)
			rejected = append(rejected, Rejected{Index: i, Field: field, Reason: reason})
			q = append(q, store.QuarantineEntry{Index: i, Field: field, Reason: reason})
		}
	}
	resp := map[string]any{"success": true}
	if len(rejected) > 0 {
		h.quarantine(r.Context(), src.ID, "http", q)
		resp["rejected"] = rejected
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *HTTP) quarantine(ctx context.Context, srcID, origin string, entries []store.QuarantineEntry) {
	if h.Quarantine == nil || len(entries) == 0 {
		return
	}
	now := time.Now().UTC()
	for i := range entries {
		entries[i].At, entries[i].SourceID, entries[i].Origin = now, srcID, origin
	}
	// Quarantine must not delay or fail the answer about accepted messages.
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := h.Quarantine.Quarantine(ctx, entries); err != nil {
			h.Logger.Error("quarantine write failed", "source", srcID, "entries", len(entries), "err", err)
		}
	}()
}

func (h *HTTP) unavailable(w http.ResponseWriter, err error) {
	h.Logger.Error("event log did not acknowledge", "err", err)
	w.Header().Set("Retry-After", "1")
	WriteError(w, http.StatusServiceUnavailable, "", "the event log did not acknowledge; nothing was accepted, retry")
}

// settings answers analytics.js's settings request so that the browser SDK
// loads and sends to this server.
func (h *HTTP) settings(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("writeKey")
	if _, ok := h.Sources.ByWriteKey(key); !ok {
		WriteError(w, http.StatusNotFound, "writeKey", "unknown write key")
		return
	}
	proto := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		proto = "https"
	}
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(map[string]any{
		"integrations": map[string]any{
			"Segment.io": map[string]any{"apiKey": key, "apiHost": r.Host + "/v1", "protocol": proto},
		},
		"plan":                 map[string]any{"track": map[string]any{"__default": map[string]any{"enabled": true}}},
		"edgeFunction":         map[string]any{},
		"analyticsNextEnabled": true,
	})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b.Bytes())
}
