// Package vocdata reads the labelled sentiment data sets under
// ../shared/data/sentiment/ (see that folder's README for sources and
// licences) where they lie, and splits them deterministically into the parts
// the voice-of-the-customer models train on and the parts they are tested
// on. It is used by tests, benchmarks and the training program only; nothing
// here is copied into the repository or the binary.
package vocdata

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Label is a sentiment class.
type Label int

// The sentiment classes, in the order the XLM-T tweets number them.
const (
	Negative Label = 0
	Neutral  Label = 1
	Positive Label = 2
)

// Split names a part of a data set.
type Split int

// The parts of a data set: Train is what a model may learn from, Dev a part
// of the training data held back for choosing settings, Test what the
// acceptance figures are measured on and nothing trains on.
const (
	Train Split = iota
	Dev
	Test
)

// Example is one labelled text. Rating is VADER's mean human rating
// (−4..+4) for the VADER sets and 0 otherwise; Binary is true for sets with
// only positive and negative labels.
type Example struct {
	Text   string
	Lang   string
	Label  Label
	Rating float64
	Binary bool
	Set    string
}

// Dir finds ../shared/data/sentiment by walking up from the working
// directory (tests run in their package's folder, the training program in
// the project root); $TRADEWIND_SENTIMENT_DATA overrides it.
func Dir() (string, error) {
	if d := os.Getenv("TRADEWIND_SENTIMENT_DATA"); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "..", "shared", "data", "sentiment")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("shared/data/sentiment not found above %s", wd)
		}
	}
}

// XLMTLangs maps the XLM-T folder names to language subtags.
var XLMTLangs = map[string]string{"english": "en", "spanish": "es", "german": "de", "french": "fr"}

// XLMT returns the XLM-T tweets of one language ("en", "es", "de", "fr"):
// Test is the val split (the data has no test split), Dev every tenth tweet
// of the train split, Train the rest of it. The tweets' source corpora have
// their own terms: research use.
func XLMT(lang string, split Split) ([]Example, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	var folder string
	for f, l := range XLMTLangs {
		if l == lang {
			folder = f
		}
	}
	if folder == "" {
		return nil, fmt.Errorf("no XLM-T tweets for %q", lang)
	}
	part := "train"
	if split == Test {
		part = "val"
	}
	texts, err := lines(filepath.Join(dir, "xlm-t_tweets", folder, part+"_text.txt"))
	if err != nil {
		return nil, err
	}
	labels, err := lines(filepath.Join(dir, "xlm-t_tweets", folder, part+"_labels.txt"))
	if err != nil {
		return nil, err
	}
	if len(texts) != len(labels) {
		return nil, fmt.Errorf("xlm-t %s %s: %d texts, %d labels", folder, part, len(texts), len(labels))
	}
	var out []Example
	for i, t := range texts {
		if split != Test && (i%10 == 9) != (split == Dev) {
			continue
		}
		l, err := strconv.Atoi(strings.TrimSpace(labels[i]))
		if err != nil || l < 0 || l > 2 {
			return nil, fmt.Errorf("xlm-t %s %s line %d: bad label %q", folder, part, i+1, labels[i])
		}
		out = append(out, Example{Text: unescape(t), Lang: lang, Label: Label(l), Set: "xlmt-" + lang})
	}
	return out, nil
}

// unescape turns the \uXXXX escapes the XLM-T files keep into characters.
func unescape(s string) string {
	if !strings.Contains(s, `\u`) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+5 < len(s) && s[i+1] == 'u' {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
				b.WriteRune(rune(v))
				i += 5
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return strings.TrimSpace(b.String())
}

// inSplit puts every fifth item in Test, every fifth of the rest in Dev.
func inSplit(i int, split Split) bool {
	switch {
	case i%5 == 4:
		return split == Test
	case i%25 == 3:
		return split == Dev
	default:
		return split == Train
	}
}

// UCISets are the UCI Sentiment Labelled Sentences files (CC BY 4.0).
var UCISets = []string{"amazon", "imdb", "yelp"}

// UCI returns one UCI sentence set ("amazon", "imdb", "yelp") split by
// position: every fifth sentence is Test.
func UCI(set string, split Split) ([]Example, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "uci_labelled_sentences", set+".json"))
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Text  string `json:"text"`
		Class *int   `json:"class"`
	}
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("uci %s: %w", set, err)
	}
	var out []Example
	i := 0
	for _, r := range rows {
		if strings.TrimSpace(r.Text) == "" || r.Class == nil {
			continue // each file ends with an empty entry
		}
		if inSplit(i, split) {
			l := Negative
			if *r.Class == 1 {
				l = Positive
			}
			out = append(out, Example{Text: r.Text, Lang: "en", Label: l, Binary: true, Set: "uci-" + set})
		}
		i++
	}
	return out, nil
}

// VADERSets are VADER's human-rated sentence files (MIT).
var VADERSets = []string{"tweets", "movieReviewSnippets", "nytEditorialSnippets"}

// VADERNeutral is the mean rating within which a VADER sentence counts as
// neutral.
const VADERNeutral = 0.5

// VADER returns one of VADER's rated sentence sets, labelled by the sign of
// the mean rating (|rating| < VADERNeutral is neutral), split by position.
func VADER(set string, split Split) ([]Example, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	ls, err := lines(filepath.Join(dir, "vader", set+"_GroundTruth.txt"))
	if err != nil {
		return nil, err
	}
	var out []Example
	for i, line := range ls {
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			continue
		}
		r, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return nil, fmt.Errorf("vader %s line %d: %v", set, i+1, err)
		}
		if !inSplit(i, split) {
			continue
		}
		l := Neutral
		if r >= VADERNeutral {
			l = Positive
		} else if r <= -VADERNeutral {
			l = Negative
		}
		out = append(out, Example{Text: f[2], Lang: "en", Label: l, Rating: r, Set: "vader-" + set})
	}
	return out, nil
}

// ChineseSets are the Chinese review sets (no licence stated: research use).
var ChineseSets = []string{"ChnSentiCorp_htl_all", "waimai_10k"}

// Chinese returns one Chinese review set split by position.
func Chinese(set string, split Split) ([]Example, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, "chinese", set+".csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("chinese %s: %w", set, err)
	}
	var out []Example
	i := 0
	for _, row := range rows[1:] {
		if len(row) < 2 || strings.TrimSpace(row[1]) == "" {
			continue
		}
		if inSplit(i, split) {
			l := Negative
			if row[0] == "1" {
				l = Positive
			}
			out = append(out, Example{Text: row[1], Lang: "zh", Label: l, Binary: true, Set: "zh-" + set})
		}
		i++
	}
	return out, nil
}

func lines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		out = append(out, s.Text())
	}
	return out, s.Err()
}
