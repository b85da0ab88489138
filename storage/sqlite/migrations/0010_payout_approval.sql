-- Kassa schema version 10: the USD value (in cents) of each payout that went out
-- without a one-time code, so the approval threshold also bounds what leaves in a
-- rolling window (splitting a large payout into small ones gains nothing).

ALTER TABLE payouts ADD COLUMN auto_usd_cents INTEGER NOT NULL DEFAULT 0;

CREATE INDEX payouts_auto_window ON payouts (mode, created_at) WHERE auto_usd_cents > 0;
