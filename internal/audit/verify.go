package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
)

// Kinds of Problem. Verify classifies what it finds by its most likely
// cause; whatever the kind, the log is not what was written.
const (
	// KindEdited: an entry's content does not match its hash, or the next
	// entry's Prev or the checkpoint does not match it (it was rewritten
	// with a recomputed hash).
	KindEdited = "edited"
	// KindRemoved: entries are missing from the middle of the log.
	KindRemoved = "removed"
	// KindReordered: an entry is in the wrong place in the file.
	KindReordered = "reordered"
	// KindInserted: a line that does not belong in the chain — a second
	// entry with the same Seq, or one that fits nowhere.
	KindInserted = "inserted"
	// KindTruncated: entries are missing from the end of the log (it is
	// behind its checkpoint), or were, and Open recorded the loss.
	KindTruncated = "truncated"
	// KindMalformed: a line that is not an entry at all, such as a last
	// line cut in half.
	KindMalformed = "malformed"
	// KindCheckpointMissing: there is no checkpoint (or it cannot be
	// read), so truncation of the log's end cannot be detected.
	KindCheckpointMissing = "checkpoint_missing"
)

// Problem is one thing wrong with a log.
type Problem struct {
	// Seq is the entry concerned (for a gap, its first missing Seq), or 0.
	Seq uint64 `json:"seq,omitempty"`
	// Line is the 1-based line in the file, or 0 where the problem is not
	// one line's (a checkpoint mismatch, a truncated end).
	Line int `json:"line,omitempty"`
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// Detail explains it in a sentence, naming only sequence numbers and
	// lines — never an entry's content.
	Detail string `json:"detail"`
}

// Report is the outcome of Verify.
type Report struct {
	// OK is true if the chain is whole and matches the checkpoint.
	OK bool `json:"ok"`
	// Entries counts the lines that are readable entries.
	Entries int `json:"entries"`
	// HeadSeq and HeadHash are the highest Seq in the chain and its hash.
	HeadSeq  uint64 `json:"head_seq"`
	HeadHash string `json:"head_hash"`
	// CheckpointSeq and CheckpointHash are the checkpoint's, if there is
	// one.
	CheckpointSeq  uint64 `json:"checkpoint_seq,omitempty"`
	CheckpointHash string `json:"checkpoint_hash,omitempty"`
	// Problems are what is wrong, in file order (those without a line
	// last). At most 1000 are listed.
	Problems []Problem `json:"problems,omitempty"`
	// Omitted counts problems beyond those listed.
	Omitted int `json:"omitted,omitempty"`
	// Recorded lists the damage Open found earlier and recorded in the log
	// as "audit.integrity" entries. It is history, shown so that a past
	// incident is not forgotten; it does not make OK false by itself (a
	// truncation also leaves a gap, which does).
	Recorded []Problem `json:"recorded,omitempty"`
}

const (
	maxProblems = 1000
	// verifyWindow is how many recent entries Verify remembers to check
	// links and duplicates: enough for any reordering a person does by
	// hand, in bounded memory for logs of any length.
	verifyWindow = 4096
	// maxRuns bounds the runs of consecutive entries Verify tracks to
	// classify reordering; a log broken into more pieces than this is
	// reported as such without finer classification.
	maxRuns = 100_000
	// maxRunsLIS bounds the runs for the exact (quadratic) classification
	// of which pieces were moved.
	maxRunsLIS = 5000
)

// Verify reads the log at path from start to end and checks its chain: that
// every line is an entry, that every entry matches its hash (an HMAC with
// key, if given: pass the Options.Key the log was written with), that Seq
// runs 1, 2, 3, … and every Prev is the hash of the entry before, and that
// the end of the log matches the checkpoint in cp (nil skips that check).
// Problems are classified (see the Kind constants).
//
// Verify does not need the log to be closed, but a line being written
// while it reads may show as malformed; Log.Verify reads only committed
// lines. Its error is for a log it cannot read; a missing file is an error
// unless cp has a checkpoint, in which case the whole log was removed and
// the report says so.
func Verify(path string, cp Checkpointer, key []byte) (Report, error) {
	cs := loadCheckpoint(cp)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && cs.ok {
		return verify(context.Background(), bytes.NewReader(nil), cs, key)
	}
	if err != nil {
		return Report{}, fmt.Errorf("verify audit log: %w", err)
	}
	defer f.Close()
	return verify(context.Background(), f, cs, key)
}

