//! Configuration of the AMQP transport, read with serde (kebab-case keys) and with defaults for
//! every field.

use std::time::Duration;

use serde::Deserialize;

use crate::error::Error;
use crate::xml::XmlLimits;

/// How the AMQP transport connects, consumes and invokes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct AmqpConfig {
    /// The broker the served queues live on, as an AMQP URI
    /// (`amqp://user:password@host:port/vhost`).
    pub url: String,
    /// How many unacknowledged messages a served queue hands out at once; also how many are
    /// dispatched concurrently.
    pub prefetch: u16,
    /// The first wait before reconnecting to a broker that went away.
    pub reconnect_initial_ms: u64,
    /// The longest wait between reconnection attempts; the wait doubles up to it.
    pub reconnect_max_ms: u64,
    /// How long an invoke waits for its reply.
    pub invoke_timeout_ms: u64,
    /// How many times a message is delivered before it is dead-lettered instead of dispatched
    /// once more.
    pub max_deliveries: u32,
    /// The exchange dead letters are published to; a durable queue of the same name is bound
    /// to it so that they are kept.
    pub dead_letter_exchange: String,
    /// How many recently settled message ids are remembered per served queue, so that a
    /// message delivered again (after a lost acknowledgement or a publisher's retry) is answered
    /// without being dispatched twice. This takes a message id to name one message, as JMS ids
    /// do; for publishers that reuse ids, 0 turns it off.
    pub dedup_window: usize,
    /// What an inbound message may contain, as for HTTP requests: the server's `[xml]`
    /// section, not a key of `[amqp]`.
    #[serde(skip)]
    pub xml_limits: XmlLimits,
}

impl Default for AmqpConfig {
    fn default() -> Self {
        Self {
            url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            prefetch: 16,
            reconnect_initial_ms: 100,
            reconnect_max_ms: 30_000,
            invoke_timeout_ms: 120_000,
            max_deliveries: 5,
            dead_letter_exchange: "baton.dead-letter".into(),
            dedup_window: 10_000,
            xml_limits: XmlLimits::default(),
        }
    }
}

impl AmqpConfig {
    /// How long an invoke waits for its reply.
    pub fn invoke_timeout(&self) -> Duration {
        Duration::from_millis(self.invoke_timeout_ms)
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.prefetch == 0 {
            return Err(Error::Config("prefetch must be at least 1".into()));
        }
        if self.max_deliveries == 0 {
            return Err(Error::Config("max-deliveries must be at least 1".into()));
        }
        if self.reconnect_initial_ms == 0 || self.reconnect_max_ms < self.reconnect_initial_ms {
            return Err(Error::Config(
                "reconnect-initial-ms must be at least 1 and at most reconnect-max-ms".into(),
            ));
        }
        if self.invoke_timeout_ms == 0 {
            return Err(Error::Config("invoke-timeout-ms must be at least 1".into()));
        }
        if self.dead_letter_exchange.is_empty() {
            return Err(Error::Config(
                "dead-letter-exchange must name an exchange".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_keys_are_kebab_case() {
        AmqpConfig::default().validate().unwrap();
        let config: AmqpConfig = from_pairs(&[("prefetch", 4), ("max-deliveries", 2)]);
        assert_eq!(config.prefetch, 4);
        assert_eq!(config.max_deliveries, 2);
        assert_eq!(config.dead_letter_exchange, "baton.dead-letter");
    }

    #[test]
    fn unusable_values_are_refused() {
        let refused = |config: AmqpConfig| matches!(config.validate(), Err(Error::Config(_)));
        let default = AmqpConfig::default;
        assert!(refused(AmqpConfig {
            prefetch: 0,
            ..default()
        }));
        assert!(refused(AmqpConfig {
            max_deliveries: 0,
            ..default()
        }));
        assert!(refused(AmqpConfig {
            invoke_timeout_ms: 0,
            ..default()
        }));
        assert!(refused(AmqpConfig {
            reconnect_initial_ms: 500,
            reconnect_max_ms: 100,
            ..default()
        }));
        assert!(refused(AmqpConfig {
            dead_letter_exchange: String::new(),
            ..default()
        }));
    }

    /// Deserialises a config from key-value pairs, as a configuration file would give them.
    fn from_pairs(pairs: &[(&str, u64)]) -> AmqpConfig {
        use serde::de::value::{Error as DeError, MapDeserializer};
        let map = MapDeserializer::<_, DeError>::new(pairs.iter().copied());
        AmqpConfig::deserialize(map).unwrap()
    }
}
