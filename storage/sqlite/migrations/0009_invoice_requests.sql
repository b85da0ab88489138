-- Kassa schema version 9: the request key of the request that created an invoice
-- (invoice.CreateParams.RequestKey), stored in the invoice's own transaction, so a
-- retry after a crash finds the invoice instead of making a second one. Invoices with
-- an order_id were already found by it.

ALTER TABLE invoices ADD COLUMN request_key TEXT NOT NULL DEFAULT '';

CREATE UNIQUE INDEX invoices_request_key ON invoices (mode, request_key) WHERE request_key != '';
