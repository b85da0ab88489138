-- Kassa schema version 26: conversions between a merchant's balances (package
-- conversion). Amounts are exact decimal text; the ledger holds the money.

CREATE TABLE conversions (
    id              TEXT    NOT NULL PRIMARY KEY,
    mode            TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    sub_merchant_id TEXT    NOT NULL,
    from_asset      TEXT    NOT NULL,
    to_asset        TEXT    NOT NULL,
    amount          TEXT    NOT NULL,
    rate            TEXT    NOT NULL,
    received        TEXT    NOT NULL,
    fee             TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    failure_reason  TEXT    NOT NULL,
    request_key     TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX conversions_request_key ON conversions (mode, request_key) WHERE request_key <> '';
CREATE INDEX conversions_mode ON conversions (mode, created_at DESC, id DESC);
CREATE INDEX conversions_sub ON conversions (mode, sub_merchant_id, created_at DESC, id DESC) WHERE sub_merchant_id <> '';
CREATE INDEX conversions_pending ON conversions (updated_at, id) WHERE status = 'pending';
