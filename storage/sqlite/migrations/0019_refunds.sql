-- Kassa schema version 19: refunds and rebounds (package refund). A refund's body is its JSON; the
-- columns are what it is found by: its invoice (the limit is checked over them), its
-- payout (which it follows), its claim link's token and its request key.

CREATE TABLE refunds (
	id          TEXT PRIMARY KEY,
	mode        TEXT NOT NULL,
	object      TEXT NOT NULL DEFAULT 'refund', -- 'refund' or 'rebound'
	invoice_id  TEXT NOT NULL REFERENCES invoices (id),
	payout_id   TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL,
	claim_token TEXT NOT NULL DEFAULT '',
	claim_expires_at INTEGER NOT NULL DEFAULT 0,
	request_key TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	body        TEXT NOT NULL
);

CREATE INDEX refunds_invoice ON refunds (invoice_id, created_at, id);
CREATE INDEX refunds_list ON refunds (mode, object, created_at DESC, id DESC);
CREATE UNIQUE INDEX refunds_payout ON refunds (payout_id) WHERE payout_id != '';
CREATE UNIQUE INDEX refunds_claim ON refunds (claim_token) WHERE claim_token != '';
CREATE UNIQUE INDEX refunds_request_key ON refunds (mode, request_key) WHERE request_key != '';
CREATE INDEX refunds_claims_expiring ON refunds (claim_expires_at) WHERE status = 'awaiting_address';
