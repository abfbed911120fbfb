// Package sentiment scores the sentiment of a review or social post in
// English, Spanish, German, French, Chinese and Japanese (and, with less
// evidence, Italian and Portuguese): a label (positive, neutral, negative)
// and a score in [−1, 1].
//
// The model is a multinomial logistic regression over hashed features:
// words and word pairs (with negation scopes marked and intensifiers
// scaling the next word), character 4-grams inside words, character
// unigrams to trigrams for Chinese, Japanese and Korean (which need no word
// segmentation), emoji and exclamation marks. One model serves all
// languages, so mixed-language texts are scored from all their parts. It is
// trained offline by ./train (go run), embedded with go:embed, and
// described, with its training data, licences and measured accuracy, in
// MODEL_CARD.md.
package sentiment

import (
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/tradewind/tradewind/internal/voc/langid"
)

// Label is a sentiment class.
type Label string

// The sentiment labels.
const (
	Negative Label = "negative"
	Neutral  Label = "neutral"
	Positive Label = "positive"
)

// Classes orders the labels as the model's outputs are ordered.
var Classes = [3]Label{Negative, Neutral, Positive}

// Result is the sentiment of one text.
type Result struct {
	// Label is the most probable class.
	Label Label
	// Score is P(positive) − P(negative), in [−1, 1].
	Score float64
	// Probs are the class probabilities in the order of Classes.
	Probs [3]float64
}

// Model is a trained sentiment model. It is safe for concurrent use.
type Model struct {
	bits     uint
	subs     bool
	langBias bool
	// q holds 3 weights per bucket (negative, neutral, positive) in steps
	// of scale: int8 keeps the table small enough to stay in cache.
	q     []int8
	scale float64
	// offsets are added to the class scores of texts in a language: a
	// decision threshold per language, fitted on out-of-fold predictions
	// (see Calibrate).
	offsets map[string][3]float64
	pool    sync.Pool
}

//go:embed model.bin
var modelData []byte

var (
	defaultOnce  sync.Once
	defaultModel *Model
)

// Default returns the built-in model embedded in the binary.
func Default() *Model {
	defaultOnce.Do(func() {
		m, err := Load(modelData)
		if err != nil {
			panic("sentiment: built-in model: " + err.Error())
		}
		defaultModel = m
	})
	return defaultModel
}

// BuiltinVersion identifies the built-in model: the first 12 hex digits
// of the SHA-256 of its file, so a report can say which one it compared
// against.
func BuiltinVersion() string {
	h := sha256.Sum256(modelData)
	return hex.EncodeToString(h[:6])
}

// Score scores text with the built-in model.
func Score(text string) Result { return Default().Score(text) }

// ScoreLang scores text with the built-in model, given its language.
func ScoreLang(text, lang string) Result { return Default().ScoreLang(text, lang) }

// Score returns the sentiment of text, identifying its language first.
func (m *Model) Score(text string) Result {
	lang := ""
	if m.langBias {
		lang = langid.Detect(text)
	}
	return m.ScoreLang(text, lang)
}

// ScoreLang returns the sentiment of text in language lang (a BCP-47
// primary subtag; "" or "und" when unknown). The language only shifts the
// class priors; every part of a mixed-language text contributes.
func (m *Model) ScoreLang(text, lang string) Result {
	f, _ := m.pool.Get().(*featurizer)
	if f == nil {
		f = &featurizer{bits: m.bits, subs: m.subs, langBias: m.langBias}
	}
	r := m.score(f.features(text, lang), f.biases, m.offsets[lang])
	m.pool.Put(f)
	return r
}

func (m *Model) score(feats []Feature, biases int, off [3]float64) Result {
	if len(feats) <= biases {
		// Nothing but the bias: no evidence of any sentiment.
		return Result{Label: Neutral, Probs: [3]float64{0, 1, 0}}
	}
	var z [3]float64
	q := m.q
	for _, ft := range feats {
		i := int(ft.Bucket) * 3
		w := q[i : i+3 : i+3]
		v := float64(ft.Value)
		z[0] += float64(w[0]) * v
		z[1] += float64(w[1]) * v
		z[2] += float64(w[2]) * v
	}
	z[0] = z[0]*m.scale + off[0]
	z[1] = z[1]*m.scale + off[1]
	z[2] = z[2]*m.scale + off[2]
	p := softmax(z)
	best := 0
	for k := 1; k < 3; k++ {
		if p[k] > p[best] {
			best = k
		}
	}
	return Result{Label: Classes[best], Score: p[2] - p[0], Probs: p}
}

