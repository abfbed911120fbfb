// Package suspect flags reviews that look manipulated, each with the
// reason and a human-readable explanation, so an analyst can judge them
// rather than trust a score:
//
//   - burst: many reviews of one product in a short window compared with
//     that product's own recent rate (bought or incentivised reviews tend to
//     arrive together);
//   - near_duplicate: the same or nearly the same text on another product or
//     from another account (templates, copy-paste farms);
//   - contradiction: the star rating says the opposite of the text (5 stars
//     with a clearly negative text, 1 star with a clearly positive one),
//     using the sentiment score computed elsewhere.
//
// The package is pure and deterministic; Detect is near-linear in the
// number of reviews (see Detect for the rules and their costs).
package suspect

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
	"unicode"
)

// Review is one review to check. Score is the sentiment score of Text in
// [−1, 1] from the sentiment scorer; 0 (unscored or neutral) never makes a
// contradiction. Rating is 1–5 stars, 0 when unknown.
type Review struct {
	ID      string    `json:"id"`
	Product string    `json:"product"`
	Account string    `json:"account"`
	Time    time.Time `json:"time"`
	Rating  int       `json:"rating,omitempty"`
	Text    string    `json:"text"`
	Score   float64   `json:"score"`
}

// Reason says why a review was flagged.
type Reason string

// The reasons, in the order flags of one review are listed.
const (
	Burst         Reason = "burst"
	NearDuplicate Reason = "near_duplicate"
	Contradiction Reason = "contradiction"
)

// Flag is one reason to suspect one review. A review can have up to one
// flag per reason.
type Flag struct {
	ReviewID string `json:"review_id"`
	Reason   Reason `json:"reason"`
	// Detail explains the flag, e.g. "87% similar to review r123 on
	// product P9 by another account".
	Detail string `json:"detail"`
	// Related lists other reviews involved (the rest of the burst, the
	// near-duplicates), at most Options.MaxRelated.
	Related []string `json:"related,omitempty"`
}

// Options tunes Detect; zero fields take the documented defaults.
type Options struct {
	// BurstWindow is the sliding window a burst is counted in (default
	// 24h).
	BurstWindow time.Duration
	// BurstBaseline is how far before the window the product's normal rate
	// is learnt (default 28 days).
	BurstBaseline time.Duration
	// BurstMin is the least number of reviews in a window to be a burst
	// (default 10).
	BurstMin int
	// BurstRatio is how many times the expected count a window must hold
	// (default 5).
	BurstRatio float64
	// MinDupLength is the least text length, after normalisation, for a
	// text to take part in duplicate detection (default 30). Chinese,
	// Japanese and Korean characters count 2, as they carry about as much
	// as two Latin letters. Short texts ("Great!", "Works as described")
	// are legitimately written by many people and are never flagged.
	MinDupLength int
	// DupThreshold is the least Jaccard similarity of the texts' shingle
	// sets for a near-duplicate (default 0.6).
	DupThreshold float64
	// ContradictionScore is how clearly the text must disagree: a 5-star
	// review with score ≤ −ContradictionScore or a 1-star one with score ≥
	// +ContradictionScore (default 0.5).
	ContradictionScore float64
	// MaxRelated caps Flag.Related (default 10).
	MaxRelated int
}

func (o Options) withDefaults() Options {
	if o.BurstWindow <= 0 {
		o.BurstWindow = 24 * time.Hour
	}
	if o.BurstBaseline <= 0 {
		o.BurstBaseline = 28 * 24 * time.Hour
	}
	if o.BurstMin <= 0 {
		o.BurstMin = 10
	}
	if o.BurstRatio <= 0 {
		o.BurstRatio = 5
	}
	if o.MinDupLength <= 0 {
		o.MinDupLength = 30
	}
	if o.DupThreshold <= 0 {
		o.DupThreshold = 0.6
	}
	if o.ContradictionScore <= 0 {
		o.ContradictionScore = 0.5
	}
	if o.MaxRelated <= 0 {
		o.MaxRelated = 10
	}
	return o
}

var reasonOrder = map[Reason]int{Burst: 0, NearDuplicate: 1, Contradiction: 2}

type flagAt struct {
	idx int
	f   Flag
}

