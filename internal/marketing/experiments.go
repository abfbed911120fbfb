package marketing

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/experiment"
	"github.com/tradewind/tradewind/internal/kvjson"
)

// Experiment is an A/B test defined over events: who saw which variant
// (an assignment event, by default the "Experiment Viewed" track of
// GrowthBook and the Segment spec, with properties experiment_id and
// variation_id) and the goal metrics measured after assignment.
type Experiment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Variants are the variation_id values; the first is the control.
	Variants []Variant `json:"variants"`
	// Weights are the intended traffic split (equal when empty), for the
	// sample-ratio-mismatch check.
	Weights []float64 `json:"weights,omitempty"`
	// AssignmentEvent is the track event that assigns (default
	// "Experiment Viewed"); ExperimentProperty and VariantProperty name
	// its properties (default experiment_id and variation_id), and Key
	// the experiment_id value (default the ID).
	AssignmentEvent    string `json:"assignment_event"`
	ExperimentProperty string `json:"experiment_property"`
	VariantProperty    string `json:"variant_property"`
	Key                string `json:"key"`
	// Start and End bound the assignments counted (optional).
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
	// Metrics are the goals.
	Metrics   []Metric  `json:"metrics"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Variant is one arm.
type Variant struct {
	// ID is the variation_id value as text (GrowthBook sends 0, 1, …).
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Metric kinds.
const (
	// Conversion: did the user order (an order not cancelled) after
	// assignment? A proportion.
	MetricConversion = "conversion"
	// Revenue: base-currency order totals per user after assignment. A
	// mean over every assigned user (0 for non-buyers).
	MetricRevenue = "revenue"
	// Count: how many times the user sent Event after assignment. A mean.
	MetricCount = "count"
)

// Metric is one goal.
type Metric struct {
	// Name names the metric in results (default: its kind, or
	// count:Event).
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Event is the track event a count metric counts.
	Event string `json:"event,omitempty"`
	// WindowDays limits the metric to that many days after assignment (0:
	// until the end of the data).
	WindowDays int `json:"window_days,omitempty"`
	// CUPEDDays, when > 0, measures the same metric over that many days
	// before assignment and uses it for CUPED variance reduction.
	CUPEDDays int `json:"cuped_days,omitempty"`
}

// ExperimentError names what is wrong with a definition.
type ExperimentError struct{ Field, Reason string }

// Error names the field and what is wrong with it.
func (e *ExperimentError) Error() string { return e.Field + ": " + e.Reason }

// Experiment errors.
var (
	ErrExperimentNotFound = errors.New("experiment not found")
	ErrExperimentExists   = errors.New("an experiment with that id already exists")
)

var expIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
var propPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Normalize fills the defaults and checks the definition.
func (e *Experiment) Normalize() error {
	e.ID = strings.TrimSpace(e.ID)
	if e.ID == "" {
		e.ID = slug(e.Name)
	}
	if !expIDPattern.MatchString(e.ID) {
		return &ExperimentError{"id", "must be 1–63 lower-case letters, digits, _ or -, starting with a letter or digit"}
	}
	if strings.TrimSpace(e.Name) == "" {
		e.Name = e.ID
	}
	if e.AssignmentEvent == "" {
		e.AssignmentEvent = "Experiment Viewed"
	}
	if e.ExperimentProperty == "" {
		e.ExperimentProperty = "experiment_id"
	}
	if e.VariantProperty == "" {
		e.VariantProperty = "variation_id"
	}
	if e.Key == "" {
		e.Key = e.ID
	}
	if !propPattern.MatchString(e.ExperimentProperty) {
		return &ExperimentError{"experiment_property", "must be a plain property name"}
	}
	if !propPattern.MatchString(e.VariantProperty) {
		return &ExperimentError{"variant_property", "must be a plain property name"}
	}
	if len(e.Variants) < 2 {
		return &ExperimentError{"variants", "needs at least two variants (the first is the control)"}
	}
	seen := map[string]bool{}
	for i, v := range e.Variants {
		if strings.TrimSpace(v.ID) == "" {
			return &ExperimentError{fmt.Sprintf("variants[%d].id", i), "is required (the variation_id value)"}
		}
		if seen[v.ID] {
			return &ExperimentError{fmt.Sprintf("variants[%d].id", i), fmt.Sprintf("%q appears twice", v.ID)}
		}
		seen[v.ID] = true
		if e.Variants[i].Name == "" {
			e.Variants[i].Name = v.ID
		}
	}
	if len(e.Weights) > 0 {
		if len(e.Weights) != len(e.Variants) {
			return &ExperimentError{"weights", fmt.Sprintf("has %d weights for %d variants", len(e.Weights), len(e.Variants))}
		}
		for _, w := range e.Weights {
			if !(w > 0) {
				return &ExperimentError{"weights", "must all be > 0"}
			}
		}
	}
	if e.Start != nil && e.End != nil && !e.End.After(*e.Start) {
		return &ExperimentError{"end", "must be after start"}
	}
	if len(e.Metrics) == 0 {
		e.Metrics = []Metric{{Kind: MetricConversion}, {Kind: MetricRevenue}}
	}
	names := map[string]bool{}
	for i := range e.Metrics {
		m := &e.Metrics[i]
		f := fmt.Sprintf("metrics[%d]", i)
		switch m.Kind {
		case MetricConversion, MetricRevenue:
		case MetricCount:
			if strings.TrimSpace(m.Event) == "" {
				return &ExperimentError{f + ".event", "is required for a count metric"}
			}
		default:
			return &ExperimentError{f + ".kind", fmt.Sprintf("%q: want conversion, revenue or count", m.Kind)}
		}
		if m.Name == "" {
			m.Name = m.Kind
			if m.Kind == MetricCount {
				m.Name = "count:" + m.Event
			}
		}
		if names[m.Name] {
			return &ExperimentError{f + ".name", fmt.Sprintf("%q appears twice", m.Name)}
		}
		names[m.Name] = true
		if m.WindowDays < 0 || m.WindowDays > 3650 {
			return &ExperimentError{f + ".window_days", "must be 0 to 3650"}
		}
		if m.CUPEDDays < 0 || m.CUPEDDays > 3650 {
			return &ExperimentError{f + ".cuped_days", "must be 0 to 3650"}
		}
	}
	return nil
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), "_")
}

// definitions is the experiments' key-value bucket.
func (s *Service) definitions() *kvjson.Bucket[Experiment] {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.defs == nil {
		b := s.Bucket
		if b == "" {
			b = "tradewind_experiments"
		}
		s.defs = &kvjson.Bucket[Experiment]{JetStream: s.JetStream, Name: b, Description: "tradewind experiments", Prefix: "exp."}
	}
	return s.defs
}

// Experiments lists the definitions by id.
func (s *Service) Experiments(ctx context.Context) ([]Experiment, error) {
	return s.definitions().All(ctx)
}

// GetExperiment reads one definition.
func (s *Service) GetExperiment(ctx context.Context, id string) (*Experiment, error) {
	if !expIDPattern.MatchString(id) {
		return nil, ErrExperimentNotFound
	}
	x, _, err := s.definitions().Get(ctx, id)
	if errors.Is(err, kvjson.ErrNotFound) {
		return nil, ErrExperimentNotFound
	}
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// CreateExperiment saves a new definition.
func (s *Service) CreateExperiment(ctx context.Context, e Experiment, by string) (*Experiment, error) {
	if err := e.Normalize(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	e.Version, e.CreatedAt, e.UpdatedAt, e.CreatedBy, e.UpdatedBy = 1, now, now, by, by
	if err := s.definitions().Create(ctx, e.ID, e); err != nil {
		if errors.Is(err, kvjson.ErrExists) {
			return nil, ErrExperimentExists
		}
		return nil, err
	}
	return &e, nil
}

// UpdateExperiment replaces a definition, keeping its id and creation.
func (s *Service) UpdateExperiment(ctx context.Context, id string, e Experiment, by string) (*Experiment, error) {
	old, err := s.GetExperiment(ctx, id)
	if err != nil {
		return nil, err
	}
	e.ID = id
	if err := e.Normalize(); err != nil {
		return nil, err
	}
	e.Version, e.CreatedAt, e.CreatedBy = old.Version+1, old.CreatedAt, old.CreatedBy
	e.UpdatedAt, e.UpdatedBy = s.now().UTC(), by
	if err := s.definitions().Put(ctx, id, e); err != nil {
		return nil, err
	}
	return &e, nil
}

// DeleteExperiment removes a definition.
func (s *Service) DeleteExperiment(ctx context.Context, id string) error {
	if _, err := s.GetExperiment(ctx, id); err != nil {
		return err
	}
	return s.definitions().Delete(ctx, id)
}

// MetricResult is one metric's verdict: the report of
// internal/experiment.Analyze (the shape of `tradewind experiment analyze
// --json`), or why there is none.
type MetricResult struct {
	Metric Metric             `json:"metric"`
	Stats  []VariantStats     `json:"stats"`
	Report *experiment.Report `json:"report,omitempty"`
	Error  string             `json:"error,omitempty"`
}

