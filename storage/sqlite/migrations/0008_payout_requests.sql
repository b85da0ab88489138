-- Kassa schema version 8: the Idempotency-Key of the request that created a payout,
-- stored in the payout's own transaction, so a retry after a crash finds the payout
-- instead of making a second one.

ALTER TABLE payouts ADD COLUMN request_key TEXT NOT NULL DEFAULT '';

CREATE UNIQUE INDEX payouts_request_key ON payouts (mode, request_key) WHERE request_key != '';
