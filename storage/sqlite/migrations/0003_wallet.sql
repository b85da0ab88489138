-- Kassa schema version 3: the addresses we derived, and the UTXO wallet's sends.

-- Every address Kassa handed out, with its derivation (for signing what it receives).
CREATE TABLE wallet_addresses (
    family  TEXT    NOT NULL,
    mode    TEXT    NOT NULL,
    address TEXT    NOT NULL,
    branch  INTEGER NOT NULL,
    idx     INTEGER NOT NULL,
    pubkey  BLOB    NOT NULL,
    PRIMARY KEY (family, mode, address)
) STRICT;

-- Transactions our wallets signed. The raw transaction is stored before it is
-- broadcast: after a crash the same bytes are broadcast again, never re-signed.
CREATE TABLE wallet_sends (
    network      TEXT    NOT NULL,
    mode         TEXT    NOT NULL,
    spec_id      TEXT    NOT NULL,
    txid         TEXT    NOT NULL,
    raw          BLOB    NOT NULL,
    fee          TEXT    NOT NULL,
    amount       TEXT    NOT NULL,
    destination  TEXT    NOT NULL,
    change_addr  TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('signed', 'broadcast', 'failed')),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (network, mode, spec_id)
) STRICT;

CREATE INDEX wallet_sends_txid ON wallet_sends (network, mode, txid);

-- Outputs our sends spend (released again if the node rejects the transaction).
CREATE TABLE wallet_spends (
    network  TEXT    NOT NULL,
    mode     TEXT    NOT NULL,
    txid     TEXT    NOT NULL,
    idx      INTEGER NOT NULL,
    spent_by TEXT    NOT NULL,
    PRIMARY KEY (network, mode, txid, idx)
) STRICT;
