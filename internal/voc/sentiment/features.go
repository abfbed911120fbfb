package sentiment

import (
	"unicode"
	"unicode/utf8"

	"github.com/tradewind/tradewind/internal/voc/langid"
)

// Feature is one hashed feature of a text: a bucket of the model's weight
// table and its value.
type Feature struct {
	Bucket uint32
	Value  float32
}

// Feature kinds, mixed into the hash so that a word, a word pair and a
// character n-gram never share a seed.
const (
	kindWord    = 0x9e3779b97f4a7c15
	kindNegWord = 0xc2b2ae3d27d4eb4f
	kindBigram  = 0x165667b19e3779f9
	kindCJK1    = 0xd6e8feb86659fd93
	kindCJK2    = 0xa0761d6478bd642f
	kindCJK3    = 0xe7037ed1a0b428db
	kindEmoji   = 0x8ebc6af09c88c6e3
	kindPunct   = 0x589965cc75374cc3
	kindBias    = 0x1d8e4e27c47d124f
	kindSub     = 0x94d049bb133111eb
)

// negFlip is how much of a negated word's own weight counts, with the
// opposite sign.
const negFlip = 0.5

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix finishes a hash (splitmix64's finaliser).
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

func hashBytes(seed uint64, b []byte) uint64 {
	h := uint64(fnvOffset) ^ seed
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

func hashRunes(seed uint64, rs ...rune) uint64 {
	h := uint64(fnvOffset) ^ seed
	for _, r := range rs {
		h ^= uint64(r)
		h *= fnvPrime
	}
	return h
}

// featurizer turns a text into hashed features; it keeps its buffers so
// that scoring allocates nothing in the steady state.
type featurizer struct {
	bits     uint
	subs     bool // character n-grams inside Latin words
	langBias bool // a bias feature per language
	biases   int  // how many of feats are biases
	feats    []Feature
	word     []byte
	prevW    uint64 // hash of the previous word (0: none)
	// The previous content word of the clause, for negators that follow
	// what they negate ("funktioniert nicht").
	lastH, lastNegH uint64
	lastV           float32
	lastOK          bool
	neg             int // words left in the current negation scope
	boost           float32
	cjk             [3]rune
	cjkLen          int
	bangs           int
	quest           int
}

func (f *featurizer) add(h uint64, v float32) {
	f.feats = append(f.feats, Feature{Bucket: uint32(mix(h) >> (64 - f.bits)), Value: v})
}

// features returns the features of text, valid until the next call. lang,
// when not empty, adds a per-language bias.
func (f *featurizer) features(text, lang string) []Feature {
	f.feats = f.feats[:0]
	f.word = f.word[:0]
	f.prevW, f.neg, f.boost, f.cjkLen, f.bangs, f.quest = 0, 0, 1, 0, 0, 0
	f.lastOK = false
	f.add(kindBias, 1)
	if f.langBias && lang != "" && lang != "und" {
		f.add(hashBytes(kindBias, []byte(lang)), 1)
	}
	f.biases = len(f.feats)
	allCaps := isAllCaps(text)
	caps := true // the current word is in capitals
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		// Mentions and links carry no sentiment.
		if len(f.word) == 0 && (r == '@' || (r == 'h' || r == 'w') && isLink(text[i:])) {
			for i < len(text) && text[i] != ' ' && text[i] != '\n' {
				i++
			}
			f.endWord(false, allCaps)
			continue
		}
		i += size
		switch {
		case langid.IsCJK(r):
			f.endWord(caps, allCaps)
			caps = true
			f.addCJK(r)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || ((r == '\'' || r == '’') && len(f.word) > 0):
			f.endCJK()
			if r == '’' {
				r = '\''
			}
			if unicode.IsUpper(r) == false && unicode.IsLetter(r) {
				caps = false
			}
			if unicode.IsDigit(r) {
				r = '0'
			}
			r = unicode.ToLower(r)
			// Letters repeated three times or more ("soooo") count twice.
			if n := len(f.word); n >= 2 && utf8.RuneLen(r) == 1 && f.word[n-1] == byte(r) && f.word[n-2] == byte(r) {
				continue
			}
			f.word = utf8.AppendRune(f.word, r)
		case isEmoji(r):
			f.endWord(caps, allCaps)
			f.endCJK()
			caps = true
			f.add(hashRunes(kindEmoji, r), 1)
		case r == 0xFE0F || r == 0x200D || (r >= 0x1F3FB && r <= 0x1F3FF):
			// Variation selectors, joiners and skin tones: part of the emoji.
		default:
			f.endWord(caps, allCaps)
			f.endCJK()
			caps = true
			switch r {
			case '!', '！':
				f.bangs++
				f.clause()
			case '?', '？':
				f.quest++
				f.clause()
			case '.', ',', ';', ':', '。', '，', '、', '；', '：', '\n', '(', ')', '"', '…', '~', '～':
				f.clause()
			}
		}
	}
	f.endWord(caps, allCaps)
	f.endCJK()
	if f.bangs > 0 {
		f.add(hashRunes(kindPunct, '!'), float32(min(f.bangs, 3)))
	}
	if f.quest > 0 {
		f.add(hashRunes(kindPunct, '?'), 1)
	}
	return f.feats
}

// clause ends a negation scope and a word pair at punctuation.
func (f *featurizer) clause() {
	f.neg = 0
	f.prevW = 0
	f.lastOK = false
	f.boost = 1
}

// endWord emits the features of the word collected so far.
func (f *featurizer) endWord(caps, allCaps bool) {
	w := f.word
	if len(w) == 0 {
		return
	}
	f.word = f.word[:0]
	// French and Italian elision: "n'est" is "n'" and "est".
	if k := indexByte(w, '\''); k > 0 && k <= 2 && k < len(w)-1 {
		head := append([]byte(nil), w[:k+1]...)
		tail := append([]byte(nil), w[k+1:]...)
		f.emitWord(head, false)
		f.emitWord(tail, caps && !allCaps)
		return
	}
	f.emitWord(w, caps && !allCaps)
}

func (f *featurizer) emitWord(w []byte, shout bool) {
	if _, ok := negators[string(w)]; ok || (len(w) > 3 && string(w[len(w)-3:]) == "n't") {
		if _, post := postNegators[string(w)]; post && f.lastOK {
			// Negate the word before too: cancel its weight and add
			// the negated form, as if the negator had come first.
			f.add(f.lastNegH, f.lastV)
			f.add(f.lastH, -(1+negFlip)*f.lastV)
			f.lastOK = false
		}
		f.neg = 4
		f.add(hashBytes(kindWord, w), 1)
		f.prevW = hashBytes(kindWord, w)
		return
	}
	if _, ok := clauseBreaks[string(w)]; ok {
		f.clause()
		f.add(hashBytes(kindWord, w), 1)
		return
	}
	if b, ok := boosters[string(w)]; ok {
		f.boost = b
		f.add(hashBytes(kindWord, w), 1)
		f.prevW = hashBytes(kindWord, w)
		return
	}
	v := f.boost
	f.boost = 1
	if shout && len(w) >= 3 {
		v *= 1.3
	}
	wh := hashBytes(kindWord, w)
	if f.neg > 0 {
		// A negated word: its own weight, flipped and damped as in
		// VADER (×−0.5), plus a learned correction for the pair.
		f.add(hashBytes(kindNegWord, w), v)
		f.add(wh, -negFlip*v)
		f.neg--
		f.lastOK = false
	} else {
		f.add(wh, v)
		f.lastH, f.lastNegH, f.lastV, f.lastOK = wh, hashBytes(kindNegWord, w), v, true
	}
	if f.prevW != 0 {
		f.add(f.prevW*31+wh, 1)
	}
	f.prevW = wh
	if f.subs && len(w) >= 4 && len(w) <= 60 {
		// Character 4-grams of the word with boundary marks, so that
		// inflected forms share evidence ("enttäuscht", "enttäuschend").
		var buf [64]byte
		n := copy(buf[1:], w)
		buf[0] = '<'
		buf[n+1] = '>'
		b := buf[:n+2]
		for j := 0; j+4 <= len(b); j++ {
			f.add(hashBytes(kindSub, b[j:j+4]), 0.3)
		}
	}
}

// addCJK adds Chinese, Japanese and Korean characters one at a time as
// character unigrams, bigrams and trigrams.
func (f *featurizer) addCJK(r rune) {
	f.cjk[0], f.cjk[1], f.cjk[2] = f.cjk[1], f.cjk[2], r
	f.cjkLen++
	f.add(hashRunes(kindCJK1, r), 1)
	if f.cjkLen >= 2 {
		f.add(hashRunes(kindCJK2, f.cjk[1], r), 1)
	}
	if f.cjkLen >= 3 {
		f.add(hashRunes(kindCJK3, f.cjk[0], f.cjk[1], r), 1)
	}
}

func (f *featurizer) endCJK() { f.cjkLen = 0 }

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func isLink(s string) bool {
	return len(s) > 7 && (s[:7] == "http://" || s[:8] == "https://" || s[:4] == "www.")
}

// isEmoji reports pictographs and symbols that stand as words of their own.
func isEmoji(r rune) bool {
	return (r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) || r == 0x2764 ||
		(r >= 0x2B00 && r <= 0x2BFF) || r == 0x263A
}

// isAllCaps reports whether every letter of a Latin text is upper case, in
// which case capitals are no emphasis.
func isAllCaps(s string) bool {
	letters := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			return false
		}
		if c >= 'A' && c <= 'Z' {
			letters++
		}
		if c >= 0x80 {
			for _, r := range s[i:] {
				if r >= 0x530 {
					continue // scripts without case (or rare cased ones)
				}
				if unicode.IsLower(r) {
					return false
				}
				if unicode.IsUpper(r) {
					letters++
				}
			}
			break
		}
	}
	return letters > 0
}
