//! Jobs in PostgreSQL: the `baton_jobs` table of work due at a time (timers, invoke time-outs,
//! resumptions). Jobs are written only inside a step commit, and deleted by the step that
//! runs them; the scheduler lists them on the pool.

use sqlx::postgres::{PgConnection, PgPool};

use crate::store::rows;
use crate::store::{Job, JobKey, JobKind, Result};

/// Stores `job` unless the same job (instance, kind, key) is stored already.
pub(super) async fn insert(conn: &mut PgConnection, job: &Job) -> Result<()> {
    sqlx::query(
        "INSERT INTO baton_jobs (instance_id, kind, job_key, pid, due_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (instance_id, kind, job_key) DO NOTHING",
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
pub(super) async fn take(conn: &mut PgConnection, instance_id: i64, job: &JobKey) -> Result<()> {
    match delete(conn, instance_id, job).await? {
        1 => Ok(()),
        _ => Err(job.gone(instance_id)),
    }
}

/// Deletes the job `job` of `instance_id` if it is stored; how many rows went.
pub(super) async fn delete(conn: &mut PgConnection, instance_id: i64, job: &JobKey) -> Result<u64> {
    let done =
        sqlx::query("DELETE FROM baton_jobs WHERE instance_id = $1 AND kind = $2 AND job_key = $3")
            .bind(instance_id)
            .bind(job.kind.as_str())
            .bind(&job.key)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected())
}

/// Deletes every job of `instance_id`.
pub(super) async fn clear(conn: &mut PgConnection, instance_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM baton_jobs WHERE instance_id = $1")
        .bind(instance_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// At most `limit` jobs due at or before `until_ms`, soonest first.
pub(super) async fn due(pool: &PgPool, until_ms: i64, limit: u32) -> Result<Vec<Job>> {
    sqlx::query(
        "SELECT instance_id, kind, job_key, pid, due_ms FROM baton_jobs WHERE due_ms <= $1 \
         ORDER BY due_ms, instance_id, kind, job_key LIMIT $2",
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
pub(super) async fn of_kind(pool: &PgPool, kind: JobKind) -> Result<Vec<Job>> {
    sqlx::query(
        "SELECT instance_id, kind, job_key, pid, due_ms FROM baton_jobs WHERE kind = $1 \
         ORDER BY instance_id, job_key",
    )
    .bind(kind.as_str())
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::job)
    .collect()
}
