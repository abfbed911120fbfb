-- Marketing touch candidates per sender identity: the events of each
-- identity (a source's userId, else an anonymousId; rows with neither,
-- which map to no profile, are one identity) cut into sessions (a
-- gap of over 30 minutes starts one), and of each session only the rows
-- that can become a touch — its first event, and the first event of each
-- campaign key (UTM parameters, e-mail event, click id) in it — with the
-- session's bounds. The attribution read merges the sessions of a
-- profile's identities as the identity mapping stands (overlapping or
-- closer than 30 minutes: one session) and picks its touches from these
-- rows, instead of cutting every event of the period into sessions on
-- every read (minutes at 1,000,000 customers).
--
-- Derived from touch_rows (migration 009) by RefreshTouchPoints: an
-- identity with new rows has its sessions from the first one the new rows
-- can change recomputed; rows deleted since (erasure, retention) are found
-- by the counts and the sums of hash(seq) of each session's rows, which no
-- longer match those of touch_rows, and their identities recomputed whole.
CREATE TABLE touch_points (
    source_id      VARCHAR NOT NULL,     -- the sender's source for a userId; '' for an anonymous sender
    user_id        VARCHAR,
    anonymous_id   VARCHAR,              -- only when user_id is NULL
    s_start        TIMESTAMPTZ NOT NULL, -- the session's first and last event
    s_end          TIMESTAMPTZ NOT NULL,
    s_rows         BIGINT,               -- the session's touch rows (on its first row only)
    s_hash         HUGEINT,              -- their sum of hash(seq) (on its first row only)
    seq            UBIGINT NOT NULL,     -- the touch row's (and its event's) sequence
    "timestamp"    TIMESTAMPTZ NOT NULL,
    key            VARCHAR,              -- campaign key; NULL: none
    first          BOOLEAN NOT NULL,     -- the session's first event
    campaign_source  VARCHAR,
    campaign_medium  VARCHAR,
    campaign_name    VARCHAR,
    campaign_content VARCHAR,
    page_url       VARCHAR,
    page_referrer  VARCHAR,
    app_name       VARCHAR,
    event          VARCHAR,
    mail_campaign  VARCHAR
);

-- What touch_points was built with: the key expression (with its
-- arguments; a new taxonomy's e-mail events or click ids rebuild the
-- table) and the highest touch_rows sequence it has read.
CREATE TABLE touch_points_state (
    key VARCHAR NOT NULL,
    seq UBIGINT NOT NULL
);
INSERT INTO touch_points_state VALUES ('', 0);
