//! The retention of retired versions (`[cleanup] remove-retired`): a deployment version that
//! a newer version of its unit replaced, all of whose process versions are retired and have
//! no instance left in the store, is undeployed: its process versions are uninstalled as
//! undeploying a unit uninstalls them, and the version is marked undeployed in the store, so
//! that a restart does not install it again. The unit's newest version is never removed,
//! even when deployed retired, and a version is removed only once the version that replaced
//! it has been deployed for a minute, so that an instance it was creating as it retired is
//! stored first.

use std::time::{Duration, SystemTime};

use super::Engine;
use crate::store::{DeploymentSummary, Error, InstanceFilter, ProcessState};

/// How long a replaced version is kept after the version replacing it was deployed.
const GRACE: Duration = Duration::from_secs(60);

impl Engine {
    /// Undeploys the retired deployment versions without instances; returns the pids of the
    /// process versions removed.
    pub async fn remove_retired_versions(&self) -> Result<Vec<String>, Error> {
        let store = self.services().store.clone();
        let deployments = store.list_deployments().await?;
        let processes = store.list_processes().await?;
        let settled = SystemTime::now().checked_sub(GRACE);
        let mut removed = Vec::new();
        for deployment in deployments.iter().filter(|d| !d.undeployed) {
            let replaced = successor(&deployments, deployment)
                .is_some_and(|next| settled.is_some_and(|settled| next.deployed_at <= settled));
            if !replaced {
                continue;
            }
            let of_version: Vec<_> = processes
                .iter()
                .filter(|p| p.deployment == deployment.name && p.version == deployment.version)
                .collect();
            if of_version.is_empty() || of_version.iter().any(|p| p.state != ProcessState::Retired)
            {
                continue;
            }
            let pids: Vec<String> = of_version.iter().map(|p| p.pid.clone()).collect();
            let left = InstanceFilter {
                pids: Some(pids.clone()),
                limit: Some(1),
                ..InstanceFilter::default()
            };
            if !store.list_instances(&left).await?.is_empty() {
                continue;
            }
            for pid in &pids {
                self.uninstall(pid);
            }
            store
                .mark_version_undeployed(&deployment.name, deployment.version)
                .await?;
            tracing::info!(
                unit = %deployment.name,
                version = deployment.version,
                "Retired version undeployed: no instance of it is left"
            );
            removed.extend(pids);
        }
        Ok(removed)
    }
}

/// The version of `deployment`'s unit that came next, if any.
fn successor<'a>(
    deployments: &'a [DeploymentSummary],
    deployment: &DeploymentSummary,
) -> Option<&'a DeploymentSummary> {
    deployments
        .iter()
        .filter(|d| d.name == deployment.name && d.version > deployment.version)
        .min_by_key(|d| d.version)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::config::Configuration;
    use crate::store::{
        DeploymentRecord, Deployments, InstanceStatus, InstanceWrite, Instances, MemoryStore,
        ProcessRecord, StepCommit, Store,
    };

    fn deployment(name: &str, version: i64) -> DeploymentRecord {
        DeploymentRecord {
            name: name.to_owned(),
            version,
            checksum: format!("{name}-{version}"),
            deployed_at: UNIX_EPOCH + Duration::from_secs(version as u64),
            files: Vec::new(),
            undeployed: false,
        }
    }

    /// Stores version `version` of unit `name` with one process version in `state`.
    async fn deploy(store: &dyn Store, name: &str, version: i64, state: ProcessState) -> String {
        store
            .save_deployment(deployment(name, version))
            .await
            .unwrap();
        let pid = format!("{{urn:test}}{name}-{version}");
        let process = ProcessRecord {
            pid: pid.clone(),
            process: format!("{{urn:test}}{name}"),
            deployment: name.to_owned(),
            version,
            state,
        };
        store.save_process(process).await.unwrap();
        pid
    }

    fn write(id: i64, status: InstanceStatus, revision: i64) -> StepCommit {
        StepCommit::new(InstanceWrite {
            id,
            status,
            state: Vec::new(),
            failure: None,
            expected_revision: revision,
            create: None,
        })
    }

    async fn undeployed(store: &dyn Store) -> Vec<(String, i64)> {
        let deployments = store.list_deployments().await.unwrap();
        let gone = deployments.into_iter().filter(|d| d.undeployed);
        gone.map(|d| (d.name, d.version)).collect()
    }

    #[test]
    fn a_replaced_retired_version_is_undeployed_once_it_has_no_instance_left() {
        actix::System::new().block_on(async {
            let store = Arc::new(MemoryStore::new());
            let engine = crate::engine::tests::engine_on(Configuration::default(), store.clone());
            let old = deploy(store.as_ref(), "orders", 1, ProcessState::Retired).await;
            deploy(store.as_ref(), "orders", 2, ProcessState::Retired).await;
            deploy(store.as_ref(), "billing", 1, ProcessState::Active).await;
            deploy(store.as_ref(), "billing", 2, ProcessState::Active).await;
            // Replaced a moment ago: kept for the grace period.
            deploy(store.as_ref(), "shipping", 1, ProcessState::Retired).await;
            let just_now = DeploymentRecord {
                deployed_at: SystemTime::now(),
                ..deployment("shipping", 2)
            };
            store.save_deployment(just_now).await.unwrap();
            let id = store.reserve_instance_ids(1).await.unwrap();
            let mut first = write(id, InstanceStatus::Running, 0);
            first.instance.create = Some(old.clone());
            store.commit(first).await.unwrap();

            assert!(engine.remove_retired_versions().await.unwrap().is_empty());
            assert!(undeployed(store.as_ref()).await.is_empty());

            store
                .commit(write(id, InstanceStatus::Completed, 1))
                .await
                .unwrap();
            assert_eq!(engine.remove_retired_versions().await.unwrap(), [old]);
            // The newest version stays, retired or not, and so do active ones and the one
            // replaced a moment ago.
            assert_eq!(undeployed(store.as_ref()).await, [("orders".to_owned(), 1)]);
            assert!(engine.remove_retired_versions().await.unwrap().is_empty());
        });
    }
}
