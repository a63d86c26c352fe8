//! Deployments: the `baton_deployments` table holding each deployed version of a unit with
//! its files.

use sqlx::Pool;

use super::dialect::{sql, Dialect};
use crate::store::error::Constraint;
use crate::store::rows::{self, StoredRow};
use crate::store::time::to_millis;
use crate::store::{DeploymentRecord, DeploymentSummary, Error, Result};

/// Inserts a deployment.
pub(super) async fn save<D: Dialect>(pool: &Pool<D>, deployment: &DeploymentRecord) -> Result<()> {
    sql!(
        D,
        "INSERT INTO baton_deployments (name, version, checksum, deployed_at, files, undeployed) \
         VALUES (?, ?, ?, ?, ?, ?)"
    )
    .bind(&deployment.name)
    .bind(deployment.version)
    .bind(&deployment.checksum)
    .bind(to_millis(deployment.deployed_at))
    .bind(&deployment.files)
    .bind(deployment.undeployed)
    .execute_on(pool)
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
pub(super) async fn list<D: Dialect>(pool: &Pool<D>) -> Result<Vec<DeploymentSummary>> {
    sql!(
        D,
        "SELECT name, version, checksum, deployed_at, undeployed FROM baton_deployments \
         ORDER BY name, version"
    )
    .fetch_all_on(pool, rows::deployment_summary)
    .await
}

/// Loads one deployment with its files.
pub(super) async fn load<D: Dialect>(
    pool: &Pool<D>,
    name: &str,
    version: i64,
) -> Result<Option<DeploymentRecord>> {
    sql!(
        D,
        "SELECT name, version, checksum, deployed_at, undeployed, files FROM baton_deployments \
         WHERE name = ? AND version = ?"
    )
    .bind(name)
    .bind(version)
    .fetch_optional_on(pool, |row| {
        let summary = rows::deployment_summary(row)?;
        Ok(DeploymentRecord {
            name: summary.name,
            version: summary.version,
            checksum: summary.checksum,
            deployed_at: summary.deployed_at,
            files: row.bytes("files")?,
            undeployed: summary.undeployed,
        })
    })
    .await
}

/// Marks the deployed versions of `name` undeployed and counts them; the jobs of their
/// instances go with them, in the same transaction.
pub(super) async fn mark_version_undeployed<D: Dialect>(
    pool: &Pool<D>,
    name: &str,
    version: i64,
) -> Result<u64> {
    let mut tx = super::dialect::begin_write(pool).await?;
    let done = sql!(
        D,
        "UPDATE baton_deployments SET undeployed = ? \
         WHERE name = ? AND version = ? AND undeployed = ?"
    )
    .bind(true)
    .bind(name)
    .bind(version)
    .bind(false)
    .execute::<D>(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows)
}

pub(super) async fn mark_undeployed<D: Dialect>(pool: &Pool<D>, name: &str) -> Result<u64> {
    let mut tx = super::dialect::begin_write(pool).await?;
    let done = sql!(
        D,
        "UPDATE baton_deployments SET undeployed = ? WHERE name = ? AND undeployed = ?"
    )
    .bind(true)
    .bind(name)
    .bind(false)
    .execute::<D>(&mut *tx)
    .await?;
    sql!(
        D,
        "DELETE FROM baton_jobs WHERE pid IN \
         (SELECT pid FROM baton_processes WHERE deployment_name = ?)"
    )
    .bind(name)
    .execute::<D>(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows)
}
