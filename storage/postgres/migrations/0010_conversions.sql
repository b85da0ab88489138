-- Kassa schema version 10: conversions between a merchant's balances (package
-- conversion). Amounts are exact decimal text, as on SQLite; the ledger holds the
-- money.

CREATE TABLE conversions (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode            TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    sub_merchant_id TEXT COLLATE "C" NOT NULL,
    from_asset      TEXT COLLATE "C" NOT NULL,
    to_asset        TEXT COLLATE "C" NOT NULL,
    amount          TEXT             NOT NULL,
    rate            TEXT             NOT NULL,
    received        TEXT             NOT NULL,
    fee             TEXT             NOT NULL,
    status          TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    failure_reason  TEXT             NOT NULL,
    request_key     TEXT COLLATE "C" NOT NULL,
    created_at      TIMESTAMPTZ      NOT NULL,
    updated_at      TIMESTAMPTZ      NOT NULL
);

CREATE UNIQUE INDEX conversions_request_key ON conversions (mode, request_key) WHERE request_key <> '';
CREATE INDEX conversions_mode ON conversions (mode, created_at DESC, id DESC);
CREATE INDEX conversions_sub ON conversions (mode, sub_merchant_id, created_at DESC, id DESC) WHERE sub_merchant_id <> '';
CREATE INDEX conversions_pending ON conversions (updated_at, id) WHERE status = 'pending';
