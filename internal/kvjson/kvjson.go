// Package kvjson keeps JSON definitions — experiments, journeys and their
// destinations, audience syncs — in a JetStream key-value bucket, so every
// node of a cluster reads the same ones and their history is kept. It is
// the one place that opens such a bucket, lists, reads and writes them.
package kvjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotFound is returned for a key the bucket does not hold.
var ErrNotFound = errors.New("not found")

// ErrExists is returned by Create for a key the bucket holds already.
var ErrExists = errors.New("already exists")

// Bucket is a key-value bucket of T values, opened on first use (a node
// builds its services before JetStream answers in some starts). Keys are
// prefixed, so several kinds of value can share one bucket.
type Bucket[T any] struct {
	JetStream   jetstream.JetStream
	Name        string
	Description string
	// Prefix is put before every key ("journey.").
	Prefix string
	// History is how many revisions of each key are kept (default 10).
	History uint8

	mu sync.Mutex
	kv jetstream.KeyValue
}

// KV opens the bucket (once) and returns it.
func (b *Bucket[T]) KV(ctx context.Context) (jetstream.KeyValue, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.kv != nil {
		return b.kv, nil
	}
	if b.JetStream == nil {
		return nil, fmt.Errorf("kvjson: no JetStream for bucket %s", b.Name)
	}
	h := b.History
	if h == 0 {
		h = 10
	}
	kv, err := b.JetStream.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: b.Name,
		Description: b.Description, History: h, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("kvjson: bucket %s: %w", b.Name, err)
	}
	b.kv = kv
	return kv, nil
}

// All returns every value under the prefix, in key order. A value that no
// longer decodes is skipped: one bad record must not hide the rest.
func (b *Bucket[T]) All(ctx context.Context) ([]T, error) {
	kv, err := b.KV(ctx)
	if err != nil {
		return nil, err
	}
	lister, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	for k := range lister.Keys() {
		if strings.HasPrefix(k, b.Prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var v T
		if json.Unmarshal(e.Value(), &v) == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// Get reads one value and its revision.
func (b *Bucket[T]) Get(ctx context.Context, key string) (T, uint64, error) {
	var v T
	kv, err := b.KV(ctx)
	if err != nil {
		return v, 0, err
	}
	e, err := kv.Get(ctx, b.Prefix+key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return v, 0, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return v, 0, err
	}
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return v, 0, fmt.Errorf("kvjson: %s%s: %w", b.Prefix, key, err)
	}
	return v, e.Revision(), nil
}

// Put writes a value.
func (b *Bucket[T]) Put(ctx context.Context, key string, v T) error {
	kv, raw, err := b.encode(ctx, v)
	if err != nil {
		return err
	}
	_, err = kv.Put(ctx, b.Prefix+key, raw)
	return err
}

// Create writes a value only if the key is new (ErrExists otherwise).
func (b *Bucket[T]) Create(ctx context.Context, key string, v T) error {
	kv, raw, err := b.encode(ctx, v)
	if err != nil {
		return err
	}
	if _, err = kv.Create(ctx, b.Prefix+key, raw); errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("%s: %w", key, ErrExists)
	}
	return err
}

// Update writes a value if the key is still at revision rev (0: only if it
// is new), so two writers cannot both win.
func (b *Bucket[T]) Update(ctx context.Context, key string, v T, rev uint64) error {
	if rev == 0 {
		return b.Create(ctx, key, v)
	}
	kv, raw, err := b.encode(ctx, v)
	if err != nil {
		return err
	}
	_, err = kv.Update(ctx, b.Prefix+key, raw, rev)
	return err
}

// Delete removes a key; a missing key is not an error.
func (b *Bucket[T]) Delete(ctx context.Context, key string) error {
	kv, err := b.KV(ctx)
	if err != nil {
		return err
	}
	if err := kv.Delete(ctx, b.Prefix+key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return err
	}
	return nil
}

func (b *Bucket[T]) encode(ctx context.Context, v T) (jetstream.KeyValue, []byte, error) {
	kv, err := b.KV(ctx)
	if err != nil {
		return nil, nil, err
	}
	raw, err := json.Marshal(v)
	return kv, raw, err
}
