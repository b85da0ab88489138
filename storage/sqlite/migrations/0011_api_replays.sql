-- Kassa schema version 11: what the API remembers between requests lives in the
-- database, so it survives restarts and is shared by every instance.
--
-- Idempotency-Key records now belong to the API key that made them (another key of
-- the same mode never sees them) and keep their response sealed under the master key
-- (a response may carry a secret shown once). Records of version 10 kept responses in
-- clear and are dropped: they lived 24 hours, and every create stays idempotent by the
-- request key stored with the object it made.
DROP TABLE idempotency;

CREATE TABLE idempotency (
    key_id       TEXT    NOT NULL, -- the API key's id
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('running', 'done')),
    code         INTEGER NOT NULL DEFAULT 0,
    body         BLOB,             -- the response, sealed
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (key_id, key)
) STRICT;

CREATE INDEX idempotency_age ON idempotency (created_at);

-- Signatures of signed requests, until their timestamp leaves the 5-minute window.
CREATE TABLE seen_signatures (
    key_id     TEXT    NOT NULL,
    signature  BLOB    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key_id, signature)
) STRICT, WITHOUT ROWID;

CREATE INDEX seen_signatures_expiry ON seen_signatures (expires_at);

-- Small named values of the Gateway (the master key's check value).
CREATE TABLE settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
