// Command train rebuilds the built-in sentiment model, model.bin, from the
// data sets under ../shared/data/sentiment/ (read in place, never copied)
// and the hand-written word lists in the sentiment package. Run it from the
// project root:
//
//	go run ./internal/voc/sentiment/train            # train, write model.bin, report test figures
//	go run ./internal/voc/sentiment/train -dev       # compare configurations on the dev split only
//	go run ./internal/voc/sentiment/train -permissive -out /tmp/m.bin
//
// -permissive leaves out the research-use sets (XLM-T tweets, Chinese
// reviews) and trains only on the MIT, Apache-2.0 and CC BY 4.0 sets and
// the hand-written lists. The splits are fixed (see package vocdata): the
// test parts are never trained on.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/tradewind/tradewind/internal/voc/sentiment"
	"github.com/tradewind/tradewind/internal/voc/vocdata"
)

func main() {
	out := flag.String("out", "internal/voc/sentiment/model.bin", "model file to write")
	dev := flag.Bool("dev", false, "train on the train split and report the dev split for several configurations; write nothing")
	permissive := flag.Bool("permissive", false, "train only on data whose licence allows shipping a derived model")
	lexWeight := flag.Float64("lex-weight", 1, "weight of one lexicon entry relative to a labelled text")
	flag.Float64Var(&negWeight, "neg-weight", negWeight, "strength of a negated lexicon entry relative to the entry (0: none)")
	calibrate := flag.Bool("calibrate", false, "fit per-language decision offsets on 5-fold out-of-fold predictions of the tweets")
	flag.Float64Var(&ownWeight, "own-weight", ownWeight, "strength multiplier of the hand-written word lists")
	flag.BoolVar(&negOwnOnly, "neg-own-only", negOwnOnly, "add negated entries for the hand-written lists only, not for VADER and AFINN")
	flag.Float64Var(&tweetWeight, "tweet-weight", tweetWeight, "weight of an XLM-T tweet relative to other labelled texts")
	flag.Parse()
	cfg := sentiment.DefaultTrainConfig
	if *dev {
		type variant struct {
			name  string
			cfg   sentiment.TrainConfig
			lex   float64
			perm  bool
			nocal bool
		}
		avg := cfg
		avg.Average = !cfg.Average
		runs := cfg
		runs.Runs = 4
		if cfg.Runs > 1 {
			runs.Runs = 1
		}
		vs := []variant{
			{name: "default", cfg: cfg, lex: *lexWeight, perm: *permissive},
			{name: "no calibration", cfg: cfg, lex: *lexWeight, perm: *permissive, nocal: true},
		}
		if os.Getenv("SENTIMENT_DEV_ALL") != "" {
			vs = append(vs, variant{name: "runs toggled", cfg: runs, lex: *lexWeight, perm: *permissive, nocal: true},
				variant{name: "averaged toggled", cfg: avg, lex: *lexWeight, perm: *permissive, nocal: true})
		}
		if os.Getenv("SENTIMENT_DEV_ALL") != "" {
			vs = append(vs, []variant{
				{name: "no subwords", cfg: withSubs(cfg, false), lex: *lexWeight, perm: *permissive, nocal: true},
				{name: "no lexicons", cfg: cfg, perm: *permissive, nocal: true},
				{name: "bits 16", cfg: withBits(cfg, 16), lex: *lexWeight, perm: *permissive, nocal: true},
				{name: "epochs 6", cfg: withEpochs(cfg, 6), lex: *lexWeight, perm: *permissive, nocal: true},
				{name: "epochs 20", cfg: withEpochs(cfg, 20), lex: *lexWeight, perm: *permissive, nocal: true},
				{name: "lr 0.3", cfg: withLR(cfg, 0.3), lex: *lexWeight, perm: *permissive, nocal: true},
				{name: "permissive only", cfg: cfg, lex: *lexWeight, perm: true, nocal: true},
			}...)
		}
		for _, v := range vs {
			ex, tweets := examples(v.perm, v.lex, false)
			m := train(ex, tweets, v.cfg, !v.nocal && *calibrate)
			fmt.Printf("%-18s %s\n", v.name, report(m, vocdata.Dev))
		}
		return
	}
	ex, tweets := examples(*permissive, *lexWeight, true)
	log.Printf("training on %d examples", len(ex))
	m := train(ex, tweets, cfg, *calibrate)
	if os.Getenv("SENTIMENT_REPORT_FLOAT") != "" {
		fmt.Println("test (float weights):", report(m, vocdata.Test))
	}
	b, err := m.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s (%d bytes)", *out, len(b))
	m, err = sentiment.Load(b) // report on the quantised weights
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("test:", report(m, vocdata.Test))
}

