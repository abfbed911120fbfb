package identity

import (
	"fmt"
	"sort"
)

// Config sets the graph's guard-rails. The zero value is usable: every
// field has a default (see New).
type Config struct {
	// MaxPerKind caps the identifiers of a kind one profile may hold. For
	// Anon, Email and Phone it counts per profile (defaults 200, 5, 5);
	// for User and platform kinds it counts per namespace (default 1: two
	// userIds of one source are two people). The key "*" sets the default
	// of platform kinds. A merge or attachment that would exceed a cap is
	// refused and recorded as a conflict.
	MaxPerKind map[string]int
	// Blocklist holds junk identifiers that never link and never become
	// identifiers: callers tokenise "test@test.com", "0000000000", … the
	// way they tokenise real addresses and list the tokens here. An entry
	// with an empty NS blocks the value in every namespace. Built-in junk
	// values of raw kinds ("null", "0", "guest", …) are always blocked.
	Blocklist []ID
	// SharedUserSpaces maps a source id to the user-id space it shares
	// with other sources (a site and its app): User ids of those sources
	// are one namespace.
	SharedUserSpaces map[string]string
	// Priority orders identifier kinds from strongest to weakest; "*"
	// stands for every platform kind not listed. It decides which profile
	// survives a merge (the one holding the strongest kind; then the older;
	// then the smaller profile id) and which identifier of a message
	// decides its profile. Default: user, *, email, phone, anon.
	Priority []string
	// SharedThreshold: an email or phone token seen with more than this
	// many distinct values of one strong kind and namespace (userIds of one
	// source, customer ids of one store) is shared — a household or an
	// agency — and is detached into a profile of its own that never merges.
	// Default 3. From two such values on, the token is already ambiguous:
	// it stays where it is but links nothing further (see the package
	// documentation).
	SharedThreshold int
	// DeviceThreshold: an anonymousId seen with more than this many
	// distinct values of one strong kind and namespace is a shared device
	// and is detached like a shared token. Default 1: a browser that two
	// accounts log into says nothing about who is browsing it anonymously.
	DeviceThreshold int
	// KeyPrefix is prepended to every key the graph writes, so that it can
	// share a key-value store with the engine's own state. Default "idg/".
	KeyPrefix string
}

// Default guard-rail values.
const (
	DefaultMaxAnon         = 200
	DefaultMaxEmail        = 5
	DefaultMaxPhone        = 5
	DefaultMaxStrong       = 1
	DefaultSharedThreshold = 3
	DefaultDeviceThreshold = 1
	DefaultKeyPrefix       = "idg/"
)

// maxWitnessGroups bounds the strong namespaces whose witnesses one weak
// identifier records (see idRec): a token seen in more namespaces than
// this is judged on the first ones, which keeps its record small.
const maxWitnessGroups = 8

// settings is a Config with defaults applied and lookups prepared.
type settings struct {
	maxWeak         [3]int
	maxStrong       map[string]int
	maxStrongOther  int
	block           map[ID]bool // NS "" entries match every namespace
	spaces          map[string]string
	rank            map[string]int
	rankOther       int
	sharedThreshold int
	deviceThreshold int
	prefix          string
}

func (c Config) settings() (settings, error) {
	s := settings{
		maxWeak:         [3]int{DefaultMaxAnon, DefaultMaxEmail, DefaultMaxPhone},
		maxStrong:       map[string]int{},
		maxStrongOther:  DefaultMaxStrong,
		block:           map[ID]bool{},
		spaces:          map[string]string{},
		rank:            map[string]int{},
		sharedThreshold: c.SharedThreshold,
		deviceThreshold: c.DeviceThreshold,
		prefix:          c.KeyPrefix,
	}
	if s.sharedThreshold <= 0 {
		s.sharedThreshold = DefaultSharedThreshold
	}
	if s.deviceThreshold <= 0 {
		s.deviceThreshold = DefaultDeviceThreshold
	}
	if s.prefix == "" {
		s.prefix = DefaultKeyPrefix
	}
	keys := make([]string, 0, len(c.MaxPerKind))
	for k := range c.MaxPerKind {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n := c.MaxPerKind[k]
		if n < 1 {
			return s, fmt.Errorf("identity: MaxPerKind[%q] = %d, must be at least 1", k, n)
		}
		switch {
		case k == "*":
			s.maxStrongOther = n
		case !validKind(k):
			return s, fmt.Errorf("identity: MaxPerKind has kind %q: %w", k, ErrInvalidKind)
		case weakIndex(k) >= 0:
			s.maxWeak[weakIndex(k)] = n
		default:
			s.maxStrong[k] = n
		}
	}
	for src, space := range c.SharedUserSpaces {
		if space == "" {
			return s, fmt.Errorf("identity: SharedUserSpaces[%q] is empty", src)
		}
		s.spaces[src] = space
	}
	prio := c.Priority
	if len(prio) == 0 {
		prio = []string{User, "*", Email, Phone, Anon}
	}
	s.rankOther = -1
	for i, k := range prio {
		if k == "*" {
			s.rankOther = i
			continue
		}
		if !validKind(k) {
			return s, fmt.Errorf("identity: Priority has kind %q: %w", k, ErrInvalidKind)
		}
		if _, dup := s.rank[k]; !dup {
			s.rank[k] = i
		}
	}
	if s.rankOther < 0 {
		s.rankOther = len(prio)
	}
	for _, k := range []string{User, Email, Phone, Anon} {
		if _, ok := s.rank[k]; !ok {
			s.rank[k] = len(prio) + 1
		}
	}
	if len(prio)+2 > 255 {
		return s, fmt.Errorf("identity: Priority lists %d kinds, at most 253", len(prio))
	}
	for _, b := range c.Blocklist {
		id, err := s.normalizeNS(b, "")
		if err != nil {
			return s, fmt.Errorf("identity: Blocklist: %w", err)
		}
		s.block[id] = true
	}
	return s, nil
}

// rankOf is a kind's position in the priority order: smaller is stronger.
func (s *settings) rankOf(kind string) int {
	if r, ok := s.rank[kind]; ok {
		return r
	}
	return s.rankOther
}

// maxStrongOf is the cap of a strong kind per namespace.
func (s *settings) maxStrongOf(kind string) int {
	if n, ok := s.maxStrong[kind]; ok {
		return n
	}
	if kind == User {
		return DefaultMaxStrong
	}
	return s.maxStrongOther
}

// normalizeNS puts an identifier's namespace in its canonical form: none
// for global kinds, the source when missing, the shared user-id space for
// User ids of a source that has one.
func (s *settings) normalizeNS(id ID, source string) (ID, error) {
	if !validKind(id.Kind) {
		return id, fmt.Errorf("%w: %q", ErrInvalidKind, id.Kind)
	}
	if !strong(id.Kind) {
		id.NS = ""
		return id, nil
	}
	if id.NS == "" {
		id.NS = source
	}
	if id.Kind == User {
		if sp, ok := s.spaces[id.NS]; ok {
			id.NS = sp
		}
	}
	return id, nil
}

// blocked reports whether an identifier (namespace normalised) is junk.
func (s *settings) blocked(id ID) bool {
	if s.block[id] || s.block[ID{Kind: id.Kind, Value: id.Value}] {
		return true
	}
	if id.Kind == Email || id.Kind == Phone {
		return id.Value == "" || len(id.Value) > maxValueLen
	}
	return junkValue(id.Value)
}
