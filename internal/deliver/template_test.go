package deliver

import (
	"strings"
	"testing"
)

func abandonedCheckout() Template {
	return Template{
		ID:            "abandoned-checkout",
		DefaultLocale: "en",
		Variants: map[string]Variant{
			"en":    {Subject: "{{.Name}}, you left something behind", Text: "Hi {{.Name}}, your cart: {{.Product}}", HTML: "<p>Hi {{.Name}}, your cart: <b>{{.Product}}</b></p>"},
			"zh":    {Subject: "{{.Name}}，您的购物车还有商品", Text: "您好 {{.Name}}：{{.Product}}", HTML: "<p>您好 {{.Name}}：{{.Product}}</p>"},
			"zh-tw": {Subject: "{{.Name}}，您的購物車還有商品", Text: "您好 {{.Name}}：{{.Product}}"},
			"ja":    {Subject: "{{.Name}}様、お忘れ物はありませんか", HTML: "<p>{{.Name}}様</p>"},
		},
	}
}

func TestRenderFallbackChain(t *testing.T) {
	c, err := Compile(abandonedCheckout())
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]string{"Name": "王芳", "Product": "茶具"}
	for _, tc := range []struct{ asked, want string }{
		{"zh-TW", "zh-TW"}, // exact (keys are canonicalised: zh-tw is zh-TW)
		{"zh-tw", "zh-TW"},
		{"zh-CN", "zh"}, // language
		{"zh-Hans-CN", "zh"},
		{"zh", "zh"},
		{"ja-JP", "ja"},
		{"fr-FR", "en"}, // default
		{"", "en"},
		{"not a locale!", "en"},
	} {
		r, err := c.Render(tc.asked, data)
		if err != nil {
			t.Fatalf("%q: %v", tc.asked, err)
		}
		if r.Locale != tc.want {
			t.Errorf("%q rendered %q, want %q", tc.asked, r.Locale, tc.want)
		}
	}
	r, _ := c.Render("zh-CN", data)
	if r.Subject != "王芳，您的购物车还有商品" || r.Text != "您好 王芳：茶具" {
		t.Errorf("zh render = %+v", r)
	}
	if r, _ := c.Render("ja", data); r.Text != "" || r.HTML != "<p>王芳様</p>" {
		t.Errorf("ja (HTML only) render = %+v", r)
	}
}

func TestRenderMissingKeyIsAnError(t *testing.T) {
	c, err := Compile(abandonedCheckout())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Render("en", map[string]string{"Name": "Ann"})
	if err == nil {
		t.Fatal("missing Product rendered without error")
	}
	if !strings.Contains(err.Error(), `"en"`) || !strings.Contains(err.Error(), "Product") {
		t.Errorf("error %q should name the locale and the key", err)
	}
	type person struct{ Name string }
	if _, err := c.Render("en", person{Name: "Ann"}); err == nil {
		t.Fatal("struct without Product rendered without error")
	}
}

func TestRenderEscapesHTMLOnly(t *testing.T) {
	c, err := Compile(abandonedCheckout())
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Render("en", map[string]any{"Name": `<script>alert("x")</script>`, "Product": "Tea & cups"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || !strings.Contains(r.HTML, "&lt;script&gt;") || !strings.Contains(r.HTML, "Tea &amp; cups") {
		t.Errorf("HTML not escaped: %s", r.HTML)
	}
	if !strings.Contains(r.Text, `<script>alert("x")</script>`) || !strings.Contains(r.Subject, "<script>") {
		t.Errorf("text and subject should show the value as written: %+v", r)
	}
	// A newline smuggled into the subject cannot start a new header.
	r, _ = c.Render("en", map[string]any{"Name": "Ann\r\nBcc: victim@example.com", "Product": "x"})
	if strings.ContainsAny(r.Subject, "\r\n") {
		t.Errorf("subject kept a line break: %q", r.Subject)
	}
}

func TestCompileErrorsNameLocaleAndPart(t *testing.T) {
	for _, tc := range []struct {
		tpl  Template
		want []string
	}{
		{Template{ID: "t", DefaultLocale: "en", Variants: map[string]Variant{"en": {Subject: "ok", Text: "ok"}, "de": {Subject: "ok", HTML: "<p>{{.Name</p>"}}}, []string{`"de"`, "html"}},
		{Template{ID: "t", DefaultLocale: "en", Variants: map[string]Variant{"en": {Subject: "{{if}}", Text: "ok"}}}, []string{`"en"`, "subject"}},
		{Template{ID: "t", DefaultLocale: "en", Variants: map[string]Variant{"en": {Subject: "s", Text: "{{.A"}}}, []string{`"en"`, "text"}},
		{Template{ID: "t", DefaultLocale: "fr", Variants: map[string]Variant{"en": {Subject: "s", Text: "x"}}}, []string{"default locale", `"fr"`}},
		{Template{ID: "t", DefaultLocale: "en", Variants: map[string]Variant{"en": {Subject: "s"}}}, []string{"neither"}},
		{Template{ID: "t", DefaultLocale: "en", Variants: map[string]Variant{"en": {Subject: "s", Text: "x"}, "en_US!!": {Subject: "s", Text: "x"}}}, []string{"BCP 47"}},
		{Template{ID: "t", DefaultLocale: "en"}, []string{"no variants"}},
	} {
		_, err := Compile(tc.tpl)
		if err == nil {
			t.Errorf("%+v compiled", tc.tpl)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	}
}

func TestRenderChoosesScript(t *testing.T) {
	c, err := Compile(Template{ID: "s", DefaultLocale: "en", Variants: map[string]Variant{
		"en":      {Subject: "Hi", Text: "Hi"},
		"zh-Hans": {Subject: "简", Text: "简体"},
		"zh-Hant": {Subject: "繁", Text: "繁體"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for asked, want := range map[string]string{
		"zh-TW": "zh-Hant", "zh-HK": "zh-Hant", "zh-Hant-MO": "zh-Hant",
		"zh-CN": "zh-Hans", "zh-SG": "zh-Hans", "zh": "zh-Hans",
		"ja": "en", "en-GB": "en",
	} {
		if got := c.Choose(asked); got != want {
			t.Errorf("Choose(%q) = %q, want %q", asked, got, want)
		}
	}
}
