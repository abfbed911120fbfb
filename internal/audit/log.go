package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrClosed is returned by a Log's methods after Close.
var ErrClosed = errors.New("audit log is closed")

// ErrLocked means another Log — in this process or another — has the file
// open: two writers would fork the chain.
var ErrLocked = errors.New("audit log is in use by another writer")

// maxBatch bounds how many entries one commit writes and syncs.
const maxBatch = 512

// Options tune a Log. The zero value is valid: no key (plain SHA-256), the
// system clock, logs discarded.
type Options struct {
	// Key, if set, makes every Hash an HMAC-SHA256 with it, so that someone
	// who can write the file cannot recompute a valid chain after editing
	// it. Use 32 random bytes kept outside the data directory. The same key
	// must be given to Verify, and kept for as long as the log is: a log
	// written with one key does not verify with another.
	Key []byte
	// Now is the clock; tests inject one. It defaults to time.Now.
	Now func() time.Time
	// Logger receives warnings about damage found at Open and about
	// failed checkpoint saves. They name sequence numbers and kinds of
	// problems, never an entry's content.
	Logger *slog.Logger
}

// Health is a Log's state for a health check: whether it can be trusted and
// written to now.
type Health struct {
	// OK is true if Open found nothing wrong, the last write succeeded and
	// the last checkpoint was saved.
	OK bool `json:"ok"`
	// Seq and Hash are the head of the chain.
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
	// Problems are what Open found wrong with the log (also recorded in
	// it as "audit.integrity" entries). Their Line is 0: Open does not
	// read the whole file.
	Problems []Problem `json:"problems,omitempty"`
	// WriteError is the last failed commit's error, cleared by the next
	// success; after a failed fsync it stays, and Append refuses entries
	// until the log is reopened, because the file's state is unknown.
	WriteError string `json:"write_error,omitempty"`
	// CheckpointError is the last failed checkpoint save's error, cleared
	// by the next success. Entries are still durable in the log while it
	// is set, but truncation of them would go unnoticed.
	CheckpointError string `json:"checkpoint_error,omitempty"`
}

// Log is an open audit log. It is safe for concurrent use. One goroutine
// writes; Append hands it entries and waits for their commit.
type Log struct {
	path   string
	f      *os.File
	cp     Checkpointer
	key    []byte
	now    func() time.Time
	logger *slog.Logger

	reqs      chan *request
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	// committed is how many bytes of the file hold complete, synced lines:
	// readers never look past it, so they never see half a batch.
	committed atomic.Int64

	// The writer goroutine's state. Open sets it before starting the
	// goroutine; after that only the goroutine touches it.
	seq    uint64
	prev   string
	last   time.Time
	size   int64
	hasher hash.Hash
	buf    []byte
	broken error // a failed fsync: the file's state is unknown

	mu     sync.Mutex // guards health
	health Health
}

// request is one Append waiting for its commit.
type request struct {
	p    prepared
	done chan result // buffered: the writer never waits for the caller
}

type result struct {
	e   Entry
	err error
}

