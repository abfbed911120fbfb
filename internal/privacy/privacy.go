// Package privacy treats personal data as hazardous material: it encrypts
// the high-tier fields of every message at ingest with the key of the
// message's sender identity, keeps the suppression list of erased people,
// records consent, and carries out data-subject requests — export (with a
// second approver for decrypted data) and erasure, which destroys the
// person's keys, deletes their rows and securely deletes their messages from
// the event log, so that nothing decryptable is left anywhere.
//
// The parts live in subpackages: pii (classification, envelopes, blind
// indexes), keystore (per-subject data keys under a master key) and suppress
// (the suppression list). This package wires them to ingest, the store and
// the event log.
package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/privacy/keystore"
	"github.com/tradewind/tradewind/internal/privacy/pii"
	"github.com/tradewind/tradewind/internal/privacy/suppress"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
)

// Log is the part of the event log erasure needs.
type Log interface {
	SecureDelete(ctx context.Context, seqs []uint64) (int, error)
	LastSeq(ctx context.Context) (uint64, error)
}

// Store is the part of the analytic store data-subject requests need.
type Store interface {
	store.PersonStore
	AppliedSeq(ctx context.Context) (uint64, error)
}

// Config configures the service.
type Config struct {
	Keys     *keystore.Store
	Suppress *suppress.List
	// Classifier decides the tiers; nil uses the default rules.
	Classifier *pii.Classifier
	Store      Store
	Log        Log
	JetStream  jetstream.JetStream
	// Bucket holds the requests (default "tradewind_privacy").
	Bucket string
	// Region gives a source's country, the default region of its phone
	// numbers.
	Region func(sourceID string) string
	Logger *slog.Logger
	// Registry receives the service's metrics; nil registers none.
	Registry prometheus.Registerer
	// MaxIdentities caps the identities one request may touch (default 1000).
	MaxIdentities int
	// Publish writes one of tradewind's own messages (a consent decision)
	// for a source into the event log, through ingest.
	Publish func(ctx context.Context, sourceID string, raw []byte) error
}

// Service is the privacy service of a node.
type Service struct {
	cfg   Config
	enc   *pii.Encryptor
	index []byte
	reqs  *requests

	// OnErase, if set, is told the identities of each erased person (the
	// profile engine forgets their profiles).
	OnErase func(ctx context.Context, ids []store.Identity) error

	queue chan string
	wg    sync.WaitGroup
	stop  context.CancelFunc
	mu    sync.Mutex // serialises erasures and exports

	dropped    atomic.Int64
	droppedCtr prometheus.Counter
	erasures   prometheus.Counter
	eraseSecs  prometheus.Histogram
}

// New starts the service and resumes the requests a stopped node left
// pending.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = "tradewind_privacy"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxIdentities == 0 {
		cfg.MaxIdentities = 1000
	}
	if cfg.Classifier == nil {
		cfg.Classifier = pii.NewClassifier(nil)
	}
	if cfg.Region == nil {
		cfg.Region = func(string) string { return "" }
	}
	s := &Service{cfg: cfg, index: cfg.Keys.IndexKey(), queue: make(chan string, 1024)}
	s.enc = &pii.Encryptor{Classifier: cfg.Classifier, Keys: cfg.Keys, IndexKey: s.index}
	var err error
	if s.reqs, err = openRequests(ctx, cfg.JetStream, cfg.Bucket); err != nil {
		return nil, err
	}
	s.droppedCtr = prometheus.NewCounter(prometheus.CounterOpts{Name: "tradewind_privacy_suppressed_total",
		Help: "Messages of erased people dropped at ingest (their identifiers are on the suppression list)."})
	s.erasures = prometheus.NewCounter(prometheus.CounterOpts{Name: "tradewind_privacy_erasures_total", Help: "Completed erasures."})
	s.eraseSecs = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tradewind_privacy_erasure_seconds",
		Help: "Time to carry out one erasure.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)})
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(s.droppedCtr, s.erasures, s.eraseSecs,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tradewind_privacy_suppression_entries",
				Help: "Entries on the suppression list."}, func() float64 { return float64(cfg.Suppress.Len()) }))
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	s.wg.Add(1)
	go s.work(wctx)
	if all, err := s.reqs.list(ctx); err == nil {
		for _, r := range all {
			if r.Status == StatusPending && !r.AwaitingApproval && r.Kind == KindErasure {
				s.queue <- r.ID
			}
		}
	}
	return s, nil
}

// Close stops the request worker.
func (s *Service) Close() {
	if s.stop != nil {
		s.stop()
		s.wg.Wait()
	}
}

// IndexKey is the blind-index key.
func (s *Service) IndexKey() []byte { return s.index }

