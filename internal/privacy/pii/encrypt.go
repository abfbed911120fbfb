package pii

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/segment"
)

// Encryptor encrypts the High fields of messages at ingest. Its fields are
// read-only after setup; one Encryptor serves every goroutine (if Keys is
// safe for concurrent use, as Keys implementations must be).
type Encryptor struct {
	// Classifier decides the tiers; nil applies the built-in rules.
	Classifier *Classifier
	// Keys gives each subject's data key.
	Keys Keys
	// IndexKey is the blind-index key (32 random bytes; at least 16).
	IndexKey []byte
}

// IdentToken is the blind index of an identifier found in a message: what
// the store indexes so that the person can be found by email or phone.
type IdentToken struct {
	Kind  string // KindEmail or KindPhone
	Token Token
	Path  string // the field's path in the message
}

// Result is what Encrypt found and did.
type Result struct {
	// Changed is true when Encrypt sealed at least one field: the message
	// must be re-encoded (its original bytes hold the plaintext).
	Changed bool
	// Tokens are the blind indexes of the message's emails and phones,
	// those it sealed and those it found already sealed.
	Tokens []IdentToken
	// HighFields counts the High fields: sealed now or found sealed.
	HighFields int
	// MediumFields are the paths of the Medium fields (traits, then
	// properties, then context; members in message order). The slice may be
	// shared between results (see internMedium): read it, do not modify it.
	MediumFields []string
}

// roots are the parts of a message that hold personal data. The ids at the
// top level (userId, anonymousId, ...) are the pseudonymous keys the whole
// system joins on; event and page names are the sender's vocabulary.
var roots = [...]string{"traits", "properties", "context"}

// rootInfos are the roots' key infos.
var rootInfos = [len(roots)]keyInfo{infoOf([]byte(roots[0])), infoOf([]byte(roots[1])), infoOf([]byte(roots[2]))}

// Encrypt seals every High field of the message v (a parsed Segment
// message) under the data key of subject (see Subject), replacing the
// value with its envelope, and reports the message's identifier tokens and
// Medium fields. region is the default region of national phone numbers
// (the source's country; "" for international numbers only).
//
// It walks traits, properties and context (context.traits included),
// objects and arrays to any depth. Already sealed values are left as they
// are and counted, so re-ingesting an encrypted message changes nothing.
// Empty strings, booleans and nulls are never sealed. Keys.KeyFor is called
// only when the message has a field to seal: the walk of a message without
// one allocates nothing (once the caches of keys and Medium paths are warm).
//
// Encrypt changes v in place but never writes into a Value it did not
// create below the top level: the objects and arrays on the way to a sealed
// field are copied (into arena) and the copy replaces the top-level member.
// Values shared with other messages — ingest merges a batch's context into
// each of its messages by reference — are thus never altered. A copied
// object keeps one member per key: a duplicated key keeps its last value.
// A message with a duplicated top-level "traits", "properties" or
// "context" is refused, since readers disagree on which one counts. On
// error, v is unchanged.
//
// Reading a string through fastjson unescapes it in place, after which
// fastjson would write some strings (a quote or backslash together with a
// control character, DEL or invalid UTF-8) as invalid JSON. When the
// message holds such a string, Encrypt replaces v's content by a reparsed
// copy that writes correctly: v.MarshalTo always gives valid JSON
// afterwards, whether or not anything was sealed.
func (e *Encryptor) Encrypt(v *fastjson.Value, subject string, region string, arena *fastjson.Arena) (Result, error) {
	if v == nil || v.Type() != fastjson.TypeObject {
		return Result{}, &segment.FieldError{Field: "message", Reason: "must be a JSON object"}
	}
	w := walkers.Get().(*walker)
	defer w.release()
	*w = walker{e: e, cls: e.Classifier, subject: subject, region: region, arena: arena,
		path: w.path[:0], medium: w.medium[:0], buf: w.buf[:0]}
	w.overrides = w.cls.hasOverrides()
	w.group = string(v.GetStringBytes("type")) == segment.Group

	// First the top level: refuse an ambiguous message before anything is
	// sealed (or a key made for it).
	var seen [len(roots)]bool
	dup := -1
	o, _ := v.Object()
	o.Visit(func(k []byte, cv *fastjson.Value) {
		if fjMangles(k) {
			w.mangled = true
		}
		if cv.Type() == fastjson.TypeString {
			if s, _ := cv.StringBytes(); fjMangles(s) {
				w.mangled = true // a string Validate read, say
			}
		}
		for i, r := range roots {
			if string(k) == r {
				if seen[i] {
					dup = i
				}
				seen[i] = true
			}
		}
	})
	if dup >= 0 {
		return Result{}, &segment.FieldError{Field: roots[dup], Reason: "appears more than once"}
	}
	var repl [len(roots)]*fastjson.Value
	for i, r := range roots {
		if seen[i] {
			w.path = append(w.path[:0], r...)
			w.root = i
			repl[i] = w.walk(o.Get(r), rootInfos[i], 0, inherit{}, 0)
		}
	}
	if w.err != nil {
		return Result{}, w.err
	}
	for i, r := range repl {
		if r != nil {
			v.Set(roots[i], r)
		}
	}
	if w.mangled {
		*v = *reparse(v)
	}
	if len(w.medium) > 0 {
		w.res.MediumFields = internMedium(w.medium)
	}
	return w.res, nil
}

