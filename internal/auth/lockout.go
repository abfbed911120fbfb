package auth

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LockoutPolicy is the back-off after failed logins: from the Threshold-th
// failure on, each failure locks for Base, doubling with every further
// failure up to Max. Attempts while locked are refused without checking the
// password, so they neither count nor tell a guesser anything. Failures are
// forgotten after ResetAfter without one.
type LockoutPolicy struct {
	Threshold  int
	Base, Max  time.Duration
	ResetAfter time.Duration
}

// DefaultAccountLockout: after 5 failures an account is locked for 1 min,
// then 2, 4, … up to 1 h per further failure; a successful login or a day
// without failures resets it. A guesser thus gets about one try an hour,
// while someone who mistyped five times waits a minute.
var DefaultAccountLockout = LockoutPolicy{Threshold: 5, Base: time.Minute, Max: time.Hour, ResetAfter: 24 * time.Hour}

// DefaultIPLockout is looser, because an office behind one NAT address
// shares it, and is not reset by a success (a guesser with one valid
// account must not wipe their address's record); an hour without failures
// resets it. It stops one address from spraying passwords over many
// accounts.
var DefaultIPLockout = LockoutPolicy{Threshold: 20, Base: time.Minute, Max: time.Hour, ResetAfter: time.Hour}

// lockState is the failure record of one account or address.
type lockState struct {
	Failures int       `json:"failures"`
	Last     time.Time `json:"last"`
	Until    time.Time `json:"until,omitzero"`
}

// current returns st, or the zero state if it has been forgotten.
func (p LockoutPolicy) current(st lockState, now time.Time) lockState {
	if !st.Last.IsZero() && now.Sub(st.Last) >= p.ResetAfter && !now.Before(st.Until) {
		return lockState{}
	}
	return st
}

// fail records one failure at now.
func (p LockoutPolicy) fail(st lockState, now time.Time) lockState {
	st = p.current(st, now)
	st.Failures++
	st.Last = now
	if st.Failures >= p.Threshold {
		d := p.Base
		for i := p.Threshold; i < st.Failures && d < p.Max; i++ {
			d *= 2
		}
		st.Until = now.Add(min(d, p.Max))
	}
	return st
}

// wait is how long st still locks at now.
func (st lockState) wait(now time.Time) time.Duration {
	if now.Before(st.Until) {
		return st.Until.Sub(now)
	}
	return 0
}

// lockTable keeps lock states in memory, bounded: beyond max entries the
// forgotten ones are dropped, then arbitrary ones. Dropping costs only the
// record of some failures; an attacker would need max distinct keys (each
// costing an argon2 computation) to force it.
type lockTable struct {
	policy LockoutPolicy
	max    int
	mu     sync.Mutex
	m      map[string]lockState
}

func newLockTable(p LockoutPolicy, max int) *lockTable {
	return &lockTable{policy: p, max: max, m: map[string]lockState{}}
}

func (t *lockTable) get(key string, now time.Time) lockState {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.policy.current(t.m[key], now)
}

func (t *lockTable) fail(key string, now time.Time) lockState {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[key]; !ok && len(t.m) >= t.max {
		t.prune(now)
	}
	st := t.policy.fail(t.m[key], now)
	t.m[key] = st
	return st
}

func (t *lockTable) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}

func (t *lockTable) prune(now time.Time) {
	for k, st := range t.m {
		if t.policy.current(st, now).Failures == 0 {
			delete(t.m, k)
		}
	}
	for k := range t.m { // map order is random: an arbitrary tenth goes
		if len(t.m) < t.max*9/10 {
			break
		}
		delete(t.m, k)
	}
}

// Lock records of existing accounts are also kept in the sessions bucket, so
// every node of a cluster enforces the same lock; the bucket's TTL removes
// records nobody cleared. Keys use the user id, never the address.
const lockPrefix = "lock."

func (s *Service) storedLock(ctx context.Context, userID string) (lockState, uint64, error) {
	e, err := s.sessions.Get(ctx, lockPrefix+userID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return lockState{}, 0, nil
	}
	if err != nil {
		return lockState{}, 0, err
	}
	var st lockState
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return lockState{}, e.Revision(), nil
	}
	return st, e.Revision(), nil
}

// failStored records a failure of a known account in the bucket, with
// optimistic concurrency so parallel failures on several nodes all count.
func (s *Service) failStored(ctx context.Context, userID string, now time.Time) lockState {
	for range 5 {
		st, rev, err := s.storedLock(ctx, userID)
		if err != nil {
			break
		}
		st = s.opts.AccountLockout.fail(st, now)
		b, _ := json.Marshal(st)
		if rev == 0 {
			_, err = s.sessions.Create(ctx, lockPrefix+userID, b)
		} else {
			_, err = s.sessions.Update(ctx, lockPrefix+userID, b, rev)
		}
		if err == nil {
			return st
		}
		if !isConflict(err) {
			break
		}
	}
	// The in-memory record still locks the account on this node.
	s.log.Warn("auth: could not store a failed login", "user", userID)
	return lockState{}
}

// checkLocks returns a *LockedError if the address or the account is
// locked. key identifies the account (hash of the address); userID is set
// for an existing account.
func (s *Service) checkLocks(ctx context.Context, key, userID, ip string, now time.Time) error {
	wait := s.acctLocks.get(key, now).wait(now)
	if ip != "" {
		wait = max(wait, s.ipLocks.get(ip, now).wait(now))
	}
	if userID != "" {
		st, _, err := s.storedLock(ctx, userID)
		if err != nil {
			s.log.Warn("auth: could not read a login lock", "user", userID, "err", err)
		}
		wait = max(wait, s.opts.AccountLockout.current(st, now).wait(now))
	}
	if wait > 0 {
		return &LockedError{RetryAfter: wait}
	}
	return nil
}

// recordFailure counts a failed login everywhere and returns the resulting
// lock, if any.
func (s *Service) recordFailure(ctx context.Context, key, userID, ip string, now time.Time) error {
	wait := s.acctLocks.fail(key, now).wait(now)
	if ip != "" {
		wait = max(wait, s.ipLocks.fail(ip, now).wait(now))
	}
	if userID != "" {
		wait = max(wait, s.failStored(ctx, userID, now).wait(now))
	}
	if wait > 0 {
		return &LockedError{RetryAfter: wait}
	}
	return nil
}

// clearFailures forgets an account's failures after a successful login.
// The address's record stays (see DefaultIPLockout).
func (s *Service) clearFailures(ctx context.Context, key, userID string) {
	s.acctLocks.reset(key)
	if st, rev, err := s.storedLock(ctx, userID); err == nil && (rev != 0 || st.Failures > 0) {
		if err := s.sessions.Delete(ctx, lockPrefix+userID, jetstream.LastRevision(rev)); err != nil && !isConflict(err) {
			s.log.Warn("auth: could not clear a login lock", "user", userID, "err", err)
		}
	}
}

// accountKey is the lock-table key of an address: hashed, so the table
// holds no addresses that were merely typed into a login form.
func accountKey(email string) string { return hashHex(strings.ToLower(strings.TrimSpace(email))) }
