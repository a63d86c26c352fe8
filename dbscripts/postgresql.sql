-- Baton durable store: PostgreSQL schema, version 1.
--
-- `baton setup` runs this script on a database without Baton's tables (and so does the
-- server when it opens such a database); the tables are the same as in sqlite.sql.
-- Timestamps are milliseconds since the Unix epoch. Names and keys compare and sort by
-- their bytes (collation "C"), whatever the database's default collation. The engine treats
-- instance state and message payloads as opaque bytes.

CREATE TABLE baton_schema_version (
    version BIGINT NOT NULL
);

INSERT INTO baton_schema_version (version) VALUES (1);

-- Named counters; a value is never handed out twice.
CREATE TABLE baton_sequences (
    name  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    value BIGINT           NOT NULL
);

-- One row per deployed version of a deployment unit; files holds the unit's files as an
-- opaque blob.
CREATE TABLE baton_deployments (
    name        TEXT COLLATE "C" NOT NULL,
    version     BIGINT           NOT NULL,
    checksum    TEXT             NOT NULL,
    deployed_at BIGINT           NOT NULL,
    files       BYTEA            NOT NULL,
    undeployed  BOOLEAN          NOT NULL DEFAULT FALSE,
    PRIMARY KEY (name, version)
);

-- One row per process version, e.g. pid '{urn:example}Order-7'.
CREATE TABLE baton_processes (
    pid             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    process_name    TEXT COLLATE "C" NOT NULL,
    deployment_name TEXT COLLATE "C" NOT NULL,
    version         BIGINT           NOT NULL,
    state           TEXT             NOT NULL CHECK (state IN ('active', 'retired', 'disabled')),
    FOREIGN KEY (deployment_name, version) REFERENCES baton_deployments (name, version)
);

CREATE INDEX baton_processes_deployment ON baton_processes (deployment_name, version);

-- Process instances. Ids come from baton_sequences and are never reused; revision is
-- incremented by every save (optimistic concurrency).
CREATE TABLE baton_instances (
    id         BIGINT           NOT NULL PRIMARY KEY,
    pid        TEXT COLLATE "C" NOT NULL REFERENCES baton_processes (pid),
    status     TEXT             NOT NULL
        CHECK (status IN ('running', 'completed', 'faulted', 'failed', 'terminated')),
    state      BYTEA            NOT NULL,
    failure    TEXT,
    revision   BIGINT           NOT NULL,
    created_at BIGINT           NOT NULL,
    updated_at BIGINT           NOT NULL
);

CREATE INDEX baton_instances_pid_status ON baton_instances (pid, status);
CREATE INDEX baton_instances_status ON baton_instances (status);

-- Inbound requests awaiting a reply and outbound invokes in flight.
CREATE TABLE baton_exchanges (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    instance_id  BIGINT           NOT NULL REFERENCES baton_instances (id) ON DELETE CASCADE,
    partner_link TEXT             NOT NULL,
    operation    TEXT             NOT NULL,
    direction    TEXT             NOT NULL CHECK (direction IN ('in', 'out')),
    status       TEXT             NOT NULL
        CHECK (status IN ('pending', 'replied', 'faulted', 'failed')),
    request      BYTEA,
    response     BYTEA,
    created_at   BIGINT           NOT NULL
);

CREATE INDEX baton_exchanges_instance_status ON baton_exchanges (instance_id, status);

-- Correlation routes: (process QName, canonical route key) -> the instance waiting for it.
CREATE TABLE baton_routes (
    process_name TEXT COLLATE "C" NOT NULL,
    route_key    TEXT COLLATE "C" NOT NULL,
    instance_id  BIGINT           NOT NULL REFERENCES baton_instances (id) ON DELETE CASCADE,
    PRIMARY KEY (process_name, route_key)
);

CREATE INDEX baton_routes_instance ON baton_routes (instance_id);

-- Instance ids come from this sequence, reserved in blocks by the engine, so that an
-- instance's row is inserted by its first step's commit.
INSERT INTO baton_sequences (name, value) VALUES ('instance_id', 0);
