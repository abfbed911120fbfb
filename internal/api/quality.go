package api

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/audit"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/ingest"
)

// qualityRoutes are the endpoints of the sources and data-quality page:
// ingest rates per source and the quarantine.
func (s *Server) qualityRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/v1/quality/sources", Perm: auth.SourcesRead, handler: s.qualitySources},
		{Method: "GET", Path: "/v1/quality/rates", Perm: auth.SourcesRead, handler: s.qualityRates},
		{Method: "GET", Path: "/v1/quality/quarantine", Perm: auth.SourcesRead, handler: s.qualityQuarantine},
	}
}

// Ingest rates are measured on the server's own clock: received_at is the
// time the server accepted a message, whatever the message's own timestamp
// says (an import of last year's orders arrives now).
var qualityNow = time.Now

// keyHint shows which write key a source has without giving it away: its
// prefix and last four characters ("twk_…3f9a").
func keyHint(key string) string {
	if len(key) < 12 {
		return ""
	}
	prefix := ""
	if i := strings.IndexByte(key, '_'); i > 0 && i < 6 {
		prefix = key[:i+1]
	}
	return prefix + "…" + key[len(key)-4:]
}

// qualitySource is one source as the data-quality page shows it.
type qualitySource struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Kind        string     `json:"kind,omitempty"`
	Store       string     `json:"store,omitempty"`
	Marketplace string     `json:"marketplace,omitempty"`
	Country     string     `json:"country,omitempty"`
	Currency    string     `json:"currency,omitempty"`
	CreatedAt   *time.Time `json:"created_at,omitempty"`
	// KeyHint identifies the write key ("twk_…3f9a"), for those who may
	// manage sources; the key itself is never in this answer.
	KeyHint string `json:"write_key_hint,omitempty"`
	// Registered is false for a source id found in the data but not in the
	// registry (tradewind's own internal events, a deleted source).
	Registered bool `json:"registered"`
	// Events received in the last hour and day, and the same as events per
	// minute.
	EventsHour      int64      `json:"events_hour"`
	EventsDay       int64      `json:"events_day"`
	PerMinuteHour   float64    `json:"per_minute_hour"`
	PerMinuteDay    float64    `json:"per_minute_day"`
	LastReceivedAt  *time.Time `json:"last_received_at"`
	QuarantinedDay  int64      `json:"quarantined_day"`
	QuarantinedAll  int64      `json:"quarantined_total"`
	LastQuarantined *time.Time `json:"last_quarantined_at"`
}

