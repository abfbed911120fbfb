package store

import "time"

// ProfileRow is one row of the profiles table: a profile's computed traits
// as the real-time engine last wrote them. Zero times and nil pointers are
// NULL.
type ProfileRow struct {
	ProfileID                                 string
	UpdatedAt, FirstSeen, LastSeen            time.Time
	Orders, PricedOrders, UnpricedOrders      int64
	CancelledOrders                           int64
	RevenueBase, NetRevenueBase, RefundedBase NullDecimal
	AOVBase                                   NullDecimal
	Refunds, RefundedOrders                   int64
	Marketplaces, Channels                    []string
	Country, Language, TimeZone               string
	FirstOrderAt, LastOrderAt                 time.Time
	OrderIntervalDays                         *float64
	Reviews                                   int64
	RatingAvg                                 NullDecimal
	LastDeviationAt                           time.Time
	DeviationMetrics                          []string
	Identities                                int
	Traits, Deviations                        []byte // JSON
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
