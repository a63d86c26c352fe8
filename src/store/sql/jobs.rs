//! Jobs: the `baton_jobs` table of work due at a time (timers, invoke time-outs,
//! resumptions). Jobs are written only inside a step commit, and deleted by the step that
//! runs them; the scheduler lists them on the pool.

use sqlx::Pool;

use super::dialect::{sql, Dialect, Value};
use crate::store::rows;
use crate::store::{Job, JobKind, Result};

/// Columns of a job, as a literal for `concat!`.
macro_rules! columns {
    () => {
        "instance_id, kind, job_key, pid, due_ms"
    };
}
pub(super) use columns;

/// The insert of job rows ([`row`]), before their values.
macro_rules! insert_rows {
    () => {
        concat!(
            "INSERT INTO baton_jobs (",
            $crate::store::sql::jobs::columns!(),
            ") VALUES "
        )
    };
}
pub(super) use insert_rows;

/// The row of `job`, in the order of the columns.
pub(super) fn row(job: &Job) -> Vec<Value<'_>> {
    vec![
        job.instance_id.into(),
        job.job.kind.as_str().into(),
        (&job.job.key).into(),
        (&job.pid).into(),
        job.due_ms.into(),
    ]
}

/// Deletes every job of `instance_id`.
pub(super) async fn clear<D: Dialect>(conn: &mut D::Connection, instance_id: i64) -> Result<()> {
    sql!(D, "DELETE FROM baton_jobs WHERE instance_id = ?")
        .bind(instance_id)
        .execute::<D>(conn)
        .await?;
    Ok(())
}

/// At most `limit` jobs due at or before `until_ms`, soonest first.
pub(super) async fn due<D: Dialect>(pool: &Pool<D>, until_ms: i64, limit: u32) -> Result<Vec<Job>> {
    sql!(
        D,
        concat!(
            "SELECT ",
            columns!(),
            " FROM baton_jobs WHERE due_ms <= ? ORDER BY due_ms, instance_id, kind, job_key LIMIT ?"
        )
    )
    .bind(until_ms)
    .bind(i64::from(limit))
    .fetch_all_on(pool, rows::job)
    .await
}

/// Every job of `kind`, by instance.
pub(super) async fn of_kind<D: Dialect>(pool: &Pool<D>, kind: JobKind) -> Result<Vec<Job>> {
    sql!(
        D,
        concat!(
            "SELECT ",
            columns!(),
            " FROM baton_jobs WHERE kind = ? ORDER BY instance_id, job_key"
        )
    )
    .bind(kind.as_str())
    .fetch_all_on(pool, rows::job)
    .await
}
