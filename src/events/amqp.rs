//! The `amqp` listener: publishes each event as JSON to a topic exchange of the broker of
//! `[amqp] url`, with the event's type (e.g. `ActivityExecStartEvent`) as routing key, and
//! returns once the broker confirmed the batch.

use std::sync::Arc;

use baton_transports::amqp::AmqpPublisher;
use futures::future::BoxFuture;

use super::{EventListener, ListenerError, StepEvents};

/// Publishes events to an AMQP exchange.
pub struct AmqpListener {
    publisher: AmqpPublisher,
}

impl AmqpListener {
    /// Publishes to the topic exchange `exchange` (declared durable) of the broker at `broker`.
    pub fn new(broker: &str, exchange: &str) -> Self {
        Self {
            publisher: AmqpPublisher::new(broker, exchange),
        }
    }
}

impl EventListener for AmqpListener {
    fn deliver<'a>(
        &'a self,
        batch: &'a [Arc<StepEvents>],
    ) -> BoxFuture<'a, Result<(), ListenerError>> {
        Box::pin(async move {
            let mut messages = Vec::new();
            for record in batch.iter().flat_map(|step| step.records()) {
                let body = serde_json::to_vec(&record)
                    .map_err(|error| ListenerError(error.to_string()))?;
                messages.push((record.event.kind.as_str().to_owned(), body));
            }
            self.publisher
                .publish(&messages)
                .await
                .map_err(|error| ListenerError(error.to_string()))
        })
    }
}
