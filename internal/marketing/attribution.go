package marketing

import (
	"fmt"
	"math"
	"slices"

	"github.com/tradewind/tradewind/internal/attribution"
	"github.com/tradewind/tradewind/internal/touch"
)

// Level is what a path's steps name: the channel, or the campaign within
// its channel.
type Level string

// The levels.
const (
	ByChannel  Level = "channel"
	ByCampaign Level = "campaign"
)

// Label names a touch at a level: its channel, or "channel/campaign" for a
// touch with a campaign at the campaign level (a touch without one keeps
// its channel's name).
func Label(t Touchpoint, l Level) string {
	if l == ByCampaign && t.Campaign != "" {
		return t.Channel + "/" + t.Campaign
	}
	return t.Channel
}

// Options are the model options of a run.
type Options struct {
	// HalfLife is time decay's half-life in touches (default 7): a touch
	// seven touches before the order counts half the last.
	HalfLife float64
	// MarkovOrder is the Markov chain's order (default 1).
	MarkovOrder int
}

func (o Options) attribution() attribution.Options {
	return attribution.Options{HalfLife: o.HalfLife, MarkovOrder: o.MarkovOrder, Direct: touch.IsDirect}
}

// Credit is one channel's line of an attribution report.
type Credit struct {
	Channel     string  `json:"channel"`
	Conversions float64 `json:"conversions"`
	Value       float64 `json:"value"`
}

// AttributionReport is one model's credit. Its JSON form is the contract
// of `tradewind attribution --json`, on a path file or on the store.
type AttributionReport struct {
	Model               string             `json:"model"`
	Channels            []Credit           `json:"channels"`
	RemovalEffects      map[string]float64 `json:"removal_effects,omitempty"`
	ValueRemovalEffects map[string]float64 `json:"value_removal_effects,omitempty"`
	Method              string             `json:"method,omitempty"`
	HalfLife            float64            `json:"half_life,omitempty"`
	Journeys            int                `json:"journeys"`
	TotalConversions    float64            `json:"total_conversions"`
	TotalValue          float64            `json:"total_value"`
	TotalNull           float64            `json:"total_null"`
}

// NewReport turns a model's result over j into the report shape.
func NewReport(j *attribution.Journeys, res *attribution.Result, halfLife float64) AttributionReport {
	out := AttributionReport{Model: string(res.Model), RemovalEffects: res.RemovalEffects, ValueRemovalEffects: res.ValueRemovalEffects,
		Method: res.Method, Journeys: j.Len(), Channels: []Credit{}}
	out.TotalConversions, out.TotalValue, out.TotalNull = j.Totals()
	if res.Model == attribution.TimeDecay {
		out.HalfLife = halfLife
		if out.HalfLife <= 0 {
			out.HalfLife = attribution.DefaultHalfLife
		}
	}
	for _, c := range res.Credits {
		out.Channels = append(out.Channels, Credit{Channel: c.Channel, Conversions: c.Conversions, Value: c.Value})
	}
	return out
}

// PathSet converts journeys into the attribution package's form at a
// level: each converting journey is one conversion worth its order's
// base-currency total, each other journey one null.
func (d *Data) PathSet(js []Journey, l Level) (*attribution.Journeys, error) {
	out := attribution.NewJourneys()
	var path []string
	for _, j := range js {
		path = path[:0]
		for _, t := range j.Path {
			path = append(path, Label(t, l))
		}
		var err error
		if j.Converted {
			err = out.Add(path, 1, d.Profiles[j.Profile].Orders[j.Order].Value, 0)
		} else {
			err = out.Add(path, 0, 0, 1)
		}
		if err != nil {
			return nil, fmt.Errorf("marketing: journey of %s: %w", d.Profiles[j.Profile].ID, err)
		}
	}
	return out, nil
}

// Attribute runs model m over the journeys at a level.
func (d *Data) Attribute(js []Journey, l Level, m attribution.Model, opt Options) (AttributionReport, *attribution.Result, error) {
	set, err := d.PathSet(js, l)
	if err != nil {
		return AttributionReport{}, nil, err
	}
	res, err := attribution.Attribute(set, m, opt.attribution())
	if err != nil {
		return AttributionReport{}, nil, err
	}
	rep := NewReport(set, res, opt.HalfLife)
	sortCredits(rep.Channels)
	return rep, res, nil
}

// sortCredits orders credits by value, then conversions, then name, so a
// report reads from the channel that brought most.
func sortCredits(cs []Credit) {
	slices.SortStableFunc(cs, func(a, b Credit) int {
		switch {
		case a.Value != b.Value:
			return cmpDesc(a.Value, b.Value)
		case a.Conversions != b.Conversions:
			return cmpDesc(a.Conversions, b.Conversions)
		}
		if a.Channel < b.Channel {
			return -1
		}
		return 1
	})
}

