package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"
)

// TokenPrefix starts every API token secret, so that secret scanners (and
// people) recognise a leaked one, and so that Authenticate can tell a token
// from the admin token without a lookup.
const TokenPrefix = "twt_"

// secretLen is the length of a secret: the prefix and 32 random bytes in
// lower-case base32 (256 bits, no padding).
const secretLen = len(TokenPrefix) + 52

// MaxTokensPerUser bounds the tokens of one user, and with them the memory
// of the token cache.
const MaxTokensPerUser = 50

// lastUsedEvery throttles last-used writes: an hourly report is precise
// enough, and a busy script must not write on every request.
const lastUsedEvery = 5 * time.Minute

const tokenPrefix = "tok." // tok.<id> → tokenRecord

// Token is an API token without its secret, which exists only in the answer
// of CreateToken.
type Token struct {
	ID        string       `json:"id"`
	UserID    string       `json:"user_id"`
	Name      string       `json:"name"`
	Scopes    []Permission `json:"scopes"`
	CreatedAt time.Time    `json:"created_at"`
	ExpiresAt time.Time    `json:"expires_at"`
	// LastUsedAt is updated at most every few minutes; zero if never used.
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// tokenRecord is what the bucket holds: the token and the SHA-256 of its
// secret. A plain hash suffices (no argon2): the secret is 256 random bits,
// not something a person chose, so it cannot be guessed from its hash.
type tokenRecord struct {
	Token
	Hash string `json:"hash"`
}

type tokenEntry struct {
	rec  tokenRecord
	hash [32]byte
	rev  uint64
}

// ErrTooManyTokens: the user already has MaxTokensPerUser tokens.
var ErrTooManyTokens = fmt.Errorf("a user may have at most %d API tokens", MaxTokensPerUser)

func (s *Service) applyToken(e jetstream.KeyValueEntry) {
	id := strings.TrimPrefix(e.Key(), tokenPrefix)
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.tokByID[id]
	if e.Operation() != jetstream.KeyValuePut {
		delete(s.tokTomb, id)
		if old != nil {
			delete(s.tokByHash, old.hash)
			delete(s.tokByID, id)
		}
		return
	}
	if s.tokTomb[id] || (old != nil && e.Revision() <= old.rev) {
		return // revoked here, or older than what this process wrote
	}
	var rec tokenRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil || rec.ID != id {
		s.log.Warn("auth: ignoring malformed token record", "key", e.Key())
		return
	}
	h, err := hex.DecodeString(rec.Hash)
	if err != nil || len(h) != sha256.Size {
		s.log.Warn("auth: ignoring malformed token record", "key", e.Key())
		return
	}
	if old != nil {
		delete(s.tokByHash, old.hash)
	}
	te := &tokenEntry{rec: rec, rev: e.Revision()}
	copy(te.hash[:], h)
	s.tokByID[id] = te
	s.tokByHash[te.hash] = id
}

// CreateToken creates an API token for user userID and returns its secret,
// which is shown once and never stored. scopes must be permissions the
// user's role has now; at each use the token gets only those that the role
// still has (scopes ∩ role), so a demotion narrows it at once. A zero
// expires means Options.DefaultTokenLifetime from now; it may not be more
// than Options.MaxTokenLifetime away.
//
// If ctx carries a Principal (as in a handler behind Require), it must be
// the user or have users.write, and may grant only permissions it has
// itself: a token with tokens.write cannot mint a broader token.
func (s *Service) CreateToken(ctx context.Context, userID, name string, scopes []Permission, expires time.Time) (string, Token, error) {
	u, ok := s.GetUser(userID)
	if !ok {
		return "", Token{}, ErrNotFound
	}
	if u.Disabled {
		return "", Token{}, ErrDisabled
	}
	actor, hasActor := FromContext(ctx)
	if hasActor && actor.UserID != userID && !actor.Can(UsersWrite) {
		return "", Token{}, fmt.Errorf("%w: a token for another user needs %s", ErrForbidden, UsersWrite)
	}
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100 {
		return "", Token{}, &FieldError{Field: "name", Reason: "must be 1–100 characters"}
	}
	if len(scopes) == 0 {
		return "", Token{}, &FieldError{Field: "scopes", Reason: "must name at least one permission"}
	}
	want := setOf(scopes...)
	for p := range want {
		if !p.Valid() {
			return "", Token{}, &FieldError{Field: "scopes", Reason: fmt.Sprintf("unknown permission %q", p)}
		}
		if !u.Role.Can(p) {
			return "", Token{}, &FieldError{Field: "scopes", Reason: fmt.Sprintf("%s is not a permission of role %s", p, u.Role)}
		}
		if hasActor && !actor.Can(p) {
			return "", Token{}, fmt.Errorf("%w: cannot grant %s, which the caller does not have", ErrForbidden, p)
		}
	}
	now := s.now().UTC()
	if expires.IsZero() {
		expires = now.Add(s.opts.DefaultTokenLifetime)
	}
	if !expires.After(now) {
		return "", Token{}, &FieldError{Field: "expires_at", Reason: "must be in the future"}
	}
	if expires.Sub(now) > s.opts.MaxTokenLifetime {
		return "", Token{}, &FieldError{Field: "expires_at", Reason: fmt.Sprintf("must be at most %d days away", s.opts.MaxTokenLifetime/(24*time.Hour))}
	}
	if len(s.ListTokens(userID)) >= MaxTokensPerUser {
		return "", Token{}, ErrTooManyTokens
	}
	secret := TokenPrefix + randomString(32)
	sum := sha256.Sum256([]byte(secret))
	rec := tokenRecord{
		Token: Token{ID: "tok_" + randomString(10), UserID: userID, Name: name, Scopes: want.List(),
			CreatedAt: now.Truncate(time.Second), ExpiresAt: expires.UTC()},
		Hash: hex.EncodeToString(sum[:]),
	}
	b, _ := json.Marshal(rec)
	rev, err := s.tokens.Create(ctx, tokenPrefix+rec.ID, b)
	if err != nil {
		return "", Token{}, fmt.Errorf("auth: store token: %w", err)
	}
	s.applyToken(kvEntry{key: tokenPrefix + rec.ID, val: b, rev: rev, op: jetstream.KeyValuePut})
	return secret, rec.Token, nil
}

// ListTokens returns the tokens of a user, oldest first, without secrets.
// Expired tokens are listed (so the user sees why a script stopped) until
// revoked.
func (s *Service) ListTokens(userID string) []Token {
	s.mu.RLock()
	var out []Token
	for _, te := range s.tokByID {
		if te.rec.UserID == userID {
			out = append(out, te.rec.Token)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Token) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// GetToken returns a token by id, without its secret.
func (s *Service) GetToken(id string) (Token, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	te, ok := s.tokByID[id]
	if !ok {
		return Token{}, false
	}
	return te.rec.Token, true
}

// RevokeToken deletes token tokenID of user userID; ErrNotFound if the user
// has no such token, so one user cannot probe another's token ids. As with
// CreateToken, a Principal in ctx must be the user or have users.write.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID string) error {
	if actor, ok := FromContext(ctx); ok && actor.UserID != userID && !actor.Can(UsersWrite) {
		return ErrNotFound
	}
	t, ok := s.GetToken(tokenID)
	if !ok || t.UserID != userID {
		return ErrNotFound
	}
	if err := s.tokens.Delete(ctx, tokenPrefix+tokenID); err != nil {
		return fmt.Errorf("auth: revoke token: %w", err)
	}
	// Drop it from the cache now, and remember it until the watcher shows
	// the delete, so that a late update from the watcher cannot bring it
	// back for a moment.
	s.mu.Lock()
	if te := s.tokByID[tokenID]; te != nil {
		delete(s.tokByHash, te.hash)
		delete(s.tokByID, tokenID)
	}
	s.tokTomb[tokenID] = true
	s.mu.Unlock()
	return nil
}

// validSecret checks the shape of a token secret before any lookup.
func validSecret(secret string) bool {
	if len(secret) != secretLen || !strings.HasPrefix(secret, TokenPrefix) {
		return false
	}
	for _, c := range secret[len(TokenPrefix):] {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// tokenPrincipal authenticates an API token secret.
func (s *Service) tokenPrincipal(secret string) (*Principal, error) {
	if !validSecret(secret) {
		return nil, ErrInvalidCredentials
	}
	sum := sha256.Sum256([]byte(secret))
	now := s.now()
	s.mu.RLock()
	te := s.tokByID[s.tokByHash[sum]]
	var rec tokenRecord
	var ue *userEntry
	if te != nil {
		rec = te.rec
		ue = s.userByID[rec.UserID]
	}
	var u userRecord
	if ue != nil {
		u = ue.rec
	}
	s.mu.RUnlock()
	// The map lookup is by hash, so its timing tells nothing about the
	// secret; no constant-time compare is needed beyond it.
	if te == nil || ue == nil || u.Disabled || !now.Before(rec.ExpiresAt) {
		return nil, ErrInvalidCredentials
	}
	var scopes []Permission
	for _, p := range rec.Scopes {
		if u.Role.Can(p) {
			scopes = append(scopes, p)
		}
	}
	if now.Sub(rec.LastUsedAt) >= lastUsedEvery {
		s.touchToken(rec.ID, now)
	}
	return &Principal{Kind: KindToken, UserID: u.ID, Email: u.Email, Role: u.Role, Scopes: scopes, TokenID: rec.ID}, nil
}

// touchToken records a token's use in the background, once per
// lastUsedEvery, without slowing the request.
func (s *Service) touchToken(id string, now time.Time) {
	s.mu.Lock()
	if s.touching[id] {
		s.mu.Unlock()
		return
	}
	s.touching[id] = true
	s.mu.Unlock()
	s.background(func(ctx context.Context) {
		defer func() {
			s.mu.Lock()
			delete(s.touching, id)
			s.mu.Unlock()
		}()
		s.mu.RLock()
		te := s.tokByID[id]
		var rec tokenRecord
		var rev uint64
		if te != nil {
			rec, rev = te.rec, te.rev
		}
		s.mu.RUnlock()
		if te == nil {
			return
		}
		rec.LastUsedAt = now.UTC().Truncate(time.Second)
		b, _ := json.Marshal(rec)
		// Update at the known revision: a revocation in between must not be
		// undone by this write.
		nrev, err := s.tokens.Update(ctx, tokenPrefix+id, b, rev)
		if err != nil {
			if !isConflict(err) && !errors.Is(err, context.Canceled) {
				s.log.Warn("auth: could not record token use", "token", id, "err", err)
			}
			return
		}
		s.applyToken(kvEntry{key: tokenPrefix + id, val: b, rev: nrev, op: jetstream.KeyValuePut})
	})
}
