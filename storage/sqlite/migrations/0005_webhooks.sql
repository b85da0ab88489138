-- Kassa schema version 5: webhook endpoints, deliveries and their attempts.

CREATE TABLE webhook_endpoints (
    id              TEXT    NOT NULL PRIMARY KEY,
    mode            TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    url             TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    events          TEXT    NOT NULL, -- JSON array of event types, or ["*"]
    enabled         INTEGER NOT NULL,
    disabled_reason TEXT    NOT NULL DEFAULT '',
    secret          BLOB    NOT NULL, -- sealed under the master key
    old_secret      BLOB,
    old_until       INTEGER,
    failing_since   INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX webhook_endpoints_mode ON webhook_endpoints (mode, created_at);

-- One row per event and target (an endpoint id, or url_callback).
CREATE TABLE webhook_deliveries (
    id            TEXT    NOT NULL PRIMARY KEY,
    event_id      TEXT    NOT NULL REFERENCES events (id),
    target        TEXT    NOT NULL,
    url           TEXT    NOT NULL,
    mode          TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts      INTEGER NOT NULL,
    next_at       INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (event_id, target)
) STRICT;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);

CREATE TABLE webhook_attempts (
    delivery_id TEXT    NOT NULL REFERENCES webhook_deliveries (id),
    n           INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    latency_us  INTEGER NOT NULL,
    error       TEXT    NOT NULL,
    response    TEXT    NOT NULL,
    PRIMARY KEY (delivery_id, n)
) STRICT;

CREATE TABLE webhook_callback_secrets (
    mode   TEXT NOT NULL PRIMARY KEY,
    secret BLOB NOT NULL
) STRICT;
