//! One run of a scheduled cleanup over the store: the ended instances its filters select are
//! deleted, or cleaned of the categories it names, `[cleanup] batch` instances per
//! transaction ([`Instances::clean_up`]). The instances are read a page of `batch` at a time
//! with the store's keyset cursor, and the task pauses after each batch so that its batches
//! take at most `[cleanup] share` of the time: live instances have the store the rest of it.
//!
//! Only ended instances (completed, faulted, failed or terminated) are touched: each filter
//! is narrowed to those statuses, so a running or suspended instance it selects is skipped.
//! The store refuses an instance saved since it was read; it is counted and left for the
//! next run. Reads and writes go through the [`Store`] trait only, so a run is the same on
//! every backend.

use super::cleanup::{clean_commit, clean_state};
use crate::model::CleanupCategories;
use crate::runtime::InstanceState;
use crate::store::{
    Error, InstanceFilter, InstancePosition, InstanceStatus, InstanceSummary, InstanceWrite,
    StepCommit, Store,
};

/// The statuses of ended instances, the only ones a cleanup touches.
const ENDED: [InstanceStatus; 4] = [
    InstanceStatus::Completed,
    InstanceStatus::Faulted,
    InstanceStatus::Failed,
    InstanceStatus::Terminated,
];

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Instances deleted, or cleaned of the categories named.
    pub cleaned: u64,
    /// Instances left as they were: saved since they were read, or whose state cannot be
    /// read; the next run tries again.
    pub refused: u64,
    /// Transactions written, one per batch.
    pub transactions: u64,
}

impl Swept {
    /// This run's counts and `other`'s together.
    pub fn and(self, other: Swept) -> Swept {
        Swept {
            cleaned: self.cleaned + other.cleaned,
            refused: self.refused + other.refused,
            transactions: self.transactions + other.transactions,
        }
    }
}

/// How fast a run goes: `batch` instances per transaction, and transactions taking at most
/// `share` percent of the time (a run pauses after each for as long as that takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub batch: usize,
    pub share: u8,
}

impl Pace {
    /// The pace `[cleanup]` sets.
    pub fn of(config: &crate::config::CleanupConfig) -> Self {
        Self {
            batch: config.batch,
            share: config.share,
        }
    }

    /// The pause after a batch that took `took`.
    fn pause(self, took: std::time::Duration) -> std::time::Duration {
        let share = u32::from(self.share.clamp(1, 100));
        took * (100 - share) / share
    }
}

/// Batches of `batch` instances, without pauses.
impl From<usize> for Pace {
    fn from(batch: usize) -> Self {
        Self { batch, share: 100 }
    }
}

/// Cleans the ended instances each of `filters` selects of `categories` in `store`, at
/// `pace`.
pub async fn sweep(
    store: &dyn Store,
    filters: &[InstanceFilter],
    categories: CleanupCategories,
    pace: impl Into<Pace>,
) -> Result<Swept, Error> {
    sweep_telling(store, filters, categories, pace.into(), &|_| {}).await
}

/// [`sweep`], telling `progress` what the run did so far after each batch.
pub async fn sweep_telling(
    store: &dyn Store,
    filters: &[InstanceFilter],
    categories: CleanupCategories,
    pace: Pace,
    progress: &(dyn Fn(Swept) + Sync),
) -> Result<Swept, Error> {
    let batch = pace.batch.max(1);
    let mut swept = Swept::default();
    if categories == CleanupCategories::default() {
        return Ok(swept);
    }
    for filter in filters {
        let Some(mut page) = ended_only(filter, batch) else {
            continue;
        };
        loop {
            let found = store.list_instances(&page).await?;
            let Some(last) = found.last() else { break };
            page.after = Some(InstancePosition::of(last));
            let began = std::time::Instant::now();
            swept = swept.and(clean_batch(store, &found, categories).await?);
            progress(swept);
            if found.len() < batch {
                break;
            }
            tokio::time::sleep(pace.pause(began.elapsed())).await;
        }
    }
    Ok(swept)
}

/// `filter` narrowed to ended instances, a page of `batch` at a time from the first; None
/// when it selects no ended status.
fn ended_only(filter: &InstanceFilter, batch: usize) -> Option<InstanceFilter> {
    let statuses: Vec<InstanceStatus> = match filter.statuses.as_slice() {
        [] => ENDED.to_vec(),
        chosen => chosen
            .iter()
            .copied()
            .filter(|status| ENDED.contains(status))
            .collect(),
    };
    if statuses.is_empty() {
        return None;
    }
    Some(InstanceFilter {
        statuses,
        after: None,
        limit: Some(u32::try_from(batch).unwrap_or(u32::MAX)),
        ..filter.clone()
    })
}

/// Cleans `instances` of `categories` in one transaction.
async fn clean_batch(
    store: &dyn Store,
    instances: &[InstanceSummary],
    categories: CleanupCategories,
) -> Result<Swept, Error> {
    let mut swept = Swept::default();
    let mut steps = Vec::with_capacity(instances.len());
    for instance in instances {
        match cleaning(store, instance, categories).await? {
            Some(step) => steps.push(step),
            None => swept.refused += 1,
        }
    }
    if steps.is_empty() {
        return Ok(swept);
    }
    swept.transactions = 1;
    for outcome in store.clean_up(steps).await? {
        match outcome {
            Ok(_) => swept.cleaned += 1,
            Err(error) => {
                tracing::debug!(%error, "Instance left to the next scheduled cleanup");
                swept.refused += 1;
            }
        }
    }
    Ok(swept)
}

