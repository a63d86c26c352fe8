-- Baton durable store: SQLite schema, version 4 to version 5: the values of instances'
-- correlation properties, which instance filters (`$property=value`) find instances by.
--
-- Run after sqlite-4.sql; its statements are idempotent, so running it again changes nothing.

-- A value of a correlation property of an instance: written by the step that initiates a
-- correlation set of the process (its outermost scope), deleted with the instance or by its
-- cleanup of correlations. namespace is empty for a property in no namespace.
CREATE TABLE IF NOT EXISTS baton_correlation_values (
    instance_id INTEGER NOT NULL REFERENCES baton_instances (id) ON DELETE CASCADE,
    namespace   TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    value       TEXT    NOT NULL
);

CREATE INDEX IF NOT EXISTS baton_correlation_values_instance
    ON baton_correlation_values (instance_id);
CREATE INDEX IF NOT EXISTS baton_correlation_values_name
    ON baton_correlation_values (name, value);

UPDATE baton_schema_version SET version = 5;
