-- Kassa schema version 2 on PostgreSQL: the payer's address of a transfer, when the
-- chain tells it (an ERC-20 Transfer's sender, the sender of a transaction that sends
-- ether); '' when it does not (ether sent by a contract, a node without the transaction) and for transfers recorded before.

ALTER TABLE chain_transfers ADD COLUMN sender TEXT NOT NULL DEFAULT '';
