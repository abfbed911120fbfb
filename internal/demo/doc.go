// Package demo generates a realistic, deterministic synthetic history of a
// cross-border e-commerce seller for `tradewind demo`, which ingests it
// through the real pipeline.
//
// # The world
//
// The brand, Kiteline, sells travel and outdoor gear (Catalog: about 90
// products in six categories, priced in USD, EUR, GBP and JPY at real-looking
// price points) on six Sources: Amazon US, DE and JP, a Shopify EU store,
// TikTok Shop UK and its own website. Shoppers live in the US, Canada,
// Germany, Austria, Japan, the UK, France, Spain, Italy and the Netherlands;
// Chinese-speaking buyers live abroad in several of them. Each has a
// locale, an IANA time zone, a city, a name in their own script (Japanese
// and Chinese names are sometimes typed in Latin letters on western sites),
// mostly an e-mail address on an example domain and, where the national
// regulator publishes a range for fiction (US/Canada 555-01xx, Ofcom, the
// Bundesnetzagentur, ARCEP), a fictional phone number. IP addresses are from
// the documentation ranges only.
//
// About one buyer in five also shops on a second or third source: the same
// e-mail or phone under a different userId, sometimes in other letter case
// or national phone format, which is what identity resolution must undo.
// Web shoppers browse anonymously first, identify at checkout or sign-up,
// sometimes check out as guests (identify with an anonymousId and an
// e-mail only) and later register (alias, then identify); marketplaces know
// their buyer's account on every event.
//
// # Behaviour
//
// 65% of people become buyers. Buyers follow the BG/NBD story of Fader,
// Hardie and Lee (2005), with weeks as the unit: while alive, a buyer's
// repeat purchases arrive as a Poisson process with rate
// λ ~ Gamma(r = 0.45, α = 11) (mean 0.041 a week, about two a year), and
// after each repeat purchase the buyer drops out for good with probability
// p ~ Beta(a = 0.8, b = 2.6) (mean 0.24). The first purchase opens the
// history, so every customer's first purchase lies inside the window: the
// brand's cross-border business starts at Now−Months, and first purchases
// grow from 0.7× to 1.3× over the window. The Poisson rate is modulated by
// seasonality of the buyer's local date (Q4, Black Friday and Cyber
// Monday, Prime Day and Prime Big Deal Days for Amazon shoppers, Singles'
// Day for Chinese speakers and on TikTok Shop, Japanese New Year sales, a
// Christmas lull), by weekday and by hour of day in the buyer's own time
// zone. Order values follow Gamma-Gamma (Fader and Hardie 2013): the value
// of one order is z ~ Gamma(p = 6, ν) with ν ~ Gamma(q = 4, γ = 22.5) per
// person, a mean of 45 USD, turned into a basket of catalogue products at
// the source's price level. The other 35% of people only browse, and some
// of them sign up for the newsletter.
//
// Sessions carry page (or, on TikTok, screen) calls and the Segment
// e-commerce v2 events Products Searched, Product Viewed, Product Added,
// Checkout Started and Order Completed, with UTM campaign context and
// sometimes gclid, fbclid or ttclid in the landing URL. Browsing sessions
// (3λ + 0.15 a week while alive) sometimes abandon a cart. After an order
// come Order Cancelled (~1.5%), Order Refunded (~7%: whole, one line, or a
// goodwill part) and Product Reviewed (~13%, more after a refund) in
// English, German, Japanese, Spanish, Chinese, French or Italian, with
// ratings that fit the experience and texts built from per-language banks
// of phrases about shipping, quality, size and fit, price, packaging and
// service, with negations and emoji.
//
// One A/B test runs on the brand's own site for the last ExperimentDays days
// (ExperimentID): half the shoppers, by a hash of who they are, see a free
// shipping bar on product pages, announced with "Experiment Viewed"
// (experiment_id, variation_id); it raises the chance that a browsing visit
// adds to the cart from 22% to ExperimentCartChance, so the experiment
// statistics have a known truth to find.
//
// One problem is planted for analytics to find (see Incidents): orders on
// Amazon DE in one month suffered late deliveries, with more cancellations
// and refunds and a dip in ratings of reviews about shipping.
//
// Ad spend arrives as messages of the internal type "ad_spend" with no
// user, one per day, campaign and source, stamped at 00:00Z (see
// Campaigns). Spend is in the currency the ad account bills in: Amazon Ads
// in the marketplace's currency, Meta, Google and TikTok accounts in USD,
// affiliates, influencers and e-mail in the market's currency. Sessions
// carry only campaigns that have a spend row that day.
//
// # Money
//
// Amounts are exact: computed in integer minor units and written as JSON
// numbers with the currency's decimals (none for JPY). On every Order
// Completed, total = Σ price×quantity − discount + tax + shipping. USD
// orders of US buyers add sales tax ("tax"; exports in USD carry none).
// EUR, GBP and JPY prices include VAT or consumption tax at the buyer's
// country's rate, so there "tax" is 0, "tax_included" is true and "vat"
// tells the VAT inside the total. "revenue" is net of discount, VAT, tax and
// shipping, as the Segment spec defines it.
//
// # Output and determinism
//
// Generate streams messages through a callback in non-decreasing
// timestamp order across the whole run: every person is a lazy timeline
// that renders one session at a time, and a heap merges the timelines
// with the ad spend rows. Memory holds the people and their current
// sessions, never the stream. Every person and every ad spend day draws
// from its own PCG stream seeded from Config.Seed, and ties in the merge
// break by person index, so the same Config yields byte-identical output.
// Byte identity across CPU architectures is likely but not promised: a
// few draws go through floating-point functions whose last bit may differ.
//
// With the defaults (50,000 people, 12 months) a run emits about 2.1
// million messages (2.0 GB of JSON, 56,000 orders) in about 7 s of CPU on
// one core, with a peak RSS near 230 MB; see BenchmarkGenerate.
package demo
