package identity

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLinkMergeAndCanonical(t *testing.T) {
	e := newEnv(t, Config{})
	r1 := e.obs("web", "m-1", anon("anon-device-0001"))
	if !r1.Created || r1.Profile == "" {
		t.Fatalf("first message: %+v", r1)
	}
	r2 := e.obs("web", "m-2", anon("anon-device-0002"), email("tok-email-aaaaaaaaaaaa"))
	if r2.Profile == r1.Profile {
		t.Fatal("unrelated identifiers share a profile")
	}
	r3 := e.obs("web", "m-3", uid("web", "user-000123"), anon("anon-device-0002"))
	if r3.Profile != r2.Profile || r3.Created {
		t.Fatalf("identify on a known device: %+v, want profile %s", r3, r2.Profile)
	}
	// The email meets the first device: the two profiles merge, and the
	// one holding the userId survives although it is younger.
	r4 := e.obs("web", "m-4", anon("anon-device-0001"), email("tok-email-aaaaaaaaaaaa"))
	if len(r4.Merges) != 1 {
		t.Fatalf("want one merge, got %+v", r4)
	}
	m := r4.Merges[0]
	if m.Into != r2.Profile || m.From != r1.Profile || r4.Profile != r2.Profile {
		t.Fatalf("merge %+v: want %s into %s", m, r1.Profile, r2.Profile)
	}
	if want := "anonymousId an…01 seen with email token tok-em… on message m-4"; m.Reason != want {
		t.Fatalf("reason %q, want %q", m.Reason, want)
	}
	if len(r4.Previous) != 1 || r4.Previous[0] != r1.Profile {
		t.Fatalf("previous %v", r4.Previous)
	}
	c, err := e.g.Canonical(e.kv, r1.Profile)
	if err != nil || c != r2.Profile {
		t.Fatalf("canonical of merged-away %s = %s, %v", r1.Profile, c, err)
	}
	ids := e.identities(r1.Profile)
	if len(ids) != 4 || ids[0].Kind != User || ids[3].Kind != Anon {
		t.Fatalf("identities %v", ids)
	}
	info, err := e.g.Profile(e.kv, r1.Profile)
	if err != nil || info.State != "merged" || info.MergedInto != r2.Profile {
		t.Fatalf("info %+v %v", info, err)
	}
}

func TestJunkNeverLinks(t *testing.T) {
	junkTok := "tok-test-at-test-com"
	e := newEnv(t, Config{Blocklist: []ID{email(junkTok), uid("", "guest-0000")}})
	r := e.obs("web", "m-1", anon("null"), uid("web", "undefined"), email(junkTok), uid("web", "  0000 "))
	if r.Profile != "" {
		t.Fatalf("junk made profile %s", r.Profile)
	}
	a := e.obs("web", "m-2", anon("anon-aaaaaaaa"), email(junkTok), uid("web", "guest-0000"))
	b := e.obs("shop", "m-3", anon("anon-bbbbbbbb"), email(junkTok), uid("shop", "guest-0000"), anon("undefined"))
	if a.Profile == b.Profile || len(b.Merges) > 0 {
		t.Fatal("two visitors merged on a junk value")
	}
	for _, id := range []ID{anon("null"), email(junkTok), uid("web", "guest-0000"), anon("N/A")} {
		if p := e.resolve(id); p != "" {
			t.Fatalf("junk %v resolves to %s", id, p)
		}
	}
	if got := e.identities(a.Profile); len(got) != 1 {
		t.Fatalf("identities of a: %v", got)
	}
	if err := New(Config{Priority: []string{"Bad Kind"}}).Err(); !errors.Is(err, ErrInvalidKind) {
		t.Fatalf("bad kind in config: %v", err)
	}
	if _, err := e.g.Observe(e.kv, Observation{Seq: 99, IDs: []ID{{Kind: "Email!", Value: "x"}}}); !errors.Is(err, ErrInvalidKind) {
		t.Fatalf("bad kind in message: %v", err)
	}
}