// Detect returns the flags of reviews, ordered by the reviews' position in
// the input and then by reason (burst, near_duplicate, contradiction).
//
// Burst: for each product, reviews are sorted by time; a review at time t
// closes the window (t−BurstWindow, t] holding c reviews. The expected
// count λ is the product's review rate over the history before the window
// (at most BurstBaseline, at least 7 days — a product with less history is
// not judged, since without a baseline a launch and a farm look alike)
// times the window's length. When c ≥ BurstMin and c ≥ BurstRatio·max(λ,
// 1), every review in the window is flagged, including the few normal ones
// that fall in it; the detail gives the counts so a reader can judge.
// O(n log n) for the sort, linear after.
//
// Near-duplicate: texts are normalised (lower case, full-width forms
// folded, only letters and digits kept, so spacing and punctuation do not
// matter) and cut into overlapping character shingles — 5 characters, or 2
// when most characters are Chinese, Japanese or Korean, whose characters
// are words or syllables and need no word segmentation. Identical
// normalised texts are grouped first. Each distinct text gets a 64-value
// one-permutation MinHash (one hash per shingle, densified), split into 16
// bands of 4; texts sharing a band are candidates and are verified by the
// exact Jaccard similarity of their shingle sets, and those with Jaccard ≥
// DupThreshold are joined (union-find). A review is flagged when its group
// holds a review by another account or on another product; the same
// account repeating itself on one product is a double post, not a farm.
// Each candidate bucket is verified against its first member only, so the
// work is linear in the number of texts (16 sorts of n keys, about 16
// verifications per text at worst); the price is that a pair is found with
// probability 1−(1−J⁴)¹⁶: 0.89 at J = 0.6, 0.99 at J = 0.7.
//
// Contradiction: Rating 5 with Score ≤ −ContradictionScore, or Rating 1
// with Score ≥ ContradictionScore.
func Detect(reviews []Review, opts Options) []Flag {
	o := opts.withDefaults()
	var out []flagAt
	out = append(out, bursts(reviews, &o)...)
	out = append(out, duplicates(reviews, &o)...)
	for i := range reviews {
		r := &reviews[i]
		switch {
		case r.Rating == 5 && r.Score <= -o.ContradictionScore:
			out = append(out, flagAt{i, Flag{ReviewID: r.ID, Reason: Contradiction,
				Detail: fmt.Sprintf("5-star rating but clearly negative text (sentiment %+.2f)", r.Score)}})
		case r.Rating == 1 && r.Score >= o.ContradictionScore:
			out = append(out, flagAt{i, Flag{ReviewID: r.ID, Reason: Contradiction,
				Detail: fmt.Sprintf("1-star rating but clearly positive text (sentiment %+.2f)", r.Score)}})
		}
	}
	slices.SortStableFunc(out, func(a, b flagAt) int {
		return cmp.Or(cmp.Compare(a.idx, b.idx), cmp.Compare(reasonOrder[a.f.Reason], reasonOrder[b.f.Reason]))
	})
	flags := make([]Flag, len(out))
	for i := range out {
		flags[i] = out[i].f
	}
	return flags
}

// minBurstHistory is how much history a product needs before the window
// to be judged for bursts.
const minBurstHistory = 7 * 24 * time.Hour

