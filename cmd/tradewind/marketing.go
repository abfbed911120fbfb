package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/peterbourgon/ff/v3/ffcli"
)

// periodFlags are the period flags of the store's marketing reports.
type periodFlags struct {
	from, to, model string
	lookback        int
}

func (p *periodFlags) register(fs *flag.FlagSet, def string) {
	fs.StringVar(&p.from, "from", "", "first day of the orders, YYYY-MM-DD (default 90 days before --to)")
	fs.StringVar(&p.to, "to", "", "last day of the orders, YYYY-MM-DD (default today)")
	fs.IntVar(&p.lookback, "lookback-days", 30, "look-back window of a journey before its order, in days")
	fs.StringVar(&p.model, "model", def, "attribution model: first, last, last_non_direct, linear, time_decay, position, markov or shapley")
}

func (p *periodFlags) query() url.Values {
	q := url.Values{"lookback_days": {strconv.Itoa(p.lookback)}, "model": {p.model}}
	if p.from != "" {
		q.Set("from", p.from)
	}
	if p.to != "" {
		q.Set("to", p.to)
	}
	return q
}

func fmtPtr(v *float64, f string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(f, *v)
}

func roiCommand() *ffcli.Command {
	var p periodFlags
	var group, by string
	var asJSON bool
	return command("roi", "tradewind roi [--group channel|campaign] [--by marketplace|week] [--model markov] [--from D --to D] [--json]",
		"return on ad spend per channel or campaign: spend in the base currency, attributed orders and revenue, ROAS, CAC, LTV:CAC",
		func(fs *flag.FlagSet) {
			p.register(fs, "markov")
			fs.StringVar(&group, "group", "channel", "channel or campaign")
			fs.StringVar(&by, "by", "", "also split by marketplace or week")
			fs.BoolVar(&asJSON, "json", false, "print JSON (GET /v1/roi)")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			q := p.query()
			q.Set("group", group)
			if by != "" {
				q.Set("by", by)
			}
			var out struct {
				Model    string   `json:"model"`
				Currency string   `json:"currency"`
				From     string   `json:"from"`
				To       string   `json:"to"`
				Rows     []roiRow `json:"rows"`
				Total    roiRow   `json:"total"`
			}
			if asJSON {
				var raw any
				if err := r.get(ctx, "/v1/roi?"+q.Encode(), &raw); err != nil {
					return err
				}
				return printJSON(raw)
			}
			if err := r.get(ctx, "/v1/roi?"+q.Encode(), &out); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "%s\tspend\torders\trevenue\tnew\tROAS\tCAC\tcost/order\tLTV:CAC\t\n", by)
			for _, x := range append(out.Rows, out.Total) {
				name := x.Channel
				if x.Campaign != "" {
					name += "/" + x.Campaign
				}
				split := x.Marketplace + x.Week
				fmt.Fprintf(tw, "%s %s\t%.2f\t%.1f\t%.2f\t%.1f\t%s\t%s\t%s\t%s\t\n", split, name, x.Spend, x.Conversions, x.Revenue, x.NewCustomers,
					fmtPtr(x.ROAS, "%.2f"), fmtPtr(x.CAC, "%.2f"), fmtPtr(x.CostPerOrder, "%.2f"), fmtPtr(x.LTVToCAC, "%.2f"))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Printf("%s to %s, %s, model %s\n", out.From, out.To, out.Currency, out.Model)
			return nil
		})
}

// roiRow is what the table reads of a row of GET /v1/roi.
type roiRow struct {
	Channel      string   `json:"channel"`
	Campaign     string   `json:"campaign"`
	Marketplace  string   `json:"marketplace"`
	Week         string   `json:"week"`
	Spend        float64  `json:"spend"`
	Conversions  float64  `json:"conversions"`
	Revenue      float64  `json:"revenue"`
	NewCustomers float64  `json:"new_customers"`
	ROAS         *float64 `json:"roas"`
	CAC          *float64 `json:"cac"`
	CostPerOrder *float64 `json:"cost_per_order"`
	LTVToCAC     *float64 `json:"ltv_to_cac"`
}

func influencersCommand() *ffcli.Command {
	var p periodFlags
	var channels string
	var asJSON bool
	return command("influencers", "tradewind influencers [--channels influencer,affiliate] [--from D --to D] [--json]",
		"influencers (KOL/KOC) ranked by their shrunk conversion rate, with reach, orders, revenue and return on fees",
		func(fs *flag.FlagSet) {
			p.register(fs, "markov")
			fs.StringVar(&channels, "channels", "influencer", "comma-separated channels whose campaigns are ranked")
			fs.BoolVar(&asJSON, "json", false, "print JSON (GET /v1/influencers)")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			q := p.query()
			q.Set("channels", channels)
			if asJSON {
				var raw any
				if err := r.get(ctx, "/v1/influencers?"+q.Encode(), &raw); err != nil {
					return err
				}
				return printJSON(raw)
			}
			var out struct {
				Prior struct {
					Alpha, Beta, Mean float64
				} `json:"prior"`
				Influencers []struct {
					Rank                      int
					Campaign, Coupon          string
					People, Converted, Orders int
					ConversionRate            float64 `json:"conversion_rate"`
					ShrunkRate                float64 `json:"shrunk_rate"`
					ShrunkRateLow             float64 `json:"shrunk_rate_low"`
					Revenue, Fees             float64
					NewCustomerShare          float64  `json:"new_customer_share"`
					AttributedRevenue         float64  `json:"attributed_revenue"`
					ReturnOnFees              *float64 `json:"return_on_fees"`
				} `json:"influencers"`
			}
			if err := r.get(ctx, "/v1/influencers?"+q.Encode(), &out); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "#\tcampaign\tcode\tpeople\tconverted\trate\tshrunk\t(5%)\torders\trevenue\tnew\tattributed\tfees\treturn\t")
			for _, x := range out.Influencers {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%.1f%%\t%.1f%%\t%.1f%%\t%d\t%.2f\t%.0f%%\t%.2f\t%.2f\t%s\t\n", x.Rank, x.Campaign, x.Coupon,
					x.People, x.Converted, 100*x.ConversionRate, 100*x.ShrunkRate, 100*x.ShrunkRateLow, x.Orders, x.Revenue,
					100*x.NewCustomerShare, x.AttributedRevenue, x.Fees, fmtPtr(x.ReturnOnFees, "%.2f"))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Printf("prior Beta(%.2f, %.2f), mean %.1f%%: small samples are pulled toward it\n", out.Prior.Alpha, out.Prior.Beta, 100*out.Prior.Mean)
			return nil
		})
}