func TestStrongConflict(t *testing.T) {
	e := newEnv(t, Config{})
	pa := e.obs("web", "m-1", uid("web", "alice-0001"), anon("anon-alice-1")).Profile
	pb := e.obs("web", "m-2", uid("web", "bobby-0002"), anon("anon-bobby-1")).Profile
	// Two userIds of one source on one message (an alias, a form that
	// sent someone else's id): recorded, never merged.
	r := e.obs("web", "m-3", uid("web", "alice-0001"), uid("web", "bobby-0002"))
	if len(r.Merges) != 0 || len(r.Conflicts) != 1 {
		t.Fatalf("want one conflict and no merge: %+v", r)
	}
	c := r.Conflicts[0]
	if c.Code != CodeStrong || c.Kind != User || c.NS != "web" || c.Profiles != [2]string{pa, pb} {
		t.Fatalf("conflict %+v", c)
	}
	if strings.Contains(c.Reason, "alice-0001") || !strings.Contains(c.Reason, "al…01") {
		t.Fatalf("reason not masked: %q", c.Reason)
	}
	// Recorded once per pair.
	if r := e.obs("web", "m-4", uid("web", "bobby-0002"), uid("web", "alice-0001")); len(r.Conflicts) != 0 {
		t.Fatalf("conflict repeated: %+v", r.Conflicts)
	}
	// New identifiers on a message whose links were refused belong to
	// neither side.
	r = e.obs("web", "m-4b", uid("web", "alice-0001"), uid("web", "bobby-0002"), email("tok-new-ambiguous"))
	if p := e.resolve(email("tok-new-ambiguous")); p == pa || p == pb || p == "" {
		t.Fatalf("new email on a refused link went to %q", p)
	}
	// The same value in two sources is two identifiers; platform ids of
	// one store conflict like userIds.
	r = e.obs("shop", "m-5", uid("shop", "alice-0001"), plat("shopify_customer", "shop", "cust-000001"), anon("anon-alice-1"))
	if r.Profile != pa || len(r.Merges) != 0 {
		t.Fatalf("a userId of another source: %+v", r)
	}
	r = e.obs("shop", "m-6", plat("shopify_customer", "", "cust-000002"), uid("shop", "alice-0001"))
	if len(r.Conflicts) != 1 || r.Conflicts[0].Kind != "shopify_customer" || r.Conflicts[0].NS != "shop" {
		t.Fatalf("second customer id of one store: %+v", r)
	}
	if p := e.resolve(plat("shopify_customer", "shop", "cust-000002")); p == pa || p == "" {
		t.Fatalf("conflicting customer id resolved to %q", p)
	}
}

func TestSharedUserSpace(t *testing.T) {
	e := newEnv(t, Config{SharedUserSpaces: map[string]string{"web": "site", "app": "site"}})
	a := e.obs("web", "m-1", uid("", "u-000000001"), anon("browser-0001"))
	b := e.obs("app", "m-2", uid("", "u-000000001"), anon("phone-app-01"))
	if a.Profile != b.Profile {
		t.Fatal("a site and its app sharing a user-id space do not share userIds")
	}
	c := e.obs("shop", "m-3", uid("", "u-000000001"), anon("shop-anon-01"))
	if c.Profile == a.Profile {
		t.Fatal("another source's userId joined the shared space")
	}
	if e.resolve(uid("app", "u-000000001")) != a.Profile || e.resolve(uid("site", "u-000000001")) != a.Profile {
		t.Fatal("resolve through the shared space")
	}
	// A second userId of the space on the same browser: two accounts on
	// one device make it a shared device.
	r := e.obs("app", "m-4", uid("", "u-000000002"), anon("browser-0001"))
	if r.Profile == a.Profile || !hasCode(r.Conflicts, CodeShared) || !strings.Contains(r.Conflicts[0].Reason, "2 userIds of site") {
		t.Fatalf("second userId of the space: %+v", r)
	}
	r = e.obs("web", "m-5", uid("", "u-000000002"), uid("app", "u-000000001"))
	if len(r.Conflicts) != 1 || r.Conflicts[0].Code != CodeStrong || r.Conflicts[0].NS != "site" {
		t.Fatalf("two userIds of the space: %+v", r)
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t, Config{MaxPerKind: map[string]int{Email: 2}})
	p := e.obs("web", "m-1", anon("anon-limit-1"), email("tok-e1-xxxxxxxx"), email("tok-e2-xxxxxxxx")).Profile
	r := e.obs("web", "m-2", anon("anon-limit-1"), email("tok-e3-xxxxxxxx"))
	if r.Profile != p {
		t.Fatalf("message profile %s, want %s", r.Profile, p)
	}
	if len(r.Conflicts) != 1 || r.Conflicts[0].Code != CodeLimit || r.Conflicts[0].Kind != Email {
		t.Fatalf("third email: %+v", r.Conflicts)
	}
	if q := e.resolve(email("tok-e3-xxxxxxxx")); q == p || q == "" {
		t.Fatalf("third email in %q", q)
	}
	// Merging two profiles that together exceed the cap is refused too.
	q := e.obs("web", "m-3", anon("anon-limit-2"), email("tok-e4-xxxxxxxx")).Profile
	r = e.obs("web", "m-4", anon("anon-limit-1"), anon("anon-limit-2"))
	if len(r.Merges) != 0 || !hasCode(r.Conflicts, CodeLimit) {
		t.Fatalf("merge past the cap: %+v", r)
	}
	if e.resolve(anon("anon-limit-2")) != q {
		t.Fatal("refused profile changed")
	}
	// A strong kind's cap per namespace can be raised.
	e2 := newEnv(t, Config{MaxPerKind: map[string]int{"amazon_buyer": 2}})
	a := e2.obs("amazon_de", "m-1", plat("amazon_buyer", "", "buyer-aaaa1"), phone("tok-ph-1xxxxxxxx")).Profile
	b := e2.obs("amazon_de", "m-2", plat("amazon_buyer", "", "buyer-aaaa2"), phone("tok-ph-1xxxxxxxx")).Profile
	if a != b {
		t.Fatal("two buyer ids allowed per store did not merge")
	}
}

