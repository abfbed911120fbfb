package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/jsonw"
)

// Search limits.
const (
	DefaultSearchLimit = 100
	MaxSearchLimit     = 1000
)

// Filter selects entries for Search. Zero fields select everything.
type Filter struct {
	// Actor matches Actor exactly, or ActorEmail ignoring the case of
	// ASCII letters.
	Actor string
	// Action matches whole dotted words from the start: "privacy" or
	// "privacy." matches "privacy.export" and "privacy.erasure";
	// "auth.login" matches "auth.login" but not "auth.login_failed".
	Action string
	// Target matches Target exactly. It is masked as Append masks Target,
	// so searching for a raw email address finds its masked form (and so
	// any address that masks the same way).
	Target string
	// Outcome matches Outcome exactly.
	Outcome string
	// Since and Until bound Time: Since <= Time < Until.
	Since, Until time.Time
	// Text is a substring to find in Target or in any key, string or
	// number of Detail, ignoring the case of ASCII letters. It is masked
	// like Target.
	Text string
	// Limit is the most entries to return: DefaultSearchLimit if 0,
	// at most MaxSearchLimit.
	Limit int
	// BeforeSeq, if set, returns only entries with a smaller Seq: pass the
	// Seq of the last entry of one page to get the next.
	BeforeSeq uint64
}

// Search returns the entries that match f, newest first.
//
// It reads the file backwards from its end in blocks, so a query for
// recent entries costs the size of its answer, not of the log. The
// BeforeSeq cursor and Until bound are found by binary search over the file
// (Seq rises and Time never falls from one line to the next), so a page deep
// in a log of millions of entries is as quick as the first; the scan stops
// at Since. Lines that are not readable entries are skipped: Verify is the
// place to look for damage. Search sees every entry committed when it
// starts.
func (l *Log) Search(ctx context.Context, f Filter) ([]Entry, error) {
	if l.closed() {
		return nil, ErrClosed
	}
	size := l.committed.Load()
	file, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("search audit log: %w", err)
	}
	defer file.Close()
	out, err := search(ctx, file, size, f)
	if err != nil {
		return nil, fmt.Errorf("search audit log %s: %w", l.path, err)
	}
	return out, nil
}

// search runs Search over r[0:size).
func search(ctx context.Context, r io.ReaderAt, size int64, f Filter) ([]Entry, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultSearchLimit
	case limit > MaxSearchLimit:
		limit = MaxSearchLimit
	}
	m := newMatcher(f)
	end := size
	if f.BeforeSeq > 0 || !f.Until.IsZero() {
		var err error
		end, err = seekBound(r, size, m.after)
		if err != nil {
			return nil, err
		}
	}
	bl, err := newBackLines(r, end)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for n := 1; len(out) < limit; n++ {
		line, _, ok := bl.next()
		if !ok {
			break
		}
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if len(line) == 0 {
			continue
		}
		if seq, t, ok := peekSeqTime(line); ok {
			if m.after(seq, t) {
				continue
			}
			if !f.Since.IsZero() && t.Before(f.Since) {
				break // Time never rises going backwards
			}
		}
		if !m.prefilter(line) {
			continue
		}
		e, err := decodeEntry(line)
		if err != nil || !m.match(&e) {
			continue
		}
		out = append(out, e)
	}
	if bl.err != nil {
		return nil, bl.err
	}
	return out, nil
}

