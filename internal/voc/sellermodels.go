package voc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/voc/sentiment"
)

// ErrTraining is returned when a training or rescoring run is asked for
// while another one runs.
var ErrTraining = errors.New("a sentiment training or rescoring run is already under way")

// ScoreUpdate is a stored review's new sentiment after a rescore. Seq and
// ReviewID identify the row.
type ScoreUpdate struct {
	Seq       uint64
	ReviewID  string
	Sentiment string
	Score     float64
}

// SellerModels keeps the node's seller sentiment model: it trains one
// from the stored rated reviews, stores the accepted one in Dir, loads it
// at start and scores new reviews with it (ScoreText, the enricher) for
// its languages and with the built-in model for the others.
//
// Files in Dir: voc-sentiment-<UTC timestamp>.bin (the models) and .json
// (the card: the training report), and voc-sentiment-active, the version
// that serves (absent: the built-in model serves every language). Older
// versions stay on disk as a history; reverting removes only the
// pointer.
type SellerModels struct {
	// Dir is where models are kept (the data directory's models/).
	Dir string
	// Scan reads the reviews.
	Scan ScanFunc
	// Update writes rescored sentiment to stored reviews (nil: rescoring
	// is not available).
	Update func(ctx context.Context, rows []ScoreUpdate) error
	Now    func() time.Time
	Logger *slog.Logger

	cur atomic.Pointer[SellerModel]
	mu  sync.Mutex // one training or rescoring run at a time
}

const activeFile = "voc-sentiment-active"

