package audiencesync

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/adlist"
	"github.com/tradewind/tradewind/internal/eventlog"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "24h": 24 * time.Hour, "90m": 90 * time.Minute, "7d": 7 * 24 * time.Hour, " 1d ": 24 * time.Hour} {
		got, err := ParseDuration(in)
		if err != nil || time.Duration(got) != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, time.Duration(got), err, want)
		}
	}
	for _, bad := range []string{"soon", "d", "-1d", "1.5d", "24"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
	// JSON keeps the text; whole days read back as days.
	for _, d := range []Duration{Duration(7 * 24 * time.Hour), Duration(90 * time.Minute)} {
		b, _ := json.Marshal(d)
		var back Duration
		if err := json.Unmarshal(b, &back); err != nil || back != d {
			t.Errorf("%s → %s → %v, %v", time.Duration(d), b, back, err)
		}
	}
	if b, _ := json.Marshal(Duration(48 * time.Hour)); string(b) != `"2d"` {
		t.Errorf("2 days as %s", b)
	}
}

func TestDefinitionErrorsNameTheField(t *testing.T) {
	ok := Sync{ID: "s1", Segment: "gold", Format: "Meta", OnChange: true}
	if err := ok.normalize(); err != nil || ok.Format != Meta || ok.Keep != DefaultKeep || ok.Consent != ExcludeRefused {
		t.Fatalf("normalize: %v %+v", err, ok)
	}
	for field, x := range map[string]Sync{
		"id":      {ID: "Bad Id", Segment: "gold", Format: Meta, OnChange: true},
		"segment": {ID: "s", Format: Meta, OnChange: true},
		"format":  {ID: "s", Segment: "gold", Format: "tiktok", OnChange: true},
		"every":   {ID: "s", Segment: "gold", Format: Meta},
		"keep":    {ID: "s", Segment: "gold", Format: Meta, OnChange: true, Keep: MaxKeep + 1},
		"consent": {ID: "s", Segment: "gold", Format: Meta, OnChange: true, Consent: "maybe"},
	} {
		var fe *FieldError
		if err := x.normalize(); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%+v: %v, want an error naming %s", x, err, field)
		}
	}
	short := Sync{ID: "s", Segment: "gold", Format: Meta, Every: Duration(time.Minute)}
	if err := short.normalize(); err == nil {
		t.Error("a one-minute schedule accepted")
	}
}

func TestResolveDir(t *testing.T) {
	root := filepath.Join(t.TempDir(), "exports")
	for dir, want := range map[string]string{
		"":                       filepath.Join(root, "s1"),
		"meta/weekly":            filepath.Join(root, "meta", "weekly"),
		filepath.Join(root, "x"): filepath.Join(root, "x"),
		"a/../b":                 filepath.Join(root, "b"),
	} {
		got, err := ResolveDir(root, dir, "s1")
		if err != nil || got != want {
			t.Errorf("ResolveDir(%q) = %q, %v; want %q", dir, got, err, want)
		}
	}
	for _, dir := range []string{"..", "../x", "a/../../x", "/etc", root + "-other/x"} {
		var fe *FieldError
		if _, err := ResolveDir(root, dir, "s1"); !errors.As(err, &fe) || fe.Field != "dir" {
			t.Errorf("ResolveDir(%q) = %v, want refused", dir, err)
		}
	}
}

func TestFileNamesSortAndPrune(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 5, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	if n := FileName("s1", "meta", at); n != "s1-meta-20260501T013000Z.csv" {
		t.Fatalf("FileName in UTC: %s", n)
	}
	var made []string
	for i := range 12 {
		name, err := freeName(dir, "s1", "meta", at.Add(time.Duration(i/4)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), nil, 0o600)
		made = append(made, name)
	}
	// Another sync's file and a stray file are never touched.
	os.WriteFile(filepath.Join(dir, "s1x-meta-20260501T013000Z.csv"), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o600)
	got, _ := files(dir, "s1")
	if !slices.Equal(got, made) {
		t.Fatalf("order:\n%v\nwant\n%v", got, made)
	}
	if err := prune(dir, "s1", 3); err != nil {
		t.Fatal(err)
	}
	got, _ = files(dir, "s1")
	if !slices.Equal(got, made[9:]) {
		t.Fatalf("kept %v, want %v", got, made[9:])
	}
	for _, f := range []string{"s1x-meta-20260501T013000Z.csv", "notes.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s removed", f)
		}
	}
}

