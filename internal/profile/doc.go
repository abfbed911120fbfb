// Package profile keeps each unified customer profile's traits and computed
// traits current, one message at a time, for the real-time engine; it also
// holds the behavioural analytics that read profiles (subpackages rfm and
// cluster) and the deviation alerts.
//
// The engine resolves a message to a profile id and calls Keeper.Apply with
// the message's store projection (store.Projected) and a KV — a Pebble
// indexed batch — in which the Keeper keeps the profile's state. The state
// is facts, not totals: per order (keyed by store and order id) its
// placement time, newest total in the base currency, marketplace, units,
// cancellation and refunds; per review its newest rating; per trait its
// winning value; first and last seen; locale and time-zone hints; campaign
// channels. Each fact merges by a rule that is commutative, associative and
// idempotent, and every computed trait is recomputed from the facts, so:
//
//   - a message delivered twice changes nothing the second time;
//   - messages may arrive in any order: "Order Updated" before "Order
//     Completed", a refund or a cancellation before its order;
//   - an order's newest version by event time (then log sequence) sets its
//     total, as the store writer does; a cancellation is final;
//   - Merge of two profiles gives exactly the state one profile would have
//     had with all their messages, and Reset plus a replay rebuilds a
//     profile after an unmerge.
//
// Amounts are exact: int64 counts of 1e-4 of the base currency internally
// (the store's DECIMAL(18,4)), decimal.Decimal in the read model. Days are
// UTC calendar days, as in the store and the SQL jobs. Anything that depends
// on the current time (days since the last order) is computed at read time
// from a clock the caller passes, never stored.
//
// Deviation alerts are the one thing that depends on arrival: a message is
// judged against the history known when it arrives (see Deviation).
package profile