// VariantStats are a variant's sufficient statistics as the store summed
// them (the input of `experiment analyze --stats`).
type VariantStats struct {
	Name          string   `json:"name"`
	N             int64    `json:"n"`
	Sum           float64  `json:"sum"`
	SumSquares    float64  `json:"sum_squares"`
	PreSum        *float64 `json:"pre_sum,omitempty"`
	PreSumSquares *float64 `json:"pre_sum_squares,omitempty"`
	SumProducts   *float64 `json:"sum_products,omitempty"`
}

// ExperimentResults is the analysis of one experiment.
type ExperimentResults struct {
	Experiment Experiment `json:"experiment"`
	// Users per variant, and users seen in more than one variant (left
	// out, as GrowthBook does) or with an unknown variation.
	Users             map[string]int64 `json:"users"`
	MultipleExposures int64            `json:"multiple_exposures"`
	UnknownVariant    int64            `json:"unknown_variant"`
	Metrics           []MetricResult   `json:"metrics"`
	AnalyzedAt        time.Time        `json:"analyzed_at"`
}

// assignSQL finds each profile's assignment: the first assignment event
// of the experiment, and whether the profile saw more than one variant.
const assignSQL = `
SELECT profile_id, min("timestamp") AS at, arg_min(v, "timestamp") AS variant, count(DISTINCT v) AS variants
FROM (SELECT profile_id, "timestamp", json_extract_string(properties, ?) AS v FROM events
      WHERE type = 'track' AND event = ? AND json_extract_string(properties, ?) = ? AND profile_id IS NOT NULL
        AND "timestamp" >= ? AND "timestamp" < ?)
GROUP BY profile_id`

