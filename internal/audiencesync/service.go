package audiencesync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tradewind/tradewind/internal/kvjson"
)

// Service keeps sync definitions and runs them. Its zero value is not
// usable: JetStream, Root, Members, Fingerprint and SegmentExists are
// required.
type Service struct {
	// JetStream holds the definitions' bucket, named Bucket (default
	// tradewind_audience_syncs).
	JetStream jetstream.JetStream
	Bucket    string
	// Root is the directory files may be written under (absolute); a
	// sync's dir outside it is refused.
	Root string
	// Members reads a segment's members with their e-mail, phone and
	// country in plain text, leaving out those consent rules out.
	Members func(ctx context.Context, segment string, consent Consent) (Members, error)
	// Fingerprint summarises a segment's membership: it changes when a
	// member joins or leaves.
	Fingerprint func(ctx context.Context, segment string) (string, error)
	// SegmentExists says whether a segment is defined.
	SegmentExists func(id string) bool
	// CheckEvery is how often the runner looks at the syncs (default a
	// minute).
	CheckEvery time.Duration
	Now        func() time.Time
	Logger     *slog.Logger

	mu     sync.Mutex
	defs   *kvjson.Bucket[Sync]
	states *kvjson.Bucket[state]
	locks  map[string]*sync.Mutex // one run of a sync at a time
}

// Run is the record of one run of a sync.
type Run struct {
	At time.Time `json:"at"`
	// Trigger is why it ran: first, schedule, change, manual, retry.
	Trigger string `json:"trigger"`
	Result
	// File is the file written, by its base name in the sync's dir.
	File   string `json:"file,omitempty"`
	Error  string `json:"error,omitempty"`
	Millis int64  `json:"millis"`
}

// state is what the runner remembers of a sync between checks.
type state struct {
	// Fingerprint is the membership the last successful run exported.
	Fingerprint string `json:"fingerprint,omitempty"`
	// LastAttempt and LastSuccess drive the schedule and retries.
	LastAttempt time.Time `json:"last_attempt"`
	LastSuccess time.Time `json:"last_success"`
	// Runs are the newest runs, newest first, at most keepRuns.
	Runs []Run `json:"runs"`
}

// keepRuns bounds the run history kept per sync.
const keepRuns = 50

// retryAfter is how soon a failed run is tried again, whatever the
// schedule: a full disk or a store hiccup should not cost a day's refresh.
const retryAfter = 10 * time.Minute

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// buckets returns the definitions' and the run states' buckets (one
// JetStream bucket, two key prefixes), made on first use.
func (s *Service) buckets() (*kvjson.Bucket[Sync], *kvjson.Bucket[state]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.defs == nil {
		b := s.Bucket
		if b == "" {
			b = "tradewind_audience_syncs"
		}
		s.defs = &kvjson.Bucket[Sync]{JetStream: s.JetStream, Name: b, Description: "tradewind audience syncs", Prefix: "sync.", History: 5}
		s.states = &kvjson.Bucket[state]{JetStream: s.JetStream, Name: b, Description: "tradewind audience syncs", Prefix: "state.", History: 5}
	}
	return s.defs, s.states
}

// lock returns the mutex of one sync's runs.
func (s *Service) lock(id string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locks == nil {
		s.locks = map[string]*sync.Mutex{}
	}
	m, ok := s.locks[id]
	if !ok {
		m = &sync.Mutex{}
		s.locks[id] = m
	}
	return m
}

// Syncs lists the definitions by id.
func (s *Service) Syncs(ctx context.Context) ([]Sync, error) {
	defs, _ := s.buckets()
	return defs.All(ctx)
}

