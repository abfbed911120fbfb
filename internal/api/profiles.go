package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/audience"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/privacy/pii"
	"github.com/tradewind/tradewind/internal/realtime"
	"github.com/tradewind/tradewind/internal/sqltext"
	"github.com/tradewind/tradewind/internal/store"
)

func (s *Server) profileRoutes() []Route {
	if s.Profiles == nil {
		return nil
	}
	return []Route{
		{Method: "GET", Path: "/v1/profiles", Perm: auth.CustomersRead, handler: s.findProfile},
		{Method: "GET", Path: "/v1/profiles/{id}", Perm: auth.CustomersRead, handler: s.getProfile},
		{Method: "GET", Path: "/v1/profiles/{id}/timeline", Perm: auth.CustomersRead, handler: s.profileTimeline},
		{Method: "GET", Path: "/v1/identity/merges", Perm: auth.CustomersRead, handler: s.listMerges},
		{Method: "POST", Path: "/v1/identity/merges/{id}/undo", Perm: auth.IdentityWrite, handler: s.audited("identity.unmerge", s.undoMerge)},
		{Method: "GET", Path: "/v1/identity/conflicts", Perm: auth.CustomersRead, handler: s.listConflicts},
		{Method: "GET", Path: "/v1/segments", Perm: auth.DashboardRead, handler: s.listSegments},
		{Method: "POST", Path: "/v1/segments", Perm: auth.SegmentsWrite, handler: s.audited("segment.create", s.saveSegment(true))},
		{Method: "POST", Path: "/v1/segments/preview", Perm: auth.DashboardRead, handler: s.previewSegment},
		{Method: "GET", Path: "/v1/segments/{id}", Perm: auth.DashboardRead, handler: s.getSegment},
		{Method: "PUT", Path: "/v1/segments/{id}", Perm: auth.SegmentsWrite, handler: s.audited("segment.change", s.saveSegment(false))},
		{Method: "DELETE", Path: "/v1/segments/{id}", Perm: auth.SegmentsWrite, handler: s.audited("segment.delete", s.deleteSegment)},
		{Method: "GET", Path: "/v1/segments/{id}/members", Perm: auth.CustomersRead, handler: s.segmentMembers},
	}
}

// identifierQuery reads an identifier from the query string: email, phone
// (with region or source), user_id with source, anonymous_id, or a platform
// id (kind=…&value=…&ns=…).
func (s *Server) identifierQuery(r *http.Request) (identity.ID, bool, error) {
	q := r.URL.Query()
	switch {
	case q.Get("email") != "":
		norm, ok := pii.NormalizeEmail(q.Get("email"))
		if !ok {
			return identity.ID{}, true, &fieldErr{"email", "is not an e-mail address"}
		}
		return identity.ID{Kind: identity.Email, Value: string(pii.BlindIndex(s.Privacy.IndexKey(), "email", norm))}, true, nil
	case q.Get("phone") != "":
		region := q.Get("region")
		if region == "" && q.Get("source") != "" {
			if src, ok := s.sourceByID(q.Get("source")); ok {
				region = src
			}
		}
		norm, ok := pii.NormalizePhone(q.Get("phone"), region)
		if !ok {
			return identity.ID{}, true, &fieldErr{"phone", "is not a phone number (international format, or give region)"}
		}
		return identity.ID{Kind: identity.Phone, Value: string(pii.BlindIndex(s.Privacy.IndexKey(), "phone", norm))}, true, nil
	case q.Get("user_id") != "":
		if q.Get("source") == "" {
			return identity.ID{}, true, &fieldErr{"source", "is required with user_id (user ids are per source)"}
		}
		return identity.ID{Kind: identity.User, NS: q.Get("source"), Value: q.Get("user_id")}, true, nil
	case q.Get("anonymous_id") != "":
		return identity.ID{Kind: identity.Anon, Value: q.Get("anonymous_id")}, true, nil
	case q.Get("kind") != "":
		return identity.ID{Kind: q.Get("kind"), NS: q.Get("ns"), Value: q.Get("value")}, true, nil
	}
	return identity.ID{}, false, nil
}

// sourceByID gives a source's country (the default region of its phones).
func (s *Server) sourceByID(id string) (string, bool) {
	for _, src := range s.Backend.SourceList() {
		if src.ID == id {
			return src.Country, true
		}
	}
	return "", false
}

type fieldErr struct{ field, reason string }

func (e *fieldErr) Error() string { return e.field + " " + e.reason }

