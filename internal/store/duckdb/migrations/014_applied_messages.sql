-- How many log messages the store has applied, beside the position it
-- reached (applied_seq). Positions stopped being dense when the log began
-- to store a request's messages as one bundle (eventlog/position.go): a
-- bundle's messages are up to 4,096 positions apart, so "the store grew
-- by 5%" — when shared dashboard answers and the marketing data are read
-- again — is counted in messages, here. Each store batch adds its count
-- in the transaction that moves applied_seq. An existing store starts from
-- its event rows (one per applied message, erased and expired ones aside:
-- only growth is compared).
INSERT INTO tw_state
SELECT 'applied_messages', CAST(count(*) AS VARCHAR) FROM event_rows
ON CONFLICT (key) DO NOTHING;