// bursts implements the burst rule of Detect.
func bursts(reviews []Review, o *Options) []flagAt {
	idx := make([]int32, len(reviews))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		ra, rb := &reviews[a], &reviews[b]
		return cmp.Or(cmp.Compare(ra.Product, rb.Product), ra.Time.Compare(rb.Time), cmp.Compare(a, b))
	})
	var out []flagAt
	win, base := o.BurstWindow, o.BurstBaseline
	for start := 0; start < len(idx); {
		end := start
		prod := reviews[idx[start]].Product
		for end < len(idx) && reviews[idx[end]].Product == prod {
			end++
		}
		p := idx[start:end]
		lo, blo, marked := 0, 0, -1
		for i := range p {
			t := reviews[p[i]].Time
			for !reviews[p[lo]].Time.After(t.Add(-win)) {
				lo++
			}
			for reviews[p[blo]].Time.Before(t.Add(-win - base)) {
				blo++
			}
			c := i - lo + 1
			if c < o.BurstMin {
				continue
			}
			// The product's rate over the history it has, up to
			// BurstBaseline; without a week of it there is no baseline.
			winStart := t.Add(-win)
			span := min(base, winStart.Sub(reviews[p[0]].Time))
			if span < minBurstHistory {
				continue
			}
			lam := float64(lo-blo) * float64(win) / float64(span)
			if float64(c) < o.BurstRatio*max(lam, 1) {
				continue
			}
			first, last := reviews[p[lo]].Time, t
			detail := fmt.Sprintf("one of %d reviews of product %s within %s (%s – %s), %.1f expected from the previous %s",
				c, prod, fmtDur(win), first.UTC().Format("2006-01-02 15:04"), last.UTC().Format("2006-01-02 15:04 MST"), lam, fmtDur(span.Round(time.Hour)))
			for j := max(lo, marked+1); j <= i; j++ {
				var rel []string
				for k := lo; k <= i && len(rel) < o.MaxRelated; k++ {
					if k != j {
						rel = append(rel, reviews[p[k]].ID)
					}
				}
				out = append(out, flagAt{int(p[j]), Flag{ReviewID: reviews[p[j]].ID, Reason: Burst, Detail: detail, Related: rel}})
			}
			marked = i
		}
		start = end
	}
	return out
}

func fmtDur(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if d == 24*time.Hour {
			return "24h"
		}
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

// Shingling and hashing.

const (
	bins      = 64 // MinHash values per text
	bandRows  = 4
	bands     = bins / bandRows
	latinK    = 5
	cjkK      = 2
	emptyBin  = math.MaxUint32 // above any 16-bit value
	hashPrime = 0x100000001b3
)

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// normalise appends to buf the letters and digits of s, lower-cased, with
// full-width ASCII folded, and returns it with the weighted length (CJK
// characters count 2) and whether most characters are CJK.
func normalise(buf []rune, s string) ([]rune, int, bool) {
	buf = buf[:0]
	var cjk int
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		r = unicode.ToLower(r)
		if r >= 0x2E80 && isCJK(r) {
			cjk++
		}
		buf = append(buf, r)
	}
	return buf, len(buf) + cjk, 2*cjk > len(buf)
}

func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// shingles appends the hashes of the k-rune shingles of norm to buf (a text
// shorter than k is one shingle).
func shingles(buf []uint64, norm []rune, k int) []uint64 {
	buf = buf[:0]
	if len(norm) < k {
		k = len(norm)
	}
	for i := 0; i+k <= len(norm); i++ {
		h := uint64(14695981039346656037)
		for _, r := range norm[i : i+k] {
			h = (h ^ uint64(r)) * hashPrime
		}
		buf = append(buf, mix64(h))
	}
	return buf
}

func textHash(norm []rune) uint64 {
	h := uint64(14695981039346656037)
	for _, r := range norm {
		h = (h ^ uint64(r)) * hashPrime
	}
	return mix64(h ^ uint64(len(norm)))
}

// signature computes the one-permutation MinHash of a shingle set: the top
// 6 bits of a shingle's hash choose its bin, the minimum of the next 16
// bits is the bin's value. An empty bin (a text has fewer shingles than
// bins) copies a non-empty bin chosen by a probe sequence that depends
// only on the bin's number ("optimal densification"), so that two texts
// with the same non-empty bins fill their empty bins alike while unrelated
// texts do not end up with bands of identical copies.
func signature(sh []uint64, sig *[bins]uint16) {
	var full [bins]uint32
	for i := range full {
		full[i] = emptyBin
	}
	for _, h := range sh {
		b := h >> 58
		if v := uint32(h>>42) & 0xffff; v < full[b] {
			full[b] = v
		}
	}
	for j := range full {
		if full[j] != emptyBin {
			sig[j] = uint16(full[j])
			continue
		}
		for a := uint64(1); ; a++ {
			k := mix64(uint64(j)<<32|a) % bins
			if full[k] != emptyBin {
				sig[j] = uint16(full[k])
				break
			}
		}
	}
}

// bandKey hashes band b of a signature to one key.
func bandKey(sig *[bins]uint16, b int) uint32 {
	h := uint64(b+1) * 0x9e3779b97f4a7c15
	for _, v := range sig[b*bandRows : (b+1)*bandRows] {
		h = h*0x100000001b3 ^ uint64(v)
	}
	return uint32(mix64(h))
}

