package privacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
)

// ErrNoPerson is returned when no data is held for an identifier.
var ErrNoPerson = errors.New("no person with that identifier is known; give user_id with source, or anonymous_id with source")

// ConsentRequest records a person's consent decision through the API.
type ConsentRequest struct {
	Identifier *Identifier      `json:"identifier"`
	Purposes   map[string]*bool `json:"purposes"`
	// LawfulBasis is the GDPR Art. 6 basis: consent (default), contract,
	// legal_obligation, vital_interests, public_task, legitimate_interests.
	LawfulBasis string `json:"lawful_basis"`
	// Proof says how the decision was obtained (form, version, text shown).
	Proof string `json:"proof"`
	// Timestamp is when the person decided; default now.
	Timestamp time.Time `json:"timestamp"`
}

// ConsentRecorded is what RecordConsent did.
type ConsentRecorded struct {
	Identities int      `json:"identities"`
	Purposes   []string `json:"purposes"`
}

var lawfulBases = map[string]bool{"consent": true, "contract": true, "legal_obligation": true,
	"vital_interests": true, "public_task": true, "legitimate_interests": true}

// RecordConsent writes a consent message for every identity of the person
// into the event log, so the decision is kept, replayed and erased with the
// rest of their data.
func (s *Service) RecordConsent(ctx context.Context, req ConsentRequest) (*ConsentRecorded, error) {
	if req.Identifier == nil {
		return nil, &FieldError{"identifier", "is required"}
	}
	if len(req.Purposes) == 0 {
		return nil, &FieldError{"purposes", "give at least one purpose: true|false (" + strings.Join(segment.Purposes, ", ") + ")"}
	}
	purposes := map[string]bool{}
	var names []string
	for k, v := range req.Purposes {
		if v == nil {
			return nil, &FieldError{"purposes." + k, "must be true or false"}
		}
		p, ok := segment.ConsentPurpose(k)
		if !ok {
			return nil, &FieldError{"purposes." + k, "is not a purpose (" + strings.Join(segment.Purposes, ", ") + ")"}
		}
		purposes[p] = *v
		names = append(names, p)
	}
	basis := strings.ToLower(strings.TrimSpace(req.LawfulBasis))
	if basis == "" {
		basis = "consent"
	}
	if !lawfulBases[basis] {
		return nil, &FieldError{"lawful_basis", "must be consent, contract, legal_obligation, vital_interests, public_task or legitimate_interests"}
	}
	if len(req.Proof) > 2000 {
		return nil, &FieldError{"proof", "is longer than 2000 characters"}
	}
	ts := req.Timestamp
	if ts.IsZero() {
		ts = time.Now().UTC()
	}
	ids, err := s.identitiesFor(ctx, *req.Identifier)
	if err != nil {
		return nil, err
	}
	if s.cfg.Publish == nil {
		return nil, errors.New("privacy: no publisher for consent")
	}
	for _, id := range ids {
		msg := map[string]any{"type": segment.Consent, "timestamp": ts.Format(time.RFC3339Nano),
			"properties": map[string]any{"purposes": purposes, "lawful_basis": basis, "proof": req.Proof}}
		if id.UserID != "" {
			msg["userId"] = id.UserID
		} else {
			msg["anonymousId"] = id.AnonymousID
		}
		raw, _ := json.Marshal(msg)
		if err := s.cfg.Publish(ctx, id.SourceID, raw); err != nil {
			return nil, fmt.Errorf("privacy: record consent: %w", err)
		}
	}
	return &ConsentRecorded{Identities: len(ids), Purposes: names}, nil
}

