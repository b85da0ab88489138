-- Kassa schema version 2: chain watching, invoices and the event outbox.

-- The last block processed per network and mode.
CREATE TABLE chain_cursors (
    network TEXT    NOT NULL,
    mode    TEXT    NOT NULL,
    height  INTEGER NOT NULL,
    hash    TEXT    NOT NULL,
    PRIMARY KEY (network, mode)
) STRICT;

-- Hashes of processed blocks, for reorg detection.
CREATE TABLE chain_blocks (
    network TEXT    NOT NULL,
    mode    TEXT    NOT NULL,
    height  INTEGER NOT NULL,
    hash    TEXT    NOT NULL,
    PRIMARY KEY (network, mode, height)
) STRICT;

-- Transfers to our addresses, one row per (network, mode, txid, index) forever.
-- booked is where the ledger holds the transfer's money now (none, pending,
-- available), book_seq counts the ledger entries that moved it.
CREATE TABLE chain_transfers (
    network       TEXT    NOT NULL,
    mode          TEXT    NOT NULL,
    txid          TEXT    NOT NULL,
    idx           INTEGER NOT NULL,
    id            TEXT    NOT NULL UNIQUE,
    asset         TEXT    NOT NULL,
    address       TEXT    NOT NULL,
    amount        TEXT    NOT NULL,
    block_height  INTEGER,
    block_hash    TEXT,
    status        TEXT    NOT NULL CHECK (status IN ('mempool', 'confirming', 'confirmed', 'orphaned', 'dropped')),
    confirmations INTEGER NOT NULL,
    required      INTEGER NOT NULL,
    seen_at       INTEGER NOT NULL,
    booked        TEXT    NOT NULL DEFAULT 'none' CHECK (booked IN ('none', 'pending', 'available')),
    book_seq      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (network, mode, txid, idx)
) STRICT;

CREATE INDEX chain_transfers_open ON chain_transfers (network, mode, status);
CREATE INDEX chain_transfers_height ON chain_transfers (network, mode, block_height);
CREATE INDEX chain_transfers_address ON chain_transfers (network, mode, address);

-- Addresses the watchers follow, per network and mode.
CREATE TABLE watched_addresses (
    network    TEXT NOT NULL,
    mode       TEXT NOT NULL,
    address    TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    PRIMARY KEY (network, mode, address)
) STRICT;

CREATE INDEX watched_addresses_invoice ON watched_addresses (invoice_id);

CREATE TABLE invoices (
    id         TEXT    NOT NULL PRIMARY KEY,
    mode       TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    kind       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    order_id   TEXT,
    customer_id TEXT   NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    monitor_until INTEGER NOT NULL,
    watching   INTEGER NOT NULL,
    body       TEXT    NOT NULL, -- the whole invoice as JSON
    UNIQUE (mode, order_id)
) STRICT;

CREATE INDEX invoices_list ON invoices (mode, created_at DESC, id DESC);
CREATE INDEX invoices_due ON invoices (mode, status, expires_at);
CREATE INDEX invoices_watching ON invoices (watching, monitor_until);

-- One row per payment method: which invoice an address (and asset) belongs to.
CREATE TABLE invoice_methods (
    invoice_id TEXT    NOT NULL REFERENCES invoices (id),
    seq        INTEGER NOT NULL,
    network    TEXT    NOT NULL,
    mode       TEXT    NOT NULL,
    asset      TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    PRIMARY KEY (invoice_id, seq),
    UNIQUE (network, mode, asset, address)
) STRICT;

CREATE INDEX invoice_methods_address ON invoice_methods (network, mode, address);

-- The transactional outbox.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT    NOT NULL UNIQUE,
    type       TEXT    NOT NULL,
    mode       TEXT    NOT NULL,
    object_id  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    data       TEXT    NOT NULL
) STRICT;

CREATE INDEX events_object ON events (object_id, seq);

CREATE TABLE event_subscribers (
    name TEXT    NOT NULL PRIMARY KEY,
    seq  INTEGER NOT NULL
) STRICT;
