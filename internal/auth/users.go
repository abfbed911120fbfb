package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"
)

// Keys of the users bucket. E-mail addresses appear in keys only hashed:
// a KV key is a NATS subject, and subjects show up in monitoring and logs.
const (
	userPrefix   = "user."  // user.<id> → userRecord
	emailPrefix  = "email." // email.<sha256 hex of address> → user id; makes addresses unique
	bootstrapKey = "owner.bootstrap"
)

// User is an account. It never carries the password hash.
type User struct {
	ID                string    `json:"id"`
	Email             string    `json:"email"` // lower-cased
	Name              string    `json:"name,omitempty"`
	Role              Role      `json:"role"`
	CreatedAt         time.Time `json:"created_at"`
	Disabled          bool      `json:"disabled"`
	PasswordChangedAt time.Time `json:"password_changed_at"`
}

// userRecord is what the bucket holds.
type userRecord struct {
	User
	PasswordHash string `json:"password_hash"`
	// AuthVersion grows with every change that must end the user's
	// sessions (password, role, disabling); a session remembers the version
	// it was opened under and is void once they differ. This ends sessions
	// on every node as soon as the user's record reaches it, without a scan
	// of the sessions bucket.
	AuthVersion uint64 `json:"auth_version"`
}

type userEntry struct {
	rec userRecord
	rev uint64
}

// NewUser is the input of CreateUser.
type NewUser struct {
	Email    string
	Name     string
	Role     Role
	Password string
}

func (s *Service) applyUser(e jetstream.KeyValueEntry) {
	id := strings.TrimPrefix(e.Key(), userPrefix)
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.userByID[id]
	if e.Operation() != jetstream.KeyValuePut {
		if old != nil {
			delete(s.userEmail, old.rec.Email)
			delete(s.userByID, id)
		}
		return
	}
	if old != nil && e.Revision() <= old.rev {
		return // an older value than one this process already wrote
	}
	var rec userRecord
	if err := json.Unmarshal(e.Value(), &rec); err != nil || rec.ID != id {
		s.log.Warn("auth: ignoring malformed user record", "key", e.Key())
		return
	}
	if old != nil {
		delete(s.userEmail, old.rec.Email)
	}
	s.userByID[id] = &userEntry{rec: rec, rev: e.Revision()}
	s.userEmail[rec.Email] = id
}

// normalizeEmail lower-cases and checks an address. Lower-casing the local
// part is not what RFC 5321 says, but it is what people expect of a login.
func normalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", &FieldError{Field: "email", Reason: "is required"}
	}
	if len(e) > 254 {
		return "", &FieldError{Field: "email", Reason: "is longer than 254 characters"}
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", &FieldError{Field: "email", Reason: "is not an e-mail address"}
	}
	return e, nil
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 200 {
		return "", &FieldError{Field: "name", Reason: "must be valid text of at most 200 characters"}
	}
	return name, nil
}

// canManage reports whether actor may change target's account (role,
// disabling, password): owners may be managed only by owners.
func canManage(actor *Principal, target Role) bool {
	return actor.Can(UsersWrite) && (target != RoleOwner || actor.Role == RoleOwner)
}

// CreateUser creates an account on behalf of actor, who needs users.write;
// only an owner may create an owner.
func (s *Service) CreateUser(ctx context.Context, actor *Principal, nu NewUser) (User, error) {
	if !actor.Can(UsersWrite) {
		return User{}, fmt.Errorf("%w: creating users needs %s", ErrForbidden, UsersWrite)
	}
	if !nu.Role.Valid() {
		return User{}, &FieldError{Field: "role", Reason: "must be one of " + joinRoles()}
	}
	if nu.Role == RoleOwner && actor.Role != RoleOwner {
		return User{}, fmt.Errorf("%w: only an owner can create an owner", ErrForbidden)
	}
	s.userMu.Lock()
	defer s.userMu.Unlock()
	return s.createUser(ctx, nu)
}

// HasOwner reports whether any owner exists. The first-run page is shown
// while it is false.
func (s *Service) HasOwner() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, u := range s.userByID {
		if u.rec.Role == RoleOwner {
			return true
		}
	}
	return false
}

