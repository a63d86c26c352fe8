//! Publishing to a topic exchange with publisher confirms: for notifications that are not
//! requests, such as the server's BPEL events.
//!
//! The publisher keeps one connection and channel, opened (and the exchange declared,
//! durable) on first use, and replaced on the next call after a failure.

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ExchangeKind};
use tokio::sync::Mutex;

use crate::amqp::connection::{broker_error, connect};
use crate::amqp::endpoint::redact;
use crate::amqp::properties::PERSISTENT;
use crate::error::Error;

/// Publishes messages to one exchange of one broker.
pub struct AmqpPublisher {
    broker: String,
    exchange: String,
    link: Mutex<Option<(Connection, Channel)>>,
}

impl AmqpPublisher {
    /// A publisher to the topic exchange `exchange` of the broker at `broker` (an amqp:// URI).
    pub fn new(broker: &str, exchange: &str) -> Self {
        Self {
            broker: broker.to_owned(),
            exchange: exchange.to_owned(),
            link: Mutex::new(None),
        }
    }

    /// Publishes each (routing key, JSON body) persistently, and returns once the broker
    /// has confirmed them all.
    pub async fn publish(&self, messages: &[(String, Vec<u8>)]) -> Result<(), Error> {
        let mut link = self.link.lock().await;
        if link
            .as_ref()
            .is_none_or(|(connection, _)| !connection.status().connected())
        {
            *link = Some(self.open().await?);
        }
        let (_, channel) = link.as_ref().expect("the link was opened");
        let result = self.publish_on(channel, messages).await;
        if result.is_err() {
            *link = None;
        }
        result
    }

    async fn open(&self) -> Result<(Connection, Channel), Error> {
        let connection = connect(&self.broker).await?;
        let failed = |during| broker_error(&self.broker, during);
        let channel = connection
            .create_channel()
            .await
            .map_err(failed("opening a channel"))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(failed("selecting publisher confirms"))?;
        let options = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        channel
            .exchange_declare(
                self.exchange.as_str().into(),
                ExchangeKind::Topic,
                options,
                FieldTable::default(),
            )
            .await
            .map_err(failed("declaring the exchange"))?;
        Ok((connection, channel))
    }

    async fn publish_on(
        &self,
        channel: &Channel,
        messages: &[(String, Vec<u8>)],
    ) -> Result<(), Error> {
        let failed = |during| broker_error(&self.broker, during);
        let mut confirms = Vec::with_capacity(messages.len());
        for (routing_key, body) in messages {
            let properties = BasicProperties::default()
                .with_content_type("application/json".into())
                .with_delivery_mode(PERSISTENT);
            let confirm = channel
                .basic_publish(
                    self.exchange.as_str().into(),
                    routing_key.as_str().into(),
                    BasicPublishOptions::default(),
                    body,
                    properties,
                )
                .await
                .map_err(failed("publishing"))?;
            confirms.push(confirm);
        }
        for confirm in confirms {
            let confirmation = confirm
                .await
                .map_err(failed("waiting for the broker's confirm"))?;
            if confirmation.is_nack() {
                let url = format!("{} exchange {}", redact(&self.broker), self.exchange);
                return Err(Error::NotConfirmed { url });
            }
        }
        Ok(())
    }
}
