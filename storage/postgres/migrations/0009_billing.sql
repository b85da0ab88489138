-- Kassa schema version 9: recurring billing (package billing). Products with their
-- pricing plans, subscriptions and their billed periods are kept as JSON documents
-- (body), with the columns lists and the billing job search on beside them. A
-- period is written once: its primary key is what makes a period billed exactly once.

CREATE TABLE products (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode            TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    sub_merchant_id TEXT COLLATE "C" NOT NULL,
    active          BOOLEAN          NOT NULL,
    created_at      TIMESTAMPTZ      NOT NULL,
    request_key     TEXT COLLATE "C" NOT NULL,
    body            JSON             NOT NULL
);

CREATE INDEX products_mode ON products (mode, created_at, id);
-- A create retried with its Idempotency-Key finds the first (package billing).
CREATE UNIQUE INDEX products_request_key ON products (mode, request_key) WHERE request_key != '';

-- Which product each plan belongs to (a plan's fields are in its product's body).
CREATE TABLE plans (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode       TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    product_id TEXT COLLATE "C" NOT NULL REFERENCES products (id)
);

CREATE TABLE subscriptions (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode            TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    sub_merchant_id TEXT COLLATE "C" NOT NULL,
    customer_id     TEXT COLLATE "C" NOT NULL,
    status          TEXT COLLATE "C" NOT NULL,
    next_at         TIMESTAMPTZ,      -- when the billing job looks next; NULL once ended
    created_at      TIMESTAMPTZ      NOT NULL,
    request_key     TEXT COLLATE "C" NOT NULL,
    body            JSON             NOT NULL
);

CREATE INDEX subscriptions_mode ON subscriptions (mode, created_at, id);
CREATE UNIQUE INDEX subscriptions_request_key ON subscriptions (mode, request_key) WHERE request_key != '';
CREATE INDEX subscriptions_customer ON subscriptions (mode, customer_id);
CREATE INDEX subscriptions_due ON subscriptions (next_at) WHERE next_at IS NOT NULL;

CREATE TABLE subscription_periods (
    subscription_id TEXT COLLATE "C" NOT NULL REFERENCES subscriptions (id),
    n               INTEGER          NOT NULL,
    mode            TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    status          TEXT COLLATE "C" NOT NULL,
    body            JSON             NOT NULL,
    PRIMARY KEY (subscription_id, n)
);
