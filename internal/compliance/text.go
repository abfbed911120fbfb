package compliance

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// source is the text a field is matched on, rune by rune, with each rune's
// offset in the field as the sender wrote it: for plain text the same
// offsets, for HTML the offsets of the tag-free text within the markup.
type source struct {
	runes []rune
	pos   []int
}

func plainSource(s string) source {
	src := source{runes: []rune(s)}
	src.pos = make([]int, len(src.runes))
	for i := range src.pos {
		src.pos[i] = i
	}
	return src
}

// blockTags end a line of text: without a space in their place, the words
// of <p>best</p><p>price</p> would run together as "bestprice".
var blockTags = map[string]bool{"p": true, "br": true, "div": true, "li": true, "td": true, "th": true, "tr": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "table": true, "ul": true, "ol": true,
	"section": true, "header": true, "footer": true, "title": true, "hr": true, "blockquote": true}

// htmlSource is the visible text of an HTML body: tags, comments, scripts
// and styles removed, character references decoded, a space where a block
// element starts or ends (U+2029, which normalize keeps as a break). It is
// a scanner, not a parser: an email body is
// not always well-formed, and every character of text must keep its
// offset in the markup for the finding.
func htmlSource(s string) source {
	rs := []rune(s)
	var src source
	emit := func(r rune, at int) {
		src.runes = append(src.runes, r)
		src.pos = append(src.pos, at)
	}
	for i := 0; i < len(rs); {
		switch {
		case rs[i] == '<' && hasPrefixRunes(rs[i:], "<!--"):
			end := indexRunes(rs, i+4, "-->")
			if end < 0 {
				return src
			}
			i = end + 3
		case rs[i] == '<' && i+1 < len(rs) && (isASCIILetter(rs[i+1]) || rs[i+1] == '/' || rs[i+1] == '!' || rs[i+1] == '?'):
			end := tagEnd(rs, i)
			name := tagName(rs[i+1 : end])
			opening := rs[i+1] != '/' && rs[end-1] != '/'
			if blockTags[name] {
				emit('\u2029', i) // a paragraph break: see normalize
			}
			i = end + 1
			if opening && (name == "script" || name == "style") {
				close := indexFold(rs, i, "</"+name)
				if close < 0 {
					return src
				}
				i = close
			}
		case rs[i] == '&':
			end := i + 1
			for end < len(rs) && end-i <= 32 && rs[end] != ';' && rs[end] != '&' && !unicode.IsSpace(rs[end]) {
				end++
			}
			if end < len(rs) && rs[end] == ';' {
				dec := html.UnescapeString(string(rs[i : end+1]))
				if dec != string(rs[i:end+1]) {
					for _, r := range dec {
						if r == '\u00a0' {
							r = ' '
						}
						emit(r, i)
					}
					i = end + 1
					continue
				}
			}
			emit('&', i)
			i++
		default:
			emit(rs[i], i)
			i++
		}
	}
	return src
}

// tagEnd is the index of the '>' closing the tag that starts at i, quotes
// in attribute values respected; the end of the text if there is none.
func tagEnd(rs []rune, i int) int {
	var quote rune
	for j := i + 1; j < len(rs); j++ {
		switch {
		case quote != 0:
			if rs[j] == quote {
				quote = 0
			}
		case rs[j] == '"' || rs[j] == '\'':
			quote = rs[j]
		case rs[j] == '>':
			return j
		}
	}
	return len(rs) - 1
}

func tagName(rs []rune) string {
	if len(rs) > 0 && rs[0] == '/' {
		rs = rs[1:]
	}
	n := 0
	for n < len(rs) && (isASCIILetter(rs[n]) || (n > 0 && rs[n] >= '0' && rs[n] <= '9')) {
		n++
	}
	return strings.ToLower(string(rs[:n]))
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func hasPrefixRunes(rs []rune, p string) bool {
	for _, r := range p {
		if len(rs) == 0 || rs[0] != r {
			return false
		}
		rs = rs[1:]
	}
	return true
}

func indexRunes(rs []rune, from int, p string) int {
	for i := from; i < len(rs); i++ {
		if hasPrefixRunes(rs[i:], p) {
			return i
		}
	}
	return -1
}

func indexFold(rs []rune, from int, p string) int {
	pr := []rune(p)
	for i := from; i+len(pr) <= len(rs); i++ {
		if strings.EqualFold(string(rs[i:i+len(pr)]), p) {
			return i
		}
	}
	return -1
}

// normText is a field made comparable: NFKC-normalised (full-width ４ is 4,
// ＡＤ is AD, ① is 1), lower-cased, runs of white space collapsed to one
// space. at[b] is the index in the source of the rune that produced byte b
// of s (at[len(s)] is one past the last), so a match found in s maps back
// to the sender's text.
type normText struct {
	s   string
	at  []int
	src source
}

func normalize(src source) normText {
	var b strings.Builder
	at := make([]int, 0, len(src.runes)+1)
	// White space is held back until the next visible rune: a run becomes
	// one space, or a newline when it holds a paragraph break (two line
	// breaks, or a block element of HTML), so that a phrase does not match
	// across paragraphs. Leading and trailing space is dropped.
	pending, newlines, pendingAt := false, 0, 0
	for i := 0; i < len(src.runes); {
		// A segment is a starter and the combining marks after it: NFKC
		// composes within it, so it is normalised as a unit.
		j := i + 1
		for j < len(src.runes) && !norm.NFKC.PropertiesString(string(src.runes[j])).BoundaryBefore() {
			j++
		}
		for _, r := range norm.NFKC.String(string(src.runes[i:j])) {
			if unicode.IsSpace(r) {
				if !pending {
					pending, newlines, pendingAt = true, 0, i
				}
				switch r {
				case '\n':
					newlines++
				case '\u2029':
					newlines += 2
				}
				continue
			}
			if pending && b.Len() > 0 {
				sep := ' '
				if newlines >= 2 {
					sep = '\n'
				}
				at = append(at, pendingAt)
				b.WriteRune(sep)
			}
			pending = false
			r = unicode.ToLower(fold(r))
			n := utf8.RuneLen(r)
			for k := 0; k < n; k++ {
				at = append(at, i)
			}
			b.WriteRune(r)
		}
		i = j
	}
	at = append(at, len(src.runes))
	return normText{s: b.String(), at: at, src: src}
}

// span maps the byte range [a, b) of the normalised text to the range of
// source runes it came from.
func (n normText) span(a, b int) (int, int) {
	start := n.at[a]
	end := n.at[len(n.at)-1]
	if b > a {
		end = n.at[b-1] + 1
	}
	return start, end
}

// excerpt is the source text of the runes [start, end) with up to 15
// runes of context each side, on one line.
func (n normText) excerpt(start, end int) string {
	const ctx = 15
	from, to := max(start-ctx, 0), min(end+ctx, len(n.src.runes))
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	for _, r := range n.src.runes[from:to] {
		if unicode.IsSpace(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	if to < len(n.src.runes) {
		b.WriteString("…")
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// isCJK reports a rune of a script written without spaces between words
// (Han, kana) or whose words are matched as substrings (Hangul).
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// isWordRune is a rune that continues a word in a space-separated script:
// a word boundary is where one is next to something that is not one.
func isWordRune(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)) && !isCJK(r)
}

// fold maps typographic punctuation NFKC keeps to the ASCII a rule is
// written with: curly apostrophes (l’environnement) and hyphens.
func fold(r rune) rune {
	switch r {
	case '\u2018', '\u2019', '\u02bc', '\u2032':
		return '\''
	case '\u201c', '\u201d':
		return '"'
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212':
		return '-'
	}
	return r
}
