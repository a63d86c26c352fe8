//! Deployments in MySQL: the global process version counter and the `baton_deployments`
//! table holding each deployed version of a unit with its files.

use sqlx::mysql::MySqlPool;
use sqlx::Row;

use crate::store::error::Constraint;
use crate::store::rows;
use crate::store::time::to_millis;
use crate::store::{DeploymentRecord, DeploymentSummary, Error, Result};

/// Inserts a deployment.
pub(super) async fn save(pool: &MySqlPool, deployment: &DeploymentRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO baton_deployments (name, version, checksum, deployed_at, files, undeployed) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&deployment.name)
    .bind(deployment.version)
    .bind(&deployment.checksum)
    .bind(to_millis(deployment.deployed_at))
    .bind(&deployment.files)
    .bind(deployment.undeployed)
    .execute(pool)
    .await
    .map_err(|error| match Constraint::violated_by(&error) {
        Some(Constraint::Unique) => Error::Duplicate {
            entity: "deployment",
            key: format!("{} version {}", deployment.name, deployment.version),
        },
        _ => error.into(),
    })?;
    Ok(())
}

/// Lists deployments without their files.
pub(super) async fn list(pool: &MySqlPool) -> Result<Vec<DeploymentSummary>> {
    sqlx::query(
        "SELECT name, version, checksum, deployed_at, undeployed FROM baton_deployments \
         ORDER BY name, version",
    )
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::deployment_summary)
    .collect()
}

/// Loads one deployment with its files.
pub(super) async fn load(
    pool: &MySqlPool,
    name: &str,
    version: i64,
) -> Result<Option<DeploymentRecord>> {
    let row = sqlx::query(
        "SELECT name, version, checksum, deployed_at, undeployed, files FROM baton_deployments \
         WHERE name = ? AND version = ?",
    )
    .bind(name)
    .bind(version)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        let summary = rows::deployment_summary(&row)?;
        Ok(DeploymentRecord {
            name: summary.name,
            version: summary.version,
            checksum: summary.checksum,
            deployed_at: summary.deployed_at,
            files: row.try_get("files")?,
            undeployed: summary.undeployed,
        })
    })
    .transpose()
}

/// Marks the deployed versions of `name` undeployed and counts them; the jobs of their
/// instances go with them, in the same transaction.
pub(super) async fn mark_undeployed(pool: &MySqlPool, name: &str) -> Result<u64> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "UPDATE baton_deployments SET undeployed = 1 WHERE name = ? AND undeployed = 0",
    )
    .bind(name)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE j FROM baton_jobs j JOIN baton_processes p ON p.pid = j.pid WHERE p.deployment_name = ?",
    )
    .bind(name)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
