-- Baton durable store: PostgreSQL schema, version 1 to version 2: the job table.
--
-- Run after postgresql.sql (the server and `baton setup` do so on a database at version 1);
-- the table is the same as in sqlite-2.sql.

-- Work due at a time: a timer of an instance (job_key is its id), the time-out of an invoke
-- in flight (job_key is its exchange id), or the resumption of an instance that was running
-- before this table existed (job_key is empty). The step that runs a job deletes its row.
CREATE TABLE baton_jobs (
    instance_id BIGINT           NOT NULL REFERENCES baton_instances (id) ON DELETE CASCADE,
    kind        TEXT COLLATE "C" NOT NULL
        CHECK (kind IN ('timer', 'invoke-timeout', 'recover')),
    job_key     TEXT COLLATE "C" NOT NULL,
    pid         TEXT COLLATE "C" NOT NULL,
    due_ms      BIGINT           NOT NULL,
    PRIMARY KEY (instance_id, kind, job_key)
);

CREATE INDEX baton_jobs_due ON baton_jobs (due_ms);

-- Instances running at the upgrade have their timers and invokes in their state only: each
-- is resumed once, at once, and schedules its own jobs.
INSERT INTO baton_jobs (instance_id, kind, job_key, pid, due_ms)
SELECT id, 'recover', '', pid, 0 FROM baton_instances WHERE status = 'running';

UPDATE baton_schema_version SET version = 2;