func softmax(z [3]float64) [3]float64 {
	mx := math.Max(z[0], math.Max(z[1], z[2]))
	var p [3]float64
	var s float64
	for k := range z {
		p[k] = math.Exp(z[k] - mx)
		s += p[k]
	}
	for k := range p {
		p[k] /= s
	}
	return p
}

const magic = "TWSENT2\x00"

// quantClip is the share of weights, by magnitude, that the int8 scale
// covers exactly; the rarer larger ones are clipped to ±127 steps.
const quantClip = 0.9999

// quantize sets the model's int8 weights from float ones: the scale
// covers quantClip of the non-zero weights by magnitude exactly, and the
// rarer larger ones are clipped to ±127 steps.
func (m *Model) quantize(w []float32) {
	abs := make([]float64, 0, len(w))
	for _, v := range w {
		if v != 0 {
			abs = append(abs, math.Abs(float64(v)))
		}
	}
	sort.Float64s(abs)
	m.scale = 1
	if len(abs) > 0 && abs[int(float64(len(abs)-1)*quantClip)] > 0 {
		m.scale = float64(float32(abs[int(float64(len(abs)-1)*quantClip)] / 127))
	}
	m.q = make([]int8, len(w))
	for i, v := range w {
		m.q[i] = int8(math.Max(-127, math.Min(127, math.Round(float64(v)/m.scale))))
	}
}

// SetOffsets sets the per-language class-score offsets (negative,
// neutral, positive), replacing any.
func (m *Model) SetOffsets(off map[string][3]float64) {
	m.offsets = map[string][3]float64{}
	for l, o := range off {
		m.offsets[l] = o
	}
}

// Offsets returns a copy of the per-language class-score offsets.
func (m *Model) Offsets() map[string][3]float64 {
	out := map[string][3]float64{}
	for l, o := range m.offsets {
		out[l] = o
	}
	return out
}

// MarshalBinary encodes the model: a header (magic, hash bits, flags, the
// quantisation scale as a float32), the int8 weights, and then the
// per-language offsets (a count byte; per language its tag's length and
// bytes and three float32s), in tag order.
func (m *Model) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, len(magic)+8+len(m.q))
	b = append(b, magic...)
	b = append(b, byte(m.bits))
	var flags byte
	if m.subs {
		flags |= 1
	}
	if m.langBias {
		flags |= 2
	}
	b = append(b, flags)
	b = append(b, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(m.scale)))
	for _, v := range m.q {
		b = append(b, byte(v))
	}
	langs := make([]string, 0, len(m.offsets))
	for l := range m.offsets {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	b = append(b, byte(len(langs)))
	for _, l := range langs {
		b = append(b, byte(len(l)))
		b = append(b, l...)
		for _, v := range m.offsets[l] {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
		}
	}
	return b, nil
}

// Load decodes a model written by MarshalBinary.
func Load(b []byte) (*Model, error) {
	if len(b) < len(magic)+8 || string(b[:len(magic)]) != magic {
		return nil, errors.New("not a sentiment model")
	}
	h := b[len(magic):]
	bits := uint(h[0])
	if bits < 8 || bits > 24 {
		return nil, fmt.Errorf("bad hash bits %d", bits)
	}
	scale := float64(math.Float32frombits(binary.LittleEndian.Uint32(h[4:8])))
	body := h[8:]
	n := 3 << bits
	if len(body) < n+1 {
		return nil, fmt.Errorf("model has %d bytes of weights, want %d", len(body), n)
	}
	m := &Model{bits: bits, subs: h[1]&1 != 0, langBias: h[1]&2 != 0, q: make([]int8, n), scale: scale}
	for i := range m.q {
		m.q[i] = int8(body[i])
	}
	rest := body[n:]
	count := int(rest[0])
	rest = rest[1:]
	m.offsets = map[string][3]float64{}
	for range count {
		if len(rest) < 1 || len(rest) < 1+int(rest[0])+12 {
			return nil, errors.New("truncated language offsets")
		}
		l := string(rest[1 : 1+int(rest[0])])
		rest = rest[1+int(rest[0]):]
		var o [3]float64
		for k := range o {
			o[k] = float64(math.Float32frombits(binary.LittleEndian.Uint32(rest[4*k:])))
		}
		rest = rest[12:]
		m.offsets[l] = o
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d bytes after the model", len(rest))
	}
	return m, nil
}
