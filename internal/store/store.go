// Package store defines tradewind's analytic store: the tables every other
// part reads, the rows the store writer derives from log messages, and the
// interface an engine (embedded DuckDB, PostgreSQL) implements. What a
// message means — which rows it becomes — is decided here, once, for every
// engine; an engine only decides how to write and read them.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/eventlog"
)

// Store is an analytic store engine.
type Store interface {
	// Apply writes the rows of a batch of log deliveries, in log order,
	// atomically, and records the batch's last sequence. Deliveries at or
	// below AppliedSeq are skipped, so a redelivered batch changes nothing.
	Apply(ctx context.Context, batch []Projected) (ApplyResult, error)
	// AppliedSeq is the log sequence up to which the store is complete.
	AppliedSeq(ctx context.Context) (uint64, error)
	// Query runs one read-only SQL statement for a user.
	Query(ctx context.Context, sql string, maxRows int) (*Result, error)
	// SaveFXRates stores exchange rates (units per EUR) and re-converts, with
	// toBase, the amounts whose base value used a staler rate than is now
	// known (or none).
	SaveFXRates(ctx context.Context, rates []FXRate, toBase ToBaseFunc) (reconverted int, err error)
	// FXRates loads all stored exchange rates.
	FXRates(ctx context.Context) ([]FXRate, error)
	// SaveSource keeps the public description of a source (never its keys)
	// in the sources table, for joins.
	SaveSource(ctx context.Context, s SourceRow) error
	// Quarantine records rejected input (position, field and reason only).
	Quarantine(ctx context.Context, entries []QuarantineEntry) error
	// ImportTally reports what the writer decided for an import's messages.
	ImportTally(ctx context.Context, importID string) (Tally, error)
	// Close flushes and closes the store.
	Close() error
}

// ErrReadOnly is returned by Query for statements that are not reads.
var ErrReadOnly = errors.New("only read-only statements (SELECT, WITH … SELECT, DESCRIBE, SHOW, EXPLAIN) are allowed")

// ToBaseFunc converts an amount into the base currency with the rate of day,
// returning the rate's date; ok is false when no rate is known.
type ToBaseFunc func(amount decimal.Decimal, currency string, day time.Time) (base decimal.Decimal, rateDate time.Time, ok bool)

// ApplyResult counts what a batch did.
type ApplyResult struct {
	Stored     int // new messages stored
	Duplicates int // messages the store had already (outside JetStream's window)
	Skipped    int // deliveries at or below the applied sequence
	Rejected   int // messages the writer could not read (quarantined)
	Suppressed int // messages of erased people, dropped
	Expired    int // messages older than the retention policy keeps, dropped
}

// Tally is the writer's verdict on one import's messages.
type Tally struct {
	Stored     int64
	Duplicates int64
	Rejected   int64
}

// Result is a query's answer: column names, rows of Go values as the engine
// returns them, and whether the row cap cut it.
type Result struct {
	Columns   []string
	Types     []string
	Rows      [][]any
	Truncated bool
}

// FXRate is one ECB reference rate: units of Currency per 1 EUR on Date.
type FXRate struct {
	Date     time.Time
	Currency string
	Rate     decimal.Decimal
}

// SourceRow is the public part of a source.
type SourceRow struct {
	ID, Name, Kind, Store, Currency, Marketplace, Country string
	CreatedAt                                             time.Time
}

// QuarantineEntry is one rejected message or row. It names where and why,
// never the offending value.
type QuarantineEntry struct {
	At       time.Time
	SourceID string
	Origin   string // "http", "import", "webhook", "writer"
	ImportID string
	Line     int64 // line in an imported file (0 if none)
	Index    int   // position in a batch request (-1 if none)
	Field    string
	Reason   string
	Seq      uint64 // log sequence, for writer rejections
}

