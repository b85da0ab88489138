-- Kassa schema version 1: ledger and address indexes.
-- Amounts are decimal integers in base units stored as TEXT: wei and 18-decimal
-- stablecoins do not fit in SQLite's 64-bit INTEGER. Times are Unix microseconds.

CREATE TABLE ledger_accounts (
    name         TEXT    NOT NULL PRIMARY KEY,
    asset        TEXT    NOT NULL,
    mode         TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    non_negative INTEGER NOT NULL CHECK (non_negative IN (0, 1)),
    balance      TEXT    NOT NULL DEFAULT '0',
    created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE ledger_entries (
    id          INTEGER PRIMARY KEY,
    idem_key    TEXT    NOT NULL UNIQUE,
    hash        BLOB    NOT NULL,
    description TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE ledger_postings (
    entry_id INTEGER NOT NULL REFERENCES ledger_entries (id),
    seq      INTEGER NOT NULL,
    account  TEXT    NOT NULL REFERENCES ledger_accounts (name),
    amount   TEXT    NOT NULL,
    PRIMARY KEY (entry_id, seq)
) STRICT;

CREATE INDEX ledger_postings_by_account ON ledger_postings (account);

CREATE TABLE ledger_holds (
    id              TEXT    NOT NULL PRIMARY KEY,
    from_account    TEXT    NOT NULL REFERENCES ledger_accounts (name),
    holding_account TEXT    NOT NULL REFERENCES ledger_accounts (name),
    amount          TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'posted', 'voided')),
    created_at      INTEGER NOT NULL,
    closed_at       INTEGER
) STRICT;

CREATE INDEX ledger_holds_by_state ON ledger_holds (state);

-- One address index sequence per family and mode. next_index is the next index to hand
-- out; it only grows.
CREATE TABLE key_indexes (
    family     TEXT    NOT NULL,
    mode       TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    next_index INTEGER NOT NULL CHECK (next_index >= 0),
    PRIMARY KEY (family, mode)
) STRICT;
