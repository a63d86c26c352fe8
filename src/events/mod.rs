//! Event listeners: where the BPEL events of committed steps go (the events themselves, and
//! which a process emits, are the state machine's: see [`crate::runtime::events`]).
//!
//! A listener is an [`EventListener`], registered by name: `log`, `jsonl`, `amqp` and `store`
//! are built in, and a program running Baton registers its own through
//! [`crate::plugins::PlugIns::with_listener`]; `[events] listeners` names those that run.
//! The [`EventBus`] gives each running listener a bounded queue and a thread of its own, and
//! hands it the events in batches: a listener that is slow, blocks or fails never slows or
//! fails an instance. When its queue is full, new events are dropped for it and counted (see
//! [`ListenerReport`]).

mod amqp;
mod bus;
mod jsonl;
mod log;
mod store;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::config::Configuration;
use crate::runtime::events::Event;
use crate::store::Store;

pub use amqp::AmqpListener;
pub use bus::{EventBus, ListenerReport};
pub use jsonl::JsonLinesListener;
pub use log::LogListener;
pub use store::StoreListener;

/// The events of one committed step, with where and when they happened: what listeners
/// receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepEvents {
    /// The process version.
    pub pid: String,
    /// The instance, if the events are an instance's (a message no instance correlates
    /// with is the process's).
    pub instance: Option<i64>,
    /// When the step ran, in ms since the Unix epoch.
    pub at_ms: i64,
    /// In the order they happened.
    pub events: Vec<Event>,
}

impl StepEvents {
    /// Each event with where and when it happened, as one JSON object shows it.
    pub fn records(&self) -> impl Iterator<Item = RecordView<'_>> {
        self.events.iter().map(move |event| RecordView {
            pid: &self.pid,
            instance: self.instance,
            at_ms: self.at_ms,
            event,
        })
    }
}

/// An event with where and when it happened, borrowed from its [`StepEvents`], to write.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RecordView<'a> {
    pub pid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<i64>,
    pub at_ms: i64,
    #[serde(flatten)]
    pub event: &'a Event,
}

/// An event with where and when it happened, as the management API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventRecord {
    /// The process version.
    pub pid: String,
    /// The instance, if the event is one of an instance (a message no instance correlates
    /// with is the process's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<i64>,
    /// When its step ran, in ms since the Unix epoch.
    pub at_ms: i64,
    #[serde(flatten)]
    pub event: Event,
}

/// Why the listeners could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("[events] listeners: no listener is named '{name}' (built in: log, jsonl, amqp, store{registered})")]
    Unknown { name: String, registered: String },
    #[error("[events] listeners: 'amqp' publishes to the broker of [amqp] url, which is not set")]
    NoBroker,
    #[error("[events] listeners: cannot start a listener's thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// Starts the listeners `[events] listeners` names, each the one registered under its name
/// in `registered`, else the built-in one; the `store` listener keeps events in `store`.
pub fn start(
    config: &Configuration,
    registered: &EventListeners,
    store: &Arc<dyn Store>,
) -> Result<EventBus, StartError> {
    let settings = &config.events;
    let mut listeners = Vec::new();
    for name in &settings.listeners {
        let listener: Arc<dyn EventListener> = match (registered.get(name), name.as_str()) {
            (Some(listener), _) => listener,
            (None, "log") => Arc::new(LogListener),
            (None, "jsonl") => Arc::new(JsonLinesListener::new(
                config.store.data_dir.join(&settings.jsonl.path),
                settings.jsonl.max_bytes,
                settings.jsonl.keep,
            )),
            (None, "amqp") => {
                let broker = config.amqp.url.as_deref().ok_or(StartError::NoBroker)?;
                Arc::new(AmqpListener::new(broker, &settings.amqp.exchange))
            }
            (None, "store") => Arc::new(StoreListener::new(
                store.clone(),
                settings.store.retention_days,
            )),
            (None, _) => {
                let registered: String = registered.names().map(|n| format!(", {n}")).collect();
                return Err(StartError::Unknown {
                    name: name.clone(),
                    registered,
                });
            }
        };
        listeners.push((name.clone(), listener));
    }
    Ok(EventBus::start(listeners, settings)?)
}

/// Why a listener could not take a batch.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ListenerError(pub String);

/// Something that receives events.
pub trait EventListener: Send + Sync + 'static {
    /// Takes the events of a batch of steps, in the order the steps committed. A failed
    /// batch is counted and logged, and not offered again. It runs on the listener's own
    /// thread: blocking there delays only this listener.
    fn deliver<'a>(
        &'a self,
        batch: &'a [Arc<StepEvents>],
    ) -> BoxFuture<'a, Result<(), ListenerError>>;

    /// Forgets what it keeps of instance `instance`, whose cleanup deleted its events; it
    /// comes after every event of that instance. Listeners that keep nothing ignore it.
    fn forget(&self, instance: i64) -> BoxFuture<'_, Result<(), ListenerError>> {
        let _ = instance;
        Box::pin(futures::future::ready(Ok(())))
    }
}

/// Listeners by name. Cheap to clone.
#[derive(Clone, Default)]
pub struct EventListeners {
    by_name: BTreeMap<String, Arc<dyn EventListener>>,
}

impl std::fmt::Debug for EventListeners {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_list().entries(self.by_name.keys()).finish()
    }
}

impl EventListeners {
    /// These listeners and `listener` as `name` (replacing one of that name).
    pub fn with(mut self, name: impl Into<String>, listener: impl EventListener) -> Self {
        self.by_name.insert(name.into(), Arc::new(listener));
        self
    }

    /// The listener registered as `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn EventListener>> {
        self.by_name.get(name).cloned()
    }

    /// The names registered.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}
