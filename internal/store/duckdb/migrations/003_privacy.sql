-- Privacy: the blind-index tokens of encrypted identifiers (exact-match
-- search by email or phone, and erasure, without decrypting anything), and
-- every consent decision with its origin and proof.

CREATE TABLE identifier_tokens (
    seq          UBIGINT NOT NULL,         -- message that carried the identifier
    source_id    VARCHAR NOT NULL,
    user_id      VARCHAR,
    anonymous_id VARCHAR,
    kind         VARCHAR NOT NULL,         -- email, phone
    token        VARCHAR NOT NULL,         -- keyed blind index of the normalised value
    path         VARCHAR                   -- where in the message: traits.email, …
);

CREATE TABLE consent (
    seq          UBIGINT NOT NULL,
    message_id   VARCHAR NOT NULL,
    source_id    VARCHAR NOT NULL,
    customer_id  VARCHAR,                  -- userId, else anonymousId
    user_id      VARCHAR,
    anonymous_id VARCHAR,
    purpose      VARCHAR NOT NULL,         -- analytics, personalisation, email, sms, advertising, or the sender's own category
    granted      BOOLEAN NOT NULL,
    lawful_basis VARCHAR,                  -- consent, contract, legitimate_interest, …
    origin       VARCHAR NOT NULL,         -- api (recorded decision) or event (context.consent)
    proof        VARCHAR,
    "timestamp"  TIMESTAMPTZ NOT NULL
);

-- The newest decision per sender identity and purpose.
CREATE VIEW consent_current AS
SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (PARTITION BY source_id, customer_id, purpose ORDER BY "timestamp" DESC, seq DESC) AS rn
    FROM consent
) WHERE rn = 1;