// negWeight is the strength of a negated lexicon entry relative to the
// entry (0: no negated entries).
var negWeight = 0.5

// ownWeight multiplies the weight of the hand-written entries.
var ownWeight = 3.0

// negOwnOnly limits negated entries to the hand-written lists.
var negOwnOnly = true

// tweetWeight weighs the XLM-T tweets, the only 3-class data in Spanish,
// German and French.
var tweetWeight = 1.0

func withLangBias(c sentiment.TrainConfig, v bool) sentiment.TrainConfig { c.LangBias = v; return c }

func withSubs(c sentiment.TrainConfig, v bool) sentiment.TrainConfig  { c.Subwords = v; return c }
func withBits(c sentiment.TrainConfig, v uint) sentiment.TrainConfig  { c.Bits = v; return c }
func withEpochs(c sentiment.TrainConfig, v int) sentiment.TrainConfig { c.Epochs = v; return c }
func withLR(c sentiment.TrainConfig, v float64) sentiment.TrainConfig { c.LR = v; return c }

// examples gathers the training examples: the train splits (and the dev
// splits when withDev) of the labelled sets, and the lexicons as one-word
// examples.
func examples(permissive bool, lexWeight float64, withDev bool) ([]sentiment.TrainExample, map[string][]int) {
	tweets := map[string][]int{}
	splits := []vocdata.Split{vocdata.Train}
	if withDev {
		splits = append(splits, vocdata.Dev)
	}
	var out []sentiment.TrainExample
	add := func(ex []vocdata.Example, err error) {
		if err != nil {
			log.Fatal(err)
		}
		for _, e := range ex {
			w := 1.0
			if strings.HasPrefix(e.Set, "xlmt-") {
				w = tweetWeight
				tweets[e.Lang] = append(tweets[e.Lang], len(out))
			}
			out = append(out, sentiment.TrainExample{Text: e.Text, Lang: e.Lang, Class: int(e.Label), Binary: e.Binary, Weight: w})
		}
	}
	for _, sp := range splits {
		for _, s := range vocdata.UCISets {
			add(vocdata.UCI(s, sp))
		}
		for _, s := range vocdata.VADERSets {
			add(vocdata.VADER(s, sp))
		}
		if !permissive {
			for _, l := range []string{"en", "es", "de", "fr"} {
				add(vocdata.XLMT(l, sp))
			}
			for _, s := range vocdata.ChineseSets {
				add(vocdata.Chinese(s, sp))
			}
		}
	}
	if lexWeight > 0 {
		out = append(out, lexiconExamples(lexWeight)...)
	}
	return out, tweets
}

