//! The purge of in-memory instances: one that has not ended `[engine]
//! in-memory-instance-ttl-ms` after its creation is dropped from the memory store with its
//! correlation routes and message exchanges, its actor is stopped, and callers still waiting
//! for its reply are answered with [`Abandoned::Purged`]. A later message for it finds no
//! instance. (Instances that end leave memory at once, without waiting for the purge.)
//! The in-memory instances of a version that is undeployed are dropped at once, their
//! callers answered with [`Abandoned::Undeployed`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use super::{Abandoned, Engine};

/// The shortest and longest pause between two purges: a tenth of the time to live within
/// these bounds, so an instance outlives its time by at most that.
const CHECK_BOUNDS: (Duration, Duration) = (Duration::from_millis(50), Duration::from_secs(10));

impl Engine {
    /// Purges the in-memory instances that outlived their time to live, at intervals, until
    /// `shutdown`.
    pub async fn purge_in_memory_instances(&self, shutdown: CancellationToken) {
        let ttl_ms = self.services().config.engine.in_memory_instance_ttl_ms;
        let ttl = Duration::from_millis(ttl_ms);
        let pause = (ttl / 10).clamp(CHECK_BOUNDS.0, CHECK_BOUNDS.1);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = actix::clock::sleep(pause) => {
                    let cutoff = SystemTime::now().checked_sub(ttl).unwrap_or(UNIX_EPOCH);
                    self.purge_created_before(cutoff, ttl_ms);
                }
            }
        }
    }

    /// Purges the in-memory instances created before `cutoff`.
    fn purge_created_before(&self, cutoff: SystemTime, ttl_ms: u64) {
        let services = self.services();
        for purged in services.instances.memory().purge_created_before(cutoff) {
            let instance = purged.id;
            if let Some(process) = services.registry.process(&purged.pid) {
                process.supervisor().forget(instance);
            }
            for exchange in &purged.unanswered {
                services
                    .exchanges
                    .abandon(exchange, Abandoned::Purged { instance, ttl_ms });
            }
            tracing::info!(instance, pid = %purged.pid, ttl_ms, "In-memory instance purged: it outlived its time to live");
        }
    }

    /// Drops the in-memory instances of process version `pid`, which is no longer deployed.
    pub(super) fn drop_in_memory_instances(&self, pid: &str) {
        let services = self.services();
        for purged in services.instances.memory().purge_process(pid) {
            let instance = purged.id;
            for exchange in &purged.unanswered {
                let why = Abandoned::Undeployed {
                    instance,
                    pid: pid.to_owned(),
                };
                services.exchanges.abandon(exchange, why);
            }
            tracing::info!(instance, %pid, "In-memory instance dropped: its process version was undeployed");
        }
    }
}
