// Package topics finds which topics (aspects) a review or post mentions,
// from a documented vocabulary of topic ids with keyword and phrase lists in
// English, Spanish, German, French, Italian, Portuguese, Chinese, Japanese
// and Korean.
//
// The built-in topic ids are shipping, quality, size_fit, price_value,
// packaging, customer_service, functionality, durability, appearance,
// ease_of_use, returns_refunds, comfort and authenticity (Topics lists them
// with descriptions). Every language's terms are matched in every text, so
// a mixed-language review is covered; Latin-script terms match whole words
// (a trailing '*' matches any word that starts with the term), Chinese,
// Japanese and Korean terms match anywhere in the text.
//
// Users extend or override the vocabulary with a JSON file, see Config.
package topics

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tradewind/tradewind/internal/voc/langid"
)

// Topic is one topic id with its terms per language (BCP-47 primary
// subtag → terms).
type Topic struct {
	ID          string              `json:"id"`
	Description string              `json:"description,omitempty"`
	Terms       map[string][]string `json:"terms"`
}

// Vocabulary is a compiled set of topics. It is safe for concurrent use;
// Extend returns a new Vocabulary rather than changing one in use.
type Vocabulary struct {
	topics []Topic
	// words maps the first word of a Latin-script phrase to the phrases
	// that start with it.
	words map[string][]phrase
	// prefixes are the '*' terms of one word.
	prefixes []prefixTerm
	// cjk are the terms matched as substrings.
	cjk []substr
}

type phrase struct {
	topic int
	words []string
	star  bool // the last word is a prefix
}

type prefixTerm struct {
	topic  int
	prefix string
}

type substr struct {
	topic int
	s     string
}

var builtinVocabulary = mustCompile(builtin)

// Default returns the built-in vocabulary.
func Default() *Vocabulary { return builtinVocabulary }

// Topics returns the vocabulary's topics in order (copies).
func (v *Vocabulary) Topics() []Topic {
	out := make([]Topic, len(v.topics))
	for i, t := range v.topics {
		out[i] = Topic{ID: t.ID, Description: t.Description, Terms: map[string][]string{}}
		for l, ts := range t.Terms {
			out[i].Terms[l] = append([]string(nil), ts...)
		}
	}
	return out
}

func mustCompile(ts []Topic) *Vocabulary {
	v, err := compile(ts)
	if err != nil {
		panic("topics: " + err.Error())
	}
	return v
}

func compile(ts []Topic) (*Vocabulary, error) {
	v := &Vocabulary{topics: ts, words: map[string][]phrase{}}
	for i, t := range ts {
		if t.ID == "" {
			return nil, fmt.Errorf("topic %d has no id", i+1)
		}
		for lang, terms := range t.Terms {
			for _, term := range terms {
				term = strings.ToLower(strings.TrimSpace(term))
				if term == "" || term == "*" {
					return nil, fmt.Errorf("topic %s, %s: empty term", t.ID, lang)
				}
				if hasCJK(term) {
					v.cjk = append(v.cjk, substr{i, strings.TrimSuffix(term, "*")})
					continue
				}
				star := strings.HasSuffix(term, "*")
				ws := words(strings.TrimSuffix(term, "*"), nil)
				if len(ws) == 0 {
					return nil, fmt.Errorf("topic %s, %s: term %q has no letters", t.ID, lang, term)
				}
				if star && len(ws) == 1 {
					v.prefixes = append(v.prefixes, prefixTerm{i, ws[0]})
					continue
				}
				v.words[ws[0]] = append(v.words[ws[0]], phrase{i, ws, star})
			}
		}
	}
	return v, nil
}

// Find returns the ids of the topics text mentions, in vocabulary order.
func (v *Vocabulary) Find(text string) []string {
	hit := v.match(text, nil)
	var out []string
	for i, h := range hit {
		if h {
			out = append(out, v.topics[i].ID)
		}
	}
	return out
}

// match marks the topics text mentions in hit (allocated when nil).
func (v *Vocabulary) match(text string, hit []bool) []bool {
	if hit == nil {
		hit = make([]bool, len(v.topics))
	}
	ws := words(text, make([]string, 0, 32))
	for i, w := range ws {
		for _, p := range v.words[w] {
			if hit[p.topic] || i+len(p.words) > len(ws) {
				continue
			}
			ok := true
			for k := 1; k < len(p.words); k++ {
				pw, tw := p.words[k], ws[i+k]
				if k == len(p.words)-1 && p.star {
					ok = strings.HasPrefix(tw, pw)
				} else {
					ok = tw == pw
				}
				if !ok {
					break
				}
			}
			if ok {
				hit[p.topic] = true
			}
		}
		for _, p := range v.prefixes {
			if !hit[p.topic] && strings.HasPrefix(w, p.prefix) {
				hit[p.topic] = true
			}
		}
	}
	if hasCJK(text) {
		for _, s := range v.cjk {
			if !hit[s.topic] && strings.Contains(text, s.s) {
				hit[s.topic] = true
			}
		}
	}
	return hit
}

// Mention is a topic mentioned in one sentence of a text.
type Mention struct {
	Topic    string
	Sentence string
}

// Mentions splits text into sentences and returns, for each topic, the
// sentences that mention it (in text order), so that a caller can score
// the sentiment of each topic from its own sentences.
func (v *Vocabulary) Mentions(text string) []Mention {
	var out []Mention
	hit := make([]bool, len(v.topics))
	for _, s := range Sentences(text) {
		clear(hit)
		v.match(s, hit)
		for i, h := range hit {
			if h {
				out = append(out, Mention{Topic: v.topics[i].ID, Sentence: s})
			}
		}
	}
	return out
}

