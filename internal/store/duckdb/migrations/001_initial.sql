-- tradewind schema v1: the event log's messages and the e-commerce
-- projections. No PRIMARY KEY or UNIQUE index on the append tables: DuckDB
-- keeps those indexes in memory; natural keys are kept unique by the writer
-- with the on-disk key index instead.

CREATE TABLE events (
    seq                UBIGINT NOT NULL,   -- position in the event log
    message_id         VARCHAR NOT NULL,
    source_id          VARCHAR NOT NULL,
    type               VARCHAR NOT NULL,   -- identify, track, page, screen, group, alias, ad_spend
    event              VARCHAR,            -- track's event name
    user_id            VARCHAR,
    anonymous_id       VARCHAR,
    name               VARCHAR,            -- page or screen name
    group_id           VARCHAR,
    previous_id        VARCHAR,
    "timestamp"        TIMESTAMPTZ NOT NULL, -- event time, corrected for clock skew
    original_timestamp TIMESTAMPTZ,        -- the sender's own timestamp
    sent_at            TIMESTAMPTZ,
    received_at        TIMESTAMPTZ NOT NULL,
    properties         JSON,
    traits             JSON,
    context            JSON,
    integrations       JSON,
    import_id          VARCHAR
);

CREATE TABLE orders (
    store          VARCHAR NOT NULL,       -- marketplace account; (store, order_id) is unique
    order_id       VARCHAR NOT NULL,
    source_id      VARCHAR NOT NULL,
    customer_id    VARCHAR,                -- the sender's userId, else anonymousId
    user_id        VARCHAR,
    anonymous_id   VARCHAR,
    "timestamp"    TIMESTAMPTZ NOT NULL,   -- when the order was placed
    currency       VARCHAR NOT NULL,
    total          DECIMAL(18,4),          -- after discounts, with tax and shipping
    revenue        DECIMAL(18,4),
    subtotal       DECIMAL(18,4),
    tax            DECIMAL(18,4),
    shipping       DECIMAL(18,4),
    discount       DECIMAL(18,4),
    coupon         VARCHAR,
    status         VARCHAR NOT NULL,       -- completed, or as the sender says; cancelled
    marketplace    VARCHAR,
    base_currency  VARCHAR NOT NULL,
    total_base     DECIMAL(18,4),          -- total in the base currency; NULL while no rate is known
    fx_rate_date   DATE,                   -- date of the ECB rate used; older than the order's date when stale
    cancelled_at   TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL,   -- event time of the version this row shows
    message_id     VARCHAR NOT NULL,       -- message of that version
    seq            UBIGINT NOT NULL,
    first_seq      UBIGINT NOT NULL,       -- message that created the order
    properties     JSON
);

CREATE TABLE order_items (
    store       VARCHAR NOT NULL,
    order_id    VARCHAR NOT NULL,
    position    INTEGER NOT NULL,
    product_id  VARCHAR,
    sku         VARCHAR,
    name        VARCHAR,
    category    VARCHAR,
    brand       VARCHAR,
    variant     VARCHAR,
    price       DECIMAL(18,4),
    quantity    BIGINT NOT NULL,
    currency    VARCHAR NOT NULL,
    seq         UBIGINT NOT NULL
);

CREATE TABLE refunds (
    store         VARCHAR NOT NULL,
    order_id      VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    message_id    VARCHAR NOT NULL,
    "timestamp"   TIMESTAMPTZ NOT NULL,
    currency      VARCHAR NOT NULL,
    amount        DECIMAL(18,4),
    base_currency VARCHAR NOT NULL,
    amount_base   DECIMAL(18,4),
    fx_rate_date  DATE,
    reason        VARCHAR,
    seq           UBIGINT NOT NULL
);

CREATE TABLE cancellations (
    store       VARCHAR NOT NULL,
    order_id    VARCHAR NOT NULL,
    source_id   VARCHAR NOT NULL,
    message_id  VARCHAR NOT NULL,
    "timestamp" TIMESTAMPTZ NOT NULL,
    reason      VARCHAR,
    seq         UBIGINT NOT NULL
);

CREATE TABLE customers (
    source_id    VARCHAR NOT NULL,         -- (source_id, customer_id) is unique
    customer_id  VARCHAR NOT NULL,         -- userId, else anonymousId
    user_id      VARCHAR,
    anonymous_id VARCHAR,
    email        VARCHAR,
    phone        VARCHAR,
    first_name   VARCHAR,
    last_name    VARCHAR,
    name         VARCHAR,
    country      VARCHAR,
    city         VARCHAR,
    language     VARCHAR,
    created_at   TIMESTAMPTZ,
    first_seen   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,     -- event time of the newest identify
    traits       JSON,                     -- all traits, newest value of each
    seq          UBIGINT NOT NULL
);

CREATE TABLE reviews (
    source_id   VARCHAR NOT NULL,
    message_id  VARCHAR NOT NULL,
    review_id   VARCHAR NOT NULL,
    product_id  VARCHAR,
    customer_id VARCHAR,
    rating      DECIMAL(18,4),
    title       VARCHAR,
    body        VARCHAR,
    language    VARCHAR,
    "timestamp" TIMESTAMPTZ NOT NULL,
    properties  JSON,
    seq         UBIGINT NOT NULL
);

CREATE TABLE ad_spend (
    source_id     VARCHAR NOT NULL,        -- (source_id, date, channel, campaign) is unique
    date          DATE NOT NULL,
    channel       VARCHAR NOT NULL,
    campaign      VARCHAR NOT NULL,
    marketplace   VARCHAR,
    currency      VARCHAR NOT NULL,
    spend         DECIMAL(18,4) NOT NULL,
    base_currency VARCHAR NOT NULL,
    spend_base    DECIMAL(18,4),
    fx_rate_date  DATE,
    impressions   BIGINT,
    clicks        BIGINT,
    message_id    VARCHAR NOT NULL,
    seq           UBIGINT NOT NULL
);

CREATE TABLE fx_rates (
    date     DATE NOT NULL,
    currency VARCHAR NOT NULL,
    rate     DECIMAL(18,6) NOT NULL,       -- units of currency per 1 EUR (ECB reference rate)
    PRIMARY KEY (date, currency)
);

CREATE TABLE sources (
    id          VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    kind        VARCHAR,
    store       VARCHAR NOT NULL,
    currency    VARCHAR,
    marketplace VARCHAR,
    country     VARCHAR,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE quarantine (
    quarantined_at TIMESTAMPTZ NOT NULL,
    source_id VARCHAR,
    origin    VARCHAR NOT NULL,            -- http, import, webhook, writer
    import_id VARCHAR,
    line      BIGINT,                      -- line in the imported file
    "index"   INTEGER,                     -- position in a batch request
    field     VARCHAR,
    reason    VARCHAR NOT NULL,
    seq       UBIGINT                      -- log sequence, for writer rejections
);

CREATE TABLE import_tallies (
    import_id  VARCHAR PRIMARY KEY,
    stored     BIGINT NOT NULL,
    duplicates BIGINT NOT NULL,
    rejected   BIGINT NOT NULL
);

CREATE TABLE tw_state (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
