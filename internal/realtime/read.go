package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/profile"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
)

// ErrProfileNotFound is returned for an unknown profile or identifier.
var ErrProfileNotFound = errors.New("profile not found")

// ProfileView is a profile as the API shows it.
type ProfileView struct {
	ID string `json:"profile_id"`
	// Requested is the id asked for when it was merged away into ID.
	Requested string `json:"requested_id,omitempty"`
	Note      string `json:"note,omitempty"`
	State     string `json:"state"` // live, or shared (holds a shared e-mail, phone or device)
	// Traits are the winning trait values, raw (high-tier values are
	// envelopes: the API decrypts or masks them by role).
	Traits map[string]json.RawMessage `json:"traits"`
	// Computed are the computed traits, by attribute name, at the clock.
	Computed   map[string]any      `json:"computed"`
	Identities []IdentityView      `json:"identities"`
	Segments   []MembershipView    `json:"segments"`
	Deviations []profile.Deviation `json:"deviations,omitempty"`
}

// IdentityView is one identifier of a profile. E-mails and phones are
// their blind-index tokens, never the address or number.
type IdentityView struct {
	Kind  string `json:"kind"`
	NS    string `json:"ns,omitempty"`
	Value string `json:"value"`
}

// MembershipView is one segment a profile belongs to.
type MembershipView struct {
	ID    string    `json:"segment_id"`
	Name  string    `json:"name"`
	Since time.Time `json:"since"`
}

// Profile returns a profile by id; an id merged away answers with the
// surviving profile and says so.
func (e *Engine) Profile(id string, now time.Time) (*ProfileView, error) {
	snap := e.db.NewSnapshot()
	defer snap.Close()
	kvI, kvP := view(snap, nil, prefIdentity), view(snap, nil, prefProfile)
	canon, err := e.parts.graph.Canonical(kvI, id)
	if errors.Is(err, identity.ErrNotFound) {
		return nil, ErrProfileNotFound
	}
	if err != nil {
		return nil, err
	}
	info, err := e.parts.graph.Profile(kvI, canon)
	if errors.Is(err, identity.ErrNotFound) {
		return nil, ErrProfileNotFound
	}
	if err != nil {
		return nil, err
	}
	prof, ok, err := e.parts.keeper.Load(kvP, canon)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrProfileNotFound
	}
	v := &ProfileView{ID: canon, State: info.State, Traits: prof.Traits, Computed: prof.Attrs(now),
		Deviations: prof.Deviations, Identities: []IdentityView{}, Segments: []MembershipView{}}
	if v.Traits == nil {
		v.Traits = map[string]json.RawMessage{}
	}
	if canon != id {
		v.Requested = id
		v.Note = fmt.Sprintf("profile %s was merged into %s", id, canon)
	}
	ids, err := e.parts.graph.Identities(kvI, canon)
	if err != nil {
		return nil, err
	}
	for _, i := range ids {
		v.Identities = append(v.Identities, IdentityView{Kind: i.Kind, NS: i.NS, Value: i.Value})
	}
	mem, err := e.parts.members(snap, canon)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	for sid, since := range mem {
		v.Segments = append(v.Segments, MembershipView{ID: sid, Name: e.defs[sid].Name, Since: since})
	}
	e.mu.Unlock()
	slices.SortFunc(v.Segments, func(a, b MembershipView) int { return strings.Compare(a.ID, b.ID) })
	return v, nil
}

// Lookup finds the profile of an identifier (exact match; e-mails and
// phones by their blind-index token).
func (e *Engine) Lookup(id identity.ID) (string, error) {
	snap := e.db.NewSnapshot()
	defer snap.Close()
	if id.Kind == identity.User {
		if s, ok := e.cfg.SharedUserSpaces[id.NS]; ok {
			id.NS = s
		}
	}
	pid, ok, err := e.parts.graph.Resolve(view(snap, nil, prefIdentity), id)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrProfileNotFound
	}
	return pid, nil
}

// Merges returns a page of the merge log, newest first.
func (e *Engine) Merges(f identity.MergeFilter) ([]identity.Merge, error) {
	snap := e.db.NewSnapshot()
	defer snap.Close()
	return e.parts.graph.Merges(view(snap, nil, prefIdentity), f)
}

// Conflicts returns a page of the conflict log, newest first.
func (e *Engine) Conflicts(f identity.ConflictFilter) ([]identity.Conflict, error) {
	snap := e.db.NewSnapshot()
	defer snap.Close()
	return e.parts.graph.Conflicts(view(snap, nil, prefIdentity), f)
}