// findProfile answers GET /v1/profiles?email=… (or phone, user_id+source,
// anonymous_id, kind+ns+value): the profile of an identifier, found by exact
// match. Without an identifier: ?segment=ID lists a segment's members.
func (s *Server) findProfile(w http.ResponseWriter, r *http.Request) {
	id, ok, err := s.identifierQuery(r)
	var fe *fieldErr
	if errors.As(err, &fe) {
		ingest.WriteError(w, http.StatusBadRequest, fe.field, fe.Error())
		return
	}
	if !ok {
		if seg := r.URL.Query().Get("segment"); seg != "" {
			r.SetPathValue("id", seg)
			s.segmentMembers(w, r)
			return
		}
		ingest.WriteError(w, http.StatusBadRequest, "", "give an identifier: email, phone, user_id with source, anonymous_id, or kind with value (or segment)")
		return
	}
	pid, err := s.Profiles.Lookup(id)
	if errors.Is(err, realtime.ErrProfileNotFound) {
		ingest.WriteError(w, http.StatusNotFound, "", "no profile has that identifier (search is an exact match on the normalised value)")
		return
	}
	if err != nil {
		s.Logger.Error("profile lookup", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not look the profile up")
		return
	}
	s.writeProfile(w, r, pid)
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) {
	s.writeProfile(w, r, r.PathValue("id"))
}

// writeProfile answers with a profile; its personal traits decrypted for
// principals with pii.read, masked for the rest.
func (s *Server) writeProfile(w http.ResponseWriter, r *http.Request, pid string) {
	v, err := s.Profiles.Profile(pid, s.now())
	if errors.Is(err, realtime.ErrProfileNotFound) {
		ingest.WriteError(w, http.StatusNotFound, "", "profile not found")
		return
	}
	if err != nil {
		s.Logger.Error("profile read", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the profile")
		return
	}
	masked := !principal(r).Can(auth.PIIRead)
	traits := map[string]any{}
	personal := 0
	for k, raw := range v.Traits {
		var val any
		if json.Unmarshal(raw, &val) != nil {
			continue
		}
		if sv, ok := val.(string); ok && pii.IsEnvelope(sv) {
			personal++
		}
		traits[k] = s.Privacy.Reveal(val, masked)
	}
	computed := map[string]any{}
	for k, val := range v.Computed {
		computed[k] = JSONValue(val)
	}
	if !masked && personal > 0 {
		s.watchAccess(r, 1)
	}
	writeJSON(w, http.StatusOK, map[string]any{"profile_id": v.ID, "requested_id": v.Requested, "note": v.Note,
		"state": v.State, "traits": traits, "computed": computed, "identities": v.Identities,
		"segments": v.Segments, "deviations": v.Deviations, "predictions": s.profilePredictions(r, v.ID), "masked": masked})
}

// profileTimeline answers GET /v1/profiles/{id}/timeline?limit=&before=
// (before: a log sequence, for the next page) with the profile's messages,
// newest first.
func (s *Server) profileTimeline(w http.ResponseWriter, r *http.Request) {
	v, err := s.Profiles.Profile(r.PathValue("id"), s.now())
	if errors.Is(err, realtime.ErrProfileNotFound) {
		ingest.WriteError(w, http.StatusNotFound, "", "profile not found")
		return
	}
	if err != nil {
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the profile")
		return
	}
	limit := 100
	if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && l > 0 && l <= 1000 {
		limit = l
	}
	before := uint64(1<<63 - 1)
	if b, err := strconv.ParseUint(r.URL.Query().Get("before"), 10, 63); err == nil {
		before = b
	}
	res, err := s.timeline(r.Context(), v.ID, before, limit)
	if err != nil {
		s.Logger.Error("timeline", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the timeline")
		return
	}
	masked := !principal(r).Can(auth.PIIRead)
	out := make([]map[string]any, 0, len(res.Rows))
	for _, row := range res.Rows {
		m := map[string]any{}
		for i, c := range res.Columns {
			m[c] = JSONValue(s.Privacy.Reveal(row[i], masked))
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"profile_id": v.ID, "events": out})
}

func (s *Server) listMerges(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	ms, err := s.Profiles.Merges(identity.MergeFilter{Profile: q.Get("profile"), Before: q.Get("before"), Limit: limit})
	if err != nil {
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the merge log")
		return
	}
	// The identifiers that linked are in the reason, masked; the raw ones
	// stay in the engine (an unmerge needs them).
	out := make([]map[string]any, 0, len(ms))
	for _, m := range ms {
		out = append(out, map[string]any{"id": m.ID, "seq": m.Seq, "message_id": m.MessageID, "at": m.At,
			"into": m.Into, "from": m.From, "reason": m.Reason, "undone_at": m.UndoneAt, "undone_by": m.UndoneBy})
	}
	writeJSON(w, http.StatusOK, map[string]any{"merges": out})
}

func (s *Server) listConflicts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	cs, err := s.Profiles.Conflicts(identity.ConflictFilter{Profile: q.Get("profile"), Before: q.Get("before"), Limit: limit})
	if err != nil {
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the conflict log")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conflicts": cs})
}

func (s *Server) undoMerge(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	auditNote(w, id, nil)
	res, err := s.Profiles.Unmerge(r.Context(), id, principal(r).UserID)
	switch {
	case errors.Is(err, identity.ErrNotFound):
		ingest.WriteError(w, http.StatusNotFound, "", "no merge with that id")
		return
	case errors.Is(err, identity.ErrAlreadyUndone):
		ingest.WriteError(w, http.StatusConflict, "", "the merge was undone already")
		return
	case err != nil:
		s.Logger.Error("unmerge", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not undo the merge")
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) listSegments(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"segments": s.Profiles.Segments()})
}

func (s *Server) getSegment(w http.ResponseWriter, r *http.Request) {
	d, ok := s.Profiles.Segment(r.PathValue("id"))
	if !ok {
		ingest.WriteError(w, http.StatusNotFound, "", "segment not found")
		return
	}
	n, err := s.segmentCount(r, d.ID)
	out := map[string]any{"segment": d}
	if err == nil {
		out["members"] = n
	}
	writeJSON(w, http.StatusOK, out)
}

// segmentRequest is the body of a segment change: the rule as JSON, or as
// the text form in rule_text.
type segmentRequest struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Rule        json.RawMessage `json:"rule"`
	RuleText    string          `json:"rule_text"`
}

