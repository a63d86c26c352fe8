//! The `store` listener: keeps instances' events in the store's event log, a row per step
//! (its events as a JSON array), which instance timelines read, and deletes those older than
//! `[events.store] retention-days` once an hour. A process's own events (no instance) are not
//! kept.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use super::{EventListener, ListenerError, StepEvents};
use crate::store::{Store, StoredEvents};

/// How often retention runs.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// Events deleted per transaction by retention.
const RETENTION_BATCH: u32 = 1000;

/// Keeps events in the store.
pub struct StoreListener {
    log: Arc<dyn Store>,
}

impl StoreListener {
    /// Keeps events in `log`; with `retention_days` above 0, a task of the current runtime
    /// deletes those older than that at once and then every hour.
    pub fn new(log: Arc<dyn Store>, retention_days: u32) -> Self {
        if retention_days > 0 {
            let keep_ms = i64::from(retention_days) * 86_400_000;
            let store = log.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(RETENTION_EVERY);
                loop {
                    every.tick().await;
                    let before = crate::engine::now_ms() - keep_ms;
                    match store.delete_events_before(before, RETENTION_BATCH).await {
                        Ok(0) => {}
                        Ok(deleted) => {
                            tracing::info!(deleted, "Events past their retention deleted")
                        }
                        Err(error) => {
                            tracing::warn!(%error, "Events past their retention not deleted")
                        }
                    }
                }
            });
        }
        Self { log }
    }
}

impl EventListener for StoreListener {
    fn deliver<'a>(
        &'a self,
        batch: &'a [Arc<StepEvents>],
    ) -> BoxFuture<'a, Result<(), ListenerError>> {
        Box::pin(async move {
            let mut rows = Vec::with_capacity(batch.len());
            for step in batch {
                let Some(instance_id) = step.instance else {
                    continue;
                };
                let body = serde_json::to_string(&step.events)
                    .map_err(|error| ListenerError(error.to_string()))?;
                rows.push(StoredEvents {
                    id: 0,
                    instance_id,
                    pid: step.pid.clone(),
                    at_ms: step.at_ms,
                    body,
                });
            }
            self.log
                .append_events(&rows)
                .await
                .map_err(|error| ListenerError(error.to_string()))
        })
    }

    fn forget(&self, instance: i64) -> BoxFuture<'_, Result<(), ListenerError>> {
        Box::pin(async move {
            self.log
                .delete_instance_events(instance)
                .await
                .map(drop)
                .map_err(|error| ListenerError(error.to_string()))
        })
    }
}
