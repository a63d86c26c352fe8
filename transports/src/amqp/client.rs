//! Invoking partners over AMQP: a request to the partner's queue, the reply on a reply queue of
//! this client, matched by correlation id, within the configured time-out.
//!
//! The client keeps one link per broker: a connection, a channel with publisher confirms and an
//! exclusive reply queue named by the broker. Requests are persistent and published as
//! mandatory, so a partner queue that does not exist is an [`Error::Unroutable`] rather than a
//! silent loss. A link whose connection failed is replaced on the next call; a call whose reply
//! was to come on the failed link ends with [`Error::Disconnected`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dashmap::DashMap;
use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::{FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Confirmation, Connection};
use tokio::sync::{oneshot, Mutex};
use tokio::time::{timeout_at, Instant};

use crate::amqp::connection::{broker_error, connect};
use crate::amqp::endpoint::{redact, AmqpEndpoint};
use crate::amqp::properties::{text, with_header, ACTION_HEADER, PERSISTENT};
use crate::amqp::AmqpConfig;
use crate::error::Error;
use crate::message::Response;
use crate::soap;
use crate::transport::Outbound;

/// Makes outbound calls over AMQP. Cloning is cheap; clones share links.
#[derive(Clone)]
pub struct AmqpClient {
    /// How long a call waits for its reply (and for the broker on the way).
    timeout: Duration,
    shared: Arc<Shared>,
}

struct Shared {
    links: Mutex<HashMap<String, Arc<Link>>>,
    ids: IdSource,
}

/// A connection to one broker with its reply queue.
struct Link {
    connection: Connection,
    channel: Channel,
    reply_queue: ShortString,
    pending: Arc<DashMap<String, oneshot::Sender<Delivery>>>,
}

impl AmqpClient {
    /// A client whose calls wait `config.invoke_timeout_ms` for their reply.
    pub fn new(config: &AmqpConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(Self {
            timeout: config.invoke_timeout(),
            shared: Arc::new(Shared {
                links: Mutex::new(HashMap::new()),
                ids: IdSource::new(),
            }),
        })
    }

    /// The same client (sharing its links) with calls waiting `timeout` for their reply.
    pub fn with_invoke_timeout(&self, timeout: Duration) -> Self {
        Self {
            timeout,
            shared: Arc::clone(&self.shared),
        }
    }

    /// Sends an envelope of the message's version wrapping its headers and body to the queue
    /// of `endpoint`, within this client's time-out (the message's own is the caller's
    /// business). When it expects a reply it waits for it (a [`Response::Reply`] or
    /// [`Response::Fault`]); else it returns [`Response::Accepted`] once the broker has
    /// confirmed that it holds the message. The message goes with its `message_id` when it
    /// has one, else with a fresh one.
    pub async fn call(
        &self,
        endpoint: &AmqpEndpoint,
        message: Outbound,
    ) -> Result<Response, Error> {
        let Outbound {
            version,
            action,
            headers,
            body,
            expect_reply,
            message_id,
            timeout: _,
            authorization: _,
        } = message;
        let action = action.as_deref();
        let deadline = Instant::now() + self.timeout;
        let timed_out = |during| Error::Timeout {
            url: endpoint.to_string(),
            timeout: self.timeout,
            during,
        };
        let link = timeout_at(deadline, self.link(endpoint.broker()))
            .await
            .map_err(|_| timed_out("connecting"))??;
        let id = self.shared.ids.next();
        let mut properties = BasicProperties::default()
            .with_content_type(version.content_type().into())
            .with_delivery_mode(PERSISTENT)
            .with_message_id(message_id.as_deref().unwrap_or(&id).into())
            .with_correlation_id(id.as_str().into());
        if let Some(action) = action {
            properties = with_header(&properties, ACTION_HEADER, action);
        }
        let reply = if expect_reply {
            properties = properties.with_reply_to(link.reply_queue.clone());
            let (sender, receiver) = oneshot::channel();
            link.pending.insert(id.clone(), sender);
            Some(Pending {
                receiver,
                pending: &link.pending,
                id: &id,
            })
        } else {
            None
        };
        let envelope = soap::write_envelope(version, &headers, &body);
        timeout_at(deadline, publish(&link, endpoint, &envelope, properties))
            .await
            .map_err(|_| timed_out("waiting for the broker's confirm"))??;
        let Some(reply) = reply else {
            return Ok(Response::Accepted);
        };
        let delivery = timeout_at(deadline, reply.wait())
            .await
            .map_err(|_| timed_out("waiting for the reply"))?
            .ok_or_else(|| Error::Disconnected(redact(endpoint.broker())))?;
        soap::parse_response(version, &delivery.data).map_err(|source| Error::InvalidReply {
            url: endpoint.to_string(),
            source,
        })
    }

