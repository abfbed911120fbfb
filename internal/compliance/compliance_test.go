package compliance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// ids lists the rule ids of a report's findings, in order.
func ids(r Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.RuleID)
	}
	return out
}

func has(r Report, id string) bool {
	for _, f := range r.Findings {
		if f.RuleID == id {
			return true
		}
	}
	return false
}

// The embedded rules load and validate (a broken file would already have
// panicked at init with the file and rule named; this says so plainly).
func TestEmbeddedRulesValid(t *testing.T) {
	s, err := readFS(embedded, "rules")
	if err != nil {
		t.Fatalf("embedded rules: %v", err)
	}
	if len(s.rules) < 15 {
		t.Fatalf("only %d rules", len(s.rules))
	}
	for _, r := range s.rules {
		if !strings.HasPrefix(r.File, "rules/") {
			t.Errorf("%s: file %q", r.ID, r.File)
		}
	}
}

// positive is one example per embedded rule that must fire it.
var positive = map[string]Content{
	"cn-adlaw-absolute-terms":              {Country: "CN", Channel: "ad", Text: "全网最佳的蓝牙耳机"},
	"cn-adlaw-medical-claims":              {Country: "CN", Channel: "ad", Text: "这款茶能降血压"},
	"cn-email-ad-label":                    {Country: "CN", Channel: "email", Subject: "春节大促", Text: "回T退订"},
	"cn-sms-opt-out":                       {Country: "CN", Channel: "sms", Text: "【小店】春节大促今晚开始"},
	"us-canspam-unsubscribe":               {Country: "US", Channel: "email", Text: "Big sale! Our store, 100 Main Street, Springfield, IL 62701"},
	"us-canspam-postal-address":            {Country: "US", Channel: "email", Text: "Big sale! Unsubscribe: https://x.test/u"},
	"us-ftc-general-environmental-claims":  {Country: "US", Channel: "ad", Text: "Our eco-friendly bottle"},
	"us-ftc-made-in-usa":                   {Country: "US", Channel: "ad", Text: "Proudly Made in USA"},
	"us-sms-opt-out":                       {Country: "US", Channel: "sms", Text: "Flash sale today only"},
	"eu-ucpd-generic-environmental-claims": {Country: "DE", Channel: "ad", Text: "Unsere umweltfreundliche Flasche ist umweltfreundlich"},
	"eu-ucpd-offset-neutrality-claims":     {Country: "FR", Channel: "ad", Text: "Livraison climate neutral"},
	"eu-disease-claims":                    {Country: "IE", Channel: "ad", Text: "This tea cures colds"},
	"eu-unauthorised-health-claims":        {Country: "NL", Channel: "ad", Text: "Boosts immunity naturally"},
	"eu-eprivacy-unsubscribe":              {Country: "ES", Channel: "email", Text: "Rebajas de enero"},
	"gb-pecr-unsubscribe":                  {Country: "GB", Channel: "email", Text: "January sale"},
	"gb-cma-green-claims":                  {Country: "GB", Channel: "ad", Text: "A sustainable choice"},
	"kr-ad-label-email":                    {Country: "KR", Channel: "email", Subject: "설날 세일", Text: "수신거부"},
	"kr-ad-label-message":                  {Country: "KR", Channel: "sms", Text: "설날 세일 무료수신거부 080"},
	"kr-opt-out":                           {Country: "KR", Channel: "sms", Text: "(광고) 설날 세일"},
	"jp-email-opt-out":                     {Country: "JP", Channel: "email", Text: "新春セール"},
	"east-asia-number-four":                {Country: "JP", Channel: "ad", Text: "4個セット"},
	"east-asia-mourning-colours":           {Country: "CN", Channel: "ad", Text: "春节礼盒：白色菊花"},
	"cn-clock-gift":                        {Country: "CN", Channel: "ad", Text: "送钟给长辈"},
	"cn-green-hat":                         {Country: "CN", Channel: "ad", Text: "男士绿帽子特价"},
}

func TestEveryRuleFiresOnItsExample(t *testing.T) {
	for _, r := range Default().Rules() {
		c, ok := positive[r.ID]
		if !ok {
			t.Errorf("rule %s has no positive example in the test", r.ID)
			continue
		}
		rep := Default().Check(c)
		if !has(rep, r.ID) {
			t.Errorf("rule %s did not fire on %+v: %v", r.ID, c, ids(rep))
		}
		if !rep.Verdict.AtLeast(r.Severity) {
			t.Errorf("rule %s: verdict %s below its severity %s", r.ID, rep.Verdict, r.Severity)
		}
	}
}

