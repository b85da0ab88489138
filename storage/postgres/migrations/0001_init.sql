-- Kassa schema version 1 on PostgreSQL: the whole schema of storage/sqlite's
-- migrations 1 to 17 in one step, in PostgreSQL's own types.
--
-- Amounts are NUMERIC integers in base units (wei and 18-decimal stablecoins do not
-- fit in 64 bits); the int64 amounts of UTXO wallets are BIGINT. Times are
-- TIMESTAMPTZ (microseconds, read back in UTC). Documents the services keep whole
-- (invoices, payouts, events) and JSON lists are JSON, not JSONB: validated, and kept
-- byte for byte, so a merchant's metadata reads back exactly as on SQLite.
-- Indexes and unsigned 32-bit values (an output index may be near 2^32) are BIGINT.
-- Text is COLLATE "C": compared and ordered by bytes as on SQLite, whatever the
-- database's locale, and immune to a C library's collation changing under an index.

CREATE TABLE ledger_accounts (
    name         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    asset        TEXT COLLATE "C" NOT NULL,
    mode         TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    non_negative BOOLEAN          NOT NULL,
    balance      NUMERIC          NOT NULL DEFAULT 0 CHECK (balance = trunc(balance)),
    created_at   TIMESTAMPTZ      NOT NULL,
    -- The last line under ledger.Post's own check: an account that may not go
    -- negative never does, whatever a bug upstream computed.
    CONSTRAINT ledger_accounts_non_negative CHECK (NOT non_negative OR balance >= 0)
);

CREATE TABLE ledger_entries (
    id          BIGINT           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idem_key    TEXT COLLATE "C" NOT NULL UNIQUE,
    hash        BYTEA            NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    created_at  TIMESTAMPTZ      NOT NULL
);

CREATE TABLE ledger_postings (
    entry_id BIGINT           NOT NULL REFERENCES ledger_entries (id),
    seq      INTEGER          NOT NULL,
    account  TEXT COLLATE "C" NOT NULL REFERENCES ledger_accounts (name),
    amount   NUMERIC          NOT NULL CHECK (amount = trunc(amount)),
    PRIMARY KEY (entry_id, seq)
);

CREATE INDEX ledger_postings_by_account ON ledger_postings (account);

CREATE TABLE ledger_holds (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    from_account    TEXT COLLATE "C" NOT NULL REFERENCES ledger_accounts (name),
    holding_account TEXT COLLATE "C" NOT NULL REFERENCES ledger_accounts (name),
    amount          NUMERIC          NOT NULL CHECK (amount = trunc(amount)),
    state           TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'posted', 'voided')),
    created_at      TIMESTAMPTZ      NOT NULL,
    closed_at       TIMESTAMPTZ
);

CREATE INDEX ledger_holds_by_state ON ledger_holds (state);

-- One address index sequence per family and mode. next_index is the next index to hand
-- out; it only grows.
CREATE TABLE key_indexes (
    family     TEXT COLLATE "C" NOT NULL,
    mode       TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    next_index BIGINT           NOT NULL CHECK (next_index >= 0),
    PRIMARY KEY (family, mode)
);

-- The last block processed per network and mode.
CREATE TABLE chain_cursors (
    network TEXT COLLATE "C" NOT NULL,
    mode    TEXT COLLATE "C" NOT NULL,
    height  BIGINT           NOT NULL,
    hash    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (network, mode)
);

-- Hashes of processed blocks, for reorg detection.
CREATE TABLE chain_blocks (
    network TEXT COLLATE "C" NOT NULL,
    mode    TEXT COLLATE "C" NOT NULL,
    height  BIGINT           NOT NULL,
    hash    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (network, mode, height)
);

