-- Kassa schema version 4 on PostgreSQL: the treasury's sweeps (package treasury). A
-- deposit to one of our addresses on an account-based chain (EVM) is swept to the hot
-- wallet once it is booked available; swept marks the transfers a sweep took (or found
-- not worth its fee), so the pass looks only at what is new.

ALTER TABLE chain_transfers ADD COLUMN swept BOOLEAN NOT NULL DEFAULT false;

CREATE INDEX chain_transfers_unswept ON chain_transfers (network, mode, address, asset)
    WHERE booked = 'available' AND NOT swept AND NOT out;

-- Sweeps: one address's balance of one asset on its way to the hot wallet.
CREATE TABLE sweeps (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    network    TEXT COLLATE "C" NOT NULL,
    mode       TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    kind       TEXT COLLATE "C" NOT NULL CHECK (kind IN ('sweep', 'cold')),
    address    TEXT COLLATE "C" NOT NULL,
    asset      TEXT COLLATE "C" NOT NULL,
    status     TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMPTZ      NOT NULL,
    body       JSON             NOT NULL -- the whole sweep
);

-- One open sweep per address and asset: a second pass (several instances, a pass
-- that overran its lease) cannot start the same one twice.
CREATE UNIQUE INDEX sweeps_open ON sweeps (network, mode, kind, address, asset) WHERE status IN ('topping_up', 'sweeping');
CREATE INDEX sweeps_list ON sweeps (mode, created_at DESC, id DESC);
