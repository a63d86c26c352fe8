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
    let (id, write) = (step.instance.id, &step.instance);
    let duplicate = |entity, key: &str| {
        let key = key.to_owned();
        Ok(Some(Error::Duplicate { entity, key }))
    };
    if let Some(job) = &step.job_done {
        let sql = "SELECT instance_id AS n FROM baton_jobs \
                   WHERE instance_id = ? AND kind = ? AND job_key = ?";
        let query = sql!(D, sql).bind(id).bind(job.kind.as_str());
        if read::<D>(conn, query.bind(&job.key)).await?.is_none() {
            return Ok(Some(job.gone(id)));
        }
    }
    let query = sql!(D, "SELECT revision AS n FROM baton_instances WHERE id = ?").bind(id);
    let (expected, key) = (write.expected_revision, id.to_string());
    match (&write.create, read::<D>(conn, query).await?) {
        (Some(_), Some(_)) => return duplicate("instance", &key),
        (Some(pid), None) => {
            let query = sql!(D, "SELECT version AS n FROM baton_processes WHERE pid = ?");
            if read::<D>(conn, query.bind(pid)).await?.is_none() {
                let key = pid.clone();
                return Ok(Some(Error::NotFound {
                    entity: "process",
                    key,
                }));
            }
        }
        (None, Some(actual)) if actual != expected => {
            return Ok(Some(Error::Conflict {
                id,
                expected,
                actual,
            }))
        }
        (None, None) => {
            return Ok(Some(Error::NotFound {
                entity: "instance",
                key,
            }))
        }
        (None, Some(_)) => {}
    }
    if let Some(received) = &step.received {
        let sql = "SELECT instance_id AS n FROM baton_received WHERE message_id = ?";
        if read::<D>(conn, sql!(D, sql).bind(&received.message_id))
            .await?
            .is_some()
        {
            return duplicate("received message", &received.message_id);
        }
    }
    for route in step.routes_added.iter().filter(|route| !route.shared) {
        let sql = "SELECT instance_id AS n FROM baton_routes \
                   WHERE process_name = ? AND route_key = ?";
        let query = sql!(D, sql).bind(&route.process).bind(&route.key);
        if let Some(owner) = read::<D>(conn, query).await?.filter(|owner| *owner != id) {
            let (process, key) = (route.process.clone(), route.key.clone());
            return Ok(Some(Error::DuplicateRoute {
                process,
                key,
                owner,
            }));
        }
    }
    for exchange in &step.exchanges {
        let sql = "SELECT instance_id AS n FROM baton_exchanges WHERE id = ?";
        let owner = read::<D>(conn, sql!(D, sql).bind(&exchange.id)).await?;
        if owner.is_some_and(|owner| owner != id) {
            return duplicate("message exchange", &exchange.id);
        }
    }
    for entry in &step.outbox {
        let sql = "SELECT instance_id AS n FROM baton_outbox WHERE message_id = ?";
        if read::<D>(conn, sql!(D, sql).bind(&entry.message_id))
            .await?
            .is_some()
        {
            return duplicate("outbox message", &entry.message_id);
        }
    }
    Ok(None)
}

/// The integer `n` of the first row `statement` reads, if any.
async fn read<'c, D: Dialect>(
    conn: &'c mut D::Connection,
    statement: Statement<'c>,
) -> Result<Option<i64>> {
    let row = statement.fetch_optional::<D>(conn).await?;
    row.map(|row| row.integer("n")).transpose()
}
