// Package langid identifies the language of a short text (a review, a social
// post) and returns it as a BCP-47 primary language subtag: en, es, de, fr,
// it, pt, ja, zh or ko, and "und" when the text is too short or in none of
// these.
//
// Chinese, Japanese and Korean are told apart by script (kana means
// Japanese, Hangul Korean, Han characters alone Chinese). Texts in Latin
// script are scored against character unigram, bigram and trigram profiles
// of the six Latin-script languages (a naive Bayes classifier); the profiles
// are derived from the language models of lingua-go (Apache-2.0), see
// MODEL_CARD.md and gen/ for how to rebuild them. Accuracy and speed are in
// MODEL_CARD.md.
package langid

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Und is the subtag returned when the language is unknown.
const Und = "und"

// maxLetters caps the letters of a Latin-script text that are scored:
// a few hundred settle the language, and long reviews stay fast.
const maxLetters = 400

// MinLetters is the number of Latin letters below which a Latin-script text
// is too short to tell and Detect returns Und.
const MinLetters = 3

//go:embed profiles.bin
var profileData []byte

// latin lists the profiled languages in the order of the profile columns.
var latin []string

const nl = 6 // number of Latin-script languages in profiles.bin

// tables[n-1] maps an n-gram's runes packed 21 bits each to −8·ln p per
// language (255: unseen).
var tables [3]map[uint64][nl]uint8

func init() {
	if err := load(profileData); err != nil {
		panic("langid: " + err.Error())
	}
}

func load(b []byte) error {
	if len(b) < 7 || string(b[:6]) != "TWLID1" || int(b[6]) != nl {
		return fmt.Errorf("bad profile header")
	}
	latin = []string{"en", "es", "de", "fr", "it", "pt"}
	b = b[7:]
	for len(b) > 0 {
		n := int(b[0])
		if n < 1 || n > 3 {
			return fmt.Errorf("bad n-gram order %d", n)
		}
		count, k := binary.Uvarint(b[1:])
		if k <= 0 {
			return fmt.Errorf("bad count")
		}
		b = b[1+k:]
		t := make(map[uint64][nl]uint8, count)
		for range count {
			l := int(b[0])
			s := string(b[1 : 1+l])
			var v [nl]uint8
			copy(v[:], b[1+l:1+l+nl])
			b = b[1+l+nl:]
			var key uint64
			for _, r := range s {
				key = key<<21 | uint64(r)
			}
			t[key] = v
		}
		tables[n-1] = t
	}
	return nil
}

// unseen is the penalty, in the profiles' −8·ln p units, for an n-gram a
// language's profile lacks (chosen on held-out tweets, see MODEL_CARD.md).
const unseen = 30

// Detect returns the BCP-47 primary language subtag of text, or Und.
func Detect(text string) string {
	lang, _ := DetectConfidence(text)
	return lang
}

// DetectConfidence is Detect that also returns a confidence in [0, 1]: the
// share of the text's letters in the winning script for CJK, and for Latin
// script a margin-based value (0.5 when the best two languages tie).
func DetectConfidence(text string) (string, float64) {
	var han, kana, hangul, lat, other int
	for _, r := range text {
		switch {
		case r < 0x80:
			if r|0x20 >= 'a' && r|0x20 <= 'z' {
				lat++
			}
		case IsKana(r):
			kana++
		case IsHan(r):
			han++
		case IsHangul(r):
			hangul++
		case unicode.Is(unicode.Latin, r):
			lat++
		case unicode.IsLetter(r):
			other++
		}
	}
	cjk := han + kana + hangul
	total := cjk + lat + other
	if total == 0 {
		return Und, 0
	}
	// Two CJK characters outweigh roughly five Latin letters.
	if cjk*5 >= lat*2 && cjk >= 1 && cjk*5 >= other*2 {
		if cjk < 2 && lat+other == 0 && han == 1 {
			return Und, 0 // a single Han character: zh or ja
		}
		conf := float64(cjk) / float64(cjk+lat/2+other/2)
		switch {
		case hangul >= kana && hangul >= han:
			return "ko", conf
		case kana > 0 && kana*10 >= han:
			return "ja", conf
		case kana > 0 && han == 0:
			return "ja", conf
		case hangul > 0 && hangul*3 >= cjk:
			return "ko", conf
		default:
			if kana > 0 {
				// A little kana among many Han characters: Japanese
				// written densely, or Chinese quoting a brand name.
				return "ja", conf * 0.6
			}
			return "zh", conf
		}
	}
	if lat < MinLetters || lat < other {
		return Und, 0
	}
	scores, n := scoreLatin(text)
	if n == 0 {
		return Und, 0
	}
	best, second := 0, 1
	if scores[1] < scores[0] {
		best, second = 1, 0
	}
	for i := 2; i < nl; i++ {
		if scores[i] < scores[best] {
			best, second = i, best
		} else if scores[i] < scores[second] {
			second = i
		}
	}
	margin := float64(scores[second]-scores[best]) / 8 / float64(n)
	conf := 1 - 0.5/(1+4*margin*margin*float64(n))
	return latin[best], conf
}

// LatinScores returns, for each Latin-script language Latin() lists, the
// text's negative log-likelihood (lower is more likely) and the number of
// n-gram positions scored. It is exported for evaluation tools.
func LatinScores(text string) ([]int, int) {
	s, n := scoreLatin(text)
	return s[:], n
}