func TestPrioritySurvivor(t *testing.T) {
	e := newEnv(t, Config{})
	old := e.obs("web", "m-1", anon("anon-old-0001"), email("tok-old-xxxxxx")).Profile
	young := e.obs("amazon_de", "m-2", plat("amazon_buyer", "", "buyer-young1")).Profile
	r := e.obs("amazon_de", "m-3", plat("amazon_buyer", "", "buyer-young1"), email("tok-old-xxxxxx"))
	if r.Profile != young || r.Merges[0].From != old {
		t.Fatalf("the profile with the platform id must survive: %+v", r)
	}
	// Equal strength: the older survives, whichever id comes first.
	x := e.obs("web", "m-4", anon("anon-x-000001")).Profile
	y := e.obs("web", "m-5", anon("anon-y-000001")).Profile
	r = e.obs("web", "m-6", anon("anon-y-000001"), anon("anon-x-000001"))
	if r.Profile != x || r.Merges[0].From != y {
		t.Fatalf("older profile must survive: %+v", r)
	}
}

func TestSharedEmailDetachedAndWrongMergeSplit(t *testing.T) {
	e := newEnv(t, Config{})
	agency := email("tok-agency-forwarder")
	c := func(i string) ID { return plat("shopify_customer", "shopify_eu", "cust-0000"+i) }
	p1 := e.obs("shopify_eu", "o-1", c("1"), agency, phone("tok-ph-c1-xxxxx")).Profile
	// An Amazon buyer ships to the same forwarder: nothing yet says the
	// address is shared, so this merges — wrongly.
	b1 := plat("amazon_buyer", "amazon_de", "buyer-00001")
	r := e.obs("amazon_de", "o-2", b1, agency)
	if r.Profile != p1 || e.resolve(b1) != p1 {
		t.Fatalf("expected the (wrong) link: %+v", r)
	}
	// A second customer of the store with the same address: ambiguous.
	// The address stops linking, and the buyer it alone brought in is
	// split off again.
	r = e.obs("shopify_eu", "o-3", c("2"), agency)
	if !hasCode(r.Conflicts, CodeAmbiguous) || len(r.Splits) != 1 {
		t.Fatalf("second customer: %+v", r)
	}
	pb := e.resolve(b1)
	if pb == p1 || pb == "" {
		t.Fatalf("buyer still in %s", pb)
	}
	if e.resolve(agency) != p1 {
		t.Fatal("an ambiguous address stays with its first user")
	}
	if r.Profile == p1 {
		t.Fatal("the second customer joined the first")
	}
	// Ambiguous: it links no new identifier either.
	r = e.obs("shopify_eu", "o-4", agency, anon("anon-new-visitor"))
	if r.Profile == p1 {
		t.Fatal("an ambiguous address linked a new device")
	}
	// Past the threshold (3): shared, detached into its own profile.
	e.obs("shopify_eu", "o-5", c("3"), agency)
	r = e.obs("shopify_eu", "o-6", c("4"), agency)
	if !hasCode(r.Conflicts, CodeShared) {
		t.Fatalf("fourth customer: %+v", r)
	}
	ps := e.resolve(agency)
	info, err := e.g.Profile(e.kv, ps)
	if err != nil || info.State != "shared" || info.Identifiers != 1 {
		t.Fatalf("shared profile %+v %v", info, err)
	}
	for _, id := range e.identities(p1) {
		if id == agency {
			t.Fatal("shared address still in the first customer's profile")
		}
	}
	if r := e.obs("shopify_eu", "o-7", agency); r.Profile != ps {
		t.Fatalf("a message with only the shared address: %+v", r)
	}
	if r := e.obs("shopify_eu", "o-8", c("1"), agency); r.Profile != p1 || len(r.Merges) != 0 {
		t.Fatalf("shared address linked: %+v", r)
	}
}

