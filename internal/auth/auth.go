// Package auth decides who is calling tradewind and what they may do:
// user accounts with roles, argon2id passwords, dashboard sessions with CSRF
// protection, scoped API tokens, the spine's admin token, login lockout and
// rate limits.
//
// Users, tokens and sessions live in JetStream key-value buckets beside the
// event log, like the source registry, so every node of a cluster sees the
// same accounts and a session opened on one node works on another; secrets
// stay out of the analytic store, where users run SQL. Users and tokens are
// cached in memory and kept current by bucket watchers, so authenticating a
// token costs a map lookup. Sessions are read from their bucket on each
// request (one in-process KV read), so a logout on any node is effective
// everywhere at once.
//
// Nothing here stores or logs a secret in the clear: passwords are argon2id
// hashes, session ids and token secrets are stored as SHA-256 hashes, and KV
// keys (which are NATS subjects) never contain an e-mail address.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Default bucket names.
const (
	DefaultUsersBucket    = "tradewind_users"
	DefaultTokensBucket   = "tradewind_tokens"
	DefaultSessionsBucket = "tradewind_sessions"
)

// Default session lifetimes. A session ends after SessionIdle without a
// request, or SessionLifetime after login whatever happens. Twelve idle hours
// let a working day pass without re-login but not a night; seven days bound
// how long a stolen cookie is useful and make everyone re-enter their
// password weekly.
const (
	DefaultSessionIdle     = 12 * time.Hour
	DefaultSessionLifetime = 7 * 24 * time.Hour
)

// DefaultTokenLifetime applies to an API token created without an expiry;
// DefaultMaxTokenLifetime is the longest allowed. Tokens that never expire
// outlive the people and scripts they were made for.
const (
	DefaultTokenLifetime    = 90 * 24 * time.Hour
	DefaultMaxTokenLifetime = 366 * 24 * time.Hour
)

