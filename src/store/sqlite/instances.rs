//! Process instances in SQLite: the `baton_instances` table. Instances are created here;
//! their state is only ever rewritten by a step commit, optimistically on `revision`.

use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{QueryBuilder, Sqlite};

use crate::store::error::Constraint;
use crate::store::rows;
use crate::store::time::now_millis;
use crate::store::{
    Error, InstanceFilter, InstanceRecord, InstanceStatus, InstanceSummary, InstanceWrite, Result,
};

/// Columns of an instance summary, as a literal for `concat!`.
macro_rules! summary_columns {
    () => {
        "id, pid, status, failure, revision, created_at, updated_at"
    };
}

/// Reserves `count` consecutive instance ids and returns the first.
pub(super) async fn reserve_ids(conn: &mut SqliteConnection, count: u32) -> Result<i64> {
    let last: i64 = sqlx::query_scalar(
        "UPDATE baton_sequences SET value = value + ? WHERE name = 'instance_id' RETURNING value",
    )
    .bind(i64::from(count))
    .fetch_one(&mut *conn)
    .await?;
    Ok(last - i64::from(count) + 1)
}

/// Inserts instance `id` of `pid` with `status`, `state` and `failure` at `revision`.
async fn insert(
    conn: &mut SqliteConnection,
    id: i64,
    pid: &str,
    write: (&str, &[u8], Option<&str>, i64),
) -> Result<()> {
    let (status, state, failure, revision) = write;
    let now = now_millis();
    sqlx::query(
        "INSERT INTO baton_instances \
         (id, pid, status, state, failure, revision, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(pid)
    .bind(status)
    .bind(state)
    .bind(failure)
    .bind(revision)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|error| match Constraint::violated_by(&error) {
        Some(Constraint::ForeignKey) => Error::NotFound {
            entity: "process",
            key: pid.to_owned(),
        },
        Some(Constraint::Unique) => Error::Duplicate {
            entity: "instance",
            key: id.to_string(),
        },
        _ => error.into(),
    })?;
    Ok(())
}

/// Inserts a running instance of `pid` with empty state and returns its id.
pub(super) async fn create(pool: &SqlitePool, pid: &str) -> Result<i64> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let id = reserve_ids(&mut tx, 1).await?;
    insert(
        &mut tx,
        id,
        pid,
        (InstanceStatus::Running.as_str(), &[], None, 0),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Loads one instance with its state.
pub(super) async fn load(pool: &SqlitePool, id: i64) -> Result<Option<InstanceRecord>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        summary_columns!(),
        ", state FROM baton_instances WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(rows::instance).transpose()
}

/// Lists instances matching `filter`, newest first.
pub(super) async fn list(
    pool: &SqlitePool,
    filter: &InstanceFilter,
) -> Result<Vec<InstanceSummary>> {
    let mut query = QueryBuilder::<Sqlite>::new(concat!(
        "SELECT ",
        summary_columns!(),
        " FROM baton_instances"
    ));
    let mut separator = " WHERE ";
    if let Some(pid) = &filter.pid {
        query.push(separator).push("pid = ").push_bind(pid);
        separator = " AND ";
    }
    if let Some(status) = filter.status {
        query
            .push(separator)
            .push("status = ")
            .push_bind(status.as_str());
    }
    query.push(" ORDER BY id DESC");
    if let Some(limit) = filter.limit {
        query.push(" LIMIT ").push_bind(i64::from(limit));
    }
    query
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(rows::instance_summary)
        .collect()
}

/// Saves an instance's new state if its revision is still `write.expected_revision`, and
/// returns the new revision.
pub(super) async fn save(conn: &mut SqliteConnection, write: &InstanceWrite) -> Result<i64> {
    if let Some(pid) = &write.create {
        let row = (
            write.status.as_str(),
            write.state.as_slice(),
            write.failure.as_deref(),
            1,
        );
        insert(conn, write.id, pid, row).await?;
        return Ok(1);
    }
    let done = sqlx::query(
        "UPDATE baton_instances \
         SET status = ?, state = ?, failure = ?, revision = revision + 1, updated_at = ? \
         WHERE id = ? AND revision = ?",
    )
    .bind(write.status.as_str())
    .bind(&write.state)
    .bind(&write.failure)
    .bind(now_millis())
    .bind(write.id)
    .bind(write.expected_revision)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(write.expected_revision + 1);
    }
    let actual: Option<i64> =
        sqlx::query_scalar("SELECT revision FROM baton_instances WHERE id = ?")
            .bind(write.id)
            .fetch_optional(&mut *conn)
            .await?;
    Err(match actual {
        Some(actual) => Error::Conflict {
            id: write.id,
            expected: write.expected_revision,
            actual,
        },
        None => Error::NotFound {
            entity: "instance",
            key: write.id.to_string(),
        },
    })
}

/// Marks a running instance failed and drops its routes and jobs, in one transaction.
pub(super) async fn mark_failed(pool: &SqlitePool, id: i64, reason: &str) -> Result<()> {
    let mut transaction = pool.begin().await?;
    let done = sqlx::query(
        "UPDATE baton_instances SET status = 'failed', failure = ?, revision = revision + 1, \
         updated_at = ? WHERE id = ? AND status = 'running'",
    )
    .bind(reason)
    .bind(now_millis())
    .bind(id)
    .execute(&mut *transaction)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound {
            entity: "running instance",
            key: id.to_string(),
        });
    }
    sqlx::query("DELETE FROM baton_routes WHERE instance_id = ?")
        .bind(id)
        .execute(&mut *transaction)
        .await?;
    sqlx::query("DELETE FROM baton_jobs WHERE instance_id = ?")
        .bind(id)
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// Deletes the row of one instance; what refers to it must be deleted first.
pub(super) async fn delete(conn: &mut SqliteConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM baton_instances WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