func TestSharedDevice(t *testing.T) {
	e := newEnv(t, Config{})
	tablet := anon("family-tablet-01")
	pa := e.obs("web", "m-1", uid("web", "alice-0001"), tablet).Profile
	// Bob browses the tablet anonymously and subscribes to the newsletter:
	// nothing tells it from Alice yet.
	e.obs("web", "m-2", tablet)
	if r := e.obs("web", "m-3", tablet, email("tok-bob-email-x")); r.Profile != pa {
		t.Fatalf("newsletter: %+v", r)
	}
	// Bob logs in: two accounts on one device. The device is detached and
	// Bob's email, which only the device held in Alice's profile, splits
	// off.
	r := e.obs("web", "m-4", uid("web", "bobby-0002"), tablet)
	if !hasCode(r.Conflicts, CodeShared) {
		t.Fatalf("login on a shared device: %+v", r)
	}
	pb := r.Profile
	if pb == pa || pb == "" {
		t.Fatalf("bob in %q", pb)
	}
	if p := e.resolve(email("tok-bob-email-x")); p == pa {
		t.Fatal("bob's email stayed with alice")
	}
	if e.obs("web", "m-5", uid("web", "bobby-0002"), email("tok-bob-email-x")).Profile != pb {
		t.Fatal("bob's email does not join bob")
	}
	if p := e.resolve(tablet); p == pa || p == pb {
		t.Fatal("the shared device belongs to a person")
	}
	if ids := e.identities(pa); len(ids) != 1 {
		t.Fatalf("alice: %v", ids)
	}
}

func TestUnmerge(t *testing.T) {
	e := newEnv(t, Config{})
	p1 := e.obs("web", "m-1", anon("anon-one-00001"), email("tok-shared-inbox")).Profile
	p2 := e.obs("web", "m-2", uid("web", "user-two-0002"), anon("anon-two-00002")).Profile
	r := e.obs("web", "m-3", anon("anon-two-00002"), email("tok-shared-inbox"))
	if len(r.Merges) != 1 || r.Profile != p2 {
		t.Fatalf("merge: %+v", r)
	}
	mergeID := r.Merges[0].ID
	// Later links on both sides: the phone only through p1's device, the
	// second device only through p2's userId.
	e.obs("web", "m-4", anon("anon-one-00001"), phone("tok-phone-one"))
	e.obs("web", "m-5", uid("web", "user-two-0002"), anon("anon-two-00003"))
	if len(e.identities(p2)) != 6 {
		t.Fatalf("merged identities %v", e.identities(p2))
	}
	at := t0.Add(time.Hour)
	u, err := e.g.Unmerge(e.kv, mergeID, "admin@example.test", at)
	if err != nil {
		t.Fatal(err)
	}
	if u.Kept != p2 || u.Restored != p1 || len(u.Others) != 0 {
		t.Fatalf("unmerge %+v", u)
	}
	want1 := []ID{email("tok-shared-inbox"), phone("tok-phone-one"), anon("anon-one-00001")}
	if got := e.identities(p1); !equalIDs(got, want1) {
		t.Fatalf("restored %v, want %v", got, want1)
	}
	if got := e.identities(p2); len(got) != 3 {
		t.Fatalf("kept %v", got)
	}
	if u.Merge.UndoneAt == nil || !u.Merge.UndoneAt.Equal(at) || u.Merge.UndoneBy != "admin@example.test" {
		t.Fatalf("merge not marked: %+v", u.Merge)
	}
	if ms := e.merges(p1); len(ms) != 1 || ms[0].UndoneAt == nil {
		t.Fatalf("log %+v", ms)
	}
	if c, _ := e.g.Canonical(e.kv, p1); c != p1 {
		t.Fatalf("restored profile canonical %s", c)
	}
	// The same link again: a conflict, not a merge.
	r = e.obs("web", "m-6", anon("anon-two-00002"), email("tok-shared-inbox"))
	if len(r.Merges) != 0 || len(r.Conflicts) != 1 || r.Conflicts[0].Code != CodeUnmerged ||
		!strings.HasPrefix(r.Conflicts[0].Reason, "unmerged by admin") {
		t.Fatalf("relink after unmerge: %+v", r)
	}
	// Also when one side has since merged with a third profile.
	p3 := e.obs("web", "m-7", anon("anon-three-0003")).Profile
	if r := e.obs("web", "m-8", anon("anon-three-0003"), uid("web", "user-two-0002")); len(r.Merges) != 1 || r.Merges[0].From != p3 {
		t.Fatalf("third merge %+v", r)
	}
	if r := e.obs("web", "m-9", anon("anon-three-0003"), phone("tok-phone-one")); len(r.Merges) != 0 || r.Profile != p2 {
		t.Fatalf("relink through the third profile: %+v", r)
	}
	if e.resolve(phone("tok-phone-one")) != p1 || !hasCode(e.conflicts(p1), CodeUnmerged) {
		t.Fatal("the unmerged sides met again")
	}
	if _, err := e.g.Unmerge(e.kv, mergeID, "x", at); !errors.Is(err, ErrAlreadyUndone) {
		t.Fatalf("second unmerge: %v", err)
	}
	if _, err := e.g.Unmerge(e.kv, "m-999-0", "x", at); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown merge: %v", err)
	}
}

