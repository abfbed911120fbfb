package auth

import (
	"context"
	"fmt"
	"strings"
)

// Login checks an e-mail address and password and opens a session. ip is
// the client's address, for the per-address lockout and the session record.
//
// It takes about the same time whether or not the account exists (an
// unknown address is checked against a dummy hash) and answers
// ErrInvalidLogin for both, so the form does not reveal who has an account.
// Failures lock the account and the address with back-off (see
// LockoutPolicy); while locked it returns a *LockedError (errors.Is
// ErrLocked) without checking the password. Callers should also rate-limit
// the login endpoint per address and per e-mail with a Limiter.
func (s *Service) Login(ctx context.Context, email, password, ip string) (*Session, error) {
	return s.LoginWithUserAgent(ctx, email, password, ip, "")
}

// LoginWithUserAgent is Login that also records the browser's User-Agent in
// the session, so a user can tell their sessions apart.
func (s *Service) LoginWithUserAgent(ctx context.Context, email, password, ip, userAgent string) (*Session, error) {
	now := s.now()
	addr := strings.ToLower(strings.TrimSpace(email))
	key := accountKey(addr)

	s.mu.RLock()
	ue := s.userByID[s.userEmail[addr]]
	var rec userRecord
	if ue != nil {
		rec = ue.rec
	}
	s.mu.RUnlock()
	known := ue != nil

	if err := s.checkLocks(ctx, key, rec.ID, ip, now); err != nil {
		return nil, err
	}

	hash := s.dummyHash
	if known {
		hash = rec.PasswordHash
	}
	// No valid password is longer than this; hash a bounded prefix anyway
	// so an over-long one costs the same and is refused like any other.
	tooLong := len(password) > 4*MaxPasswordLen
	pw := password
	if tooLong {
		pw = pw[:4*MaxPasswordLen]
	}
	var ok bool
	var verr error
	if err := s.hashing(ctx, func() { ok, verr = VerifyPassword(hash, pw) }); err != nil {
		return nil, err
	}
	if verr != nil {
		s.log.Error("auth: unusable password hash", "user", rec.ID, "err", verr)
	}
	if !ok || !known || tooLong || verr != nil {
		if err := s.recordFailure(ctx, key, rec.ID, ip, now); err != nil {
			return nil, err
		}
		return nil, ErrInvalidLogin
	}
	if rec.Disabled {
		return nil, ErrDisabled
	}
	s.clearFailures(ctx, key, rec.ID)
	if NeedsRehash(rec.PasswordHash, s.opts.Argon2) {
		s.rehash(ctx, rec, password)
	}
	return s.newSession(ctx, rec, ip, userAgent)
}

// rehash upgrades a hash made with older parameters, unless the password
// changed in the meantime. A failure only postpones the upgrade.
func (s *Service) rehash(ctx context.Context, rec userRecord, password string) {
	var hash string
	var herr error
	if err := s.hashing(ctx, func() { hash, herr = HashPassword(password, s.opts.Argon2) }); err != nil || herr != nil {
		return
	}
	_, err := s.modifyUser(ctx, rec.ID, "", func(r *userRecord) (bool, error) {
		if r.PasswordHash != rec.PasswordHash {
			return false, nil
		}
		r.PasswordHash = hash
		return true, nil
	})
	if err != nil {
		s.log.Warn("auth: could not upgrade a password hash", "user", rec.ID, "err", fmt.Sprint(err))
	}
}