func (q segmentRequest) rule() (audience.Rule, error) {
	switch {
	case len(q.Rule) > 0 && string(q.Rule) != "null":
		return audience.ParseJSON(q.Rule)
	case strings.TrimSpace(q.RuleText) != "":
		return audience.ParseText(q.RuleText)
	}
	return nil, errors.New("give rule (JSON) or rule_text")
}

func (s *Server) saveSegment(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req segmentRequest
		if !decode(w, r, &req) {
			return
		}
		if !create {
			req.ID = r.PathValue("id")
		}
		rule, err := req.rule()
		if err != nil {
			ingest.WriteError(w, http.StatusBadRequest, "rule", err.Error())
			return
		}
		d, err := s.Profiles.SaveSegment(r.Context(), realtime.SegmentDef{ID: req.ID, Name: req.Name,
			Description: req.Description, Rule: audience.FormatJSON(rule)}, create, principal(r).UserID)
		var se *realtime.SegmentError
		switch {
		case errors.As(err, &se):
			ingest.WriteError(w, http.StatusBadRequest, se.Field, se.Error())
			return
		case errors.Is(err, realtime.ErrSegmentExists):
			ingest.WriteError(w, http.StatusConflict, "id", err.Error())
			return
		case errors.Is(err, realtime.ErrSegmentNotFound):
			ingest.WriteError(w, http.StatusNotFound, "", err.Error())
			return
		case err != nil:
			s.Logger.Error("save segment", "err", err)
			ingest.WriteError(w, http.StatusInternalServerError, "", "could not save the segment")
			return
		}
		auditNote(w, d.ID, map[string]any{"rule": d.RuleText})
		status := http.StatusOK
		if create {
			status = http.StatusCreated
		}
		writeJSON(w, status, d)
	}
}

