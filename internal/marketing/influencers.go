package marketing

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/tradewind/tradewind/internal/attribution"
	"github.com/tradewind/tradewind/internal/touch"
)

// Prior is a beta prior of conversion rates, fitted across influencers.
type Prior struct {
	Alpha float64 `json:"alpha"`
	Beta  float64 `json:"beta"`
	// Mean is α/(α+β), the pooled rate every small sample is pulled to.
	Mean float64 `json:"mean"`
}

// Shrink is the posterior mean rate of x successes in n trials under the
// prior: (x + α)/(n + α + β). With few trials it stays near the prior
// mean; with many it approaches x/n.
func (p Prior) Shrink(x, n float64) float64 {
	if n+p.Alpha+p.Beta == 0 {
		return 0
	}
	return (x + p.Alpha) / (n + p.Alpha + p.Beta)
}

// Low is the 5th percentile of the posterior Beta(x + α, n − x + β): a
// rate the influencer beats with 95% probability. Ranking by it rather
// than by the posterior mean keeps a handful of lucky conversions below a
// large, well-measured rate even when influencers differ so much that the
// fitted prior is weak (and the posterior mean of 2 of 3 is still high).
func (p Prior) Low(x, n float64) float64 {
	a, b := x+p.Alpha, n-x+p.Beta
	if a <= 0 || b <= 0 {
		return 0
	}
	return distuv.Beta{Alpha: a, Beta: b}.Quantile(0.05)
}

// FitPrior fits a beta-binomial prior to successes x[i] of trials n[i] by
// the method of moments, weighting each rate by its trials (Kleinman
// 1973): the pooled rate m = Σx/Σn is the prior mean, and the
// intra-class correlation ρ = 1/(α+β+1) comes from the weighted spread
// S = Σ n_i (x_i/n_i − m)², whose expectation is
// m(1−m)·Σ(1 − n_i/N)(1 + (n_i − 1)ρ) with N = Σn. When the rates spread
// no more than binomial noise explains (ρ ≤ 0), every rate is shrunk to m
// with a prior worth 10⁶ trials; ρ is kept below 1 so that a prior is
// always worth at least a small fraction of a trial.
func FitPrior(x, n []float64) Prior {
	var sx, sn float64
	for i := range n {
		if n[i] > 0 {
			sx += x[i]
			sn += n[i]
		}
	}
	if sn == 0 {
		return Prior{Alpha: 1, Beta: 1, Mean: 0.5}
	}
	m := sx / sn
	if m <= 0 || m >= 1 {
		// Nobody (or everybody) converted: a weak prior at the pooled rate.
		m = math.Min(math.Max(m, 0.5/sn), 1-0.5/sn)
		return Prior{Alpha: m, Beta: 1 - m, Mean: m}
	}
	var s, a, b float64
	k := 0
	for i := range n {
		if n[i] <= 0 {
			continue
		}
		k++
		r := x[i] / n[i]
		s += n[i] * (r - m) * (r - m)
		f := 1 - n[i]/sn
		a += f
		b += f * (n[i] - 1)
	}
	rho := 1e-6
	if k > 1 && b > 0 {
		rho = (s/(m*(1-m)) - a) / b
	}
	rho = math.Min(math.Max(rho, 1e-6), 0.99)
	ab := 1/rho - 1
	return Prior{Alpha: m * ab, Beta: (1 - m) * ab, Mean: m}
}

// InfluencerQuery asks for the influencer board.
type InfluencerQuery struct {
	Period
	// Model attributes revenue for the return on fees (default markov).
	Model attribution.Model
	// Channels whose campaigns are ranked (default influencer).
	Channels []string
	Options
}

