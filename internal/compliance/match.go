package compliance

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// message is content prepared for matching: each field normalised once,
// shared by every rule.
type message struct {
	fields  []field
	rawHTML string
}

type field struct {
	name string
	n    normText
	// raw is the field as sent, normalised the same way, for required
	// elements that may sit in markup (an unsubscribe href).
	raw normText
}

func newMessage(c Content) *message {
	m := &message{rawHTML: c.HTML}
	if c.Subject != "" {
		n := normalize(plainSource(c.Subject))
		m.fields = append(m.fields, field{name: "subject", n: n, raw: n})
	}
	if c.Text != "" {
		n := normalize(plainSource(c.Text))
		m.fields = append(m.fields, field{name: "text", n: n, raw: n})
	}
	if c.HTML != "" {
		m.fields = append(m.fields, field{name: "html", n: normalize(htmlSource(c.HTML)), raw: normalize(plainSource(c.HTML))})
	}
	return m
}

// hit is one match of a matcher.
type hit struct {
	field, match, excerpt string
	offset                int
}

// term is a word or phrase as matched: normalised like the text, and
// whether it needs word boundaries (it does unless it has CJK characters).
type term struct {
	s        string
	boundary bool
}

func compileTerms(list []string, what string) ([]term, error) {
	out := make([]term, 0, len(list))
	for _, t := range list {
		n := normalize(plainSource(t)).s
		if n == "" {
			return nil, fmt.Errorf("%s: empty term", what)
		}
		cjk := false
		for _, r := range n {
			if isCJK(r) {
				cjk = true
				break
			}
		}
		out = append(out, term{s: n, boundary: !cjk})
	}
	return out, nil
}

// spans finds every occurrence of the terms in s as byte ranges, longest
// first where they overlap, so "最佳" is one match and not also "最".
func spans(s string, terms []term) [][2]int {
	var all [][2]int
	for _, t := range terms {
		for from := 0; from <= len(s); {
			i := strings.Index(s[from:], t.s)
			if i < 0 {
				break
			}
			a, b := from+i, from+i+len(t.s)
			if !t.boundary || bounded(s, a, b) {
				all = append(all, [2]int{a, b})
			}
			_, size := utf8.DecodeRuneInString(s[a:])
			from = a + size
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i][0] != all[j][0] {
			return all[i][0] < all[j][0]
		}
		return all[i][1] > all[j][1]
	})
	// Keep a match only if it starts after the last kept one ends: one
	// inside or overlapping a kept match is not reported a second time.
	var out [][2]int
	end := -1
	for _, sp := range all {
		if sp[0] >= end {
			out = append(out, sp)
			end = sp[1]
		}
	}
	return out
}

// bounded reports whether [a, b) of s starts and ends on word boundaries:
// where the match's edge is a word rune, its neighbour must not be one.
func bounded(s string, a, b int) bool {
	first, _ := utf8.DecodeRuneInString(s[a:])
	last, _ := utf8.DecodeLastRuneInString(s[:b])
	if isWordRune(first) && a > 0 {
		if prev, _ := utf8.DecodeLastRuneInString(s[:a]); isWordRune(prev) {
			return false
		}
	}
	if isWordRune(last) && b < len(s) {
		if next, _ := utf8.DecodeRuneInString(s[b:]); isWordRune(next) {
			return false
		}
	}
	return true
}

// exceptions finds the occurrences of the except terms once per field;
// inside reports whether [a, b) lies within one of them (第一 inside 第一次).
type exceptions [][2]int

func (ex exceptions) inside(a, b int) bool {
	// The spans are sorted by start and do not overlap: the only candidate
	// is the last one starting at or before a.
	i := sort.Search(len(ex), func(i int) bool { return ex[i][0] > a }) - 1
	return i >= 0 && ex[i][0] <= a && b <= ex[i][1]
}

// containsAny reports whether any of the terms occurs in s (with word
// boundaries where the term needs them), stopping at the first.
func containsAny(s string, terms []term) bool {
	for _, t := range terms {
		for from := 0; from <= len(s); {
			i := strings.Index(s[from:], t.s)
			if i < 0 {
				break
			}
			a := from + i
			if !t.boundary || bounded(s, a, a+len(t.s)) {
				return true
			}
			_, size := utf8.DecodeRuneInString(s[a:])
			from = a + size
		}
	}
	return false
}

func (m *Matcher) wants(field string) bool {
	if len(m.Fields) == 0 {
		return true
	}
	for _, f := range m.Fields {
		if f == field {
			return true
		}
	}
	return false
}

