-- Kassa schema version 4: the EVM wallet's nonces and transaction attempts.

-- Next nonce per sending address, so many payouts in a row never collide.
CREATE TABLE evm_nonces (
    network TEXT    NOT NULL,
    mode    TEXT    NOT NULL,
    address TEXT    NOT NULL,
    next    INTEGER NOT NULL,
    PRIMARY KEY (network, mode, address)
) STRICT;

-- Every signed attempt of an EVM send (a fee bump is a new attempt with the same
-- nonce). The raw transaction is stored before it is broadcast.
CREATE TABLE evm_sends (
    network    TEXT    NOT NULL,
    mode       TEXT    NOT NULL,
    spec_id    TEXT    NOT NULL,
    attempt    INTEGER NOT NULL,
    kind       TEXT    NOT NULL, -- payout, sweep, gas
    from_addr  TEXT    NOT NULL,
    to_addr    TEXT    NOT NULL, -- the recipient (for tokens: the token's recipient)
    asset      TEXT    NOT NULL,
    amount     TEXT    NOT NULL,
    nonce      INTEGER NOT NULL,
    txid       TEXT    NOT NULL,
    raw        BLOB    NOT NULL,
    max_fee    TEXT    NOT NULL, -- gas limit x fee cap, the most it can cost
    status     TEXT    NOT NULL CHECK (status IN ('signed', 'broadcast', 'confirmed', 'failed', 'replaced')),
    fee        TEXT    NOT NULL DEFAULT '', -- actual fee once mined
    created_at INTEGER NOT NULL,
    PRIMARY KEY (network, mode, spec_id, attempt)
) STRICT;

CREATE INDEX evm_sends_txid ON evm_sends (network, mode, txid);
CREATE INDEX evm_sends_open ON evm_sends (network, mode, status);
