-- Baton durable store: PostgreSQL schema, version 3 to version 4: the status "suspended" of
-- an instance (stopped by an operator, or because a step exceeded its budget).
--
-- Run after postgresql-3.sql.

ALTER TABLE baton_instances DROP CONSTRAINT baton_instances_status_check;

ALTER TABLE baton_instances ADD CONSTRAINT baton_instances_status_check
    CHECK (status IN ('running', 'completed', 'faulted', 'failed', 'terminated', 'suspended'));

UPDATE baton_schema_version SET version = 4;
