-- The profile each of the node's own messages names: segment entries and
-- exits, predictions, journey steps and the like are logged by the node
-- itself (source _tradewind) with no userId or anonymousId, and name their
-- profile in properties.profile_id. The events view (migration 004) gives
-- them that profile by parsing their JSON; a customer's timeline asked
-- which of them name one profile by parsing every one of them on every
-- read (0.8–1.4 s at 1,000,000 customers, bench/dashboard). This table
-- holds the answer once per message, so the timeline looks the profile's
-- messages up here and reads only those event rows, by sequence.
--
-- Kept from the reading side (duckdb.RefreshOwnMessages,
-- ownmessages.go): event rows are appended in log order and never
-- updated, so each own message is parsed once, after the last position
-- read (own_message_state). A row whose event was deleted since (erasure,
-- retention) finds no event row by its sequence, so readers join
-- event_rows and never show it.
CREATE TABLE own_message_profiles (
    seq        UBIGINT NOT NULL,   -- the message's log sequence (event_rows.seq)
    profile_id VARCHAR NOT NULL    -- its properties.profile_id
);

-- How far own_message_profiles has read event_rows: the highest log
-- position looked at.
CREATE TABLE own_message_state (
    refreshed_seq UBIGINT NOT NULL
);
INSERT INTO own_message_state VALUES (0);
