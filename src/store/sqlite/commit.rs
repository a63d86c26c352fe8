//! The write path of state-machine steps in SQLite: the [`Batch`] of the shared group-commit
//! writer, and SQLite's [`StepStatements`](batch_tx::StepStatements).
//!
//! A batch runs in one `BEGIN IMMEDIATE` transaction, which takes the write lock up front so
//! that the reads of a step cannot be invalidated by a concurrent writer, and under the
//! store's write lock; [`batch_tx`] writes the steps in it.

use std::sync::Arc;

use futures::future::BoxFuture;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use tokio::sync::Mutex;

use super::{correlation, delivery, exchanges, instances, jobs};
use crate::store::batch_tx;
use crate::store::group_commit::Batch;
use crate::store::{ExchangeWrite, InstanceWrite, Job, JobKey, Result, RouteKey, StepCommit};

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
            batch_tx::all_or_nothing(tx, steps).await
        })
    }

    fn apply_each<'a>(
        &'a self,
        steps: &'a [StepCommit],
    ) -> BoxFuture<'a, Result<Vec<Result<i64>>>> {
        Box::pin(async move {
            let _writing = self.lock.lock().await;
            let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            batch_tx::step_by_step(tx, steps).await
        })
    }
}

batch_tx::step_statements!(SqliteConnection);
