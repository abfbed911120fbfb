package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tradewind/tradewind/internal/jsonw"
)

// Entry is one audit record. The JSON member names are those of the file
// format (see the package documentation).
type Entry struct {
	// Seq numbers entries 1, 2, 3, … without gaps. Append assigns it.
	Seq uint64 `json:"seq"`
	// Time is when the entry was committed, in UTC. Append assigns it; it
	// never goes backwards from one entry to the next, even if the clock
	// does, so that a search can stop at its Since bound.
	Time time.Time `json:"time"`
	// Actor is who acted: a user id, "admin-token", or "system".
	Actor string `json:"actor"`
	// ActorEmail is the staff account's email address, if the actor has
	// one. It is kept as given: it identifies the member of staff, which is
	// what the record is for.
	ActorEmail string `json:"actor_email"`
	// ActorKind says what Actor is: "user", "token", "system", ….
	ActorKind string `json:"actor_kind"`
	// Role is the actor's role when it acted.
	Role string `json:"role"`
	// Action is what was done, as dotted lower-case words: "auth.login",
	// "user.role_change", "privacy.export", "config.change", ….
	Action string `json:"action"`
	// Target is what it was done to (a user id, a source id, a setting).
	// Append masks email addresses and phone numbers in it.
	Target string `json:"target"`
	// Outcome is OutcomeOK, OutcomeDenied or OutcomeFailed.
	Outcome string `json:"outcome"`
	// IP is the client's address.
	IP string `json:"ip"`
	// UserAgent is the client's User-Agent, truncated.
	UserAgent string `json:"user_agent"`
	// Detail holds a few more facts, small and already masked by the
	// caller. Append normalizes it to what JSON gives back — maps, []any,
	// strings, bools, nil and json.Number for numbers (so that large ids
	// keep every digit) — and masks email addresses and phone numbers in
	// its strings and keys. An empty Detail is nil.
	Detail map[string]any `json:"detail"`
	// Prev is the Hash of the entry before, or 64 zeros for the first.
	Prev string `json:"prev"`
	// Hash is the hex SHA-256 (or HMAC-SHA256) of the entry's canonical
	// encoding, which includes Prev.
	Hash string `json:"hash"`
}

// Outcomes of an audited action.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
	OutcomeFailed = "failed"
)

// ActionIntegrity is the Action of the entries Open writes when it finds the
// log damaged. Their Detail has "kind" (a Problem kind) and "message".
const ActionIntegrity = "audit.integrity"

// ErrInvalidEntry is wrapped by Append's error for an entry it refuses: no
// Actor, an Action that is not dotted lower-case words, or an unknown
// Outcome. These are programming errors in the caller, so they fail loudly
// instead of being written as something the reader would misunderstand.
var ErrInvalidEntry = errors.New("invalid audit entry")

// Field size limits. Audit entries should be small; a limit keeps one
// careless caller (or an attacker's 8 KB User-Agent) from bloating the log.
const (
	maxShortField = 256  // Actor, ActorEmail, IP and the like
	maxTarget     = 512  // Target
	maxUserAgent  = 256  // UserAgent
	maxDetail     = 4096 // encoded Detail, in bytes
	maxLine       = 1 << 20
)

// zeroHash is the Prev of the first entry.
var zeroHash = strings.Repeat("0", 64)

// hashSuffix is the member that ends every line before its "}\n".
const hashSuffix = `,"hash":"`

// hashTailLen is the length of `,"hash":"` + 64 hex digits + `"}`: what a
// verifier cuts off a line (without its newline) before appending '}' to
// obtain the hashed message.
const hashTailLen = len(hashSuffix) + 64 + 2

// newHasher returns the digest of the chain: HMAC-SHA256 with key if there
// is one, SHA-256 otherwise.
func newHasher(key []byte) hash.Hash {
	if len(key) > 0 {
		return hmac.New(sha256.New, key)
	}
	return sha256.New()
}

