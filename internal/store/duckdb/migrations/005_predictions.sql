-- Customer predictions: one row per profile from the latest prediction run
-- (replaced as a whole by each run), and every run's model report.
CREATE TABLE customer_predictions (
    profile_id         VARCHAR NOT NULL,
    scored_at          TIMESTAMPTZ NOT NULL,
    model_version      VARCHAR NOT NULL,   -- run id / transaction model / churn model
    frequency          DOUBLE,             -- repeat purchase days (x)
    recency            DOUBLE,             -- periods from first to last purchase (t_x)
    "T"                DOUBLE,             -- periods from first purchase to the scoring day
    p_alive            DOUBLE,
    expected_purchases DOUBLE,             -- over the run's horizon
    expected_spend     DOUBLE,             -- base currency, per purchase
    clv                DOUBLE,             -- base currency, discounted margin over the run's months
    churn_risk         DOUBLE,             -- P(no order in the next churn_horizon_days)
    churn_tier         VARCHAR,            -- high, medium, low
    reasons            VARCHAR[]           -- the churn risk's top reasons, in words
);

CREATE TABLE prediction_runs (
    run_id      VARCHAR NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    status      VARCHAR NOT NULL,          -- scored, refused
    report      JSON NOT NULL
);
