package identity

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/privacy/pii"
)

// The ground-truth corpus: people of households buying across three
// marketplaces (Amazon DE, a Shopify store, the brand's own site and its
// app), each message labelled with the person who sent it. Emails and
// phones go through the privacy layer's real normalisation and blind
// index, so their variants (case, Gmail dots and +tags, googlemail, phone
// formats) meet as the same token exactly when production would make them
// meet.

// corpusIndexKey is the blind-index key of the corpus (any 32 bytes).
var corpusIndexKey = []byte("tradewind-identity-corpus-key-32")

// Sources of the corpus. The site and its app share one user-id space.
const (
	srcAmazon = "amazon_de"
	srcShop   = "shopify_eu"
	srcWeb    = "web"
	srcApp    = "app"
)

func corpusConfig() Config {
	return Config{
		Blocklist: []ID{
			{Kind: Email, Value: emailToken("test@test.com")},
			{Kind: Email, Value: emailToken("noreply@example.com")},
			{Kind: Phone, Value: phoneToken("0000000000")},
		},
		SharedUserSpaces: map[string]string{srcWeb: "site", srcApp: "site"},
	}
}

// tokens memoises tokenisation: the corpus writes the same spellings
// many times, and phone parsing is slow under the race detector.
var tokens sync.Map

func emailToken(raw string) string {
	if v, ok := tokens.Load("e" + raw); ok {
		return v.(string)
	}
	n, ok := pii.NormalizeEmail(raw)
	if !ok {
		panic("corpus: not an email: " + raw)
	}
	tok := string(pii.BlindIndex(corpusIndexKey, pii.KindEmail, n))
	tokens.Store("e"+raw, tok)
	return tok
}

// phoneToken tokenises a phone in any format; junk that is no number at
// all ("0000000000" in Germany is not) is tokenised as written, as a
// caller's blocklist would.
func phoneToken(raw string) string {
	if v, ok := tokens.Load("p" + raw); ok {
		return v.(string)
	}
	n, ok := pii.NormalizePhone(raw, "DE")
	if !ok {
		n = raw
	}
	tok := string(pii.BlindIndex(corpusIndexKey, pii.KindPhone, n))
	tokens.Store("p"+raw, tok)
	return tok
}

type person struct {
	id         int
	household  int
	webUser    string // "" if no account on the site
	webUser2   string // a second account on the site (rare)
	app        bool
	customer   string // Shopify customer id
	buyer      string // Amazon buyer id
	relay      string // Amazon's relay email for the buyer
	email      string // raw address (variants are generated per message)
	email2     string // a genuinely different second address
	phone      string // national significant part, "" if none
	browsers   []string
	appDevice  string
	storefront []string
	famEmail   string // the household's shared address, if they use one
	tablet     string // the household's shared tablet
	landline   string // the household's shared phone
	agency     string // a parcel forwarder's address used for shop orders
	agencyTel  string
}

type corpusMsg struct {
	at     time.Time
	order  int
	person int
	source string
	ids    []ID
}

type corpus struct {
	people []*person
	msgs   []corpusMsg
}

var firstNames = []string{"anna", "lukas", "mia", "leon", "emma", "paul", "sofia", "jonas", "lena", "felix", "marie", "noah", "hannah", "elias", "lea", "ben", "clara", "finn", "ida", "max", "yuki", "wei", "li", "chen", "aiko", "omar", "fatma", "ivan", "olga", "pierre"}
var lastNames = []string{"schmidt", "mueller", "schneider", "fischer", "weber", "meyer", "wagner", "becker", "schulz", "hoffmann", "koch", "richter", "klein", "wolf", "neumann", "zhang", "wang", "tanaka", "sato", "kim", "nguyen", "rossi", "dubois", "novak", "silva"}
var domains = []string{"gmail.com", "gmail.com", "gmail.com", "gmail.com", "outlook.com", "outlook.com", "web.de", "web.de", "gmx.de", "yahoo.com", "icloud.com", "firma-example.de"}

