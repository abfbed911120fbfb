package topics

import (
	"reflect"
	"strings"
	"testing"
)

func TestFindPerLanguage(t *testing.T) {
	cases := []struct {
		lang, text string
		want       []string
	}{
		{"en", "Shipping took three weeks and the box was crushed.", []string{"shipping", "packaging"}},
		{"en", "Great quality for the price, but it runs small.", []string{"quality", "size_fit", "price_value"}},
		{"en", "Stopped working after a month, the seller never replied to my refund request.", []string{"customer_service", "functionality", "durability", "returns_refunds"}},
		{"es", "El envío fue rápido pero la talla es muy pequeña.", []string{"shipping", "size_fit"}},
		{"es", "Buena calidad, el vendedor respondió enseguida.", []string{"quality", "customer_service"}},
		{"de", "Die Lieferung kam zu spät und die Verpackung war beschädigt.", []string{"shipping", "packaging"}},
		{"de", "Preis-Leistung top, die Verarbeitung ist hochwertig.", []string{"quality", "price_value"}},
		{"fr", "Livraison rapide, mais la taille est trop petite.", []string{"shipping", "size_fit"}},
		{"fr", "Le service client ne répond pas, je demande un remboursement.", []string{"customer_service", "returns_refunds"}},
		{"it", "Spedizione veloce, ottima qualità e prezzo giusto.", []string{"shipping", "quality", "price_value"}},
		{"it", "La taglia è sbagliata e l'imballaggio era rotto.", []string{"size_fit", "packaging", "durability"}},
		{"pt", "A entrega atrasou e o tamanho não serve.", []string{"shipping", "size_fit"}},
		{"pt", "Produto bonito, mas quebrou na primeira semana.", []string{"durability", "appearance"}},
		{"zh", "物流很快，质量不错，就是尺码偏小。", []string{"shipping", "quality", "size_fit"}},
		{"zh", "客服态度很差，申请退货也不处理。", []string{"customer_service", "returns_refunds"}},
		{"ja", "配送が早くて、品質も良いです。", []string{"shipping", "quality"}},
		{"ja", "サイズが小さすぎて返品しました。", []string{"size_fit", "returns_refunds"}},
		{"ko", "배송이 빠르고 품질이 좋아요", []string{"shipping", "quality"}},
		{"mixed", "The colour is great 但是物流太慢了", []string{"shipping", "appearance"}},
		{"en", "I like it.", nil},
	}
	for _, c := range cases {
		got := Default().Find(c.text)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %q: got %v, want %v", c.lang, c.text, got, c.want)
		}
	}
}

func TestWholeWordsAndPrefixes(t *testing.T) {
	v := Default()
	// "sizeable" is not "size"; "boxer" is not "box".
	if got := v.Find("A sizeable boxer dog"); got != nil {
		t.Errorf("partial words matched: %v", got)
	}
	// "defect*" matches "defective".
	if got := v.Find("Defective on arrival"); !reflect.DeepEqual(got, []string{"shipping", "quality"}) {
		t.Errorf("prefix term: %v", got)
	}
}

func TestMentionsSplitSentences(t *testing.T) {
	ms := Default().Mentions("Fast shipping! But the quality is poor.")
	want := []Mention{{"shipping", "Fast shipping!"}, {"quality", "But the quality is poor."}}
	if !reflect.DeepEqual(ms, want) {
		t.Errorf("got %+v", ms)
	}
	ms = Default().Mentions("物流很快，但是质量很差")
	if len(ms) != 2 || ms[0].Topic != "shipping" || ms[1].Topic != "quality" || ms[1].Sentence != "但是质量很差" {
		t.Errorf("got %+v", ms)
	}
}

func TestExtend(t *testing.T) {
	cfg, err := ReadConfig(strings.NewReader(`{
		"topics": [
			{"id": "battery", "description": "battery life", "terms": {"en": ["battery", "charg*"], "de": ["akku"], "zh": ["电池"]}},
			{"id": "shipping", "terms": {"nl": ["verzending"]}},
			{"id": "quality", "replace": true, "terms": {"en": ["build quality"]}}
		],
		"remove": ["appearance"]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	v, err := Default().Extend(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"Der Akku hält nicht lange":           {"durability", "battery"},
		"Charging takes forever":              {"battery"},
		"电池不耐用":                               {"durability", "battery"},
		"Snelle verzending":                   {"shipping"},
		"The quality is fine":                 nil, // replaced: only "build quality" now
		"Excellent build quality, nice color": {"quality"},
	}
	for text, want := range cases {
		if got := v.Find(text); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %v, want %v", text, got, want)
		}
	}
	// The built-in vocabulary is unchanged.
	if got := Default().Find("The quality is fine, nice color"); !reflect.DeepEqual(got, []string{"quality", "appearance"}) {
		t.Errorf("default changed: %v", got)
	}
	for _, bad := range []string{`{"topics": [{"terms": {"en": ["x"]}}]}`, `{"remove": ["nope"]}`, `{"topic": []}`, `{"topics": [{"id": "x", "terms": {"en": ["*"]}}]}`} {
		c, err := ReadConfig(strings.NewReader(bad))
		if err == nil {
			_, err = Default().Extend(c)
		}
		if err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func BenchmarkFind(b *testing.B) {
	text := "Arrived quickly and well packaged. The material feels cheap though and it runs a size small; for this price I expected better."
	for b.Loop() {
		Default().Find(text)
	}
}