func (s *Server) deleteSegment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	auditNote(w, id, nil)
	if err := s.Profiles.DeleteSegment(r.Context(), id); err != nil {
		if errors.Is(err, realtime.ErrSegmentNotFound) {
			ingest.WriteError(w, http.StatusNotFound, "", err.Error())
			return
		}
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not delete the segment")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// previewSegment answers POST /v1/segments/preview {rule|rule_text} with
// the number of profiles the rule selects now, before it is saved.
func (s *Server) previewSegment(w http.ResponseWriter, r *http.Request) {
	var req segmentRequest
	if !decode(w, r, &req) {
		return
	}
	rule, err := req.rule()
	if err != nil {
		ingest.WriteError(w, http.StatusBadRequest, "rule", err.Error())
		return
	}
	n, err := s.Profiles.Preview(r.Context(), rule, s.now())
	if err != nil {
		ingest.WriteError(w, http.StatusBadRequest, "rule", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": n, "rule_text": audience.Format(rule)})
}

func (s *Server) segmentCount(r *http.Request, id string) (int64, error) {
	res, err := s.Backend.QueryArgs(r.Context(), "SELECT count(*) FROM segment_members WHERE segment_id = ?", []any{id})
	if err != nil || len(res.Rows) == 0 {
		return 0, err
	}
	n, _ := res.Rows[0][0].(int64)
	return n, nil
}

// segmentMembers answers GET /v1/segments/{id}/members?limit=&after=
// (after: the last profile id of the previous page) with a page of member
// profiles; ?format=csv exports all of them as CSV.
func (s *Server) segmentMembers(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := s.Profiles.Segment(id); !ok {
		ingest.WriteError(w, http.StatusNotFound, "", "segment not found")
		return
	}
	q := r.URL.Query()
	csvOut := q.Get("format") == "csv"
	limit := 100
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 && l <= 10000 {
		limit = l
	}
	if csvOut {
		limit = 1 << 30
	}
	// The page of members first, then their profiles: joined before the
	// limit, every member's profile was looked up (85 against 47 ms for 50
	// of 116,340 members at 1,000,000 customers, bench/dashboard).
	res, err := s.Backend.QueryArgs(r.Context(), `SELECT m.profile_id, m.since, p.country, p.orders, p.net_revenue_base,
		p.last_order_at, p.marketplaces
		FROM (SELECT profile_id, since FROM segment_members WHERE segment_id = ? AND profile_id > ? ORDER BY profile_id LIMIT ?) m
		LEFT JOIN profiles p USING (profile_id) ORDER BY m.profile_id`, []any{id, q.Get("after"), limit})
	if err != nil {
		s.Logger.Error("segment members", "err", err)
		ingest.WriteError(w, http.StatusInternalServerError, "", "could not read the members")
		return
	}
	if csvOut {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write(res.Columns)
		for _, row := range res.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = csvCell(JSONValue(v))
			}
			_ = cw.Write(rec)
		}
		cw.Flush()
		s.record(r, "segment.export", id, "ok", map[string]any{"rows": len(res.Rows)})
		return
	}
	members := make([]map[string]any, 0, len(res.Rows))
	for _, row := range res.Rows {
		m := map[string]any{}
		for i, c := range res.Columns {
			m[c] = JSONValue(row[i])
		}
		members = append(members, m)
	}
	out := map[string]any{"segment_id": id, "members": members}
	if len(members) == limit {
		out["next_after"] = members[len(members)-1]["profile_id"]
	}
	writeJSON(w, http.StatusOK, out)
}

// csvCell writes a JSON value as a CSV cell (lists joined by "|").
func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = csvCell(e)
		}
		return strings.Join(parts, "|")
	}
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

