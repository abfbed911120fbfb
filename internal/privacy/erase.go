package privacy

import (
	"context"
	"fmt"
	"time"

	"github.com/tradewind/tradewind/internal/privacy/pii"
	"github.com/tradewind/tradewind/internal/store"
)

// runErasure carries out one erasure request and records its outcome.
func (s *Service) runErasure(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.reqs.get(ctx, id)
	if err != nil {
		return err
	}
	if r.Status != StatusPending || r.Query == nil {
		return nil
	}
	start := time.Now()
	res, err := s.Erase(ctx, *r.Query)
	now := time.Now().UTC()
	r.UpdatedAt = now
	if err != nil {
		if ctx.Err() != nil {
			return err // stopping: the request stays pending and resumes at the next start
		}
		r.Status = StatusFailed
		r.Error = errString(err)
		_ = s.reqs.put(context.WithoutCancel(ctx), r)
		return err
	}
	res.Seconds = time.Since(start).Seconds()
	r.Status = StatusCompleted
	r.Result = res
	r.Completed = &now
	// The tokens and ids the request looked for go with the person.
	r.Query = nil
	s.erasures.Inc()
	s.eraseSecs.Observe(res.Seconds)
	return s.reqs.put(context.WithoutCancel(ctx), r)
}

// Erase erases a person now: it puts their identifiers on the suppression
// list (first, so nothing new of them lands meanwhile), lets the store catch
// up with the log, finds every identity linked to them, suppresses those
// too, destroys the keys of all of them, deletes their rows from the store
// and securely deletes their messages from the event log.
//
// Each step is idempotent, so an erasure interrupted by a crash is simply
// run again at the next start.
func (s *Service) Erase(ctx context.Context, q store.PersonQuery) (*Result, error) {
	if err := s.cfg.Suppress.Add(s.queryHashes(q)...); err != nil {
		return nil, fmt.Errorf("privacy: suppression list: %w", err)
	}
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	p, err := s.cfg.Store.FindPerson(ctx, q, s.cfg.MaxIdentities)
	if err != nil {
		return nil, err
	}
	hashes := s.personHashes(p)
	if err := s.cfg.Suppress.Add(hashes...); err != nil {
		return nil, fmt.Errorf("privacy: suppression list: %w", err)
	}
	var ids []uint64
	for _, id := range p.Identities {
		if kid, ok := s.cfg.Keys.Lookup(pii.Subject(id.SourceID, id.UserID, id.AnonymousID)); ok {
			ids = append(ids, kid)
		}
	}
	if err := s.cfg.Keys.Destroy(ids...); err != nil {
		return nil, fmt.Errorf("privacy: destroy keys: %w", err)
	}
	if s.OnErase != nil {
		if err := s.OnErase(ctx, p.Identities); err != nil {
			return nil, fmt.Errorf("privacy: forget profiles: %w", err)
		}
	}
	erased, err := s.cfg.Store.ErasePerson(ctx, p)
	if err != nil {
		return nil, err
	}
	n, err := s.cfg.Log.SecureDelete(ctx, erased.Seqs)
	if err != nil {
		return nil, err
	}
	return &Result{Identities: len(p.Identities), KeysDestroyed: len(ids), RowsDeleted: erased.Rows,
		MessagesDeleted: n, Suppressed: len(hashes)}, nil
}

// catchUp waits until the store has applied everything the log holds now.
func (s *Service) catchUp(ctx context.Context) error {
	last, err := s.cfg.Log.LastSeq(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		applied, err := s.cfg.Store.AppliedSeq(ctx)
		if err != nil {
			return err
		}
		if applied >= last {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("privacy: the store did not catch up with the log (at %d of %d): %w", applied, last, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// queryHashes are the suppression entries of a query's own identifiers.
func (s *Service) queryHashes(q store.PersonQuery) [][32]byte {
	var out [][32]byte
	for _, t := range q.Tokens {
		out = append(out, s.tokenHash(t.Kind, t.Token))
	}
	for _, u := range q.UserIDs {
		if u.SourceID != "" {
			out = append(out, s.userHash(u.SourceID, u.UserID))
		}
	}
	for _, a := range q.AnonymousIDs {
		out = append(out, s.anonHash(a))
	}
	return out
}

// personHashes are the suppression entries of every identity and
// identifier of a person.
func (s *Service) personHashes(p *store.Person) [][32]byte {
	var out [][32]byte
	for _, id := range p.Identities {
		if id.UserID != "" {
			out = append(out, s.userHash(id.SourceID, id.UserID))
		}
		if id.AnonymousID != "" {
			out = append(out, s.anonHash(id.AnonymousID))
		}
	}
	for _, t := range p.Tokens {
		out = append(out, s.tokenHash(t.Kind, t.Token))
	}
	return out
}

// Reapply erases, again, every person on the suppression list whom the
// store holds: after a restore from a backup taken before their erasure, or
// a replay into a new store. It returns how many erasures it ran.
func (s *Service) Reapply(ctx context.Context) (int, error) {
	if s.cfg.Suppress.Len() == 0 {
		return 0, nil
	}
	if err := s.catchUp(ctx); err != nil {
		return 0, err
	}
	var qs []store.PersonQuery
	seen := map[[32]byte]bool{}
	err := s.cfg.Store.EachIdentity(ctx, func(id store.Identity, tok store.KindToken) error {
		var q store.PersonQuery
		switch {
		case tok.Token != "" && s.cfg.Suppress.Contains(s.tokenHash(tok.Kind, tok.Token)):
			h := s.tokenHash(tok.Kind, tok.Token)
			if !seen[h] {
				seen[h] = true
				q.Tokens = []store.KindToken{tok}
			}
		case id.UserID != "" && s.cfg.Suppress.Contains(s.userHash(id.SourceID, id.UserID)):
			h := s.userHash(id.SourceID, id.UserID)
			if !seen[h] {
				seen[h] = true
				q.UserIDs = []store.Identity{{SourceID: id.SourceID, UserID: id.UserID}}
			}
		case id.AnonymousID != "" && s.cfg.Suppress.Contains(s.anonHash(id.AnonymousID)):
			h := s.anonHash(id.AnonymousID)
			if !seen[h] {
				seen[h] = true
				q.AnonymousIDs = []string{id.AnonymousID}
			}
		}
		if len(q.Tokens)+len(q.UserIDs)+len(q.AnonymousIDs) > 0 {
			qs = append(qs, q)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range qs {
		if _, err := s.Erase(ctx, q); err != nil {
			return 0, err
		}
	}
	if len(qs) > 0 {
		s.cfg.Logger.Info("suppression list re-applied", "erasures", len(qs))
	}
	return len(qs), nil
}