// Unmerge undoes a merge: the profile splits back into the parts the merge
// joined, both are rebuilt from their messages and re-evaluated, and the
// same link is not made again automatically. The request goes through the
// log (an identity_unmerge message) and takes effect when the engine reads
// it there, so a replay of the log undoes the merge at the same point.
func (e *Engine) Unmerge(ctx context.Context, mergeID, by string) (identity.UnmergeResult, error) {
	now := e.cfg.Now().UTC()
	id := fmt.Sprintf("unmerge-%s-%d", mergeID, now.UnixNano())
	body, _ := json.Marshal(map[string]any{"type": segment.IdentityUnmerge, "messageId": id,
		"timestamp": now.Format(time.RFC3339Nano), "properties": map[string]any{"merge_id": mergeID, "by": by}})
	done := make(chan unmergeOutcome, 1)
	e.waitMu.Lock()
	e.unmerges[id] = done
	e.waitMu.Unlock()
	defer func() {
		e.waitMu.Lock()
		delete(e.unmerges, id)
		e.waitMu.Unlock()
	}()
	if _, err := e.cfg.Log.Publish(ctx, []eventlog.Message{{Type: segment.IdentityUnmerge,
		Meta: eventlog.Meta{Source: engineSource, MessageID: id, ReceivedAt: now, Timestamp: now, Flags: eventlog.FlagPermanentKey},
		Data: body}}); err != nil {
		return identity.UnmergeResult{}, err
	}
	select {
	case o := <-done:
		return o.res, o.err
	case <-ctx.Done():
		return identity.UnmergeResult{}, ctx.Err()
	}
}

// unmergeOutcome is what the engine did with an unmerge message.
type unmergeOutcome struct {
	res identity.UnmergeResult
	err error
}

// applyUnmerge carries out an identity_unmerge message read from the log.
func (e *Engine) applyUnmerge(ctx context.Context, b *pebble.Batch, d eventlog.Delivery, now time.Time) ([]string, error) {
	var m struct {
		Properties struct {
			MergeID string `json:"merge_id"`
			By      string `json:"by"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(d.Data, &m)
	res, err := e.parts.graph.Unmerge(view(b, b, prefIdentity), m.Properties.MergeID, m.Properties.By, d.Meta.Timestamp)
	var rebuilt []string
	if err == nil {
		err = e.parts.mark(b, prefMerge, res.Merge.ID, res.Merge)
	}
	if err == nil {
		rebuilt, err = e.rebuild(ctx, b, append([]string{res.Kept, res.Restored}, res.Others...), d.Seq, now)
	}
	e.waitMu.Lock()
	if ch, ok := e.unmerges[d.Meta.MessageID]; ok {
		ch <- unmergeOutcome{res, err}
	}
	e.waitMu.Unlock()
	if errors.Is(err, identity.ErrNotFound) || errors.Is(err, identity.ErrAlreadyUndone) {
		return nil, nil // the request's answer says so; the log goes on
	}
	return rebuilt, err
}

// Forget removes every profile of the given sender identities (an
// erasure): identity graph, traits, segment state, memberships; the store's
// rows go with the next flush.
func (e *Engine) Forget(ctx context.Context, ids []store.Identity) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.db.NewIndexedBatch()
	defer b.Close()
	cache := newReadCache(e.cache)
	kvI, kvP, kvA := cachedView(b, cache, prefIdentity), cachedView(b, cache, prefProfile), cachedView(b, cache, prefAudience)
	seen := map[string]bool{}
	for _, s := range ids {
		id := identity.ID{Kind: identity.Anon, Value: s.AnonymousID}
		if s.UserID != "" {
			ns := s.SourceID
			if sp, ok := e.cfg.SharedUserSpaces[ns]; ok {
				ns = sp
			}
			id = identity.ID{Kind: identity.User, NS: ns, Value: s.UserID}
		}
		pid, ok, err := e.parts.graph.Resolve(kvI, id)
		if err != nil {
			return err
		}
		if !ok || seen[pid] {
			continue
		}
		seen[pid] = true
		if _, err := e.parts.graph.Forget(kvI, pid); err != nil {
			return err
		}
		if err := e.parts.keeper.Reset(kvP, pid); err != nil {
			return err
		}
		if err := e.parts.aud.Forget(kvA, pid); err != nil {
			return err
		}
		if err := e.parts.gone(b, cache, pid); err != nil {
			return err
		}
		if err := cachedView(b, cache, prefPrediction).Delete([]byte(pid)); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	cache.commit()
	return nil
}