// estJaccard is the share of equal signature values, an estimate of the
// Jaccard similarity with a standard error of about 0.06.
func estJaccard(a, b *[bins]uint16) float64 {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return float64(n) / bins
}

// doc is one distinct normalised text.
type doc struct {
	sig     [bins]uint16
	first   int32 // first review with this text
	link    int32 // doc it was joined to, −1 if none
	linkSim float32
}

type unionFind []int32

func (u unionFind) find(x int32) int32 {
	for u[x] != x {
		u[x] = u[u[x]]
		x = u[x]
	}
	return x
}

func (u unionFind) union(a, b int32) {
	a, b = u.find(a), u.find(b)
	if a == b {
		return
	}
	if a > b {
		a, b = b, a
	}
	u[b] = a // lower index is the root, for determinism
}

// setBuilder makes the sorted, de-duplicated shingle-hash set of a text,
// reusing its buffers.
type setBuilder struct {
	norm []rune
	sh   []uint64
}

func (s *setBuilder) set(text string, dst []uint64) []uint64 {
	var cjk bool
	s.norm, _, cjk = normalise(s.norm, text)
	k := latinK
	if cjk {
		k = cjkK
	}
	dst = shingles(dst, s.norm, k)
	slices.Sort(dst)
	return slices.Compact(dst)
}

