-- Kassa schema version 3 on PostgreSQL: refunds and rebounds (package refund). A refund's body is
-- its JSON; the columns are what it is found by: its invoice (the limit is checked
-- over them, with the invoice's row locked), its payout (which it follows), its claim
-- link's token and its request key.

CREATE TABLE refunds (
    id               TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode             TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    object           TEXT COLLATE "C" NOT NULL DEFAULT 'refund' CHECK (object IN ('refund', 'rebound')),
    invoice_id       TEXT COLLATE "C" NOT NULL REFERENCES invoices (id),
    payout_id        TEXT COLLATE "C" NOT NULL DEFAULT '',
    status           TEXT COLLATE "C" NOT NULL,
    claim_token      TEXT COLLATE "C" NOT NULL DEFAULT '',
    claim_expires_at TIMESTAMPTZ,
    request_key      TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ      NOT NULL,
    body             JSON             NOT NULL -- the whole refund
);

CREATE INDEX refunds_invoice ON refunds (invoice_id, created_at, id);
CREATE INDEX refunds_list ON refunds (mode, object, created_at DESC, id DESC);
CREATE UNIQUE INDEX refunds_payout ON refunds (payout_id) WHERE payout_id != '';
CREATE UNIQUE INDEX refunds_claim ON refunds (claim_token) WHERE claim_token != '';
CREATE UNIQUE INDEX refunds_request_key ON refunds (mode, request_key) WHERE request_key != '';
CREATE INDEX refunds_claims_expiring ON refunds (claim_expires_at) WHERE status = 'awaiting_address';
