package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"math"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tradewind/tradewind/internal/audience"
)

// Attribute names of the predictions, as segment rules address them (the
// columns of customer_predictions).
const (
	AttrCLV               = "clv"                // base currency, discounted
	AttrPAlive            = "p_alive"            // 0..1
	AttrExpectedPurchases = "expected_purchases" // over the run's horizon
	AttrChurnRisk         = "churn_risk"         // 0..1
	AttrChurnTier         = "churn_tier"         // high, medium, low
)

// predictionAttrs are the prediction attributes and their types.
var predictionAttrs = map[string]audience.Type{
	AttrCLV: audience.Number, AttrPAlive: audience.Number, AttrExpectedPurchases: audience.Number,
	AttrChurnRisk: audience.Number, AttrChurnTier: audience.String,
}

// prefPrediction keys each profile's latest predictions in the engine's
// Pebble: q/<profile> → JSON. They come from the prediction runs, not from
// the log, so a replay of the log keeps them (the prefix is not the
// profile part's).
const prefPrediction = "q/"

// Prediction is one profile's latest predictions; NaN is unknown.
type Prediction struct {
	CLV               float64 `json:"clv"`
	PAlive            float64 `json:"p_alive"`
	ExpectedPurchases float64 `json:"expected_purchases"`
	ChurnRisk         float64 `json:"churn_risk"`
	ChurnTier         string  `json:"churn_tier,omitempty"`
}

// predictionJSON encodes NaN as null (JSON has no NaN).
type predictionJSON struct {
	CLV               *float64 `json:"clv,omitempty"`
	PAlive            *float64 `json:"p_alive,omitempty"`
	ExpectedPurchases *float64 `json:"expected_purchases,omitempty"`
	ChurnRisk         *float64 `json:"churn_risk,omitempty"`
	ChurnTier         string   `json:"churn_tier,omitempty"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// usesPredictions reports whether any segment's rule reads a prediction.
func (p *parts) usesPredictions() bool {
	for _, s := range p.segs {
		found := false
		walkRule(s.Rule, func(c audience.TraitCond) {
			if _, ok := predictionAttrs[c.Attr]; ok {
				found = true
			}
		}, nil)
		if found {
			return true
		}
	}
	return false
}

// loadPrediction reads a profile's predictions as attributes (nil when it
// has none).
func loadPrediction(kv batchKV, pid string) (map[string]any, error) {
	v, err := kv.Get([]byte(pid))
	if err != nil || v == nil {
		return nil, err
	}
	var pj predictionJSON
	if err := json.Unmarshal(v, &pj); err != nil {
		return nil, nil // an unreadable entry is no prediction
	}
	attrs := make(map[string]any, len(predictionAttrs))
	for name, f := range map[string]*float64{AttrCLV: pj.CLV, AttrPAlive: pj.PAlive,
		AttrExpectedPurchases: pj.ExpectedPurchases, AttrChurnRisk: pj.ChurnRisk} {
		if f != nil {
			attrs[name] = *f
		}
	}
	if pj.ChurnTier != "" {
		attrs[AttrChurnTier] = pj.ChurnTier
	}
	return attrs, nil
}

// SetPredictions replaces every profile's predictions with those of a new
// run (profiles missing from it lose theirs) and, when a segment uses
// them, re-evaluates the profiles whose predictions changed, publishing
// their membership changes.
func (e *Engine) SetPredictions(ctx context.Context, preds map[string]Prediction) error {
	var changed []string
	e.mu.Lock()
	b := e.db.NewBatch()
	// Remove what the new run no longer has.
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte(prefPrediction), UpperBound: []byte("q0")})
	if err != nil {
		e.mu.Unlock()
		return err
	}
	seen := map[string][]byte{}
	for ok := it.First(); ok; ok = it.Next() {
		pid := string(bytes.TrimPrefix(it.Key(), []byte(prefPrediction)))
		if _, keep := preds[pid]; !keep {
			_ = b.Delete(it.Key(), nil)
			changed = append(changed, pid)
			continue
		}
		seen[pid] = bytes.Clone(it.Value())
	}
	if err := it.Close(); err != nil {
		e.mu.Unlock()
		return err
	}
	for pid, p := range preds {
		v, _ := json.Marshal(predictionJSON{CLV: finite(p.CLV), PAlive: finite(p.PAlive),
			ExpectedPurchases: finite(p.ExpectedPurchases), ChurnRisk: finite(p.ChurnRisk), ChurnTier: p.ChurnTier})
		if old, ok := seen[pid]; ok && bytes.Equal(old, v) {
			continue
		}
		_ = b.Set([]byte(prefPrediction+pid), v, nil)
		changed = append(changed, pid)
	}
	err = b.Commit(pebble.Sync)
	b.Close()
	for _, pid := range changed {
		e.cache.forget(prefPrediction + pid) // written around the cache
	}
	uses := e.parts.usesPredictions()
	e.mu.Unlock()
	if err != nil || !uses {
		return err
	}
	for len(changed) > 0 {
		n := min(len(changed), 2000)
		if err := e.evaluateSome(ctx, changed[:n], "predictions"); err != nil {
			return err
		}
		changed = changed[n:]
	}
	return nil
}

// HasPredictions reports whether the engine holds any prediction (a new
// engine, or one whose state was deleted, is given the store's).
func (e *Engine) HasPredictions() bool {
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte(prefPrediction), UpperBound: []byte("q0")})
	if err != nil {
		return false
	}
	defer it.Close()
	return it.First()
}