func TestAbsoluteTerms(t *testing.T) {
	check := func(text string) Report { return Default().Check(Content{Country: "CN", Channel: "ad", Text: text}) }
	rep := check("全网最佳的蓝牙耳机，销量第一")
	var matches []string
	for _, f := range rep.Findings {
		if f.RuleID == "cn-adlaw-absolute-terms" {
			matches = append(matches, f.Match)
		}
	}
	// 最佳 is one match, not also 最.
	if strings.Join(matches, ",") != "最佳,第一" {
		t.Errorf("matches %v", matches)
	}
	if rep.Verdict != Block {
		t.Errorf("verdict %s", rep.Verdict)
	}
	f := rep.Findings[0]
	if f.Offset != 2 || f.Field != "text" || !strings.Contains(f.Excerpt, "全网最佳的蓝牙耳机") {
		t.Errorf("finding %+v", f)
	}
	if f.Reason.EN == "" || f.Reason.ZH == "" || !strings.Contains(f.Source, "第九条") {
		t.Errorf("reason/source %+v", f)
	}
	// Non-ranking uses of 第一 and 最 are exceptions (SAMR 2023 guideline).
	for _, text := range []string{"第一次购买享九折", "第一步：注册账号", "第一天发货", "下单后第一时间发货", "最近上新", "最后一天"} {
		if r := check(text); has(r, "cn-adlaw-absolute-terms") {
			t.Errorf("%q: false positive %v", text, r.Findings)
		}
	}
	// …but a ranking 第一 next to them still fires.
	if r := check("第一次购买就选销量第一的品牌"); !has(r, "cn-adlaw-absolute-terms") {
		t.Error("销量第一 after 第一次 missed")
	}
	// Full-width and case: ＮＯ．１ is NO.1.
	if r := check("品牌ＮＯ．１"); !has(r, "cn-adlaw-absolute-terms") {
		t.Errorf("full-width NO.1 missed: %v", r.Findings)
	}
	// An English US email about "the first order" is not checked against China's law.
	us := Default().Check(Content{Country: "US", Channel: "email", Text: "The first order ships free. Unsubscribe at https://x.test/u. 1 Main St, Austin, TX 78701"})
	if us.Verdict != OK || len(us.Findings) != 0 {
		t.Errorf("US email: %v", us.Findings)
	}
	// "No. 1" is not "No. 12".
	if r := check("model No. 12"); has(r, "cn-adlaw-absolute-terms") {
		t.Errorf("No. 12: %v", r.Findings)
	}
}

func TestNumberFour(t *testing.T) {
	fires := []string{"4件套", "买4送1", "仅需¥44", "特价 ¥144 元", "$9.44", "价格4.00元", "4 pcs", "4pcs", "444元大礼包", "4个颜色", "4%折扣"}
	for _, text := range fires {
		rep := Default().Check(Content{Country: "CN", Channel: "ad", Text: text})
		if !has(rep, "east-asia-number-four") {
			t.Errorf("%q: 4 not found", text)
		}
	}
	quiet := []string{"2024年新款", "14天无理由退货", "40%折扣", "2024-04-04上市", "4月促销", "4日发货", "下午4:30开始", "A4纸", "4K电视", "4G手机", "版本1.4", "4-6天送达", "¥145", "¥1440", "400-800-1234", "第14期"}
	for _, text := range quiet {
		rep := Default().Check(Content{Country: "CN", Channel: "ad", Text: text})
		if has(rep, "east-asia-number-four") {
			t.Errorf("%q: false positive %v", text, rep.Findings)
		}
	}
	// Full-width ４ is 4.
	rep := Default().Check(Content{Country: "JP", Channel: "ad", Text: "お得な４個セット"})
	if !has(rep, "east-asia-number-four") || rep.Findings[0].Match != "４" || rep.Findings[0].Offset != 3 {
		t.Errorf("full-width: %+v", rep.Findings)
	}
	// Warn, not block; not in the US.
	if rep.Verdict != Warn {
		t.Errorf("verdict %s", rep.Verdict)
	}
	if has(Default().Check(Content{Country: "US", Channel: "ad", Text: "4 pack"}), "east-asia-number-four") {
		t.Error("4 flagged in the US")
	}
}