// genCorpus generates n people (in households) and their messages over a
// year, in time order.
func genCorpus(n int, seed uint64) *corpus {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := &corpus{}
	uniq := 0
	next := func(prefix string) string {
		uniq++
		return fmt.Sprintf("%s%07d%03x", prefix, uniq, rng.IntN(4096))
	}
	uuid := func() string {
		return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), 0x8000|rng.IntN(1<<14), rng.Uint64()&(1<<48-1))
	}
	agencies := make([]string, 6)
	agencyTels := make([]string, 6)
	for i := range agencies {
		agencies[i] = fmt.Sprintf("orders+%d@forwarder%d-example.com", i, i)
		agencyTels[i] = fmt.Sprintf("+49 40 555%04d", i)
	}
	household := 0
	for len(c.people) < n {
		// About one customer in nine lives with another customer of the
		// brand; those households share an address, a tablet or a
		// landline often.
		size := 1
		switch x := rng.Float64(); {
		case x < 0.04:
			size = 2
		case x < 0.05:
			size = 3
		case x < 0.055:
			size = 4
		}
		var fam, tablet, landline string
		last := lastNames[rng.IntN(len(lastNames))]
		if size > 1 {
			if rng.Float64() < 0.4 {
				fam = fmt.Sprintf("familie.%s%d@gmail.com", last, household)
			}
			if rng.Float64() < 0.4 {
				tablet = uuid()
			}
			if rng.Float64() < 0.2 {
				landline = fmt.Sprintf("+49 30 %07d", 1000000+household)
			}
		}
		for k := 0; k < size && len(c.people) < n; k++ {
			p := &person{id: len(c.people), household: household, famEmail: fam, tablet: tablet, landline: landline}
			first := firstNames[rng.IntN(len(firstNames))]
			p.email = fmt.Sprintf("%s.%s%d@%s", first, last, p.id, domains[rng.IntN(len(domains))])
			if rng.Float64() < 0.15 {
				p.email2 = fmt.Sprintf("%s%d@%s", first, p.id, domains[rng.IntN(len(domains))])
			}
			if rng.Float64() < 0.7 {
				p.phone = fmt.Sprintf("15%d%08d", 1+rng.IntN(9), p.id)
			}
			if rng.Float64() < 0.75 {
				p.webUser = next("u")
				if rng.Float64() < 0.01 {
					p.webUser2 = next("u")
				}
				p.app = rng.Float64() < 0.3
			}
			if rng.Float64() < 0.5 {
				p.customer = next("gid-customer-")
			}
			if rng.Float64() < 0.45 || p.webUser == "" && p.customer == "" {
				p.buyer = "A" + strings.ToUpper(next("b"))
				p.relay = strings.ToLower(next("r")) + "@marketplace.amazon.de"
			}
			for range 1 + rng.IntN(3) {
				p.browsers = append(p.browsers, uuid())
			}
			if p.app {
				p.appDevice = uuid()
			}
			for range 1 + rng.IntN(2) {
				p.storefront = append(p.storefront, uuid())
			}
			if rng.Float64() < 0.015 {
				a := rng.IntN(len(agencies))
				p.agency, p.agencyTel = agencies[a], agencyTels[a]
			}
			c.people = append(c.people, p)
		}
		household++
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range c.people {
		g := &msgGen{c: c, p: p, rng: rng, uuid: uuid}
		sessions := 3 + rng.IntN(14)
		for range sessions {
			g.at = start.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
			g.session()
		}
	}
	sort.Slice(c.msgs, func(i, j int) bool {
		if !c.msgs[i].at.Equal(c.msgs[j].at) {
			return c.msgs[i].at.Before(c.msgs[j].at)
		}
		return c.msgs[i].order < c.msgs[j].order
	})
	return c
}

type msgGen struct {
	c    *corpus
	p    *person
	rng  *rand.Rand
	at   time.Time
	uuid func() string
}

