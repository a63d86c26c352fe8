-- Baton durable store: MySQL and MariaDB schema, version 5 to version 6: the BPEL events the
-- `store` event listener keeps, which instance timelines read.
--
-- Run after mysql-5.sql; its statements are idempotent, so running it again changes nothing.

-- The events of one step of an instance, written by the `store` listener after the step
-- was committed; deleted with its instance's events (a cleanup of `events` or `instance`),
-- or once older than `[events.store] retention-days`. body is the step's events as a JSON
-- array, in order.
CREATE TABLE IF NOT EXISTS baton_events (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    instance_id BIGINT      NOT NULL,
    pid         TEXT        NOT NULL,
    at_ms       BIGINT      NOT NULL,
    body        MEDIUMTEXT  NOT NULL,
    KEY baton_events_instance (instance_id, id),
    KEY baton_events_at (at_ms)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

UPDATE baton_schema_version SET version = 6;
