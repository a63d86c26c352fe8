//! Process versions: the `baton_processes` table, one row per pid with the deployment it came
//! from and its lifecycle state.

use sqlx::Pool;

use super::dialect::{sql, Dialect};
use crate::store::error::Constraint;
use crate::store::rows;
use crate::store::{Error, ProcessRecord, ProcessState, Result};

/// Inserts a process version.
pub(super) async fn save<D: Dialect>(pool: &Pool<D>, process: &ProcessRecord) -> Result<()> {
    sql!(
        D,
        "INSERT INTO baton_processes (pid, process_name, deployment_name, version, state) \
         VALUES (?, ?, ?, ?, ?)"
    )
    .bind(&process.pid)
    .bind(&process.process)
    .bind(&process.deployment)
    .bind(process.version)
    .bind(process.state.as_str())
    .execute_on(pool)
    .await
    .map_err(|error| match Constraint::violated_by(&error) {
        Some(Constraint::Unique) => Error::Duplicate {
            entity: "process",
            key: process.pid.clone(),
        },
        Some(Constraint::ForeignKey) => Error::NotFound {
            entity: "deployment",
            key: format!("{} version {}", process.deployment, process.version),
        },
        None => error.into(),
    })?;
    Ok(())
}

/// Lists process versions.
pub(super) async fn list<D: Dialect>(pool: &Pool<D>) -> Result<Vec<ProcessRecord>> {
    sql!(
        D,
        "SELECT pid, process_name, deployment_name, version, state FROM baton_processes \
         ORDER BY version, pid"
    )
    .fetch_all_on(pool, rows::process)
    .await
}

/// Sets the state of one process version.
pub(super) async fn set_state<D: Dialect>(
    pool: &Pool<D>,
    pid: &str,
    state: ProcessState,
) -> Result<()> {
    let done = sql!(D, "UPDATE baton_processes SET state = ? WHERE pid = ?")
        .bind(state.as_str())
        .bind(pid)
        .execute_on(pool)
        .await?;
    match done.rows {
        0 => Err(Error::NotFound {
            entity: "process",
            key: pid.to_owned(),
        }),
        _ => Ok(()),
    }
}
