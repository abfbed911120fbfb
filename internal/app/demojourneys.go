package app

import (
	"context"
	"fmt"
	"time"

	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/journey"
	"github.com/tradewind/tradewind/internal/marketing"
)

// DemoPostalAddress is the demo shop's address for e-mail footers (US
// commercial e-mail must carry one; the content check blocks it otherwise).
const DemoPostalAddress = "Tradewind Demo Shop, 100 Market Street, Suite 300, San Francisco, CA 94105"

// demoJourneys are the journeys a new demo starts with: two drafts to dry-run
// and start (they e-mail, and the demo has no SMTP server until one is
// configured) and a running team notice on brand-health alerts.
func demoJourneys() []journey.Journey {
	week, month := journey.Duration(7*24*time.Hour), journey.Duration(30*24*time.Hour)
	return []journey.Journey{
		{ID: "abandoned-checkout", Name: "Abandoned checkout",
			Description: "A checkout with no order after 4 hours: one reminder in the shopper's language, and the CRM told.",
			Trigger:     journey.Trigger{Type: journey.TriggerAbandonedCheckout, Hours: 4},
			Steps: []journey.Step{
				{ID: "reminder", Type: journey.StepEmail, Template: &journey.Template{DefaultLocale: "en", Variants: map[string]journey.Variant{
					"en": {Subject: "{{.first_name}}, your basket is waiting", Text: "Hi {{.first_name}},\n\nyou left something in your basket. It is saved for you for a few more days."},
					"de": {Subject: "{{.first_name}}, Ihr Warenkorb wartet", Text: "Hallo {{.first_name}},\n\nin Ihrem Warenkorb liegt noch etwas. Wir heben es noch ein paar Tage für Sie auf."},
					"ja": {Subject: "{{.first_name}}様、カートに商品が残っています", Text: "{{.first_name}}様\n\nカートに商品が残っています。数日間保存されます。"},
					"zh": {Subject: "【广告】{{.first_name}}，您的购物车还有商品", Text: "{{.first_name}}您好：\n\n您的购物车里还有商品，我们会为您保留几天。"},
				}}},
			},
			Goal:           &journey.Goal{Event: "Order Completed", Within: week},
			Reentry:        journey.Reentry{Mode: journey.ReentryAfter, After: month},
			ControlPercent: 10,
		},
		{ID: "win-back-high-churn-risk", Name: "Win back customers at high churn risk",
			Description: "When the churn model moves a customer to high risk: a personal note, then, if they are still quiet after a week, the team is told.",
			Trigger:     journey.Trigger{Type: journey.TriggerPrediction, Attribute: "churn_tier", Op: "=", Value: "high"},
			Steps: []journey.Step{
				{ID: "note", Type: journey.StepEmail, Template: &journey.Template{DefaultLocale: "en", Variants: map[string]journey.Variant{
					"en": {Subject: "We miss you, {{.first_name}}", Text: "Hi {{.first_name}},\n\nit has been a while. Here is what is new in the shop this season."},
					"de": {Subject: "Wir vermissen Sie, {{.first_name}}", Text: "Hallo {{.first_name}},\n\nes ist eine Weile her. Das ist neu in unserem Shop in dieser Saison."},
					"zh": {Subject: "【广告】{{.first_name}}，好久不见", Text: "{{.first_name}}您好：\n\n好久不见，来看看本季店里的新品吧。"},
				}}},
				{ID: "wait", Type: journey.StepWait, Duration: week},
				{ID: "ordered", Type: journey.StepBranch, If: &journey.Condition{Event: "Order Completed"}, Then: "done"},
				{ID: "tell-team", Type: journey.StepNotify, Message: "A customer at high churn risk has not come back a week after the win-back note."},
				{ID: "done", Type: journey.StepExit},
			},
			Goal:           &journey.Goal{Event: "Order Completed", Within: month},
			ControlPercent: 20,
		},
		{ID: "brand-health-alerts", Name: "Brand-health alerts to the team",
			Description: "Every warning or critical brand-health alert becomes a notice in the inbox (add a webhook step for Slack or your ticketing system).",
			Trigger:     journey.Trigger{Type: journey.TriggerAlert, Grade: "warning"},
			Steps:       []journey.Step{{ID: "notice", Type: journey.StepNotify, Message: "Brand health: negative reviews departed from their usual level."}},
		},
	}
}

// SeedDemoJourneys defines the demo's journeys on a node that has none:
// the two that e-mail as drafts, the team notice running.
func (a *App) SeedDemoJourneys(ctx context.Context) (int, error) {
	if a.Journeys == nil || len(a.Journeys.Journeys()) > 0 {
		return 0, nil
	}
	n := 0
	for _, j := range demoJourneys() {
		saved, _, err := a.Journeys.Save(ctx, j, true, "demo")
		if err != nil {
			return n, fmt.Errorf("demo journey %s: %w", j.ID, err)
		}
		n++
		if saved.Trigger.Type == journey.TriggerAlert {
			if _, _, err := a.Journeys.SetStatus(ctx, saved.ID, journey.StatusActive, "demo"); err != nil {
				return n, fmt.Errorf("demo journey %s: %w", j.ID, err)
			}
		}
	}
	return n, nil
}

// SeedDemoExperiment defines the demo's A/B test (the free shipping bar the
// generator runs on the brand's site) on a node that does not have it, so
// its verdict is on the marketing page from the start.
func (a *App) SeedDemoExperiment(ctx context.Context) error {
	svc := a.marketing()
	if _, err := svc.GetExperiment(ctx, demo.ExperimentID); err == nil {
		return nil
	}
	_, err := svc.CreateExperiment(ctx, marketing.Experiment{ID: demo.ExperimentID, Name: demo.ExperimentName,
		Description: "Half the site's shoppers see a free shipping bar on product pages (the demo's truth: add-to-cart 22% → 27% of browsing visits).",
		Variants:    []marketing.Variant{{ID: "0", Name: "control"}, {ID: "1", Name: "free shipping bar"}},
		Metrics: []marketing.Metric{{Name: "adds to cart", Kind: marketing.MetricCount, Event: "Product Added", WindowDays: 14},
			{Name: "orders", Kind: marketing.MetricConversion, WindowDays: 14}, {Name: "revenue", Kind: marketing.MetricRevenue, WindowDays: 14}},
	}, "demo")
	return err
}