// Latin returns the Latin-script languages the profiles cover.
func Latin() []string { return append([]string(nil), latin...) }

// Supported returns every subtag Detect may return besides Und.
func Supported() []string {
	return []string{"en", "es", "de", "fr", "it", "pt", "ja", "zh", "ko"}
}

// functionWords are frequent short words of each Latin-script language
// (hand-written); each one in a text lowers that language's score by
// wordBonus, which settles texts whose letters alone are ambiguous.
var functionWords = map[string][nl]bool{}

// wordBonus is the reward, in −8·ln p units, for a function word.
const wordBonus = 30

func init() {
	lists := [nl]string{
		"the and is are was were to of in it this that with for not you my have has but very they what would will just don't can't i'm it's be been from there their our your",
		"el la los las que y es en un una por para con no muy pero lo se del al como más está son fue este esta todo hay pero ya yo me mi tu su sus porque también",
		"der die das und ist nicht ich ein eine zu mit sehr aber auch es sie wir auf für den dem des im ist sind war wird hat haben noch nur schon wie was wenn oder kein keine",
		"le la les et est un une des du pas je ne que qui pour avec très mais il elle nous sur au aux ce cette sont été être avoir j'ai c'est qu'il ça tout plus dans vous",
		"il lo la gli le è e un una che di per con non sono molto ma anche del della questo questa nel nella si ho hai ha alla dei delle sono più come perché",
		"o a os as e é um uma que de do da não para com muito mas em no na por isso você eu ele ela dos das ao se mais como está são foi também já",
	}
	for i, l := range lists {
		for _, w := range strings.Fields(l) {
			v := functionWords[w]
			v[i] = true
			functionWords[w] = v
		}
	}
}

// Fast script tests (the unicode tables' binary search showed in
// profiles), exported for the other text models that treat Chinese,
// Japanese and Korean apart.

// IsCJK reports Han, kana and Hangul characters: the scripts written
// without spaces between words.
func IsCJK(r rune) bool {
	return r >= 0x1100 && (IsHan(r) || IsKana(r) || IsHangul(r))
}

// IsHan reports Chinese characters (also used in Japanese), with the
// iteration marks 々 and 〇.
func IsHan(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) || (r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x20000 && r <= 0x2FFFF) || r == 0x3005 || r == 0x3007
}

// IsKana reports hiragana and katakana, half-width forms included.
func IsKana(r rune) bool {
	return (r >= 0x3040 && r <= 0x30FF) || (r >= 0x31F0 && r <= 0x31FF) || (r >= 0xFF66 && r <= 0xFF9F)
}

// IsHangul reports Korean syllables and jamo.
func IsHangul(r rune) bool {
	return (r >= 0xAC00 && r <= 0xD7AF) || (r >= 0x1100 && r <= 0x11FF) || (r >= 0x3130 && r <= 0x318F)
}

func isLink(s string) bool {
	return len(s) > 7 && (s[:7] == "http://" || s[:8] == "https://" || s[:4] == "www.")
}

func scoreLatin(text string) ([nl]int, int) {
	var s [nl]int
	var w [3]rune // the last three letters of the current word
	wl := 0
	var word [24]byte // the current word, lower-cased UTF-8, if short
	wb := 0
	endWord := func() {
		if wb > 0 && wb <= len(word) {
			if v, ok := functionWords[string(word[:wb])]; ok {
				for i, b := range v {
					if b {
						s[i] -= wordBonus
					}
				}
			}
		}
		wl, wb = 0, 0
	}
	n := 0
	add := func(t map[uint64][nl]uint8, key uint64) {
		v, ok := t[key]
		if !ok {
			for i := range s {
				s[i] += unseen
			}
			return
		}
		for i, q := range v {
			if q == 255 {
				s[i] += unseen
			} else {
				s[i] += int(q)
			}
		}
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if wl == 0 && (r == '@' || r == '#' || (r == 'h' || r == 'w') && isLink(text[i:])) {
			// Mentions, hashtags and links say little about the language.
			for i < len(text) && text[i] != ' ' && text[i] != '\n' {
				i++
			}
			continue
		}
		i += size
		if r < 0x80 {
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			} else if r == '\'' && wl > 0 {
				if wb < len(word) {
					word[wb] = '\''
				}
				wb++
				continue
			} else if r < 'a' || r > 'z' {
				endWord()
				continue
			}
		} else if unicode.Is(unicode.Latin, r) {
			r = unicode.ToLower(r)
		} else if r == '’' && wl > 0 {
			if wb < len(word) {
				word[wb] = '\''
			}
			wb++
			continue
		} else {
			endWord()
			continue
		}
		if wb+utf8.RuneLen(r) <= len(word) {
			utf8.EncodeRune(word[wb:], r)
		}
		wb += utf8.RuneLen(r)
		w[0], w[1], w[2] = w[1], w[2], r
		wl++
		n++
		if n > maxLetters {
			break
		}
		add(tables[0], uint64(r))
		if wl >= 2 {
			add(tables[1], uint64(w[1])<<21|uint64(r))
		}
		if wl >= 3 {
			add(tables[2], uint64(w[0])<<42|uint64(w[1])<<21|uint64(r))
		}
	}
	endWord()
	return s, n
}