// seekBound returns the offset of the first line whose entry is after the
// bounds (after reports it), by binary search over byte offsets: lines are
// in Seq and Time order, so "after" is false up to some line and true from
// it on.
func seekBound(r io.ReaderAt, size int64, after func(uint64, time.Time) bool) (int64, error) {
	lo, hi := int64(0), size
	for lo < hi {
		mid := lo + (hi-lo)/2
		past, err := probe(r, mid, size, after)
		if err != nil {
			return 0, err
		}
		if past {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	_, start, _, ok, err := lineAt(r, lo, size)
	if err != nil {
		return 0, err
	}
	if !ok {
		return size, nil
	}
	return start, nil
}

// probe reports whether the first readable entry starting at or after pos
// is after the bounds; with none left, it is (the end is past everything).
func probe(r io.ReaderAt, pos, size int64, after func(uint64, time.Time) bool) (bool, error) {
	for {
		line, _, next, ok, err := lineAt(r, pos, size)
		if err != nil || !ok {
			return true, err
		}
		if seq, t, ok := peekSeqTime(line); ok {
			return after(seq, t), nil
		}
		if e, err := decodeEntry(line); err == nil {
			return after(e.Seq, e.Time), nil
		}
		pos = next
	}
}

// matcher applies a Filter: first a cheap test on the raw line — text the
// line must contain if it matches — then the exact test on the decoded
// entry.
type matcher struct {
	f      Filter
	exact  [][]byte // must occur as they are
	folded [][]byte // must occur, ASCII case folded; lower-case
	text   string   // lower-case Text
	lower  []byte   // scratch: the line, lower-cased
}

func newMatcher(f Filter) *matcher {
	f.Target = ScrubString(f.Target)
	f.Text = ScrubString(f.Text)
	m := &matcher{f: f, text: asciiLower(f.Text)}
	if f.Action != "" {
		m.exact = append(m.exact, []byte(`"action":"`+jsonBody(f.Action)))
	}
	if f.Target != "" {
		m.exact = append(m.exact, []byte(`"target":"`+jsonBody(f.Target)+`"`))
	}
	if f.Outcome != "" {
		m.exact = append(m.exact, []byte(`"outcome":"`+jsonBody(f.Outcome)+`"`))
	}
	// Folded needles are only safe when the JSON form of the text is the
	// text itself: then a match in a decoded field implies the bytes are
	// in the line.
	if f.Actor != "" && jsonBody(f.Actor) == f.Actor {
		m.folded = append(m.folded, []byte(asciiLower(f.Actor)))
	}
	if f.Text != "" && jsonBody(f.Text) == f.Text {
		m.folded = append(m.folded, []byte(m.text))
	}
	return m
}

// after reports whether an entry is past BeforeSeq or Until.
func (m *matcher) after(seq uint64, t time.Time) bool {
	return (m.f.BeforeSeq > 0 && seq >= m.f.BeforeSeq) || (!m.f.Until.IsZero() && !t.Before(m.f.Until))
}

func (m *matcher) prefilter(line []byte) bool {
	for _, n := range m.exact {
		if !bytes.Contains(line, n) {
			return false
		}
	}
	if len(m.folded) == 0 {
		return true
	}
	m.lower = append(m.lower[:0], line...)
	for i, c := range m.lower {
		if c >= 'A' && c <= 'Z' {
			m.lower[i] = c + 'a' - 'A'
		}
	}
	for _, n := range m.folded {
		if !bytes.Contains(m.lower, n) {
			return false
		}
	}
	return true
}

func (m *matcher) match(e *Entry) bool {
	f := &m.f
	switch {
	case m.after(e.Seq, e.Time):
		return false
	case !f.Since.IsZero() && e.Time.Before(f.Since):
		return false
	case f.Actor != "" && e.Actor != f.Actor && asciiLower(e.ActorEmail) != asciiLower(f.Actor):
		return false
	case f.Action != "" && !actionMatch(e.Action, f.Action):
		return false
	case f.Target != "" && e.Target != f.Target:
		return false
	case f.Outcome != "" && e.Outcome != f.Outcome:
		return false
	}
	if m.text == "" {
		return true
	}
	return strings.Contains(asciiLower(e.Target), m.text) || m.detailContains(e.Detail)
}

// detailContains reports whether Text is in any key or value of a detail
// tree.
func (m *matcher) detailContains(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(asciiLower(v), m.text)
	case json.Number:
		return strings.Contains(string(v), m.text)
	case map[string]any:
		for k, x := range v {
			if strings.Contains(asciiLower(k), m.text) || m.detailContains(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if m.detailContains(x) {
				return true
			}
		}
	}
	return false
}

// actionMatch reports whether action starts with the whole dotted words of
// prefix (see Filter.Action).
func actionMatch(action, prefix string) bool {
	if strings.HasSuffix(prefix, ".") {
		return strings.HasPrefix(action, prefix)
	}
	return action == prefix || strings.HasPrefix(action, prefix+".")
}

// jsonBody returns s as the writer encodes it inside a JSON string, without
// the quotes.
func jsonBody(s string) string {
	var w jsonw.Writer
	w.String(s)
	b := w.Bytes()
	return string(b[1 : len(b)-1])
}

// asciiLower lower-cases ASCII letters only, leaving other text as it is, so
// that the test on decoded text and the test on raw bytes agree.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