// Load loads the active seller model from Dir, if any. An error leaves
// the built-in model serving.
func (s *SellerModels) Load() error {
	b, err := os.ReadFile(filepath.Join(s.Dir, activeFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("voc: seller model: %w", err)
	}
	version := strings.TrimSpace(string(b))
	if !validVersion(version) {
		return fmt.Errorf("voc: seller model: %s names %q, not a model version", filepath.Join(s.Dir, activeFile), version)
	}
	sm, err := s.read(version)
	if err != nil {
		return err
	}
	s.cur.Store(sm)
	if s.Logger != nil {
		s.Logger.Info("seller sentiment model loaded", "version", version, "languages", sm.Report.Accepted)
	}
	return nil
}

func validVersion(v string) bool {
	return strings.HasPrefix(v, "voc-sentiment-") && !strings.ContainsAny(v, `/\`) && v != activeFile
}

func (s *SellerModels) read(version string) (*SellerModel, error) {
	bin := filepath.Join(s.Dir, version+".bin")
	b, err := os.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("voc: seller model: %w", err)
	}
	models, err := LoadSellerModels(b)
	if err != nil {
		return nil, fmt.Errorf("voc: seller model %s: %w", bin, err)
	}
	card := filepath.Join(s.Dir, version+".json")
	cb, err := os.ReadFile(card)
	if err != nil {
		return nil, fmt.Errorf("voc: seller model card: %w", err)
	}
	var rep TrainReport
	if err := json.Unmarshal(cb, &rep); err != nil {
		return nil, fmt.Errorf("voc: seller model card %s: %w", card, err)
	}
	return &SellerModel{Models: models, Report: &rep}, nil
}

// Current returns the seller model that serves, or nil.
func (s *SellerModels) Current() *SellerModel { return s.cur.Load() }

// ScoreText is the review enricher: as ScoreText, with the seller's
// model for the languages it was accepted for.
func (s *SellerModels) ScoreText(text, lang string) store.TextScore {
	return scoreWith(s.cur.Load(), text, lang)
}

func (s *SellerModels) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// trainSQL reads the rated reviews with the text the enricher scores
// (title and body) and the language it resolved.
const trainSQL = `SELECT review_id, coalesce(title, '') || chr(10) || coalesce(body, ''),
	coalesce(detected_language, language, ''), CAST(rating AS DOUBLE), "timestamp"
FROM reviews WHERE rating IS NOT NULL`

// Train trains on the stored rated reviews (see TrainSeller) and, unless
// dryRun, stores the accepted model and serves it from now on. A run that
// accepts no language changes nothing: the model served before stays.
func (s *SellerModels) Train(ctx context.Context, opt TrainOptions, dryRun bool) (*TrainReport, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if !s.mu.TryLock() {
		return nil, ErrTraining
	}
	defer s.mu.Unlock()
	var reviews []RatedReview
	err := s.Scan(ctx, trainSQL, nil, func(r []any) error {
		rv := RatedReview{ID: str(r[0]), Text: strings.TrimSpace(str(r[1])), Lang: str(r[2])}
		rv.Rating, _ = r[3].(float64)
		rv.Time, _ = r[4].(time.Time)
		reviews = append(reviews, rv)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("voc: read rated reviews: %w", err)
	}
	start := time.Now()
	sm, rep := TrainSeller(reviews, opt, s.now())
	rep.DryRun = dryRun
	if s.Logger != nil {
		s.Logger.Info("seller sentiment model trained", "reviews", rep.Reviews, "accepted", rep.Accepted,
			"dry_run", dryRun, "took", time.Since(start).Round(time.Millisecond))
	}
	if dryRun || len(rep.Accepted) == 0 {
		if !dryRun {
			rep.Note = "no language accepted: the model that served before still serves"
		}
		return rep, nil
	}
	if err := s.save(sm); err != nil {
		return nil, err
	}
	s.cur.Store(sm)
	rep.Activated = true
	rep.Note = "new reviews in " + strings.Join(rep.Accepted, ", ") + " are scored with this model; stored reviews keep their scores until POST /v1/voc/rescore (tradewind voc rescore)"
	return rep, nil
}

// save writes the model and its card, then points the active file at
// them; each file is written whole (temporary file, rename).
func (s *SellerModels) save(sm *SellerModel) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("voc: seller model: %w", err)
	}
	b, err := sm.MarshalBinary()
	if err != nil {
		return fmt.Errorf("voc: seller model: %w", err)
	}
	card, err := json.MarshalIndent(sm.Report, "", "  ")
	if err != nil {
		return fmt.Errorf("voc: seller model card: %w", err)
	}
	v := sm.Report.Version
	for _, f := range []struct {
		name string
		data []byte
	}{{v + ".bin", b}, {v + ".json", card}, {activeFile, []byte(v + "\n")}} {
		if err := writeFile(filepath.Join(s.Dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("voc: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("voc: write %s: %w", path, err)
	}
	return nil
}

// ServingLanguages are the languages GET /v1/voc/model lists besides the
// seller model's own.
var ServingLanguages = []string{"en", "es", "de", "fr", "it", "pt", "ja", "zh", "ko"}

// LanguageModel says which model scores a language.
type LanguageModel struct {
	Lang string `json:"lang"`
	// Model is "builtin" or the seller model's version.
	Model string `json:"model"`
	// Heldout figures of the seller model against the built-in one, when
	// the seller model serves.
	Builtin *Metrics `json:"builtin,omitempty"`
	Trained *Metrics `json:"trained,omitempty"`
}

// Status is which model serves each language.
type Status struct {
	// Builtin is the built-in model's version (sentiment.BuiltinVersion).
	Builtin string `json:"builtin"`
	// Seller is the serving seller model's version ("" when none).
	Seller    string          `json:"seller"`
	Languages []LanguageModel `json:"languages"`
	// Card is the serving seller model's training report.
	Card *TrainReport `json:"card,omitempty"`
}

// Status reports which model serves each language.
func (s *SellerModels) Status() Status {
	st := Status{Builtin: sentiment.BuiltinVersion(), Languages: []LanguageModel{}}
	sm := s.cur.Load()
	langs := append([]string(nil), ServingLanguages...)
	if sm != nil {
		st.Seller, st.Card = sm.Report.Version, sm.Report
		for l := range sm.Models {
			if !contains(langs, l) {
				langs = append(langs, l)
			}
		}
	}
	sort.Strings(langs)
	for _, l := range langs {
		lm := LanguageModel{Lang: l, Model: "builtin"}
		if sm.Serves(l) {
			lm.Model = sm.Report.Version
			for _, lr := range sm.Report.Languages {
				if lr.Lang == l {
					lm.Builtin, lm.Trained = lr.Builtin, lr.Trained
				}
			}
		}
		st.Languages = append(st.Languages, lm)
	}
	return st
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Revert stops serving the seller model: the built-in one scores every
// language again. The model's files stay in Dir. It returns the version
// that served ("" when none did).
func (s *SellerModels) Revert() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm := s.cur.Load()
	if err := os.Remove(filepath.Join(s.Dir, activeFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("voc: revert the seller model: %w", err)
	}
	s.cur.Store(nil)
	if sm == nil {
		return "", nil
	}
	return sm.Report.Version, nil
}

// RescoreResult is what a rescore did.
type RescoreResult struct {
	Reviews int      `json:"reviews"` // stored reviews read
	Changed int      `json:"changed"` // whose sentiment or score changed
	Langs   []string `json:"languages,omitempty"`
	Seller  string   `json:"seller"` // the seller model used ("" : built-in only)
}

// rescoreSQL reads stored scored reviews with the text and language the
// enricher used.
const rescoreSQL = `SELECT seq, review_id, coalesce(title, '') || chr(10) || coalesce(body, ''), detected_language,
	sentiment, coalesce(sentiment_score, 0)
FROM reviews WHERE sentiment IS NOT NULL`

// rescoreBatch is how many rows one Update writes (the store writer waits
// for each).
const rescoreBatch = 500

// Rescore re-scores the stored reviews (of langs, or all when empty) with
// the models that serve now, and writes those whose sentiment changed.
// Only the sentiment changes; language and topics do not depend on the
// model. A review being written at the very moment a model is installed
// may keep the score the old model gave: run Rescore again to be sure.
func (s *SellerModels) Rescore(ctx context.Context, langs []string) (*RescoreResult, error) {
	if s.Update == nil {
		return nil, errors.New("voc: rescoring is not available on this node")
	}
	if !s.mu.TryLock() {
		return nil, ErrTraining
	}
	defer s.mu.Unlock()
	sm := s.cur.Load()
	res := &RescoreResult{Langs: langs}
	if sm != nil {
		res.Seller = sm.Report.Version
	}
	q, args := rescoreSQL, []any{}
	if len(langs) > 0 {
		ph := make([]string, len(langs))
		for i, l := range langs {
			ph[i] = fmt.Sprintf("$%d", i+1)
			args = append(args, l)
		}
		q += " AND detected_language IN (" + strings.Join(ph, ", ") + ")"
	}
	var batch []ScoreUpdate
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.Update(ctx, batch); err != nil {
			return fmt.Errorf("voc: rescore: %w", err)
		}
		res.Changed += len(batch)
		batch = batch[:0]
		return nil
	}
	// Read first, then write: the store's writer lock is taken per batch
	// of updates, never while a scan is open.
	var all []ScoreUpdate
	err := s.Scan(ctx, q, args, func(r []any) error {
		res.Reviews++
		seq, ok := asUint64(r[0])
		if !ok {
			return fmt.Errorf("review %q: seq %v is not a number", str(r[1]), r[0])
		}
		lang := str(r[3])
		m := sentiment.Default()
		if own, ok := sm.model(lang); ok {
			m = own
		}
		sc := m.ScoreLang(strings.TrimSpace(str(r[2])), lang)
		old, _ := r[5].(float64)
		if string(sc.Label) != str(r[4]) || math.Abs(sc.Score-old) > 1e-9 {
			all = append(all, ScoreUpdate{Seq: seq, ReviewID: str(r[1]), Sentiment: string(sc.Label), Score: sc.Score})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("voc: rescore: read reviews: %w", err)
	}
	for _, u := range all {
		batch = append(batch, u)
		if len(batch) == rescoreBatch {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if s.Logger != nil {
		s.Logger.Info("reviews rescored", "reviews", res.Reviews, "changed", res.Changed, "seller", res.Seller)
	}
	return res, nil
}

func asUint64(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint64:
		return x, true
	case int64:
		return uint64(x), x >= 0
	case uint32:
		return uint64(x), true
	case int32:
		return uint64(x), x >= 0
	}
	return 0, false
}