// walkers recycles walkers with their buffers: a walker's buffers must live
// on the heap (slices stored through a pointer escape), and allocating them
// per message is what the hot path must not do.
var walkers = sync.Pool{New: func() any {
	return &walker{path: make([]byte, 0, 256), medium: make([]byte, 0, 128)}
}}

// release returns w to the pool without the references of its last call.
func (w *walker) release() {
	if cap(w.path) > 4<<10 || cap(w.buf) > 4<<10 {
		return // a freak message; let its big buffers go
	}
	*w = walker{path: w.path[:0], medium: w.medium[:0], buf: w.buf[:0]}
	walkers.Put(w)
}

// walker is one Encrypt call's state.
type walker struct {
	e         *Encryptor
	cls       *Classifier
	overrides bool
	subject   string
	region    string
	arena     *fastjson.Arena
	res       Result
	group     bool
	root      int // index in roots of the root being walked
	err       error
	// mangled is set when a string or key that the walk unescaped would be
	// written back as invalid JSON (see fjMangles).
	mangled bool

	// path is the dotted path of the value being walked.
	path []byte
	// medium collects Medium paths, each followed by a 0 byte.
	medium []byte

	// The subject's key, fetched at the first field to seal.
	keyed bool
	keyID uint64
	aead  cipher.AEAD
	buf   []byte
}

// change is a child to replace in a copied container.
type change struct {
	i int
	v *fastjson.Value
}

// walk classifies v, at w.path, whose key's info is ki and whose parent's
// is parent, and returns the value that replaces it, or nil if it stays.
// depth is 0 for the roots.
func (w *walker) walk(v *fastjson.Value, ki, parent keyInfo, in inherit, depth int) *fastjson.Value {
	if w.err != nil {
		return nil
	}
	if w.overrides {
		if t, ok := w.cls.override(w.path); ok {
			return w.forced(v, ki, parent, t)
		}
	}
	// The direct members of a group message's traits describe a company.
	groupTraits := w.group && depth == 1 && w.root == 0
	switch v.Type() {
	case fastjson.TypeObject:
		if depth > 0 {
			in = under(ki, parent, in, groupTraits)
		}
		var changes []change
		i := 0
		o, _ := v.Object()
		o.Visit(func(k []byte, cv *fastjson.Value) {
			cki := lookupKey(k)
			if cki&kiMangles != 0 {
				w.mangled = true
			}
			n := len(w.path)
			w.path = append(w.path, '.')
			w.path = append(w.path, k...)
			if r := w.walk(cv, cki, ki, in, depth+1); r != nil {
				changes = append(changes, change{i, r})
			}
			w.path = w.path[:n]
			i++
		})
		if len(changes) == 0 || w.err != nil {
			return nil
		}
		return w.copyObject(o, changes)
	case fastjson.TypeArray:
		if depth > 0 {
			in = under(ki, parent, in, groupTraits)
		}
		var changes []change
		a, _ := v.Array()
		for i, cv := range a {
			n := len(w.path)
			w.path = append(w.path, '.')
			w.path = strconv.AppendInt(w.path, int64(i), 10)
			if r := w.walk(cv, 0, ki, in, depth+1); r != nil {
				changes = append(changes, change{i, r})
			}
			w.path = w.path[:n]
		}
		if len(changes) == 0 || w.err != nil {
			return nil
		}
		na := w.arena.NewArray()
		for i, cv := range a {
			na.SetArrayItem(i, cv)
		}
		for _, c := range changes {
			na.SetArrayItem(c.i, c.v)
		}
		return na
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		if fjMangles(s) {
			w.mangled = true
		}
		if len(trimSpace(s)) == 0 {
			return nil
		}
		if isEnvelopeText(s) {
			w.found(s)
			return nil
		}
		tier, kind := leaf(ki, parent, in, groupTraits, s, true)
		return w.apply(tier, kind, s, false)
	case fastjson.TypeNumber:
		tier, kind := leaf(ki, parent, in, groupTraits, nil, false)
		if tier != High {
			return w.apply(tier, kind, nil, true)
		}
		if kind == KindEmail {
			kind = KindPII // a number in an email field is no email
		}
		w.buf = v.MarshalTo(w.buf[:0])
		return w.seal(kind, w.buf, true)
	}
	return nil
}

