-- Unified profiles. The append tables keep their rows under new names
-- (event_rows, order_rows); `events` and `orders` become views that add the
-- row's current profile_id through the identity mapping the real-time engine
-- keeps, so a merge or an unmerge changes one mapping row, never millions of
-- event rows, and every query sees the current profile.

ALTER TABLE events RENAME TO event_rows;
ALTER TABLE orders RENAME TO order_rows;

-- Sender identities → profile: a source's userId, or an anonymousId. (The
-- views join anonymous ids through a CASE so the join stays an equi-join:
-- "user_id IS NULL AND …" in the join condition made DuckDB loop over every
-- pair of rows.)
CREATE TABLE profile_users (
    source_id  VARCHAR NOT NULL,
    user_id    VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL
);
CREATE TABLE profile_anons (
    anonymous_id VARCHAR NOT NULL,
    profile_id   VARCHAR NOT NULL
);

-- Every identifier of a profile (email and phone as blind-index tokens).
CREATE TABLE profile_identities (
    kind       VARCHAR NOT NULL,           -- user, anon, email, phone, amazon_buyer, shopify_customer, …
    ns         VARCHAR NOT NULL,           -- source or shared user space for user and platform ids; '' otherwise
    value      VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL
);

-- One row per live profile: its computed traits (column names are the
-- attribute names segment rules use) and its winning traits.
CREATE TABLE profiles (
    profile_id          VARCHAR NOT NULL,
    updated_at          TIMESTAMPTZ,        -- when the engine last changed it
    first_seen          TIMESTAMPTZ,
    last_seen           TIMESTAMPTZ,
    orders              BIGINT,             -- orders not cancelled
    priced_orders       BIGINT,             -- of them, with a base-currency total
    unpriced_orders     BIGINT,
    cancelled_orders    BIGINT,
    revenue_base        DECIMAL(18,4),      -- gross
    net_revenue_base    DECIMAL(18,4),      -- minus refunds
    refunded_base       DECIMAL(18,4),
    aov_base            DECIMAL(18,4),
    refunds             BIGINT,
    refunded_orders     BIGINT,
    marketplaces        VARCHAR[],
    channels            VARCHAR[],
    country             VARCHAR,
    language            VARCHAR,
    timezone            VARCHAR,
    first_order_at      TIMESTAMPTZ,
    last_order_at       TIMESTAMPTZ,
    order_interval_days DOUBLE,             -- median gap between order days
    reviews             BIGINT,
    rating_avg          DECIMAL(18,4),
    last_deviation_at   TIMESTAMPTZ,
    deviation_metrics   VARCHAR[],
    identities          INTEGER,
    traits              JSON,               -- high-tier values stay encrypted
    deviations          JSON
);

CREATE TABLE identity_merges (
    merge_id    VARCHAR NOT NULL,
    seq         UBIGINT NOT NULL,
    message_id  VARCHAR,
    "timestamp" TIMESTAMPTZ NOT NULL,
    into_profile VARCHAR NOT NULL,
    from_profile VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    undone_at   TIMESTAMPTZ,
    undone_by   VARCHAR
);

CREATE TABLE identity_conflicts (
    seq         UBIGINT NOT NULL,
    message_id  VARCHAR,
    "timestamp" TIMESTAMPTZ NOT NULL,
    profile_a   VARCHAR,
    profile_b   VARCHAR,
    kind        VARCHAR,
    ns          VARCHAR,
    reason      VARCHAR NOT NULL
);

CREATE TABLE segment_members (
    segment_id VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    since      TIMESTAMPTZ NOT NULL
);

-- The real-time engine's own messages (source _tradewind: segment entered
-- or exited, deviations) name their profile in properties.profile_id.
CREATE VIEW events AS
SELECT e.*, coalesce(u.profile_id, a.profile_id,
    CASE WHEN e.source_id = '_tradewind' THEN json_extract_string(e.properties, '$.profile_id') END) AS profile_id
FROM event_rows e
LEFT JOIN profile_users u ON u.source_id = e.source_id AND u.user_id = e.user_id
LEFT JOIN profile_anons a ON a.anonymous_id = CASE WHEN e.user_id IS NULL THEN e.anonymous_id END;

CREATE VIEW orders AS
SELECT o.*, coalesce(u.profile_id, a.profile_id) AS profile_id
FROM order_rows o
LEFT JOIN profile_users u ON u.source_id = o.source_id AND u.user_id = o.user_id
LEFT JOIN profile_anons a ON a.anonymous_id = CASE WHEN o.user_id IS NULL THEN o.anonymous_id END;
