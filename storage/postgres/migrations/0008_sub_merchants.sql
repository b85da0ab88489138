-- Kassa schema version 8: sub-merchants (package submerchant), scopes inside a mode.
-- Every scoped object gains sub_merchant_id; '' is the operator's own scope, where
-- every object made before this version stays.

CREATE TABLE sub_merchants (
    id                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode              TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    external_id       TEXT COLLATE "C" NOT NULL,
    name              TEXT             NOT NULL,
    support_email     TEXT COLLATE "C" NOT NULL,
    logo_url          TEXT COLLATE "C" NOT NULL,
    business_settings JSON,            -- kept byte for byte, as on SQLite
    active            BOOLEAN          NOT NULL,
    created_at        TIMESTAMPTZ      NOT NULL,
    updated_at        TIMESTAMPTZ      NOT NULL
);

CREATE UNIQUE INDEX sub_merchants_external_id ON sub_merchants (mode, external_id);
CREATE INDEX sub_merchants_mode ON sub_merchants (mode, created_at, id);

ALTER TABLE invoices ADD COLUMN sub_merchant_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE payouts ADD COLUMN sub_merchant_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN sub_merchant_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE wallets ADD COLUMN sub_merchant_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN sub_merchant_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE webhook_endpoints ADD COLUMN sub_merchant_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN sub_merchant_id TEXT COLLATE "C" NOT NULL DEFAULT '';

CREATE INDEX invoices_sub ON invoices (mode, sub_merchant_id, created_at DESC, id DESC) WHERE sub_merchant_id <> '';
CREATE INDEX payouts_sub ON payouts (mode, sub_merchant_id, created_at DESC, id DESC) WHERE sub_merchant_id <> '';
CREATE INDEX refunds_sub ON refunds (mode, sub_merchant_id, created_at DESC, id DESC) WHERE sub_merchant_id <> '';
CREATE INDEX wallets_sub ON wallets (mode, sub_merchant_id, created_at DESC, id DESC) WHERE sub_merchant_id <> '';
CREATE INDEX events_sub ON events (mode, sub_merchant_id, seq) WHERE sub_merchant_id <> '';

-- A customer has one wallet of an asset per scope: two sub-merchants may both know a
-- customer "user-1".
DROP INDEX wallets_customer_asset;
CREATE UNIQUE INDEX wallets_customer_asset ON wallets (mode, sub_merchant_id, customer_id, asset);