// apply acts on a leaf's tier.
func (w *walker) apply(tier Tier, kind string, value []byte, isJSON bool) *fastjson.Value {
	switch tier {
	case Medium:
		w.medium = append(w.medium, w.path...)
		w.medium = append(w.medium, 0)
	case High:
		return w.seal(kind, value, isJSON)
	}
	return nil
}

// forced applies an override: High seals the value whole (objects and
// arrays as their JSON text), Medium reports it, Low leaves it.
func (w *walker) forced(v *fastjson.Value, ki, parent keyInfo, t Tier) *fastjson.Value {
	switch t {
	case Medium:
		w.medium = append(w.medium, w.path...)
		w.medium = append(w.medium, 0)
	case High:
		switch v.Type() {
		case fastjson.TypeString:
			s, _ := v.StringBytes()
			if len(trimSpace(s)) == 0 {
				return nil
			}
			if isEnvelopeText(s) {
				w.found(s)
				return nil
			}
			kind := contentKind(s, true)
			if kind == "" || kind == KindPII {
				kind = classIn(ki, parent, false).kind()
			}
			return w.seal(kind, s, false)
		default:
			return w.seal(KindPII, v.MarshalTo(nil), true)
		}
	}
	return nil
}

// found counts an envelope already in the message and reports its token.
func (w *walker) found(s []byte) {
	w.res.HighFields++
	p, _ := scanEnvelope(s)
	if p.tokEnd > p.idEnd+1 {
		w.res.Tokens = append(w.res.Tokens, IdentToken{
			Kind:  string(s[len(envPrefix):p.kindEnd]),
			Token: Token(s[p.idEnd+1 : p.tokEnd]),
			Path:  string(w.path),
		})
	}
}

// Errors of Encrypt's setup.
var (
	errNoSubject  = errors.New("pii: the message has personal fields but no subject")
	errNoKeys     = errors.New("pii: no key store")
	errNoIndexKey = errors.New("pii: the blind-index key is missing or shorter than 16 bytes")
)

// seal replaces a High value by its envelope.
func (w *walker) seal(kind string, value []byte, isJSON bool) *fastjson.Value {
	if !w.keyed {
		switch {
		case w.subject == "":
			w.err = errNoSubject
		case w.e.Keys == nil:
			w.err = errNoKeys
		case len(w.e.IndexKey) < 16:
			w.err = errNoIndexKey
		}
		if w.err != nil {
			return nil
		}
		id, a, err := w.e.Keys.KeyFor(w.subject)
		if err != nil {
			w.err = fmt.Errorf("pii: data key of the message's subject: %w", err)
			return nil
		}
		if a == nil {
			w.err = errors.New("pii: the key store returned no key")
			return nil
		}
		w.keyed, w.keyID, w.aead = true, id, a
		if w.arena == nil {
			w.arena = new(fastjson.Arena)
		}
	}
	var token Token
	if !isJSON {
		switch kind {
		case KindEmail:
			if norm, ok := NormalizeEmail(string(value)); ok {
				token = BlindIndex(w.e.IndexKey, KindEmail, norm)
			}
		case KindPhone:
			if norm, ok := NormalizePhone(string(value), w.region); ok {
				token = BlindIndex(w.e.IndexKey, KindPhone, norm)
			}
		}
	}
	env := seal(make([]byte, 0, 96+len(value)*4/3+len(w.path)*4/3), w.aead, w.keyID, kind, token, w.path, value, isJSON)
	if token != "" {
		w.res.Tokens = append(w.res.Tokens, IdentToken{Kind: kind, Token: token, Path: string(w.path)})
	}
	w.res.HighFields++
	w.res.Changed = true
	return w.arena.NewStringBytes(env)
}

