// Package retention keeps data no longer than the seller's policy says: per
// table, and for events per message type or track event name. A job deletes
// what has expired from the store and the matching messages from the event
// log, and the store writer refuses expired messages, so a replay of the log
// does not bring back what retention removed.
package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tradewind/tradewind/internal/segment"
)

// Tables a rule may name, and the time column each is aged by.
var Tables = map[string]string{
	"events":     "timestamp",
	"orders":     "timestamp", // with their items, refunds and cancellations
	"customers":  "updated_at",
	"reviews":    "timestamp",
	"consent":    "timestamp",
	"quarantine": "quarantined_at",
	"ad_spend":   "date",
}

// Rule keeps the rows of one table (for events: of one message type or one
// track event name) for KeepDays days.
type Rule struct {
	Table    string `json:"table"`
	Type     string `json:"type,omitempty"`  // events only: identify, track, page, …
	Event    string `json:"event,omitempty"` // events only: a track event name
	KeepDays int    `json:"keep_days"`
}

// Policy is the set of rules. A table without a rule is kept forever.
type Policy struct {
	Rules []Rule `json:"rules"`
}

// FieldError names a wrong part of a policy.
type FieldError struct{ Field, Reason string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Validate checks a policy.
func (p Policy) Validate() error {
	seen := map[string]bool{}
	for i, r := range p.Rules {
		f := fmt.Sprintf("rules[%d]", i)
		if _, ok := Tables[r.Table]; !ok {
			names := make([]string, 0, len(Tables))
			for t := range Tables {
				names = append(names, t)
			}
			slices.Sort(names)
			return &FieldError{f + ".table", fmt.Sprintf("must be one of %v", names)}
		}
		if r.Table != "events" && (r.Type != "" || r.Event != "") {
			return &FieldError{f, "type and event apply to the events table only"}
		}
		if r.Type != "" && !segment.IsType(r.Type) && r.Type != segment.Consent {
			return &FieldError{f + ".type", "is not a message type"}
		}
		if r.Type != "" && r.Event != "" && r.Type != segment.Track {
			return &FieldError{f + ".event", "an event name belongs to type track"}
		}
		if r.KeepDays < 1 || r.KeepDays > 36500 {
			return &FieldError{f + ".keep_days", "must be between 1 and 36500"}
		}
		k := r.Table + "\x00" + r.Type + "\x00" + r.Event
		if seen[k] {
			return &FieldError{f, "repeats an earlier rule"}
		}
		seen[k] = true
	}
	return nil
}

// KeepFor returns how long a message of type typ (and track event name
// event) is kept in the events table, the most specific rule winning; ok is
// false when it is kept forever.
func (p Policy) KeepFor(typ, event string) (time.Duration, bool) {
	best, rank := 0, -1
	for _, r := range p.Rules {
		if r.Table != "events" {
			continue
		}
		var rk int
		switch {
		case r.Event != "" && r.Event == event && (r.Type == "" || r.Type == typ):
			rk = 2
		case r.Event == "" && r.Type != "" && r.Type == typ:
			rk = 1
		case r.Event == "" && r.Type == "":
			rk = 0
		default:
			continue
		}
		if rk > rank {
			best, rank = r.KeepDays, rk
		}
	}
	if rank < 0 {
		return 0, false
	}
	return time.Duration(best) * 24 * time.Hour, true
}

// Store is the part of the store retention drives.
type Store interface {
	// DeleteBefore deletes the rows of a rule's table (and type/event)
	// older than cutoff, returning how many, and for events the lowest log
	// sequence of a kept row of that type (0 if none), so the log can be
	// purged below it.
	DeleteBefore(ctx context.Context, r Rule, cutoff time.Time) (rows int64, keepFromSeq uint64, err error)
}

// Log is the part of the event log retention drives.
type Log interface {
	PurgeBefore(ctx context.Context, msgType string, seq uint64) error
}

// Report is what one run did.
type Report struct {
	StartedAt time.Time    `json:"started_at"`
	Seconds   float64      `json:"seconds"`
	Rules     []RuleReport `json:"rules"`
	Error     string       `json:"error,omitempty"`
}

// RuleReport is one rule's part of a run.
type RuleReport struct {
	Rule
	Cutoff      time.Time `json:"cutoff"`
	RowsDeleted int64     `json:"rows_deleted"`
	LogPurged   bool      `json:"log_purged,omitempty"`
}

// Service keeps the policy in a JetStream key-value bucket and runs the job.
type Service struct {
	Store  Store
	Log    Log
	Logger *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	kv     jetstream.KeyValue
	mu     sync.RWMutex
	policy Policy
	last   *Report
	runMu  sync.Mutex
}

const (
	policyKey = "retention.policy"
	reportKey = "retention.last_run"
)

// Open loads the policy from bucket (created if needed).
func Open(ctx context.Context, js jetstream.JetStream, bucket string, st Store, log Log, logger *slog.Logger) (*Service, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket,
		Description: "tradewind settings", History: 10, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("retention: open bucket %s: %w", bucket, err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{Store: st, Log: log, Logger: logger, kv: kv}
	if e, err := kv.Get(ctx, policyKey); err == nil {
		if err := json.Unmarshal(e.Value(), &s.policy); err != nil {
			return nil, fmt.Errorf("retention: stored policy: %w", err)
		}
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("retention: read policy: %w", err)
	}
	if e, err := kv.Get(ctx, reportKey); err == nil {
		var r Report
		if json.Unmarshal(e.Value(), &r) == nil {
			s.last = &r
		}
	}
	return s, nil
}

// Policy returns the current policy.
func (s *Service) Policy() Policy {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return Policy{Rules: slices.Clone(s.policy.Rules)}
}

// LastRun returns the last run's report, nil before the first.
func (s *Service) LastRun() *Report {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.last
}

// SetPolicy validates and saves a policy.
func (s *Service) SetPolicy(ctx context.Context, p Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	b, _ := json.Marshal(p)
	if _, err := s.kv.Put(ctx, policyKey, b); err != nil {
		return fmt.Errorf("retention: save policy: %w", err)
	}
	s.mu.Lock()
	s.policy = p
	s.mu.Unlock()
	return nil
}

// Expired is the store writer's check: whether a message of this type and
// event name, of event time ts, is older than the policy keeps.
func (s *Service) Expired(typ, event string, ts time.Time) bool {
	s.mu.RLock()
	d, ok := s.policy.KeepFor(typ, event)
	s.mu.RUnlock()
	return ok && s.now().Sub(ts) > d
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Run applies the policy once.
func (s *Service) Run(ctx context.Context) (*Report, error) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	start := s.now().UTC()
	rep := &Report{StartedAt: start, Rules: []RuleReport{}}
	var runErr error
	for _, r := range s.Policy().Rules {
		rr := RuleReport{Rule: r, Cutoff: start.Add(-time.Duration(r.KeepDays) * 24 * time.Hour)}
		n, keepFrom, err := s.Store.DeleteBefore(ctx, r, rr.Cutoff)
		if err != nil {
			runErr = err
			break
		}
		rr.RowsDeleted = n
		// The log is organised by message type: a rule on a whole type (not
		// one event name) lets retention purge the type's older messages.
		if r.Table == "events" && r.Type != "" && r.Event == "" && keepFrom > 0 && s.Log != nil {
			if err := s.Log.PurgeBefore(ctx, r.Type, keepFrom); err != nil {
				runErr = err
				break
			}
			rr.LogPurged = true
		}
		rep.Rules = append(rep.Rules, rr)
	}
	rep.Seconds = time.Since(start).Seconds()
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	b, _ := json.Marshal(rep)
	_, _ = s.kv.Put(context.WithoutCancel(ctx), reportKey, b)
	s.mu.Lock()
	s.last = rep
	s.mu.Unlock()
	return rep, runErr
}

// Loop runs the job every interval until ctx ends.
func (s *Service) Loop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if len(s.Policy().Rules) == 0 {
				continue
			}
			if rep, err := s.Run(ctx); err != nil && ctx.Err() == nil {
				s.Logger.Error("retention run failed", "err", err)
			} else if err == nil {
				var n int64
				for _, r := range rep.Rules {
					n += r.RowsDeleted
				}
				s.Logger.Info("retention run", "rows_deleted", n, "seconds", rep.Seconds)
			}
		}
	}
}
