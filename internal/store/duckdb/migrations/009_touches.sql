-- Marketing touch candidates: the few fields of a visit that attribution
-- reads, taken out of each page, screen and track event's JSON once, so
-- the marketing analyses cut sessions over narrow columns instead of
-- parsing every event's context on every read (seconds per read at 50,000
-- people). One row per event row of those types from a sender (the node's
-- own messages, source _tradewind, are never touches); seq is the event's.
-- Kept by the store (RefreshTouches) from event_rows by sequence number;
-- erasure and retention delete a person's or an old event's row with the
-- event's.
CREATE TABLE touch_rows (
    seq            UBIGINT NOT NULL,
    source_id      VARCHAR NOT NULL,
    user_id        VARCHAR,
    anonymous_id   VARCHAR,
    "timestamp"    TIMESTAMPTZ NOT NULL,
    event          VARCHAR,             -- track's event name (e-mail events are touches)
    campaign_source  VARCHAR,           -- context.campaign.*
    campaign_medium  VARCHAR,
    campaign_name    VARCHAR,
    campaign_content VARCHAR,
    page_url       VARCHAR,             -- context.page.url (click ids)
    page_referrer  VARCHAR,
    app_name       VARCHAR,             -- context.app.name
    mail_campaign  VARCHAR              -- properties.campaign_name of track events
);

-- How far touch_rows has read event_rows: the highest event sequence
-- looked at, so a refresh starts after the last event it read, whatever
-- kind it was, rather than after the last touch row.
CREATE TABLE touch_state (
    refreshed_seq UBIGINT NOT NULL
);
INSERT INTO touch_state VALUES (0);
