//! The write path of state-machine steps in MySQL: the [`Batch`] of the shared
//! group-commit writer.
//!
//! A batch runs in one InnoDB transaction, all or nothing first; when a step was refused,
//! again with a savepoint per step, where a step that fails is rolled back to its savepoint,
//! leaving the other steps' row locks and writes. Each step saves
//! the instance (optimistically on its revision), updates its correlation routes, upserts
//! its message exchanges and deletes the job it ran (exactly one row, or the step fails),
//! then writes its other jobs.

use futures::future::BoxFuture;
use sqlx::mysql::{MySqlConnection, MySqlPool};

use super::{correlation, exchanges, instances, jobs};
use crate::store::batch_tx;
use crate::store::group_commit::Batch;
use crate::store::{Result, StepCommit};

/// Applies batches of steps to a MySQL database.
pub(super) struct Steps {
    pub(super) pool: MySqlPool,
}

impl Batch for Steps {
    fn apply_all<'a>(&'a self, steps: &'a [StepCommit]) -> BoxFuture<'a, Result<Option<Vec<i64>>>> {
        Box::pin(async move {
            let tx = self.pool.begin().await?;
            batch_tx::all_or_nothing(tx, steps, apply).await
        })
    }

    fn apply_each<'a>(
        &'a self,
        steps: &'a [StepCommit],
    ) -> BoxFuture<'a, Result<Vec<Result<i64>>>> {
        Box::pin(async move {
            let tx = self.pool.begin().await?;
            batch_tx::step_by_step(tx, steps, apply).await
        })
    }
}

/// Applies one step inside the batch's transaction and returns the new revision.
fn apply<'c>(conn: &'c mut MySqlConnection, step: &'c StepCommit) -> BoxFuture<'c, Result<i64>> {
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
