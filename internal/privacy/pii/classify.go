package pii

import (
	"cmp"
	"slices"
	"strings"
)

// Classifier decides the tier of a message's fields: by the installation's
// overrides first, then by the field's name in its place, then by its
// content (see the package documentation for the rules). A nil or zero
// Classifier applies the built-in rules only. It is immutable, so one
// Classifier serves every goroutine.
type Classifier struct {
	exact    map[string]Tier
	patterns []pattern // most specific first
}

// pattern is an override path with "*" segments.
type pattern struct {
	text string
	segs []string
	wild int
	tier Tier
}

// NewClassifier returns a classifier with an administrator's overrides:
// keys are field paths ("properties.loyalty_card") or patterns in which "*"
// stands for exactly one segment ("properties.*.vat_number",
// "properties.products.*.engraving"). An override wins over every built-in
// rule, in both directions: High encrypts a field the rules leave alone,
// Low keeps in clear a field they would encrypt (including its content
// checks). An override on an object or array applies to all of it: High
// encrypts it whole, as one envelope of its JSON text; Medium reports it as
// one Medium field; Low leaves everything under it in clear.
//
// An exact path wins over patterns; among patterns the one with the fewest
// "*" wins, then the longer. Paths are matched as written, case-sensitively
// (they are JSON keys). A tier outside Low..High counts as High, so that a
// mistake in configuration errs towards protection; configuration should
// read tiers with ParseTier, which refuses bad names.
func NewClassifier(overrides map[string]Tier) *Classifier {
	c := &Classifier{}
	for p, t := range overrides {
		if t < Low || t > High {
			t = High
		}
		if !strings.Contains(p, "*") {
			if c.exact == nil {
				c.exact = make(map[string]Tier)
			}
			c.exact[p] = t
			continue
		}
		segs := strings.Split(p, ".")
		pt := pattern{text: p, segs: segs, tier: t}
		for _, s := range segs {
			if s == "*" {
				pt.wild++
			}
		}
		c.patterns = append(c.patterns, pt)
	}
	slices.SortFunc(c.patterns, func(a, b pattern) int {
		if a.wild != b.wild {
			return cmp.Compare(a.wild, b.wild)
		}
		if len(a.text) != len(b.text) {
			return cmp.Compare(len(b.text), len(a.text))
		}
		return strings.Compare(a.text, b.text)
	})
	return c
}

// override returns the override tier for path, if any.
func (c *Classifier) override(path []byte) (Tier, bool) {
	if c == nil {
		return Low, false
	}
	if c.exact != nil {
		if t, ok := c.exact[string(path)]; ok {
			return t, true
		}
	}
	for i := range c.patterns {
		if c.patterns[i].match(path) {
			return c.patterns[i].tier, true
		}
	}
	return Low, false
}

func (c *Classifier) hasOverrides() bool {
	return c != nil && (len(c.exact) > 0 || len(c.patterns) > 0)
}

func (p *pattern) match(path []byte) bool {
	i := 0
	for _, seg := range p.segs {
		if i > len(path) {
			return false
		}
		j := i
		for j < len(path) && path[j] != '.' {
			j++
		}
		if seg != "*" && string(path[i:j]) != seg {
			return false
		}
		i = j + 1
	}
	return i == len(path)+1
}

// inherit is what a field's ancestors say about it.
type inherit struct {
	tier    Tier
	kind    string
	address bool // under a postal address object
}

// under returns what an object or array (its key's info ki, its parent's
// parent) passes to its children. A postal address object makes all its leaves High; any
// other High name makes its leaves High with its kind ("emails": [...]); a
// Medium name makes them Medium ("coordinates": [lat, lng]).
func under(ki, parent keyInfo, in inherit, groupTraits bool) inherit {
	if in.tier == High {
		return in
	}
	cls := classIn(ki, parent, groupTraits)
	switch {
	case cls == cAddress:
		return inherit{tier: High, kind: KindPII, address: true}
	case cls.tier() == High:
		return inherit{tier: High, kind: cls.kind()}
	case cls.tier() == Medium:
		return inherit{tier: Medium}
	}
	return in
}

// leaf classifies a string (isString) or number leaf (its key's info ki,
// its parent's parent), its ancestors having said in. kind is the envelope kind of a High
// leaf.
func leaf(ki, parent keyInfo, in inherit, groupTraits bool, val []byte, isString bool) (tier Tier, kind string) {
	cls := classIn(ki, parent, groupTraits)
	tier = cls.tier()
	if tier == High {
		kind = cls.kind()
	}
	switch {
	case in.tier == High:
		// Identifiers inside an address or a contact list ("id",
		// "customer_id") are join keys, not the person's data.
		if tier < High && cls != cID {
			tier, kind = High, in.kind
		}
	case in.tier == Medium && tier < Medium:
		tier = Medium
	}
	if isString && (tier < High || kind == KindPII) {
		if ck := contentKind(val, cls != cID && cls != cCode); ck != "" && (tier < High || ck != KindPII) {
			tier, kind = High, ck
		}
	}
	return tier, kind
}

// Classify returns the tier of the field at path (a dotted path from the
// message's root, array indexes as numbers: "properties.products.0.name")
// holding value (its string value; "" for a number, or to classify by path
// only). It applies the same rules as Encrypt, except the one that needs
// the message type: a group message's "traits.name" is a company's.
func (c *Classifier) Classify(path string, value string) Tier {
	segs := strings.Split(path, ".")
	var in inherit
	var parent keyInfo
	for i, seg := range segs[:len(segs)-1] {
		if t, ok := c.override([]byte(strings.Join(segs[:i+1], "."))); ok {
			return t
		}
		ki := lookupKey([]byte(seg))
		if i > 0 {
			in = under(ki, parent, in, false)
		}
		parent = ki
	}
	if t, ok := c.override([]byte(path)); ok {
		return t
	}
	t, _ := leaf(lookupKey([]byte(segs[len(segs)-1])), parent, in, false, []byte(value), true)
	return t
}
