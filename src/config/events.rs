//! # Events and their listeners: `[events]`
//!
//! Which listeners receive the BPEL events of the processes (deploy.xml's
//! `<process-events>` says which events a process generates), and how much each may fall
//! behind before events are dropped for it.

use std::path::PathBuf;

use serde::Deserialize;

/// `[events]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct EventsConfig {
    /// The listeners that receive events, by name: `log`, `jsonl`, `amqp` and `store` are
    /// built in; none by default.
    pub listeners: Vec<String>,
    /// Events waiting per listener; a step whose events would not fit is dropped for that
    /// listener, and its events counted.
    pub queue: usize,
    /// The most steps whose events are handed to a listener at once.
    pub batch: usize,
    pub jsonl: JsonLinesConfig,
    pub amqp: AmqpEventsConfig,
    pub store: StoreEventsConfig,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            listeners: Vec::new(),
            queue: 10_000,
            batch: 500,
            jsonl: JsonLinesConfig::default(),
            amqp: AmqpEventsConfig::default(),
            store: StoreEventsConfig::default(),
        }
    }
}

/// `[events.jsonl]`: the `jsonl` listener writes one JSON object per line.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct JsonLinesConfig {
    /// The file; relative paths are under the data directory.
    pub path: PathBuf,
    /// The size at which the file is rotated to `<path>.1` (and older ones shift up).
    pub max_bytes: u64,
    /// Rotated files kept.
    pub keep: usize,
}

impl Default for JsonLinesConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("events.jsonl"),
            max_bytes: 100 * 1024 * 1024,
            keep: 5,
        }
    }
}

/// `[events.amqp]`: the `amqp` listener publishes to the broker of `[amqp] url`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct AmqpEventsConfig {
    /// The topic exchange events are published to, with the event type as routing key.
    pub exchange: String,
}

impl Default for AmqpEventsConfig {
    fn default() -> Self {
        Self {
            exchange: "baton.events".into(),
        }
    }
}

/// `[events.store]`: the `store` listener keeps events in the store, for instance
/// timelines.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct StoreEventsConfig {
    /// Days a step's events are kept; 0 keeps them until their instance's are deleted.
    pub retention_days: u32,
}

impl Default for StoreEventsConfig {
    fn default() -> Self {
        Self { retention_days: 30 }
    }
}

impl EventsConfig {
    pub(super) fn problems(&self, problems: &mut Vec<String>) {
        if self.queue == 0 {
            problems.push("events.queue must be positive".into());
        }
        if self.batch == 0 {
            problems.push("events.batch must be positive".into());
        }
        if self.jsonl.max_bytes == 0 {
            problems.push("events.jsonl.max-bytes must be positive".into());
        }
        if self.amqp.exchange.is_empty() {
            problems.push("events.amqp.exchange must name an exchange".into());
        }
    }
}
