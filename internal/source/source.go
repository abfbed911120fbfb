// Package source keeps the registry of sources: each SDK, shop webhook or
// import that sends data, with its write key, webhook secret and the store
// (marketplace account) its orders belong to.
//
// The registry lives in a JetStream key-value bucket beside the event log, so
// every tradewind node of a cluster sees the same sources, and the secrets
// stay out of the analytic store, where users run SQL.
package source

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tradewind/tradewind/internal/segment"
)

// Source is one data source.
type Source struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Kind          string    `json:"kind,omitempty"` // sdk, shopify, amazon, tiktok_shop, import, …
	Store         string    `json:"store"`          // marketplace account; orders are unique per store
	Currency      string    `json:"currency,omitempty"`
	Marketplace   string    `json:"marketplace,omitempty"`
	Country       string    `json:"country,omitempty"`
	WriteKey      string    `json:"write_key"`
	WebhookSecret string    `json:"webhook_secret,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// Errors of the registry.
var (
	ErrNotFound = errors.New("source not found")
	ErrExists   = errors.New("a source with that id already exists")
)

// Registry is the set of sources, cached in memory and kept current from the
// bucket, so a write-key check costs a map lookup.
type Registry struct {
	kv jetstream.KeyValue

	mu    sync.RWMutex
	byID  map[string]*Source
	byKey map[string]*Source
}

// Open opens (or creates) the registry bucket and loads it.
func Open(ctx context.Context, js jetstream.JetStream, bucket string) (*Registry, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucket, Description: "tradewind sources", History: 5, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("source: open bucket %s: %w", bucket, err)
	}
	r := &Registry{kv: kv, byID: map[string]*Source{}, byKey: map[string]*Source{}}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("source: watch bucket %s: %w", bucket, err)
	}
	// The watcher first replays every current value, then a nil marks the end
	// of the initial values; later updates keep the cache current.
	for e := range w.Updates() {
		if e == nil {
			break
		}
		r.apply(e)
	}
	go func() {
		defer w.Stop()
		for e := range w.Updates() {
			if e != nil {
				r.apply(e)
			}
		}
	}()
	return r, nil
}

func (r *Registry) apply(e jetstream.KeyValueEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := strings.TrimPrefix(e.Key(), "src.")
	if old := r.byID[id]; old != nil {
		delete(r.byKey, old.WriteKey)
		delete(r.byID, id)
	}
	if e.Operation() != jetstream.KeyValuePut {
		return
	}
	var s Source
	if err := json.Unmarshal(e.Value(), &s); err != nil {
		return
	}
	r.byID[s.ID] = &s
	r.byKey[s.WriteKey] = &s
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Create validates s, fills in what is missing (id, write key, store) and
// saves it. A given id must be new.
func (r *Registry) Create(ctx context.Context, s Source) (Source, error) {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		return s, &FieldError{"name", "is required"}
	}
	if len(s.Name) > 200 {
		return s, &FieldError{"name", "is longer than 200 characters"}
	}
	if s.ID == "" {
		s.ID = slug(s.Name) + "-" + randomToken(4)
	}
	if !idPattern.MatchString(s.ID) {
		return s, &FieldError{"id", "must be 1–63 lower-case letters, digits, '-' or '_'"}
	}
	if s.Currency != "" {
		c, err := segment.NormalizeCurrency(s.Currency)
		if err != nil {
			return s, &FieldError{"currency", err.Error()}
		}
		s.Currency = c
	}
	if s.Country != "" {
		s.Country = strings.ToUpper(strings.TrimSpace(s.Country))
		if len(s.Country) != 2 {
			return s, &FieldError{"country", "must be a two-letter ISO 3166 code"}
		}
	}
	if s.Store == "" {
		s.Store = s.ID
	}
	if s.WriteKey == "" {
		s.WriteKey = "twk_" + randomToken(20)
	} else if len(s.WriteKey) < 16 {
		return s, &FieldError{"write_key", "must be at least 16 characters"}
	}
	if s.WebhookSecret == "" {
		s.WebhookSecret = "tws_" + randomToken(20)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = time.Now().UTC().Truncate(time.Second)
	}
	if other, ok := r.ByWriteKey(s.WriteKey); ok && other.ID != s.ID {
		return s, &FieldError{"write_key", "is already used by another source"}
	}
	b, _ := json.Marshal(s)
	if _, err := r.kv.Create(ctx, "src."+s.ID, b); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return s, ErrExists
		}
		return s, fmt.Errorf("source: save %s: %w", s.ID, err)
	}
	r.apply(putEntry{key: "src." + s.ID, val: b})
	return s, nil
}

// ByWriteKey finds the source of a write key, in constant time per key
// compared so that timing does not reveal how much of a key matched.
func (r *Registry) ByWriteKey(key string) (Source, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.byKey[key]
	if !ok || subtle.ConstantTimeCompare([]byte(s.WriteKey), []byte(key)) != 1 {
		return Source{}, false
	}
	return *s, true
}

// ByID finds a source by id.
func (r *Registry) ByID(id string) (Source, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.byID[id]
	if !ok {
		return Source{}, false
	}
	return *s, true
}

// List returns every source, oldest first.
func (r *Registry) List() []Source {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Source, 0, len(r.byID))
	for _, s := range r.byID {
		out = append(out, *s)
	}
	sortSources(out)
	return out
}

// FieldError names the field of a source that is wrong.
type FieldError struct{ Field, Reason string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(b32.EncodeToString(b))
}

func slug(name string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
		if b.Len() >= 40 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "source"
	}
	return s
}

// putEntry lets Create update the cache at once instead of waiting for the
// watcher, so a source is usable as soon as Create returns.
type putEntry struct {
	jetstream.KeyValueEntry
	key string
	val []byte
}

func (p putEntry) Key() string                     { return p.key }
func (p putEntry) Value() []byte                   { return p.val }
func (p putEntry) Operation() jetstream.KeyValueOp { return jetstream.KeyValuePut }
func sortSources(s []Source) {
	slices.SortFunc(s, func(a, b Source) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
