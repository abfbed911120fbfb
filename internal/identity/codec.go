package identity

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"math"
	"sort"
)

// Key spaces, after Config.KeyPrefix. Profile ids have a fixed length
// (pidLen), so a profile's prefix never matches another profile's keys.
const (
	spaceID       = 'I' // I hkey                → idRec
	spaceMember   = 'M' // M pid hkey            → encoded ID
	spaceProfile  = 'P' // P pid                 → profRec
	spaceMerge    = 'L' // L ^seq idx            → Merge (JSON), newest first
	spaceMergeBy  = 'l' // l pid ^seq idx        → "" (merges naming pid)
	spaceConflict = 'C' // C ^seq idx            → Conflict (JSON), newest first
	spaceConfBy   = 'c' // c pid ^seq idx        → "" (conflicts naming pid)
	spaceConfSeen = 'K' // K digest              → 1 (a refused link already recorded)
)

// pidLen is the length of a profile id: "p_" and 16 base32 characters
// (80 bits: a collision among 10^9 profiles has a chance of 4·10^-7, and
// New checks anyway).
const pidLen = 18

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newPID derives a profile id from the identifier that founded the profile
// and the event that created it, so a replay creates the same ids.
func newPID(founder hkey, salt string, seq uint64) string {
	h := sha256.New()
	h.Write([]byte("tradewind/identity/profile\x00"))
	h.Write(founder[:])
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], seq)
	h.Write(n[:])
	h.Write([]byte(salt))
	var sum [32]byte
	return "p_" + b32.EncodeToString(h.Sum(sum[:0])[:10])
}

func isPID(p string) bool {
	if len(p) != pidLen || p[:2] != "p_" {
		return false
	}
	for i := 2; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func (g *Graph) key(space byte, parts ...[]byte) []byte {
	n := len(g.s.prefix) + 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, g.s.prefix...)
	k = append(k, space)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func (g *Graph) idKey(h hkey) []byte { return g.key(spaceID, h[:]) }
func (g *Graph) memberKey(pid string, h hkey) []byte {
	return g.key(spaceMember, []byte(pid), h[:])
}
func (g *Graph) memberPrefix(pid string) []byte { return g.key(spaceMember, []byte(pid)) }
func (g *Graph) profileKey(pid string) []byte   { return g.key(spaceProfile, []byte(pid)) }

// logPos orders log entries newest first: the sequence inverted, then the
// entry's index within its message.
func logPos(seq uint64, idx int) []byte {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:], math.MaxUint64-seq)
	binary.BigEndian.PutUint16(b[8:], uint16(idx))
	return b[:]
}

func parseLogPos(b []byte) (seq uint64, idx int) {
	return math.MaxUint64 - binary.BigEndian.Uint64(b), int(binary.BigEndian.Uint16(b[8:]))
}

var errCorrupt = errors.New("identity: corrupt record")

// Record flags of an identifier.
const (
	flagContested = 1 // seen with two values of one strong namespace: links nothing
	flagShared    = 2 // past its threshold: detached into a profile of its own
)

// idRec is what the graph holds for an identifier: its profile, when it was
// first seen, for weak identifiers the strong identifiers it was seen with
// ("witnesses", 64-bit digests grouped by strong kind and namespace, a
// few per group), from which shared emails and devices are recognised,
// and its edges: the identifiers messages linked it with. Edges live in
// the records of both ends, so that the common message — identifiers
// already linked — needs no read beyond the records themselves, and a
// split reads a profile's edges with its members.
type idRec struct {
	pid   string
	flags byte
	first uint64
	wit   []witGroup
	adj   []adjEdge // sorted by h
	dirty bool
}

// adjEdge is one edge of an identifier.
type adjEdge struct {
	h     hkey
	flags byte   // edgeLinked, edgeWitness
	seq   uint64 // the message that first linked them (or first showed them together)
}

// maxAdjacency bounds an identifier's edges. Limits keep real profiles far
// below it; an identifier past it (one that keeps being linked and split
// away) records no more edges, so a later split or unmerge may separate
// what those unrecorded links joined.
const maxAdjacency = 4096

// edge returns the index of the edge to h, or -1.
func (r *idRec) edge(h hkey) int {
	i := sort.Search(len(r.adj), func(i int) bool { return bytes.Compare(r.adj[i].h[:], h[:]) >= 0 })
	if i < len(r.adj) && r.adj[i].h == h {
		return i
	}
	return -1
}