// identitiesFor finds the identities a consent decision applies to: the
// named one (user_id or anonymous_id with a source), or every identity
// linked to an identifier.
func (s *Service) identitiesFor(ctx context.Context, id Identifier) ([]store.Identity, error) {
	q, _, err := s.resolve(id)
	if err != nil {
		return nil, err
	}
	if id.Source != "" && (id.UserID != "" || id.AnonymousID != "") {
		return []store.Identity{{SourceID: id.Source, UserID: id.UserID, AnonymousID: id.AnonymousID}}, nil
	}
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	p, err := s.cfg.Store.FindPerson(ctx, q, s.cfg.MaxIdentities)
	if err != nil {
		return nil, err
	}
	var out []store.Identity
	for _, i := range p.Identities {
		if i.UserID != "" {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		// Only anonymous identities: record under the sources they were
		// seen in.
		srcs, err := s.anonSources(ctx, p)
		if err != nil {
			return nil, err
		}
		out = srcs
	}
	if len(out) == 0 {
		return nil, ErrNoPerson
	}
	return out, nil
}

// anonSources pairs each anonymous identity with the sources it sent from.
func (s *Service) anonSources(ctx context.Context, p *store.Person) ([]store.Identity, error) {
	data, err := s.cfg.Store.PersonData(ctx, p, "events")
	if err != nil {
		return nil, err
	}
	res := data["events"]
	if res == nil {
		return nil, nil
	}
	si, ai := -1, -1
	for i, c := range res.Columns {
		switch c {
		case "source_id":
			si = i
		case "anonymous_id":
			ai = i
		}
	}
	seen := map[store.Identity]bool{}
	var out []store.Identity
	for _, row := range res.Rows {
		src, _ := row[si].(string)
		aid, _ := row[ai].(string)
		id := store.Identity{SourceID: src, AnonymousID: aid}
		if aid != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// ConsentView is a person's consent: the current decision per purpose and
// the history, newest first.
type ConsentView struct {
	Identities []store.Identity    `json:"identities"`
	Current    map[string]Decision `json:"current"`
	History    []Decision          `json:"history"`
}

// Decision is one consent decision.
type Decision struct {
	Purpose     string    `json:"purpose"`
	Granted     bool      `json:"granted"`
	LawfulBasis string    `json:"lawful_basis,omitempty"`
	Origin      string    `json:"origin"`
	Proof       string    `json:"proof,omitempty"`
	Source      string    `json:"source"`
	Timestamp   time.Time `json:"timestamp"`
}

// Consent returns a person's consent.
func (s *Service) Consent(ctx context.Context, id Identifier) (*ConsentView, error) {
	q, _, err := s.resolve(id)
	if err != nil {
		return nil, err
	}
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	p, err := s.cfg.Store.FindPerson(ctx, q, s.cfg.MaxIdentities)
	if err != nil {
		return nil, err
	}
	return s.consentOf(ctx, p)
}

// ConsentOf returns the consent of a person whose identities the caller
// knows — a profile's, as identity resolution joined them — without
// following their links through every message: FindPerson reads the
// identity columns of every event row (a second for one person at
// 1,000,000 customers), which a customer's page need not wait for.
func (s *Service) ConsentOf(ctx context.Context, p *store.Person) (*ConsentView, error) {
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	return s.consentOf(ctx, p)
}

// consentOf reads the consent rows of a found person.
func (s *Service) consentOf(ctx context.Context, p *store.Person) (*ConsentView, error) {
	out := &ConsentView{Identities: p.Identities, Current: map[string]Decision{}, History: []Decision{}}
	if len(p.Identities) == 0 {
		return out, nil
	}
	data, err := s.cfg.Store.PersonData(ctx, p, "consent")
	if err != nil {
		return nil, err
	}
	res := data["consent"]
	col := map[string]int{}
	for i, c := range res.Columns {
		col[c] = i
	}
	str := func(row []any, c string) string { v, _ := row[col[c]].(string); return v }
	for _, row := range res.Rows {
		d := Decision{Purpose: str(row, "purpose"), LawfulBasis: str(row, "lawful_basis"), Origin: str(row, "origin"),
			Proof: str(row, "proof"), Source: str(row, "source_id")}
		d.Granted, _ = row[col["granted"]].(bool)
		d.Timestamp, _ = row[col["timestamp"]].(time.Time)
		d.Timestamp = d.Timestamp.UTC()
		out.History = append(out.History, d)
	}
	// Newest first; the current decision per purpose is the newest.
	slices.SortStableFunc(out.History, func(a, b Decision) int { return b.Timestamp.Compare(a.Timestamp) })
	for _, d := range out.History {
		if _, ok := out.Current[d.Purpose]; !ok {
			out.Current[d.Purpose] = d
		}
	}
	return out, nil
}
