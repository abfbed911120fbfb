package sentiment

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/tradewind/tradewind/internal/voc/vocdata"
)

// The acceptance thresholds: the FastText baseline's 3-class macro-F1 on
// the XLM-T tweets and AFINN-165's accuracy on the UCI sentences, both
// from ../shared/data/README.md, and 0.85 on the Chinese reviews. All are
// measured on the Test split, which the built-in model never saw.
var (
	fastTextF1 = map[string]float64{"en": 50.9, "fr": 54.8, "de": 59.6, "es": 50.1}
	afinnUCI   = map[string]float64{"amazon": 0.726, "imdb": 0.765, "yelp": 0.696}
	// vaderMinR are floors for the correlation with VADER's human ratings
	// (reported in MODEL_CARD.md; there is no published target).
	vaderMinR = map[string]float64{"tweets": 0.7, "movieReviewSnippets": 0.6, "nytEditorialSnippets": 0.4}
)

func TestXLMTMacroF1(t *testing.T) {
	for lang, base := range fastTextF1 {
		ex, err := vocdata.XLMT(lang, vocdata.Test)
		if err != nil {
			t.Fatal(err)
		}
		var pred, gold []int
		for _, e := range ex {
			pred = append(pred, ClassIndex(ScoreLang(e.Text, lang).Label))
			gold = append(gold, int(e.Label))
		}
		f1 := 100 * MacroF1(pred, gold)
		t.Logf("xlm-t %s: macro-F1 %.1f on %d tweets (FastText %.1f)", lang, f1, len(ex), base)
		if f1 <= base {
			t.Errorf("xlm-t %s: macro-F1 %.1f does not beat FastText's %.1f", lang, f1, base)
		}
	}
}

// binaryAccuracy counts a text positive when its score is ≥ 0, i.e.
// P(positive) ≥ P(negative) (the rule AFINN's published figures use).
func binaryAccuracy(ex []vocdata.Example, lang string) float64 {
	ok := 0
	for _, e := range ex {
		if (ScoreLang(e.Text, lang).Score >= 0) == (e.Label == vocdata.Positive) {
			ok++
		}
	}
	return float64(ok) / float64(len(ex))
}

func TestUCIAccuracy(t *testing.T) {
	afinn := afinnLexicon(t)
	for set, base := range afinnUCI {
		ex, err := vocdata.UCI(set, vocdata.Test)
		if err != nil {
			t.Fatal(err)
		}
		acc := binaryAccuracy(ex, "en")
		// AFINN on the same held-out sentences, for comparison.
		ok := 0
		for _, e := range ex {
			if (afinnScore(afinn, e.Text) >= 0) == (e.Label == vocdata.Positive) {
				ok++
			}
		}
		t.Logf("uci %s: accuracy %.3f on %d held-out sentences (AFINN: %.3f on the whole set, %.3f on these)", set, acc, len(ex), base, float64(ok)/float64(len(ex)))
		if acc <= base {
			t.Errorf("uci %s: accuracy %.3f not above AFINN's %.3f", set, acc, base)
		}
	}
}

func TestChineseAccuracy(t *testing.T) {
	for _, set := range vocdata.ChineseSets {
		ex, err := vocdata.Chinese(set, vocdata.Test)
		if err != nil {
			t.Fatal(err)
		}
		acc := binaryAccuracy(ex, "zh")
		t.Logf("chinese %s: binary accuracy %.3f on %d held-out reviews", set, acc, len(ex))
		if acc < 0.85 {
			t.Errorf("chinese %s: accuracy %.3f below 0.85", set, acc)
		}
	}
}

func TestVADERCorrelation(t *testing.T) {
	for _, set := range vocdata.VADERSets {
		ex, err := vocdata.VADER(set, vocdata.Test)
		if err != nil {
			t.Fatal(err)
		}
		var x, y []float64
		var pred, gold []int
		for _, e := range ex {
			r := ScoreLang(e.Text, "en")
			x = append(x, r.Score)
			y = append(y, e.Rating)
			pred = append(pred, ClassIndex(r.Label))
			gold = append(gold, int(e.Label))
		}
		r := Pearson(x, y)
		t.Logf("vader %s: Pearson r %.3f with the mean human rating, 3-class macro-F1 %.1f, on %d held-out sentences", set, r, 100*MacroF1(pred, gold), len(ex))
		if r < vaderMinR[set] {
			t.Errorf("vader %s: r %.3f below %.2f", set, r, vaderMinR[set])
		}
	}
}

