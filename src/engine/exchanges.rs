//! Inbound request-response exchanges waiting for their reply. The caller's transport future
//! waits on a channel kept here under the exchange's id; the instance's `<reply>` (carried
//! out after its step is committed) completes it, or the engine abandons it when the
//! instance is gone for good. A request that comes again while its first copy awaits its
//! reply waits under the first copy's exchange. Nothing here is persisted: after a restart the callers are
//! gone, and replies to them are dropped.
//!
//! A caller outside the server gets its reply once the step that made it is durable. A
//! process of the durable store calling another one ([`super::peer::Origin`]) opens its
//! exchange to be answered early: as soon as the replying step is committed, since the caller
//! acts on the reply only through later steps of that store.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use tokio::sync::oneshot;

use crate::runtime::step::ReplyOutcome;
use crate::runtime::ExchangeId;

/// Why an exchange will never get its reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Abandoned {
    #[error("in-memory instance {instance} was purged {ttl_ms} ms after its creation ([engine] in-memory-instance-ttl-ms) without replying")]
    Purged { instance: i64, ttl_ms: u64 },
    #[error("in-memory instance {instance} was dropped without replying: its process version {pid} was undeployed")]
    Undeployed { instance: i64, pid: String },
    #[error(
        "the instance replied, but the step making the reply cannot be said to be stored: {0}"
    )]
    NotDurable(String),
}

/// What a caller waiting on an exchange gets.
pub type Answer = Result<ReplyOutcome, Abandoned>;

/// A caller waiting for its reply.
struct Waiting {
    reply: oneshot::Sender<Answer>,
    /// Answered once the replying step is committed, not once it is durable.
    early: bool,
}

/// The open inbound exchanges of this server.
pub struct Exchanges {
    waiting: DashMap<ExchangeId, Waiting>,
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

    /// Opens an exchange: its id, and the channel its reply arrives on; `early` when it is
    /// answered once the replying step is committed.
    pub fn open(&self, early: bool) -> (ExchangeId, oneshot::Receiver<Answer>) {
        let id = format!(
            "in-{}-{}",
            self.boot,
            self.counter.fetch_add(1, Ordering::Relaxed)
        );
        let (reply, receiver) = oneshot::channel();
        self.waiting.insert(id.clone(), Waiting { reply, early });
        (id, receiver)
    }

    /// Waits for the reply to exchange `id`, opened by an earlier copy of the same request
    /// (see [`super::outbox`]); one waiting already for it gets no reply.
    pub fn await_reply(&self, id: &str) -> oneshot::Receiver<Answer> {
        let (reply, receiver) = oneshot::channel();
        let waiting = Waiting {
            reply,
            early: false,
        };
        self.waiting.insert(id.to_owned(), waiting);
        receiver
    }

    /// Whether the caller of exchange `id` is answered once the replying step is committed.
    pub fn answered_early(&self, id: &str) -> bool {
        self.waiting.get(id).is_some_and(|waiting| waiting.early)
    }

    /// Delivers a reply; false when nobody waits for it any more.
    pub fn complete(&self, id: &str, outcome: ReplyOutcome) -> bool {
        self.answer(id, Ok(outcome))
    }

    /// Tells the caller of exchange `id`, if it still waits, that no reply will come.
    pub fn abandon(&self, id: &str, why: Abandoned) -> bool {
        self.answer(id, Err(why))
    }

    fn answer(&self, id: &str, answer: Answer) -> bool {
        match self.waiting.remove(id) {
            Some((_, waiting)) => waiting.reply.send(answer).is_ok(),
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
