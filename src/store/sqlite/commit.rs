//! The write path of state-machine steps in SQLite: the [`Batch`] of the shared group-commit
//! writer.
//!
//! A batch runs in one `BEGIN IMMEDIATE` transaction, which takes the write lock up front so
//! that the reads of a step cannot be invalidated by a concurrent writer: all or nothing
//! first, and again with a savepoint per step when a step was refused. Each step saves the
//! instance (optimistically on its revision), updates its correlation routes, upserts its
//! message exchanges and deletes the job it ran (exactly one row, or the step fails), then
//! writes its other jobs.

use std::sync::Arc;

use futures::future::BoxFuture;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use tokio::sync::Mutex;

use super::{correlation, exchanges, instances, jobs};
use crate::store::batch_tx;
use crate::store::group_commit::Batch;
use crate::store::{Result, StepCommit};

/// Applies batches of steps to a SQLite database.
pub(super) struct Steps {
    pub(super) pool: SqlitePool,
    /// Held for each batch, so that the store's other writes never contend with it inside
    /// SQLite.
    pub(super) lock: Arc<Mutex<()>>,
}

impl Batch for Steps {
    fn apply_all<'a>(&'a self, steps: &'a [StepCommit]) -> BoxFuture<'a, Result<Option<Vec<i64>>>> {
        Box::pin(async move {
            let _writing = self.lock.lock().await;
            let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            batch_tx::all_or_nothing(tx, steps, apply).await
        })
    }

    fn apply_each<'a>(
        &'a self,
        steps: &'a [StepCommit],
    ) -> BoxFuture<'a, Result<Vec<Result<i64>>>> {
        Box::pin(async move {
            let _writing = self.lock.lock().await;
            let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            batch_tx::step_by_step(tx, steps, apply).await
        })
    }
}

/// Applies one step inside the batch's transaction and returns the new revision.
fn apply<'c>(conn: &'c mut SqliteConnection, step: &'c StepCommit) -> BoxFuture<'c, Result<i64>> {
    Box::pin(async move {
        let id = step.instance.id;
        if let Some(job) = &step.job_done {
            jobs::take(conn, id, job).await?;
        }
        let revision = instances::save(conn, &step.instance).await?;
        for route in &step.routes_removed {
            correlation::remove(conn, id, route).await?;
        }
        for route in &step.routes_added {
            correlation::add(conn, id, route).await?;
        }
        if step.clears_stored_routes() {
            correlation::clear(conn, id).await?;
        }
        for exchange in &step.exchanges {
            exchanges::upsert(conn, id, exchange).await?;
        }
        for job in &step.jobs_cancelled {
            jobs::delete(conn, id, job).await?;
        }
        for job in &step.jobs {
            jobs::insert(conn, job).await?;
        }
        if step.clears_stored_jobs() {
            jobs::clear(conn, id).await?;
        }
        Ok(revision)
    })
}
