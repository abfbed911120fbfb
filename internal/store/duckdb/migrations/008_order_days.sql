-- Order days: the orders pre-aggregated per sender identity and UTC day,
-- for the analytics that read every order of every profile (predictions,
-- RFM). The orders view gives each of 20,000,000 order rows its profile
-- through a join on strings, and grouping them per (profile, day) then
-- takes most of a minute; these tables hold the same facts per identity and
-- day, keyed by a small integer, so a read joins the identity mapping (one
-- row per identity, not per order) and groups far fewer rows.
--
-- The tables are kept current from the reading side (duckdb.RefreshOrderDays,
-- orderdays.go): every day that has an order row, cancellation or refund
-- newer than the sequences in order_days_state, or whose rows no longer
-- add up (a deletion), is aggregated again from order_rows. A day is the
-- key because an order's timestamp never changes, while its identity
-- (user_id, anonymous_id, source_id) may, with a later version.
--
-- Identities are the orders view's: (source_id, user_id) when user_id is
-- set, else the anonymous_id, so a merge or an unmerge (a change of the
-- profile_users / profile_anons mapping) needs no change here: readers join
-- the mapping as it stands.

-- Each identity also carries the sum of its order_days (those with an
-- order not cancelled), so that a profile with one identity and no order
-- after the cutoff is read from one row, not aggregated from its days.
CREATE TABLE order_idents (
    ident_id     INTEGER NOT NULL,
    source_id    VARCHAR NOT NULL,
    user_id      VARCHAR,
    anonymous_id VARCHAR,           -- only when user_id IS NULL (the view's join)
    n_days       INTEGER NOT NULL DEFAULT 0, -- days with an order not cancelled
    first_day    DATE,
    last_day     DATE,
    spend        DECIMAL(18,4),     -- sum of those days' amounts
    first_amt    DECIMAL(18,4),     -- the first day's amount
    priced       BOOLEAN,           -- every one of those days was priced
    market       VARCHAR,           -- the market of the latest of them that has one
    recent       DATE[]             -- those of the 180 days up to last_day: enough for any
                                    -- cutoff on or after last_day to count its last 90 and 90 before
);

-- One row per identity and day with any order row: the predictions' facts.
CREATE TABLE order_days (
    ident_id INTEGER NOT NULL,
    day      DATE NOT NULL,         -- UTC calendar day of the orders' timestamp
    n_rows   INTEGER NOT NULL,      -- order rows, cancelled ones too (the check against deletions)
    orders   INTEGER NOT NULL,      -- orders whose status is not 'cancelled'
    priced   BOOLEAN,               -- every one of those has a total_base
    amount   DECIMAL(18,4),         -- their sum(total_base); NULL when none is priced
    market   VARCHAR                -- min(marketplace) of those
);

-- RFM's facts: orders not cancelled by status ('cancelled' or 'canceled'),
-- per identity, day, marketplace and the day of the order's first entry in
-- cancellations (NULL for none: RFM drops an order cancelled by the as-of
-- day even when its status missed the cancellation).
CREATE TABLE order_market_days (
    ident_id    INTEGER NOT NULL,
    day         DATE NOT NULL,
    marketplace VARCHAR NOT NULL,   -- '' for none
    cancel_day  DATE,
    orders      INTEGER NOT NULL,
    amount      DECIMAL(18,4)       -- sum(total_base) of the priced ones; NULL when none is
);

-- Refunds of the priced orders of order_market_days, per refund day.
CREATE TABLE order_refund_days (
    ident_id    INTEGER NOT NULL,
    day         DATE NOT NULL,
    marketplace VARCHAR NOT NULL,
    cancel_day  DATE,
    refund_day  DATE NOT NULL,      -- UTC day of the refund's timestamp
    amount      DECIMAL(18,4) NOT NULL
);

-- How far the tables are current: the highest sequence of order_rows,
-- cancellations and refunds aggregated, and the order rows counted then.
CREATE TABLE order_days_state (
    key   VARCHAR PRIMARY KEY,
    value UBIGINT NOT NULL
);
