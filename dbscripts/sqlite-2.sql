-- Baton durable store: SQLite schema, version 1 to version 2: the job table.
--
-- Run after sqlite.sql (the server and `baton setup` do so on a database at version 1); its
-- statements are idempotent, so running it again changes nothing.

-- Work due at a time: a timer of an instance (job_key is its id), the time-out of an invoke
-- in flight (job_key is its exchange id), or the resumption of an instance that was running
-- before this table existed (job_key is empty). The step that runs a job deletes its row.
CREATE TABLE IF NOT EXISTS baton_jobs (
    instance_id INTEGER NOT NULL REFERENCES baton_instances (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('timer', 'invoke-timeout', 'recover')),
    job_key     TEXT    NOT NULL,
    pid         TEXT    NOT NULL,
    due_ms      INTEGER NOT NULL,
    PRIMARY KEY (instance_id, kind, job_key)
);

CREATE INDEX IF NOT EXISTS baton_jobs_due ON baton_jobs (due_ms);

-- Instances running at the upgrade have their timers and invokes in their state only: each
-- is resumed once, at once, and schedules its own jobs.
INSERT INTO baton_jobs (instance_id, kind, job_key, pid, due_ms)
SELECT id, 'recover', '', pid, 0 FROM baton_instances
WHERE status = 'running' AND (SELECT MAX(version) FROM baton_schema_version) = 1;

UPDATE baton_schema_version SET version = 2;
