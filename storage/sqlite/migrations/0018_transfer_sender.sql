-- Kassa schema version 18: the payer's address of a transfer, when the chain tells it
-- (an ERC-20 Transfer's sender, the sender of a transaction that sends ether); ''
-- when it does not, and for transfers recorded before.

ALTER TABLE chain_transfers ADD COLUMN sender TEXT NOT NULL DEFAULT '';