func equalIDs(a, b []ID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestForget(t *testing.T) {
	e := newEnv(t, Config{})
	home := email("tok-household-inb")
	pa := e.obs("web", "m-1", uid("web", "alice-secret-1"), anon("alice-device-1"), home).Profile
	e.obs("web", "m-2", anon("alice-device-2"), phone("tok-alice-phone"))
	e.obs("web", "m-3", anon("alice-device-2"), uid("web", "alice-secret-1"))
	// Bob shares the household address: it becomes ambiguous (Bob is a
	// witness of it), and conflicts name Alice's profile.
	pb := e.obs("web", "m-4", uid("web", "bobby-secret-2"), home).Profile
	if len(e.conflicts(pa)) == 0 {
		t.Fatal("no conflict recorded")
	}
	removed, err := e.g.Forget(e.kv, pb)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != uid("web", "bobby-secret-2") {
		t.Fatalf("removed %v", removed)
	}
	// Bob no longer witnesses the address: it links again.
	if r := e.obs("web", "m-5", home, anon("alice-device-3")); r.Profile != pa {
		t.Fatalf("address still ambiguous after Bob's erasure: %+v", r)
	}
	removed, err = e.g.Forget(e.kv, pa)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 6 {
		t.Fatalf("removed %v", removed)
	}
	e.commit()
	for _, id := range removed {
		if p := e.resolve(id); p != "" {
			t.Fatalf("%v still resolves", id)
		}
	}
	// Nothing in the database mentions them any more.
	it, _ := e.db.NewIter(nil)
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		kv := append(append([]byte(nil), it.Key()...), it.Value()...)
		for _, s := range []string{pa, pb, "alice-secret-1", "bobby-secret-2", "alice-device", "tok-alice-phone"} {
			if bytes.Contains(kv, []byte(s)) {
				t.Fatalf("key %q still holds %q", it.Key(), s)
			}
		}
	}
	if ms, _ := e.g.Merges(e.kv, MergeFilter{}); len(ms) != 0 {
		t.Fatalf("merges left: %+v", ms)
	}
	if cs, _ := e.g.Conflicts(e.kv, ConflictFilter{}); len(cs) != 0 {
		t.Fatalf("conflicts left: %+v", cs)
	}
	if _, err := e.g.Forget(e.kv, pa); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second forget: %v", err)
	}
}

func TestLogPaging(t *testing.T) {
	e := newEnv(t, Config{})
	hub := e.obs("web", "m-0", uid("web", "hub-user-0000")).Profile
	var want []string
	for i := range 7 {
		a := anon("anon-page-" + string(rune('a'+i)) + "xxxx")
		e.obs("web", "p", a)
		r := e.obs("web", "q", a, uid("web", "hub-user-0000"))
		want = append([]string{r.Merges[0].ID}, want...)
	}
	for _, pid := range []string{"", hub} {
		var got []string
		before := ""
		for {
			ms, err := e.g.Merges(e.kv, MergeFilter{Profile: pid, Before: before, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) == 0 {
				break
			}
			for _, m := range ms {
				got = append(got, m.ID)
			}
			before = ms[len(ms)-1].ID
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("profile %q pages %v, want %v", pid, got, want)
		}
	}
}
