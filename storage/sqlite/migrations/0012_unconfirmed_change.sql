-- Kassa schema version 12: where each send's change output is and how deep its chain
-- of unconfirmed ancestors is, so later payouts can spend the change before it
-- confirms (concurrent payouts no longer fail while the wallet's only coins are its
-- own unconfirmed change). Sends of version 11 keep change_amount 0: their change is
-- spent once confirmed, as before.

ALTER TABLE wallet_sends ADD COLUMN change_index  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wallet_sends ADD COLUMN change_amount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wallet_sends ADD COLUMN depth         INTEGER NOT NULL DEFAULT 1;
