-- Kassa schema version 7: customer wallets (package wallet). One wallet per mode,
-- customer and asset; its deposit address is unique on its network and mode. A
-- payout that withdraws from a wallet names it in wallet_id.

CREATE TABLE wallets (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode        TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    customer_id TEXT COLLATE "C" NOT NULL,
    asset       TEXT COLLATE "C" NOT NULL,
    currency    TEXT COLLATE "C" NOT NULL,
    network     TEXT COLLATE "C" NOT NULL,
    address     TEXT COLLATE "C" NOT NULL,
    idx         BIGINT           NOT NULL CHECK (idx >= 0),
    label       TEXT             NOT NULL,
    metadata    JSON,             -- kept byte for byte, as on SQLite
    created_at  TIMESTAMPTZ      NOT NULL
);

CREATE UNIQUE INDEX wallets_customer_asset ON wallets (mode, customer_id, asset);
CREATE UNIQUE INDEX wallets_address ON wallets (network, mode, address);
CREATE INDEX wallets_mode ON wallets (mode, created_at, id);

ALTER TABLE payouts ADD COLUMN wallet_id TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX payouts_wallet ON payouts (wallet_id, created_at) WHERE wallet_id <> '';