func TestRequiredElements(t *testing.T) {
	us := func(c Content) Report { c.Country, c.Channel = "US", "email"; return Default().Check(c) }
	rep := us(Content{Text: "Winter sale!"})
	if !has(rep, "us-canspam-unsubscribe") || !has(rep, "us-canspam-postal-address") || rep.Verdict != Block {
		t.Fatalf("bare email: %v", ids(rep))
	}
	for _, f := range rep.Findings {
		if f.Offset != -1 || f.Excerpt != "" || f.Field != "text" {
			t.Errorf("missing-element finding %+v", f)
		}
	}
	// An unsubscribe link in the HTML (only its href says so) and an
	// address in a footer.
	html := `<html><body><p>Winter sale!</p><footer><a href="https://shop.test/unsubscribe?u=1">Click here</a> to stop.<br>Shop Inc., PO Box 1234, Springfield</footer></body></html>`
	if rep := us(Content{HTML: html}); rep.Verdict != OK {
		t.Errorf("HTML with href and PO box: %v", rep.Findings)
	}
	for _, addr := range []string{"350 Fifth Avenue, New York", "Suite 4, 1 Infinite Loop", "Austin, TX 78701", "{{ company.address }}", "*|LIST:ADDRESSLINE|*"} {
		if rep := us(Content{Text: "Sale. Unsubscribe: {{unsubscribe_url}}. " + addr}); has(rep, "us-canspam-postal-address") {
			t.Errorf("address %q not recognised", addr)
		}
	}
	// SMS and ads are not emails.
	if rep := Default().Check(Content{Country: "US", Channel: "ad", Text: "Winter sale!"}); rep.Verdict != OK {
		t.Errorf("US ad: %v", rep.Findings)
	}
	// China: 广告 or AD at the front of the subject.
	cn := func(subject string) bool {
		return has(Default().Check(Content{Country: "CN", Channel: "email", Subject: subject, Text: "回T退订"}), "cn-email-ad-label")
	}
	for _, s := range []string{"【广告】春节大促", "AD: 新品上市", "(广告)新品", "广告 新品", "［ＡＤ］新品"} {
		if cn(s) {
			t.Errorf("subject %q: label not recognised", s)
		}
	}
	for _, s := range []string{"春节大促（广告）", "Adidas 新品", "", "新品 AD"} {
		if !cn(s) {
			t.Errorf("subject %q: missing label not found", s)
		}
	}
	rep = Default().Check(Content{Country: "CN", Channel: "email", Text: "回T退订"})
	if len(rep.Findings) != 1 || rep.Findings[0].Field != "subject" {
		t.Errorf("no subject: %+v", rep.Findings)
	}
	// Korea: exactly (광고) at the start.
	kr := func(text string) bool {
		return has(Default().Check(Content{Country: "KR", Channel: "sms", Text: text + " 무료수신거부 080-123-4567"}), "kr-ad-label-message")
	}
	if kr("(광고) 설날 세일") || kr("（광고）설날") || !kr("[광고] 설날 세일") || !kr("설날 세일 (광고)") {
		t.Error("Korean (광고) label")
	}
}

func TestEUClaims(t *testing.T) {
	check := func(cc, text string) Report { return Default().Check(Content{Country: cc, Channel: "ad", Text: text}) }
	if r := check("DE", "Ein grünes T-Shirt in Größe M, green colour"); len(r.Findings) != 0 {
		t.Errorf("the colour green: %v", r.Findings)
	}
	if r := check("FR", "Emballage respectueux de l’environnement"); !has(r, "eu-ucpd-generic-environmental-claims") {
		t.Errorf("curly apostrophe: %v", ids(r))
	}
	r := check("IT", "Spedizione carbon-neutral")
	if !has(r, "eu-ucpd-offset-neutrality-claims") || r.Verdict != Block {
		t.Errorf("carbon-neutral: %v", ids(r))
	}
	// Norway is in the EEA, Switzerland is not.
	if !has(check("NO", "eco-friendly"), "eu-ucpd-generic-environmental-claims") || has(check("CH", "eco-friendly"), "eu-ucpd-generic-environmental-claims") {
		t.Error("EEA expansion")
	}
	if r := check("DE", "Prevents heart disease"); !has(r, "eu-disease-claims") {
		t.Errorf("prevents heart disease: %v", ids(r))
	}
	if r := check("DE", "UV lamp cure time 60 s, a secure fit"); has(r, "eu-disease-claims") {
		t.Errorf("cure time: %v", r.Findings)
	}
	// Word boundaries: "detox" is not inside "detoxification-free"? It is a
	// word there; but "ecological" is not inside "nonecological".
	if r := check("DE", "nonecological"); has(r, "eu-ucpd-generic-environmental-claims") {
		t.Errorf("boundary: %v", r.Findings)
	}
}

