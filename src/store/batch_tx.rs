//! The two ways a batch of steps is applied inside one SQL transaction, shared by the sqlx
//! backends: each backend opens the transaction its own way and brings the function that
//! writes one step; these run the batch and end the transaction.
//!
//! [`all_or_nothing`] is the usual path, a step's statements one after another and nothing
//! else. [`step_by_step`] is for a batch in which a step was refused: each step in its own
//! savepoint, the refused ones rolled back alone.

use futures::future::BoxFuture;
use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Database, Transaction};

use super::{Result, StepCommit};

/// A backend's connection, on which the savepoint statements run.
pub(crate) trait SavepointConnection: Send {
    /// Runs `statement`, which takes no argument and returns no row.
    fn run<'c>(&'c mut self, statement: &'static str) -> BoxFuture<'c, Result<()>>;
}

macro_rules! savepoint_connection {
    ($($connection:ty),*) => {$(
        impl SavepointConnection for $connection {
            fn run<'c>(&'c mut self, statement: &'static str) -> BoxFuture<'c, Result<()>> {
                Box::pin(async move {
                    sqlx::query(statement).execute(self).await?;
                    Ok(())
                })
            }
        }
    )*};
}

savepoint_connection!(SqliteConnection, PgConnection, MySqlConnection);

/// Writes one step on a backend's connection, inside the batch's transaction, and returns
/// the instance's new revision.
pub(crate) type ApplyStep<DB> =
    for<'c> fn(&'c mut <DB as Database>::Connection, &'c StepCommit) -> BoxFuture<'c, Result<i64>>;

/// Applies `steps` in `tx`: commits and returns their revisions when every step was
/// written; rolls back and returns `None` at the first step refused.
pub(crate) async fn all_or_nothing<DB: Database>(
    mut tx: Transaction<'_, DB>,
    steps: &[StepCommit],
    apply: ApplyStep<DB>,
) -> Result<Option<Vec<i64>>> {
    let mut revisions = Vec::with_capacity(steps.len());
    for step in steps {
        match apply(&mut tx, step).await {
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
    apply: ApplyStep<DB>,
) -> Result<Vec<Result<i64>>>
where
    DB: Database,
    DB::Connection: SavepointConnection,
{
    let mut outcomes = Vec::with_capacity(steps.len());
    for step in steps {
        tx.run("SAVEPOINT step").await?;
        let outcome = apply(&mut tx, step).await;
        if outcome.is_err() {
            tx.run("ROLLBACK TO SAVEPOINT step").await?;
        }
        tx.run("RELEASE SAVEPOINT step").await?;
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}
