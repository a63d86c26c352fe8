//! Connecting to a broker, and waiting between attempts with an exponential back-off.

use std::time::Duration;

use lapin::{Connection, ConnectionProperties};

use crate::amqp::config::AmqpConfig;
use crate::amqp::endpoint::redact;
use crate::error::Error;

/// Opens a connection to the broker at `uri`.
pub(crate) async fn connect(uri: &str) -> Result<Connection, Error> {
    let properties = ConnectionProperties::default().with_connection_name("baton".into());
    Connection::connect(uri, properties)
        .await
        .map_err(broker_error(uri, "connecting"))
}

/// Turns a lapin error met while `during` something on the broker at `uri` into an [`Error`].
pub(crate) fn broker_error(uri: &str, during: &'static str) -> impl FnOnce(lapin::Error) -> Error {
    let broker = redact(uri);
    move |source| Error::Broker {
        broker,
        during,
        source,
    }
}

/// The waits between reconnection attempts: doubling from the initial wait up to the maximum,
/// back to the initial wait once a connection has been established.
#[derive(Debug)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(config: &AmqpConfig) -> Self {
        let initial = Duration::from_millis(config.reconnect_initial_ms);
        Self {
            initial,
            max: Duration::from_millis(config.reconnect_max_ms),
            next: initial,
        }
    }

    /// The wait before the next attempt.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        delay
    }

    /// Starts over from the initial wait.
    pub(crate) fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum_and_resets() {
        let config = AmqpConfig {
            reconnect_initial_ms: 100,
            reconnect_max_ms: 350,
            ..AmqpConfig::default()
        };
        let mut backoff = Backoff::new(&config);
        let delays: Vec<u128> = (0..4).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 350, 350]);
        backoff.reset();
        assert_eq!(backoff.next_delay().as_millis(), 100);
    }
}
