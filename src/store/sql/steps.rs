//! The write path of state-machine steps: the [`Batch`] of the group-commit writer for a SQL
//! database. A batch runs in one transaction begun as the dialect begins writes, under the
//! store's write lock where the database takes one writer at a time.
//!
//! Every write is [`rows_at_once`]: a batch in its rounds of distinct instances, all or
//! nothing. When a step of it may be refused, [`step_by_step`] writes the batch again, each
//! step as a batch of one in its own savepoint; a refused step is rolled back alone (which on
//! PostgreSQL also clears the transaction's failed state), and [`refusal`] reads why.

use futures::future::BoxFuture;
use sqlx::{Pool, Transaction};
use tokio::sync::MutexGuard;

use super::dialect::{begin_write, sql, Dialect, Statement};
use super::{rows_at_once, WriteLock};
use crate::store::group_commit::Batch;
use crate::store::rows::StoredRow;
use crate::store::{Error, Result, StepCommit};

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
            for round in rows_at_once::rounds(steps) {
                if rows_at_once::write::<D>(&mut tx, &round).await.is_err() {
                    tx.rollback().await?;
                    return Ok(None);
                }
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

/// Applies `steps` in `tx`, each in a savepoint that is rolled back when its step is
/// refused, commits, and returns each step's outcome in order.
async fn step_by_step<D: Dialect>(
    mut tx: Transaction<'static, D>,
    steps: &[StepCommit],
) -> Result<Vec<Result<i64>>> {
    let mut outcomes = Vec::with_capacity(steps.len());
    for step in steps {
        Statement::new("SAVEPOINT step")
            .execute::<D>(&mut *tx)
            .await?;
        let written = rows_at_once::write::<D>(&mut tx, &[step]).await;
        if let Err(failed) = written {
            Statement::new("ROLLBACK TO SAVEPOINT step")
                .execute::<D>(&mut *tx)
                .await?;
            let why = match refusal::<D>(&mut tx, step).await? {
                Some(why) => why,
                None => failed.map_or_else(concurrent, Error::from),
            };
            outcomes.push(Err(why));
        } else {
            outcomes.push(Ok(step.instance.revision_after()));
        }
        Statement::new("RELEASE SAVEPOINT step")
            .execute::<D>(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// A step whose rows were off when written but whose refusal no read explains: they changed
/// in between, from outside this store's writer.
fn concurrent() -> Error {
    Error::Unavailable("the step's rows changed while it was written; it may be sent again".into())
}

/// Why `step`, written alone and refused, is refused: read in the order its writes run,
/// against what is stored without it. `None` when nothing read refuses it.
async fn refusal<D: Dialect>(conn: &mut D::Connection, step: &StepCommit) -> Result<Option<Error>> {
    let id = step.instance.id;
    let duplicate = |entity, key: &str| {
        Some(Error::Duplicate {
            entity,
            key: key.to_owned(),
        })
    };
    if let Some(job) = &step.job_done {
        let stored = sql!(
            D,
            "SELECT instance_id FROM baton_jobs WHERE instance_id = ? AND kind = ? AND job_key = ?"
        )
        .bind(id)
        .bind(job.kind.as_str())
        .bind(&job.key)
        .fetch_optional::<D>(conn)
        .await?;
        if stored.is_none() {
            return Ok(Some(job.gone(id)));
        }
    }
    let write = &step.instance;
    let revision = sql!(D, "SELECT revision FROM baton_instances WHERE id = ?")
        .bind(id)
        .fetch_optional::<D>(conn)
        .await?
        .map(|row| row.integer("revision"))
        .transpose()?;
    match (&write.create, revision) {
        (Some(_), Some(_)) => return Ok(duplicate("instance", &id.to_string())),
        (Some(pid), None) => {
            let process = sql!(D, "SELECT pid FROM baton_processes WHERE pid = ?")
                .bind(pid)
                .fetch_optional::<D>(conn)
                .await?;
            if process.is_none() {
                return Ok(Some(Error::NotFound {
                    entity: "process",
                    key: pid.clone(),
                }));
            }
        }
        (None, Some(actual)) if actual != write.expected_revision => {
            return Ok(Some(Error::Conflict {
                id,
                expected: write.expected_revision,
                actual,
            }))
        }
        (None, None) => {
            return Ok(Some(Error::NotFound {
                entity: "instance",
                key: id.to_string(),
            }))
        }
        (None, Some(_)) => {}
    }
    if let Some(received) = &step.received {
        let taken = sql!(
            D,
            "SELECT instance_id FROM baton_received WHERE message_id = ?"
        )
        .bind(&received.message_id)
        .fetch_optional::<D>(conn)
        .await?;
        if taken.is_some() {
            return Ok(duplicate("message", &received.message_id));
        }
    }
    for route in step.routes_added.iter().filter(|route| !route.shared) {
        let owner = sql!(
            D,
            "SELECT instance_id FROM baton_routes WHERE process_name = ? AND route_key = ?"
        )
        .bind(&route.process)
        .bind(&route.key)
        .fetch_optional::<D>(conn)
        .await?
        .map(|row| row.integer("instance_id"))
        .transpose()?;
        if let Some(owner) = owner.filter(|owner| *owner != id) {
            let (process, key) = (route.process.clone(), route.key.clone());
            return Ok(Some(Error::DuplicateRoute {
                process,
                key,
                owner,
            }));
        }
    }
    for exchange in &step.exchanges {
        let owner = sql!(D, "SELECT instance_id FROM baton_exchanges WHERE id = ?")
            .bind(&exchange.id)
            .fetch_optional::<D>(conn)
            .await?
            .map(|row| row.integer("instance_id"))
            .transpose()?;
        if owner.is_some_and(|owner| owner != id) {
            return Ok(duplicate("message exchange", &exchange.id));
        }
    }
    for entry in &step.outbox {
        let stored = sql!(
            D,
            "SELECT instance_id FROM baton_outbox WHERE message_id = ?"
        )
        .bind(&entry.message_id)
        .fetch_optional::<D>(conn)
        .await?;
        if stored.is_some() {
            return Ok(duplicate("outbox message", &entry.message_id));
        }
    }
    Ok(None)
}