// cpState is a checkpoint as loaded for a verification.
type cpState struct {
	has  bool // a Checkpointer was given
	ok   bool
	seq  uint64
	hash string
	err  error
}

func loadCheckpoint(cp Checkpointer) cpState {
	if cp == nil {
		return cpState{}
	}
	seq, hash, ok, err := cp.Load()
	return cpState{has: true, ok: ok && err == nil, seq: seq, hash: hash, err: err}
}

// ventry is a parsed line in Verify.
type ventry struct {
	lineInfo
	line int
}

// slot remembers a recent entry.
type slot struct {
	seq    uint64
	hash   string
	line   int
	used   bool
	blamed bool // a problem already says this entry was altered
}

// run is a stretch of lines whose Seqs are consecutive. An intact log is
// one run; every removal, move or insertion starts another, so there are
// few runs and they say how the file was cut up.
type run struct {
	start, end         uint64 // first and last Seq
	startLine, endLine int
	endHash            string
	recordedAt         uint64 // the run starts with Open's record of a truncation (its Seq), or 0
	afterMalformed     bool   // the line before the run is unreadable
	moved, inserted    bool   // set by classify
}

// pendingLink is an entry whose predecessor has not been seen yet.
type pendingLink struct {
	seq  uint64
	prev string
	line int
}

type verifier struct {
	h       hash.Hash
	rep     Report
	win     []slot
	seen    seqSet
	runs    []run
	tooMany bool // more than maxRuns runs
	waiting map[uint64][]pendingLink
	cs      cpState
	cpHash  string // the hash of the entry at cs.seq, if seen
	cpFound bool

	lastMalformed int
	hashFailures  int
}

// verify checks the lines of r (see Verify).
func verify(ctx context.Context, r io.Reader, cs cpState, key []byte) (Report, error) {
	v := &verifier{
		h:       newHasher(key),
		win:     make([]slot, verifyWindow),
		seen:    seqSet{},
		waiting: map[uint64][]pendingLink{},
		cs:      cs,
	}
	lr := newLineReader(r)
	var cur *ventry // each entry is processed once the next is known
	for n := 1; ; n++ {
		line, complete, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Report{}, fmt.Errorf("verify audit log: line %d: %w", n, err)
		}
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return Report{}, err
			}
		}
		if tooLong {
			v.malformed(n, 0, "the line is longer than 1 MiB")
			continue
		}
		info, perr := parseLine(line, v.h)
		if perr != nil {
			msg := "the line is not an audit entry"
			switch {
			case !complete:
				msg = "the last line is incomplete: a write was cut short or the file was cut"
			case len(line) == 0:
				msg = "the line is empty"
			}
			v.malformed(n, peekSeq(line), msg)
			continue
		}
		v.rep.Entries++
		if info.Action != ActionIntegrity {
			info.Detail = nil // not needed; do not hold it
		}
		e := &ventry{lineInfo: info, line: n}
		if cur != nil {
			v.process(cur, e)
		}
		cur = e
	}
	if cur != nil {
		v.process(cur, nil)
	}
	v.finish()
	return v.rep, nil
}

