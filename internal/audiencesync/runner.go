package audiencesync

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LatestName is the stable name of a sync's newest file in its directory.
const LatestName = "latest.csv"

// Loop checks the syncs every CheckEvery until ctx ends. The first check
// waits one interval: a CLI command that opens the data directory for a
// moment should not start exporting.
func (s *Service) Loop(ctx context.Context) {
	every := s.CheckEvery
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Check(ctx); err != nil && ctx.Err() == nil {
			s.logger().Error("audience syncs: check failed", "err", err)
		}
	}
}

// Check runs every sync that is due: one that never wrote a file, one
// whose schedule came round, an on_change one whose segment's membership
// fingerprint differs from its last file's, and a failed one after
// retryAfter. A sync's failure is recorded in its runs and does not stop
// the others.
func (s *Service) Check(ctx context.Context) error {
	syncs, err := s.Syncs(ctx)
	if err != nil {
		return err
	}
	for _, x := range syncs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := s.run(ctx, x.ID, ""); err != nil && !errors.Is(err, errNotDue) {
			s.logger().Warn("audience sync failed", "sync", x.ID, "err", err)
		}
	}
	return nil
}

// RunNow runs a sync at once, whatever its schedule, and returns the run.
// A failed run is returned with its error recorded in it, and as err.
func (s *Service) RunNow(ctx context.Context, id string) (Run, error) {
	return s.run(ctx, id, "manual")
}

// errNotDue says a check found nothing to do for a sync.
var errNotDue = errors.New("not due")

// run runs sync id when trigger is given, or when it is due otherwise.
func (s *Service) run(ctx context.Context, id, trigger string) (Run, error) {
	m := s.lock(id)
	m.Lock()
	defer m.Unlock()
	// Read the definition under the lock: a sync deleted or changed while
	// this one waited is seen as it is now.
	x, err := s.Get(ctx, id)
	if err != nil {
		return Run{}, err
	}
	st, rev, err := s.state(ctx, id)
	if err != nil {
		return Run{}, err
	}
	now := s.now()
	// On-change syncs and manual runs record the membership they export;
	// the fingerprint is taken before the members are read, so a change
	// between the two makes the next check run again rather than go
	// unnoticed.
	fp, withFP := "", x.OnChange || trigger != ""
	if withFP {
		if fp, err = s.Fingerprint(ctx, x.Segment); err != nil {
			return Run{}, fmt.Errorf("audiencesync: fingerprint of segment %s: %w", x.Segment, err)
		}
	}
	if trigger == "" {
		trigger = due(x, st, fp, now)
		if trigger == "" {
			return Run{}, errNotDue
		}
	}
	r := s.write(ctx, x, now)
	r.Trigger = trigger
	st.LastAttempt = now
	if r.Error == "" {
		st.LastSuccess = now
		if withFP {
			st.Fingerprint = fp
		}
	}
	st.Runs = append([]Run{r}, st.Runs...)
	if len(st.Runs) > keepRuns {
		st.Runs = st.Runs[:keepRuns]
	}
	if err := s.saveState(ctx, id, st, rev); err != nil {
		return r, err
	}
	if r.Error != "" {
		return r, errors.New(r.Error)
	}
	return r, nil
}

// due says why sync x should run now, or "" when it should not.
func due(x *Sync, st state, fp string, now time.Time) string {
	failed := st.LastAttempt.After(st.LastSuccess)
	switch {
	case st.LastAttempt.IsZero():
		return "first"
	case failed:
		if now.Sub(st.LastAttempt) >= retryAfter {
			return "retry"
		}
	case x.OnChange && fp != st.Fingerprint:
		return "change"
	case x.Every > 0 && now.Sub(st.LastSuccess) >= time.Duration(x.Every):
		return "schedule"
	}
	return ""
}

// write exports sync x into a new file and returns the run, its error in
// it. The file appears whole or not at all: it is written to a temporary
// name in the same directory, synced, and renamed.
func (s *Service) write(ctx context.Context, x *Sync, now time.Time) Run {
	start := time.Now()
	r := Run{At: now}
	fail := func(err error) Run {
		r.Error = err.Error()
		r.Millis = time.Since(start).Milliseconds()
		return r
	}
	dir, err := ResolveDir(s.Root, x.Dir, x.ID)
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(fmt.Errorf("audience sync %s: directory: %w", x.ID, err))
	}
	if err := checkReal(s.Root, dir); err != nil {
		return fail(err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+x.ID+"-*.csv")
	if err != nil {
		return fail(fmt.Errorf("audience sync %s: %w", x.ID, err))
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	res, err := s.Export(ctx, x.Segment, x.Format, x.Consent, bw)
	r.Result = res
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(fmt.Errorf("audience sync %s: %w", x.ID, err))
	}
	name, err := freeName(dir, x.ID, string(x.Format), now)
	if err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fail(fmt.Errorf("audience sync %s: %w", x.ID, err))
	}
	done = true
	r.File = name
	if err := pointLatest(dir, name); err != nil {
		return fail(fmt.Errorf("audience sync %s: %s: %w", x.ID, LatestName, err))
	}
	syncDir(dir)
	if err := prune(dir, x.ID, x.Keep); err != nil {
		// The new file is in place; an old one left over is not worth
		// failing the run for, but is worth saying.
		s.logger().Warn("audience sync: pruning old files", "sync", x.ID, "err", err)
	}
	r.Millis = time.Since(start).Milliseconds()
	return r
}

