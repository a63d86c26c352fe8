//! The write path of state-machine steps: the [`Batch`] of the group-commit writer for a SQL
//! database. A batch runs in one transaction begun as the dialect begins writes, under the
//! store's write lock where the database takes one writer at a time.
//!
//! A batch of distinct instances is written [`rows_at_once`], a statement per kind of
//! write; [`all_or_nothing`] writes other batches, a step's statements one after another.
//! [`step_by_step`] is for a batch in which a step was refused: each step in its own
//! savepoint, the refused ones rolled back alone (which on PostgreSQL also clears the
//! transaction's failed state).

use futures::future::BoxFuture;
use sqlx::{Pool, Transaction};
use tokio::sync::MutexGuard;

use super::dialect::{begin_write, Dialect, Statement};
use super::{correlation, delivery, exchanges, instances, jobs, rows_at_once, WriteLock};
use crate::store::group_commit::Batch;
use crate::store::{Result, StepCommit};

/// Applies batches of steps to a database of dialect `D`.
pub(in crate::store) struct Steps<D: Dialect> {
    pub(super) pool: Pool<D>,
    /// The store's write lock, held for each batch where the database takes one writer.
    pub(in crate::store) writer: WriteLock,
}

impl<D: Dialect> Clone for Steps<D> {
    fn clone(&self) -> Self {
        Steps {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        }
    }
}

impl<D: Dialect> Steps<D> {
    /// Begins a batch's transaction, with the write lock where the database takes one writer
    /// at a time: the batch holds it until it is done.
    async fn begin(&self) -> Result<(Option<MutexGuard<'_, ()>>, Transaction<'static, D>)> {
        let writing = self.writer.turn::<D>().await;
        Ok((writing, begin_write(&self.pool).await?))
    }
}

impl<D: Dialect> Batch for Steps<D> {
    fn apply_all<'a>(&'a self, steps: &'a [StepCommit]) -> BoxFuture<'a, Result<Option<Vec<i64>>>> {
        Box::pin(async move {
            let (_writing, mut tx) = self.begin().await?;
            if !rows_at_once::fits::<D>(steps) {
                return all_or_nothing(tx, steps).await;
            }
            if !rows_at_once::write::<D>(&mut tx, steps).await? {
                tx.rollback().await?;
                return Ok(None);
            }
            tx.commit().await?;
            Ok(Some(rows_at_once::revisions(steps)))
        })
    }

    fn apply_each<'a>(
        &'a self,
        steps: &'a [StepCommit],
    ) -> BoxFuture<'a, Result<Vec<Result<i64>>>> {
        Box::pin(async move {
            let (_writing, tx) = self.begin().await?;
            step_by_step(tx, steps).await
        })
    }
}

/// Writes one step inside the batch's transaction and returns the instance's new revision:
/// the job it ran first (so that a job already run refuses the step before anything else),
/// then the instance, the id of the message it takes (a message taken already refuses the
/// step), its routes and exchanges, its jobs and its outbox; last what the instance's cleanup
/// deletes (never its outbox, whose messages still go, nor the ids of what it took).
async fn apply<D: Dialect>(conn: &mut D::Connection, step: &StepCommit) -> Result<i64> {
    let id = step.instance.id;
    if let Some(job) = &step.job_done {
        jobs::take::<D>(conn, id, job).await?;
    }
    let revision = instances::save::<D>(conn, &step.instance).await?;
    if let Some(received) = &step.received {
        delivery::insert_received::<D>(conn, received).await?;
    }
    for route in &step.routes_removed {
        correlation::remove::<D>(conn, id, route).await?;
    }
    for route in &step.routes_added {
        correlation::add::<D>(conn, id, route).await?;
    }
    if step.clears_stored_routes() {
        correlation::clear::<D>(conn, id).await?;
    }
    for exchange in &step.exchanges {
        exchanges::upsert::<D>(conn, id, exchange).await?;
    }
    for job in &step.jobs_cancelled {
        jobs::delete::<D>(conn, id, job).await?;
    }
    for job in &step.jobs {
        jobs::insert::<D>(conn, job).await?;
    }
    if step.clears_stored_jobs() {
        jobs::clear::<D>(conn, id).await?;
    }
    for exchange in &step.outbox_settled {
        delivery::settle::<D>(conn, id, exchange).await?;
    }
    for entry in &step.outbox {
        delivery::insert_outbox::<D>(conn, entry).await?;
    }
    if step.delete_exchanges || step.delete_instance {
        exchanges::clear::<D>(conn, id).await?;
    }
    if step.delete_instance {
        correlation::clear::<D>(conn, id).await?;
        jobs::clear::<D>(conn, id).await?;
        instances::delete::<D>(conn, id).await?;
    }
    Ok(revision)
}

/// Applies `steps` in `tx`: commits and returns their revisions when every step was
/// written; rolls back and returns `None` at the first step refused.
async fn all_or_nothing<D: Dialect>(
    mut tx: Transaction<'static, D>,
    steps: &[StepCommit],
) -> Result<Option<Vec<i64>>> {
    let mut revisions = Vec::with_capacity(steps.len());
    for step in steps {
        match apply::<D>(&mut *tx, step).await {
            Ok(revision) => revisions.push(revision),
            Err(_) => {
                tx.rollback().await?;
                return Ok(None);
            }
        }
    }
    tx.commit().await?;
    Ok(Some(revisions))
}

/// Applies `steps` in `tx`, each in a savepoint that is rolled back when its step fails,
/// commits, and returns each step's outcome in order.
async fn step_by_step<D: Dialect>(
    mut tx: Transaction<'static, D>,
    steps: &[StepCommit],
) -> Result<Vec<Result<i64>>> {
    let mut outcomes = Vec::with_capacity(steps.len());
    for step in steps {
        Statement::new("SAVEPOINT step")
            .execute::<D>(&mut *tx)
            .await?;
        let outcome = apply::<D>(&mut *tx, step).await;
        if outcome.is_err() {
            Statement::new("ROLLBACK TO SAVEPOINT step")
                .execute::<D>(&mut *tx)
                .await?;
        }
        Statement::new("RELEASE SAVEPOINT step")
            .execute::<D>(&mut *tx)
            .await?;
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}