// Get reads one definition.
func (s *Service) Get(ctx context.Context, id string) (*Sync, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	defs, _ := s.buckets()
	x, _, err := defs.Get(ctx, id)
	if errors.Is(err, kvjson.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// check validates a definition against the segments, the export root and
// the other syncs (two syncs in one directory would prune and point
// latest.csv at each other's files).
func (s *Service) check(ctx context.Context, x *Sync) error {
	if err := x.normalize(); err != nil {
		return err
	}
	if !s.SegmentExists(x.Segment) {
		return &FieldError{Field: "segment", Reason: fmt.Sprintf("%q is not a segment", x.Segment)}
	}
	dir, err := ResolveDir(s.Root, x.Dir, x.ID)
	if err != nil {
		return err
	}
	others, err := s.Syncs(ctx)
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID == x.ID {
			continue
		}
		if od, err := ResolveDir(s.Root, o.Dir, o.ID); err == nil && od == dir {
			return &FieldError{Field: "dir", Reason: fmt.Sprintf("%q is the directory of sync %s; give each sync its own", x.Dir, o.ID)}
		}
	}
	return nil
}

// Create saves a new definition.
func (s *Service) Create(ctx context.Context, x Sync, by string) (*Sync, error) {
	if err := s.check(ctx, &x); err != nil {
		return nil, err
	}
	now := s.now()
	x.Version, x.CreatedAt, x.UpdatedAt, x.CreatedBy, x.UpdatedBy = 1, now, now, by, by
	defs, _ := s.buckets()
	if err := defs.Create(ctx, x.ID, x); err != nil {
		if errors.Is(err, kvjson.ErrExists) {
			return nil, ErrExists
		}
		return nil, err
	}
	return &x, nil
}

// Update replaces a definition, keeping its id, creation and run history.
// A changed segment, format or consent exports a different list: the next
// check runs it as if it were new.
func (s *Service) Update(ctx context.Context, id string, x Sync, by string) (*Sync, error) {
	old, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	x.ID = id
	if err := s.check(ctx, &x); err != nil {
		return nil, err
	}
	x.Version, x.CreatedAt, x.CreatedBy = old.Version+1, old.CreatedAt, old.CreatedBy
	x.UpdatedAt, x.UpdatedBy = s.now(), by
	defs, _ := s.buckets()
	if err := defs.Put(ctx, id, x); err != nil {
		return nil, err
	}
	oldDir, _ := ResolveDir(s.Root, old.Dir, old.ID)
	newDir, _ := ResolveDir(s.Root, x.Dir, x.ID)
	if x.Segment != old.Segment || x.Format != old.Format || x.Consent != old.Consent || oldDir != newDir {
		m := s.lock(id)
		m.Lock()
		st, rev, err := s.state(ctx, id)
		if err == nil {
			st.Fingerprint, st.LastAttempt, st.LastSuccess = "", time.Time{}, time.Time{}
			err = s.saveState(ctx, id, st, rev)
		}
		if err == nil && oldDir != newDir && oldDir != "" {
			// Files left in the old directory would never be pruned.
			if rerr := removeFiles(oldDir, id, s.Root); rerr != nil {
				s.logger().Error("audience sync: removing files of its old directory", "sync", id, "err", rerr)
			}
		}
		m.Unlock()
		if err != nil {
			return nil, err
		}
	}
	return &x, nil
}

// Delete removes a definition, its run history and the files it wrote:
// they hold hashes of people who may since have left the segment or been
// erased, and nothing would prune them any more.
func (s *Service) Delete(ctx context.Context, id string) error {
	x, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	m := s.lock(id)
	m.Lock()
	defer m.Unlock()
	defs, states := s.buckets()
	if err := defs.Delete(ctx, id); err != nil {
		return err
	}
	if err := states.Delete(ctx, id); err != nil {
		return err
	}
	if dir, err := ResolveDir(s.Root, x.Dir, x.ID); err == nil {
		if err := removeFiles(dir, id, s.Root); err != nil {
			s.logger().Error("audience sync: removing its files", "sync", id, "err", err)
		}
	}
	return nil
}

// state reads a sync's state and its revision (0: none yet).
func (s *Service) state(ctx context.Context, id string) (state, uint64, error) {
	_, states := s.buckets()
	st, rev, err := states.Get(ctx, id)
	if errors.Is(err, kvjson.ErrNotFound) {
		return state{}, 0, nil
	}
	if err != nil {
		return state{}, 0, fmt.Errorf("audiencesync: state of %s: %w", id, err)
	}
	return st, rev, nil
}

// saveState writes a state read at revision rev. The write is a
// compare-and-set, so when several nodes share the bucket a run another
// node recorded meanwhile is not overwritten (the loser's file stays on its
// disk, unrecorded, and is pruned with the others).
func (s *Service) saveState(ctx context.Context, id string, st state, rev uint64) error {
	_, states := s.buckets()
	if err := states.Update(ctx, id, st, rev); err != nil {
		return fmt.Errorf("audiencesync: record the run of %s: %w", id, err)
	}
	return nil
}

// Runs lists a sync's recorded runs, newest first.
func (s *Service) Runs(ctx context.Context, id string) ([]Run, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	st, _, err := s.state(ctx, id)
	if err != nil {
		return nil, err
	}
	if st.Runs == nil {
		st.Runs = []Run{}
	}
	return st.Runs, nil
}

// Export writes a segment's members as a customer list in format f to w.
// The rows are read (and any error returned) before the first byte is
// written, so a caller can still answer with an error.
func (s *Service) Export(ctx context.Context, segment string, f Format, c Consent, w io.Writer) (Result, error) {
	if !s.SegmentExists(segment) {
		return Result{}, &FieldError{Field: "segment", Reason: fmt.Sprintf("%q is not a segment", segment)}
	}
	m, err := s.Members(ctx, segment, c)
	if err != nil {
		return Result{}, fmt.Errorf("audiencesync: read segment %s: %w", segment, err)
	}
	n, err := Write(w, f, m.Rows)
	return Result{Members: m.Total, Written: n.Written, Skipped: n.Skipped, NoConsent: m.NoConsent}, err
}
