//! What a case's server has done so far, read from its store: how many message exchanges
//! it has taken in, how many calls to partners are still out, and whether every instance
//! has ended. The runners await these
//! conditions instead of fixed delays, and stop waiting for a reply that can no longer come.

use std::future::Future;
use std::time::{Duration, Instant};

use std::sync::Arc;

use baton::store::{
    ExchangeDirection, ExchangeRecord, ExchangeStatus, InstanceFilter, InstanceStatus, Store,
};

use crate::common::Dirs;

/// How long every instance must have stayed ended, with a reply still missing, before the
/// reply is given up: a reply is sent just after the step that ends the instance is stored.
const ENDED_GRACE: Duration = Duration::from_millis(1000);

/// How often the store is looked at.
const POLL: Duration = Duration::from_millis(25);

/// A view of a running server's store.
pub(crate) struct Progress {
    store: Arc<dyn Store>,
}

impl Progress {
    /// Opens the store of the server running on `dirs`.
    pub(crate) async fn open(dirs: &Dirs) -> Result<Self, String> {
        let store = dirs
            .store()
            .await
            .map_err(|e| format!("cannot open the server's store: {e}"))?;
        Ok(Progress { store })
    }

    /// The message exchanges the server has recorded so far.
    pub(crate) async fn exchange_count(&self) -> usize {
        self.exchanges().await.len()
    }

    /// The calls to partners still awaiting their outcome.
    pub(crate) async fn pending_calls(&self) -> usize {
        self.exchanges()
            .await
            .iter()
            .filter(|e| {
                e.direction == ExchangeDirection::Out && e.status == ExchangeStatus::Pending
            })
            .count()
    }

    async fn exchanges(&self) -> Vec<ExchangeRecord> {
        let Ok(instances) = self.store.list_instances(&InstanceFilter::default()).await else {
            return Vec::new();
        };
        let mut exchanges = Vec::new();
        for instance in instances {
            exchanges.extend(self.store.exchanges(instance.id).await.unwrap_or_default());
        }
        exchanges
    }

    /// When there are instances and none is running any more: how each ended.
    pub(crate) async fn all_ended(&self) -> Option<String> {
        let instances = self
            .store
            .list_instances(&InstanceFilter::default())
            .await
            .ok()?;
        if instances.is_empty()
            || instances
                .iter()
                .any(|i| i.status == InstanceStatus::Running)
        {
            return None;
        }
        let endings: Vec<String> = instances
            .iter()
            .map(|i| match &i.failure {
                Some(failure) => format!("instance {} {}: {failure}", i.id, i.status),
                None => format!("instance {} {}", i.id, i.status),
            })
            .collect();
        Some(endings.join("; "))
    }

    /// Awaits `answer`, the reply to a request in flight, at most `patience`; gives up
    /// early once every instance has ended and the reply is still missing.
    pub(crate) async fn await_answer<T>(
        &self,
        answer: impl Future<Output = T>,
        patience: Duration,
    ) -> Result<T, String> {
        let deadline = Instant::now() + patience;
        tokio::pin!(answer);
        let mut ended_since: Option<Instant> = None;
        loop {
            tokio::select! {
                result = &mut answer => return Ok(result),
                _ = tokio::time::sleep(POLL) => {}
            }
            if Instant::now() >= deadline {
                return Err(format!("no reply within {patience:?}"));
            }
            match self.all_ended().await {
                None => ended_since = None,
                Some(endings) => {
                    let since = *ended_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= ENDED_GRACE {
                        return Err(format!(
                            "no reply, and no instance is left to send one: {endings}"
                        ));
                    }
                }
            }
        }
    }

    pub(crate) async fn close(self) {
        self.store.close().await;
    }
}
