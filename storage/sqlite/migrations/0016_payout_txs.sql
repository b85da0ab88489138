-- Kassa schema version 16: payouts are found by their transaction, which the chain
-- watcher reports (payout.Service.Apply).

ALTER TABLE payouts ADD COLUMN tx_hash TEXT NOT NULL DEFAULT '';

UPDATE payouts SET tx_hash = COALESCE(json_extract(body, '$.tx_hash'), '');

CREATE INDEX payouts_tx ON payouts (tx_hash) WHERE tx_hash != '';
