package pii

import (
	"fmt"
	"strings"
)

// Tier is how sensitive a field is. The zero value is Low, so that anything
// the rules do not recognise is treated as ordinary data rather than
// refused.
type Tier int

// The tiers, least sensitive first, so that tiers compare with < and >.
const (
	// Low is ordinary data: stored and shown in clear.
	Low Tier = iota
	// Medium is a quasi-identifier (an IP address, a device id, a precise
	// location, a user agent): stored in clear because analytics need it,
	// but reported by Encrypt so that retention and display rules can treat
	// it apart.
	Medium
	// High is data that identifies or harms a person on its own (an email,
	// a phone, an address, a name, a card number, a government id): it is
	// encrypted at ingest under the person's own key.
	High
)

// String returns "low", "medium" or "high"; a value outside the range is
// shown with its number so that a bug is visible, never mistaken for a tier.
func (t Tier) String() string {
	switch t {
	case Low:
		return "low"
	case Medium:
		return "medium"
	case High:
		return "high"
	}
	return fmt.Sprintf("Tier(%d)", int(t))
}

// ParseTier reads a tier name as String writes it, ignoring case and
// surrounding space.
func ParseTier(s string) (Tier, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "low":
		return Low, nil
	case "medium":
		return Medium, nil
	case "high":
		return High, nil
	}
	return Low, fmt.Errorf("pii: tier must be low, medium or high, got %q", s)
}

// MarshalText writes the tier's name, so that tiers read well in JSON and
// configuration files.
func (t Tier) MarshalText() ([]byte, error) {
	if t < Low || t > High {
		return nil, fmt.Errorf("pii: invalid tier %d", int(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText reads a tier's name (see ParseTier).
func (t *Tier) UnmarshalText(b []byte) error {
	v, err := ParseTier(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