func cmpDesc(a, b float64) int {
	if a > b {
		return -1
	}
	if a < b {
		return 1
	}
	return 0
}

// Share is one label's part of one converting journey's credit.
type Share struct {
	Label       string
	Conversions float64
	Value       float64
}

// JourneyCredits splits each converting journey's conversion and value
// over its labels so that, summed over journeys, every label gets exactly
// the model's credit — which lets ROI cut credit by marketplace, week or
// new customers. Within a journey the split follows the model's own rule
// (first, last, last non-direct, linear, time decay and position as
// written; Shapley equally over the distinct labels, which is its closed
// form; Markov in proportion to the labels' removal effects). The models
// that are sums over journeys (all but Markov) need no more; Markov's
// global credit is not such a sum, so each label's per-journey parts are
// scaled to add up to its global credit.
func (d *Data) JourneyCredits(js []Journey, l Level, res *attribution.Result, opt Options) [][]Share {
	out := make([][]Share, len(js))
	rawC, rawV := map[string]float64{}, map[string]float64{}
	hl := opt.HalfLife
	if hl <= 0 {
		hl = attribution.DefaultHalfLife
	}
	q := math.Exp2(-1 / hl)
	labels := []string{}
	for i, j := range js {
		if !j.Converted {
			continue
		}
		labels = labels[:0]
		for _, t := range j.Path {
			labels = append(labels, Label(t, l))
		}
		value := d.Profiles[j.Profile].Orders[j.Order].Value
		wc := weights(res.Model, labels, q, res.RemovalEffects)
		wv := wc
		if res.Model == attribution.Markov {
			wv = weights(res.Model, labels, q, res.ValueRemovalEffects)
		}
		var sh []Share
		add := func(lb string, c, v float64) {
			for k := range sh {
				if sh[k].Label == lb {
					sh[k].Conversions += c
					sh[k].Value += v
					return
				}
			}
			sh = append(sh, Share{Label: lb, Conversions: c, Value: v})
		}
		for k, lb := range labels {
			if wc[k] != 0 || wv[k] != 0 {
				add(lb, wc[k], value*wv[k])
				rawC[lb] += wc[k]
				rawV[lb] += value * wv[k]
			}
		}
		out[i] = sh
	}
	if res.Model != attribution.Markov {
		return out
	}
	kc, kv := map[string]float64{}, map[string]float64{}
	for _, c := range res.Credits {
		if rawC[c.Channel] > 0 {
			kc[c.Channel] = c.Conversions / rawC[c.Channel]
		}
		if rawV[c.Channel] > 0 {
			kv[c.Channel] = c.Value / rawV[c.Channel]
		}
	}
	for _, sh := range out {
		for k := range sh {
			sh[k].Conversions *= kc[sh[k].Label]
			sh[k].Value *= kv[sh[k].Label]
		}
	}
	return out
}

// weights are the per-touch weights (summing to 1) of one path under a
// model.
func weights(m attribution.Model, p []string, q float64, re map[string]float64) []float64 {
	n := len(p)
	w := make([]float64, n)
	switch m {
	case attribution.FirstTouch:
		w[0] = 1
	case attribution.LastTouch:
		w[n-1] = 1
	case attribution.LastNonDirect:
		k := n - 1
		for t := n - 1; t >= 0; t-- {
			if !touch.IsDirect(p[t]) {
				k = t
				break
			}
		}
		w[k] = 1
	case attribution.Linear:
		for t := range w {
			w[t] = 1 / float64(n)
		}
	case attribution.TimeDecay:
		sum, wt := 0.0, 1.0
		for t := n - 1; t >= 0; t-- {
			w[t] = wt
			sum += wt
			wt *= q
		}
		for t := range w {
			w[t] /= sum
		}
	case attribution.Position:
		switch n {
		case 1:
			w[0] = 1
		case 2:
			w[0], w[1] = 0.5, 0.5
		default:
			w[0], w[n-1] = 0.4, 0.4
			for t := 1; t < n-1; t++ {
				w[t] = 0.2 / float64(n-2)
			}
		}
	case attribution.Shapley, attribution.Markov:
		// One weight per distinct label, on its first touch.
		first := map[string]int{}
		sum := 0.0
		for t, lb := range p {
			if _, ok := first[lb]; ok {
				continue
			}
			first[lb] = t
			x := 1.0
			if m == attribution.Markov {
				x = re[lb]
			}
			w[t] = x
			sum += x
		}
		if sum == 0 {
			// No removal effect on this path: split equally.
			for _, t := range first {
				w[t] = 1
			}
			sum = float64(len(first))
		}
		for t := range w {
			w[t] /= sum
		}
	}
	return w
}