// Open opens or creates the audit log at path (mode 0600) and continues its
// chain. cp keeps the head outside the file; nil means no checkpoint, and
// then truncation of the log's end cannot be detected.
//
// Open fails only if the file cannot be opened, locked or read. Damage it
// finds — a torn last line, a last entry that does not verify, a log
// shorter than its checkpoint, a missing checkpoint — does not stop it: the
// server must start. It reports each problem in Health, warns through
// Options.Logger, and records it in the log as an "audit.integrity" entry.
// After a truncation the chain continues from the checkpoint, so the gap
// stays in the chain for Verify to show.
func Open(path string, cp Checkpointer, opts Options) (*Log, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, path)
		}
		return nil, fmt.Errorf("lock audit log %s: %w", path, err)
	}
	l := &Log{
		path:   path,
		f:      f,
		cp:     cp,
		key:    append([]byte(nil), opts.Key...),
		now:    opts.Now,
		logger: opts.Logger,
		reqs:   make(chan *request),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		prev:   zeroHash,
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	l.hasher = newHasher(l.key)
	found, err := l.recover()
	if err != nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		return nil, err
	}
	l.health.Seq, l.health.Hash = l.seq, l.prev
	go l.run()

	// A truncation's record goes first: it is the entry right after the
	// gap, which is how Verify tells a recorded truncation from a removal.
	slices.SortStableFunc(found, func(a, b openProblem) int {
		return cmpBool(b.Kind == KindTruncated, a.Kind == KindTruncated)
	})

	for _, p := range found {
		l.logger.Warn("audit log damaged", "kind", p.Kind, "seq", p.Seq, "problem", p.Detail)
		l.mu.Lock()
		l.health.Problems = append(l.health.Problems, p.Problem)
		l.mu.Unlock()
		detail := map[string]any{"kind": p.Kind, "message": p.Detail}
		for k, v := range p.extra {
			detail[k] = v
		}
		_, err := l.Append(context.Background(), Entry{
			Actor:     "system",
			ActorKind: "system",
			Action:    ActionIntegrity,
			Target:    filepath.Base(path),
			Outcome:   OutcomeFailed,
			Detail:    detail,
		})
		if err != nil {
			// Health shows the write error; the server still starts.
			l.logger.Error("audit log: cannot record damage", "kind", p.Kind, "err", err)
		}
	}
	return l, nil
}

// openProblem is a problem Open found, with facts for its integrity entry.
type openProblem struct {
	Problem
	extra map[string]any
}

