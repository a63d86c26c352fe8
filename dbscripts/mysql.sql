-- Baton durable store: MySQL and MariaDB schema, version 1.
--
-- `baton setup` runs this script on a database without Baton's tables (and so does the
-- server when it opens such a database); the tables are the same as in sqlite.sql, in
-- InnoDB. Timestamps are milliseconds since the Unix epoch; booleans are 0/1. Text compares
-- and sorts by its bytes (utf8mb4_bin), as in the other databases; keys are VARCHARs short
-- enough for InnoDB's index limit. The engine treats instance state and message payloads as
-- opaque bytes.

CREATE TABLE baton_schema_version (
    version BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

INSERT INTO baton_schema_version (version) VALUES (1);

-- Named counters; a value is never handed out twice.
CREATE TABLE baton_sequences (
    name  VARCHAR(64) NOT NULL PRIMARY KEY,
    value BIGINT      NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per deployed version of a deployment unit; files holds the unit's files as an
-- opaque blob.
CREATE TABLE baton_deployments (
    name        VARCHAR(255) NOT NULL,
    version     BIGINT       NOT NULL,
    checksum    TEXT         NOT NULL,
    deployed_at BIGINT       NOT NULL,
    files       LONGBLOB     NOT NULL,
    undeployed  BOOLEAN      NOT NULL DEFAULT 0 CHECK (undeployed IN (0, 1)),
    PRIMARY KEY (name, version)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per process version, e.g. pid '{urn:example}Order-7'.
CREATE TABLE baton_processes (
    pid             VARCHAR(255) NOT NULL PRIMARY KEY,
    process_name    VARCHAR(255) NOT NULL,
    deployment_name VARCHAR(255) NOT NULL,
    version         BIGINT       NOT NULL,
    state           VARCHAR(16)  NOT NULL CHECK (state IN ('active', 'retired', 'disabled')),
    KEY baton_processes_deployment (deployment_name, version),
    FOREIGN KEY (deployment_name, version) REFERENCES baton_deployments (name, version)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Process instances. Ids come from baton_sequences and are never reused; revision is
-- incremented by every save (optimistic concurrency).
CREATE TABLE baton_instances (
    id         BIGINT       NOT NULL PRIMARY KEY,
    pid        VARCHAR(255) NOT NULL,
    status     VARCHAR(16)  NOT NULL
        CHECK (status IN ('running', 'completed', 'faulted', 'failed', 'terminated')),
    state      LONGBLOB     NOT NULL,
    failure    TEXT,
    revision   BIGINT       NOT NULL,
    created_at BIGINT       NOT NULL,
    updated_at BIGINT       NOT NULL,
    KEY baton_instances_pid_status (pid, status),
    KEY baton_instances_status (status),
    FOREIGN KEY (pid) REFERENCES baton_processes (pid)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Inbound requests awaiting a reply and outbound invokes in flight.
CREATE TABLE baton_exchanges (
    id           VARCHAR(255) NOT NULL PRIMARY KEY,
    instance_id  BIGINT       NOT NULL,
    partner_link VARCHAR(255) NOT NULL,
    operation    VARCHAR(255) NOT NULL,
    direction    VARCHAR(8)   NOT NULL CHECK (direction IN ('in', 'out')),
    status       VARCHAR(16)  NOT NULL
        CHECK (status IN ('pending', 'replied', 'faulted', 'failed')),
    request      LONGBLOB,
    response     LONGBLOB,
    created_at   BIGINT       NOT NULL,
    KEY baton_exchanges_instance_status (instance_id, status),
    FOREIGN KEY (instance_id) REFERENCES baton_instances (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Correlation routes: (process QName, canonical route key) -> the instance waiting for it.
CREATE TABLE baton_routes (
    process_name VARCHAR(255) NOT NULL,
    route_key    VARCHAR(500) NOT NULL,
    instance_id  BIGINT       NOT NULL,
    PRIMARY KEY (process_name, route_key),
    KEY baton_routes_instance (instance_id),
    FOREIGN KEY (instance_id) REFERENCES baton_instances (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Instance ids come from this sequence, reserved in blocks by the engine, so that an
-- instance's row is inserted by its first step's commit.
INSERT INTO baton_sequences (name, value) VALUES ('instance_id', 0);