// CreateOwner creates the first owner, on the first-run page. It succeeds
// once per installation: a marker key created atomically in the bucket
// makes sure two nodes (or two browser tabs) racing on a fresh install
// cannot both create one, and anyone reaching the page later gets
// ErrOwnerExists.
func (s *Service) CreateOwner(ctx context.Context, email, name, password string) (User, error) {
	if s.HasOwner() {
		return User{}, ErrOwnerExists
	}
	nu := NewUser{Email: email, Name: name, Role: RoleOwner, Password: password}
	// Validate before taking the marker, so a typo does not use it up.
	if _, _, err := validateNewUser(nu); err != nil {
		return User{}, err
	}
	s.userMu.Lock()
	defer s.userMu.Unlock()
	if _, err := s.users.Create(ctx, bootstrapKey, []byte(s.now().UTC().Format(time.RFC3339))); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return User{}, ErrOwnerExists
		}
		return User{}, fmt.Errorf("auth: create owner: %w", err)
	}
	u, err := s.createUser(ctx, nu)
	if err != nil {
		// Give the first-run page back, so the installation is not left
		// without an owner and without a way to create one.
		_ = s.users.Delete(context.WithoutCancel(ctx), bootstrapKey)
		return User{}, err
	}
	return u, nil
}

func validateNewUser(nu NewUser) (email, name string, err error) {
	if email, err = normalizeEmail(nu.Email); err != nil {
		return "", "", err
	}
	if name, err = checkName(nu.Name); err != nil {
		return "", "", err
	}
	if !nu.Role.Valid() {
		return "", "", &FieldError{Field: "role", Reason: "must be one of " + joinRoles()}
	}
	if err = CheckPassword(nu.Password, email); err != nil {
		return "", "", err
	}
	return email, name, nil
}

// createUser writes a new user: first the e-mail index key, created
// atomically so that two nodes cannot register one address twice, then the
// record. The caller holds userMu.
func (s *Service) createUser(ctx context.Context, nu NewUser) (User, error) {
	email, name, err := validateNewUser(nu)
	if err != nil {
		return User{}, err
	}
	var hash string
	if err := s.hashing(ctx, func() { hash, err = HashPassword(nu.Password, s.opts.Argon2) }); err != nil {
		return User{}, err
	}
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	rec := userRecord{
		User:         User{ID: "usr_" + randomString(10), Email: email, Name: name, Role: nu.Role, CreatedAt: now, PasswordChangedAt: now},
		PasswordHash: hash,
		AuthVersion:  1,
	}
	ekey := emailPrefix + hashHex(email)
	if _, err := s.users.Create(ctx, ekey, []byte(rec.ID)); err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return User{}, fmt.Errorf("auth: create user: %w", err)
		}
		// The address is taken, unless an earlier create failed between
		// its two writes and left the index key pointing at nobody.
		e, gerr := s.users.Get(ctx, ekey)
		if gerr != nil {
			return User{}, fmt.Errorf("auth: create user: %w", gerr)
		}
		if _, gerr := s.users.Get(ctx, userPrefix+string(e.Value())); !errors.Is(gerr, jetstream.ErrKeyNotFound) {
			return User{}, &FieldError{Field: "email", Reason: ErrEmailTaken.Error()}
		}
		if _, err := s.users.Update(ctx, ekey, []byte(rec.ID), e.Revision()); err != nil {
			if isConflict(err) {
				return User{}, &FieldError{Field: "email", Reason: ErrEmailTaken.Error()}
			}
			return User{}, fmt.Errorf("auth: create user: %w", err)
		}
	}
	b, _ := json.Marshal(rec)
	rev, err := s.users.Create(ctx, userPrefix+rec.ID, b)
	if err != nil {
		_ = s.users.Delete(context.WithoutCancel(ctx), ekey)
		return User{}, fmt.Errorf("auth: create user: %w", err)
	}
	s.applyUser(kvEntry{key: userPrefix + rec.ID, val: b, rev: rev, op: jetstream.KeyValuePut})
	return rec.User, nil
}

// GetUser returns the user with id.
func (s *Service) GetUser(id string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.userByID[id]
	if !ok {
		return User{}, false
	}
	return u.rec.User, true
}

