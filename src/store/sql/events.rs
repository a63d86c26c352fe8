//! The events the `store` event listener keeps: the `baton_events` table, a row per step,
//! written apart from the steps (after them, in batches), read by instance timelines, and
//! trimmed by retention in bounded transactions.

use sqlx::Pool;

use super::dialect::{sql, Dialect, Statement, Value};
use crate::store::rows::StoredRow;
use crate::store::{Result, StoredEvents};

/// Appends the rows `events` in one statement.
pub(super) async fn append<D: Dialect>(pool: &Pool<D>, events: &[StoredEvents]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = vec!["(?, ?, ?, ?)"; events.len()].join(", ");
    let text = format!("INSERT INTO baton_events (instance_id, pid, at_ms, body) VALUES {rows}");
    let values = events.iter().flat_map(|event| -> [Value<'_>; 4] {
        [
            event.instance_id.into(),
            (&event.pid).into(),
            event.at_ms.into(),
            (&event.body).into(),
        ]
    });
    Statement::built::<D>(text)
        .bind_all(values)
        .execute_on(pool)
        .await?;
    Ok(())
}

/// The rows of one instance numbered after `after`, in order, at most `limit`.
pub(super) async fn of_instance<D: Dialect>(
    pool: &Pool<D>,
    instance_id: i64,
    after: i64,
    limit: u32,
) -> Result<Vec<StoredEvents>> {
    sql!(
        D,
        "SELECT id, instance_id, pid, at_ms, body FROM baton_events \
         WHERE instance_id = ? AND id > ? ORDER BY id LIMIT ?"
    )
    .bind(instance_id)
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all_on(pool, |row| {
        Ok(StoredEvents {
            id: row.integer("id")?,
            instance_id: row.integer("instance_id")?,
            pid: row.text("pid")?,
            at_ms: row.integer("at_ms")?,
            body: row.text("body")?,
        })
    })
    .await
}

/// Deletes the events of one instance.
pub(super) async fn delete_of_instance<D: Dialect>(
    pool: &Pool<D>,
    instance_id: i64,
) -> Result<u64> {
    let done = sql!(D, "DELETE FROM baton_events WHERE instance_id = ?")
        .bind(instance_id)
        .execute_on(pool)
        .await?;
    Ok(done.rows)
}

/// The numbers of at most `batch` events that happened before `before_ms`, lowest first.
pub(super) async fn older<D: Dialect>(
    pool: &Pool<D>,
    before_ms: i64,
    batch: u32,
) -> Result<Vec<i64>> {
    sql!(
        D,
        "SELECT id FROM baton_events WHERE at_ms < ? ORDER BY id LIMIT ?"
    )
    .bind(before_ms)
    .bind(i64::from(batch))
    .fetch_all_on(pool, |row| row.integer("id"))
    .await
}

/// Deletes the events numbered `ids`.
pub(super) async fn delete<D: Dialect>(pool: &Pool<D>, ids: &[i64]) -> Result<u64> {
    let list = vec!["?"; ids.len()].join(", ");
    let done = Statement::built::<D>(format!("DELETE FROM baton_events WHERE id IN ({list})"))
        .bind_all(ids.iter().map(|&id| Value::from(id)))
        .execute_on(pool)
        .await?;
    Ok(done.rows)
}
