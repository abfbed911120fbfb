package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
)

// errDestroyed stands for the key store's destroyed-key error.
var errDestroyed = errors.New("key destroyed")

// memKeys is a Keys with real AES-256-GCM keys in memory.
type memKeys struct {
	mu         sync.Mutex
	ids        map[string]uint64
	keys       []cipher.AEAD // nil: destroyed
	keyForN    int
	failKeyFor error
}

func newMemKeys() *memKeys { return &memKeys{ids: map[string]uint64{}} }

func (k *memKeys) KeyFor(subject string) (uint64, cipher.AEAD, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keyForN++
	if k.failKeyFor != nil {
		return 0, nil, k.failKeyFor
	}
	if id, ok := k.ids[subject]; ok && k.keys[id] != nil {
		return id, k.keys[id], nil
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	b, err := aes.NewCipher(raw[:])
	if err != nil {
		return 0, nil, err
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return 0, nil, err
	}
	id := uint64(len(k.keys))
	k.keys = append(k.keys, a)
	k.ids[subject] = id
	return id, a, nil
}

func (k *memKeys) Key(id uint64) (cipher.AEAD, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if id >= uint64(len(k.keys)) {
		return nil, fmt.Errorf("memkeys: key %d: unknown", id)
	}
	if k.keys[id] == nil {
		return nil, fmt.Errorf("memkeys: key %d: %w", id, errDestroyed)
	}
	return k.keys[id], nil
}

func (k *memKeys) destroy(subject string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[k.ids[subject]] = nil
}

func (k *memKeys) calls() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keyForN
}

func isDestroyed(err error) bool { return errors.Is(err, errDestroyed) }

var testIndexKey = []byte("0123456789abcdef0123456789abcdef")