// checkReal checks dir against root again with symbolic links resolved, so
// a link placed inside the root cannot send files elsewhere.
func checkReal(root, dir string) error {
	rr, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("export root %s: %w", root, err)
	}
	rd, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("export directory %s: %w", dir, err)
	}
	if !inside(rr, rd) {
		return &FieldError{Field: "dir", Reason: fmt.Sprintf("%s leads outside the export root %s through a symbolic link", dir, root)}
	}
	return nil
}

// fileTime is the UTC timestamp in file names: sortable as text, no
// characters any file system refuses.
const fileTime = "20060102T150405Z"

// FileName is the name of a sync's file written at t.
func FileName(id, format string, t time.Time) string {
	return id + "-" + format + "-" + t.UTC().Format(fileTime) + ".csv"
}

// freeName is FileName, with a counter when two runs fall in one second.
func freeName(dir, id, format string, t time.Time) (string, error) {
	base := FileName(id, format, t)
	stem := strings.TrimSuffix(base, ".csv")
	// The counter goes past every file of the same second rather than into
	// the first free name: a name freed by pruning would sort before the
	// files kept, so the new file would be pruned at once and latest.csv
	// left naming nothing (two runs in one second after a prune did that).
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("audience sync %s: %w", id, err)
	}
	next := 1
	for _, e := range ents {
		name := e.Name()
		if name == base {
			next = max(next, 2)
			continue
		}
		if rest, ok := strings.CutPrefix(name, stem+"-"); ok {
			if n, err := strconv.Atoi(strings.TrimSuffix(rest, ".csv")); err == nil && strings.HasSuffix(rest, ".csv") {
				next = max(next, n+1)
			}
		}
	}
	switch {
	case next == 1:
		return base, nil
	case next > 1000:
		return "", fmt.Errorf("audience sync %s: no free file name for %s", id, base)
	}
	return stem + "-" + strconv.Itoa(next) + ".csv", nil
}

// filePattern matches the files of sync id.
func filePattern(id string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(id) + `-(meta|google)-\d{8}T\d{6}Z(-\d+)?\.csv$`)
}

// files lists the files of sync id in dir, oldest first (by name: the
// timestamp, then the counter).
func files(dir, id string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	re := filePattern(id)
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() && re.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	slices.SortFunc(out, compareNames)
	return out, nil
}

// compareNames orders file names by timestamp, then counter ("…Z.csv"
// before "…Z-2.csv" before "…Z-10.csv").
func compareNames(a, b string) int {
	ka, kb := nameKey(a), nameKey(b)
	if ka.stamp != kb.stamp {
		if ka.stamp < kb.stamp {
			return -1
		}
		return 1
	}
	return ka.n - kb.n
}

type key struct {
	stamp string
	n     int
}

var nameTail = regexp.MustCompile(`(\d{8}T\d{6}Z)(?:-(\d+))?\.csv$`)

func nameKey(name string) key {
	m := nameTail.FindStringSubmatch(name)
	if m == nil {
		return key{stamp: name}
	}
	n := 1
	if m[2] != "" {
		n, _ = strconv.Atoi(m[2])
	}
	return key{stamp: m[1], n: n}
}

// prune removes all but the newest keep files of sync id.
func prune(dir, id string, keep int) error {
	if keep <= 0 {
		keep = DefaultKeep
	}
	fs, err := files(dir, id)
	if err != nil {
		return err
	}
	var errs []error
	for len(fs) > keep {
		if err := os.Remove(filepath.Join(dir, fs[0])); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		fs = fs[1:]
	}
	return errors.Join(errs...)
}

// removeFiles removes every file of sync id and latest.csv from dir, and
// dir itself when that leaves it empty and it is not the export root.
func removeFiles(dir, id, root string) error {
	fs, err := files(dir, id)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range append(fs, LatestName) {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if dir != root {
		_ = os.Remove(dir) // only succeeds when empty
	}
	return errors.Join(errs...)
}

// pointLatest makes dir/latest.csv name the file name: a relative symbolic
// link swapped in by rename, so a reader sees the old file or the new one,
// never none. Where links cannot be made (some Windows accounts) it is a
// copy, renamed into place the same way.
func pointLatest(dir, name string) error {
	latest := filepath.Join(dir, LatestName)
	tmp := filepath.Join(dir, ".tmp-"+LatestName+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err := os.Symlink(name, tmp); err == nil {
		if err := os.Rename(tmp, latest); err != nil {
			os.Remove(tmp)
			return err
		}
		return nil
	}
	if err := copyFile(filepath.Join(dir, name), tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, latest); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncDir makes a rename in dir durable where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// Latest opens the newest file of sync id for reading, with the run that
// wrote it (its counts say how many rows the file holds).
func (s *Service) Latest(ctx context.Context, id string) (*os.File, Run, error) {
	x, err := s.Get(ctx, id)
	if err != nil {
		return nil, Run{}, err
	}
	st, _, err := s.state(ctx, id)
	if err != nil {
		return nil, Run{}, err
	}
	dir, err := ResolveDir(s.Root, x.Dir, x.ID)
	if err != nil {
		return nil, Run{}, err
	}
	for _, r := range st.Runs {
		if r.File == "" || r.Error != "" {
			continue
		}
		f, err := os.Open(filepath.Join(dir, r.File))
		if errors.Is(err, os.ErrNotExist) {
			return nil, Run{}, ErrNoFile
		}
		if err != nil {
			return nil, Run{}, err
		}
		return f, r, nil
	}
	return nil, Run{}, ErrNoFile
}
