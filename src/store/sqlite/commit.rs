//! The write path of a state-machine step in SQLite: one `BEGIN IMMEDIATE` transaction that
//! saves the instance (optimistically on its revision), updates its correlation routes and
//! upserts its message exchanges. Any failure drops the transaction, which rolls it back.

use sqlx::sqlite::SqlitePool;

use super::{correlation, exchanges, instances};
use crate::store::{Result, StepCommit};

/// Applies `step` atomically and returns the instance's new revision.
pub(super) async fn apply(pool: &SqlitePool, step: &StepCommit) -> Result<i64> {
    // IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so the reads
    // below cannot be invalidated by a concurrent writer.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let id = step.instance.id;
    let revision = instances::save(&mut tx, &step.instance).await?;
    for route in &step.routes_removed {
        correlation::remove(&mut tx, id, route).await?;
    }
    for route in &step.routes_added {
        correlation::add(&mut tx, id, route).await?;
    }
    if step.clear_routes {
        correlation::clear(&mut tx, id).await?;
    }
    for exchange in &step.exchanges {
        exchanges::upsert(&mut tx, id, exchange).await?;
    }
    tx.commit().await?;
    Ok(revision)
}