// Influencer is one influencer's (campaign's) line of the board.
type Influencer struct {
	Campaign string `json:"campaign"`
	Channel  string `json:"channel"`
	// Coupon is the discount code tied to the campaign, if any.
	Coupon string `json:"coupon,omitempty"`
	// Sessions is the reach: visits that came through the campaign;
	// People the distinct profiles among them.
	Sessions int `json:"sessions"`
	People   int `json:"people"`
	// Links counts the sessions per link (utm_content: the post, story
	// or video the visit came from).
	Links map[string]int `json:"links,omitempty"`
	// Clicks as the platform reported them in ad spend rows.
	Clicks int64 `json:"clicks"`
	// Orders, Revenue: orders within the look-back after a touch of the
	// campaign, or with its code; NewCustomerShare the share of them that
	// were the buyer's first.
	Orders           int     `json:"orders"`
	Revenue          float64 `json:"revenue"`
	NewCustomerShare float64 `json:"new_customer_share"`
	// Converted: people who ordered within the look-back after their
	// first touch (or used the code).
	Converted      int     `json:"converted"`
	ConversionRate float64 `json:"conversion_rate"`
	// ShrunkRate is the conversion rate pulled toward the prior by how
	// few people it rests on (the posterior mean); ShrunkRateLow the
	// posterior's 5th percentile, the ranking key.
	ShrunkRate    float64 `json:"shrunk_rate"`
	ShrunkRateLow float64 `json:"shrunk_rate_low"`
	// Attributed conversions and revenue by the model.
	AttributedOrders  float64 `json:"attributed_orders"`
	AttributedRevenue float64 `json:"attributed_revenue"`
	// Fees are the campaign's ad spend rows in the base currency;
	// ReturnOnFees attributed revenue / fees (nil without fees).
	Fees         float64  `json:"fees"`
	ReturnOnFees *float64 `json:"return_on_fees"`
	Rank         int      `json:"rank"`
}

// InfluencerResult is the board.
type InfluencerResult struct {
	From         string       `json:"from"`
	To           string       `json:"to"`
	LookbackDays float64      `json:"lookback_days"`
	Model        string       `json:"model"`
	Prior        Prior        `json:"prior"`
	Influencers  []Influencer `json:"influencers"`
}

// Influencers ranks the campaigns of the influencer channel by their
// shrunk conversion rate (its posterior's lower bound), with reach, orders, revenue, new-customer share
// and return on fees (fees are the campaign's ad spend rows).
func (s *Service) Influencers(ctx context.Context, q InfluencerQuery) (*InfluencerResult, error) {
	if q.Model == "" {
		q.Model = attribution.Markov
	}
	chans := map[string]bool{}
	for _, c := range q.Channels {
		chans[c] = true
	}
	if len(chans) == 0 {
		chans[touch.Influencer] = true
	}
	key := fmt.Sprintf("influencers %s %v %+v", q.Model, slices.Sorted(maps.Keys(chans)), q.Options)
	return analyse(ctx, s, q.Period, key, func(ctx context.Context, d *Data, p Period) (*InfluencerResult, error) {
		return s.influencers(ctx, d, p, q, chans)
	})
}

