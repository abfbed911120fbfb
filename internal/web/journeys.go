package web

import (
	"encoding/json"
	"net/http"
)

// exampleJourney is the definition the journeys page's editor starts
// with: an abandoned-checkout reminder written in the user's language (its
// name, the team notice, and the e-mail variant of that language first).
// It is the journey engine's JSON (internal/journey.Journey); the tests
// check that the engine accepts it.
func exampleJourney(l Lang) string {
	m := catalog(l)
	en := map[string]string{
		"subject": "You left something in your cart, {{.first_name}}",
		"text":    "Hello {{.first_name}},\n\nyour cart is still waiting for you. Complete your order whenever you like.",
	}
	// A commercial e-mail to China must carry 广告 at the front of its
	// subject (the compliance check blocks it otherwise).
	zh := map[string]string{
		"subject": "【广告】{{.first_name}}，您的购物车还在等您",
		"text":    "{{.first_name}}，您好：\n\n您的购物车里还有商品，随时可以回来完成下单。",
	}
	def := "en"
	if l == Zh {
		def = "zh-CN"
	}
	j := map[string]any{
		"id":          "abandoned-checkout",
		"name":        m["journeys.example_name"],
		"description": m["journeys.example_description"],
		"trigger":     map[string]any{"type": "abandoned_checkout", "hours": 1},
		"steps": []any{
			map[string]any{"id": "reminder", "type": "email", "template": map[string]any{
				"default_locale": def,
				"variants":       map[string]any{"en": en, "zh-CN": zh},
			}},
			map[string]any{"id": "wait-1d", "type": "wait", "duration": "1d"},
			map[string]any{"id": "repeat-buyer", "type": "branch",
				"if":   map[string]any{"computed": "orders", "op": ">=", "value": 2},
				"then": "tell-team", "else": "end"},
			map[string]any{"id": "tell-team", "type": "notify", "message": m["journeys.example_notice"]},
			map[string]any{"id": "end", "type": "exit"},
		},
		"goal":            map[string]any{"event": "Order Completed", "within": "7d"},
		"reentry":         map[string]any{"mode": "after", "after": "30d"},
		"control_percent": 10,
		"consent":         "required",
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		panic(err) // maps of plain values always marshal
	}
	return string(b)
}

// journeysData gives the journeys page the journey to open
// (/journeys/{id}) and the editor's example.
func (u *UI) journeysData(r *http.Request, v *view) {
	v.JourneyID = r.PathValue("id")
	v.JourneyExample = exampleJourney(v.Lang)
}
