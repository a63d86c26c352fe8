//! The write path of state-machine steps in PostgreSQL: the [`Batch`] of the shared
//! group-commit writer, and PostgreSQL's [`StepStatements`](batch_tx::StepStatements).
//!
//! A batch runs in one transaction, in which [`batch_tx`] writes the steps; rolling back to a
//! step's savepoint also clears the transaction's failed state.

use futures::future::BoxFuture;
use sqlx::postgres::{PgConnection, PgPool};

use super::{correlation, delivery, exchanges, instances, jobs};
use crate::store::batch_tx;
use crate::store::group_commit::Batch;
use crate::store::{ExchangeWrite, InstanceWrite, Job, JobKey, Result, RouteKey, StepCommit};

/// Applies batches of steps to a PostgreSQL database.
pub(super) struct Steps {
    pub(super) pool: PgPool,
}

impl Batch for Steps {
    fn apply_all<'a>(&'a self, steps: &'a [StepCommit]) -> BoxFuture<'a, Result<Option<Vec<i64>>>> {
        Box::pin(async move {
            let tx = self.pool.begin().await?;
            batch_tx::all_or_nothing(tx, steps).await
        })
    }

    fn apply_each<'a>(
        &'a self,
        steps: &'a [StepCommit],
    ) -> BoxFuture<'a, Result<Vec<Result<i64>>>> {
        Box::pin(async move {
            let tx = self.pool.begin().await?;
            batch_tx::step_by_step(tx, steps).await
        })
    }
}

batch_tx::step_statements!(PgConnection);