// find returns the matcher's hits in the message.
func (m *Matcher) find(msg *message) []hit {
	if len(m.ctx) > 0 {
		found := false
		for _, f := range msg.fields {
			if containsAny(f.n.s, m.ctx) {
				found = true
				break
			}
		}
		if !found {
			return nil
		}
	}
	switch m.Kind {
	case KindRequired:
		return m.findRequired(msg)
	case KindHTMLColour:
		if !m.wants("html") || msg.rawHTML == "" {
			return nil
		}
		return m.findColours(msg)
	}
	var out []hit
	for _, f := range msg.fields {
		if !m.wants(f.name) {
			continue
		}
		var sp [][2]int
		switch m.Kind {
		case KindWords:
			sp = spans(f.n.s, m.terms)
		case KindRegex:
			for _, loc := range m.re.FindAllStringIndex(f.n.s, -1) {
				if loc[1] > loc[0] {
					sp = append(sp, [2]int{loc[0], loc[1]})
				}
			}
		case KindNumber:
			sp = unluckyNumbers(f.n.s, m.Digit[0])
		}
		var ex exceptions
		if len(m.except) > 0 && len(sp) > 0 {
			ex = spans(f.n.s, m.except)
		}
		for _, s := range sp {
			if ex.inside(s[0], s[1]) {
				continue
			}
			out = append(out, f.hit(s[0], s[1]))
		}
	}
	return out
}

// hit describes the normalised byte range [a, b) of the field as a
// finding: the source text, its context, its offset as sent.
func (f field) hit(a, b int) hit {
	start, end := f.n.span(a, b)
	return hit{field: f.name, match: string(f.n.src.runes[start:end]), excerpt: f.n.excerpt(start, end), offset: f.n.src.pos[start]}
}

func (m *Matcher) findRequired(msg *message) []hit {
	where := ""
	for _, f := range msg.fields {
		if !m.wants(f.name) {
			continue
		}
		if where == "" {
			where = f.name
		}
		if m.re.MatchString(f.n.s) || (f.name == "html" && m.re.MatchString(f.raw.s)) {
			return nil
		}
	}
	if where == "" {
		// The field the element belongs in is empty or absent.
		where = "text"
		if len(m.Fields) > 0 {
			where = m.Fields[0]
		}
	}
	return []hit{{field: where, offset: -1}}
}

// unluckyNumbers finds numbers written only with digit d (4, 44, 4.4; a
// zero fraction ignored, so ¥4.00 counts) and prices whose integer part
// ends with dd or whose cents are dd (¥144, $9.44). A number is skipped
// when it is part of something else: a date, time, range or version (next
// to ':', '/', '-' or '.' followed by a digit), a model name (A4, 4K, 4G).
func unluckyNumbers(s string, d byte) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		a := i
		for i < len(s) && (isDigit(s[i]) || ((s[i] == '.' || s[i] == ',') && i+1 < len(s) && isDigit(s[i+1]) && i > a)) {
			i++
		}
		b := i
		if partOfOther(s, a, b) {
			continue
		}
		tok := s[a:b]
		intPart, frac := tok, ""
		if k := strings.LastIndexAny(tok, ".,"); k >= 0 && len(tok)-k-1 <= 2 {
			intPart, frac = tok[:k], tok[k+1:]
		}
		intPart = strings.Map(func(r rune) rune {
			if r == ',' || r == '.' {
				return -1
			}
			return r
		}, intPart)
		if strings.Trim(frac, "0") == "" {
			frac = ""
		}
		all := strings.Trim(intPart+frac, string(d)) == ""
		twice := string([]byte{d, d})
		price := isPrice(s, a, b) && (strings.HasSuffix(intPart, twice) || frac == twice)
		if all || price {
			out = append(out, [2]int{a, b})
		}
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// partOfOther reports whether the number at [a, b) is a piece of a date,
// time, range, version, phone number or model name.
func partOfOther(s string, a, b int) bool {
	if a > 0 {
		prev, _ := utf8.DecodeLastRuneInString(s[:a])
		if prev < utf8.RuneSelf && unicode.IsLetter(prev) {
			return true // a4, win10
		}
		if strings.ContainsRune(":/-.", prev) && a >= 2 && isDigit(s[a-2]) {
			return true
		}
	}
	if b < len(s) {
		// 4月, 4日, 4号, 4点, 4時, 4월: a date or a clock time.
		if r, _ := utf8.DecodeRuneInString(s[b:]); strings.ContainsRune("年月日号號点點时時년월일시", r) {
			return true
		}
		next := s[b]
		if strings.ContainsRune(":/-.", rune(next)) && b+1 < len(s) && isDigit(s[b+1]) {
			return true
		}
		// 4k, 4g, 4wd: a letter right after, other than the units of a
		// quantity (4x, 4pcs, 4pack, 4st …) — the text is lower-cased
		// here, so tell them apart by the whole word.
		if next < utf8.RuneSelf && unicode.IsLetter(rune(next)) {
			j := b
			for j < len(s) && s[j] < utf8.RuneSelf && unicode.IsLetter(rune(s[j])) {
				j++
			}
			switch s[b:j] {
			case "x", "pcs", "pc", "pack", "packs", "pk", "st", "stk", "ct", "count", "items", "days", "day", "h", "hrs":
				return false
			}
			return true
		}
	}
	return false
}

