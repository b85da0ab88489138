-- Kassa schema version 20: the treasury's sweeps (package treasury). A deposit to one
-- of our addresses on an account-based chain (EVM) is swept to the hot wallet once it
-- is booked available; swept marks the transfers a sweep took (or found not worth
-- its fee), so the pass looks only at what is new.

ALTER TABLE chain_transfers ADD COLUMN swept INTEGER NOT NULL DEFAULT 0;

CREATE INDEX chain_transfers_unswept ON chain_transfers (network, mode, address, asset)
	WHERE booked = 'available' AND swept = 0 AND out = 0;

-- Sweeps: one address's balance of one asset on its way to the hot wallet.
CREATE TABLE sweeps (
	id         TEXT PRIMARY KEY,
	network    TEXT NOT NULL,
	mode       TEXT NOT NULL,
	kind       TEXT NOT NULL, -- sweep, cold
	address    TEXT NOT NULL,
	asset      TEXT NOT NULL,
	status     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	body       TEXT NOT NULL
);

-- One open sweep per address and asset: a second pass (several instances, a pass
-- that overran its lease) cannot start the same one twice.
CREATE UNIQUE INDEX sweeps_open ON sweeps (network, mode, kind, address, asset) WHERE status IN ('topping_up', 'sweeping');
CREATE INDEX sweeps_list ON sweeps (mode, created_at DESC, id DESC);
