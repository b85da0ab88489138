-- Kassa schema version 15: the watcher follows our own transactions (payouts) to their
-- confirmations like deposits, through reorgs: their records are chain_transfers rows
-- with out = 1 (the fee they paid in amount, when known; failed when reverted), and a
-- row with conflicted_by names a transaction that spends one of their inputs.

ALTER TABLE chain_transfers ADD COLUMN out           INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chain_transfers ADD COLUMN failed        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chain_transfers ADD COLUMN conflicted_by TEXT    NOT NULL DEFAULT '';

-- Our transactions the watchers follow, with the outputs they spend.
CREATE TABLE chain_followed (
    network TEXT    NOT NULL,
    mode    TEXT    NOT NULL,
    txid    TEXT    NOT NULL,
    inputs  TEXT    NOT NULL, -- JSON array of {"TxID","Index"}
    until   INTEGER,          -- followed until then (NULL: until told otherwise)
    PRIMARY KEY (network, mode, txid)
) STRICT;