-- Transfers to our addresses, one row per (network, mode, txid, index) forever, and
-- our own transactions (out, the fee they paid in amount; failed when reverted; a row
-- with conflicted_by names a transaction that spends one of their inputs). booked is
-- where the ledger holds the transfer's money now, book_seq counts the ledger entries
-- that moved it.
CREATE TABLE chain_transfers (
    network       TEXT COLLATE "C" NOT NULL,
    mode          TEXT COLLATE "C" NOT NULL,
    txid          TEXT COLLATE "C" NOT NULL,
    idx           BIGINT           NOT NULL,
    id            TEXT COLLATE "C" NOT NULL UNIQUE,
    asset         TEXT COLLATE "C" NOT NULL,
    address       TEXT COLLATE "C" NOT NULL,
    amount        NUMERIC          NOT NULL CHECK (amount = trunc(amount)),
    block_height  BIGINT,
    block_hash    TEXT COLLATE "C",
    status        TEXT COLLATE "C" NOT NULL CHECK (status IN ('mempool', 'confirming', 'confirmed', 'orphaned', 'dropped')),
    confirmations BIGINT           NOT NULL,
    required      BIGINT           NOT NULL,
    seen_at       TIMESTAMPTZ      NOT NULL,
    booked        TEXT COLLATE "C" NOT NULL DEFAULT 'none' CHECK (booked IN ('none', 'pending', 'available')),
    book_seq      INTEGER          NOT NULL DEFAULT 0,
    out           BOOLEAN          NOT NULL DEFAULT false,
    failed        BOOLEAN          NOT NULL DEFAULT false,
    conflicted_by TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (network, mode, txid, idx)
);

CREATE INDEX chain_transfers_open ON chain_transfers (network, mode, status);
CREATE INDEX chain_transfers_height ON chain_transfers (network, mode, block_height);
CREATE INDEX chain_transfers_address ON chain_transfers (network, mode, address);
CREATE INDEX chain_transfers_list ON chain_transfers (mode, seen_at DESC) WHERE NOT out;

-- Addresses the watchers follow, per network and mode.
CREATE TABLE watched_addresses (
    network    TEXT COLLATE "C" NOT NULL,
    mode       TEXT COLLATE "C" NOT NULL,
    address    TEXT COLLATE "C" NOT NULL,
    invoice_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (network, mode, address)
);

CREATE INDEX watched_addresses_invoice ON watched_addresses (invoice_id);

-- Our transactions the watchers follow, with the outputs they spend.
CREATE TABLE chain_followed (
    network TEXT COLLATE "C" NOT NULL,
    mode    TEXT COLLATE "C" NOT NULL,
    txid    TEXT COLLATE "C" NOT NULL,
    inputs  JSON             NOT NULL, -- array of {"TxID","Index"}
    until   TIMESTAMPTZ,      -- followed until then (NULL: until told otherwise)
    PRIMARY KEY (network, mode, txid)
);

-- The journal of changes of backends that keep their state in the database (the sim
-- chain of test mode and sandboxes).
CREATE TABLE chain_journal (
    seq     BIGINT           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    network TEXT COLLATE "C" NOT NULL,
    mode    TEXT COLLATE "C" NOT NULL,
    entry   BYTEA            NOT NULL
);

CREATE INDEX chain_journal_network ON chain_journal (network, mode, seq);

CREATE TABLE invoices (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode          TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    kind          TEXT COLLATE "C" NOT NULL,
    status        TEXT COLLATE "C" NOT NULL,
    order_id      TEXT COLLATE "C",
    customer_id   TEXT COLLATE "C" NOT NULL,
    created_at    TIMESTAMPTZ      NOT NULL,
    expires_at    TIMESTAMPTZ      NOT NULL,
    monitor_until TIMESTAMPTZ      NOT NULL,
    watching      BOOLEAN          NOT NULL,
    body          JSON             NOT NULL, -- the whole invoice
    request_key   TEXT COLLATE "C" NOT NULL DEFAULT '',
    params_hash   TEXT COLLATE "C" NOT NULL DEFAULT '',
    UNIQUE (mode, order_id)
);

CREATE INDEX invoices_list ON invoices (mode, created_at DESC, id DESC);
CREATE INDEX invoices_due ON invoices (mode, status, expires_at);
CREATE INDEX invoices_watching ON invoices (watching, monitor_until);
CREATE UNIQUE INDEX invoices_request_key ON invoices (mode, request_key) WHERE request_key != '';

-- One row per payment method: which invoice an address (and asset) belongs to.
CREATE TABLE invoice_methods (
    invoice_id TEXT COLLATE "C" NOT NULL REFERENCES invoices (id),
    seq        INTEGER          NOT NULL,
    network    TEXT COLLATE "C" NOT NULL,
    mode       TEXT COLLATE "C" NOT NULL,
    asset      TEXT COLLATE "C" NOT NULL,
    address    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (invoice_id, seq),
    UNIQUE (network, mode, asset, address)
);

