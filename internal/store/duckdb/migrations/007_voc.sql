-- Voice of the customer: each review scored as it is stored (language
-- detected when the sender gave none, sentiment label and score, topics),
-- and the alerts of the brand-health monitor.
ALTER TABLE reviews ADD COLUMN detected_language VARCHAR;
ALTER TABLE reviews ADD COLUMN sentiment VARCHAR;        -- positive, neutral, negative
ALTER TABLE reviews ADD COLUMN sentiment_score DOUBLE;   -- -1..1
ALTER TABLE reviews ADD COLUMN topics VARCHAR[];         -- topic ids

CREATE TABLE alerts (
    alert_id    VARCHAR NOT NULL,   -- one per incident and grade
    incident_id VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,   -- voc
    series      VARCHAR NOT NULL,   -- e.g. marketplace=amazon_de
    metric      VARCHAR NOT NULL,   -- negative_share, negative_volume, …
    grade       VARCHAR NOT NULL,   -- info, warning, critical
    status      VARCHAR NOT NULL,   -- open, closed
    day         DATE NOT NULL,
    observed    DOUBLE,
    expected    DOUBLE,
    z           DOUBLE,
    count       BIGINT,
    raised_at   TIMESTAMPTZ NOT NULL,
    detail      JSON               -- examples and the rest of the alert
);