// recover reads the end of the file and the checkpoint, repairs a torn last
// line, and sets the writer's state (seq, prev, last, size) to continue the
// chain. It returns the problems found.
func (l *Log) recover() ([]openProblem, error) {
	var found []openProblem
	add := func(kind string, seq uint64, extra map[string]any, format string, args ...any) {
		found = append(found, openProblem{Problem{Seq: seq, Kind: kind, Detail: fmt.Sprintf(format, args...)}, extra})
	}
	fi, err := l.f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	if fi.Mode().Perm() != 0o600 {
		// Audit entries name staff and what they did: not for everyone.
		if err := l.f.Chmod(0o600); err != nil {
			return nil, fmt.Errorf("open audit log %s: %w", l.path, err)
		}
	}
	size := fi.Size()
	if size == 0 {
		// Make the new file's name durable before anything relies on it.
		if err := syncDir(filepath.Dir(l.path)); err != nil {
			return nil, fmt.Errorf("open audit log %s: %w", l.path, err)
		}
	}

	// A last line without a newline was being written when the process
	// stopped (or was cut). Complete it if it is a whole entry; otherwise
	// drop it — it was never acknowledged to anyone — and say so.
	if size > 0 {
		bl, err := newBackLines(l.f, size)
		if err != nil {
			return nil, fmt.Errorf("read audit log %s: %w", l.path, err)
		}
		if bl.off == size { // no trailing newline
			line, start, ok := bl.next()
			if !ok {
				return nil, fmt.Errorf("read audit log %s: %w", l.path, bl.err)
			}
			if _, perr := parseLine(line, l.hasher); perr == nil {
				if _, err := l.f.Write([]byte{'\n'}); err != nil {
					return nil, fmt.Errorf("repair audit log %s: %w", l.path, err)
				}
				size++
			} else {
				if err := l.f.Truncate(start); err != nil {
					return nil, fmt.Errorf("repair audit log %s: %w", l.path, err)
				}
				add(KindMalformed, 0, map[string]any{"discarded_bytes": size - start},
					"an incomplete last line of %d bytes (an interrupted write or a cut) was removed", size-start)
				size = start
			}
			if err := l.f.Sync(); err != nil {
				return nil, fmt.Errorf("repair audit log %s: %w", l.path, err)
			}
		}
	}
	l.size = size
	l.committed.Store(size)

	// The last readable entry is the head of the chain.
	bl, err := newBackLines(l.f, size)
	if err != nil {
		return nil, fmt.Errorf("read audit log %s: %w", l.path, err)
	}
	var head *lineInfo
	unreadable := 0
	for {
		line, _, ok := bl.next()
		if !ok {
			break
		}
		info, err := parseLine(line, l.hasher)
		if err != nil {
			if len(line) > 0 || bl.off > 0 {
				unreadable++
			}
			continue
		}
		head = &info
		break
	}
	if bl.err != nil {
		return nil, fmt.Errorf("read audit log %s: %w", l.path, bl.err)
	}
	if unreadable > 0 {
		add(KindMalformed, 0, map[string]any{"lines": unreadable},
			"%d unreadable line(s) at the end of the log", unreadable)
	}
	if head != nil {
		l.seq, l.prev, l.last = head.Seq, head.Hash, head.Time
		if !head.hashOK {
			add(KindEdited, head.Seq, nil,
				"the last entry (seq %d) does not match its hash: it was altered, or the log was written with another key", head.Seq)
		}
	}

	if l.cp == nil {
		return found, nil
	}
	cpSeq, cpHash, cpOK, cpErr := l.cp.Load()
	switch {
	case cpErr != nil:
		add(KindCheckpointMissing, 0, nil, "the checkpoint cannot be read (%v): truncation cannot be checked", cpErr)
	case !cpOK:
		if head != nil {
			add(KindCheckpointMissing, 0, map[string]any{"log_seq": l.seq},
				"the log ends at seq %d but there is no checkpoint: truncation cannot be checked", l.seq)
		}
	case cpSeq > l.seq:
		add(KindTruncated, l.seq+1, map[string]any{"log_seq": l.seq, "checkpoint_seq": cpSeq, "checkpoint_hash": cpHash},
			"the log ends at seq %d but the checkpoint records seq %d: entries %d to %d are missing", l.seq, cpSeq, l.seq+1, cpSeq)
		// Continue from the checkpoint so that the gap stays in the chain.
		l.seq, l.prev = cpSeq, cpHash
	case cpSeq == l.seq:
		if cpHash != l.prev {
			add(KindEdited, cpSeq, map[string]any{"checkpoint_hash": cpHash},
				"entry %d does not match the checkpoint: the log was rewritten", cpSeq)
		}
	default: // the checkpoint is behind: a crash between sync and save
		var at *lineInfo
		for {
			line, _, ok := bl.next()
			if !ok {
				break
			}
			info, err := parseLine(line, l.hasher)
			if err != nil || info.Seq > cpSeq {
				continue
			}
			if info.Seq == cpSeq {
				at = &info
			}
			break
		}
		if bl.err != nil {
			return nil, fmt.Errorf("read audit log %s: %w", l.path, bl.err)
		}
		switch {
		case at == nil:
			add(KindRemoved, cpSeq, map[string]any{"checkpoint_seq": cpSeq},
				"the checkpointed entry %d is not in the log", cpSeq)
		case at.Hash != cpHash:
			add(KindEdited, cpSeq, map[string]any{"checkpoint_hash": cpHash},
				"entry %d does not match the checkpoint: the log was rewritten", cpSeq)
		}
		if len(found) == 0 {
			// Nothing will be appended now; bring the checkpoint up to
			// date so that the entries after it are covered.
			if err := l.cp.Save(l.seq, l.prev); err != nil {
				l.health.CheckpointError = err.Error()
				l.logger.Warn("audit checkpoint not saved", "seq", l.seq, "err", err)
			}
		}
	}
	return found, nil
}

// lineInfo is what Open and Verify need of a line.
type lineInfo struct {
	Seq    uint64          `json:"seq"`
	Time   time.Time       `json:"time"`
	Action string          `json:"action"`
	Prev   string          `json:"prev"`
	Hash   string          `json:"hash"`
	Detail json.RawMessage `json:"detail"`
	hashOK bool
}