// japanese are review sentences written for this test (the model saw no
// Japanese labelled data; see MODEL_CARD.md): 1 positive, 0 negative.
var japanese = []struct {
	label int
	text  string
}{
	{1, "とても良い商品でした。また買いたいです。"},
	{1, "最高です！家族みんな気に入っています。"},
	{1, "品質が素晴らしく、大満足です。"},
	{1, "配送も早くて、梱包も丁寧でした。ありがとうございます。"},
	{1, "デザインがかわいいし、使いやすいです。"},
	{1, "値段のわりにしっかりしていて、おすすめです。"},
	{1, "思っていたよりずっと綺麗で嬉しいです😊"},
	{1, "快適に使えています。買ってよかった！"},
	{1, "コスパ最高、友達にも勧めました。"},
	{1, "美味しいです。リピート決定です。"},
	{1, "素材の質感が良く、高級感があります。"},
	{1, "サイズもぴったりで完璧でした。"},
	{1, "期待以上の性能で満足しています👍"},
	{1, "子供がとても喜んでいます。"},
	{1, "丁寧な対応で安心して購入できました。"},
	{0, "最悪です。すぐに壊れました。"},
	{0, "届いた商品が不良品でした。返品します。"},
	{0, "写真と全然違う。がっかりです。"},
	{0, "品質が悪く、安っぽいです。"},
	{0, "二度と買いません。"},
	{0, "配送が遅すぎて、使いたい日に間に合わなかった。"},
	{0, "説明と違う偽物が届きました。詐欺です。"},
	{0, "すぐに動かなくなった。残念です😞"},
	{0, "サイズが小さすぎて着られない。不満です。"},
	{0, "臭いがひどくて使えない。"},
	{0, "箱がつぶれていて、中身も傷だらけでした。"},
	{0, "高いのに品質が酷い。お金の無駄でした。"},
	{0, "問い合わせても返事がない。対応が最悪。"},
	{0, "期待外れでした。おすすめしません。"},
	{0, "不便で使いにくい😡"},
}

func TestJapaneseHandWritten(t *testing.T) {
	ok := 0
	for _, c := range japanese {
		r := ScoreLang(c.text, "ja")
		if (r.Score >= 0) == (c.label == 1) {
			ok++
		} else {
			t.Logf("wrong: %q → %s %.2f", c.text, r.Label, r.Score)
		}
	}
	acc := float64(ok) / float64(len(japanese))
	t.Logf("japanese: binary accuracy %.3f on %d hand-written sentences", acc, len(japanese))
	if acc < 0.75 {
		t.Errorf("japanese: accuracy %.3f below 0.75", acc)
	}
}

// italianPortuguese are review sentences written for this test (no
// labelled Italian or Portuguese data exists here): 1 positive, 0 negative.
var italianPortuguese = []struct {
	lang  string
	label int
	text  string
}{
	{"it", 1, "Prodotto ottimo, lo consiglio a tutti."},
	{"it", 1, "Spedizione veloce e qualità eccellente."},
	{"it", 1, "Molto soddisfatto dell'acquisto, funziona benissimo."},
	{"it", 1, "Bellissimo e comodo, perfetto per l'estate."},
	{"it", 1, "Ottimo rapporto qualità prezzo, grazie!"},
	{"it", 1, "Mi piace tantissimo, lo ricomprerei."},
	{"it", 0, "Pessimo prodotto, si è rotto dopo due giorni."},
	{"it", 0, "Non funziona, molto deluso."},
	{"it", 0, "Arrivato in ritardo e con la scatola danneggiata."},
	{"it", 0, "Qualità scadente, non lo consiglio."},
	{"it", 0, "Taglia sbagliata e il venditore non risponde."},
	{"it", 0, "Una truffa, soldi buttati."},
	{"pt", 1, "Produto excelente, recomendo!"},
	{"pt", 1, "Chegou rápido e a qualidade é ótima."},
	{"pt", 1, "Amei, ficou perfeito e é muito confortável."},
	{"pt", 1, "Muito bom, vale cada centavo."},
	{"pt", 1, "Estou muito satisfeita com a compra."},
	{"pt", 1, "Lindo, igual à foto. Obrigada!"},
	{"pt", 0, "Péssimo, quebrou na primeira semana."},
	{"pt", 0, "Não recomendo, veio com defeito."},
	{"pt", 0, "A entrega atrasou muito e ninguém responde."},
	{"pt", 0, "Qualidade horrível, parece falsificado."},
	{"pt", 0, "Muito decepcionado, quero meu dinheiro de volta."},
	{"pt", 0, "Produto ruim, não funciona direito."},
}

