-- Baton durable store: MySQL/MariaDB schema, version 2 to version 3: the outbox and the
-- received messages, which make messages between processes exactly-once across crashes.
--
-- Run after mysql-2.sql (the server and `baton setup` do so on a database at version 2).

-- A message an instance sends a partner, written with the step that sends it and deleted once
-- the partner has taken it (a one-way message) or once a step of the instance took its
-- outcome (a request). payload is the call, as the engine serialises it.
CREATE TABLE baton_outbox (
    message_id  VARCHAR(255) NOT NULL PRIMARY KEY,
    instance_id BIGINT       NOT NULL,
    pid         VARCHAR(255) NOT NULL,
    exchange_id VARCHAR(255) NOT NULL,
    payload     LONGBLOB     NOT NULL,
    KEY baton_outbox_exchange (instance_id, exchange_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The id of every message an instance has taken (written with the step that takes it), so
-- that the same message sent again is recognised; exchange_id is the inbound exchange of a
-- request, whose reply the journal keeps.
CREATE TABLE baton_received (
    message_id  VARCHAR(255) NOT NULL PRIMARY KEY,
    instance_id BIGINT       NOT NULL,
    exchange_id VARCHAR(255)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

UPDATE baton_schema_version SET version = 3;
