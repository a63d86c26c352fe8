-- Baton durable store: MySQL and MariaDB schema, version 4 to version 5: the values of
-- instances' correlation properties, which instance filters (`$property=value`) find
-- instances by.
--
-- Run after mysql-4.sql; its statements are idempotent, so running it again changes nothing.

-- A value of a correlation property of an instance: written by the step that initiates a
-- correlation set of the process (its outermost scope), deleted with the instance or by its
-- cleanup of correlations. namespace is empty for a property in no namespace. Values of any
-- length are kept; the index holds their first 255 characters.
CREATE TABLE IF NOT EXISTS baton_correlation_values (
    instance_id BIGINT NOT NULL,
    namespace   TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    value       TEXT   NOT NULL,
    KEY baton_correlation_values_instance (instance_id),
    KEY baton_correlation_values_name (name(128), value(255)),
    FOREIGN KEY (instance_id) REFERENCES baton_instances (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

UPDATE baton_schema_version SET version = 5;