// timeline reads a profile's messages older than before, newest first.
// The events view gives every row its profile through two joins over the
// whole event table (1.7 s for one profile at 100,000 people); this reads
// the profile's identities first and then only their rows, in two steps:
//
//  1. the page's sequences, from narrow columns only: the rows of its user
//     ids (of the user id's own source: the mapping's key), of its
//     anonymous ids without a user id, and the node's own messages that
//     name it. Each kind is found by one-column filters with literal
//     values, which DuckDB applies inside the scan and checks against each
//     row group's zone map (a parameter it would compare row by row);
//  2. the page's rows, by those sequences.
//
// Reading the JSON columns of the rows that step 1 keeps, before the
// limit, cost most of the old single query: a message's properties are
// decompressed with the rest of its vector, so reading them for every
// message of a profile that has hundreds costs hundreds of vectors.
func (s *Server) timeline(ctx context.Context, profileID string, before uint64, limit int) (*store.Result, error) {
	ids, err := s.senders(ctx, profileID)
	if err != nil {
		return nil, err
	}
	var q sqltext.Query
	var users, pairs, anons []string
	for _, id := range ids {
		if id.UserID != "" {
			users = append(users, q.String(id.UserID))
			pairs = append(pairs, "(source_id = "+q.String(id.SourceID)+" AND user_id = "+q.String(id.UserID)+")")
		} else {
			anons = append(anons, q.String(id.AnonymousID))
		}
	}
	own, err := s.ownMessages(ctx, &q, profileID, before)
	if err != nil {
		return nil, err
	}
	beforeLit := strconv.FormatUint(before, 10)
	var parts []string
	if len(users) > 0 {
		in := strings.Join(users, ", ")
		parts = append(parts, `SELECT seq, "timestamp" FROM event_rows WHERE user_id IN (`+in+`) AND seq < `+beforeLit+
			` AND (`+strings.Join(pairs, " OR ")+`)`)
		own += ` AND (user_id IS NULL OR user_id NOT IN (` + in + `))`
	}
	if len(anons) > 0 {
		in := strings.Join(anons, ", ")
		parts = append(parts, `SELECT seq, "timestamp" FROM event_rows WHERE user_id IS NULL AND anonymous_id IN (`+in+`) AND seq < `+beforeLit)
		own += ` AND (user_id IS NOT NULL OR anonymous_id IS NULL OR anonymous_id NOT IN (` + in + `))`
	}
	parts = append(parts, own)
	page, err := s.Backend.QueryArgs(ctx, `SELECT seq FROM (`+strings.Join(parts, "\nUNION ALL\n")+`)
		ORDER BY "timestamp" DESC, seq DESC LIMIT `+strconv.Itoa(limit), q.Args())
	if err != nil {
		return nil, err
	}
	if len(page.Rows) == 0 {
		return s.Backend.QueryArgs(ctx, `SELECT seq, type, event, name, "timestamp", source_id, properties FROM event_rows
		WHERE false`, nil)
	}
	return s.Backend.QueryArgs(ctx, `SELECT seq, type, event, name, "timestamp", source_id, properties FROM event_rows
		WHERE seq IN (`+seqList(page)+`) ORDER BY "timestamp" DESC, seq DESC`, nil)
}

// senders are a profile's sender identities as the store's identity
// mapping holds them: its user ids with their sources, and its anonymous
// ids.
func (s *Server) senders(ctx context.Context, profileID string) ([]store.Identity, error) {
	res, err := s.Backend.QueryArgs(ctx, `SELECT source_id, user_id, NULL FROM profile_users WHERE profile_id = ?
		UNION ALL SELECT NULL, NULL, anonymous_id FROM profile_anons WHERE profile_id = ?`, []any{profileID, profileID})
	if err != nil {
		return nil, err
	}
	ids := make([]store.Identity, 0, len(res.Rows))
	for _, row := range res.Rows {
		src, _ := row[0].(string)
		user, _ := row[1].(string)
		anon, _ := row[2].(string)
		ids = append(ids, store.Identity{SourceID: src, UserID: user, AnonymousID: anon})
	}
	return ids, nil
}

// seqList writes the log sequences in the first column of res as a list
// of SQL literals: DuckDB checks a literal list against each row group's
// zone map, and the log's sequences lie in order.
func seqList(res *store.Result) string {
	var b strings.Builder
	for i, row := range res.Rows {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, row[0])
	}
	return b.String()
}

// ownMessages is the part of a timeline's first step that reads the
// node's own messages naming the profile (source _tradewind: they carry no
// user or anonymous id, and name the profile in properties.profile_id),
// with their sequence and time; its values go into q. With OwnMessages the
// store keeps which profile each names (own_message_profiles), so the
// profile's are read by their sequences, which DuckDB's zone maps find in a
// few row groups; without it every own message's JSON is read (the text
// test first spares parsing most).
func (s *Server) ownMessages(ctx context.Context, q *sqltext.Query, profileID string, before uint64) (string, error) {
	beforeLit := strconv.FormatUint(before, 10)
	if s.OwnMessages == nil {
		pid := q.String(profileID)
		return `SELECT seq, "timestamp" FROM event_rows WHERE source_id = '_tradewind' AND seq < ` + beforeLit + `
		AND contains(CAST(properties AS VARCHAR), ` + pid + `) AND json_extract_string(properties, '$.profile_id') = ` + pid, nil
	}
	if _, err := s.OwnMessages(ctx); err != nil {
		return "", err
	}
	res, err := s.Backend.QueryArgs(ctx, "SELECT DISTINCT seq FROM own_message_profiles WHERE profile_id = ? AND seq < ? ORDER BY seq", []any{profileID, before})
	if err != nil {
		return "", err
	}
	if len(res.Rows) == 0 {
		return `SELECT seq, "timestamp" FROM event_rows WHERE false`, nil
	}
	return `SELECT seq, "timestamp" FROM event_rows WHERE seq IN (` + seqList(res) + `) AND source_id = '_tradewind'`, nil
}

// now is the API's clock.
func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