func (g *msgGen) emit(source string, ids ...ID) {
	// 3% of messages carry a junk value somewhere.
	if g.rng.Float64() < 0.03 {
		switch g.rng.IntN(5) {
		case 0:
			ids = append(ids, ID{Kind: Email, Value: emailToken(pick(g.rng, "test@test.com", "TEST@test.com ", "noreply@example.com"))})
		case 1:
			ids = append(ids, ID{Kind: Phone, Value: phoneToken("0000000000")})
		case 2:
			ids = append(ids, ID{Kind: User, NS: source, Value: pick(g.rng, "null", "0", "undefined", "guest")})
		case 3:
			ids = append(ids, ID{Kind: Anon, Value: pick(g.rng, "undefined", "null", "00000000-0000-0000-0000-000000000000")})
		case 4:
			ids = append(ids, ID{Kind: "shopify_customer", NS: srcShop, Value: "0"})
		}
	}
	g.at = g.at.Add(time.Duration(5+g.rng.IntN(120)) * time.Second)
	g.c.msgs = append(g.c.msgs, corpusMsg{at: g.at, order: len(g.c.msgs), person: g.p.id, source: source, ids: ids})
}

func pick(rng *rand.Rand, s ...string) string { return s[rng.IntN(len(s))] }

// emailVariant writes an address the way people and forms do: random
// case, for Gmail dots moved and +tags, googlemail.com, stray spaces.
func (g *msgGen) emailVariant(addr string) ID {
	at := strings.LastIndexByte(addr, '@')
	local, domain := addr[:at], addr[at+1:]
	r := g.rng
	switch domain {
	case "gmail.com":
		if r.Float64() < 0.3 {
			local = strings.ReplaceAll(local, ".", "")
		}
		if r.Float64() < 0.2 && len(local) > 3 {
			i := 1 + r.IntN(len(local)-2)
			local = local[:i] + "." + local[i:]
			local = strings.ReplaceAll(local, "..", ".")
		}
		if r.Float64() < 0.2 {
			local += "+" + pick(r, "shop", "amazon", "news", "de")
		}
		if r.Float64() < 0.1 {
			domain = "googlemail.com"
		}
	case "outlook.com", "icloud.com":
		if r.Float64() < 0.2 {
			local += "+" + pick(r, "shop", "news")
		}
	}
	s := local + "@" + domain
	if r.Float64() < 0.2 {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	if r.Float64() < 0.05 {
		s = strings.ToUpper(s)
	}
	if r.Float64() < 0.05 {
		s = " " + s + " "
	}
	return ID{Kind: Email, Value: emailToken(s)}
}

func (g *msgGen) phoneVariant(nsn string) ID {
	var s string
	switch g.rng.IntN(4) {
	case 0:
		s = "+49 " + nsn[:3] + " " + nsn[3:]
	case 1:
		s = "0" + nsn[:3] + " " + nsn[3:]
	case 2:
		s = "0049" + nsn
	default:
		s = "+49" + nsn
	}
	return ID{Kind: Phone, Value: phoneToken(s)}
}

// myEmail picks the address a person gives: their own mostly, sometimes
// their second one or the household's.
func (g *msgGen) myEmail() ID {
	p, x := g.p, g.rng.Float64()
	switch {
	case p.famEmail != "" && x < 0.3:
		return g.emailVariant(p.famEmail)
	case p.email2 != "" && x < 0.5:
		return g.emailVariant(p.email2)
	}
	return g.emailVariant(p.email)
}

func (g *msgGen) myPhone() (ID, bool) {
	p := g.p
	if p.landline != "" && (p.phone == "" || g.rng.Float64() < 0.4) {
		return ID{Kind: Phone, Value: phoneToken(p.landline)}, true
	}
	if p.phone == "" {
		return ID{}, false
	}
	return g.phoneVariant(p.phone), true
}

func (g *msgGen) session() {
	p, r := g.p, g.rng
	var channels []string
	if len(p.browsers) > 0 {
		channels = append(channels, srcWeb, srcWeb)
	}
	if p.app {
		channels = append(channels, srcApp)
	}
	if p.customer != "" || r.Float64() < 0.3 {
		channels = append(channels, srcShop)
	}
	if p.buyer != "" {
		channels = append(channels, srcAmazon, srcAmazon)
	}
	switch channels[r.IntN(len(channels))] {
	case srcWeb:
		g.webSession()
	case srcApp:
		g.appSession()
	case srcShop:
		g.shopSession()
	case srcAmazon:
		ids := []ID{{Kind: "amazon_buyer", NS: srcAmazon, Value: p.buyer}, {Kind: Email, Value: emailToken(p.relay)}}
		if ph, ok := g.myPhone(); ok && r.Float64() < 0.4 {
			ids = append(ids, ph)
		}
		g.emit(srcAmazon, ids...)
	}
}

func (g *msgGen) webSession() {
	p, r := g.p, g.rng
	dev := p.browsers[r.IntN(len(p.browsers))]
	if p.tablet != "" && r.Float64() < 0.3 {
		dev = p.tablet
	}
	if r.Float64() < 0.1 {
		dev = g.uuid() // a private window: a device seen once
	}
	a := ID{Kind: Anon, Value: dev}
	for range 1 + r.IntN(8) {
		g.emit(srcWeb, a)
	}
	if r.Float64() < 0.1 {
		g.emit(srcWeb, a, g.myEmail()) // newsletter sign-up
	}
	if p.webUser == "" || r.Float64() < 0.4 {
		return
	}
	u := p.webUser
	if p.webUser2 != "" && r.Float64() < 0.4 {
		u = p.webUser2
	}
	user := ID{Kind: User, NS: srcWeb, Value: u}
	ids := []ID{user, a}
	if r.Float64() < 0.5 {
		ids = append(ids, g.myEmail())
	}
	if ph, ok := g.myPhone(); ok && r.Float64() < 0.2 {
		ids = append(ids, ph)
	}
	g.emit(srcWeb, ids...)
	for range r.IntN(6) {
		g.emit(srcWeb, user, a)
	}
}

func (g *msgGen) appSession() {
	p, r := g.p, g.rng
	a := ID{Kind: Anon, Value: p.appDevice}
	for range r.IntN(3) {
		g.emit(srcApp, a)
	}
	user := ID{Kind: User, NS: srcApp, Value: p.webUser}
	for range 1 + r.IntN(5) {
		g.emit(srcApp, user, a)
	}
}

func (g *msgGen) shopSession() {
	p, r := g.p, g.rng
	a := ID{Kind: Anon, Value: p.storefront[r.IntN(len(p.storefront))]}
	for range 1 + r.IntN(6) {
		g.emit(srcShop, a)
	}
	if r.Float64() < 0.4 {
		return
	}
	em := g.myEmail()
	ph, hasPhone := g.myPhone()
	if p.agency != "" {
		// Shipped abroad through a forwarder: its address and phone.
		em = ID{Kind: Email, Value: emailToken(p.agency)}
		ph, hasPhone = ID{Kind: Phone, Value: phoneToken(p.agencyTel)}, true
	}
	if p.customer == "" {
		ids := []ID{a, em} // guest checkout
		if hasPhone && r.Float64() < 0.6 {
			ids = append(ids, ph)
		}
		g.emit(srcShop, ids...)
		return
	}
	cust := ID{Kind: "shopify_customer", NS: srcShop, Value: p.customer}
	if r.Float64() < 0.5 {
		g.emit(srcShop, cust, a) // logged in on the storefront
	}
	ids := []ID{cust, em} // the order webhook
	if hasPhone && r.Float64() < 0.6 {
		ids = append(ids, ph)
	}
	g.emit(srcShop, ids...)
}

// truthKey is an identifier as the graph will see it (namespaces
// normalised), for the ground truth.
func truthKey(g *Graph, id ID, source string) (string, bool) {
	n, err := g.s.normalizeNS(id, source)
	if err != nil || g.s.blocked(n) {
		return "", false
	}
	return n.Kind + "\x00" + n.NS + "\x00" + n.Value, true
}

// pairCounts are pairwise precision and recall over pairs of messages.
type pairCounts struct {
	predicted, correct float64 // pairs put in one profile; of those, one person's
	linkable, found    float64 // pairs of one person that can be linked; of those, put together
}

func (pc pairCounts) precision() float64 { return pc.correct / pc.predicted }
func (pc pairCounts) recall() float64    { return pc.found / pc.linkable }

func pairs(n int) float64 { return float64(n) * float64(n-1) / 2 }

// evaluate compares the final profiles of the messages with the truth.
// Two messages are a linkable pair when they belong to one person and that
// person's own identifiers connect them: the identifiers are the nodes,
// each message joins the identifiers it carries, and identifiers that are
// junk or that more than one person used (household and agency
// addresses, shared devices and phones) are left out — no method can
// link through them without linking strangers too. Pairs are counted per
// cluster (n·(n−1)/2), never enumerated.
func evaluate(g *Graph, c *corpus, profiles []string) pairCounts {
	users := map[string]map[int]bool{}
	keys := make([][]string, len(c.msgs))
	for i, m := range c.msgs {
		for _, id := range m.ids {
			k, ok := truthKey(g, id, m.source)
			if !ok {
				continue
			}
			keys[i] = append(keys[i], k)
			if users[k] == nil {
				users[k] = map[int]bool{}
			}
			users[k][m.person] = true
		}
	}
	// Union-find over (identifier) nodes, one person's at a time: an
	// identifier private to a person is only ever joined with that
	// person's identifiers.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	comp := make([]string, len(c.msgs))
	for i := range c.msgs {
		var first string
		for _, k := range keys[i] {
			if len(users[k]) > 1 {
				continue
			}
			if _, ok := parent[k]; !ok {
				parent[k] = k
			}
			if first == "" {
				first = k
				continue
			}
			if a, b := find(first), find(k); a != b {
				parent[b] = a
			}
		}
	}
	for i := range c.msgs {
		for _, k := range keys[i] {
			if len(users[k]) == 1 {
				comp[i] = find(k)
				break
			}
		}
	}
	type pp struct {
		profile string
		person  int
	}
	type cp struct {
		comp    string
		profile string
	}
	byProfile := map[string]int{}
	byProfilePerson := map[pp]int{}
	byComp := map[string]int{}
	byCompProfile := map[cp]int{}
	for i, m := range c.msgs {
		if p := profiles[i]; p != "" {
			byProfile[p]++
			byProfilePerson[pp{p, m.person}]++
		}
		if comp[i] != "" {
			byComp[comp[i]]++
			if profiles[i] != "" {
				byCompProfile[cp{comp[i], profiles[i]}]++
			}
		}
	}
	var pc pairCounts
	for _, n := range byProfile {
		pc.predicted += pairs(n)
	}
	for _, n := range byProfilePerson {
		pc.correct += pairs(n)
	}
	for _, n := range byComp {
		pc.linkable += pairs(n)
	}
	for _, n := range byCompProfile {
		pc.found += pairs(n)
	}
	return pc
}

// runCorpus feeds a corpus through Observe in time order, committing every
// 500 messages as the engine does, and returns each message's final
// profile (Locate against the final state).
func runCorpus(t testing.TB, e *env, c *corpus) []string {
	e.commitEvery = 500
	for i, m := range c.msgs {
		e.seq++
		_, err := e.g.Observe(e.kv, Observation{Seq: e.seq, MessageID: fmt.Sprintf("msg-%d", i), Source: m.source, At: m.at, IDs: m.ids})
		if err != nil {
			t.Fatal(err)
		}
		e.pending++
		if e.pending >= e.commitEvery {
			e.commit()
		}
	}
	e.commit()
	out := make([]string, len(c.msgs))
	for i, m := range c.msgs {
		p, _, err := e.g.Locate(e.kv, Observation{Source: m.source, IDs: m.ids})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = p
	}
	return out
}

func TestCorpusPrecisionRecall(t *testing.T) {
	c := genCorpus(6000, 1)
	e := newEnv(t, corpusConfig())
	start := time.Now()
	profiles := runCorpus(t, e, c)
	elapsed := time.Since(start)
	pc := evaluate(e.g, c, profiles)
	live := map[string]bool{}
	for _, p := range profiles {
		live[p] = true
	}
	merges, undone, conflicts := 0, 0, map[string]int{}
	for before := ""; ; {
		ms, err := e.g.Merges(e.kv, MergeFilter{Before: before, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			break
		}
		for _, m := range ms {
			merges++
			if m.UndoneAt != nil {
				undone++
			}
		}
		before = ms[len(ms)-1].ID
	}
	for before := ""; ; {
		cs, err := e.g.Conflicts(e.kv, ConflictFilter{Before: before, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			conflicts[c.Code]++
		}
		before = cs[len(cs)-1].ID
	}
	t.Logf("corpus: %d people, %d messages, %d profiles, %d merges; conflicts %v; observed and located in %v",
		len(c.people), len(c.msgs), len(live), merges, conflicts, elapsed.Round(time.Millisecond))
	t.Logf("pairwise precision %.4f (%.0f of %.0f pairs put together are one person's)", pc.precision(), pc.correct, pc.predicted)
	t.Logf("pairwise recall    %.4f (%.0f of %.0f linkable pairs put together)", pc.recall(), pc.found, pc.linkable)
	fmt.Printf("identity corpus: precision %.4f recall %.4f (%d people, %d messages)\n", pc.precision(), pc.recall(), len(c.people), len(c.msgs))
	if pc.precision() < 0.99 || pc.recall() < 0.95 {
		diagnose(t, e.g, c, profiles)
		t.Fatalf("precision %.4f (want ≥ 0.99), recall %.4f (want ≥ 0.95)", pc.precision(), pc.recall())
	}
}

// diagnose logs the profiles holding most wrong pairs, to see which
// situation the graph gets wrong.
func diagnose(t testing.TB, g *Graph, c *corpus, profiles []string) {
	persons := map[string]map[int]int{}
	for i, m := range c.msgs {
		if profiles[i] == "" {
			continue
		}
		if persons[profiles[i]] == nil {
			persons[profiles[i]] = map[int]int{}
		}
		persons[profiles[i]][m.person]++
	}
	type bad struct {
		p     string
		wrong float64
		who   map[int]int
	}
	var bads []bad
	for p, who := range persons {
		total, same := 0, 0.0
		for _, n := range who {
			total += n
			same += pairs(n)
		}
		if w := pairs(total) - same; w > 0 {
			bads = append(bads, bad{p, w, who})
		}
	}
	sort.Slice(bads, func(i, j int) bool { return bads[i].wrong > bads[j].wrong })
	for i, b := range bads {
		if i == 8 {
			break
		}
		var desc []string
		for id, n := range b.who {
			p := c.people[id]
			desc = append(desc, fmt.Sprintf("person %d (hh %d, %d msgs, fam=%v tablet=%v landline=%v agency=%v web=%v shop=%v amazon=%v)",
				id, p.household, n, p.famEmail != "", p.tablet != "", p.landline != "", p.agency != "", p.webUser != "", p.customer != "", p.buyer != ""))
		}
		sort.Strings(desc)
		t.Logf("%s: %.0f wrong pairs: %s", b.p, b.wrong, strings.Join(desc, "; "))
	}
	t.Logf("%d profiles hold wrong pairs", len(bads))
}