// copyObject returns a copy of o (made in the arena) with changes applied.
func (w *walker) copyObject(o *fastjson.Object, changes []change) *fastjson.Value {
	no := w.arena.NewObject()
	i, j := 0, 0
	o.Visit(func(k []byte, cv *fastjson.Value) {
		if j < len(changes) && changes[j].i == i {
			cv = changes[j].v
			j++
		}
		no.Set(string(k), cv)
		i++
	})
	return no
}

// Medium paths come in few combinations (context.ip with
// context.userAgent, say), repeated in every message of a source. Interning
// each combination's slice once lets Encrypt report them without
// allocating. The table is bounded, so hostile traffic with ever new keys
// costs allocations, never memory.
var medium struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string][]string]
}

const maxMediumCombos = 4096

// internMedium returns the paths in key (each followed by a 0 byte) as a
// shared slice.
func internMedium(key []byte) []string {
	if m := medium.m.Load(); m != nil {
		if s, ok := (*m)[string(key)]; ok {
			return s
		}
	}
	var paths []string
	for start, i := 0, 0; i < len(key); i++ {
		if key[i] == 0 {
			paths = append(paths, string(key[start:i]))
			start = i + 1
		}
	}
	medium.mu.Lock()
	defer medium.mu.Unlock()
	old := medium.m.Load()
	if old != nil && len(*old) >= maxMediumCombos {
		return paths
	}
	m := make(map[string][]string, 1+len(mapOrNil(old)))
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[string(key)] = paths
	medium.m.Store(&m)
	return paths
}

// fjMangles reports whether fastjson would write s, a string or key it has
// unescaped, as invalid JSON. Reading a string's value through fastjson
// unescapes it in place, and fastjson then quotes strings holding a '"', a
// '\\' or a control character with strconv.AppendQuote, whose \a, \v, \xNN
// and \UNNNNNNNN escapes JSON does not have. Encrypt reads every string it
// walks, so a message it returns must not hold such a value.
func fjMangles(s []byte) bool {
	if !fjSpecial(s) {
		return false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == 0x7f || c < 0x20 && c != '\b' && c != '\f' && c != '\n' && c != '\r' && c != '\t' {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 || r > 0xffff && !strconv.IsPrint(r) {
			return true
		}
		i += n
	}
	return false
}

// reparse returns a copy of v whose strings and keys fastjson writes as it
// read them: v written as correct JSON, parsed by a parser of its own (kept
// alive by the values that point into it).
func reparse(v *fastjson.Value) *fastjson.Value {
	var p fastjson.Parser
	nv, err := p.ParseBytes(appendJSON(nil, v))
	if err != nil {
		panic("pii: reparse: " + err.Error()) // appendJSON writes valid JSON
	}
	return nv
}

// fjSpecial reports whether s holds a '"', a '\\' or a control character
// (fastjson's test for quoting a string the slow way): eight bytes at a time,
// then byte by byte.
func fjSpecial(s []byte) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for len(s) >= 8 {
		// Some byte of x is below n (n ≤ 0x80) exactly when
		// (x - n·ones) &^ x has a high bit set; a zero byte is one below 1.
		x := binary.LittleEndian.Uint64(s)
		q := x ^ (ones * '"')
		b := x ^ (ones * '\\')
		if ((x-ones*0x20)&^x|(q-ones)&^q|(b-ones)&^b)&highs != 0 {
			return true
		}
		s = s[8:]
	}
	for _, c := range s {
		if fjSpecialTab[c] {
			return true
		}
	}
	return false
}

var fjSpecialTab = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func mapOrNil[V any](m *map[string]V) map[string]V {
	if m == nil {
		return nil
	}
	return *m
}
