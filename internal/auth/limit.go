package auth

import (
	"container/list"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// LimiterOptions configure a Limiter.
type LimiterOptions struct {
	// MaxKeys bounds the keys kept; 0 means 100 000 (a few MB). Beyond it
	// the least recently used key is forgotten, which only forgives that key
	// its recent requests.
	MaxKeys int
	// WriteError writes the 429 answer; nil writes {"error": msg}.
	WriteError func(w http.ResponseWriter, status int, field, msg string)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Limiter is a token-bucket rate limiter per key (an API token id, a write
// key, a client address, an e-mail), using golang.org/x/time/rate. Its
// memory is bounded: a key idle long enough for its bucket to refill is
// indistinguishable from a new key and is dropped, and beyond MaxKeys the
// least recently used key goes. Safe for concurrent use.
type Limiter struct {
	limit  rate.Limit
	burst  int
	idle   time.Duration // time for an empty bucket to refill
	opts   LimiterOptions
	mu     sync.Mutex
	keys   map[string]*list.Element
	recent *list.List // of *limEntry, most recently used first
}

type limEntry struct {
	key  string
	lim  *rate.Limiter
	last time.Time
}

// NewLimiter allows each key r events per second with bursts of burst.
func NewLimiter(r rate.Limit, burst int, opts LimiterOptions) *Limiter {
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 100_000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	burst = max(burst, 1)
	idle := time.Duration(math.MaxInt64)
	if r > 0 && r != rate.Inf {
		idle = time.Duration(float64(burst) / float64(r) * float64(time.Second))
	}
	return &Limiter{limit: r, burst: burst, idle: idle, opts: opts, keys: map[string]*list.Element{}, recent: list.New()}
}

// Allow takes one event for key. When the key is over its rate it returns
// false and how long until an event would be allowed.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.opts.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	// Drop keys whose buckets are full again, oldest first.
	for b := l.recent.Back(); b != nil; b = l.recent.Back() {
		e := b.Value.(*limEntry)
		if e.key == key || now.Sub(e.last) < l.idle {
			break
		}
		l.remove(b)
	}
	el, found := l.keys[key]
	if found {
		l.recent.MoveToFront(el)
	} else {
		for l.recent.Len() >= l.opts.MaxKeys {
			l.remove(l.recent.Back())
		}
		el = l.recent.PushFront(&limEntry{key: key, lim: rate.NewLimiter(l.limit, l.burst)})
		l.keys[key] = el
	}
	e := el.Value.(*limEntry)
	e.last = now
	res := e.lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Hour
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (l *Limiter) remove(el *list.Element) {
	delete(l.keys, el.Value.(*limEntry).key)
	l.recent.Remove(el)
}

// Len is the number of keys currently tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// Middleware limits requests by key(r), answering 429 with Retry-After
// (whole seconds, rounded up) when over the rate. An empty key is not
// limited.
func (l *Limiter) Middleware(key func(r *http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := key(r); k != "" {
			if ok, wait := l.Allow(k); !ok {
				WriteTooMany(w, wait, l.opts.WriteError)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// WriteTooMany answers 429 with a Retry-After header, through writeError if
// it is not nil. Login handlers use it for a *LockedError as well.
func WriteTooMany(w http.ResponseWriter, retryAfter time.Duration, writeError func(w http.ResponseWriter, status int, field, msg string)) {
	secs := int64(math.Ceil(retryAfter.Seconds()))
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	msg := "too many requests; retry after " + strconv.FormatInt(max(secs, 1), 10) + "s"
	if writeError != nil {
		writeError(w, http.StatusTooManyRequests, "", msg)
		return
	}
	writeErrorJSON(w, http.StatusTooManyRequests, "", msg, "")
}