// Suppressed counts messages dropped at ingest since start.
func (s *Service) Suppressed() int64 { return s.dropped.Load() }

// Protect prepares a message for the event log: it drops the messages of
// erased people (suppressed true) and encrypts the high-tier fields of the
// rest in place with the key of the sender identity (changed true when it
// did). It is ingest's hook, called for every message.
func (s *Service) Protect(v *fastjson.Value, src source.Source, arena *fastjson.Arena) (changed, suppressed bool, err error) {
	uid, aid := segment.ID(v, "userId"), segment.ID(v, "anonymousId")
	check := s.cfg.Suppress.Len() > 0
	if check && s.identitySuppressed(src.ID, uid, aid) {
		s.drop()
		return false, true, nil
	}
	subject := pii.Subject(src.ID, uid, aid)
	res, err := s.enc.Encrypt(v, subject, src.Country, arena)
	if err != nil {
		return false, false, err
	}
	if check {
		for _, t := range res.Tokens {
			if s.cfg.Suppress.Contains(s.tokenHash(t.Kind, string(t.Token))) {
				s.drop()
				return false, true, nil
			}
		}
	}
	return res.Changed, false, nil
}

func (s *Service) drop() {
	s.dropped.Add(1)
	s.droppedCtr.Inc()
}

// identitySuppressed checks a sender identity against the suppression list.
func (s *Service) identitySuppressed(sourceID, userID, anonymousID string) bool {
	if userID != "" && s.cfg.Suppress.Contains(s.userHash(sourceID, userID)) {
		return true
	}
	return anonymousID != "" && s.cfg.Suppress.Contains(s.anonHash(anonymousID))
}

// StoreSuppressed is the store projector's check, so that a replay of the
// log or a message in flight at the erasure never brings a person back.
func (s *Service) StoreSuppressed(sourceID, userID, anonymousID string, tokens []store.TokenRow) bool {
	if s.cfg.Suppress.Len() == 0 {
		return false
	}
	if s.identitySuppressed(sourceID, userID, anonymousID) {
		return true
	}
	for _, t := range tokens {
		if s.cfg.Suppress.Contains(s.tokenHash(t.Kind, t.Token)) {
			return true
		}
	}
	return false
}

// EmailToken is the blind-index token of an e-mail address, the form in
// which tradewind matches addresses without keeping them (suppression
// lists of bounced or unsubscribed addresses); ok is false for text that
// is not an address.
func (s *Service) EmailToken(email string) (string, bool) {
	norm, ok := pii.NormalizeEmail(email)
	if !ok {
		return "", false
	}
	return string(pii.BlindIndex(s.index, "email", norm)), true
}

// TokenOf is the store projector's envelope reader.
func TokenOf(v string) (kind, token string, ok bool) {
	e, err := pii.ParseEnvelope(v)
	if err != nil || e.Token == "" {
		return "", "", false
	}
	return e.Kind, string(e.Token), true
}

func (s *Service) userHash(sourceID, userID string) [32]byte {
	return pii.SuppressionHash(s.index, "user", sourceID+"\x00"+userID)
}

func (s *Service) anonHash(anonymousID string) [32]byte {
	return pii.SuppressionHash(s.index, "anonymous", anonymousID)
}

func (s *Service) tokenHash(kind, token string) [32]byte {
	return pii.SuppressionHash(s.index, "token:"+kind, token)
}

// Identifier names a person in a request: exactly one of Email, Phone,
// UserID (with Source, or in every source) and AnonymousID.
type Identifier struct {
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	UserID      string `json:"user_id,omitempty"`
	AnonymousID string `json:"anonymous_id,omitempty"`
	// Source qualifies UserID, and gives Phone its default region.
	Source string `json:"source,omitempty"`
	// Region is the default region of a national phone number (ISO 3166
	// alpha-2); without it the source's country is used.
	Region string `json:"region,omitempty"`
}

