package store

import "time"

// ProfileRow is one row of the profiles table: a profile's computed traits
// as the real-time engine last wrote them.
type ProfileRow struct {
	ProfileID               string
	CreatedAt, UpdatedAt    time.Time
	FirstSeen, LastSeen     time.Time
	Orders                  int64
	RevenueBase, NetRevenue NullDecimal
	AOVBase                 NullDecimal
	Refunds                 int64
	RefundedBase            NullDecimal
	Marketplaces, Channels  []string
	Country, Language, TZ   string
	LastOrderAt             time.Time
	UsualOrderIntervalDays  *float64
	Reviews                 int64
	AvgRating               *float64
	Identities              int
	Traits, Deviations      []byte // JSON objects
}

// IdentityRow maps one identifier to its profile.
type IdentityRow struct {
	Kind, NS, Value, ProfileID string
}

// MergeRow is one entry of the merge log.
type MergeRow struct {
	MergeID, MessageID string
	Seq                uint64
	At                 time.Time
	Into, From, Reason string
	UndoneAt           time.Time
	UndoneBy           string
}

// ConflictRow is a link the identity graph refused to make.
type ConflictRow struct {
	Seq                uint64
	MessageID          string
	At                 time.Time
	ProfileA, ProfileB string
	Kind, NS, Reason   string
}

// MemberRow is one profile's membership of one segment.
type MemberRow struct {
	SegmentID, ProfileID string
	Since                time.Time
}

// ProfileBatch is what the real-time engine writes to the store at once:
// the current state of the profiles it changed, and of those it removed.
type ProfileBatch struct {
	// Profiles replace the rows of their profile ids.
	Profiles []ProfileRow
	// Removed profiles (merged away, forgotten) lose their rows, identity
	// mappings and memberships.
	Removed []string
	// Identities replace every identity row of the profiles in Profiles.
	Identities []IdentityRow
	Merges     []MergeRow // new or changed (undone) merges
	Conflicts  []ConflictRow
	// Members replace the segment memberships of the profiles in Profiles.
	Members []MemberRow
}