    /// The link to the broker at `uri`, made anew when there is none or its connection failed.
    async fn link(&self, uri: &str) -> Result<Arc<Link>, Error> {
        let mut links = self.shared.links.lock().await;
        if let Some(link) = links.get(uri) {
            if link.connection.status().connected() {
                return Ok(Arc::clone(link));
            }
        }
        let link = Arc::new(Link::open(uri).await?);
        links.insert(uri.to_owned(), Arc::clone(&link));
        Ok(link)
    }
}

impl Link {
    async fn open(uri: &str) -> Result<Self, Error> {
        let connection = connect(uri).await?;
        let channel = connection
            .create_channel()
            .await
            .map_err(broker_error(uri, "opening a channel"))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(broker_error(uri, "enabling publisher confirms"))?;
        let exclusive = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..QueueDeclareOptions::default()
        };
        let reply_queue = channel
            .queue_declare("".into(), exclusive, FieldTable::default())
            .await
            .map_err(broker_error(uri, "declaring the reply queue"))?
            .name()
            .clone();
        let no_ack = BasicConsumeOptions {
            no_ack: true,
            ..BasicConsumeOptions::default()
        };
        let mut replies = channel
            .basic_consume(
                reply_queue.clone(),
                "".into(),
                no_ack,
                FieldTable::default(),
            )
            .await
            .map_err(broker_error(uri, "consuming the reply queue"))?;
        let pending: Arc<DashMap<String, oneshot::Sender<Delivery>>> = Arc::new(DashMap::new());
        let waiting = Arc::clone(&pending);
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = replies.next().await {
                let correlation = text(delivery.properties.correlation_id()).map(str::to_owned);
                match correlation.and_then(|id| waiting.remove(&id)) {
                    Some((_, caller)) => {
                        let _ = caller.send(delivery);
                    }
                    None => tracing::debug!("a reply for no waiting call was dropped"),
                }
            }
            // The callers still waiting learn that the link is gone.
            waiting.clear();
        });
        Ok(Self {
            connection,
            channel,
            reply_queue,
            pending,
        })
    }
}

/// A call waiting for its reply; it stops waiting when dropped.
struct Pending<'l> {
    receiver: oneshot::Receiver<Delivery>,
    pending: &'l DashMap<String, oneshot::Sender<Delivery>>,
    id: &'l str,
}

impl Pending<'_> {
    async fn wait(mut self) -> Option<Delivery> {
        (&mut self.receiver).await.ok()
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.pending.remove(self.id);
    }
}

/// Publishes a request and checks the broker's confirm.
async fn publish(
    link: &Link,
    endpoint: &AmqpEndpoint,
    envelope: &[u8],
    properties: BasicProperties,
) -> Result<(), Error> {
    let uri = endpoint.broker();
    let mandatory = BasicPublishOptions {
        mandatory: true,
        ..BasicPublishOptions::default()
    };
    let confirmation = link
        .channel
        .basic_publish(
            "".into(),
            endpoint.queue().into(),
            mandatory,
            envelope,
            properties,
        )
        .await
        .map_err(broker_error(uri, "publishing"))?
        .await
        .map_err(broker_error(uri, "waiting for the broker's confirm"))?;
    match confirmation {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(_returned)) => Err(Error::Unroutable {
            url: endpoint.to_string(),
        }),
        _ => Err(Error::NotConfirmed {
            url: endpoint.to_string(),
        }),
    }
}

/// Ids unique to this client: the time it started and a counter.
struct IdSource {
    prefix: String,
    counter: AtomicU64,
}

impl IdSource {
    fn new() -> Self {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        Self {
            prefix: format!("baton-{}-{started:x}", std::process::id()),
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.prefix)
    }
}
