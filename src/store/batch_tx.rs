//! How a batch of steps is written inside one SQL transaction, shared by the sqlx backends:
//! each backend opens the transaction its own way and gives its connection the
//! [`StepStatements`] of its dialect (with [`step_statements!`]); the order in which one step
//! is written, and the two ways of running a batch, are here once.
//!
//! [`all_or_nothing`] is the usual path, a step's statements one after another and nothing
//! else. [`step_by_step`] is for a batch in which a step was refused: each step in its own
//! savepoint, the refused ones rolled back alone.

use futures::future::BoxFuture;
use sqlx::{Database, Transaction};

use super::{
    ExchangeWrite, InstanceWrite, Job, JobKey, OutboxEntry, Received, Result, RouteKey, StepCommit,
};

/// The statements a step is made of, in a backend's dialect, on its connection.
pub(crate) trait StepStatements: Send {
    /// Runs `statement`, which takes no argument and returns no row.
    fn run<'c>(&'c mut self, statement: &'static str) -> BoxFuture<'c, Result<()>>;
    /// Deletes the job a step ran, failing with [`Error::JobGone`](super::Error::JobGone)
    /// when it is not stored.
    fn take_job<'c>(&'c mut self, instance: i64, job: &'c JobKey) -> BoxFuture<'c, Result<()>>;
    /// Saves the instance and returns its new revision.
    fn save_instance<'c>(&'c mut self, write: &'c InstanceWrite) -> BoxFuture<'c, Result<i64>>;
    fn remove_route<'c>(
        &'c mut self,
        instance: i64,
        route: &'c RouteKey,
    ) -> BoxFuture<'c, Result<()>>;
    fn add_route<'c>(&'c mut self, instance: i64, route: &'c RouteKey)
        -> BoxFuture<'c, Result<()>>;
    fn clear_routes(&mut self, instance: i64) -> BoxFuture<'_, Result<()>>;
    fn upsert_exchange<'c>(
        &'c mut self,
        instance: i64,
        exchange: &'c ExchangeWrite,
    ) -> BoxFuture<'c, Result<()>>;
    fn delete_job<'c>(&'c mut self, instance: i64, job: &'c JobKey) -> BoxFuture<'c, Result<()>>;
    fn insert_job<'c>(&'c mut self, job: &'c Job) -> BoxFuture<'c, Result<()>>;
    fn clear_jobs(&mut self, instance: i64) -> BoxFuture<'_, Result<()>>;
    /// Remembers a message the step takes; [`Error::Duplicate`](super::Error::Duplicate)
    /// when its id is stored already.
    fn insert_received<'c>(&'c mut self, received: &'c Received) -> BoxFuture<'c, Result<()>>;
    fn insert_outbox<'c>(&'c mut self, entry: &'c OutboxEntry) -> BoxFuture<'c, Result<()>>;
    fn settle_outbox<'c>(
        &'c mut self,
        instance: i64,
        exchange: &'c str,
    ) -> BoxFuture<'c, Result<()>>;
    fn clear_exchanges(&mut self, instance: i64) -> BoxFuture<'_, Result<()>>;
    fn delete_instance(&mut self, instance: i64) -> BoxFuture<'_, Result<()>>;
}