// addEdge adds flags to the edge to h and reports whether that changed
// anything. The sequence kept is the one of the message that first showed
// the two together, re-stamped by the first message that links them:
// unmerge orders links by it.
func (r *idRec) addEdge(h hkey, flags byte, seq uint64) bool {
	i := sort.Search(len(r.adj), func(i int) bool { return bytes.Compare(r.adj[i].h[:], h[:]) >= 0 })
	if i < len(r.adj) && r.adj[i].h == h {
		e := &r.adj[i]
		if e.flags|flags == e.flags {
			return false
		}
		if flags&edgeLinked != 0 && e.flags&edgeLinked == 0 {
			e.seq = seq
		}
		e.flags |= flags
		return true
	}
	if len(r.adj) >= maxAdjacency {
		return false
	}
	r.adj = append(r.adj, adjEdge{})
	copy(r.adj[i+1:], r.adj[i:])
	r.adj[i] = adjEdge{h: h, flags: flags, seq: seq}
	return true
}

// dropEdgeFlags clears flags of the edge to h, removing it when none is
// left.
func (r *idRec) dropEdgeFlags(h hkey, flags byte) bool {
	i := r.edge(h)
	if i < 0 {
		return false
	}
	r.adj[i].flags &^= flags
	if r.adj[i].flags == 0 {
		r.adj = append(r.adj[:i], r.adj[i+1:]...)
	}
	return true
}

type witGroup struct {
	ns    uint32
	allow uint8    // values of the namespace one profile may hold (MaxPerKind)
	vals  []uint64 // sorted
}

// level measures how many people an identifier is evidently shared by:
// the largest number of distinct values of one strong namespace it was
// seen with, less the values one profile may hold beyond the first. 1 or
// less is one person.
func (r *idRec) level() int {
	n := 0
	for _, w := range r.wit {
		n = max(n, len(w.vals)-int(w.allow)+1)
	}
	return n
}

// widest is the number of distinct values in the namespace that gives
// the identifier its level, for sentences.
func (r *idRec) widest() int {
	n, lvl := 0, -1<<30
	for _, w := range r.wit {
		if l := len(w.vals) - int(w.allow) + 1; l > lvl {
			n, lvl = len(w.vals), l
		}
	}
	return n
}

// addWitness records that the identifier was seen with a strong identifier;
// it reports whether that is new. capPer bounds the values kept per group:
// past the threshold the exact count no longer matters.
func (r *idRec) addWitness(ns uint32, allow int, v uint64, capPer int) bool {
	i := sort.Search(len(r.wit), func(i int) bool { return r.wit[i].ns >= ns })
	if i == len(r.wit) || r.wit[i].ns != ns {
		if len(r.wit) >= maxWitnessGroups {
			return false
		}
		r.wit = append(r.wit, witGroup{})
		copy(r.wit[i+1:], r.wit[i:])
		r.wit[i] = witGroup{ns: ns, allow: uint8(min(allow, 255))}
	}
	w := &r.wit[i]
	j := sort.Search(len(w.vals), func(j int) bool { return w.vals[j] >= v })
	if j < len(w.vals) && w.vals[j] == v {
		return false
	}
	if len(w.vals) >= capPer+int(w.allow)-1 {
		return false
	}
	w.vals = append(w.vals, 0)
	copy(w.vals[j+1:], w.vals[j:])
	w.vals[j] = v
	return true
}

// removeWitness forgets a strong identifier (erasure).
func (r *idRec) removeWitness(ns uint32, v uint64) bool {
	for i := range r.wit {
		w := &r.wit[i]
		if w.ns != ns {
			continue
		}
		for j, x := range w.vals {
			if x == v {
				w.vals = append(w.vals[:j], w.vals[j+1:]...)
				if len(w.vals) == 0 {
					r.wit = append(r.wit[:i], r.wit[i+1:]...)
				}
				return true
			}
		}
	}
	return false
}

func (r *idRec) encode() []byte {
	b := make([]byte, 0, 16+len(r.pid)+len(r.wit)*16+len(r.adj)*20)
	b = append(b, 1, r.flags)
	b = appendString(b, r.pid)
	b = binary.AppendUvarint(b, r.first)
	b = binary.AppendUvarint(b, uint64(len(r.wit)))
	for _, w := range r.wit {
		b = binary.BigEndian.AppendUint32(b, w.ns)
		b = append(b, w.allow)
		b = binary.AppendUvarint(b, uint64(len(w.vals)))
		for _, v := range w.vals {
			b = binary.BigEndian.AppendUint64(b, v)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(r.adj)))
	for _, e := range r.adj {
		b = append(b, e.h[:]...)
		b = append(b, e.flags)
		b = binary.AppendUvarint(b, e.seq)
	}
	return b
}

