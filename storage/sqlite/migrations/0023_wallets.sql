-- Kassa schema version 23: customer wallets (package wallet). One wallet per mode,
-- customer and asset; its deposit address is unique on its network and mode. A
-- payout that withdraws from a wallet names it in wallet_id.

CREATE TABLE wallets (
    id          TEXT    NOT NULL PRIMARY KEY,
    mode        TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    customer_id TEXT    NOT NULL,
    asset       TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    network     TEXT    NOT NULL,
    address     TEXT    NOT NULL,
    idx         INTEGER NOT NULL CHECK (idx >= 0),
    label       TEXT    NOT NULL,
    metadata    TEXT,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX wallets_customer_asset ON wallets (mode, customer_id, asset);
CREATE UNIQUE INDEX wallets_address ON wallets (network, mode, address);
CREATE INDEX wallets_mode ON wallets (mode, created_at, id);

ALTER TABLE payouts ADD COLUMN wallet_id TEXT NOT NULL DEFAULT '';
CREATE INDEX payouts_wallet ON payouts (wallet_id, created_at) WHERE wallet_id <> '';