// UserByEmail returns the user with the address, in any letter case.
func (s *Service) UserByEmail(email string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.userByID[s.userEmail[strings.ToLower(strings.TrimSpace(email))]]
	if !ok {
		return User{}, false
	}
	return u.rec.User, true
}

// ListUsers returns every user, oldest first.
func (s *Service) ListUsers() []User {
	s.mu.RLock()
	out := make([]User, 0, len(s.userByID))
	for _, u := range s.userByID {
		out = append(out, u.rec.User)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b User) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// otherEnabledOwners counts enabled owners other than id.
func (s *Service) otherEnabledOwners(id string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for uid, u := range s.userByID {
		if uid != id && u.rec.Role == RoleOwner && !u.rec.Disabled {
			n++
		}
	}
	return n
}

// UpdateRole changes a user's role on behalf of actor and ends the user's
// sessions, so the new role applies to a fresh login rather than to a page
// rendered under the old one. Only an owner may grant or take away the
// owner role, and the last enabled owner keeps it.
func (s *Service) UpdateRole(ctx context.Context, actor *Principal, id string, role Role) (User, error) {
	if !role.Valid() {
		return User{}, &FieldError{Field: "role", Reason: "must be one of " + joinRoles()}
	}
	s.userMu.Lock()
	defer s.userMu.Unlock()
	return s.modifyUser(ctx, id, "", func(r *userRecord) (bool, error) {
		if !canManage(actor, r.Role) || (role == RoleOwner && actor.Role != RoleOwner) {
			return false, fmt.Errorf("%w: only an owner can change an owner or make one", ErrForbidden)
		}
		if r.Role == role {
			return false, nil
		}
		if r.Role == RoleOwner && !r.Disabled && s.otherEnabledOwners(r.ID) == 0 {
			return false, ErrLastOwner
		}
		r.Role = role
		r.AuthVersion++
		return true, nil
	})
}

// DisableUser disables an account on behalf of actor and ends its sessions;
// its API tokens stop working while it stays disabled. The last enabled
// owner cannot be disabled.
func (s *Service) DisableUser(ctx context.Context, actor *Principal, id string) (User, error) {
	s.userMu.Lock()
	defer s.userMu.Unlock()
	return s.modifyUser(ctx, id, "", func(r *userRecord) (bool, error) {
		if !canManage(actor, r.Role) {
			return false, fmt.Errorf("%w: only an owner can disable an owner", ErrForbidden)
		}
		if r.Disabled {
			return false, nil
		}
		if r.Role == RoleOwner && s.otherEnabledOwners(r.ID) == 0 {
			return false, ErrLastOwner
		}
		r.Disabled = true
		r.AuthVersion++
		return true, nil
	})
}

// EnableUser enables a disabled account on behalf of actor.
func (s *Service) EnableUser(ctx context.Context, actor *Principal, id string) (User, error) {
	s.userMu.Lock()
	defer s.userMu.Unlock()
	return s.modifyUser(ctx, id, "", func(r *userRecord) (bool, error) {
		if !canManage(actor, r.Role) {
			return false, fmt.Errorf("%w: only an owner can enable an owner", ErrForbidden)
		}
		if !r.Disabled {
			return false, nil
		}
		r.Disabled = false
		return true, nil
	})
}

// ChangePassword sets a user's password. Users changing their own password
// (actor.UserID == id, from a session or token) must give the current one;
// anyone else needs users.write, and only an owner may reset an owner's
// password, since that is taking over the account. Every other session of
// the user ends; the actor's own session, if it is the user's, stays.
func (s *Service) ChangePassword(ctx context.Context, actor *Principal, id, current, newPassword string) error {
	self := actor != nil && actor.Kind != KindAdmin && actor.UserID == id
	u, ok := s.GetUser(id)
	if !ok {
		return ErrNotFound
	}
	if !self && !canManage(actor, u.Role) {
		return fmt.Errorf("%w: changing another user's password needs %s (an owner's: an owner)", ErrForbidden, UsersWrite)
	}
	if err := CheckPassword(newPassword, u.Email); err != nil {
		return err
	}
	// The hashing happens outside userMu, so one password change does not
	// hold up every other change to users; modifyUser's compare-and-set and
	// the re-check inside it keep the write safe.
	if self {
		// A wrong current password counts as a failed login, so a stolen
		// session cannot be used to guess the password.
		now := s.now()
		key := accountKey(u.Email)
		if err := s.checkLocks(ctx, key, id, "", now); err != nil {
			return err
		}
		var hash string
		s.mu.RLock()
		if ue := s.userByID[id]; ue != nil {
			hash = ue.rec.PasswordHash
		}
		s.mu.RUnlock()
		var good bool
		var verr error
		if err := s.hashing(ctx, func() { good, verr = VerifyPassword(hash, current) }); err != nil {
			return err
		}
		if verr != nil || !good {
			if err := s.recordFailure(ctx, key, id, "", now); err != nil {
				return err
			}
			return &FieldError{Field: "current_password", Reason: "is wrong"}
		}
	}
	var hash string
	var herr error
	if err := s.hashing(ctx, func() { hash, herr = HashPassword(newPassword, s.opts.Argon2) }); err != nil {
		return err
	}
	if herr != nil {
		return herr
	}
	s.userMu.Lock()
	defer s.userMu.Unlock()
	keep := ""
	if self && actor.Kind == KindSession {
		keep = actor.SessionID
	}
	_, err := s.modifyUser(ctx, id, keep, func(r *userRecord) (bool, error) {
		if !self && !canManage(actor, r.Role) {
			return false, fmt.Errorf("%w: only an owner can reset an owner's password", ErrForbidden)
		}
		r.PasswordHash = hash
		r.PasswordChangedAt = s.now().UTC().Truncate(time.Second)
		r.AuthVersion++
		return true, nil
	})
	return err
}

// LogoutEverywhere ends every session of the user (a lost laptop); API
// tokens are revoked separately.
func (s *Service) LogoutEverywhere(ctx context.Context, id string) error {
	s.userMu.Lock()
	defer s.userMu.Unlock()
	_, err := s.modifyUser(ctx, id, "", func(r *userRecord) (bool, error) {
		r.AuthVersion++
		return true, nil
	})
	return err
}

// modifyUser applies change to the stored record with optimistic
// concurrency, retrying when another node wrote in between. change returns
// whether anything changed. When the auth version moved, the session keep
// (a handle, or "") is carried over to the new version and the user's other
// sessions are removed from the bucket in the background (they are void
// already).
func (s *Service) modifyUser(ctx context.Context, id, keep string, change func(*userRecord) (bool, error)) (User, error) {
	key := userPrefix + id
	for range 5 {
		e, err := s.users.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return User{}, ErrNotFound
		}
		if err != nil {
			return User{}, fmt.Errorf("auth: read user %s: %w", id, err)
		}
		var rec userRecord
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			return User{}, fmt.Errorf("auth: read user %s: %w", id, err)
		}
		oldVersion := rec.AuthVersion
		changed, err := change(&rec)
		if err != nil || !changed {
			return rec.User, err
		}
		b, _ := json.Marshal(rec)
		rev, err := s.users.Update(ctx, key, b, e.Revision())
		if isConflict(err) {
			continue
		}
		if err != nil {
			return User{}, fmt.Errorf("auth: update user %s: %w", id, err)
		}
		s.applyUser(kvEntry{key: key, val: b, rev: rev, op: jetstream.KeyValuePut})
		if rec.AuthVersion != oldVersion {
			if keep != "" {
				s.carrySession(ctx, keep, id, rec.AuthVersion)
			}
			s.background(func(ctx context.Context) { s.purgeSessions(ctx, id, rec.AuthVersion) })
		}
		return rec.User, nil
	}
	return User{}, fmt.Errorf("auth: update user %s: too many concurrent changes", id)
}

// kvEntry lets a write update the cache at once instead of waiting for the
// watcher, so a change is visible as soon as the call returns.
type kvEntry struct {
	jetstream.KeyValueEntry
	key string
	val []byte
	rev uint64
	op  jetstream.KeyValueOp
}

func (e kvEntry) Key() string                     { return e.key }
func (e kvEntry) Value() []byte                   { return e.val }
func (e kvEntry) Revision() uint64                { return e.rev }
func (e kvEntry) Operation() jetstream.KeyValueOp { return e.op }

// background runs f in a goroutine that Close waits for, unless the
// service is closing.
func (s *Service) background(f func(ctx context.Context)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f(ctx)
	}()
}
