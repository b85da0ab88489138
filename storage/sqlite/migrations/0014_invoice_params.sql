-- Kassa schema version 14: a digest of the parameters each invoice was created with,
-- so a second create with its order_id but other parameters is a conflict instead of
-- silently answering with the first invoice. Invoices of version 13 keep '' and are
-- answered as before.

ALTER TABLE invoices ADD COLUMN params_hash TEXT NOT NULL DEFAULT '';