// TestSameSecondAfterPrune: runs in one second after a prune get names
// after the kept files, so the newest file survives the next prune and
// latest.csv names it (a freed name used to be reused, sorted first and
// pruned at once).
func TestSameSecondAfterPrune(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	for i := range 5 {
		name, err := freeName(dir, "s1", "meta", at)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), []byte{byte('a' + i)}, 0o600)
		if err := pointLatest(dir, name); err != nil {
			t.Fatal(err)
		}
		if err := prune(dir, "s1", 2); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, LatestName))
		if err != nil || len(b) != 1 || b[0] != byte('a'+i) {
			t.Fatalf("run %d (%s): latest.csv %q, %v", i+1, name, b, err)
		}
	}
	got, _ := files(dir, "s1")
	if want := []string{"s1-meta-20260501T093000Z-4.csv", "s1-meta-20260501T093000Z-5.csv"}; !slices.Equal(got, want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
}

// fakeSegment stands in for the application's store: a member list that
// the test changes, and its fingerprint.
type fakeSegment struct {
	mu   sync.Mutex
	rows []adlist.Row
	fail error
	now  time.Time
}

func (f *fakeSegment) members(ctx context.Context, seg string, c Consent) (Members, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return Members{}, f.fail
	}
	return Members{Rows: slices.Clone(f.rows), Total: len(f.rows)}, nil
}

func (f *fakeSegment) fingerprint(ctx context.Context, seg string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, r := range f.rows {
		ids = append(ids, r.Email)
	}
	return strings.Join(ids, ","), nil
}

