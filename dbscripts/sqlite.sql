-- Baton durable store: SQLite schema, version 1.
--
-- This script is the source of truth for the SQLite schema. It is embedded in the server
-- (src/store/sqlite/mod.rs) and run by `baton setup` (or the server when it opens a database)
-- on a database without Baton's tables; its statements are idempotent, so running it again
-- changes nothing. Timestamps are milliseconds since the Unix epoch; booleans are 0/1.
-- The engine treats instance state and message payloads as opaque bytes.

CREATE TABLE IF NOT EXISTS baton_schema_version (
    version INTEGER NOT NULL
);

INSERT INTO baton_schema_version (version)
SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM baton_schema_version);

-- Named counters; a value is never handed out twice.
CREATE TABLE IF NOT EXISTS baton_sequences (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
);

-- One row per deployed version of a deployment unit; files holds the unit's files as an
-- opaque blob.
CREATE TABLE IF NOT EXISTS baton_deployments (
    name        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    checksum    TEXT    NOT NULL,
    deployed_at INTEGER NOT NULL,
    files       BLOB    NOT NULL,
    undeployed  INTEGER NOT NULL DEFAULT 0 CHECK (undeployed IN (0, 1)),
    PRIMARY KEY (name, version)
);

-- One row per process version, e.g. pid '{urn:example}Order-7'.
CREATE TABLE IF NOT EXISTS baton_processes (
    pid             TEXT    NOT NULL PRIMARY KEY,
    process_name    TEXT    NOT NULL,
    deployment_name TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('active', 'retired', 'disabled')),
    FOREIGN KEY (deployment_name, version) REFERENCES baton_deployments (name, version)
);

CREATE INDEX IF NOT EXISTS baton_processes_deployment
    ON baton_processes (deployment_name, version);

-- Process instances. AUTOINCREMENT keeps ids monotonic and never reused; revision is
-- incremented by every save (optimistic concurrency).
CREATE TABLE IF NOT EXISTS baton_instances (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    pid        TEXT    NOT NULL REFERENCES baton_processes (pid),
    status     TEXT    NOT NULL
        CHECK (status IN ('running', 'completed', 'faulted', 'failed', 'terminated')),
    state      BLOB    NOT NULL,
    failure    TEXT,
    revision   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS baton_instances_pid_status ON baton_instances (pid, status);
CREATE INDEX IF NOT EXISTS baton_instances_status ON baton_instances (status);

-- Inbound requests awaiting a reply and outbound invokes in flight.
CREATE TABLE IF NOT EXISTS baton_exchanges (
    id           TEXT    NOT NULL PRIMARY KEY,
    instance_id  INTEGER NOT NULL REFERENCES baton_instances (id) ON DELETE CASCADE,
    partner_link TEXT    NOT NULL,
    operation    TEXT    NOT NULL,
    direction    TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'replied', 'faulted', 'failed')),
    request      BLOB,
    response     BLOB,
    created_at   INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS baton_exchanges_instance_status
    ON baton_exchanges (instance_id, status);

-- Correlation routes: (process QName, canonical route key) -> the instance waiting for it.
CREATE TABLE IF NOT EXISTS baton_routes (
    process_name TEXT    NOT NULL,
    route_key    TEXT    NOT NULL,
    instance_id  INTEGER NOT NULL REFERENCES baton_instances (id) ON DELETE CASCADE,
    PRIMARY KEY (process_name, route_key)
);

CREATE INDEX IF NOT EXISTS baton_routes_instance ON baton_routes (instance_id);

-- Instance ids come from this sequence, reserved in blocks by the engine, so that an
-- instance's row is inserted by its first step's commit.
INSERT INTO baton_sequences (name, value)
SELECT 'instance_id', COALESCE((SELECT MAX(id) FROM baton_instances), 0)
WHERE NOT EXISTS (SELECT 1 FROM baton_sequences WHERE name = 'instance_id');