CREATE INDEX invoice_methods_address ON invoice_methods (network, mode, address);

-- The transactional outbox. InsertEvent holds a transaction-scoped advisory lock from
-- the moment it draws a sequence number until its transaction ends, so sequence
-- numbers become visible in order and a reader paging by seq never skips one.
CREATE TABLE events (
    seq        BIGINT           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         TEXT COLLATE "C" NOT NULL UNIQUE,
    type       TEXT COLLATE "C" NOT NULL,
    mode       TEXT COLLATE "C" NOT NULL,
    object_id  TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMPTZ      NOT NULL,
    data       JSON             NOT NULL
);

CREATE INDEX events_object ON events (object_id, seq);
CREATE INDEX events_list ON events (mode, type, seq);

CREATE TABLE event_subscribers (
    name TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    seq  BIGINT           NOT NULL
);

-- Every address Kassa handed out, with its derivation (for signing what it receives).
CREATE TABLE wallet_addresses (
    family  TEXT COLLATE "C" NOT NULL,
    mode    TEXT COLLATE "C" NOT NULL,
    address TEXT COLLATE "C" NOT NULL,
    branch  BIGINT           NOT NULL,
    idx     BIGINT           NOT NULL,
    pubkey  BYTEA            NOT NULL,
    PRIMARY KEY (family, mode, address)
);

-- Transactions our UTXO wallets signed. The raw transaction is stored before it is
-- broadcast: after a crash the same bytes are broadcast again, never re-signed. Where
-- each send's change output is and how deep its chain of unconfirmed ancestors is lets
-- later payouts spend the change before it confirms.
CREATE TABLE wallet_sends (
    network       TEXT COLLATE "C" NOT NULL,
    mode          TEXT COLLATE "C" NOT NULL,
    spec_id       TEXT COLLATE "C" NOT NULL,
    txid          TEXT COLLATE "C" NOT NULL,
    raw           BYTEA            NOT NULL,
    fee           BIGINT           NOT NULL,
    amount        BIGINT           NOT NULL,
    destination   TEXT COLLATE "C" NOT NULL,
    change_addr   TEXT COLLATE "C" NOT NULL,
    status        TEXT COLLATE "C" NOT NULL CHECK (status IN ('signed', 'broadcast', 'failed')),
    created_at    TIMESTAMPTZ      NOT NULL,
    change_index  BIGINT           NOT NULL DEFAULT 0,
    change_amount BIGINT           NOT NULL DEFAULT 0,
    depth         BIGINT           NOT NULL DEFAULT 1,
    PRIMARY KEY (network, mode, spec_id)
);

CREATE INDEX wallet_sends_txid ON wallet_sends (network, mode, txid);

-- Outputs our sends spend (released again if the node rejects the transaction).
CREATE TABLE wallet_spends (
    network  TEXT COLLATE "C" NOT NULL,
    mode     TEXT COLLATE "C" NOT NULL,
    txid     TEXT COLLATE "C" NOT NULL,
    idx      BIGINT           NOT NULL,
    spent_by TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (network, mode, txid, idx)
);

CREATE INDEX wallet_spends_by ON wallet_spends (network, mode, spent_by);

-- Next nonce per sending address, so many payouts in a row never collide.
CREATE TABLE evm_nonces (
    network TEXT COLLATE "C" NOT NULL,
    mode    TEXT COLLATE "C" NOT NULL,
    address TEXT COLLATE "C" NOT NULL,
    next    BIGINT           NOT NULL,
    PRIMARY KEY (network, mode, address)
);

