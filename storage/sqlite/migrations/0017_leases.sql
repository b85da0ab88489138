-- Kassa schema version 17: leases, so the jobs that must run once per deployment run
-- on one instance at a time (package lease).

CREATE TABLE leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL -- unix microseconds
) STRICT;