// qualitySources answers GET /v1/quality/sources: every source with what it
// sent in the last hour and day and what of it was quarantined.
func (s *Server) qualitySources(w http.ResponseWriter, r *http.Request) {
	now := qualityNow().UTC()
	hour, day := now.Add(-time.Hour), now.Add(-24*time.Hour)
	p := principal(r)
	byID := map[string]*qualitySource{}
	var order []*qualitySource
	get := func(id string) *qualitySource {
		if q := byID[id]; q != nil {
			return q
		}
		q := &qualitySource{ID: id, Name: id}
		byID[id] = q
		order = append(order, q)
		return q
	}
	for _, src := range s.Backend.SourceList() {
		q := get(src.ID)
		q.Name, q.Kind, q.Store, q.Marketplace, q.Country, q.Currency = src.Name, src.Kind, src.Store, src.Marketplace, src.Country, src.Currency
		q.Registered = true
		if !src.CreatedAt.IsZero() {
			t := src.CreatedAt.UTC()
			q.CreatedAt = &t
		}
		if p != nil && p.Can(auth.SourcesWrite) {
			q.KeyHint = keyHint(src.WriteKey)
		}
	}
	ctx := r.Context()
	// event_rows, not the events view: the counts need no profile, and
	// the view's identity joins made this 15× slower.
	res, err := s.Backend.QueryArgs(ctx, `SELECT source_id,
		count(*) FILTER (WHERE received_at >= ?::TIMESTAMPTZ) AS events_hour,
		count(*) FILTER (WHERE received_at >= ?::TIMESTAMPTZ) AS events_day,
		max(received_at) AS last_received_at
		FROM event_rows GROUP BY source_id`, []any{hour, day})
	if err != nil {
		s.Logger.Error("quality: ingest counts", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the ingest counts")
		return
	}
	for _, row := range res.Rows {
		id, _ := row[0].(string)
		q := get(id)
		q.EventsHour, q.EventsDay = toInt(row[1]), toInt(row[2])
		if t, ok := row[3].(time.Time); ok {
			t = t.UTC()
			q.LastReceivedAt = &t
		}
	}
	res, err = s.Backend.QueryArgs(ctx, `SELECT coalesce(source_id, ''),
		count(*) FILTER (WHERE quarantined_at >= ?::TIMESTAMPTZ) AS day, count(*) AS total,
		max(quarantined_at) AS last
		FROM quarantine GROUP BY 1`, []any{day})
	if err != nil {
		s.Logger.Error("quality: quarantine counts", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the quarantine")
		return
	}
	for _, row := range res.Rows {
		id, _ := row[0].(string)
		if id == "" {
			continue
		}
		q := get(id)
		q.QuarantinedDay, q.QuarantinedAll = toInt(row[1]), toInt(row[2])
		if t, ok := row[3].(time.Time); ok {
			t = t.UTC()
			q.LastQuarantined = &t
		}
	}
	var totals struct {
		Sources        int     `json:"sources"`
		EventsHour     int64   `json:"events_hour"`
		EventsDay      int64   `json:"events_day"`
		PerMinuteHour  float64 `json:"per_minute_hour"`
		PerMinuteDay   float64 `json:"per_minute_day"`
		QuarantinedDay int64   `json:"quarantined_day"`
	}
	for _, q := range order {
		q.PerMinuteHour = round2(float64(q.EventsHour) / 60)
		q.PerMinuteDay = round2(float64(q.EventsDay) / (24 * 60))
		if q.Registered {
			totals.Sources++
		}
		totals.EventsHour += q.EventsHour
		totals.EventsDay += q.EventsDay
		totals.QuarantinedDay += q.QuarantinedDay
	}
	totals.PerMinuteHour = round2(float64(totals.EventsHour) / 60)
	totals.PerMinuteDay = round2(float64(totals.EventsDay) / (24 * 60))
	// Registered sources first, by name; then ids found only in the data.
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.Registered != b.Registered {
			return a.Registered
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	writeJSON(w, http.StatusOK, map[string]any{"now": now, "sources": order, "totals": totals})
}

// rateWindows are the windows of GET /v1/quality/rates: their length and
// bucket size.
var rateWindows = map[string]struct{ length, bucket time.Duration }{
	"hour": {time.Hour, time.Minute},
	"day":  {24 * time.Hour, 15 * time.Minute},
}

// qualityRates answers GET /v1/quality/rates?window=hour|day: events per
// minute per source in buckets over the window (a minute for the hour, 15
// minutes for the day), and the quarantined messages per minute.
func (s *Server) qualityRates(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("window")
	if name == "" {
		name = "hour"
	}
	win, ok := rateWindows[name]
	if !ok {
		ingest.WriteError(w, http.StatusBadRequest, "window", "window must be hour or day")
		return
	}
	n := int(win.length / win.bucket)
	// The buckets end at the end of the current bucket, so the newest one
	// fills as events arrive.
	end := qualityNow().UTC().Truncate(win.bucket).Add(win.bucket)
	start := end.Add(-win.length)
	secs := int64(win.bucket / time.Second)
	minutes := win.bucket.Minutes()
	ctx := r.Context()
	// The bucket in integer microseconds: date_diff('second', …) on every
	// row cost 15× more (1.3 s for 2.2 M events), and start is a whole
	// bucket so both give the same bucket from start on. event_rows, not
	// the events view, as above.
	us := secs * 1_000_000
	res, err := s.Backend.QueryArgs(ctx, `SELECT source_id,
		(epoch_us(received_at) - epoch_us(?::TIMESTAMPTZ)) // ? AS bucket, count(*) AS n
		FROM event_rows WHERE received_at >= ?::TIMESTAMPTZ AND received_at < ?::TIMESTAMPTZ
		GROUP BY 1, 2 ORDER BY 1, 2`, []any{start, us, start, end})
	if err != nil {
		s.Logger.Error("quality: rates", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the ingest rates")
		return
	}
	names := map[string]string{}
	for _, src := range s.Backend.SourceList() {
		names[src.ID] = src.Name
	}
	type series struct {
		SourceID  string    `json:"source_id"`
		Name      string    `json:"name"`
		Events    int64     `json:"events"`
		PerMinute []float64 `json:"per_minute"`
	}
	var out []*series
	byID := map[string]*series{}
	for _, row := range res.Rows {
		id, _ := row[0].(string)
		b := int(toInt(row[1]))
		if b < 0 || b >= n {
			continue
		}
		sr := byID[id]
		if sr == nil {
			name := names[id]
			if name == "" {
				name = id
			}
			sr = &series{SourceID: id, Name: name, PerMinute: make([]float64, n)}
			byID[id] = sr
			out = append(out, sr)
		}
		c := toInt(row[2])
		sr.Events += c
		sr.PerMinute[b] = round2(float64(c) / minutes)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Events > out[j].Events })
	res, err = s.Backend.QueryArgs(ctx, `SELECT
		(epoch_us(quarantined_at) - epoch_us(?::TIMESTAMPTZ)) // ? AS bucket, count(*) AS n
		FROM quarantine WHERE quarantined_at >= ?::TIMESTAMPTZ AND quarantined_at < ?::TIMESTAMPTZ
		GROUP BY 1 ORDER BY 1`, []any{start, us, start, end})
	if err != nil {
		s.Logger.Error("quality: quarantine rates", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the quarantine")
		return
	}
	quarantined := make([]float64, n)
	for _, row := range res.Rows {
		if b := int(toInt(row[0])); b >= 0 && b < n {
			quarantined[b] = round2(float64(toInt(row[1])) / minutes)
		}
	}
	buckets := make([]time.Time, n)
	for i := range buckets {
		buckets[i] = start.Add(time.Duration(i) * win.bucket)
	}
	if out == nil {
		out = []*series{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"window": name, "from": start, "to": end, "bucket_seconds": secs,
		"buckets": buckets, "series": out, "quarantined_per_minute": quarantined})
}

// quarantineOrigins are the places a rejection comes from.
var quarantineOrigins = map[string]bool{"http": true, "import": true, "webhook": true, "writer": true}

// qualityQuarantine answers GET /v1/quality/quarantine?source=&origin=
// &limit=50&offset=0: the newest quarantined messages and rows with where
// they came from, the field and the reason, and (on the first page) the
// most frequent reasons of the last 7 days.
//
// The quarantine keeps no content: an HTTP or webhook rejection keeps its
// field and reason, an imported row its line (the row itself goes to the
// import's report and quarantine file, redacted by the privacy service).
// Reasons never quote a value, but a field name comes from the sender's
// JSON, so both are scrubbed of anything that looks like an e-mail address
// or phone number before they are shown.
func (s *Server) qualityQuarantine(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset := 50, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			ingest.WriteError(w, http.StatusBadRequest, "limit", "limit must be 1 to 200")
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100000 {
			ingest.WriteError(w, http.StatusBadRequest, "offset", "offset must be 0 to 100000")
			return
		}
		offset = n
	}
	where := []string{"TRUE"}
	var args []any
	if v := q.Get("source"); v != "" {
		where = append(where, "source_id = ?")
		args = append(args, v)
	}
	if v := q.Get("origin"); v != "" {
		if !quarantineOrigins[v] {
			ingest.WriteError(w, http.StatusBadRequest, "origin", "origin must be http, import, webhook or writer")
			return
		}
		where = append(where, "origin = ?")
		args = append(args, v)
	}
	cond := strings.Join(where, " AND ")
	ctx := r.Context()
	res, err := s.Backend.QueryArgs(ctx, `SELECT quarantined_at, source_id, origin, import_id, line, "index", field, reason, seq
		FROM quarantine WHERE `+cond+`
		ORDER BY quarantined_at DESC, source_id, import_id, line, "index", seq LIMIT ? OFFSET ?`,
		append(append([]any{}, args...), limit+1, offset))
	if err != nil {
		s.Logger.Error("quality: quarantine", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the quarantine")
		return
	}
	names := map[string]string{}
	for _, src := range s.Backend.SourceList() {
		names[src.ID] = src.Name
	}
	entries := make([]map[string]any, 0, min(len(res.Rows), limit))
	for i, row := range res.Rows {
		if i == limit {
			break
		}
		e := map[string]any{}
		for j, c := range res.Columns {
			v := JSONValue(row[j])
			if str, ok := v.(string); ok && (c == "field" || c == "reason") {
				v = audit.ScrubString(str)
			}
			e[c] = v
		}
		if id, _ := row[1].(string); id != "" {
			e["source_name"] = names[id]
		}
		entries = append(entries, e)
	}
	out := map[string]any{"entries": entries, "limit": limit, "offset": offset}
	if len(res.Rows) > limit {
		out["next_offset"] = offset + limit
	}
	if offset == 0 {
		since := qualityNow().UTC().Add(-7 * 24 * time.Hour)
		res, err = s.Backend.QueryArgs(ctx, `SELECT field, reason, count(*) AS count, max(quarantined_at) AS last
			FROM quarantine WHERE `+cond+` AND quarantined_at >= ?::TIMESTAMPTZ
			GROUP BY field, reason ORDER BY count DESC, last DESC LIMIT 10`, append(append([]any{}, args...), since))
		if err != nil {
			s.Logger.Error("quality: quarantine reasons", "err", err)
			ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the quarantine")
			return
		}
		top := make([]map[string]any, 0, len(res.Rows))
		for _, row := range res.Rows {
			field, _ := row[0].(string)
			reason, _ := row[1].(string)
			top = append(top, map[string]any{"field": audit.ScrubString(field), "reason": audit.ScrubString(reason),
				"count": toInt(row[2]), "last": JSONValue(row[3])})
		}
		out["top_reasons"] = top
	}
	writeJSON(w, http.StatusOK, out)
}

// toInt reads a count from the store.
func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint64:
		return int64(x)
	case uint32:
		return int64(x)
	case float64:
		return int64(x)
	}
	f := toFloat(v)
	if f != f { // NaN
		return 0
	}
	return int64(f)
}

func round2(f float64) float64 {
	return float64(int64(f*100+0.5)) / 100
}