-- Every signed attempt of an EVM send (a fee bump is a new attempt with the same
-- nonce). The raw transaction is stored before it is broadcast.
CREATE TABLE evm_sends (
    network    TEXT COLLATE "C" NOT NULL,
    mode       TEXT COLLATE "C" NOT NULL,
    spec_id    TEXT COLLATE "C" NOT NULL,
    attempt    INTEGER          NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL, -- payout, sweep, gas
    from_addr  TEXT COLLATE "C" NOT NULL,
    to_addr    TEXT COLLATE "C" NOT NULL, -- the recipient (for tokens: the token's recipient)
    asset      TEXT COLLATE "C" NOT NULL,
    amount     NUMERIC          NOT NULL CHECK (amount = trunc(amount)),
    nonce      BIGINT           NOT NULL,
    txid       TEXT COLLATE "C" NOT NULL,
    raw        BYTEA            NOT NULL,
    max_fee    NUMERIC          NOT NULL CHECK (max_fee = trunc(max_fee)), -- gas limit x fee cap
    status     TEXT COLLATE "C" NOT NULL CHECK (status IN ('signed', 'broadcast', 'confirmed', 'failed', 'replaced')),
    fee        NUMERIC          CHECK (fee = trunc(fee)), -- actual fee once mined (NULL: not known)
    created_at TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (network, mode, spec_id, attempt)
);

CREATE INDEX evm_sends_txid ON evm_sends (network, mode, txid);
CREATE INDEX evm_sends_open ON evm_sends (network, mode, status);

CREATE TABLE webhook_endpoints (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode            TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    url             TEXT COLLATE "C" NOT NULL,
    description     TEXT COLLATE "C" NOT NULL,
    events          JSON             NOT NULL, -- array of event types, or ["*"]
    enabled         BOOLEAN          NOT NULL,
    disabled_reason TEXT COLLATE "C" NOT NULL DEFAULT '',
    secret          BYTEA            NOT NULL, -- sealed under the master key
    old_secret      BYTEA,
    old_until       TIMESTAMPTZ,
    failing_since   TIMESTAMPTZ,
    created_at      TIMESTAMPTZ      NOT NULL,
    updated_at      TIMESTAMPTZ      NOT NULL
);

CREATE INDEX webhook_endpoints_mode ON webhook_endpoints (mode, created_at);

-- One row per event and target (an endpoint id, or url_callback). claimed_until is
-- the lease of the dispatcher delivering it (NULL: none).
CREATE TABLE webhook_deliveries (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    event_id      TEXT COLLATE "C" NOT NULL REFERENCES events (id),
    target        TEXT COLLATE "C" NOT NULL,
    url           TEXT COLLATE "C" NOT NULL,
    mode          TEXT COLLATE "C" NOT NULL,
    status        TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts      INTEGER          NOT NULL,
    next_at       TIMESTAMPTZ      NOT NULL,
    claimed_until TIMESTAMPTZ,
    last_error    TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ      NOT NULL,
    updated_at    TIMESTAMPTZ      NOT NULL,
    UNIQUE (event_id, target)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at, created_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    delivery_id TEXT COLLATE "C" NOT NULL REFERENCES webhook_deliveries (id),
    n           INTEGER          NOT NULL,
    at          TIMESTAMPTZ      NOT NULL,
    status_code INTEGER          NOT NULL,
    latency_us  BIGINT           NOT NULL,
    error       TEXT COLLATE "C" NOT NULL,
    response    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (delivery_id, n)
);

CREATE TABLE webhook_callback_secrets (
    mode   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    secret BYTEA            NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode        TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    label       TEXT COLLATE "C" NOT NULL,
    prefix      TEXT COLLATE "C" NOT NULL,
    hash        BYTEA            NOT NULL UNIQUE, -- SHA-256 of the secret
    sealed      BYTEA            NOT NULL,        -- the secret under the master key
    allowed_ips JSON             NOT NULL,        -- array of CIDR prefixes
    rate_limit  INTEGER          NOT NULL,
    created_at  TIMESTAMPTZ      NOT NULL,
    revoked_at  TIMESTAMPTZ
);

-- Idempotency-Key records: the first response to a key of an API key, sealed, for 24
-- hours.
CREATE TABLE idempotency (
    key_id       TEXT COLLATE "C" NOT NULL, -- the API key's id
    key          TEXT COLLATE "C" NOT NULL,
    request_hash BYTEA            NOT NULL,
    status       TEXT COLLATE "C" NOT NULL CHECK (status IN ('running', 'done')),
    code         INTEGER          NOT NULL DEFAULT 0,
    body         BYTEA, -- the response, sealed
    created_at   TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (key_id, key)
);

CREATE INDEX idempotency_age ON idempotency (created_at);

-- Signatures of signed requests, until their timestamp leaves the 5-minute window.
CREATE TABLE seen_signatures (
    key_id     TEXT COLLATE "C" NOT NULL,
    signature  BYTEA            NOT NULL,
    expires_at TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (key_id, signature)
);

CREATE INDEX seen_signatures_expiry ON seen_signatures (expires_at);

-- Small named values of the Gateway (the master key's check value).
CREATE TABLE settings (
    name  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    value BYTEA            NOT NULL
);

CREATE TABLE payouts (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode           TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    batch_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
    status         TEXT COLLATE "C" NOT NULL,
    created_at     TIMESTAMPTZ      NOT NULL,
    body           JSON             NOT NULL, -- the whole payout
    request_key    TEXT COLLATE "C" NOT NULL DEFAULT '',
    auto_usd_cents BIGINT           NOT NULL DEFAULT 0,
    tx_hash        TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE INDEX payouts_list ON payouts (mode, created_at DESC, id DESC);
CREATE INDEX payouts_status ON payouts (status, created_at, id);
CREATE INDEX payouts_batch ON payouts (batch_id) WHERE batch_id != '';
CREATE UNIQUE INDEX payouts_request_key ON payouts (mode, request_key) WHERE request_key != '';
CREATE INDEX payouts_auto_window ON payouts (mode, created_at) WHERE auto_usd_cents > 0;
CREATE INDEX payouts_tx ON payouts (tx_hash) WHERE tx_hash != '';

-- One-time codes of payouts waiting for verification: only a hash is stored.
CREATE TABLE payout_codes (
    payout_id  TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES payouts (id),
    hash       BYTEA            NOT NULL,
    expires_at TIMESTAMPTZ      NOT NULL,
    attempts   INTEGER          NOT NULL DEFAULT 0
);

-- Leases of the jobs that must run once per deployment (package lease). Their times
-- are the database's clock, so instances with skewed clocks agree.
CREATE TABLE leases (
    name       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    holder     TEXT COLLATE "C" NOT NULL,
    expires_at TIMESTAMPTZ      NOT NULL
);

-- Token buckets of storage.RateLimiter, shared by every instance. tokens is exact
-- (NUMERIC); full_at is when the bucket is full again, after which the row says
-- nothing a missing row would not (a new bucket starts full) and may be deleted.
CREATE TABLE rate_buckets (
    key        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    tokens     NUMERIC          NOT NULL,
    took       BOOLEAN          NOT NULL,
    updated_at TIMESTAMPTZ      NOT NULL,
    full_at    TIMESTAMPTZ      NOT NULL
);

CREATE INDEX rate_buckets_full ON rate_buckets (full_at);

-- Changes other instances must hear of (storage.Listener), sent by triggers so that
-- no writer can forget them: NOTIFY is transactional, delivered at commit, in commit
-- order, never for a transaction that rolled back. The channel is per schema, so two
-- Kassa schemas in one database do not hear each other. A payload too long for
-- NOTIFY (8000 bytes) becomes a reset: listeners reload instead of the commit failing.
CREATE FUNCTION kassa_notify(schema_name TEXT, payload TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF octet_length(payload) > 7900 THEN
        payload := '{"k":"reset"}';
    END IF;
    PERFORM pg_notify('kassa_changes:' || schema_name, payload);
END
$$;

CREATE FUNCTION kassa_notify_watch() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM kassa_notify(TG_TABLE_SCHEMA,
        json_build_object('k', 'watch', 'n', NEW.network, 'm', NEW.mode, 'v', NEW.address)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER watched_addresses_notify AFTER INSERT ON watched_addresses
    FOR EACH ROW EXECUTE FUNCTION kassa_notify_watch();

CREATE FUNCTION kassa_notify_follow() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM kassa_notify(TG_TABLE_SCHEMA,
        json_build_object('k', 'follow', 'n', NEW.network, 'm', NEW.mode, 'v', NEW.txid)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER chain_followed_notify AFTER INSERT OR UPDATE ON chain_followed
    FOR EACH ROW EXECUTE FUNCTION kassa_notify_follow();

-- One notification per statement: identical payloads of one transaction are folded
-- into one by NOTIFY anyway, and a listener only needs to know that events are there.
CREATE FUNCTION kassa_notify_event() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM kassa_notify(TG_TABLE_SCHEMA, '{"k":"event"}');
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION kassa_notify_event();