func (v *verifier) problem(kind string, seq uint64, line int, format string, args ...any) {
	if len(v.rep.Problems) >= maxProblems {
		v.rep.Omitted++
		return
	}
	v.rep.Problems = append(v.rep.Problems, Problem{Seq: seq, Line: line, Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

func (v *verifier) malformed(line int, seq uint64, msg string) {
	v.lastMalformed = line
	v.problem(KindMalformed, seq, line, "%s", msg)
}

// process adds e to the chain, knowing the entry after it in the file (next,
// nil at the end): one entry of lookahead tells which of two entries with
// the same Seq is genuine.
func (v *verifier) process(e, next *ventry) {
	if !e.hashOK {
		v.hashFailures++
		v.problem(KindEdited, e.Seq, e.line, "entry %d does not match its hash: its content was changed", e.Seq)
	}
	if v.seen.has(e.Seq) {
		v.duplicate(e, next)
		return
	}
	v.seen.add(e.Seq)
	v.checkLink(e)
	s := &v.win[e.Seq%verifyWindow]
	*s = slot{seq: e.Seq, hash: e.Hash, line: e.line, used: true, blamed: !e.hashOK}
	if ws, ok := v.waiting[e.Seq]; ok {
		delete(v.waiting, e.Seq)
		for _, w := range ws {
			if w.prev != e.Hash && !s.blamed {
				v.problem(KindEdited, e.Seq, e.line, "entry %d (line %d) does not link to entry %d: entry %d was replaced or rewritten", w.seq, w.line, e.Seq, e.Seq)
				s.blamed = true
			}
		}
	}
	v.extendRuns(e)
	if v.cs.ok && e.Seq == v.cs.seq {
		v.cpFound, v.cpHash = true, e.Hash
	}
	if e.Action == ActionIntegrity {
		kind, msg := integrityDetail(e.Detail)
		v.rep.Recorded = append(v.rep.Recorded, Problem{Seq: e.Seq, Line: e.line, Kind: kind, Detail: msg})
	}
}

// extendRuns adds e to the current run or starts a new one.
func (v *verifier) extendRuns(e *ventry) {
	if n := len(v.runs); n > 0 && v.runs[n-1].end+1 == e.Seq {
		r := &v.runs[n-1]
		r.end, r.endLine, r.endHash = e.Seq, e.line, e.Hash
		return
	}
	if len(v.runs) >= maxRuns {
		v.tooMany = true
		return
	}
	v.runs = append(v.runs, run{
		start: e.Seq, end: e.Seq, startLine: e.line, endLine: e.line, endHash: e.Hash,
		recordedAt:     truncationRecord(e),
		afterMalformed: v.lastMalformed != 0 && v.lastMalformed == e.line-1,
	})
}

// duplicate handles an entry whose Seq was already seen: one of the two
// was inserted. The one the next entry links to is genuine.
func (v *verifier) duplicate(e, next *ventry) {
	s := &v.win[e.Seq%verifyWindow]
	known := s.used && s.seq == e.Seq
	if known && s.hash != e.Hash && next != nil && next.Seq == e.Seq+1 && next.Prev == e.Hash {
		v.problem(KindInserted, e.Seq, s.line, "line %d also claims seq %d, but the chain continues from line %d: line %d was inserted", s.line, e.Seq, e.line, s.line)
		s.hash, s.line, s.blamed = e.Hash, e.line, !e.hashOK
		if n := len(v.runs); n > 0 && v.runs[n-1].end == e.Seq {
			v.runs[n-1].endHash, v.runs[n-1].endLine = e.Hash, e.line
		}
		if v.cs.ok && v.cs.seq == e.Seq {
			v.cpHash = e.Hash
		}
		v.checkLink(e)
		return
	}
	if known {
		v.problem(KindInserted, e.Seq, e.line, "seq %d already appeared at line %d: this line was inserted", e.Seq, s.line)
	} else {
		v.problem(KindInserted, e.Seq, e.line, "seq %d already appeared earlier: this line was inserted", e.Seq)
	}
}

// checkLink checks that e's Prev is the hash of the entry before it, or
// waits for that entry if it has not been seen yet.
func (v *verifier) checkLink(e *ventry) {
	if e.Seq == 1 {
		if e.Prev != zeroHash && e.hashOK {
			v.problem(KindEdited, 1, e.line, "the first entry's prev is not zero: entries before it were removed and the chain rewritten")
		}
		return
	}
	pred := e.Seq - 1
	s := &v.win[pred%verifyWindow]
	switch {
	case s.used && s.seq == pred:
		if s.hash != e.Prev && e.hashOK && !s.blamed {
			// e is intact, so its Prev is what entry pred's hash was.
			v.problem(KindEdited, pred, s.line, "entry %d (line %d) does not link to entry %d: entry %d was replaced or rewritten", e.Seq, e.line, pred, pred)
			s.blamed = true
		}
	case !v.seen.has(pred):
		v.waiting[pred] = append(v.waiting[pred], pendingLink{seq: e.Seq, prev: e.Prev, line: e.line})
	}
	// Otherwise pred is too far back to remember; its own neighbours
	// were checked when it was placed.
}

// classify decides which runs are out of place: those outside the
// heaviest sequence of runs whose Seqs rise in file order (the most entries
// that can be left where they are). A moved run that adjoins entries
// elsewhere in the chain was reordered; one that adjoins nothing was
// inserted.
func (v *verifier) classify() {
	rs := v.runs
	if len(rs) > maxRunsLIS {
		// Too many to weigh exactly: call each run that goes back moved.
		var high uint64
		for i := range rs {
			if rs[i].start < high {
				rs[i].moved = true
			}
			high = max(high, rs[i].end)
		}
	} else if len(rs) > 1 {
		best := make([]int, len(rs)) // entries in place up to and including run i
		from := make([]int, len(rs))
		for i := range rs {
			best[i], from[i] = int(rs[i].end-rs[i].start)+1, -1
			for j := i - 1; j >= 0; j-- {
				// Ties go to the later run j, so that of two swapped
				// lines the earlier one is called moved.
				w := best[j] + int(rs[i].end-rs[i].start) + 1
				if rs[j].end < rs[i].start && w > best[i] {
					best[i], from[i] = w, j
				}
			}
		}
		end := 0
		for i := range rs {
			if best[i] >= best[end] {
				end = i
			}
		}
		for i := range rs {
			rs[i].moved = true
		}
		for i := end; i >= 0; i = from[i] {
			rs[i].moved = false
		}
	}
	for i := range rs {
		r := &rs[i]
		if !r.moved {
			continue
		}
		adjoins := r.start == 1 || v.seen.has(r.start-1) || v.seen.has(r.end+1)
		switch {
		case !adjoins:
			r.inserted = true
			if r.start == r.end {
				v.problem(KindInserted, r.start, r.startLine, "the line claims seq %d but does not fit in the chain: it was inserted", r.start)
			} else {
				v.problem(KindInserted, r.start, r.startLine, "lines %d to %d claim seqs %d to %d but do not fit in the chain: they were inserted", r.startLine, r.endLine, r.start, r.end)
			}
		case r.start == r.end:
			v.problem(KindReordered, r.start, r.startLine, "entry %d is out of place at line %d", r.start, r.startLine)
		default:
			v.problem(KindReordered, r.start, r.startLine, "entries %d to %d are out of place at lines %d to %d", r.start, r.end, r.startLine, r.endLine)
		}
	}
}

// finish reports what can only be known at the end: moved and inserted
// runs, gaps, and the checkpoint.
func (v *verifier) finish() {
	v.classify()
	if v.tooMany {
		v.problem(KindReordered, 0, 0, "the log is broken into more than %d pieces; only the first are classified", maxRuns)
	}
	// Gaps, in Seq order, among the runs that belong to the chain.
	chain := make([]run, 0, len(v.runs))
	for _, r := range v.runs {
		if !r.inserted {
			chain = append(chain, r)
		}
	}
	slices.SortFunc(chain, func(a, b run) int { return cmpUint(a.start, b.start) })
	next, headHash := uint64(1), zeroHash
	for _, r := range chain {
		if r.start > next {
			span := fmt.Sprintf("entry %d is", next)
			if r.start-1 > next {
				span = fmt.Sprintf("entries %d to %d are", next, r.start-1)
			}
			switch {
			case r.recordedAt != 0:
				v.problem(KindTruncated, next, r.startLine, "%s missing: they were cut from the end of the log, as recorded by entry %d when it was reopened", span, r.recordedAt)
			case r.afterMalformed:
				v.problem(KindRemoved, next, r.startLine, "%s missing before line %d (line %d is unreadable and may have held it)", span, r.startLine, r.startLine-1)
			default:
				v.problem(KindRemoved, next, r.startLine, "%s missing before line %d", span, r.startLine)
			}
		}
		if r.end+1 > next {
			next, headHash = r.end+1, r.endHash
		}
	}
	head := next - 1
	if head == 0 {
		headHash = ""
	}
	if v.rep.Entries > 1 && v.hashFailures == v.rep.Entries {
		v.problem(KindEdited, 0, 0, "no entry matches its hash: the log was rewritten, or it was written with a different key than the one given")
	}
	cs := v.cs
	switch {
	case !cs.has:
	case cs.err != nil:
		v.problem(KindCheckpointMissing, 0, 0, "the checkpoint cannot be read (%v): truncation of the log's end cannot be detected", cs.err)
	case !cs.ok:
		if v.rep.Entries > 0 {
			v.problem(KindCheckpointMissing, 0, 0, "there is no checkpoint: truncation of the log's end cannot be detected")
		}
	default:
		v.rep.CheckpointSeq, v.rep.CheckpointHash = cs.seq, cs.hash
		switch {
		case cs.seq > head:
			v.problem(KindTruncated, head+1, 0, "the checkpoint records entry %d but the log ends at entry %d: entries %d to %d were cut off", cs.seq, head, head+1, cs.seq)
		case v.cpFound && v.cpHash != cs.hash:
			v.problem(KindEdited, cs.seq, 0, "entry %d does not match the checkpoint: the log was rewritten from there or earlier", cs.seq)
		}
	}
	slices.SortStableFunc(v.rep.Problems, func(a, b Problem) int {
		la, lb := a.Line, b.Line
		if la == 0 {
			la = math.MaxInt
		}
		if lb == 0 {
			lb = math.MaxInt
		}
		return cmpInt(la, lb)
	})
	v.rep.HeadSeq, v.rep.HeadHash = head, headHash
	v.rep.OK = len(v.rep.Problems) == 0 && v.rep.Omitted == 0
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// integrityDetail reads kind and message from an integrity entry's detail.
func integrityDetail(raw json.RawMessage) (kind, msg string) {
	var d struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &d)
	return d.Kind, d.Message
}

// truncationRecord returns e's Seq if e is Open's record of a truncation,
// which explains the gap before it; 0 otherwise.
func truncationRecord(e *ventry) uint64 {
	if e.Action != ActionIntegrity {
		return 0
	}
	if kind, _ := integrityDetail(e.Detail); kind == KindTruncated {
		return e.Seq
	}
	return 0
}

// peekSeq returns the seq a damaged line starts with, if it still does.
func peekSeq(line []byte) uint64 {
	const p = `{"seq":`
	if !bytes.HasPrefix(line, []byte(p)) {
		return 0
	}
	i := len(p)
	j := i
	for j < len(line) && j-i < 20 && isDigit(line[j]) {
		j++
	}
	n, _ := strconv.ParseUint(string(line[i:j]), 10, 64)
	return n
}

// seqSet is a set of sequence numbers: a bitmap in chunks of 65536, so
// that it costs one bit per entry for the dense sequences of a real log and
// stays small when a forged line claims an absurd Seq.
type seqSet map[uint64]*[1024]uint64

func (s seqSet) has(n uint64) bool {
	c := s[n>>16]
	if c == nil {
		return false
	}
	i := n & 0xffff
	return c[i>>6]&(1<<(i&63)) != 0
}

func (s seqSet) add(n uint64) {
	c := s[n>>16]
	if c == nil {
		c = new([1024]uint64)
		s[n>>16] = c
	}
	i := n & 0xffff
	c[i>>6] |= 1 << (i & 63)
}