func (f *fakeSegment) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeSegment) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newService(t *testing.T) (*Service, *fakeSegment) {
	t.Helper()
	ctx := context.Background()
	l, err := eventlog.Open(ctx, eventlog.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	f := &fakeSegment{now: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		rows: []adlist.Row{{Email: "a@example.com"}, {Email: "b@example.com", Phone: "+14155552671"}}}
	root := filepath.Join(t.TempDir(), "exports")
	if err := os.MkdirAll(root, 0o700); err != nil {
		t.Fatal(err)
	}
	return &Service{JetStream: l.JetStream(), Bucket: "test_audience_syncs", Root: root, Members: f.members,
		Fingerprint: f.fingerprint, SegmentExists: func(id string) bool { return id == "gold" }, Now: f.clock}, f
}

func runTriggers(t *testing.T, s *Service, id string) []string {
	t.Helper()
	runs, err := s.Runs(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range runs {
		out = append(out, r.Trigger)
	}
	return out
}

// TestRunnerSchedulesChangesAndRetries drives the runner with a fake clock:
// a new sync runs at once; a schedule-only sync ignores membership changes
// until its period passes; an on-change one follows them; a failed run
// leaves no partial file, keeps the last good latest.csv, and is retried
// after retryAfter rather than every minute.
func TestRunnerSchedulesChangesAndRetries(t *testing.T) {
	ctx := context.Background()
	s, f := newService(t)
	if _, err := s.Create(ctx, Sync{ID: "daily", Segment: "gold", Format: Google, Every: Duration(24 * time.Hour)}, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, Sync{ID: "live", Segment: "gold", Format: Meta, OnChange: true}, "t"); err != nil {
		t.Fatal(err)
	}
	var fe *FieldError
	if _, err := s.Create(ctx, Sync{ID: "x", Segment: "silver", Format: Meta, OnChange: true}, "t"); !errors.As(err, &fe) || fe.Field != "segment" {
		t.Fatalf("unknown segment: %v", err)
	}
	check := func() {
		t.Helper()
		if err := s.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check()
	check()
	if got := runTriggers(t, s, "daily"); !slices.Equal(got, []string{"first"}) {
		t.Fatalf("daily runs %v", got)
	}
	if got := runTriggers(t, s, "live"); !slices.Equal(got, []string{"first"}) {
		t.Fatalf("live runs %v", got)
	}
	f.mu.Lock()
	f.rows = append(f.rows, adlist.Row{Email: "c@example.com"})
	f.mu.Unlock()
	f.advance(time.Minute)
	check()
	if got := runTriggers(t, s, "daily"); !slices.Equal(got, []string{"first"}) {
		t.Fatalf("daily ran on a change: %v", got)
	}
	if got := runTriggers(t, s, "live"); !slices.Equal(got, []string{"change", "first"}) {
		t.Fatalf("live runs %v", got)
	}
	f.advance(24 * time.Hour)
	check()
	if got := runTriggers(t, s, "daily"); !slices.Equal(got, []string{"schedule", "first"}) {
		t.Fatalf("daily runs after a day %v", got)
	}
	live := filepath.Join(s.Root, "live")
	good, _ := os.ReadFile(filepath.Join(live, LatestName))

	// A failure: recorded, no partial or temporary file, latest.csv kept.
	f.mu.Lock()
	f.fail = errors.New("store unavailable")
	f.rows = f.rows[:1]
	f.mu.Unlock()
	f.advance(time.Minute)
	check()
	runs, _ := s.Runs(ctx, "live")
	if runs[0].Error == "" || runs[0].File != "" {
		t.Fatalf("failed run recorded as %+v", runs[0])
	}
	ents, _ := os.ReadDir(live)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("left %s behind", e.Name())
		}
	}
	if b, _ := os.ReadFile(filepath.Join(live, LatestName)); string(b) != string(good) {
		t.Error("a failed run changed latest.csv")
	}
	f.mu.Lock()
	f.fail = nil
	f.mu.Unlock()
	f.advance(time.Minute)
	check()
	if got := runTriggers(t, s, "live"); got[0] != "change" || len(got) != 3 {
		t.Fatalf("retried before retryAfter: %v", got)
	}
	f.advance(retryAfter)
	check()
	if got := runTriggers(t, s, "live"); got[0] != "retry" || runs[0].Error == "" {
		t.Fatalf("no retry: %v", got)
	}
	lf, r, err := s.Latest(ctx, "live")
	if err != nil || r.Written != 1 {
		t.Fatalf("latest: %v %+v", err, r)
	}
	lf.Close()

	// Moving a sync to another directory takes its files away from the
	// old one (nothing would prune them there) and runs it afresh.
	if _, err := s.Update(ctx, "live", Sync{Segment: "gold", Format: Meta, OnChange: true, Dir: "moved"}, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live); !os.IsNotExist(err) {
		t.Fatalf("old directory after a move: %v", err)
	}
	check()
	if got := runTriggers(t, s, "live"); got[0] != "first" {
		t.Fatalf("after a move: %v", got)
	}
	if _, err := os.Stat(filepath.Join(s.Root, "moved", LatestName)); err != nil {
		t.Fatal(err)
	}

	// A symbolic link inside the root that leads out of it is refused
	// when the runner writes.
	out := t.TempDir()
	if err := os.Symlink(out, filepath.Join(s.Root, "escape")); err != nil {
		t.Skip("no symbolic links here")
	}
	if _, err := s.Create(ctx, Sync{ID: "esc", Segment: "gold", Format: Meta, OnChange: true, Dir: "escape"}, "t"); err != nil {
		t.Fatal(err)
	}
	run, err := s.RunNow(ctx, "esc")
	if err == nil || !strings.Contains(run.Error, "outside the export root") {
		t.Fatalf("run through an escaping link: %+v %v", run, err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("wrote outside the root: %v", ents)
	}
}