func (s *Service) influencers(ctx context.Context, d *Data, p Period, q InfluencerQuery, chans map[string]bool) (*InfluencerResult, error) {
	js := d.journeys()
	rep, _, err := d.Attribute(js, ByCampaign, q.Model, q.Options)
	if err != nil {
		return nil, err
	}
	attributed := map[string]Credit{}
	for _, c := range rep.Channels {
		attributed[c.Channel] = c
	}
	coupons := map[string]string{} // campaign → code
	for code, c := range d.Coupons {
		if chans[c.Channel] {
			if old, ok := coupons[c.Campaign]; !ok || code < old {
				coupons[c.Campaign] = code
			}
		}
	}
	type acc struct {
		Influencer
		newOrders int
	}
	board := map[string]*acc{}
	get := func(ch, camp string) *acc {
		a := board[camp]
		if a == nil {
			a = &acc{Influencer: Influencer{Campaign: camp, Channel: ch, Coupon: coupons[camp]}}
			board[camp] = a
		}
		return a
	}
	for pi := range d.Profiles {
		pr := &d.Profiles[pi]
		first := map[string]time.Time{}
		var touches []Touchpoint
		for _, t := range pr.Touches {
			if !chans[t.Channel] || t.Campaign == "" || t.At.Before(d.From) {
				continue
			}
			touches = append(touches, t)
			a := get(t.Channel, t.Campaign)
			a.Sessions++
			if t.Content != "" {
				if a.Links == nil {
					a.Links = map[string]int{}
				}
				a.Links[t.Content]++
			}
			if _, ok := first[t.Campaign]; !ok {
				first[t.Campaign] = t.At
				a.People++
			}
		}
		converted := map[string]bool{}
		for _, o := range pr.Orders {
			if o.At.Before(d.From) {
				continue
			}
			counted := map[string]bool{}
			for _, t := range touches {
				if !t.At.After(o.At) && !o.At.After(t.At.Add(d.Lookback)) {
					counted[t.Campaign] = true
				}
			}
			if c, ok := d.Coupons[o.Coupon]; ok && o.Coupon != "" && chans[c.Channel] {
				if !counted[c.Campaign] {
					a := get(c.Channel, c.Campaign)
					if _, ok := first[c.Campaign]; !ok {
						// A buyer reached by the code alone is reached too.
						first[c.Campaign] = o.At
						a.People++
					}
				}
				counted[c.Campaign] = true
			}
			for camp := range counted {
				a := board[camp]
				a.Orders++
				a.Revenue += o.Value
				if o.Rank == 1 {
					a.newOrders++
				}
				if !converted[camp] && !o.At.Before(first[camp]) && !o.At.After(first[camp].Add(d.Lookback)) ||
					!converted[camp] && o.Coupon != "" && coupons[camp] == o.Coupon {
					converted[camp] = true
					a.Converted++
				}
			}
		}
	}
	// Fees and clicks: the campaigns' spend rows.
	sp, err := s.spend(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, x := range sp {
		if !chans[x.channel] || x.campaign == "" {
			continue
		}
		a := get(x.channel, x.campaign)
		a.Fees += x.spend
		a.Clicks += x.clicks
	}
	var xs, ns []float64
	for _, a := range board {
		xs = append(xs, float64(a.Converted))
		ns = append(ns, float64(a.People))
	}
	prior := FitPrior(xs, ns)
	out := &InfluencerResult{From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly), LookbackDays: p.Lookback.Hours() / 24,
		Model: string(q.Model), Prior: prior, Influencers: []Influencer{}}
	for _, a := range board {
		in := a.Influencer
		if in.People > 0 {
			in.ConversionRate = round(float64(in.Converted)/float64(in.People), 6)
		}
		in.ShrunkRate = round(prior.Shrink(float64(in.Converted), float64(in.People)), 6)
		in.ShrunkRateLow = round(prior.Low(float64(in.Converted), float64(in.People)), 6)
		if in.Orders > 0 {
			in.NewCustomerShare = round(float64(a.newOrders)/float64(in.Orders), 4)
		}
		c := attributed[in.Channel+"/"+in.Campaign]
		in.AttributedOrders, in.AttributedRevenue = round(c.Conversions, 4), round(c.Value, 2)
		in.Revenue, in.Fees = round(in.Revenue, 2), round(in.Fees, 2)
		if in.Fees > 0 {
			v := round(c.Value/in.Fees, 4)
			in.ReturnOnFees = &v
		}
		out.Influencers = append(out.Influencers, in)
	}
	Rank(out.Influencers)
	return out, nil
}

// Rank orders influencers by the lower bound of their shrunk conversion
// rate, then its mean, then attributed revenue and name, and numbers them
// from 1.
func Rank(in []Influencer) {
	sort.SliceStable(in, func(i, j int) bool {
		a, b := in[i], in[j]
		if a.ShrunkRateLow != b.ShrunkRateLow {
			return a.ShrunkRateLow > b.ShrunkRateLow
		}
		if a.ShrunkRate != b.ShrunkRate {
			return a.ShrunkRate > b.ShrunkRate
		}
		if a.AttributedRevenue != b.AttributedRevenue {
			return a.AttributedRevenue > b.AttributedRevenue
		}
		return a.Campaign < b.Campaign
	})
	for i := range in {
		in[i].Rank = i + 1
	}
}
