//! Bulk operations an operator starts by filter: deleting the ended instances an instance
//! filter selects. Each runs as a task of its own, in transactions of `[cleanup] batch`
//! instances with a yield between them (see [`super::sweep`]), so that live instances never
//! wait long for it, and tells its progress after every batch. The management API starts
//! them and reads them; the last [`KEPT`] are remembered.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

use super::sweep::{sweep_telling, Pace, Swept};
use crate::model::CleanupCategories;
use crate::store::{InstanceFilter, Store};

/// How many operations are remembered, running or ended.
pub const KEPT: usize = 100;

/// Where an operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OperationStatus {
    Running,
    Done,
    Failed,
}

/// An operation as operators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Operation {
    pub id: u64,
    /// What it does: `delete`.
    pub kind: String,
    /// The instance filter it was started with.
    pub filter: String,
    pub status: OperationStatus,
    /// Instances deleted so far.
    pub deleted: u64,
    /// Ended instances it selected but could not delete (saved meanwhile, or unreadable).
    pub skipped: u64,
    /// Transactions written so far.
    pub batches: u64,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// The operations of this server.
#[derive(Debug, Default)]
pub struct BulkOperations {
    last_id: AtomicU64,
    kept: Mutex<VecDeque<Arc<Mutex<Operation>>>>,
}

impl BulkOperations {
    /// Starts deleting the ended instances `filter` (written `text`) selects in `store`, at
    /// `pace`, on the current runtime; returns the operation as started.
    pub fn delete(
        &self,
        store: Arc<dyn Store>,
        filter: InstanceFilter,
        text: &str,
        pace: Pace,
    ) -> Operation {
        let operation = Operation {
            id: self.last_id.fetch_add(1, Ordering::Relaxed) + 1,
            kind: "delete".into(),
            filter: text.to_owned(),
            status: OperationStatus::Running,
            deleted: 0,
            skipped: 0,
            batches: 0,
            error: None,
        };
        let shared = Arc::new(Mutex::new(operation.clone()));
        {
            let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
            if kept.len() == KEPT {
                kept.pop_front();
            }
            kept.push_back(shared.clone());
        }
        tokio::spawn(async move {
            let tell = |swept: Swept| record(&shared, swept, OperationStatus::Running);
            let outcome = sweep_telling(
                store.as_ref(),
                std::slice::from_ref(&filter),
                CleanupCategories::ALL,
                pace,
                &tell,
            )
            .await;
            match outcome {
                Ok(swept) => record(&shared, swept, OperationStatus::Done),
                Err(error) => {
                    let mut operation = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    tracing::warn!(operation = operation.id, %error, "Bulk delete failed");
                    operation.status = OperationStatus::Failed;
                    operation.error = Some(error.to_string());
                }
            }
        });
        operation
    }

    /// The operation `id`, if remembered.
    pub fn get(&self, id: u64) -> Option<Operation> {
        self.all().into_iter().find(|operation| operation.id == id)
    }

    /// Every remembered operation, oldest first.
    pub fn all(&self) -> Vec<Operation> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.iter()
            .map(|shared| {
                shared
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()
            })
            .collect()
    }
}

/// Writes what a run did so far into `shared`, with `status`.
fn record(shared: &Mutex<Operation>, swept: Swept, status: OperationStatus) {
    let mut operation = shared.lock().unwrap_or_else(PoisonError::into_inner);
    operation.deleted = swept.cleaned;
    operation.skipped = swept.refused;
    operation.batches = swept.transactions;
    operation.status = status;
}
