-- Kassa schema version 22: customers (package customer). An external_id, the
-- merchant's own id for its customer, is unique within a mode when it is set.

CREATE TABLE customers (
    id          TEXT    NOT NULL PRIMARY KEY,
    mode        TEXT    NOT NULL CHECK (mode IN ('live', 'test')),
    external_id TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    email       TEXT    NOT NULL,
    phone       TEXT    NOT NULL,
    description TEXT    NOT NULL,
    metadata    TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE UNIQUE INDEX customers_external_id ON customers (mode, external_id) WHERE external_id <> '';
CREATE INDEX customers_mode ON customers (mode, created_at, id);
CREATE INDEX customers_email ON customers (mode, email) WHERE email <> '';