/// Implements [`StepStatements`] for a backend's connection type with the functions of the
/// backend's `jobs`, `instances`, `correlation`, `exchanges` and `delivery` modules, which must be in
/// scope where it is used.
macro_rules! step_statements {
    ($connection:ty) => {
        impl $crate::store::batch_tx::StepStatements for $connection {
            fn run<'c>(&'c mut self, statement: &'static str) -> BoxFuture<'c, Result<()>> {
                Box::pin(async move {
                    sqlx::query(statement).execute(self).await?;
                    Ok(())
                })
            }
            fn take_job<'c>(&'c mut self, id: i64, job: &'c JobKey) -> BoxFuture<'c, Result<()>> {
                Box::pin(jobs::take(self, id, job))
            }
            fn save_instance<'c>(
                &'c mut self,
                write: &'c InstanceWrite,
            ) -> BoxFuture<'c, Result<i64>> {
                Box::pin(instances::save(self, write))
            }
            fn remove_route<'c>(
                &'c mut self,
                id: i64,
                route: &'c RouteKey,
            ) -> BoxFuture<'c, Result<()>> {
                Box::pin(correlation::remove(self, id, route))
            }
            fn add_route<'c>(
                &'c mut self,
                id: i64,
                route: &'c RouteKey,
            ) -> BoxFuture<'c, Result<()>> {
                Box::pin(correlation::add(self, id, route))
            }
            fn clear_routes(&mut self, id: i64) -> BoxFuture<'_, Result<()>> {
                Box::pin(correlation::clear(self, id))
            }
            fn upsert_exchange<'c>(
                &'c mut self,
                id: i64,
                exchange: &'c ExchangeWrite,
            ) -> BoxFuture<'c, Result<()>> {
                Box::pin(exchanges::upsert(self, id, exchange))
            }
            fn delete_job<'c>(&'c mut self, id: i64, job: &'c JobKey) -> BoxFuture<'c, Result<()>> {
                Box::pin(async move { jobs::delete(self, id, job).await.map(|_| ()) })
            }
            fn insert_job<'c>(&'c mut self, job: &'c Job) -> BoxFuture<'c, Result<()>> {
                Box::pin(jobs::insert(self, job))
            }
            fn clear_jobs(&mut self, id: i64) -> BoxFuture<'_, Result<()>> {
                Box::pin(jobs::clear(self, id))
            }
            fn insert_received<'c>(
                &'c mut self,
                received: &'c $crate::store::Received,
            ) -> BoxFuture<'c, Result<()>> {
                Box::pin(delivery::insert_received(self, received))
            }
            fn insert_outbox<'c>(
                &'c mut self,
                entry: &'c $crate::store::OutboxEntry,
            ) -> BoxFuture<'c, Result<()>> {
                Box::pin(delivery::insert_outbox(self, entry))
            }
            fn settle_outbox<'c>(
                &'c mut self,
                id: i64,
                exchange: &'c str,
            ) -> BoxFuture<'c, Result<()>> {
                Box::pin(delivery::settle(self, id, exchange))
            }
            fn clear_exchanges(&mut self, id: i64) -> BoxFuture<'_, Result<()>> {
                Box::pin(exchanges::clear(self, id))
            }
            fn delete_instance(&mut self, id: i64) -> BoxFuture<'_, Result<()>> {
                Box::pin(instances::delete(self, id))
            }
        }
    };
}
pub(crate) use step_statements;

/// Writes one step inside the batch's transaction and returns the instance's new revision:
/// the job it ran first (so that a job already run refuses the step before anything else),
/// then the instance, the id of the message it takes (a message taken already refuses the
/// step), its routes and exchanges, its jobs and its outbox; last what the instance's cleanup
/// deletes (never its outbox, whose messages still go, nor the ids of what it took).
async fn apply<C: StepStatements>(conn: &mut C, step: &StepCommit) -> Result<i64> {
    let id = step.instance.id;
    if let Some(job) = &step.job_done {
        conn.take_job(id, job).await?;
    }
    let revision = conn.save_instance(&step.instance).await?;
    if let Some(received) = &step.received {
        conn.insert_received(received).await?;
    }
    for route in &step.routes_removed {
        conn.remove_route(id, route).await?;
    }
    for route in &step.routes_added {
        conn.add_route(id, route).await?;
    }
    if step.clears_stored_routes() {
        conn.clear_routes(id).await?;
    }
    for exchange in &step.exchanges {
        conn.upsert_exchange(id, exchange).await?;
    }
    for job in &step.jobs_cancelled {
        conn.delete_job(id, job).await?;
    }
    for job in &step.jobs {
        conn.insert_job(job).await?;
    }
    if step.clears_stored_jobs() {
        conn.clear_jobs(id).await?;
    }
    for exchange in &step.outbox_settled {
        conn.settle_outbox(id, exchange).await?;
    }
    for entry in &step.outbox {
        conn.insert_outbox(entry).await?;
    }
    if step.delete_exchanges || step.delete_instance {
        conn.clear_exchanges(id).await?;
    }
    if step.delete_instance {
        conn.clear_routes(id).await?;
        conn.clear_jobs(id).await?;
        conn.delete_instance(id).await?;
    }
    Ok(revision)
}

/// Applies `steps` in `tx`: commits and returns their revisions when every step was
/// written; rolls back and returns `None` at the first step refused.
pub(crate) async fn all_or_nothing<DB>(
    mut tx: Transaction<'_, DB>,
    steps: &[StepCommit],
) -> Result<Option<Vec<i64>>>
where
    DB: Database,
    DB::Connection: StepStatements,
{
    let mut revisions = Vec::with_capacity(steps.len());
    for step in steps {
        match apply(&mut *tx, step).await {
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

/// Applies `steps` in `tx`, each in a savepoint that is rolled back when its step fails
/// (which on PostgreSQL also clears the transaction's failed state), commits, and returns
/// each step's outcome in order.
pub(crate) async fn step_by_step<DB>(
    mut tx: Transaction<'_, DB>,
    steps: &[StepCommit],
) -> Result<Vec<Result<i64>>>
where
    DB: Database,
    DB::Connection: StepStatements,
{
    let mut outcomes = Vec::with_capacity(steps.len());
    for step in steps {
        tx.run("SAVEPOINT step").await?;
        let outcome = apply(&mut *tx, step).await;
        if outcome.is_err() {
            tx.run("ROLLBACK TO SAVEPOINT step").await?;
        }
        tx.run("RELEASE SAVEPOINT step").await?;
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}
