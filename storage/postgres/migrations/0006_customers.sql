-- Kassa schema version 6: customers (package customer). An external_id, the
-- merchant's own id for its customer, is unique within a mode when it is set.

CREATE TABLE customers (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    mode        TEXT COLLATE "C" NOT NULL CHECK (mode IN ('live', 'test')),
    external_id TEXT COLLATE "C" NOT NULL,
    name        TEXT             NOT NULL,
    email       TEXT COLLATE "C" NOT NULL,
    phone       TEXT COLLATE "C" NOT NULL,
    description TEXT             NOT NULL,
    metadata    JSON,             -- kept byte for byte, as on SQLite
    created_at  TIMESTAMPTZ      NOT NULL,
    updated_at  TIMESTAMPTZ      NOT NULL
);

CREATE UNIQUE INDEX customers_external_id ON customers (mode, external_id) WHERE external_id <> '';
CREATE INDEX customers_mode ON customers (mode, created_at, id);
CREATE INDEX customers_email ON customers (mode, email) WHERE email <> '';