func TestItalianPortugueseHandWritten(t *testing.T) {
	for _, lang := range []string{"it", "pt"} {
		ok, n := 0, 0
		for _, c := range italianPortuguese {
			if c.lang != lang {
				continue
			}
			n++
			r := ScoreLang(c.text, lang)
			if (r.Score >= 0) == (c.label == 1) {
				ok++
			} else {
				t.Logf("wrong: %q → %s %.2f", c.text, r.Label, r.Score)
			}
		}
		acc := float64(ok) / float64(n)
		t.Logf("%s: binary accuracy %.3f on %d hand-written sentences", lang, acc, n)
		if acc < 0.75 {
			t.Errorf("%s: accuracy %.3f below 0.75", lang, acc)
		}
	}
}

// TestRules checks negation, intensifiers, emoji and mixed-language text
// on hand-written examples.
func TestRules(t *testing.T) {
	less := []struct{ a, b string }{ // Score(a) < Score(b)
		{"This is not good.", "This is good."},
		{"This is bad.", "This is not bad."},
		{"Es malo.", "No es malo."},
		{"Das ist nicht gut.", "Das ist gut."},
		{"No es bueno.", "Es bueno."},
		{"Ce n'est pas bon.", "C'est bon."},
		{"It is good.", "It is very good."},
		{"Es bueno.", "Es muy bueno."},
		{"Ok 😡", "Ok 😍"},
		{"Ok", "Ok 😍"},
		{"Ok 😡", "Ok"},
		{"质量不好", "质量很好"},
		{"この商品は悪い", "この商品は良い"},
		{"It is good.", "It is GOOD!!!"},
	}
	for _, c := range less {
		a, b := Score(c.a), Score(c.b)
		if !(a.Score < b.Score) {
			t.Errorf("want score(%q)=%.3f < score(%q)=%.3f", c.a, a.Score, c.b, b.Score)
		}
	}
	labels := map[string]Label{
		"I love it, works perfectly!":                         Positive,
		"Terrible. Broke after two days, waste of money.":     Negative,
		"Sehr gute Qualität, schnelle Lieferung.":             Positive,
		"Totalmente decepcionado, llegó roto.":                Negative,
		"Produit conforme, très satisfait.":                   Positive,
		"Prodotto pessimo, non funziona.":                     Negative,
		"Produto ótimo, recomendo!":                           Positive,
		"太差了，再也不买了":                                           Negative,
		"非常好用，推荐购买":                                           Positive,
		"最高です！":                                               Positive,
		"最悪です。":                                               Negative,
		"😍😍😍":                                                 Positive,
		"The fit is great, 质量也很好":                             Positive,
		"Lieferung kam kaputt an, 客服也不回复，terrible experience": Negative,
	}
	for text, want := range labels {
		r := Score(text)
		if r.Label != want && !(want == Positive && r.Score > 0.2) && !(want == Negative && r.Score < -0.2) {
			t.Errorf("%q: got %s (%.2f), want %s", text, r.Label, r.Score, want)
		}
	}
	for _, text := range []string{"", "   ", "!!!", "http://example.com", "@user"} {
		r := Score(text)
		if r.Score < -1 || r.Score > 1 {
			t.Errorf("%q: score %v out of range", text, r.Score)
		}
	}
}

func TestModelRoundTrip(t *testing.T) {
	b, err := Default().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"great", "awful", "质量很好"} {
		if a, b := Default().Score(s), m.Score(s); a != b {
			t.Errorf("%q: %v != %v", s, a, b)
		}
	}
	if _, err := Load(b[:100]); err == nil {
		t.Error("truncated model loaded")
	}
	if _, err := Load([]byte("nonsense")); err == nil {
		t.Error("nonsense loaded")
	}
}

// TestTrainSmall trains a tiny model end to end so that Train and the
// features stay consistent.
func TestTrainSmall(t *testing.T) {
	var ex []TrainExample
	for i := 0; i < 20; i++ {
		ex = append(ex, TrainExample{Text: "great product, love it", Class: 2}, TrainExample{Text: "awful product, hate it", Class: 0},
			TrainExample{Text: "the product arrived on tuesday", Class: 1}, TrainExample{Text: "很好", Class: 2, Binary: true})
	}
	m := Train(ex, TrainConfig{Bits: 12, Subwords: true, Epochs: 5, LR: 0.1, Seed: 1, Average: true})
	if m.Score("love it").Label != Positive || m.Score("hate it").Label != Negative || m.Score("arrived tuesday").Label != Neutral || m.Score("很好").Score <= 0 {
		t.Errorf("tiny model: %v %v %v %v", m.Score("love it"), m.Score("hate it"), m.Score("arrived tuesday"), m.Score("很好"))
	}
}

