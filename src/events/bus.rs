//! The event bus: one queue and one thread per running listener, so that nothing a listener
//! does reaches the steps that publish to it.
//!
//! A step's events travel together, shared by every listener. Publishing never waits: a
//! step whose events would take a listener's queue past `[events] queue` events is dropped
//! for that listener, and its events counted. Each listener's thread takes what its queue
//! holds, up to `[events] batch` steps at once, and hands it over; an instance's request to
//! forget its events is kept in order with them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::mpsc;

use super::{EventListener, StepEvents};
use crate::config::EventsConfig;
use crate::runtime::events::Event;

/// What a listener's queue carries.
enum Note {
    Step(Arc<StepEvents>),
    Forget(i64),
}

/// How a listener is doing, for operators.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ListenerReport {
    pub name: String,
    /// Events waiting in its queue.
    pub queued: u64,
    /// Events it took.
    pub delivered: u64,
    /// Events dropped because its queue was full.
    pub dropped: u64,
    /// Events of batches it failed to take.
    pub failed: u64,
}

#[derive(Default)]
struct Counters {
    queued: AtomicU64,
    delivered: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

struct Queue {
    name: String,
    sender: mpsc::UnboundedSender<Note>,
    counters: Arc<Counters>,
    capacity: u64,
}

impl Queue {
    /// Takes `step` unless its events would not fit; says whether it did.
    fn offer(&self, step: &Arc<StepEvents>) -> bool {
        let count = step.events.len() as u64;
        let fits = self
            .counters
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
                (queued + count <= self.capacity).then_some(queued + count)
            })
            .is_ok();
        if fits && self.sender.send(Note::Step(step.clone())).is_ok() {
            return true;
        }
        if fits {
            self.counters.queued.fetch_sub(count, Ordering::AcqRel);
        }
        self.counters.dropped.fetch_add(count, Ordering::Relaxed);
        false
    }
}

/// Where committed steps publish their events. Dropping it lets each listener finish its
/// queue and stop.
#[derive(Default)]
pub struct EventBus {
    queues: Vec<Queue>,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.queues.iter().map(|q| q.name.as_str()).collect();
        formatter
            .debug_struct("EventBus")
            .field("listeners", &names)
            .finish()
    }
}

impl EventBus {
    /// A bus with no listener: nothing is published.
    pub fn none() -> Self {
        Self::default()
    }

    /// Starts `listeners`, each on a thread of its own with a queue of `config.queue` events.
    pub fn start(
        listeners: Vec<(String, Arc<dyn EventListener>)>,
        config: &EventsConfig,
    ) -> std::io::Result<Self> {
        let mut queues = Vec::new();
        for (name, listener) in listeners {
            let (sender, receiver) = mpsc::unbounded_channel();
            let counters = Arc::new(Counters::default());
            let runner = Runner {
                name: name.clone(),
                listener,
                counters: counters.clone(),
                batch: config.batch,
            };
            std::thread::Builder::new()
                .name(format!("events-{name}"))
                .spawn(move || runner.run(receiver))?;
            queues.push(Queue {
                name,
                sender,
                counters,
                capacity: config.queue as u64,
            });
        }
        Ok(Self { queues })
    }

    /// Whether no listener runs, so that events need not be made at all.
    pub fn is_off(&self) -> bool {
        self.queues.is_empty()
    }

    /// Hands the events of a step of instance `instance` (None: of the process) of process
    /// version `pid`, run at `at_ms`, to every listener.
    pub fn publish(&self, pid: &str, instance: Option<i64>, at_ms: i64, events: Vec<Event>) {
        if self.queues.is_empty() || events.is_empty() {
            return;
        }
        let step = Arc::new(StepEvents {
            pid: pid.to_owned(),
            instance,
            at_ms,
            events,
        });
        for queue in &self.queues {
            queue.offer(&step);
        }
    }

    /// Tells every listener to forget instance `instance`'s events, after those published.
    pub fn forget(&self, instance: i64) {
        for queue in &self.queues {
            if queue.sender.send(Note::Forget(instance)).is_err() {
                tracing::warn!(listener = %queue.name, instance, "Event listener gone: the instance's events are left to retention");
            }
        }
    }

    /// How each listener is doing.
    pub fn reports(&self) -> Vec<ListenerReport> {
        self.queues
            .iter()
            .map(|queue| ListenerReport {
                name: queue.name.clone(),
                queued: queue.counters.queued.load(Ordering::Relaxed),
                delivered: queue.counters.delivered.load(Ordering::Relaxed),
                dropped: queue.counters.dropped.load(Ordering::Relaxed),
                failed: queue.counters.failed.load(Ordering::Relaxed),
            })
            .collect()
    }
}

/// One listener's thread.
struct Runner {
    name: String,
    listener: Arc<dyn EventListener>,
    counters: Arc<Counters>,
    batch: usize,
}

impl Runner {
    fn run(self, mut receiver: mpsc::UnboundedReceiver<Note>) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                tracing::error!(listener = %self.name, %error, "Event listener not started");
                return;
            }
        };
        runtime.block_on(async move {
            let mut notes = Vec::with_capacity(self.batch);
            while receiver.recv_many(&mut notes, self.batch).await > 0 {
                let mut batch = Vec::with_capacity(notes.len());
                for note in notes.drain(..) {
                    match note {
                        Note::Step(step) => batch.push(step),
                        Note::Forget(instance) => {
                            self.deliver(std::mem::take(&mut batch)).await;
                            if let Err(error) = self.listener.forget(instance).await {
                                tracing::warn!(listener = %self.name, instance, %error, "Event listener could not forget an instance's events");
                            }
                        }
                    }
                }
                self.deliver(batch).await;
            }
        });
    }

    async fn deliver(&self, batch: Vec<Arc<StepEvents>>) {
        if batch.is_empty() {
            return;
        }
        let count: u64 = batch.iter().map(|step| step.events.len() as u64).sum();
        let outcome = self.listener.deliver(&batch).await;
        self.counters.queued.fetch_sub(count, Ordering::AcqRel);
        match outcome {
            Ok(()) => self.counters.delivered.fetch_add(count, Ordering::Relaxed),
            Err(error) => {
                tracing::warn!(listener = %self.name, events = count, %error, "Event listener failed a batch");
                self.counters.failed.fetch_add(count, Ordering::Relaxed)
            }
        };
    }
}
