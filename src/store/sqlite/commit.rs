//! The write path of state-machine steps in SQLite, with group commit.
//!
//! Steps queue on a channel to one writer task. The writer takes every step waiting (up to
//! [`MAX_BATCH`]) and applies them in one `BEGIN IMMEDIATE` transaction, each inside its own
//! savepoint: a step that fails (a stale revision, a route owned by another instance) is
//! rolled back alone and answered with its error, the others commit together, so one sync to
//! disk covers the whole batch. Under load, durable throughput is then bounded by batches per
//! second rather than by single-row commits per second.
//!
//! Each step saves the instance (optimistically on its revision), updates its correlation
//! routes and upserts its message exchanges.

use std::sync::Arc;

use sqlx::sqlite::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot, Mutex};

use super::{correlation, exchanges, instances};
use crate::store::{Error, Result, StepCommit};

/// The most steps one transaction takes.
pub(super) const MAX_BATCH: usize = 256;

type Pending = (StepCommit, oneshot::Sender<Result<i64>>);

/// The handle on the writer task.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Writer {
    /// Starts the writer task on the current runtime. `lock` is held for each batch, so
    /// that the store's other writes never contend with it inside SQLite.
    pub(super) fn start(pool: SqlitePool, lock: Arc<Mutex<()>>) -> Self {
        let (queue, mut waiting) = mpsc::unbounded_channel::<Pending>();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while let Some(first) = waiting.recv().await {
                batch.push(first);
                while batch.len() < MAX_BATCH {
                    match waiting.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let _writing = lock.lock().await;
                apply_batch(&pool, &mut batch).await;
            }
        });
        Self { queue }
    }

    /// Commits `step` (with whatever else is waiting) and returns the instance's new revision.
    pub(super) async fn commit(&self, step: StepCommit) -> Result<i64> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((step, reply))
            .map_err(|_| Error::Unavailable("the store's writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Unavailable("the store's writer has stopped".into()))?
    }
}

/// Applies a batch in one transaction and answers every step of it.
async fn apply_batch(pool: &SqlitePool, batch: &mut Vec<Pending>) {
    let mut outcomes = Vec::with_capacity(batch.len());
    let committed = async {
        // IMMEDIATE takes the write lock up front, so the reads below cannot be invalidated
        // by a concurrent writer.
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        for (step, _) in batch.iter() {
            sqlx::query("SAVEPOINT step").execute(&mut *tx).await?;
            let outcome = apply(&mut tx, step).await;
            if outcome.is_err() {
                sqlx::query("ROLLBACK TO SAVEPOINT step")
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("RELEASE SAVEPOINT step")
                .execute(&mut *tx)
                .await?;
            outcomes.push(outcome);
        }
        tx.commit().await?;
        Ok::<(), Error>(())
    }
    .await;
    match committed {
        Ok(()) => {
            for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
                let _ = reply.send(outcome);
            }
        }
        Err(error) => {
            let message = error.to_string();
            for (_, reply) in batch.drain(..) {
                let _ = reply.send(Err(Error::Unavailable(message.clone())));
            }
        }
    }
}

/// Applies one step inside the batch's transaction and returns the new revision.
async fn apply(conn: &mut SqliteConnection, step: &StepCommit) -> Result<i64> {
    let id = step.instance.id;
    let revision = instances::save(conn, &step.instance).await?;
    for route in &step.routes_removed {
        correlation::remove(conn, id, route).await?;
    }
    for route in &step.routes_added {
        correlation::add(conn, id, route).await?;
    }
    if step.clear_routes {
        correlation::clear(conn, id).await?;
    }
    for exchange in &step.exchanges {
        exchanges::upsert(conn, id, exchange).await?;
    }
    Ok(revision)
}
