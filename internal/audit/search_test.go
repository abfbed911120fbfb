package audit

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var searchActions = []string{"auth.login", "auth.login_failed", "privacy.export", "privacy.erasure", "query.sql", "config.change"}

// searchFixture is a log of n entries of varied shape, appended
// concurrently so that commits are batched, and all its entries as read
// back from the file.
func searchFixture(t *testing.T, n int) (*fixture, []Entry) {
	t.Helper()
	fx := newFixture(t, testKey)
	var wg sync.WaitGroup
	const workers = 16
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				e := Entry{
					Actor:     fmt.Sprintf("u%d", i%7),
					ActorKind: "user",
					Action:    searchActions[i%len(searchActions)],
					Target:    fmt.Sprintf("customer:c%d", i%13),
					Outcome:   []string{OutcomeOK, OutcomeOK, OutcomeDenied, OutcomeFailed}[i%4],
					IP:        "198.51.100.1",
					Detail:    map[string]any{"i": i, "note": []string{"Refund issued", "weekly report", "bulk"}[i%3]},
				}
				if i%7 == 3 {
					e.ActorEmail = "Ops.Lead@Seller.example"
				}
				if _, err := fx.log.Append(context.Background(), e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var all []Entry
	for _, l := range fx.lines() {
		e, err := decodeEntry([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
	}
	if len(all) != n {
		t.Fatalf("%d entries, want %d", len(all), n)
	}
	return fx, all
}

// bruteForce is Search's meaning, written independently: filter all
// entries, newest first, up to limit.
func bruteForce(all []Entry, f Filter) []Entry {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	limit = min(limit, MaxSearchLimit)
	var out []Entry
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		e := all[i]
		if f.BeforeSeq > 0 && e.Seq >= f.BeforeSeq ||
			!f.Since.IsZero() && e.Time.Before(f.Since) ||
			!f.Until.IsZero() && !e.Time.Before(f.Until) ||
			f.Actor != "" && e.Actor != f.Actor && !strings.EqualFold(e.ActorEmail, f.Actor) ||
			f.Action != "" && e.Action != f.Action && !strings.HasPrefix(e.Action, strings.TrimSuffix(f.Action, ".")+".") ||
			f.Target != "" && e.Target != ScrubString(f.Target) ||
			f.Outcome != "" && e.Outcome != f.Outcome {
			continue
		}
		if f.Text != "" {
			text := strings.ToLower(f.Text)
			hay := strings.ToLower(e.Target + " " + fmt.Sprint(e.Detail))
			if !strings.Contains(hay, text) {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

func seqs(es []Entry) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

func TestSearch(t *testing.T) {
	fx, all := searchFixture(t, 3000)
	if fi, _ := os.Stat(fx.path); fi.Size() < 4*backBlock {
		t.Fatalf("the log (%d bytes) should span several read blocks", fi.Size())
	}
	mid := all[1500].Time
	filters := map[string]Filter{
		"everything":          {},
		"limit":               {Limit: 7},
		"limit capped":        {Limit: 5000},
		"actor":               {Actor: "u2", Limit: 1000},
		"actor email":         {Actor: "ops.lead@seller.EXAMPLE", Limit: 1000},
		"action prefix":       {Action: "privacy", Limit: 1000},
		"action prefix dot":   {Action: "privacy.", Limit: 1000},
		"action whole word":   {Action: "auth.login", Limit: 1000},
		"target":              {Target: "customer:c5", Limit: 1000},
		"outcome":             {Outcome: OutcomeDenied, Limit: 1000},
		"since":               {Since: mid, Limit: 1000},
		"until":               {Until: mid, Limit: 50},
		"window":              {Since: all[100].Time, Until: all[200].Time, Limit: 1000},
		"text":                {Text: "refund", Limit: 1000},
		"text upper":          {Text: "WEEKLY", Limit: 1000},
		"text in target":      {Text: "c12", Limit: 1000},
		"combined":            {Actor: "u3", Action: "privacy.", Outcome: OutcomeOK, Since: all[500].Time, Limit: 1000},
		"before seq":          {BeforeSeq: 1234, Limit: 10},
		"before seq and text": {BeforeSeq: 2000, Text: "bulk", Limit: 30},
		"before first":        {BeforeSeq: 1},
		"nothing":             {Actor: "nobody"},
	}
	for name, f := range filters {
		t.Run(name, func(t *testing.T) {
			got, err := fx.log.Search(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(all, f)
			if !slices.Equal(seqs(got), seqs(want)) {
				t.Fatalf("got %d entries %v…, want %d %v…", len(got), head(seqs(got)), len(want), head(seqs(want)))
			}
		})
	}
}

func head(s []uint64) []uint64 { return s[:min(len(s), 8)] }

func TestSearchPages(t *testing.T) {
	fx, all := searchFixture(t, 2000)
	want := bruteForce(all, Filter{Action: "query.", Limit: 1000})
	var got []Entry
	f := Filter{Action: "query.", Limit: 37}
	for {
		page, err := fx.log.Search(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		f.BeforeSeq = page[len(page)-1].Seq
	}
	if !slices.Equal(seqs(got), seqs(want)) {
		t.Fatalf("paged %d entries, want %d", len(got), len(want))
	}
}

func TestSearchMaskedTarget(t *testing.T) {
	fx := newFixture(t, nil)
	for _, target := range []string{"jane.doe@example.com", "bob@example.org"} {
		if _, err := fx.log.Append(context.Background(), Entry{Actor: "u1", Action: "privacy.export", Target: target, Outcome: OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := fx.log.Search(context.Background(), Filter{Target: "jane.doe@example.com"})
	if err != nil || len(got) != 1 || got[0].Target != "j***@e***.com" {
		t.Fatalf("search by raw email: %+v, %v", got, err)
	}
	got, _ = fx.log.Search(context.Background(), Filter{Text: "b***@"})
	if len(got) != 1 {
		t.Fatalf("text search on masked form: %+v", got)
	}
}

func TestSearchSkipsDamage(t *testing.T) {
	fx := newFixture(t, nil)
	fx.appendN(5)
	fx.close()
	lines := fx.lines()
	lines = slices.Insert(lines, 2, "garbage", "")
	fx.writeLines(lines, false)
	fx.open()
	got, err := fx.log.Search(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seqs(got), []uint64{5, 4, 3, 2, 1}) {
		t.Fatalf("got %v", seqs(got))
	}
}

func TestSearchContextCanceled(t *testing.T) {
	fx, _ := searchFixture(t, 600)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := fx.log.Search(ctx, Filter{Actor: "nobody"}); err == nil {
		t.Fatal("a canceled search over 600 lines should stop")
	}
}

func TestBackLinesLongAndTorn(t *testing.T) {
	long := strings.Repeat("x", maxLine+10)
	data := "a\n" + long + "\nb\n\nc"
	r := strings.NewReader(data)
	bl, err := newBackLines(r, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		line, start, ok := bl.next()
		if !ok {
			break
		}
		if data[start:start+int64(len(line))] != string(line) {
			t.Fatalf("line of %d bytes reported at %d", len(line), start)
		}
		got = append(got, string(line))
	}
	if !slices.Equal(got, []string{"c", "", "b", "a"}) {
		lens := make([]int, len(got))
		for i, l := range got {
			lens[i] = len(l)
		}
		t.Fatalf("lines of lengths %v, want c, empty, b, a", lens)
	}
}

func TestSearchTimeBoundsBinarySearch(t *testing.T) {
	fx, all := searchFixture(t, 1500)
	for _, i := range []int{0, 1, 749, 1498, 1499} {
		f := Filter{Until: all[i].Time, Limit: 3}
		got, err := fx.log.Search(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteForce(all, f); !slices.Equal(seqs(got), seqs(want)) {
			t.Fatalf("until entry %d: got %v want %v", i, seqs(got), seqs(want))
		}
	}
	if got, _ := fx.log.Search(context.Background(), Filter{Until: all[0].Time.Add(-time.Hour)}); len(got) != 0 {
		t.Fatalf("until before everything: %v", seqs(got))
	}
}
