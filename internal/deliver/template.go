package deliver

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"sort"
	"strings"
	texttemplate "text/template"

	"golang.org/x/text/language"
)

// Template is a message in several languages. Variants are keyed by BCP 47
// locale ("en", "zh-CN", "ja"); DefaultLocale must be one of them, and is what
// a person whose language has no variant receives.
type Template struct {
	ID            string
	DefaultLocale string
	Variants      map[string]Variant
}

// Variant is one locale's text. Subject and Text are text/template source,
// HTML is html/template source, so personalisation in the HTML part is
// escaped by context (a customer named "<b>" cannot inject markup) while the
// text part shows it as written. Text or HTML may be empty, not both.
type Variant struct {
	Subject string
	Text    string
	HTML    string
}

// Rendered is a variant filled in for one person. Locale is the variant that
// was chosen, which delivery logs keep so people can see why someone got
// English.
type Rendered struct {
	Locale  string
	Subject string
	Text    string
	HTML    string
}

// Compiled is a Template whose variants all parsed. It is safe for concurrent
// use: journeys compile a template once and render it per person.
type Compiled struct {
	id       string
	fallback string
	variants map[string]*compiledVariant
}

type compiledVariant struct {
	subject *texttemplate.Template
	text    *texttemplate.Template // nil when the variant has no text part
	html    *htmltemplate.Template // nil when the variant has no HTML part
}

// Compile parses every variant of t, so a broken template is refused when it
// is saved rather than discovered by the first customer who triggers it. Data
// a template asks for must be present when it is rendered ("missingkey=error"):
// a greeting that reads "Hello <no value>" is worse than a delivery that
// fails and is dead-lettered with the reason. Locale keys are canonicalised
// ("zh-cn" is "zh-CN"); an unparseable key is an error.
func Compile(t Template) (*Compiled, error) {
	if len(t.Variants) == 0 {
		return nil, fmt.Errorf("template %q: no variants", t.ID)
	}
	c := &Compiled{id: t.ID, variants: make(map[string]*compiledVariant, len(t.Variants))}
	keys := make([]string, 0, len(t.Variants))
	for k := range t.Variants {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the first error deterministically
	for _, key := range keys {
		v := t.Variants[key]
		locale, err := canonicalLocale(key)
		if err != nil {
			return nil, fmt.Errorf("template %q: locale %q: not a BCP 47 tag", t.ID, key)
		}
		if _, dup := c.variants[locale]; dup {
			return nil, fmt.Errorf("template %q: locale %q given twice", t.ID, locale)
		}
		if strings.TrimSpace(v.Text) == "" && strings.TrimSpace(v.HTML) == "" {
			return nil, fmt.Errorf("template %q locale %q: neither a text nor an HTML part", t.ID, locale)
		}
		cv := &compiledVariant{}
		name := t.ID + "/" + locale
		if cv.subject, err = texttemplate.New(name + "/subject").Option("missingkey=error").Parse(v.Subject); err != nil {
			return nil, fmt.Errorf("template %q locale %q subject: %w", t.ID, locale, err)
		}
		if v.Text != "" {
			if cv.text, err = texttemplate.New(name + "/text").Option("missingkey=error").Parse(v.Text); err != nil {
				return nil, fmt.Errorf("template %q locale %q text: %w", t.ID, locale, err)
			}
		}
		if v.HTML != "" {
			if cv.html, err = htmltemplate.New(name + "/html").Option("missingkey=error").Parse(v.HTML); err != nil {
				return nil, fmt.Errorf("template %q locale %q html: %w", t.ID, locale, err)
			}
		}
		c.variants[locale] = cv
	}
	def, err := canonicalLocale(t.DefaultLocale)
	if err != nil || c.variants[def] == nil {
		return nil, fmt.Errorf("template %q: default locale %q has no variant", t.ID, t.DefaultLocale)
	}
	c.fallback = def
	return c, nil
}

// Locales returns the compiled variants' locales, sorted.
func (c *Compiled) Locales() []string {
	out := make([]string, 0, len(c.variants))
	for l := range c.variants {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Choose returns the locale Render would use for locale: the exact variant
// ("zh-TW"), else the variant for the language in its script ("zh-Hant",
// when the template has one: Taiwanese and Hong Kong readers get Traditional
// characters, mainland and Singapore readers Simplified, the script being
// inferred from the region when not written), else the language's variant
// ("zh"), else the default. Nothing looser than that — no zh-TW reader gets a
// zh-CN variant — because a script or regional variant a person did not ask
// for can offend more than the default language does.
func (c *Compiled) Choose(locale string) string {
	tag, err := language.Parse(strings.TrimSpace(locale))
	if err != nil {
		return c.fallback
	}
	if _, ok := c.variants[tag.String()]; ok {
		return tag.String()
	}
	base, conf := tag.Base()
	if conf == language.No {
		return c.fallback
	}
	if script, sconf := tag.Script(); sconf != language.No {
		if st, err := language.Compose(base, script); err == nil {
			if _, ok := c.variants[st.String()]; ok {
				return st.String()
			}
		}
	}
	if _, ok := c.variants[base.String()]; ok {
		return base.String()
	}
	return c.fallback
}

// Render fills in the variant Choose picks for locale with data. A key data
// lacks is an error naming the template, locale and part.
func (c *Compiled) Render(locale string, data any) (Rendered, error) {
	chosen := c.Choose(locale)
	v := c.variants[chosen]
	r := Rendered{Locale: chosen}
	var b bytes.Buffer
	if err := v.subject.Execute(&b, data); err != nil {
		return Rendered{}, fmt.Errorf("template %q locale %q subject: %w", c.id, chosen, err)
	}
	// A subject is one header line: folding a template's stray newline
	// into a space keeps it from ending the header early.
	r.Subject = strings.Join(strings.Fields(b.String()), " ")
	if v.text != nil {
		b.Reset()
		if err := v.text.Execute(&b, data); err != nil {
			return Rendered{}, fmt.Errorf("template %q locale %q text: %w", c.id, chosen, err)
		}
		r.Text = b.String()
	}
	if v.html != nil {
		b.Reset()
		if err := v.html.Execute(&b, data); err != nil {
			return Rendered{}, fmt.Errorf("template %q locale %q html: %w", c.id, chosen, err)
		}
		r.HTML = b.String()
	}
	return r, nil
}

func canonicalLocale(s string) (string, error) {
	tag, err := language.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	return tag.String(), nil
}
