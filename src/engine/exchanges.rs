//! Inbound request-response exchanges waiting for their reply. The caller's transport future
//! waits on a channel kept here under the exchange's id; the instance's `<reply>` (carried
//! out after its step is committed) completes it. Nothing here is persisted: after a
//! restart the callers are gone, and replies to them are dropped.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use tokio::sync::oneshot;

use crate::runtime::step::ReplyOutcome;
use crate::runtime::ExchangeId;

/// The open inbound exchanges of this server.
pub struct Exchanges {
    waiting: DashMap<ExchangeId, oneshot::Sender<ReplyOutcome>>,
    /// Distinguishes this run's exchange ids from earlier runs' ones kept in instance state.
    boot: String,
    counter: AtomicU64,
}

impl Exchanges {
    pub fn new() -> Self {
        let boot = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default();
        Self {
            waiting: DashMap::new(),
            boot: format!("{boot:x}"),
            counter: AtomicU64::new(0),
        }
    }

    /// Opens an exchange: its id, and the channel its reply arrives on.
    pub fn open(&self) -> (ExchangeId, oneshot::Receiver<ReplyOutcome>) {
        let id = format!(
            "in-{}-{}",
            self.boot,
            self.counter.fetch_add(1, Ordering::Relaxed)
        );
        let (sender, receiver) = oneshot::channel();
        self.waiting.insert(id.clone(), sender);
        (id, receiver)
    }

    /// Delivers a reply; false when nobody waits for it any more.
    pub fn complete(&self, id: &str, outcome: ReplyOutcome) -> bool {
        match self.waiting.remove(id) {
            Some((_, sender)) => sender.send(outcome).is_ok(),
            None => false,
        }
    }

    /// Forgets an exchange whose caller gave up.
    pub fn cancel(&self, id: &str) {
        self.waiting.remove(id);
    }
}

impl Default for Exchanges {
    fn default() -> Self {
        Self::new()
    }
}
