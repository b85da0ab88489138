-- Kassa schema version 6: API keys and idempotent requests.

CREATE TABLE api_keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    mode        TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    label       TEXT    NOT NULL,
    prefix      TEXT    NOT NULL,
    hash        BLOB    NOT NULL UNIQUE, -- SHA-256 of the secret
    sealed      BLOB    NOT NULL,        -- the secret under the master key
    allowed_ips TEXT    NOT NULL,        -- JSON array of CIDR prefixes
    rate_limit  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT;

-- Idempotency-Key records: the first response to a key, for 24 hours.
CREATE TABLE idempotency (
    mode         TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('running', 'done')),
    code         INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (mode, key)
) STRICT;

CREATE INDEX idempotency_age ON idempotency (created_at);
