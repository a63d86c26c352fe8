-- Baton durable store: SQLite schema, version 5 to version 6: the BPEL events the `store`
-- event listener keeps, which instance timelines read.
--
-- Run after sqlite-5.sql; its statements are idempotent, so running it again changes nothing.

-- The events of one step of an instance, written by the `store` listener after the step
-- was committed; deleted with its instance's events (a cleanup of `events` or `instance`),
-- or once older than `[events.store] retention-days`. body is the step's events as a JSON
-- array, in order.
CREATE TABLE IF NOT EXISTS baton_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id INTEGER NOT NULL,
    pid         TEXT    NOT NULL,
    at_ms       INTEGER NOT NULL,
    body        TEXT    NOT NULL
);

CREATE INDEX IF NOT EXISTS baton_events_instance ON baton_events (instance_id, id);
CREATE INDEX IF NOT EXISTS baton_events_at ON baton_events (at_ms);

UPDATE baton_schema_version SET version = 6;