// currencyBefore and currencyAfter mark a number as a price.
var (
	currencyBefore = []string{"¥", "$", "€", "£", "₩", "rmb", "cny", "jpy", "krw", "hkd", "twd", "nt$", "hk$", "us$", "usd"}
	currencyAfter  = []string{"元", "円", "원", "块", "圆", "yuan", "rmb", "yen", "won", "hkd", "twd", "jpy", "krw", "cny"}
)

func isPrice(s string, a, b int) bool {
	before := strings.TrimRight(s[:a], " ")
	for _, c := range currencyBefore {
		if strings.HasSuffix(before, c) {
			return true
		}
	}
	after := strings.TrimLeft(s[b:], " ")
	for _, c := range currencyAfter {
		if strings.HasPrefix(after, c) {
			return true
		}
	}
	return false
}

var (
	bgStyle = regexp.MustCompile(`(?i)background(?:-color)?\s*:\s*([^;"'}>]+)`)
	bgAttr  = regexp.MustCompile(`(?i)bgcolor\s*=\s*["']?([^"'\s>]+)`)
	rgbFunc = regexp.MustCompile(`(?i)^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)`)
)

// findColours reports background colours of the wanted classes in the
// HTML markup. Only backgrounds: text is black on white in nearly every
// email, which says nothing; a black background is a design choice.
func (m *Matcher) findColours(msg *message) []hit {
	raw := plainSource(msg.rawHTML)
	n := normText{src: raw}
	var out []hit
	for _, re := range []*regexp.Regexp{bgStyle, bgAttr} {
		for _, loc := range re.FindAllStringSubmatchIndex(msg.rawHTML, -1) {
			val := msg.rawHTML[loc[2]:loc[3]]
			class := colourClass(val)
			if class == "" || !contains(m.Colours, class) {
				continue
			}
			start := utf8.RuneCountInString(msg.rawHTML[:loc[0]])
			end := start + utf8.RuneCountInString(msg.rawHTML[loc[0]:loc[3]])
			out = append(out, hit{field: "html", match: msg.rawHTML[loc[0]:loc[3]], excerpt: n.excerpt(start, end), offset: start})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// colourClass says whether a CSS colour value is black (every channel at
// most 0x22) or white (every channel at least 0xf5), or neither ("").
// The first colour of a background shorthand is read.
func colourClass(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	for _, f := range strings.Fields(v) {
		if r, g, b, ok := parseColour(f); ok {
			switch {
			case r <= 0x22 && g <= 0x22 && b <= 0x22:
				return "black"
			case r >= 0xf5 && g >= 0xf5 && b >= 0xf5:
				return "white"
			}
			return ""
		}
		if strings.HasPrefix(f, "rgb") {
			if mm := rgbFunc.FindStringSubmatch(v[strings.Index(v, f):]); mm != nil {
				r, _ := strconv.Atoi(mm[1])
				g, _ := strconv.Atoi(mm[2])
				b, _ := strconv.Atoi(mm[3])
				switch {
				case r <= 0x22 && g <= 0x22 && b <= 0x22:
					return "black"
				case r >= 0xf5 && g >= 0xf5 && b >= 0xf5:
					return "white"
				}
				return ""
			}
		}
	}
	return ""
}

func parseColour(f string) (r, g, b int, ok bool) {
	f = strings.TrimRight(f, ",;!")
	switch f {
	case "black":
		return 0, 0, 0, true
	case "white":
		return 255, 255, 255, true
	}
	if !strings.HasPrefix(f, "#") {
		return 0, 0, 0, false
	}
	h := f[1:]
	switch len(h) {
	case 3, 4:
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	case 6, 8:
		h = h[:6]
	default:
		return 0, 0, 0, false
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return 0, 0, 0, false
	}
	return int(v >> 16), int(v >> 8 & 0xff), int(v & 0xff), true
}
