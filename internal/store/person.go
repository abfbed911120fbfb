package store

import (
	"context"
	"strconv"
)

// Identity is one sender identity: a source's userId (SourceID and UserID),
// or an anonymousId (AnonymousID alone; SDKs make them per device, not per
// source). Each identity has its own data key.
type Identity struct {
	SourceID    string `json:"source_id,omitempty"`
	UserID      string `json:"user_id,omitempty"`
	AnonymousID string `json:"anonymous_id,omitempty"`
}

// KindToken is the blind index of one identifier.
type KindToken struct {
	Kind  string `json:"kind"`
	Token string `json:"token"`
}

// PersonQuery names a person by any of their identifiers. A UserIDs entry
// without SourceID matches that userId in every source.
type PersonQuery struct {
	Tokens       []KindToken
	UserIDs      []Identity
	AnonymousIDs []string
}

// Person is everything that links to a query's identifiers: the identities
// seen together with them (on one message, or through a shared email or
// phone), until no new one appears.
type Person struct {
	Identities []Identity
	Tokens     []KindToken
	// Found is where FindPerson saw the person's messages, so that
	// ErasePerson deletes their rows by log sequence instead of scanning
	// every table again; nil for a Person made by hand (ErasePerson then
	// looks for them itself).
	Found *Found `json:"-"`
}

// Found is what FindPerson saw of a person in one consistent read of the
// store.
type Found struct {
	// AsOf is the store's applied log sequence at that read: rows of the
	// person that land later have greater sequences, and ErasePerson looks
	// for them among those only.
	AsOf uint64
	// Seqs are the log sequences of the person's event rows.
	Seqs []uint64
}

// ErrTooManyIdentities is returned when a query's identifiers link more
// identities than a person plausibly has: a shared or junk identifier
// ("test@test.com") would otherwise erase or export strangers.
type ErrTooManyIdentities struct{ Limit int }

func (e *ErrTooManyIdentities) Error() string {
	return "the identifier links more identities than one person plausibly has; refusing (limit " + strconv.Itoa(e.Limit) + ")"
}

// Erased counts what an erasure removed from the store.
type Erased struct {
	// Seqs are the log sequences of the person's messages, for the event log
	// to delete securely.
	Seqs []uint64
	// Rows counts deleted rows per table.
	Rows map[string]int64
}

// PersonStore is the part of a store that data-subject requests use.
type PersonStore interface {
	// FindPerson follows a query's identifiers to every linked identity;
	// limit caps the identities (ErrTooManyIdentities beyond it).
	FindPerson(ctx context.Context, q PersonQuery, limit int) (*Person, error)
	// PersonData returns every row held about a person, per table; with
	// tables given, of those tables only.
	PersonData(ctx context.Context, p *Person, tables ...string) (map[string]*Result, error)
	// ErasePerson deletes every row of a person, in one transaction.
	ErasePerson(ctx context.Context, p *Person) (*Erased, error)
	// EachIdentity calls fn for every distinct identity and identifier
	// token in the store (a restore checks them against the suppression
	// list).
	EachIdentity(ctx context.Context, fn func(id Identity, tok KindToken) error) error
}
