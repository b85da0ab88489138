-- Kassa schema version 25: recurring billing (package billing). Products with their
-- pricing plans, subscriptions and their billed periods are kept as JSON documents
-- (body), with the columns lists and the billing job search on beside them. A
-- period is written once: its primary key is what makes a period billed exactly once.

CREATE TABLE products (
    id              TEXT    NOT NULL PRIMARY KEY,
    mode            TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    sub_merchant_id TEXT    NOT NULL,
    active          INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    request_key     TEXT    NOT NULL,
    body            TEXT    NOT NULL
) STRICT;

CREATE INDEX products_mode ON products (mode, created_at, id);
-- A create retried with its Idempotency-Key finds the first (package billing).
CREATE UNIQUE INDEX products_request_key ON products (mode, request_key) WHERE request_key != '';

-- Which product each plan belongs to (a plan's fields are in its product's body).
CREATE TABLE plans (
    id         TEXT NOT NULL PRIMARY KEY,
    mode       TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    product_id TEXT NOT NULL REFERENCES products (id)
) STRICT;

CREATE TABLE subscriptions (
    id              TEXT    NOT NULL PRIMARY KEY,
    mode            TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    sub_merchant_id TEXT    NOT NULL,
    customer_id     TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    next_at         INTEGER,          -- when the billing job looks next; NULL once ended
    created_at      INTEGER NOT NULL,
    request_key     TEXT    NOT NULL,
    body            TEXT    NOT NULL
) STRICT;

CREATE INDEX subscriptions_mode ON subscriptions (mode, created_at, id);
CREATE UNIQUE INDEX subscriptions_request_key ON subscriptions (mode, request_key) WHERE request_key != '';
CREATE INDEX subscriptions_customer ON subscriptions (mode, customer_id);
CREATE INDEX subscriptions_due ON subscriptions (next_at) WHERE next_at IS NOT NULL;

CREATE TABLE subscription_periods (
    subscription_id TEXT    NOT NULL REFERENCES subscriptions (id),
    n               INTEGER NOT NULL,
    mode            TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    status          TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    PRIMARY KEY (subscription_id, n)
) STRICT;
