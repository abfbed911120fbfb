package langid

import (
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/voc/vocdata"
)

// heldOut gathers texts whose language is known: the XLM-T tweets (val
// and train splits: the profiles never saw them), the UCI English
// sentences and every tenth Chinese review.
func heldOut(t testing.TB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, lang := range []string{"en", "es", "de", "fr"} {
		for _, sp := range []vocdata.Split{vocdata.Train, vocdata.Dev, vocdata.Test} {
			ex, err := vocdata.XLMT(lang, sp)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ex {
				out["tweets-"+lang] = append(out["tweets-"+lang], e.Text)
			}
		}
	}
	for _, set := range vocdata.UCISets {
		for _, sp := range []vocdata.Split{vocdata.Train, vocdata.Dev, vocdata.Test} {
			ex, err := vocdata.UCI(set, sp)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ex {
				out["uci-en"] = append(out["uci-en"], e.Text)
			}
		}
	}
	for _, set := range vocdata.ChineseSets {
		ex, err := vocdata.Chinese(set, vocdata.Test)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ex {
			out["reviews-zh"] = append(out["reviews-zh"], e.Text)
		}
	}
	return out
}

// TestAccuracy measures accuracy per data set; a tweet of a few letters or
// only a link counts as wrong unless its label's language comes back.
func TestAccuracy(t *testing.T) {
	min := map[string]float64{"tweets-en": 0.95, "tweets-es": 0.93, "tweets-de": 0.93, "tweets-fr": 0.95, "uci-en": 0.97, "reviews-zh": 0.99}
	for set, texts := range heldOut(t) {
		want := set[len(set)-2:]
		ok := 0
		start := time.Now()
		confusion := map[string]int{}
		for _, s := range texts {
			got := Detect(s)
			if got == want {
				ok++
			} else {
				confusion[got]++
			}
		}
		el := time.Since(start)
		acc := float64(ok) / float64(len(texts))
		t.Logf("%-11s accuracy %.3f on %d texts (%.0f texts/s); wrong answers %v", set, acc, len(texts), float64(len(texts))/el.Seconds(), confusion)
		if acc < min[set] {
			t.Errorf("%s: accuracy %.3f below %.2f", set, acc, min[set])
		}
	}
}

// TestHandWritten covers the languages the data sets lack (Italian,
// Portuguese, Japanese, Korean) and the edge cases.
func TestHandWritten(t *testing.T) {
	cases := map[string]string{
		"Prodotto ottimo, spedizione veloce e imballaggio perfetto.":     "it",
		"Non funziona più dopo una settimana, molto deluso.":             "it",
		"La taglia è giusta e il colore è bellissimo.":                   "it",
		"Produto chegou rápido e a qualidade é ótima.":                   "pt",
		"Não recomendo, veio com defeito e o vendedor não respondeu.":    "pt",
		"O tamanho ficou pequeno, mas o tecido é muito bom.":             "pt",
		"El producto llegó roto y nadie me contesta.":                    "es",
		"Die Qualität ist super, aber die Lieferung hat lange gedauert.": "de",
		"Très bon produit, je le recommande.":                            "fr",
		"Great value for the money, would buy again.":                    "en",
		"とても良い商品でした。また買いたいです。":                                           "ja",
		"最悪です。すぐに壊れました。":                                                 "ja",
		"質問に対する対応が丁寧でした":                                                 "ja",
		"物流很快，质量不错，下次还会再来。":                                              "zh",
		"客服态度很差":                  "zh",
		"배송이 빠르고 품질이 좋아요":         "ko",
		"정말 만족합니다":                "ko",
		"":                        "und",
		"ok":                      "und",
		"👍👍":                      "und",
		"12345 !!!":               "und",
		"https://example.com/a/b": "und",
		"好":                       "und",
		"Отличный товар, рекомендую": "und",
	}
	for text, want := range cases {
		if got := Detect(text); got != want {
			t.Errorf("Detect(%q) = %s, want %s", text, got, want)
		}
	}
	if l, c := DetectConfidence("The delivery was quick and the product works well."); l != "en" || c < 0.9 {
		t.Errorf("confidence %s %.2f", l, c)
	}
}

// BenchmarkDetect identifies the language of review-length texts.
func BenchmarkDetect(b *testing.B) {
	var texts []string
	for _, ts := range heldOut(b) {
		texts = append(texts, ts...)
	}
	n := 0
	for b.Loop() {
		Detect(texts[n%len(texts)])
		n++
	}
}
