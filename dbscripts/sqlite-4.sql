-- Baton durable store: SQLite schema, version 3 to version 4: the status "suspended" of an
-- instance (stopped by an operator, or because a step exceeded its budget).
--
-- Run after sqlite-3.sql. SQLite cannot change a CHECK constraint in place: the table is
-- rebuilt under the same name, as SQLite documents for such changes; the server runs this
-- script with foreign key enforcement off, so that the tables referring to instances keep
-- their rows.

CREATE TABLE baton_instances_new (
    id         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    pid        TEXT    NOT NULL REFERENCES baton_processes (pid),
    status     TEXT    NOT NULL
        CHECK (status IN ('running', 'completed', 'faulted', 'failed', 'terminated', 'suspended')),
    state      BLOB    NOT NULL,
    failure    TEXT,
    revision   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

INSERT INTO baton_instances_new
    (id, pid, status, state, failure, revision, created_at, updated_at)
SELECT id, pid, status, state, failure, revision, created_at, updated_at FROM baton_instances;

DROP TABLE baton_instances;

ALTER TABLE baton_instances_new RENAME TO baton_instances;

CREATE INDEX baton_instances_pid_status ON baton_instances (pid, status);
CREATE INDEX baton_instances_status ON baton_instances (status);

UPDATE baton_schema_version SET version = 4;