/// The step cleaning `instance` of `categories`, based on its revision as listed; None when
/// its state cannot be read (or it is gone).
async fn cleaning(
    store: &dyn Store,
    instance: &InstanceSummary,
    categories: CleanupCategories,
) -> Result<Option<StepCommit>, Error> {
    let write = |state: Vec<u8>, revision: i64| InstanceWrite {
        id: instance.id,
        status: instance.status,
        state,
        failure: instance.failure.clone(),
        expected_revision: revision,
        create: None,
    };
    let mut step = match categories.instance {
        // Everything of the instance goes: its state need not be read.
        true => StepCommit::new(write(Vec::new(), instance.revision)),
        false => {
            let Some(record) = store.load_instance(instance.id).await? else {
                return Ok(None);
            };
            let mut state = match InstanceState::from_bytes(&record.state) {
                Ok(state) => state,
                Err(error) => {
                    tracing::warn!(instance = instance.id, %error, "Scheduled cleanup skips an instance whose state cannot be read");
                    return Ok(None);
                }
            };
            clean_state(&categories, &mut state);
            let Ok(bytes) = state.to_bytes() else {
                return Ok(None);
            };
            StepCommit::new(write(bytes, record.revision))
        }
    };
    clean_commit(&categories, &mut step);
    Ok(Some(step))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::{compile, UnitSource};
    use crate::store::{
        Datasource, DeploymentRecord, ExchangeDirection, ExchangeStatus, ExchangeWrite,
        ProcessRecord, ProcessState,
    };

    #[test]
    fn a_run_pauses_after_a_batch_so_that_its_batches_take_their_share_of_the_time() {
        let took = std::time::Duration::from_millis(40);
        let pause = |share| Pace { batch: 10, share }.pause(took).as_millis();
        assert_eq!(pause(50), 40);
        assert_eq!(pause(20), 160);
        assert_eq!(pause(100), 0);
        assert_eq!(
            Pace::from(7),
            Pace {
                batch: 7,
                share: 100
            }
        );
        let config = crate::config::CleanupConfig::default();
        assert_eq!(
            Pace::of(&config),
            Pace {
                batch: 100,
                share: 50
            }
        );
    }

    /// A state of the HelloWorld test unit's process with every variable set.
    fn filled_state() -> Vec<u8> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/units");
        let unit = compile(&UnitSource::from_dir(dir.join("HelloWorld")).unwrap()).unwrap();
        let mut state = InstanceState::for_process(&unit.processes[0]);
        let scope = state.scopes[0].as_mut().unwrap();
        for value in &mut scope.variables {
            *value = Some(crate::xml::parse(b"<v>1</v>").unwrap());
        }
        state.to_bytes().unwrap()
    }

    fn has_variables(state: &[u8]) -> bool {
        let state = InstanceState::from_bytes(state).unwrap();
        let scopes = state.scopes.iter().flatten();
        scopes
            .flat_map(|scope| &scope.variables)
            .any(Option::is_some)
    }

    /// Stores an instance of `pid` that ended with `status`, with `state` and one exchange.
    async fn instance(store: &dyn Store, pid: &str, status: InstanceStatus, state: &[u8]) -> i64 {
        let id = store.reserve_instance_ids(1).await.unwrap();
        let mut first = StepCommit::new(InstanceWrite {
            id,
            status,
            state: state.to_vec(),
            failure: None,
            expected_revision: 0,
            create: Some(pid.to_owned()),
        });
        first.exchanges = vec![ExchangeWrite {
            id: format!("in-{id}"),
            partner_link: "client".to_owned(),
            operation: "hello".to_owned(),
            direction: ExchangeDirection::In,
            status: ExchangeStatus::Replied,
            request: Some(b"request".to_vec()),
            response: Some(b"reply".to_vec()),
        }];
        store.commit(first).await.unwrap();
        id
    }

    #[tokio::test]
    async fn categories_without_the_instance_clean_it_and_keep_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baton.db");
        let store = Datasource::new(path.to_string_lossy())
            .open()
            .await
            .unwrap();
        let deployment = DeploymentRecord {
            name: "hello".to_owned(),
            version: 1,
            checksum: "hello-1".to_owned(),
            deployed_at: std::time::UNIX_EPOCH,
            files: Vec::new(),
            undeployed: false,
        };
        store.save_deployment(deployment).await.unwrap();
        let pid = "{urn:baton:test:hello}HelloWorld-1";
        let process = ProcessRecord {
            pid: pid.to_owned(),
            process: "{urn:baton:test:hello}HelloWorld".to_owned(),
            deployment: "hello".to_owned(),
            version: 1,
            state: ProcessState::Active,
        };
        store.save_process(process).await.unwrap();
        let state = filled_state();
        let completed = instance(store.as_ref(), pid, InstanceStatus::Completed, &state).await;
        let running = instance(store.as_ref(), pid, InstanceStatus::Running, &state).await;
        let categories = CleanupCategories {
            variables: true,
            messages: true,
            ..CleanupCategories::default()
        };

        let swept = sweep(store.as_ref(), &[InstanceFilter::default()], categories, 10)
            .await
            .unwrap();

        assert_eq!(
            swept,
            Swept {
                cleaned: 1,
                refused: 0,
                transactions: 1
            }
        );
        let cleaned = store.load_instance(completed).await.unwrap().unwrap();
        assert_eq!(cleaned.status, InstanceStatus::Completed);
        assert!(!has_variables(&cleaned.state));
        assert!(store.exchanges(completed).await.unwrap().is_empty());
        let untouched = store.load_instance(running).await.unwrap().unwrap();
        assert!(has_variables(&untouched.state));
        assert_eq!(store.exchanges(running).await.unwrap().len(), 1);
        store.close().await;
    }
}