// Sentences splits text at sentence ends (. ! ? ; and their CJK forms, and
// line breaks) and at contrastive conjunctions that usually change the
// subject's sentiment ("but", "aber", "但是", …).
func Sentences(text string) []string {
	var out []string
	start := 0
	emit := func(end int) {
		if s := strings.TrimSpace(text[start:end]); s != "" {
			out = append(out, s)
		}
		start = end
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch r {
		case '.', '!', '?', ';', '\n', '。', '！', '？', '；', '，':
			if r == '.' && i+1 < len(text) && text[i+1] != ' ' && text[i+1] != '\n' {
				break // 2.5, e.g.
			}
			i += size
			emit(i)
			continue
		case '但', '可':
			if strings.HasPrefix(text[i:], "但是") || strings.HasPrefix(text[i:], "可是") || strings.HasPrefix(text[i:], "但") {
				emit(i)
			}
		case 'け':
			if strings.HasPrefix(text[i:], "けど") {
				i += len("けど")
				emit(i)
				continue
			}
		case ' ':
			rest := text[i+1:]
			for _, c := range contrast {
				if len(rest) > len(c) && strings.EqualFold(rest[:len(c)], c) && rest[len(c)] == ' ' {
					emit(i)
					break
				}
			}
		}
		i += size
	}
	emit(len(text))
	return out
}

var contrast = []string{"but", "however", "pero", "aber", "mais", "ma", "mas", "però", "jedoch", "sin embargo"}

// words lower-cases text and splits it into words (letters, digits,
// apostrophes and hyphens inside a word), appending to buf.
func words(text string, buf []string) []string {
	start := -1
	lower := strings.ToLower(text)
	for i, r := range lower {
		inWord := unicode.IsLetter(r) && !langid.IsCJK(r) || unicode.IsDigit(r) ||
			(start >= 0 && (r == '\'' || r == '’' || r == '-'))
		if inWord && start < 0 {
			start = i
		} else if !inWord && start >= 0 {
			buf = appendWord(buf, lower[start:i])
			start = -1
		}
	}
	if start >= 0 {
		buf = appendWord(buf, lower[start:])
	}
	return buf
}

// appendWord appends w, and for an elided article or pronoun ("l'imballo",
// "d'origine") the word after the apostrophe instead.
func appendWord(buf []string, w string) []string {
	w = strings.TrimRight(w, "'’-")
	if k := strings.IndexAny(w, "'’"); k > 0 && k <= 2 {
		_, size := utf8.DecodeRuneInString(w[k:])
		if tail := w[k+size:]; tail != "" {
			return append(buf, tail)
		}
	}
	return append(buf, w)
}

func hasCJK(s string) bool {
	for _, r := range s {
		if langid.IsCJK(r) {
			return true
		}
	}
	return false
}

// Config is the file format users extend the vocabulary with, JSON:
//
//	{
//	  "topics": [
//	    {"id": "battery", "description": "battery life and charging",
//	     "terms": {"en": ["battery", "charg*"], "de": ["akku"], "zh": ["电池"]}},
//	    {"id": "shipping", "terms": {"nl": ["verzending", "levering"]}},
//	    {"id": "quality", "replace": true, "terms": {"en": ["quality", "build quality"]}}
//	  ],
//	  "remove": ["appearance"]
//	}
//
// A topic with a new id is added after the built-in ones. For an existing
// id, terms are added to its lists (per language; new languages are
// fine), or, with "replace": true, the topic's terms in every language are
// replaced by the ones given. "remove" drops topics. Terms follow the
// built-in rules: lower case is not required, a trailing '*' is a prefix
// match, Chinese/Japanese/Korean terms match anywhere.
type Config struct {
	Topics []ConfigTopic `json:"topics"`
	Remove []string      `json:"remove,omitempty"`
}

// ConfigTopic is one topic entry of a Config.
type ConfigTopic struct {
	Topic
	Replace bool `json:"replace,omitempty"`
}

// ReadConfig parses a Config from JSON, rejecting unknown fields.
func ReadConfig(r io.Reader) (Config, error) {
	var c Config
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("topics config: %w", err)
	}
	return c, nil
}

// Extend returns a new vocabulary: v with c's additions, replacements and
// removals applied.
func (v *Vocabulary) Extend(c Config) (*Vocabulary, error) {
	ts := v.Topics()
	index := map[string]int{}
	for i, t := range ts {
		index[t.ID] = i
	}
	for _, ct := range c.Topics {
		if ct.ID == "" {
			return nil, fmt.Errorf("topics config: a topic has no id")
		}
		i, ok := index[ct.ID]
		if !ok {
			t := Topic{ID: ct.ID, Description: ct.Description, Terms: map[string][]string{}}
			ts = append(ts, t)
			i = len(ts) - 1
			index[ct.ID] = i
		} else if ct.Replace {
			ts[i].Terms = map[string][]string{}
		}
		if ct.Description != "" {
			ts[i].Description = ct.Description
		}
		langs := make([]string, 0, len(ct.Terms))
		for l := range ct.Terms {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, l := range langs {
			ts[i].Terms[l] = append(ts[i].Terms[l], ct.Terms[l]...)
		}
	}
	if len(c.Remove) > 0 {
		drop := map[string]bool{}
		for _, id := range c.Remove {
			if _, ok := index[id]; !ok {
				return nil, fmt.Errorf("topics config: cannot remove unknown topic %q", id)
			}
			drop[id] = true
		}
		kept := ts[:0]
		for _, t := range ts {
			if !drop[t.ID] {
				kept = append(kept, t)
			}
		}
		ts = kept
	}
	return compile(ts)
}