// digest returns the hex digest of the message whose bytes are open + "}".
func digest(h hash.Hash, open []byte) string {
	h.Reset()
	h.Write(open)
	h.Write([]byte{'}'})
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// splitLine splits a line (without its newline) into the hashed message's
// bytes without the final '}' and the hash it claims. ok is false if the
// line does not end the way the writer ends every line.
func splitLine(line []byte) (open []byte, claimed string, ok bool) {
	if len(line) < hashTailLen+2 {
		return nil, "", false
	}
	tail := line[len(line)-hashTailLen:]
	if !bytes.HasPrefix(tail, []byte(hashSuffix)) || !bytes.HasSuffix(tail, []byte(`"}`)) {
		return nil, "", false
	}
	hx := tail[len(hashSuffix) : len(tail)-2]
	if !isHex(hx) {
		return nil, "", false
	}
	return line[:len(line)-hashTailLen], string(hx), true
}

// isHex reports whether b is lower-case hex digits only.
func isHex[T string | []byte](b T) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// validHash reports whether s is a 64-digit lower-case hex hash.
func validHash(s string) bool { return len(s) == 64 && isHex(s) }

// prepared is an entry ready for the writer: normalized, and with the part
// of its encoding that does not depend on its place in the chain (actor …
// detail) already done, outside the writer goroutine.
type prepared struct {
	e    Entry
	body []byte
}

// prepare validates and normalizes e and encodes its body. Seq, Time, Prev
// and Hash are the writer's to fill and are ignored here.
func prepare(e Entry) (prepared, error) {
	if e.Actor == "" {
		return prepared{}, fmt.Errorf("%w: no actor (action %q)", ErrInvalidEntry, e.Action)
	}
	if !validAction(e.Action) {
		return prepared{}, fmt.Errorf("%w: action %q is not dotted lower-case words such as \"auth.login\"", ErrInvalidEntry, e.Action)
	}
	switch e.Outcome {
	case OutcomeOK, OutcomeDenied, OutcomeFailed:
	default:
		return prepared{}, fmt.Errorf("%w: outcome %q of action %s is not ok, denied or failed", ErrInvalidEntry, e.Outcome, e.Action)
	}
	n := Entry{
		Actor:      clean(e.Actor, maxShortField),
		ActorEmail: clean(e.ActorEmail, maxShortField),
		ActorKind:  clean(e.ActorKind, maxShortField),
		Role:       clean(e.Role, maxShortField),
		Action:     e.Action,
		Target:     clean(ScrubString(e.Target), maxTarget),
		Outcome:    e.Outcome,
		IP:         clean(e.IP, maxShortField),
		UserAgent:  clean(e.UserAgent, maxUserAgent),
	}
	detail, raw := normalizeDetail(e.Detail)
	n.Detail = detail

	var w jsonw.Writer
	w.Reset(make([]byte, 0, 256+len(raw)))
	w.Key("actor").String(n.Actor)
	w.Key("actor_email").String(n.ActorEmail)
	w.Key("actor_kind").String(n.ActorKind)
	w.Key("role").String(n.Role)
	w.Key("action").String(n.Action)
	w.Key("target").String(n.Target)
	w.Key("outcome").String(n.Outcome)
	w.Key("ip").String(n.IP)
	w.Key("user_agent").String(n.UserAgent)
	w.Key("detail").Raw(raw)
	return prepared{e: n, body: w.Bytes()}, nil
}

// appendLine appends the full line of an entry at seq/t after prev to dst
// and returns it with the entry's hash.
func appendLine(dst []byte, h hash.Hash, seq uint64, t time.Time, prev string, body []byte) ([]byte, string) {
	start := len(dst)
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"time":"`...)
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `",`...)
	dst = append(dst, body...)
	dst = append(dst, `,"prev":"`...)
	dst = append(dst, prev...)
	dst = append(dst, '"')
	sum := digest(h, dst[start:])
	dst = append(dst, hashSuffix...)
	dst = append(dst, sum...)
	dst = append(dst, "\"}\n"...)
	return dst, sum
}

// validAction reports whether a is two or more dot-separated words of
// lower-case letters, digits and underscores, each starting with a letter.
func validAction(a string) bool {
	if len(a) == 0 || len(a) > 64 {
		return false
	}
	words := 0
	for w := range strings.SplitSeq(a, ".") {
		if w == "" || w[0] < 'a' || w[0] > 'z' {
			return false
		}
		for i := 1; i < len(w); i++ {
			c := w[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return false
			}
		}
		words++
	}
	return words >= 2
}

