-- Event days: the track, page and screen events counted per sender
-- identity, type, name and UTC day, for the segment rules that count
-- events ("Order Completed at least 2 times in the last 90 days"). Such a
-- rule read the type, name and time of every event row in its window and
-- joined each match to the identity mapping: 17.5 million rows and over a
-- second for a preview at 1,000,000 customers. The days inside a rule's
-- window are read from here instead, and only the first and last day of
-- the window (and rows newer than the last refresh) from event_rows.
--
-- Kept from the reading side (duckdb.RefreshEventDays, eventdays.go): the
-- days of the event rows with a sequence above event_days_state.refreshed_seq
-- are aggregated again from event_rows. An erasure deletes the person's
-- identities' rows here in its own transaction; retention marks the table
-- for a full check (every day's sum compared with its rows), so that a day
-- whose rows were deleted is aggregated again.
--
-- Identities are the events view's: (source_id, user_id) when user_id is
-- set, else the anonymous_id, so merges and unmerges need no refresh:
-- readers join the identity mapping as it stands.
CREATE TABLE event_days (
    source_id    VARCHAR NOT NULL,
    user_id      VARCHAR,
    anonymous_id VARCHAR,               -- only when user_id IS NULL (the view's join)
    type         VARCHAR NOT NULL,      -- track, page or screen
    name         VARCHAR,               -- track's event, or the page's or screen's name
    day          DATE NOT NULL,         -- UTC calendar day of the events' timestamp
    n            BIGINT NOT NULL        -- events
);

-- How far event_days has read event_rows: every row with a sequence up to
-- refreshed_seq is counted, and no other, unless full_check (deletions may
-- have made some day's sum too high) or busy (a refresh in several
-- transactions is half done: some days count rows above refreshed_seq).
-- Readers use the counts only when neither is set, and check after their
-- query that the state did not change while it ran (realtime.Preview).
CREATE TABLE event_days_state (
    refreshed_seq UBIGINT NOT NULL,
    full_check    BOOLEAN NOT NULL,
    busy          BOOLEAN NOT NULL
);
INSERT INTO event_days_state VALUES (0, false, false);