// FieldError names what is wrong with a request.
type FieldError struct{ Field, Reason string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// resolve turns an identifier into a person query and the way requests
// show it. Search by identifier is exact: an email or phone is matched on its
// normalised form through its blind index, never by pattern.
func (s *Service) resolve(id Identifier) (store.PersonQuery, Shown, error) {
	var q store.PersonQuery
	n := 0
	for _, v := range []string{id.Email, id.Phone, id.UserID, id.AnonymousID} {
		if strings.TrimSpace(v) != "" {
			n++
		}
	}
	if n != 1 {
		return q, Shown{}, &FieldError{"identifier", "give exactly one of email, phone, user_id, anonymous_id"}
	}
	switch {
	case id.Email != "":
		norm, ok := pii.NormalizeEmail(id.Email)
		if !ok {
			return q, Shown{}, &FieldError{"identifier.email", "is not an email address"}
		}
		q.Tokens = []store.KindToken{{Kind: "email", Token: string(pii.BlindIndex(s.index, "email", norm))}}
		return q, Shown{Kind: "email", Masked: pii.Mask("email", norm)}, nil
	case id.Phone != "":
		region := id.Region
		if region == "" && id.Source != "" {
			region = s.cfg.Region(id.Source)
		}
		norm, ok := pii.NormalizePhone(id.Phone, region)
		if !ok {
			return q, Shown{}, &FieldError{"identifier.phone", "is not a phone number (give it in international format, or a region)"}
		}
		q.Tokens = []store.KindToken{{Kind: "phone", Token: string(pii.BlindIndex(s.index, "phone", norm))}}
		return q, Shown{Kind: "phone", Masked: pii.Mask("phone", norm)}, nil
	case id.UserID != "":
		q.UserIDs = []store.Identity{{SourceID: id.Source, UserID: id.UserID}}
		return q, Shown{Kind: "user_id", Masked: maskID(id.UserID), Source: id.Source}, nil
	default:
		q.AnonymousIDs = []string{id.AnonymousID}
		return q, Shown{Kind: "anonymous_id", Masked: maskID(id.AnonymousID)}, nil
	}
}

// maskID shows the first and last characters of a pseudonymous id.
func maskID(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:2]) + strings.Repeat("*", len(r)-4) + string(r[len(r)-2:])
}

// Submit records a request and, for an erasure or an export that needs no
// approval, starts it. by is the requesting principal.
func (s *Service) Submit(ctx context.Context, kind string, id Identifier, regulation, by string, masked bool) (*Request, error) {
	if kind != KindErasure && kind != KindExport {
		return nil, &FieldError{"kind", "must be erasure or export"}
	}
	regulation = strings.ToLower(strings.TrimSpace(regulation))
	if regulation == "" {
		regulation = "gdpr"
	}
	d, ok := deadlines[regulation]
	if !ok {
		return nil, &FieldError{"regulation", "must be gdpr, ccpa, appi or pipl"}
	}
	q, shown, err := s.resolve(id)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	req := &Request{ID: newRequestID(), Kind: kind, Status: StatusPending, Regulation: regulation, Identifier: shown,
		CreatedAt: now, Deadline: now.Add(d), RequestedBy: by, Query: &q, Masked: masked}
	if kind == KindExport && !masked {
		req.AwaitingApproval = true
	}
	if kind == KindExport && masked {
		req.Status = StatusCompleted
		t := now
		req.Completed = &t
	}
	if err := s.reqs.put(ctx, req); err != nil {
		return nil, err
	}
	if kind == KindErasure {
		s.queue <- req.ID
	}
	return req, nil
}

// Get returns a request.
func (s *Service) Get(ctx context.Context, id string) (*Request, error) {
	r, err := s.reqs.get(ctx, id)
	if err != nil {
		return nil, err
	}
	r.Query = nil
	return r, nil
}

// List returns every request, newest first.
func (s *Service) List(ctx context.Context) ([]*Request, error) {
	all, err := s.reqs.list(ctx)
	for _, r := range all {
		r.Query = nil
	}
	return all, err
}

// Approval errors.
var (
	ErrSelfApproval = errors.New("the requester cannot approve their own export: a second person must")
	ErrNotAwaiting  = errors.New("the request is not waiting for approval")
)

// Approve is the second person's approval of an export of decrypted data.
func (s *Service) Approve(ctx context.Context, id, by string) (*Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.reqs.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !r.AwaitingApproval {
		return nil, ErrNotAwaiting
	}
	if r.RequestedBy == by {
		return nil, ErrSelfApproval
	}
	r.AwaitingApproval = false
	r.ApprovedBy = by
	r.Status = StatusCompleted
	t := time.Now().UTC()
	r.Completed = &t
	if err := s.reqs.put(ctx, r); err != nil {
		return nil, err
	}
	r.Query = nil
	return r, nil
}

func (s *Service) work(ctx context.Context) {
	defer s.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-s.queue:
			if err := s.runErasure(ctx, id); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Error("erasure failed", "request", id, "err", err)
			}
		}
	}
}

// Wait blocks until request id is no longer pending (or ctx ends).
func (s *Service) Wait(ctx context.Context, id string) (*Request, error) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		r, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if r.Status != StatusPending || r.AwaitingApproval {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-t.C:
		}
	}
}

func errString(err error) string {
	var tm *store.ErrTooManyIdentities
	if errors.As(err, &tm) {
		return tm.Error()
	}
	return fmt.Sprintf("%v", err)
}