// clean makes s valid UTF-8 (so that it reads back exactly as written) and
// cuts it to at most max bytes on a character boundary, marking the cut
// with "…".
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= max {
		return s
	}
	const ellipsis = "…"
	cut := max - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// normalizeDetail turns a caller's Detail into the tree JSON gives back
// (see Entry.Detail), scrubs personal data from its strings and keys, and
// encodes it with sorted keys. A Detail that cannot be encoded, or whose
// encoding is larger than maxDetail, is replaced by a small marker: losing
// the detail is better than losing the record of who did what.
func normalizeDetail(d map[string]any) (map[string]any, []byte) {
	if len(d) == 0 {
		return nil, []byte("{}")
	}
	b, err := json.Marshal(d)
	if err != nil {
		m := map[string]any{"_unencodable": true}
		return m, []byte(`{"_unencodable":true}`)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		m := map[string]any{"_unencodable": true}
		return m, []byte(`{"_unencodable":true}`)
	}
	tree = scrubValue(tree).(map[string]any)
	var w jsonw.Writer
	writeValue(&w, tree)
	if len(w.Bytes()) > maxDetail {
		n := json.Number(strconv.Itoa(len(w.Bytes())))
		m := map[string]any{"_truncated_bytes": n}
		return m, []byte(`{"_truncated_bytes":` + string(n) + `}`)
	}
	return tree, w.Bytes()
}

// scrubValue returns v with ScrubString applied to every string and object
// key inside it.
func scrubValue(v any) any {
	switch v := v.(type) {
	case string:
		return ScrubString(v)
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[ScrubString(k)] = scrubValue(x)
		}
		return m
	case []any:
		for i, x := range v {
			v[i] = scrubValue(x)
		}
		return v
	default:
		return v
	}
}

// writeValue encodes a normalized detail tree, object keys sorted bytewise.
func writeValue(w *jsonw.Writer, v any) {
	switch v := v.(type) {
	case nil:
		w.Null()
	case bool:
		w.Bool(v)
	case string:
		w.String(v)
	case json.Number:
		w.Number([]byte(v))
	case []any:
		w.BeginArray()
		for _, x := range v {
			writeValue(w, x)
		}
		w.EndArray()
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w.BeginObject()
		for _, k := range keys {
			w.Key(k)
			writeValue(w, v[k])
		}
		w.EndObject()
	default:
		// normalizeDetail only produces the types above.
		panic(fmt.Sprintf("audit: unexpected detail value of type %T", v))
	}
}

// decodeEntry parses one line into an Entry, numbers in Detail as
// json.Number. It checks the shape only; Verify checks the hash.
func decodeEntry(line []byte) (Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		return Entry{}, err
	}
	if e.Seq == 0 || !validHash(e.Prev) || !validHash(e.Hash) {
		return Entry{}, errors.New("not an audit entry: seq, prev or hash missing")
	}
	if len(e.Detail) == 0 {
		e.Detail = nil
	}
	return e, nil
}

// peekSeqTime reads seq and time from the start of a line as the writer
// lays it out (`{"seq":N,"time":"…"`), without decoding the rest, so that a
// search can skip lines cheaply. ok is false for any other layout.
func peekSeqTime(line []byte) (seq uint64, t time.Time, ok bool) {
	const p1, p2 = `{"seq":`, `,"time":"`
	if !bytes.HasPrefix(line, []byte(p1)) {
		return 0, time.Time{}, false
	}
	i := len(p1)
	j := i
	for j < len(line) && isDigit(line[j]) {
		j++
	}
	if j == i || j-i > 20 {
		return 0, time.Time{}, false
	}
	seq, err := strconv.ParseUint(string(line[i:j]), 10, 64)
	if err != nil || !bytes.HasPrefix(line[j:], []byte(p2)) {
		return 0, time.Time{}, false
	}
	j += len(p2)
	k := bytes.IndexByte(line[j:], '"')
	if k < 0 || k > 40 {
		return 0, time.Time{}, false
	}
	t, err = time.Parse(time.RFC3339Nano, string(line[j:j+k]))
	if err != nil {
		return 0, time.Time{}, false
	}
	return seq, t, true
}