// reviewTexts are review-length texts (UCI sentences and Chinese reviews)
// for the benchmark.
func reviewTexts(b *testing.B) []string {
	var out []string
	for _, set := range vocdata.UCISets {
		ex, err := vocdata.UCI(set, vocdata.Test)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range ex {
			out = append(out, e.Text)
		}
	}
	for _, set := range vocdata.ChineseSets {
		ex, err := vocdata.Chinese(set, vocdata.Test)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range ex {
			out = append(out, e.Text)
		}
	}
	return out
}

// BenchmarkScore scores review-length texts on one goroutine and reports
// texts per second (the goal is ≥ 20,000 per core).
func BenchmarkScore(b *testing.B) {
	texts := reviewTexts(b)
	var chars int
	for _, s := range texts {
		chars += len([]rune(s))
	}
	m := Default()
	m.Score("warm up")
	start, cpu0 := time.Now(), cpuTime()
	n := 0
	for b.Loop() {
		m.Score(texts[n%len(texts)])
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "texts/s")
	b.ReportMetric(float64(n)/(cpuTime()-cpu0).Seconds(), "texts/cpu-s")
	b.ReportMetric(float64(chars)/float64(len(texts)), "chars/text")
}

// BenchmarkScoreLong scores longer reviews (five held-out texts joined,
// about 300 characters) with language identification.
func BenchmarkScoreLong(b *testing.B) {
	short := reviewTexts(b)
	var texts []string
	var chars int
	for i := 0; i+5 <= len(short); i += 5 {
		s := strings.Join(short[i:i+5], " ")
		texts = append(texts, s)
		chars += len([]rune(s))
	}
	m := Default()
	start, cpu0 := time.Now(), cpuTime()
	n := 0
	for b.Loop() {
		m.Score(texts[n%len(texts)])
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "texts/s")
	b.ReportMetric(float64(n)/(cpuTime()-cpu0).Seconds(), "texts/cpu-s")
	b.ReportMetric(float64(chars)/float64(len(texts)), "chars/text")
}

// cpuTime is the process's user and system CPU time: on a shared machine
// texts per CPU-second is the per-core figure wall time cannot give.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScoreLang is BenchmarkScore with the language given, as the
// CLI does after identifying it once.
func BenchmarkScoreLang(b *testing.B) {
	texts := reviewTexts(b)
	m := Default()
	start, cpu0 := time.Now(), cpuTime()
	n := 0
	for b.Loop() {
		m.ScoreLang(texts[n%len(texts)], "en")
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "texts/s")
	b.ReportMetric(float64(n)/(cpuTime()-cpu0).Seconds(), "texts/cpu-s")
}

// afinnLexicon reads AFINN-165 (English) and its emoticons for the
// comparison in TestUCIAccuracy.
func afinnLexicon(t *testing.T) map[string]float64 {
	dir, err := vocdata.Dir()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range []string{"AFINN-en-165.txt", "AFINN-emoticon-8.txt"} {
		fh, err := os.Open(filepath.Join(dir, "afinn", f))
		if err != nil {
			t.Fatal(err)
		}
		s := bufio.NewScanner(fh)
		for s.Scan() {
			w, v, ok := strings.Cut(s.Text(), "\t")
			if n, err := strconv.ParseFloat(v, 64); ok && err == nil {
				out[w] = n
			}
		}
		fh.Close()
	}
	return out
}

// afinnScore is AFINN's sum of word valences (single words and the
// lexicon's two- and three-word phrases).
func afinnScore(lex map[string]float64, text string) float64 {
	ws := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
	var s float64
	for i := 0; i < len(ws); i++ {
		if i+2 < len(ws) {
			if v, ok := lex[ws[i]+" "+ws[i+1]+" "+ws[i+2]]; ok {
				s += v
				i += 2
				continue
			}
		}
		if i+1 < len(ws) {
			if v, ok := lex[ws[i]+" "+ws[i+1]]; ok {
				s += v
				i++
				continue
			}
		}
		s += lex[ws[i]]
	}
	return s
}
