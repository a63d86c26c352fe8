//! One run of a scheduled cleanup over the store: the ended instances its filters select are
//! deleted, or cleaned of the categories it names, `[cleanup] batch` instances per
//! transaction ([`Instances::clean_up`]). The instances are read a page of `batch` at a time
//! with the store's keyset cursor, and the task yields between batches, so that the steps of
//! live instances never wait long on a cleanup.
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

/// Cleans the ended instances each of `filters` selects of `categories` in `store`, `batch`
/// at a time.
pub async fn sweep(
    store: &dyn Store,
    filters: &[InstanceFilter],
    categories: CleanupCategories,
    batch: usize,
) -> Result<Swept, Error> {
    let batch = batch.max(1);
    let mut swept = Swept::default();
    for filter in filters {
        let Some(mut page) = ended_only(filter, batch) else {
            continue;
        };
        loop {
            let found = store.list_instances(&page).await?;
            let Some(last) = found.last() else { break };
            page.after = Some(InstancePosition::of(last));
            swept = swept.and(clean_batch(store, &found, categories).await?);
            if found.len() < batch {
                break;
            }
            tokio::task::yield_now().await;
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
