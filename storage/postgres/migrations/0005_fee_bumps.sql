-- Kassa schema version 5: fee bumps (RBF). A send replaced by a fee bump keeps its
-- row, under "<spec id>~<its txid>" with status 'replaced', and the replacement takes
-- the spec id; a payout finds the transactions a bump replaced, so whichever of them
-- is mined completes it. A send of a watch-only wallet waits as 'unsigned' (its PSBT in
-- raw) until the signed PSBT comes back.

ALTER TABLE wallet_sends DROP CONSTRAINT wallet_sends_status_check;
ALTER TABLE wallet_sends ADD CONSTRAINT wallet_sends_status_check
    CHECK (status IN ('unsigned', 'signed', 'broadcast', 'failed', 'replaced'));
ALTER TABLE wallet_sends ADD COLUMN replaces TEXT COLLATE "C" NOT NULL DEFAULT ''; -- the txid a fee bump replaced

-- The transactions a fee bump replaced, per payout (payout.Payout.Replaced).
CREATE TABLE payout_replaced_txs (
    mode      TEXT COLLATE "C" NOT NULL,
    txid      TEXT COLLATE "C" NOT NULL,
    payout_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (mode, txid, payout_id)
);
