//! Serving: services bound to queues, each message handed to the [`Dispatcher`].
//!
//! [`serve`] keeps one connection to the broker. Each service's queue is declared durable (a
//! quorum queue, whose broker counts deliveries) and consumed on its own channel with the
//! configured prefetch; replies and dead letters are published on a channel with publisher
//! confirms. A message is acknowledged only after the dispatcher has returned, so after the
//! engine has committed what it caused; what becomes of it is decided in the `handling`
//! module. When the broker goes away the unacknowledged messages go back to their queues, and
//! [`serve`] reconnects with back-off and consumes again.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use lapin::options::{
    BasicConsumeOptions, BasicQosOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ExchangeKind};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::amqp::connection::{broker_error, connect, Backoff};
use crate::amqp::dedup::Settled;
use crate::amqp::endpoint::redact;
use crate::amqp::handling::{handle, Handler, Reply};
use crate::amqp::AmqpConfig;
use crate::error::Error;
use crate::message::Dispatcher;

/// How long closing a connection may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A service offered on a queue: its messages are dispatched as requests for `address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpService {
    /// The queue the service consumes.
    pub queue: String,
    /// The address the engine knows the service by (what an HTTP request's path would be).
    pub address: String,
}

/// Serves `services` on the broker of `config` until `shutdown` is cancelled, then lets the
/// messages in hand finish and closes the connection. Returns an error only for an unusable
/// configuration: a broker that goes away is reconnected to.
pub async fn serve<D: Dispatcher>(
    config: AmqpConfig,
    services: Vec<AmqpService>,
    dispatcher: D,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    config.validate()?;
    let services: Arc<[Bound]> = services
        .into_iter()
        .map(|service| Bound {
            settled: Arc::new(Settled::new(config.dedup_window)),
            service,
        })
        .collect();
    let mut backoff = Backoff::new(&config);
    loop {
        let session = Session {
            config: &config,
            services: Arc::clone(&services),
            dispatcher: dispatcher.clone(),
        };
        match session.run(&mut backoff, &shutdown).await {
            Ok(()) => return Ok(()),
            Err(error) => {
                let delay = backoff.next_delay();
                tracing::warn!(%error, ?delay, "AMQP serving interrupted; reconnecting");
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

/// Declares the queues of `services` and the dead-letter exchange, on a connection of its
/// own that is closed afterwards, so that messages sent to a service find its queue before
/// [`serve`] consumes it (a publisher's mandatory message to a missing queue comes back
/// unroutable). [`serve`] declares the same again; declaring is idempotent.
pub async fn declare_queues(config: &AmqpConfig, services: &[AmqpService]) -> Result<(), Error> {
    config.validate()?;
    let uri = config.url.as_str();
    let connection = connect(uri).await?;
    let declared = async {
        let channel = connection
            .create_channel()
            .await
            .map_err(broker_error(uri, "opening a channel"))?;
        declare_dead_letters(&channel, uri, &config.dead_letter_exchange).await?;
        for service in services {
            declare_queue(&channel, uri, &service.queue).await?;
        }
        Ok(())
    }
    .await;
    close(&connection).await;
    declared
}

/// A service with the memory of its settled messages, which outlives connections.
struct Bound {
    service: AmqpService,
    settled: Arc<Settled<Option<Reply>>>,
}

/// One connection's worth of serving.
struct Session<'c, D> {
    config: &'c AmqpConfig,
    services: Arc<[Bound]>,
    dispatcher: D,
}

impl<D: Dispatcher> Session<'_, D> {
    /// Serves until shutdown (`Ok`) or until the connection fails (`Err`); closes the
    /// connection either way.
    async fn run(self, backoff: &mut Backoff, shutdown: &CancellationToken) -> Result<(), Error> {
        let connection = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            connection = connect(&self.config.url) => connection?,
        };
        let served = self.serve_on(&connection, backoff, shutdown).await;
        close(&connection).await;
        served
    }

    async fn serve_on(
        self,
        connection: &Connection,
        backoff: &mut Backoff,
        shutdown: &CancellationToken,
    ) -> Result<(), Error> {
        let uri = self.config.url.as_str();
        let publisher = connection
            .create_channel()
            .await
            .map_err(broker_error(uri, "opening a channel"))?;
        publisher
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(broker_error(uri, "enabling publisher confirms"))?;
        declare_dead_letters(&publisher, uri, &self.config.dead_letter_exchange).await?;
        let handler = Arc::new(Handler {
            dispatcher: self.dispatcher,
            publisher,
            broker: redact(uri),
            dead_letter_exchange: self.config.dead_letter_exchange.clone(),
            max_deliveries: u64::from(self.config.max_deliveries),
            xml_limits: self.config.xml_limits.clone(),
        });
        let mut consumers = Vec::with_capacity(self.services.len());
        let mut channels = Vec::with_capacity(self.services.len());
        for (index, bound) in self.services.iter().enumerate() {
            let (channel, consumer) =
                consume(connection, uri, &bound.service.queue, self.config.prefetch).await?;
            channels.push(channel);
            consumers.push(consumer.map(move |delivery| (index, delivery)));
        }
        backoff.reset();
        tracing::info!(broker = %handler.broker, services = self.services.len(), "serving over AMQP");
        let mut deliveries = stream::select_all(consumers);
        let mut in_hand = JoinSet::new();
        let failure = loop {
            tokio::select! {
                () = shutdown.cancelled() => break None,
                next = deliveries.next() => match next {
                    Some((index, Ok(delivery))) => {
                        let handler = Arc::clone(&handler);
                        let services = Arc::clone(&self.services);
                        in_hand.spawn(async move {
                            let bound = &services[index];
                            handle(&handler, &bound.service, &bound.settled, delivery).await;
                        });
                    }
                    Some((_, Err(source))) => break Some(broker_error(uri, "consuming")(source)),
                    None => break Some(Error::Disconnected(handler.broker.clone())),
                },
                Some(_) = in_hand.join_next(), if !in_hand.is_empty() => {}
            }
        };
        match failure {
            None => {
                // Let the messages in hand be settled before closing; the others go back to
                // their queues when their channels close. A channel's close is confirmed
                // once the broker has taken every acknowledgement sent on it before, which
                // closing the connection alone does not wait for.
                while in_hand.join_next().await.is_some() {}
                for channel in &channels {
                    confirm_close("channel", channel.close(200, "closing".into())).await;
                }
                Ok(())
            }
            Some(error) => {
                // Dispatches in progress run to their end: the engine commits what it started,
                // and a copy delivered on the next connection waits for that outcome.
                in_hand.detach_all();
                Err(error)
            }
        }
    }
}

/// Declares the dead-letter exchange and the durable queue of the same name bound to it.
async fn declare_dead_letters(channel: &Channel, uri: &str, exchange: &str) -> Result<(), Error> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(
            exchange.into(),
            ExchangeKind::Fanout,
            durable,
            FieldTable::default(),
        )
        .await
        .map_err(broker_error(uri, "declaring the dead-letter exchange"))?;
    channel
        .queue_declare(exchange.into(), QueueDeclareOptions::durable(), quorum())
        .await
        .map_err(broker_error(uri, "declaring the dead-letter queue"))?;
    channel
        .queue_bind(
            exchange.into(),
            exchange.into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(broker_error(uri, "binding the dead-letter queue"))
}

/// Declares `queue` and starts consuming it on a channel of its own, which it returns too.
async fn consume(
    connection: &Connection,
    uri: &str,
    queue: &str,
    prefetch: u16,
) -> Result<(Channel, lapin::Consumer), Error> {
    let channel = connection
        .create_channel()
        .await
        .map_err(broker_error(uri, "opening a channel"))?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await
        .map_err(broker_error(uri, "setting the prefetch"))?;
    declare_queue(&channel, uri, queue).await?;
    let consumer = channel
        .basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(broker_error(uri, "starting to consume"))?;
    Ok((channel, consumer))
}

/// Declares the durable quorum queue `queue`.
async fn declare_queue(channel: &Channel, uri: &str, queue: &str) -> Result<(), Error> {
    channel
        .queue_declare(queue.into(), QueueDeclareOptions::durable(), quorum())
        .await
        .map_err(broker_error(uri, "declaring a served queue"))?;
    Ok(())
}

/// The arguments of a quorum queue: durable, and counting deliveries in `x-delivery-count`.
fn quorum() -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    arguments
}

/// Closes the connection, if it is still open, within [`CLOSE_TIMEOUT`].
async fn close(connection: &Connection) {
    confirm_close("connection", connection.close(200, "closing".into())).await;
}

/// Waits, within [`CLOSE_TIMEOUT`], for the broker to confirm `closing` (of the AMQP `what`).
async fn confirm_close(what: &str, closing: impl Future<Output = lapin::Result<()>>) {
    match tokio::time::timeout(CLOSE_TIMEOUT, closing).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%error, "closing the AMQP {what}"),
        Err(_) => tracing::debug!("the AMQP {what} did not close in time"),
    }
}
