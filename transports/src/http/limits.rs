//! Enforcing the client's connection limits: one semaphore for all calls in flight and one per
//! host:port. reqwest pools connections but does not bound how many it opens, so every call
//! holds a permit of each kind until its reply has been read.
//!
//! The per-host semaphores live as long as the client; hosts come from deployed endpoints, so
//! there are few of them.

use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The permits a call in flight holds; dropping it frees the slots.
pub(crate) struct Permit {
    _host: OwnedSemaphorePermit,
    _total: OwnedSemaphorePermit,
}

/// The connection limits shared by the clones of one client.
#[derive(Clone)]
pub(crate) struct ConnectionLimits {
    total: Arc<Semaphore>,
    per_host: Arc<DashMap<String, Arc<Semaphore>>>,
    per_host_limit: usize,
}

impl ConnectionLimits {
    pub(super) fn new(total: usize, per_host: usize) -> Self {
        Self {
            total: Arc::new(Semaphore::new(total)),
            per_host: Arc::new(DashMap::new()),
            per_host_limit: per_host,
        }
    }

    /// Waits for a slot at `host` (host:port) and then for one overall; the host slot is taken
    /// first so that a busy host does not hold overall slots others could use.
    pub(super) async fn acquire(&self, host: &str) -> Permit {
        let host_semaphore = self
            .per_host
            .entry(host.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_host_limit)))
            .clone();
        let host = host_semaphore.acquire_owned().await;
        let total = Arc::clone(&self.total).acquire_owned().await;
        match (host, total) {
            (Ok(host), Ok(total)) => Permit {
                _host: host,
                _total: total,
            },
            _ => unreachable!("connection semaphores are never closed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[tokio::test]
    async fn per_host_and_total_limits_hold() {
        let limits = ConnectionLimits::new(3, 2);
        let a1 = limits.acquire("a:80").await;
        let _a2 = limits.acquire("a:80").await;
        assert!(
            limits.acquire("a:80").now_or_never().is_none(),
            "third slot at a:80"
        );
        let _b1 = limits.acquire("b:80").await;
        assert!(
            limits.acquire("b:80").now_or_never().is_none(),
            "fourth slot overall"
        );
        drop(a1);
        assert!(limits.acquire("b:80").now_or_never().is_some());
    }
}
