//! The AMQP baseline: raw lapin serving a queue the way Baton's transport does, minus
//! everything Baton does with a message. It declares the same durable quorum queue, consumes
//! it with the same prefetch, and for each delivery publishes a fixed reply to `reply_to`
//! (with the request's correlation id, persistent, confirmed by the broker) and then
//! acknowledges the delivery; deliveries are handled concurrently, as the transport
//! dispatches them.

use anyhow::Context;
use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use tokio::task::JoinHandle;

/// Persistent delivery mode.
const PERSISTENT: u8 = 2;

/// A running echo server; [`Echo::stop`] ends it and deletes its queue.
pub(crate) struct Echo {
    connection: Connection,
    channel: Channel,
    queue: String,
    consumer_tag: String,
    consumer: JoinHandle<()>,
}

impl Echo {
    /// Serves `queue` on the broker at `broker`, answering every request with `reply`.
    pub(crate) async fn start(
        broker: &str,
        queue: &str,
        prefetch: u16,
        reply: String,
    ) -> anyhow::Result<Echo> {
        let connection = Connection::connect(broker, ConnectionProperties::default())
            .await
            .context("connecting to the broker")?;
        let channel = connection.create_channel().await?;
        channel
            .basic_qos(prefetch, BasicQosOptions::default())
            .await?;
        let mut quorum = FieldTable::default();
        quorum.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        channel
            .queue_declare(queue.into(), QueueDeclareOptions::durable(), quorum)
            .await?;
        let publisher = connection.create_channel().await?;
        publisher
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        let mut deliveries = channel
            .basic_consume(
                queue.into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let consumer_tag = deliveries.tag().to_string();
        let reply = bytes::Bytes::from(reply);
        let consumer = tokio::spawn(async move {
            while let Some(Ok(delivery)) = deliveries.next().await {
                let (publisher, reply) = (publisher.clone(), reply.clone());
                tokio::spawn(async move {
                    let request = &delivery.properties;
                    if let Some(reply_to) = request.reply_to() {
                        let mut properties = BasicProperties::default()
                            .with_content_type("text/xml; charset=utf-8".into())
                            .with_delivery_mode(PERSISTENT);
                        if let Some(correlation) = request.correlation_id() {
                            properties = properties.with_correlation_id(correlation.clone());
                        }
                        let published = publisher
                            .basic_publish(
                                "".into(),
                                reply_to.as_str().into(),
                                BasicPublishOptions::default(),
                                &reply,
                                properties,
                            )
                            .await;
                        if let Ok(confirm) = published {
                            let _ = confirm.await;
                        }
                    }
                    let _ = delivery.acker.ack(BasicAckOptions::default()).await;
                });
            }
        });
        Ok(Echo {
            connection,
            channel,
            queue: queue.to_owned(),
            consumer_tag,
            consumer,
        })
    }

    /// Stops consuming, deletes the queue and closes the connection. The consumer is cancelled
    /// before the queue is deleted: a cancel that reaches the broker after the deletion of a
    /// quorum queue closes the connection with an internal error.
    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        self.channel
            .basic_cancel(
                self.consumer_tag.as_str().into(),
                BasicCancelOptions::default(),
            )
            .await?;
        self.consumer.abort();
        self.channel
            .queue_delete(self.queue.as_str().into(), QueueDeleteOptions::default())
            .await?;
        self.connection.close(200, "done".into()).await?;
        Ok(())
    }
}