func decodeIDRec(b []byte) (*idRec, error) {
	d := decoder{b: b}
	if d.byte() != 1 {
		return nil, errCorrupt
	}
	r := &idRec{flags: d.byte(), pid: d.string(), first: d.uvarint()}
	n := d.uvarint()
	if n > maxWitnessGroups {
		return nil, errCorrupt
	}
	for range n {
		w := witGroup{ns: d.uint32(), allow: d.byte()}
		m := d.uvarint()
		if m > 1<<10 || w.allow == 0 {
			return nil, errCorrupt
		}
		w.vals = make([]uint64, m)
		for j := range w.vals {
			w.vals[j] = d.uint64()
		}
		r.wit = append(r.wit, w)
	}
	n = d.uvarint()
	if n > maxAdjacency {
		return nil, errCorrupt
	}
	if n > 0 {
		r.adj = make([]adjEdge, n)
		for i := range r.adj {
			copy(r.adj[i].h[:], d.bytes(16))
			r.adj[i].flags = d.byte()
			r.adj[i].seq = d.uvarint()
		}
	}
	if d.err || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return r, nil
}

// Profile states.
const (
	stateLive   = 0
	stateMerged = 1 // merged away: into, seed
	stateShared = 2 // holds one shared identifier; never merges
)

// profRec is what the graph holds for a profile: enough to check a merge's
// guard-rails without reading its identifiers (their count per weak kind,
// its strong identifiers, the profiles it must not merge with), and for a
// merged-away profile where it went.
type profRec struct {
	state   byte
	created uint64 // seq of the event that created it (age, for survivorship)
	best    uint8  // rank of its strongest kind
	into    string // merged: the profile it was merged into
	seed    ID     // merged: its strongest identifier at the time, to follow it
	members uint32
	counts  [3]uint32 // per weak kind
	strong  []ID      // sorted
	dnm     []string  // sorted: "do not merge" (an admin undid a merge)
	dirty   bool
}

func (p *profRec) encode() []byte {
	b := make([]byte, 0, 64)
	b = append(b, 1, p.state)
	b = binary.AppendUvarint(b, p.created)
	b = append(b, p.best)
	if p.state == stateMerged {
		b = appendString(b, p.into)
		return appendID(b, p.seed)
	}
	b = binary.AppendUvarint(b, uint64(p.members))
	for _, c := range p.counts {
		b = binary.AppendUvarint(b, uint64(c))
	}
	b = binary.AppendUvarint(b, uint64(len(p.strong)))
	for _, id := range p.strong {
		b = appendID(b, id)
	}
	b = binary.AppendUvarint(b, uint64(len(p.dnm)))
	for _, s := range p.dnm {
		b = appendString(b, s)
	}
	return b
}

func decodeProfRec(b []byte) (*profRec, error) {
	d := decoder{b: b}
	if d.byte() != 1 {
		return nil, errCorrupt
	}
	p := &profRec{state: d.byte(), created: d.uvarint(), best: d.byte()}
	if p.state == stateMerged {
		p.into = d.string()
		p.seed = d.id()
	} else {
		p.members = uint32(d.uvarint())
		for i := range p.counts {
			p.counts[i] = uint32(d.uvarint())
		}
		n := d.uvarint()
		if n > 1<<16 {
			return nil, errCorrupt
		}
		for range n {
			p.strong = append(p.strong, d.id())
		}
		n = d.uvarint()
		if n > 1<<16 {
			return nil, errCorrupt
		}
		for range n {
			p.dnm = append(p.dnm, d.string())
		}
	}
	if d.err || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return p, nil
}

// Edge flags.
const (
	edgeLinked  = 1 // a message linked the two into one profile
	edgeWitness = 2 // a message showed them together (a strong witness of a weak id)
)

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendID(b []byte, id ID) []byte {
	return appendString(appendString(appendString(b, id.Kind), id.NS), id.Value)
}

func encodeID(id ID) []byte { return appendID(nil, id) }

func decodeID(b []byte) (ID, error) {
	d := decoder{b: b}
	id := d.id()
	if d.err || len(d.b) != 0 {
		return id, errCorrupt
	}
	return id, nil
}

// decoder reads a record, remembering the first error.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes(n int) []byte {
	if len(d.b) < n {
		d.err = true
		d.b = nil
		return make([]byte, n)
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint32() uint32 {
	if len(d.b) < 4 {
		d.err = true
		d.b = nil
		return 0
	}
	v := binary.BigEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) uint64() uint64 {
	if len(d.b) < 8 {
		d.err = true
		d.b = nil
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = true
		d.b = nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) id() ID {
	return ID{Kind: d.string(), NS: d.string(), Value: d.string()}
}