// ExperimentResults sums each metric per variant in the store and runs
// internal/experiment.Analyze on the sums.
func (s *Service) ExperimentResults(ctx context.Context, id string) (*ExperimentResults, error) {
	e, err := s.GetExperiment(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.Analyze(ctx, *e)
}

// Analyze computes the results of a definition (saved or not).
func (s *Service) Analyze(ctx context.Context, e Experiment) (*ExperimentResults, error) {
	if err := e.Normalize(); err != nil {
		return nil, err
	}
	start, end := time.Unix(0, 0).UTC(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if e.Start != nil {
		start = *e.Start
	}
	if e.End != nil {
		end = *e.End
	}
	out := &ExperimentResults{Experiment: e, Users: map[string]int64{}, AnalyzedAt: s.now().UTC()}
	index := map[string]int{}
	for i, v := range e.Variants {
		index[v.ID] = i
		out.Users[v.Name] = 0
	}
	assign := fmt.Sprintf(`WITH a AS (%s) `, assignSQL)
	baseArgs := []any{"$." + e.VariantProperty, e.AssignmentEvent, "$." + e.ExperimentProperty, e.Key, start, end}
	// Users per variant, and the excluded.
	err := s.Scan(ctx, assign+`SELECT variant, variants > 1, count(*) FROM a GROUP BY ALL`, baseArgs, func(r []any) error {
		v, _ := r[0].(string)
		n := r[2].(int64)
		i, ok := index[v]
		switch {
		case r[1].(bool):
			out.MultipleExposures += n
		case !ok:
			out.UnknownVariant += n
		default:
			out.Users[e.Variants[i].Name] += n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("marketing: experiment %s: assignments: %w", e.ID, err)
	}
	for _, m := range e.Metrics {
		mr, err := s.metric(ctx, e, m, assign, baseArgs, index)
		if err != nil {
			return nil, fmt.Errorf("marketing: experiment %s: metric %s: %w", e.ID, m.Name, err)
		}
		out.Metrics = append(out.Metrics, *mr)
	}
	return out, nil
}

// metric sums one metric per variant: per user the value after assignment
// (and the pre-period value for CUPED), then n, Σy, Σy², Σx, Σx², Σxy per
// variant, all in the store.
func (s *Service) metric(ctx context.Context, e Experiment, m Metric, assign string, baseArgs []any, index map[string]int) (*MetricResult, error) {
	var value, pre string
	args := slices.Clone(baseArgs)
	window := "TRUE"
	if m.WindowDays > 0 {
		window = fmt.Sprintf(`o."timestamp" < a.at + INTERVAL %d DAY`, m.WindowDays)
	}
	preWin := fmt.Sprintf(`o."timestamp" < a.at AND o."timestamp" >= a.at - INTERVAL %d DAY`, m.CUPEDDays)
	post := `o."timestamp" >= a.at AND ` + window
	var from string
	switch m.Kind {
	case MetricConversion:
		from = `orders o ON o.profile_id = a.profile_id AND o.status <> 'cancelled'`
		value = fmt.Sprintf(`CASE WHEN count(*) FILTER (WHERE %s) > 0 THEN 1.0::DOUBLE ELSE 0.0::DOUBLE END`, post)
		pre = fmt.Sprintf(`CASE WHEN count(*) FILTER (WHERE %s) > 0 THEN 1.0::DOUBLE ELSE 0.0::DOUBLE END`, preWin)
	case MetricRevenue:
		from = `orders o ON o.profile_id = a.profile_id AND o.status <> 'cancelled'`
		value = fmt.Sprintf(`coalesce(sum(o.total_base) FILTER (WHERE %s), 0)::DOUBLE`, post)
		pre = fmt.Sprintf(`coalesce(sum(o.total_base) FILTER (WHERE %s), 0)::DOUBLE`, preWin)
	case MetricCount:
		from = `events o ON o.profile_id = a.profile_id AND o.type = 'track' AND o.event = ?`
		args = append(args, m.Event)
		value = fmt.Sprintf(`(count(*) FILTER (WHERE %s))::DOUBLE`, post)
		pre = fmt.Sprintf(`(count(*) FILTER (WHERE %s))::DOUBLE`, preWin)
	}
	if m.CUPEDDays == 0 {
		pre = "0.0::DOUBLE"
	}
	q := assign + fmt.Sprintf(`, u AS (
  SELECT a.profile_id, a.variant, %s AS y, %s AS pre FROM a LEFT JOIN %s
  WHERE a.variants = 1 GROUP BY a.profile_id, a.variant, a.at)
SELECT variant, count(*), sum(y)::DOUBLE, sum(y * y)::DOUBLE, sum(pre)::DOUBLE, sum(pre * pre)::DOUBLE, sum(pre * y)::DOUBLE FROM u GROUP BY variant`, value, pre, from)
	stats := make([]VariantStats, len(e.Variants))
	for i, v := range e.Variants {
		stats[i].Name = v.Name
	}
	err := s.Scan(ctx, q, args, func(r []any) error {
		v, _ := r[0].(string)
		i, ok := index[v]
		if !ok {
			return nil
		}
		f := func(x any) float64 { y, _ := x.(float64); return y }
		st := &stats[i]
		st.N, st.Sum, st.SumSquares = r[1].(int64), f(r[2]), f(r[3])
		if m.CUPEDDays > 0 {
			a, b, c := f(r[4]), f(r[5]), f(r[6])
			st.PreSum, st.PreSumSquares, st.SumProducts = &a, &b, &c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	mr := &MetricResult{Metric: m, Stats: stats}
	typ := experiment.Mean
	if m.Kind == MetricConversion {
		typ = experiment.Proportion
	}
	vs := make([]experiment.Variant, len(stats))
	for i, st := range stats {
		vs[i] = experiment.Variant{Name: st.Name, Stat: experiment.Stat{Type: typ, N: st.N, Sum: st.Sum, SumSquares: st.SumSquares}}
		if st.PreSum != nil {
			vs[i].Pre = &experiment.Covariate{Sum: *st.PreSum, SumSquares: *st.PreSumSquares, SumProducts: *st.SumProducts}
		}
	}
	rep, err := experiment.Analyze(vs, e.Weights, experiment.Options{})
	if err != nil {
		mr.Error = err.Error()
	} else {
		mr.Report = rep
	}
	return mr, nil
}