// parseLine checks a line's shape and its hash. An error means the line is
// not an entry at all (malformed); a readable entry whose content does not
// match its hash has hashOK false.
//
// A line whose hash matches is, byte for byte, what a writer produced, so
// its fields are read from the writer's fixed layout without decoding the
// JSON — Verify's main cost otherwise. Anything else (a hash mismatch, an
// integrity entry whose detail is needed, another layout) is decoded in
// full.
func parseLine(line []byte, h hash.Hash) (lineInfo, error) {
	open, claimed, ok := splitLine(line)
	if !ok {
		return lineInfo{}, errors.New(`does not end with "hash"`)
	}
	if info, ok := fastLine(open); ok && digest(h, open) == claimed {
		info.Hash, info.hashOK = claimed, true
		return info, nil
	}
	var info lineInfo
	if err := json.Unmarshal(line, &info); err != nil {
		return lineInfo{}, err
	}
	if info.Seq == 0 || !validHash(info.Prev) || info.Hash != claimed {
		return lineInfo{}, errors.New("seq, prev or hash missing")
	}
	info.hashOK = digest(h, open) == claimed
	return info, nil
}

// Append records e and returns it as stored: Seq, Time, Prev and Hash
// filled in (whatever e held there is ignored), Target and Detail masked,
// long fields cut. It returns once the entry is synced to disk and the
// checkpoint saved, committing concurrent appends together.
//
// It fails for an entry without Actor, with an Action that is not dotted
// lower-case words, or with an Outcome other than OutcomeOK, OutcomeDenied
// or OutcomeFailed (ErrInvalidEntry); if the write or sync fails; after
// Close (ErrClosed); and if ctx ends first — in which case the entry may
// still be recorded.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	p, err := prepare(e)
	if err != nil {
		return Entry{}, err
	}
	r := &request{p: p, done: make(chan result, 1)}
	select {
	case l.reqs <- r:
	case <-l.quit:
		return Entry{}, ErrClosed
	case <-ctx.Done():
		return Entry{}, ctx.Err()
	}
	select {
	case res := <-r.done:
		return res.e, res.err
	case <-ctx.Done():
		return Entry{}, fmt.Errorf("audit: stopped waiting for the commit of %s (it may still be recorded): %w", e.Action, ctx.Err())
	}
}

// run is the writer goroutine. While it commits one batch, the next
// appenders wait to hand over their entries; it then takes all of them at
// once, so one fsync serves many entries under load.
func (l *Log) run() {
	defer close(l.done)
	batch := make([]*request, 0, maxBatch)
	for {
		select {
		case r := <-l.reqs:
			batch = append(batch[:0], r)
		gather:
			for len(batch) < maxBatch {
				select {
				case r := <-l.reqs:
					batch = append(batch, r)
				default:
					break gather
				}
			}
			l.commit(batch)
			clear(batch)
		case <-l.quit:
			return
		}
	}
}

