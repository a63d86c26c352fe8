//! Jobs: the `baton_jobs` table of work due at a time (timers, invoke time-outs,
//! resumptions). Jobs are written only inside a step commit, and deleted by the step that
//! runs them; the scheduler lists them on the pool.

use sqlx::Pool;

use super::dialect::{sql, Dialect, Value};
use crate::store::rows;
use crate::store::{Job, JobKey, JobKind, Result};

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

/// After the values of an insert where `ON CONFLICT` is understood: a job stored already
/// stays as it is.
macro_rules! on_conflict {
    () => {
        " ON CONFLICT (instance_id, kind, job_key) DO NOTHING"
    };
}
pub(super) use on_conflict;

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

/// Stores `job` unless the same job (instance, kind, key) is stored already.
pub(super) async fn insert<D: Dialect>(conn: &mut D::Connection, job: &Job) -> Result<()> {
    let insert = match D::ON_CONFLICT {
        true => sql!(
            D,
            concat!(insert_rows!(), "(?, ?, ?, ?, ?)", on_conflict!())
        ),
        false => sql!(
            D,
            concat!(
                insert_rows!(),
                "(?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE due_ms = due_ms"
            )
        ),
    };
    insert.bind_all(row(job)).execute::<D>(conn).await?;
    Ok(())
}

/// Deletes the job `job` of `instance_id`; [`Error::JobGone`](crate::store::Error::JobGone)
/// if it is not stored.
pub(super) async fn take<D: Dialect>(
    conn: &mut D::Connection,
    instance_id: i64,
    job: &JobKey,
) -> Result<()> {
    match delete::<D>(conn, instance_id, job).await? {
        1 => Ok(()),
        _ => Err(job.gone(instance_id)),
    }
}

/// Deletes the job `job` of `instance_id` if it is stored; how many rows went.
pub(super) async fn delete<D: Dialect>(
    conn: &mut D::Connection,
    instance_id: i64,
    job: &JobKey,
) -> Result<u64> {
    let done = sql!(
        D,
        "DELETE FROM baton_jobs WHERE instance_id = ? AND kind = ? AND job_key = ?"
    )
    .bind(instance_id)
    .bind(job.kind.as_str())
    .bind(&job.key)
    .execute::<D>(conn)
    .await?;
    Ok(done.rows)
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
