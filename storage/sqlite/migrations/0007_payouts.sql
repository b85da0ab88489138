-- Kassa schema version 7: payouts and their one-time approval codes.

CREATE TABLE payouts (
    id         TEXT    NOT NULL PRIMARY KEY,
    mode       TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    batch_id   TEXT    NOT NULL DEFAULT '',
    status     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    body       TEXT    NOT NULL -- the whole payout as JSON
) STRICT;

CREATE INDEX payouts_list ON payouts (mode, created_at DESC, id DESC);
CREATE INDEX payouts_status ON payouts (status);
CREATE INDEX payouts_batch ON payouts (batch_id) WHERE batch_id != '';

-- One-time codes of payouts waiting for verification: only a hash is stored.
CREATE TABLE payout_codes (
    payout_id  TEXT    NOT NULL PRIMARY KEY REFERENCES payouts (id),
    hash       BLOB    NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
) STRICT;