func jaccard(a, b []uint64) float64 {
	var i, j, inter int
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

// duplicates implements the near-duplicate rule of Detect.
func duplicates(reviews []Review, o *Options) []flagAt {
	n := len(reviews)
	// Per review: its text hash, or 0 if too short; computed in parallel.
	hashes := make([]uint64, n)
	parallel(n, func(lo, hi int) {
		var norm []rune
		for i := lo; i < hi; i++ {
			var wlen int
			norm, wlen, _ = normalise(norm, reviews[i].Text)
			if wlen >= o.MinDupLength {
				hashes[i] = textHash(norm) | 1 // never 0
			}
		}
	})
	// Group identical texts into docs, in input order.
	docOf := make([]int32, n)
	long := 0
	for _, h := range hashes {
		if h != 0 {
			long++
		}
	}
	byHash := make(map[uint64]int32, long)
	docs := make([]doc, 0, long)
	for i, h := range hashes {
		if h == 0 {
			docOf[i] = -1
			continue
		}
		d, ok := byHash[h]
		if !ok {
			d = int32(len(docs))
			byHash[h] = d
			docs = append(docs, doc{first: int32(i), link: -1})
		}
		docOf[i] = d
	}
	byHash = nil
	parallel(len(docs), func(lo, hi int) {
		// MinHash needs no de-duplicated set (a minimum ignores repeats),
		// so skip the sort that verification needs.
		var norm []rune
		var sh []uint64
		for d := lo; d < hi; d++ {
			var cjk bool
			norm, _, cjk = normalise(norm, reviews[docs[d].first].Text)
			k := latinK
			if cjk {
				k = cjkK
			}
			sh = shingles(sh, norm, k)
			signature(sh, &docs[d].sig)
		}
	})

	uf := make(unionFind, len(docs))
	for i := range uf {
		uf[i] = int32(i)
	}
	var sb setBuilder
	var repSet, set []uint64
	pairs := make([]uint64, len(docs))
	for b := range bands {
		for d := range docs {
			pairs[d] = uint64(bandKey(&docs[d].sig, b))<<32 | uint64(d)
		}
		slices.Sort(pairs)
		for s := 0; s < len(pairs); {
			e := s + 1
			for e < len(pairs) && pairs[e]>>32 == pairs[s]>>32 {
				e++
			}
			if e-s > 1 {
				rep := int32(uint32(pairs[s]))
				repSet = repSet[:0]
				for _, p := range pairs[s+1 : e] {
					d := int32(uint32(p))
					if uf.find(d) == uf.find(rep) {
						continue
					}
					// Cheap filter before the exact check: a pair at the
					// threshold has an estimate above half of it with
					// overwhelming probability; most chance band
					// collisions do not.
					if estJaccard(&docs[rep].sig, &docs[d].sig) < o.DupThreshold/2 {
						continue
					}
					if len(repSet) == 0 {
						repSet = sb.set(reviews[docs[rep].first].Text, repSet)
					}
					set = sb.set(reviews[docs[d].first].Text, set)
					if j := jaccard(repSet, set); j >= o.DupThreshold {
						uf.union(rep, d)
						if docs[d].link < 0 {
							docs[d].link, docs[d].linkSim = rep, float32(j)
						}
					}
				}
			}
			s = e
		}
	}
	pairs = nil

	// Components of reviews: a review belongs to the component of its doc.
	// Most texts are unique, so only components of two or more reviews get
	// a record.
	type comp struct {
		account, product    string
		multiAcc, multiProd bool
		members             []int32
	}
	size := make([]int32, len(docs))
	for i := range reviews {
		if d := docOf[i]; d >= 0 {
			size[uf.find(d)]++
		}
	}
	compOf := make([]int32, len(docs))
	var comps []comp
	for d, n := range size {
		compOf[d] = -1
		if n >= 2 {
			compOf[d] = int32(len(comps))
			comps = append(comps, comp{members: make([]int32, 0, n)})
		}
	}
	size = nil
	for i := range reviews {
		d := docOf[i]
		if d < 0 {
			continue
		}
		ci := compOf[uf.find(d)]
		if ci < 0 {
			continue
		}
		c, r := &comps[ci], &reviews[i]
		if len(c.members) == 0 {
			c.account, c.product = r.Account, r.Product
		}
		c.multiAcc = c.multiAcc || r.Account != c.account
		c.multiProd = c.multiProd || r.Product != c.product
		c.members = append(c.members, int32(i))
	}

	var out []flagAt
	differs := func(a, b *Review) bool { return a.Account != b.Account || a.Product != b.Product }
	const maxScan = 1000
	for i := range reviews {
		d := docOf[i]
		if d < 0 {
			continue
		}
		ci := compOf[uf.find(d)]
		if ci < 0 {
			continue
		}
		c := &comps[ci]
		if !c.multiAcc && !c.multiProd {
			continue
		}
		x := &reviews[i]
		// Partner for the explanation: an identical text if there is one
		// elsewhere, else the review whose text this one was joined to,
		// else any other in the group.
		partner, sim := int32(-1), 0.0
		for k, m := range c.members {
			if k >= maxScan {
				break
			}
			if m != int32(i) && docOf[m] == d && differs(x, &reviews[m]) {
				partner, sim = m, 1
				break
			}
		}
		if partner < 0 {
			if l := docs[d].link; l >= 0 && differs(x, &reviews[docs[l].first]) {
				partner, sim = docs[l].first, float64(docs[d].linkSim)
			}
		}
		if partner < 0 {
			for k, m := range c.members {
				if k >= maxScan {
					break
				}
				if docOf[m] != d && differs(x, &reviews[m]) {
					partner = m
					repSet = sb.set(x.Text, repSet)
					set = sb.set(reviews[m].Text, set)
					sim = jaccard(repSet, set)
					break
				}
			}
		}
		var detail string
		if partner >= 0 {
			y := &reviews[partner]
			who := "by another account"
			if y.Account == x.Account {
				who = "by the same account"
			}
			what := fmt.Sprintf("%.0f%% similar to", 100*sim)
			if sim == 1 && docOf[partner] == d {
				what = "identical (ignoring case, spacing and punctuation) to"
			}
			detail = fmt.Sprintf("%s review %s on product %s %s", what, y.ID, y.Product, who)
		} else {
			detail = fmt.Sprintf("near-duplicate of %d other reviews on other products or by other accounts", len(c.members)-1)
		}
		rel := make([]string, 0, min(o.MaxRelated, len(c.members)-1))
		if partner >= 0 {
			rel = append(rel, reviews[partner].ID)
		}
		for _, m := range c.members {
			if len(rel) >= o.MaxRelated {
				break
			}
			if m != int32(i) && m != partner {
				rel = append(rel, reviews[m].ID)
			}
		}
		out = append(out, flagAt{i, Flag{ReviewID: x.ID, Reason: NearDuplicate, Detail: detail, Related: rel}})
	}
	return out
}

// parallel runs f over [0, n) split into one chunk per CPU.
func parallel(n int, f func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), max(1, n/4096))
	if w <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := range w {
		lo, hi := k*n/w, (k+1)*n/w
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}
