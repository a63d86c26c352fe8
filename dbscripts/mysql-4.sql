-- Baton durable store: MySQL and MariaDB schema, version 3 to version 4: the status
-- "suspended" of an instance (stopped by an operator, or because a step exceeded its budget).
--
-- Run after mysql-3.sql. The column's CHECK constraint is replaced with the column.

ALTER TABLE baton_instances MODIFY status VARCHAR(16) NOT NULL
    CHECK (status IN ('running', 'completed', 'faulted', 'failed', 'terminated', 'suspended'));

UPDATE baton_schema_version SET version = 4;
