package attribution

import (
	"fmt"
	"math"
	"strings"
)

// Model names an attribution model; the names are those of the CLI and API.
type Model string

// The models. Heuristic models walk each path as written, repeated touches
// included (as ChannelAttribution's heuristic_models does), and credit only
// converting journeys; Markov also learns from the non-converting ones.
const (
	// FirstTouch gives all credit to the first touch.
	FirstTouch Model = "first"
	// LastTouch gives all credit to the last touch.
	LastTouch Model = "last"
	// LastNonDirect gives all credit to the last touch that is not a direct
	// visit (Options.Direct), or to the last touch when all are direct, as
	// Google Analytics does: a direct visit usually only closes what another
	// channel started.
	LastNonDirect Model = "last_non_direct"
	// Linear splits credit equally over the touches, so a channel touched
	// twice in a path of four gets half.
	Linear Model = "linear"
	// TimeDecay weights a touch by 2^(−d/h), d steps before the conversion
	// (the last touch has d = 0) and h the half-life in steps
	// (Options.HalfLife): a path file has no timestamps, so one step is one
	// unit of time.
	TimeDecay Model = "time_decay"
	// Position is position-based (U-shaped) credit: 40% to the first touch,
	// 40% to the last and 20% split equally over the touches between. A
	// one-touch path gives that touch everything; a two-touch path splits
	// 50/50 (first and last share the middle's 20% equally, the Google
	// Analytics rule).
	Position Model = "position"
	// Markov credits channels in proportion to their removal effects in a
	// Markov chain of the journeys (see Markov).
	Markov Model = "markov"
	// Shapley credits channels by the simplified Shapley value (see Shapley).
	Shapley Model = "shapley"
)

// Models lists every model, in the order the CLI documents them.
var Models = []Model{FirstTouch, LastTouch, LastNonDirect, Linear, TimeDecay, Position, Markov, Shapley}

// ParseModel accepts a model name (case-insensitive, '-' for '_').
func ParseModel(s string) (Model, error) {
	m := Model(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	for _, k := range Models {
		if m == k {
			return m, nil
		}
	}
	names := make([]string, len(Models))
	for i, k := range Models {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown attribution model %q (want %s)", s, strings.Join(names, ", "))
}

// DefaultHalfLife is the time-decay half-life in steps when none is given:
// a touch seven steps before the conversion counts half as much as the last.
const DefaultHalfLife = 7

// Options tunes the models; the zero value gives the documented defaults.
type Options struct {
	// HalfLife is the time-decay half-life in steps (default 7).
	HalfLife float64
	// Direct reports whether a channel is a direct visit, for
	// LastNonDirect. Default: the name is "direct" or "(direct)", in any
	// case.
	Direct func(channel string) bool
	// MarkovOrder is the order of the Markov chain: 1 (the default) or up to
	// MaxMarkovOrder, where a state is the last k channels.
	MarkovOrder int
}

func (o Options) halfLife() float64 {
	if o.HalfLife > 0 {
		return o.HalfLife
	}
	return DefaultHalfLife
}

func (o Options) direct() func(string) bool {
	if o.Direct != nil {
		return o.Direct
	}
	return func(ch string) bool {
		ch = strings.ToLower(ch)
		return ch == "direct" || ch == "(direct)"
	}
}

// Credit is what a model gives one channel.
type Credit struct {
	// Channel is the channel's name.
	Channel string
	// Conversions is the share of conversions credited to the channel.
	Conversions float64
	// Value is the share of conversion value credited to the channel.
	Value float64
}

// Result is a model's credit for every channel of the journeys.
type Result struct {
	// Model is the model that produced the result.
	Model Model
	// Credits has one entry per channel, in order of first appearance in
	// the journeys (channels seen only on non-converting paths get 0).
	Credits []Credit
	// RemovalEffects is, for Markov, the relative drop in the probability
	// of conversion when a channel is removed from the chain; nil for the
	// other models.
	RemovalEffects map[string]float64
	// ValueRemovalEffects is, for Markov, the relative drop in expected
	// conversion value when a channel is removed.
	ValueRemovalEffects map[string]float64
	// Method says how the credit was computed where there is a choice
	// (Shapley: "subsets" or "dividends"; Markov: "exact, order k").
	Method string
}

// Attribute runs model m over the journeys.
func Attribute(j *Journeys, m Model, opt Options) (*Result, error) {
	switch m {
	case FirstTouch, LastTouch, LastNonDirect, Linear, TimeDecay, Position:
		return heuristic(j, m, opt), nil
	case Markov:
		return MarkovChain(j, opt.MarkovOrder)
	case Shapley:
		return ShapleyValue(j), nil
	}
	return nil, fmt.Errorf("unknown attribution model %q", m)
}

// newResult makes a Result from per-channel-id credits.
func newResult(j *Journeys, m Model, conv, value []float64) *Result {
	r := &Result{Model: m, Credits: make([]Credit, len(j.channels))}
	for id, name := range j.channels {
		r.Credits[id] = Credit{Channel: name, Conversions: conv[id], Value: value[id]}
	}
	return r
}

// heuristic runs the rule-based models: each converting journey's
// conversions and value are split over its touches by per-touch weights
// that sum to 1.
func heuristic(j *Journeys, m Model, opt Options) *Result {
	k := len(j.channels)
	conv, value := make([]float64, k), make([]float64, k)
	var isDirect []bool
	if m == LastNonDirect {
		isDirect = make([]bool, k)
		d := opt.direct()
		for id, name := range j.channels {
			isDirect[id] = d(name)
		}
	}
	// q is the time-decay factor per step back from the conversion.
	q := math.Exp2(-1 / opt.halfLife())
	var w []float64
	for i := range j.ends {
		c, v := j.conv[i], j.value[i]
		if c == 0 && v == 0 {
			continue
		}
		p := j.path(i)
		n := len(p)
		credit := func(id uint16, share float64) {
			conv[id] += c * share
			value[id] += v * share
		}
		switch m {
		case FirstTouch:
			credit(p[0], 1)
		case LastTouch:
			credit(p[n-1], 1)
		case LastNonDirect:
			last := p[n-1]
			for t := n - 1; t >= 0; t-- {
				if !isDirect[p[t]] {
					last = p[t]
					break
				}
			}
			credit(last, 1)
		case Linear:
			for _, id := range p {
				credit(id, 1/float64(n))
			}
		case TimeDecay:
			// Weights q^(n−1−t) for t = 0…n−1; built from the last touch
			// backwards so no power is computed per touch.
			w = w[:0]
			sum, wt := 0.0, 1.0
			for t := n - 1; t >= 0; t-- {
				w = append(w, wt)
				sum += wt
				wt *= q
			}
			for t := range n {
				credit(p[t], w[n-1-t]/sum)
			}
		case Position:
			switch n {
			case 1:
				credit(p[0], 1)
			case 2:
				credit(p[0], 0.5)
				credit(p[1], 0.5)
			default:
				credit(p[0], 0.4)
				credit(p[n-1], 0.4)
				mid := 0.2 / float64(n-2)
				for _, id := range p[1 : n-1] {
					credit(id, mid)
				}
			}
		}
	}
	return newResult(j, m, conv, value)
}