func TestCulturalContextRules(t *testing.T) {
	check := func(c Content) Report { c.Channel = "ad"; return Default().Check(c) }
	// Mourning colours only on festive or gift messages.
	if r := check(Content{Country: "CN", Text: "黑白条纹T恤"}); has(r, "east-asia-mourning-colours") {
		t.Error("black-and-white T-shirt without festive context")
	}
	if r := check(Content{Country: "CN", Text: "新年礼物：黑白条纹T恤"}); !has(r, "east-asia-mourning-colours") {
		t.Error("festive black-and-white missed")
	}
	festive := `<table style="background-color:#000000;color:#fff"><tr><td bgcolor="#111">春节礼盒</td></tr></table><div style="background:#ffffff">x</div>`
	r := check(Content{Country: "JP", HTML: festive})
	n := 0
	for _, f := range r.Findings {
		if f.RuleID == "east-asia-mourning-colours" {
			n++
			if f.Field != "html" || f.Offset < 0 || !strings.HasPrefix(f.Match, "background-color:#000000") && !strings.HasPrefix(f.Match, "bgcolor") {
				t.Errorf("colour finding %+v", f)
			}
		}
	}
	if n != 2 || r.Verdict != Warn {
		t.Errorf("want 2 black backgrounds (not the white one), warn: %v", r.Findings)
	}
	if r := check(Content{Country: "JP", HTML: strings.Replace(festive, "春节礼盒", "セール", 1)}); has(r, "east-asia-mourning-colours") {
		t.Error("black background without festive context")
	}
	// Clocks: 送钟 always; a clock only as a gift; 分钟 (minutes) never.
	if !has(check(Content{Country: "TW", Text: "挂钟，春节送礼佳品"}), "cn-clock-gift") {
		t.Error("clock as gift")
	}
	if has(check(Content{Country: "CN", Text: "挂钟 静音"}), "cn-clock-gift") || has(check(Content{Country: "CN", Text: "5分钟送达，礼品包装"}), "cn-clock-gift") {
		t.Error("clock false positive")
	}
	if has(check(Content{Country: "JP", Text: "送钟"}), "cn-clock-gift") {
		t.Error("clock rule outside Chinese-speaking markets")
	}
}

func TestHTMLStripping(t *testing.T) {
	html := `<html><head><title>x</title><style>.最佳 { color: red }</style><script>var a = "第一";</script></head>
<body><!-- 最佳 --><p title="顶级">价格&yen;44</p><p>全网&#26368;&#20339;</p></body></html>`
	rep := Default().Check(Content{Country: "CN", Channel: "ad", HTML: html})
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.RuleID+":"+f.Match)
		if f.Field != "html" {
			t.Errorf("field %q", f.Field)
		}
	}
	// Scripts, styles, comments and attribute values are not text;
	// entities are decoded, and offsets point into the markup.
	if strings.Join(got, ",") != "east-asia-number-four:44,cn-adlaw-absolute-terms:最佳" {
		t.Fatalf("findings %v", got)
	}
	off := rep.Findings[1].Offset
	if string([]rune(html)[off:off+7]) != "&#26368" {
		t.Errorf("offset %d points at %q", off, string([]rune(html)[off:off+7]))
	}
	// Block elements separate words: <p>green</p><p>product</p> is not "green product".
	if r := Default().Check(Content{Country: "US", Channel: "ad", HTML: "<p>green</p><p>product</p>"}); len(r.Findings) != 0 {
		t.Errorf("words joined across blocks: %v", r.Findings)
	}
}