// Options configure a Service. The zero value works.
type Options struct {
	// UsersBucket, TokensBucket and SessionsBucket name the KV buckets; tests
	// sharing a NATS server give each test its own.
	UsersBucket, TokensBucket, SessionsBucket string
	// Replicas of each bucket on a NATS cluster; 0 means 1.
	Replicas int

	// AdminToken is the spine's TRADEWIND_ADMIN_TOKEN; a bearer request with
	// it acts as an owner. Empty disables it.
	AdminToken string

	// SessionIdle and SessionLifetime bound sessions (defaults above).
	SessionIdle, SessionLifetime time.Duration

	// AccountLockout and IPLockout set the login back-off; zero values take
	// DefaultAccountLockout and DefaultIPLockout.
	AccountLockout, IPLockout LockoutPolicy

	// DefaultTokenLifetime and MaxTokenLifetime bound API tokens.
	DefaultTokenLifetime, MaxTokenLifetime time.Duration

	// Argon2 are the parameters of new password hashes; zero means
	// DefaultArgon2. Tests lower them to stay fast.
	Argon2 Argon2Params
	// MaxConcurrentHashes bounds argon2 computations in flight, and with it
	// the memory a burst of logins can take (each holds Argon2.Memory);
	// 0 means min(GOMAXPROCS, 4).
	MaxConcurrentHashes int

	// WriteError writes an error response for the middlewares, so the API
	// keeps one error shape. Nil writes {"error": msg, "field": field} (field
	// omitted when empty), and {"error": msg, "permission": p} for a missing
	// permission. For a 403 for want of a permission it receives field "".
	WriteError func(w http.ResponseWriter, status int, field, msg string)

	// Now is the clock; nil means time.Now. Tests move it to expire things.
	Now func() time.Time
	// Logger receives warnings (a failed KV write); nil discards them. It
	// never receives a secret or a personal value.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&o.UsersBucket, DefaultUsersBucket)
	def(&o.TokensBucket, DefaultTokensBucket)
	def(&o.SessionsBucket, DefaultSessionsBucket)
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.SessionIdle == 0 {
		o.SessionIdle = DefaultSessionIdle
	}
	if o.SessionLifetime == 0 {
		o.SessionLifetime = DefaultSessionLifetime
	}
	if o.AccountLockout == (LockoutPolicy{}) {
		o.AccountLockout = DefaultAccountLockout
	}
	if o.IPLockout == (LockoutPolicy{}) {
		o.IPLockout = DefaultIPLockout
	}
	if o.DefaultTokenLifetime == 0 {
		o.DefaultTokenLifetime = DefaultTokenLifetime
	}
	if o.MaxTokenLifetime == 0 {
		o.MaxTokenLifetime = DefaultMaxTokenLifetime
	}
	if o.Argon2 == (Argon2Params{}) {
		o.Argon2 = DefaultArgon2
	}
	if o.MaxConcurrentHashes == 0 {
		o.MaxConcurrentHashes = min(runtime.GOMAXPROCS(0), 4)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Errors. Handlers map them to status codes; none carries a secret.
var (
	// ErrNotFound: no such user or token.
	ErrNotFound = errors.New("not found")
	// ErrEmailTaken: another user has the e-mail address.
	ErrEmailTaken = errors.New("a user with that e-mail address already exists")
	// ErrInvalidLogin: unknown e-mail or wrong password; deliberately one
	// error so a login form does not reveal which accounts exist.
	ErrInvalidLogin = errors.New("e-mail or password is wrong")
	// ErrDisabled: the account is disabled (said only after a correct
	// password, to someone who knows it anyway).
	ErrDisabled = errors.New("the account is disabled")
	// ErrLocked: too many failed logins; errors.As gives a *LockedError
	// with the time to wait.
	ErrLocked = errors.New("too many failed logins")
	// ErrUnauthenticated: the request carries no credentials.
	ErrUnauthenticated = errors.New("authentication required")
	// ErrInvalidCredentials: a token or session that is unknown, expired,
	// revoked or belongs to a disabled user.
	ErrInvalidCredentials = errors.New("invalid or expired credentials")
	// ErrCSRF: a cookie-authenticated unsafe request without the session's
	// CSRF token.
	ErrCSRF = errors.New("missing or wrong CSRF token")
	// ErrForbidden: the actor may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrOwnerExists: the first-run owner was already created.
	ErrOwnerExists = errors.New("an owner already exists")
	// ErrLastOwner: the change would leave no enabled owner.
	ErrLastOwner = errors.New("the last owner can be neither demoted nor disabled")
)

// LockedError is ErrLocked with the time until the next attempt is allowed.
type LockedError struct{ RetryAfter time.Duration }

// Error says how long to wait, in whole seconds.
func (e *LockedError) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %s", e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// FieldError names the input field that is wrong, never its value.
type FieldError struct{ Field, Reason string }

// Error is "field: reason".
func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Service is the authentication and authorization service. Its methods are
// safe for concurrent use.
type Service struct {
	opts     Options
	now      func() time.Time
	log      *slog.Logger
	users    jetstream.KeyValue
	tokens   jetstream.KeyValue
	sessions jetstream.KeyValue

	hashSem   chan struct{}
	dummyHash string
	adminHash [32]byte // SHA-256 of the admin token; compared in constant time

	// userMu serializes changes to users in this process, so that checks
	// such as "is this the last owner" and the write that follows them are
	// not interleaved with another change.
	userMu sync.Mutex

	mu        sync.RWMutex
	userByID  map[string]*userEntry
	userEmail map[string]string // e-mail → user id
	tokByID   map[string]*tokenEntry
	tokByHash map[[32]byte]string // SHA-256 of secret → token id
	tokTomb   map[string]bool     // tokens deleted here whose delete the watcher has not yet shown
	touching  map[string]bool     // tokens whose last-used update is in flight

	acctLocks *lockTable // accounts not in the users bucket, and a local mirror of the rest
	ipLocks   *lockTable

	closed bool // under mu; no background work starts once set

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open opens (or creates) the buckets, loads users and tokens and keeps them
// current until Close.
func Open(ctx context.Context, js jetstream.JetStream, opts Options) (*Service, error) {
	opts.setDefaults()
	if opts.SessionIdle > opts.SessionLifetime {
		return nil, errors.New("auth: session idle timeout is longer than the session lifetime")
	}
	s := &Service{
		opts: opts, now: opts.Now, log: opts.Logger,
		hashSem:   make(chan struct{}, opts.MaxConcurrentHashes),
		userByID:  map[string]*userEntry{},
		userEmail: map[string]string{},
		tokByID:   map[string]*tokenEntry{},
		tokByHash: map[[32]byte]string{},
		tokTomb:   map[string]bool{},
		touching:  map[string]bool{},
		acctLocks: newLockTable(opts.AccountLockout, 100_000),
		ipLocks:   newLockTable(opts.IPLockout, 100_000),
	}
	if opts.AdminToken != "" {
		s.adminHash = sha256.Sum256([]byte(opts.AdminToken))
	}
	var err error
	// History 1: an old password hash or token record must not stay
	// readable as a past revision once it was replaced.
	if s.users, err = openBucket(ctx, js, jetstream.KeyValueConfig{Bucket: opts.UsersBucket,
		Description: "tradewind users", History: 1, Storage: jetstream.FileStorage, Replicas: opts.Replicas}); err != nil {
		return nil, err
	}
	if s.tokens, err = openBucket(ctx, js, jetstream.KeyValueConfig{Bucket: opts.TokensBucket,
		Description: "tradewind API tokens", History: 1, Storage: jetstream.FileStorage, Replicas: opts.Replicas}); err != nil {
		return nil, err
	}
	// The bucket's TTL removes sessions (and lockout records) that nobody
	// deleted; the absolute lifetime is also enforced on every request.
	if s.sessions, err = openBucket(ctx, js, jetstream.KeyValueConfig{Bucket: opts.SessionsBucket,
		Description: "tradewind sessions and login lockouts", History: 1, Storage: jetstream.FileStorage,
		Replicas: opts.Replicas, TTL: opts.SessionLifetime}); err != nil {
		return nil, err
	}
	// Unknown e-mails are verified against this hash, so that a login for a
	// missing account costs as much as one for an existing account.
	if s.dummyHash, err = HashPassword(randomString(16), opts.Argon2); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	if err := s.watch(ctx, wctx, s.users, userPrefix+"*", s.applyUser); err != nil {
		cancel()
		return nil, err
	}
	if err := s.watch(ctx, wctx, s.tokens, tokenPrefix+"*", s.applyToken); err != nil {
		cancel()
		s.wg.Wait()
		return nil, err
	}
	return s, nil
}

// Close stops the watchers and waits for background writes.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

func openBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("auth: open bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// watch replays the current values of keys into apply before returning, so
// the cache is complete when Open returns, then keeps applying updates in
// the background until wctx ends.
func (s *Service) watch(ctx, wctx context.Context, kv jetstream.KeyValue, keys string, apply func(jetstream.KeyValueEntry)) error {
	w, err := kv.Watch(wctx, keys)
	if err != nil {
		return fmt.Errorf("auth: watch bucket %s: %w", kv.Bucket(), err)
	}
	// A nil entry marks the end of the initial values.
initial:
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("auth: watch bucket %s: closed", kv.Bucket())
			}
			if e == nil {
				break initial
			}
			apply(e)
		case <-ctx.Done():
			_ = w.Stop()
			return ctx.Err()
		}
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { _ = w.Stop() }()
		for {
			select {
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e != nil {
					apply(e)
				}
			case <-wctx.Done():
				return
			}
		}
	}()
	return nil
}

// isConflict reports whether err is a lost optimistic-concurrency race.
func isConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists)
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// randomString returns n random bytes as lower-case base32: URL-, cookie-
// and KV-key-safe, unambiguous to read out.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead on Go ≥ 1.24)
	return strings.ToLower(b32.EncodeToString(b))
}

// hashHex is the hex SHA-256 of s, used for KV keys of secrets and e-mails.
func hashHex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// hashing runs f while holding one of the concurrent-hash slots.
func (s *Service) hashing(ctx context.Context, f func()) error {
	select {
	case s.hashSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.hashSem }()
	f()
	return nil
}
