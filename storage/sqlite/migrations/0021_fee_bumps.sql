-- Kassa schema version 21: fee bumps (RBF). A send replaced by a fee bump keeps its
-- row, under "<spec id>~<its txid>" with status 'replaced', and the replacement takes
-- the spec id; a payout finds the transactions a bump replaced, so whichever of them
-- is mined completes it. A send of a watch-only wallet waits as 'unsigned' (its PSBT in
-- raw) until the signed PSBT comes back.

CREATE TABLE wallet_sends_v21 (
    network       TEXT    NOT NULL,
    mode          TEXT    NOT NULL,
    spec_id       TEXT    NOT NULL,
    txid          TEXT    NOT NULL,
    raw           BLOB    NOT NULL,
    fee           TEXT    NOT NULL,
    amount        TEXT    NOT NULL,
    destination   TEXT    NOT NULL,
    change_addr   TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('unsigned', 'signed', 'broadcast', 'failed', 'replaced')),
    created_at    INTEGER NOT NULL,
    change_index  INTEGER NOT NULL DEFAULT 0,
    change_amount INTEGER NOT NULL DEFAULT 0,
    depth         INTEGER NOT NULL DEFAULT 1,
    replaces      TEXT    NOT NULL DEFAULT '', -- the txid a fee bump replaced
    PRIMARY KEY (network, mode, spec_id)
) STRICT;

INSERT INTO wallet_sends_v21 (network, mode, spec_id, txid, raw, fee, amount, destination, change_addr, status,
    created_at, change_index, change_amount, depth)
SELECT network, mode, spec_id, txid, raw, fee, amount, destination, change_addr, status,
    created_at, change_index, change_amount, depth FROM wallet_sends;

DROP TABLE wallet_sends;
ALTER TABLE wallet_sends_v21 RENAME TO wallet_sends;
CREATE INDEX wallet_sends_txid ON wallet_sends (network, mode, txid);

-- The transactions a fee bump replaced, per payout (payout.Payout.Replaced).
CREATE TABLE payout_replaced_txs (
    mode      TEXT NOT NULL,
    txid      TEXT NOT NULL,
    payout_id TEXT NOT NULL,
    PRIMARY KEY (mode, txid, payout_id)
) STRICT;
