-- Kassa schema version 13: the journal of changes of backends that keep their state in
-- the database (the sim chain of test mode and sandboxes), so a restart replays it
-- instead of forgetting every test payment.

CREATE TABLE chain_journal (
    seq     INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    network TEXT    NOT NULL,
    mode    TEXT    NOT NULL,
    entry   BLOB    NOT NULL
) STRICT;

CREATE INDEX chain_journal_network ON chain_journal (network, mode, seq);
