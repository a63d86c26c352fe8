-- Baton durable store: SQLite schema, version 2 to version 3: the outbox and the received
-- messages, which make messages between processes exactly-once across crashes.
--
-- Run after sqlite-2.sql; its statements are idempotent, so running it again changes nothing.

-- A message an instance sends a partner, written with the step that sends it and deleted once
-- the partner has taken it (a one-way message) or once a step of the instance took its
-- outcome (a request). payload is the call, as the engine serialises it.
CREATE TABLE IF NOT EXISTS baton_outbox (
    message_id  TEXT    NOT NULL PRIMARY KEY,
    instance_id INTEGER NOT NULL,
    pid         TEXT    NOT NULL,
    exchange_id TEXT    NOT NULL,
    payload     BLOB    NOT NULL
);

CREATE INDEX IF NOT EXISTS baton_outbox_exchange ON baton_outbox (instance_id, exchange_id);

-- The id of every message an instance has taken (written with the step that takes it), so
-- that the same message sent again is recognised; exchange_id is the inbound exchange of a
-- request, whose reply the journal keeps.
CREATE TABLE IF NOT EXISTS baton_received (
    message_id  TEXT    NOT NULL PRIMARY KEY,
    instance_id INTEGER NOT NULL,
    exchange_id TEXT
);

UPDATE baton_schema_version SET version = 3;