// commit writes a batch as one write, syncs it, saves the checkpoint and
// answers each request.
func (l *Log) commit(batch []*request) {
	fail := func(err error) {
		for _, r := range batch {
			r.done <- result{err: err}
		}
	}
	if l.broken != nil {
		fail(l.broken)
		return
	}
	buf := l.buf[:0]
	seq, prev, last := l.seq, l.prev, l.last
	out := make([]Entry, len(batch))
	for i, r := range batch {
		t := l.now().UTC()
		if t.Before(last) {
			t = last // keep Time non-decreasing in file order
		}
		last = t
		seq++
		var sum string
		buf, sum = appendLine(buf, l.hasher, seq, t, prev, r.p.body)
		e := r.p.e
		e.Seq, e.Time, e.Prev, e.Hash = seq, t, prev, sum
		out[i] = e
		prev = sum
	}
	if cap(buf) <= 4<<20 {
		l.buf = buf
	} else {
		l.buf = nil
	}

	if _, err := l.f.Write(buf); err != nil {
		err = fmt.Errorf("write audit log %s: %w", l.path, err)
		// Take back a partial write so the chain on disk stays whole.
		if terr := l.f.Truncate(l.size); terr != nil {
			l.broken = fmt.Errorf("%w (and cannot remove the partial write: %v); appends are refused until the log is reopened", err, terr)
			err = l.broken
		}
		l.setWriteError(err)
		fail(err)
		return
	}
	if err := l.f.Sync(); err != nil {
		// After a failed fsync the kernel may have dropped the pages: what
		// is on disk is unknown. Stop here; Open sorts it out on restart.
		l.broken = fmt.Errorf("sync audit log %s: %w; appends are refused until the log is reopened", l.path, err)
		l.setWriteError(l.broken)
		fail(l.broken)
		return
	}
	l.size += int64(len(buf))
	l.committed.Store(l.size)
	l.seq, l.prev, l.last = seq, prev, last

	var cpErr error
	if l.cp != nil {
		cpErr = l.cp.Save(seq, prev)
		if cpErr != nil {
			l.logger.Warn("audit checkpoint not saved", "seq", seq, "err", cpErr)
		}
	}
	l.mu.Lock()
	l.health.Seq, l.health.Hash = seq, prev
	l.health.WriteError = ""
	if cpErr != nil {
		l.health.CheckpointError = cpErr.Error()
	} else {
		l.health.CheckpointError = ""
	}
	l.mu.Unlock()
	for i, r := range batch {
		r.done <- result{e: out[i]}
	}
}

func (l *Log) setWriteError(err error) {
	l.mu.Lock()
	l.health.WriteError = err.Error()
	l.mu.Unlock()
}

// Health reports the log's state (see Health).
func (l *Log) Health() Health {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.health
	h.Problems = append([]Problem(nil), l.health.Problems...)
	h.OK = len(h.Problems) == 0 && h.WriteError == "" && h.CheckpointError == ""
	return h
}

// Verify checks the whole log as Verify does, with the log's key and
// checkpointer, reading only what is committed so that it can run while
// entries are being appended.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	if l.closed() {
		return Report{}, ErrClosed
	}
	// Checkpoint first: the file is always at least as far as it.
	cs := loadCheckpoint(l.cp)
	size := l.committed.Load()
	f, err := os.Open(l.path)
	if err != nil {
		return Report{}, fmt.Errorf("verify audit log: %w", err)
	}
	defer f.Close()
	return verify(ctx, io.LimitReader(f, size), cs, l.key)
}

// Close stops the writer once the commit under way (if any) is done, and
// closes the file. Appends waiting to be taken fail with ErrClosed.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		close(l.quit)
		<-l.done
		syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.closeErr = l.f.Close()
	})
	return l.closeErr
}

func (l *Log) closed() bool {
	select {
	case <-l.quit:
		return true
	default:
		return false
	}
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// fastLine reads seq, time, action and prev from the writer's layout of the
// hashed message (without its final '}'). ok is false if the layout is not
// the writer's, or for an integrity entry, whose detail is wanted.
func fastLine(open []byte) (info lineInfo, ok bool) {
	seq, t, ok := peekSeqTime(open)
	if !ok {
		return lineInfo{}, false
	}
	const prevKey = `,"prev":"`
	n := len(open)
	if n < len(prevKey)+65 || open[n-1] != '"' || string(open[n-65-len(prevKey):n-65]) != prevKey {
		return lineInfo{}, false
	}
	prev := open[n-65 : n-1]
	if !isHex(prev) {
		return lineInfo{}, false
	}
	const actionKey = `,"action":"`
	i := bytes.Index(open, []byte(actionKey))
	if i < 0 {
		return lineInfo{}, false
	}
	i += len(actionKey)
	j := bytes.IndexByte(open[i:], '"')
	if j < 0 || bytes.IndexByte(open[i:i+j], '\\') >= 0 {
		return lineInfo{}, false
	}
	action := string(open[i : i+j])
	if action == ActionIntegrity {
		return lineInfo{}, false
	}
	return lineInfo{Seq: seq, Time: t, Action: action, Prev: string(prev)}, true
}
