package learn

import (
	"encoding/json"
	"fmt"
)

// UnmarshalJSON decodes a model and rejects other format versions and trees
// whose child indices or features are out of range, so that a corrupt model
// fails at load time instead of panicking or mis-scoring later.
func (m *GBT) UnmarshalJSON(b []byte) error {
	type plain GBT
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Version != FormatVersion {
		return fmt.Errorf("learn: gbt model format version %d, want %d", v.Version, FormatVersion)
	}
	p := len(v.Names)
	if len(v.Importance) != p {
		return fmt.Errorf("learn: gbt model has %d names but %d importances", p, len(v.Importance))
	}
	for ti, t := range v.Trees {
		if len(t.Nodes) == 0 {
			return fmt.Errorf("%w: tree %d is empty", errBadTree, ti)
		}
		for k, n := range t.Nodes {
			if n.Feature < 0 {
				continue
			}
			// Children after parents: routing always terminates.
			if int(n.Feature) >= p || n.Left <= int32(k) || n.Right <= int32(k) ||
				int(n.Left) >= len(t.Nodes) || int(n.Right) >= len(t.Nodes) {
				return fmt.Errorf("%w: tree %d node %d", errBadTree, ti, k)
			}
		}
	}
	*m = GBT(v)
	return nil
}