func TestInvalidContent(t *testing.T) {
	for _, c := range []Content{{Country: "UK"}, {Country: ""}, {Country: "CN", Channel: "fax"}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v validated", c)
		}
		rep := Default().Check(c)
		if rep.Verdict != Block || len(rep.Findings) != 1 || rep.Findings[0].RuleID != "input" {
			t.Errorf("%+v: %+v", c, rep)
		}
	}
	if err := (Content{Country: "cn", Channel: "SMS"}).Validate(); err != nil {
		t.Errorf("case: %v", err)
	}
	rep := Default().Check(Content{Country: "cn"})
	if rep.Country != "CN" || rep.Channel != "email" {
		t.Errorf("defaults: %+v", rep)
	}
}

func TestOperatorRules(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("mine.json", `{"rules": [
		{"id": "cn-adlaw-medical-claims", "disabled": true},
		{"id": "east-asia-number-four", "countries": ["CN"], "channels": ["any"], "severity": "block",
		 "match": [{"kind": "number", "digit": "4"}], "reason": {"en": "no fours", "zh": "不要四"}, "source": "house style"},
		{"id": "de-brand-words", "countries": ["DE", "AT"], "channels": ["email"], "severity": "warn",
		 "match": [{"kind": "regex", "pattern": "\\bgratis\\b"}], "reason": {"en": "say kostenlos", "zh": "用 kostenlos"}, "source": "brand guide"}
	]}`)
	s, err := Default().WithDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Check(Content{Country: "CN", Channel: "ad", Text: "能治疗失眠"}); has(r, "cn-adlaw-medical-claims") {
		t.Error("disabled rule still fires")
	}
	r := s.Check(Content{Country: "CN", Channel: "ad", Text: "4件"})
	if !has(r, "east-asia-number-four") || r.Verdict != Block || r.Findings[0].Reason.EN != "no fours" {
		t.Errorf("override: %+v", r)
	}
	// The override replaced the rule for JP too (its countries are CN only now).
	if has(s.Check(Content{Country: "JP", Channel: "ad", Text: "4個"}), "east-asia-number-four") {
		t.Error("override kept the old countries")
	}
	if !has(s.Check(Content{Country: "AT", Channel: "email", Text: "Versand gratis. Abmelden"}), "de-brand-words") {
		t.Error("new rule")
	}
	for _, rule := range s.Rules() {
		if rule.ID == "de-brand-words" && rule.File != filepath.Join(dir, "mine.json") {
			t.Errorf("file %q", rule.File)
		}
	}
	// The package-level current set: Load replaces, and starts from the
	// embedded rules each time.
	if err := Load(dir); err != nil {
		t.Fatal(err)
	}
	if !has(Check(Content{Country: "AT", Channel: "email", Text: "gratis"}), "de-brand-words") {
		t.Error("Load did not add the rule")
	}
	empty := t.TempDir()
	if err := Load(empty); err != nil {
		t.Fatal(err)
	}
	if has(Check(Content{Country: "AT", Channel: "email", Text: "gratis"}), "de-brand-words") || len(Rules()) != len(Default().Rules()) {
		t.Error("Load did not start from the embedded rules")
	}
}

