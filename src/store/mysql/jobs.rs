//! Jobs in MySQL and MariaDB: the `baton_jobs` table of work due at a time (timers, invoke time-outs,
//! resumptions). Jobs are written only inside a step commit, and deleted by the step that
//! runs them; the scheduler lists them on the pool.

use sqlx::mysql::{MySqlConnection, MySqlPool};

use crate::store::rows;
use crate::store::{Job, JobKey, JobKind, Result};

/// Stores `job` unless the same job (instance, kind, key) is stored already.
pub(super) async fn insert(conn: &mut MySqlConnection, job: &Job) -> Result<()> {
    sqlx::query(
        "INSERT INTO baton_jobs (instance_id, kind, job_key, pid, due_ms) \
         VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE due_ms = due_ms",
    )
    .bind(job.instance_id)
    .bind(job.job.kind.as_str())
    .bind(&job.job.key)
    .bind(&job.pid)
    .bind(job.due_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes the job `job` of `instance_id`; [`Error::JobGone`] if it is not stored.
pub(super) async fn take(conn: &mut MySqlConnection, instance_id: i64, job: &JobKey) -> Result<()> {
    match delete(conn, instance_id, job).await? {
        1 => Ok(()),
        _ => Err(job.gone(instance_id)),
    }
}

/// Deletes the job `job` of `instance_id` if it is stored; how many rows went.
pub(super) async fn delete(
    conn: &mut MySqlConnection,
    instance_id: i64,
    job: &JobKey,
) -> Result<u64> {
    let done =
        sqlx::query("DELETE FROM baton_jobs WHERE instance_id = ? AND kind = ? AND job_key = ?")
            .bind(instance_id)
            .bind(job.kind.as_str())
            .bind(&job.key)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected())
}

/// Deletes every job of `instance_id`.
pub(super) async fn clear(conn: &mut MySqlConnection, instance_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM baton_jobs WHERE instance_id = ?")
        .bind(instance_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// At most `limit` jobs due at or before `until_ms`, soonest first.
pub(super) async fn due(pool: &MySqlPool, until_ms: i64, limit: u32) -> Result<Vec<Job>> {
    sqlx::query(
        "SELECT instance_id, kind, job_key, pid, due_ms FROM baton_jobs WHERE due_ms <= ? \
         ORDER BY due_ms, instance_id, kind, job_key LIMIT ?",
    )
    .bind(until_ms)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::job)
    .collect()
}

/// Every job of `kind`, by instance.
pub(super) async fn of_kind(pool: &MySqlPool, kind: JobKind) -> Result<Vec<Job>> {
    sqlx::query(
        "SELECT instance_id, kind, job_key, pid, due_ms FROM baton_jobs WHERE kind = ? \
         ORDER BY instance_id, job_key",
    )
    .bind(kind.as_str())
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::job)
    .collect()
}