// train trains a model and, when calibrate, fits the per-language offsets
// on 5-fold out-of-fold predictions of the tweets.
func train(ex []sentiment.TrainExample, tweets map[string][]int, cfg sentiment.TrainConfig, calibrate bool) *sentiment.Model {
	m := sentiment.Train(ex, cfg)
	if calibrate && len(tweets) > 0 {
		off, rep := sentiment.Calibrate(ex, tweets, cfg, 5)
		langs := make([]string, 0, len(off))
		for l := range off {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, l := range langs {
			log.Printf("calibration %s: offsets %v, out-of-fold macro-F1 %.1f → %.1f", l, off[l], 100*rep[l][0], 100*rep[l][1])
		}
		m.SetOffsets(off)
	}
	return m
}

// lexiconExamples turns the VADER and AFINN word lists, VADER's emoji
// descriptions and the hand-written lists into one-word binary examples
// weighted by the word's strength.
func lexiconExamples(weight float64) []sentiment.TrainExample {
	dir, err := vocdata.Dir()
	if err != nil {
		log.Fatal(err)
	}
	var out []sentiment.TrainExample
	mult := 1.0
	add1 := func(text string, v, max float64) {
		c := 2
		if v < 0 {
			c = 0
		}
		out = append(out, sentiment.TrainExample{Text: text, Class: c, Binary: true, Weight: weight * mult * math.Min(math.Abs(v)/max, 1)})
	}
	// add adds a word and, when neg is not empty, the word negated with the
	// opposite polarity at negWeight of the strength (VADER's rule damps a
	// negated valence by 0.74).
	add := func(word string, v, max float64, neg ...string) {
		if v == 0 || strings.TrimSpace(word) == "" {
			return
		}
		add1(word, v, max)
		if len(neg) > 0 && neg[0] != "" && negWeight > 0 && !strings.Contains(word, " ") {
			add1(neg[0]+word, -v*negWeight, max)
		}
	}
	vader := readTable(filepath.Join(dir, "vader", "vader_lexicon.txt"))
	for w, v := range vader {
		if isWord(w) && !negOwnOnly {
			add(w, v, 4, "not ")
		} else {
			add(w, v, 4)
		}
	}
	for f, neg := range map[string]string{"AFINN-en-165.txt": "not ", "AFINN-fr-165.txt": "pas ", "AFINN-emoticon-8.txt": ""} {
		for w, v := range readTable(filepath.Join(dir, "afinn", f)) {
			if neg != "" && isWord(w) && !negOwnOnly {
				add(w, v, 5, neg)
			} else {
				add(w, v, 5)
			}
		}
	}
	// Emoji: the sum of the VADER valences of the words of its description.
	f, err := os.Open(filepath.Join(dir, "vader", "emoji_utf8_lexicon.txt"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		e, desc, ok := strings.Cut(s.Text(), "\t")
		if !ok {
			continue
		}
		var v float64
		for _, w := range strings.Fields(strings.ToLower(desc)) {
			v += vader[strings.Trim(w, ",.:")]
		}
		if math.Abs(v) >= 1 {
			add(e, v, 4)
		}
	}
	negators := map[string]string{"en": "not ", "es": "no ", "de": "nicht ", "fr": "pas ", "it": "non ", "pt": "não ", "zh": "不"}
	// The hand-written lists are few and from the review domain: they
	// count ownWeight times as much as a VADER or AFINN entry.
	mult = ownWeight
	for _, l := range sentiment.OwnLexiconLangs() {
		for w, v := range sentiment.OwnLexicon(l) {
			if neg, ok := negators[l]; ok && !strings.HasPrefix(w, "不") {
				add(w, v, 3, neg)
			} else {
				add(w, v, 3)
			}
		}
	}
	// Map iteration order varies; training shuffles with a fixed seed, so
	// the examples must come in a fixed order.
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Text != b.Text {
			return a.Text < b.Text
		}
		if a.Class != b.Class {
			return a.Class < b.Class
		}
		return a.Weight < b.Weight
	})
	return out
}

// isWord reports a lexicon entry made of letters only (not an emoticon).
func isWord(w string) bool {
	for _, r := range w {
		if !unicode.IsLetter(r) && r != '\'' && r != '-' {
			return false
		}
	}
	return w != ""
}

// readTable reads "word<TAB>value…" lines.
func readTable(path string) map[string]float64 {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	out := map[string]float64{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		p := strings.Split(s.Text(), "\t")
		if len(p) < 2 {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(p[1]), 64)
		if err != nil {
			continue
		}
		out[p[0]] = v
	}
	return out
}

// report measures a model on one split of every set.
func report(m *sentiment.Model, sp vocdata.Split) string {
	var b strings.Builder
	for _, l := range []string{"en", "es", "de", "fr"} {
		ex, err := vocdata.XLMT(l, sp)
		if err != nil {
			log.Fatal(err)
		}
		var pred, gold []int
		for _, e := range ex {
			pred = append(pred, sentiment.ClassIndex(m.Score(e.Text).Label))
			gold = append(gold, int(e.Label))
		}
		fmt.Fprintf(&b, "xlmt-%s F1 %.1f  ", l, 100*sentiment.MacroF1(pred, gold))
	}
	for _, s := range vocdata.UCISets {
		ex, err := vocdata.UCI(s, sp)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %.3f  ", s, binaryAccuracy(m, ex))
	}
	for _, s := range vocdata.ChineseSets {
		ex, err := vocdata.Chinese(s, sp)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %.3f  ", s[:5], binaryAccuracy(m, ex))
	}
	for _, s := range vocdata.VADERSets {
		ex, err := vocdata.VADER(s, sp)
		if err != nil {
			log.Fatal(err)
		}
		var x, y []float64
		for _, e := range ex {
			x = append(x, m.Score(e.Text).Score)
			y = append(y, e.Rating)
		}
		fmt.Fprintf(&b, "vader-%s r %.3f  ", s[:5], sentiment.Pearson(x, y))
	}
	return b.String()
}

// binaryAccuracy counts a text positive when P(positive) ≥ P(negative).
func binaryAccuracy(m *sentiment.Model, ex []vocdata.Example) float64 {
	ok := 0
	for _, e := range ex {
		pos := m.Score(e.Text).Score >= 0
		if pos == (e.Label == vocdata.Positive) {
			ok++
		}
	}
	return float64(ok) / float64(len(ex))
}