func TestBrokenRulesFiles(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"rules": [{"id": "x-1", "countries": ["XX"], "channels": ["any"], "severity": "warn", "match": [{"kind": "words", "terms": ["a"]}], "reason": {"en": "a", "zh": "b"}, "source": "s"}]}`, `rule x-1: countries: "XX"`},
		{`{"rules": [{"id": "x-2", "countries": ["CN"], "channels": ["fax"], "severity": "warn", "match": [{"kind": "words", "terms": ["a"]}], "reason": {"en": "a", "zh": "b"}, "source": "s"}]}`, `rule x-2: channels`},
		{`{"rules": [{"id": "x-3", "countries": ["CN"], "channels": ["any"], "severity": "fatal", "match": [{"kind": "words", "terms": ["a"]}], "reason": {"en": "a", "zh": "b"}, "source": "s"}]}`, `rule x-3: severity`},
		{`{"rules": [{"id": "x-4", "countries": ["CN"], "channels": ["any"], "severity": "warn", "match": [{"kind": "regex", "pattern": "("}], "reason": {"en": "a", "zh": "b"}, "source": "s"}]}`, `rule x-4: match 1 (regex): pattern`},
		{`{"rules": [{"id": "x-5", "countries": ["CN"], "channels": ["any"], "severity": "warn", "match": [{"kind": "words", "terms": ["a"]}], "reason": {"en": "a"}, "source": "s"}]}`, `rule x-5: reason`},
		{`{"rules": [{"id": "x-6", "countries": ["CN"], "channels": ["any"], "severity": "warn", "match": [{"kind": "words", "terms": ["a"]}], "reason": {"en": "a", "zh": "b"}}]}`, `rule x-6: source`},
		{`{"rules": [{"id": "x-7", "countries": ["CN"], "channels": ["any"], "severty": "warn"}]}`, `unknown field "severty"`},
		{`{"rules": [{"id": "X 8"}]}`, `rule X 8: id`},
		{`{"rules": [{"id": "x-9", "countries": ["CN"], "channels": ["any"], "severity": "warn", "match": [{"kind": "number", "digit": "44"}], "reason": {"en": "a", "zh": "b"}, "source": "s"}]}`, `rule x-9: match 1 (number): digit`},
	}
	for _, c := range cases {
		fsys := fstest.MapFS{"bad.json": {Data: []byte(c.body)}}
		_, err := readFS(fsys, ".")
		if err == nil || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error naming bad.json and %q, got %v", c.want, err)
		}
	}
	dup := fstest.MapFS{
		"a.json": {Data: []byte(`{"rules": [{"id": "d", "countries": ["CN"], "channels": ["any"], "severity": "warn", "match": [{"kind": "words", "terms": ["a"]}], "reason": {"en": "a", "zh": "b"}, "source": "s"}]}`)},
		"b.json": {Data: []byte(`{"rules": [{"id": "d", "countries": ["CN"], "channels": ["any"], "severity": "warn", "match": [{"kind": "words", "terms": ["a"]}], "reason": {"en": "a", "zh": "b"}, "source": "s"}]}`)},
	}
	if _, err := readFS(dup, "."); err == nil || !strings.Contains(err.Error(), "b.json: rule d: id already used in a.json") {
		t.Errorf("duplicate id: %v", err)
	}
	// Load of a broken directory names the file and leaves the rules alone.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "broken.json"), []byte(cases[0].body), 0o644)
	before := len(Rules())
	if err := Load(dir); err == nil || !strings.Contains(err.Error(), "broken.json") {
		t.Errorf("Load: %v", err)
	}
	if len(Rules()) != before {
		t.Error("a failed Load changed the rules")
	}
	if err := Load(filepath.Join(dir, "nope")); err == nil {
		t.Error("Load of a missing directory")
	}
}

func TestForCountry(t *testing.T) {
	var got []string
	for _, r := range Default().ForCountry("kr") {
		got = append(got, r.ID)
	}
	if strings.Join(got, " ") != "east-asia-mourning-colours east-asia-number-four kr-ad-label-email kr-ad-label-message kr-opt-out" {
		t.Errorf("KR rules %v", got)
	}
}

// nearMiss is, per rule, content that looks like its positive example but
// must not fire it: another country or channel, a word inside a longer
// word, the element present.
var nearMiss = map[string][]Content{
	"cn-adlaw-absolute-terms":              {{Country: "US", Channel: "ad", Text: "The first order ships free"}, {Country: "CN", Channel: "ad", Text: "第一次购买，最后一天"}},
	"cn-adlaw-medical-claims":              {{Country: "CN", Channel: "ad", Text: "收纳整理好帮手"}, {Country: "JP", Channel: "ad", Text: "治疗"}},
	"cn-email-ad-label":                    {{Country: "CN", Channel: "email", Subject: "【广告】春节大促"}, {Country: "CN", Channel: "sms", Text: "春节大促 回T退订"}},
	"cn-sms-opt-out":                       {{Country: "CN", Channel: "sms", Text: "春节大促，回T退订"}, {Country: "CN", Channel: "push", Text: "春节大促"}},
	"us-canspam-unsubscribe":               {{Country: "US", Channel: "email", Text: "Sale. Opt-out: reply STOP. PO Box 12, Austin"}, {Country: "CA", Channel: "email", Text: "Sale"}},
	"us-canspam-postal-address":            {{Country: "US", Channel: "email", Text: "Sale. Unsubscribe. 500 Elm Street, Dallas"}, {Country: "US", Channel: "sms", Text: "Sale"}},
	"us-ftc-general-environmental-claims":  {{Country: "US", Channel: "ad", Text: "A green t-shirt"}, {Country: "US", Channel: "ad", Text: "ecofriendlyish"}},
	"us-ftc-made-in-usa":                   {{Country: "US", Channel: "ad", Text: "Made in usable sizes"}, {Country: "DE", Channel: "ad", Text: "Made in USA"}},
	"us-sms-opt-out":                       {{Country: "US", Channel: "sms", Text: "Sale today. Reply STOP to opt out"}, {Country: "US", Channel: "push", Text: "Sale"}},
	"eu-ucpd-generic-environmental-claims": {{Country: "DE", Channel: "ad", Text: "Grünes T-Shirt"}, {Country: "CH", Channel: "ad", Text: "eco-friendly"}},
	"eu-ucpd-offset-neutrality-claims":     {{Country: "FR", Channel: "ad", Text: "neutral colours for the climate of your home"}, {Country: "US", Channel: "ad", Text: "carbon neutral"}},
	"eu-disease-claims":                    {{Country: "IE", Channel: "ad", Text: "Cured ham, 24-hour cure time"}, {Country: "IE", Channel: "ad", Text: "Treats for your dog"}},
	"eu-unauthorised-health-claims":        {{Country: "NL", Channel: "ad", Text: "Vitamin C contributes to the normal function of the immune system"}, {Country: "NL", Channel: "ad", Text: "detoxified? no: detoxification-free"}},
	"eu-eprivacy-unsubscribe":              {{Country: "ES", Channel: "email", Text: "Rebajas. Darse de baja aquí"}, {Country: "ES", Channel: "ad", Text: "Rebajas"}},
	"gb-pecr-unsubscribe":                  {{Country: "GB", Channel: "email", Text: "Sale. Unsubscribe"}, {Country: "GB", Channel: "push", Text: "Sale"}},
	"gb-cma-green-claims":                  {{Country: "GB", Channel: "ad", Text: "Sustainability report 2026"}, {Country: "IE", Channel: "sms", Text: "Go greener"}},
	"kr-ad-label-email":                    {{Country: "KR", Channel: "email", Subject: "(광고) 설날 세일", Text: "수신거부"}, {Country: "KR", Channel: "sms", Text: "(광고) 수신거부"}},
	"kr-ad-label-message":                  {{Country: "KR", Channel: "push", Text: "(광고) 세일 수신거부"}, {Country: "KR", Channel: "email", Subject: "(광고)", Text: "수신거부"}},
	"kr-opt-out":                           {{Country: "KR", Channel: "sms", Text: "(광고) 세일 무료수신거부 080-000-0000"}, {Country: "KR", Channel: "ad", Text: "세일"}},
	"jp-email-opt-out":                     {{Country: "JP", Channel: "email", Text: "新春セール 配信停止はこちら"}, {Country: "JP", Channel: "sms", Text: "新春セール"}},
	"east-asia-number-four":                {{Country: "JP", Channel: "ad", Text: "2024年モデル、14日間返品可"}, {Country: "US", Channel: "ad", Text: "4 pack"}},
	"east-asia-mourning-colours":           {{Country: "CN", Channel: "ad", Text: "黑白条纹T恤"}, {Country: "US", Channel: "ad", Text: "Christmas gift: black and white"}},
	"cn-clock-gift":                        {{Country: "CN", Channel: "ad", Text: "5分钟送达，礼品包装"}, {Country: "CN", Channel: "ad", Text: "静音挂钟"}},
	"cn-green-hat":                         {{Country: "CN", Channel: "ad", Text: "绿色帆布包，红帽子"}, {Country: "US", Channel: "ad", Text: "green hat"}},
}

func TestNoRuleFiresOnItsNearMisses(t *testing.T) {
	for _, r := range Default().Rules() {
		misses, ok := nearMiss[r.ID]
		if !ok {
			t.Errorf("rule %s has no near-miss examples in the test", r.ID)
			continue
		}
		for _, c := range misses {
			if rep := Default().Check(c); has(rep, r.ID) {
				t.Errorf("rule %s fired on %+v: %+v", r.ID, c, rep.Findings)
			}
		}
	}
}