// Projected is a delivery read into rows, ready for an engine to write.
type Projected struct {
	Delivery eventlog.Delivery
	Event    *EventRow
	Order    *OrderRow
	Refund   *RefundRow
	Cancel   *CancelRow
	Customer *CustomerRow
	Review   *ReviewRow
	AdSpend  *AdSpendRow
	// Tokens are the blind-index tokens of the message's encrypted
	// identifiers (email, phone), for exact-match search and erasure.
	Tokens []TokenRow
	// Consents are the consent decisions the message carries.
	Consents []ConsentRow
	// Suppressed is set for a message of an erased person (its identifiers
	// are on the suppression list): the writer stores nothing of it.
	Suppressed bool
	// Expired is set for a message older than the retention policy keeps.
	Expired bool
	// Err is set when the message could not be read; it is quarantined.
	Err error
}

// TokenRow says that a message of a sender identity carried an encrypted
// identifier whose blind index is Token.
type TokenRow struct {
	Seq                           uint64
	SourceID, UserID, AnonymousID string
	Kind, Token, Path             string
}

// ConsentRow is one consent decision for one purpose.
type ConsentRow struct {
	Seq                        uint64
	MessageID, SourceID        string
	CustomerID                 string
	UserID, AnonymousID        string
	Purpose                    string
	Granted                    bool
	LawfulBasis, Origin, Proof string
	Timestamp                  time.Time
}

// EventRow is one row of the events table.
type EventRow struct {
	Seq                                  uint64
	MessageID, SourceID, Type, Event     string
	UserID, AnonymousID                  string
	Name, GroupID, PreviousID            string
	Timestamp, OriginalTimestamp, SentAt time.Time
	ReceivedAt                           time.Time
	Properties, Traits, Context          []byte // raw JSON objects, nil if absent
	Integrations                         []byte
	ImportID                             string
}

// OrderRow is one version of an order ("Order Completed" or "Order Updated").
type OrderRow struct {
	Seq                         uint64
	Store, OrderID, SourceID    string
	MessageID, Event            string
	CustomerID, UserID, AnonID  string
	Timestamp                   time.Time
	Currency                    string
	Total, Revenue, Subtotal    NullDecimal
	Tax, Shipping, Discount     NullDecimal
	Coupon, Status, Marketplace string
	TotalBase                   NullDecimal
	FXRateDate                  time.Time // zero: no rate known
	Items                       []ItemRow
	Properties                  []byte
}

// ItemRow is one product line of an order.
type ItemRow struct {
	Position                                       int
	ProductID, SKU, Name, Category, Brand, Variant string
	Price                                          NullDecimal
	Quantity                                       int64
}

// RefundRow is one "Order Refunded".
type RefundRow struct {
	Seq                                 uint64
	Store, OrderID, SourceID, MessageID string
	Timestamp                           time.Time
	Currency                            string
	Amount, AmountBase                  NullDecimal
	FXRateDate                          time.Time
	Reason                              string
}

// CancelRow is one "Order Cancelled".
type CancelRow struct {
	Seq                                 uint64
	Store, OrderID, SourceID, MessageID string
	Timestamp                           time.Time
	Reason                              string
}

// CustomerRow is one identify's view of a customer.
type CustomerRow struct {
	Seq                                     uint64
	SourceID, CustomerID, UserID, AnonID    string
	Email, Phone, FirstName, LastName, Name string
	Country, City, Language                 string
	CreatedAt, Timestamp                    time.Time
	Traits                                  []byte
}

// ReviewRow is one "Product Reviewed".
type ReviewRow struct {
	Seq                                      uint64
	SourceID, MessageID, ReviewID, ProductID string
	CustomerID, Title, Body, Language        string
	Rating                                   NullDecimal
	Timestamp                                time.Time
	Properties                               []byte
	// Score is the text's voice-of-the-customer scoring; nil without a
	// scorer or a text.
	Score *TextScore
}

// TextScore is what the review enricher says of a text.
type TextScore struct {
	Language  string // BCP-47 primary subtag; "und" when unknown
	Sentiment string // positive, neutral, negative
	Score     float64
	Topics    []string
}

// AdSpendRow is one day of spend of one channel and campaign.
type AdSpendRow struct {
	Seq                         uint64
	SourceID, MessageID         string
	Date                        time.Time
	Channel, Campaign, Currency string
	Spend, SpendBase            NullDecimal
	FXRateDate                  time.Time
	Impressions, Clicks         int64
	Marketplace                 string
}

// NullDecimal is a decimal that may be absent.
type NullDecimal struct {
	D     decimal.Decimal
	Valid bool
}
