//! Serving over AMQP next to raw lapin: how many messages per second each gets through a
//! RabbitMQ queue, from the broker to an acknowledgement.
//!
//! Both sides start with the same persistent SOAP envelopes, published with confirms into a
//! fresh quorum queue, each with a message id (the publishing is timed too), and are timed from the start of consuming
//! to the last acknowledgement:
//! - raw lapin: on a connection of its own (connecting included), consume with the same
//!   prefetch and acknowledge each delivery at once, the acknowledgements in flight
//!   concurrently;
//! - the transport: [`amqp::serve`] (connecting and declaring included) with a dispatcher that
//!   accepts, as a one-way operation does, so each message is parsed, dispatched and
//!   acknowledged after the dispatcher returns.
//!
//! `TEST_AMQP_URL` names the broker (`scripts/services/rabbitmq_start.sh` prints it);
//! `BENCH_MESSAGES` (default 20000) and `BENCH_PREFETCH` (default 64) tune the run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use baton_transports::amqp::{self, AmqpConfig, AmqpService};
use baton_transports::soap::SOAP11_NS;
use baton_transports::{Dispatcher, Request, Response};
use bytes::Bytes;
use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Accepts every request and counts them.
#[derive(Clone)]
struct Counter {
    dispatched: Arc<AtomicUsize>,
    count: watch::Sender<usize>,
}

impl Dispatcher for Counter {
    async fn dispatch(&self, _request: Request) -> Response {
        let n = self.dispatched.fetch_add(1, Ordering::Relaxed) + 1;
        self.count.send_replace(n);
        Response::Accepted
    }

    fn describe(&self, _address: &str, _base_url: &str) -> Option<Bytes> {
        None
    }

    fn ready(&self) -> bool {
        true
    }
}

/// Publishes `messages` envelopes into a fresh quorum queue; returns the time until the broker
/// had confirmed them all.
async fn fill(channel: &Channel, queue: &str, messages: usize) -> Duration {
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    channel
        .queue_declare(queue.into(), QueueDeclareOptions::durable(), arguments)
        .await
        .unwrap();
    let body = format!(
        "<s:Envelope xmlns:s=\"{SOAP11_NS}\"><s:Body><m:note xmlns:m=\"urn:bench\">\
         a one-way message of about the size of a small business document</m:note>\
         </s:Body></s:Envelope>"
    );
    let started = Instant::now();
    for n in 0..messages {
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_message_id(format!("m{n}").into());
        channel
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                body.as_bytes(),
                properties,
            )
            .await
            .unwrap();
    }
    let returned = channel.wait_for_confirms().await.unwrap();
    assert!(returned.is_empty());
    started.elapsed()
}

async fn raw_lapin(url: &str, queue: &str, messages: usize, prefetch: u16) -> Duration {
    let started = Instant::now();
    let connection = Connection::connect(url, ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await
        .unwrap();
    let mut consumer = channel
        .basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut acks = JoinSet::new();
    for _ in 0..messages {
        let delivery = consumer.next().await.unwrap().unwrap();
        acks.spawn(async move { delivery.ack(BasicAckOptions::default()).await.unwrap() });
    }
    while acks.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    connection.close(200, "done".into()).await.unwrap();
    elapsed
}

async fn transport(url: &str, queue: &str, messages: usize, prefetch: u16) -> (Duration, String) {
    let config = AmqpConfig {
        url: url.to_owned(),
        prefetch,
        dead_letter_exchange: format!("{queue}.dlx"),
        ..AmqpConfig::default()
    };
    let counter = Counter {
        dispatched: Arc::default(),
        count: watch::channel(0).0,
    };
    let mut count = counter.count.subscribe();
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let services = vec![AmqpService {
        queue: queue.to_owned(),
        address: "/bench".to_owned(),
    }];
    let serving = tokio::spawn({
        let config = config.clone();
        let shutdown = shutdown.clone();
        async move { amqp::serve(config, services, counter, shutdown).await }
    });
    count.wait_for(|&n| n >= messages).await.unwrap();
    shutdown.cancel();
    serving.await.unwrap().unwrap();
    (started.elapsed(), config.dead_letter_exchange)
}

fn report(name: &str, messages: usize, elapsed: Duration) {
    let rate = messages as f64 / elapsed.as_secs_f64();
    println!(
        "{name:<40} {messages:>7} msgs in {:>7.3} s: {rate:>9.0} msgs/s",
        elapsed.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let Ok(url) = std::env::var("TEST_AMQP_URL") else {
        eprintln!("skipping the AMQP bench: set TEST_AMQP_URL to a RabbitMQ");
        return;
    };
    let messages = setting("BENCH_MESSAGES", 20_000);
    let prefetch = u16::try_from(setting("BENCH_PREFETCH", 64)).unwrap_or(u16::MAX);
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let connection = Connection::connect(&url, ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    println!("prefetch {prefetch}, persistent messages in a quorum queue, publisher confirms");

    let raw_queue = format!("bench.raw.{stamp}");
    let elapsed = fill(&channel, &raw_queue, messages).await;
    report("raw lapin publish (confirmed)", messages, elapsed);
    let elapsed = raw_lapin(&url, &raw_queue, messages, prefetch).await;
    report("raw lapin consume + ack", messages, elapsed);

    let served_queue = format!("bench.served.{stamp}");
    fill(&channel, &served_queue, messages).await;
    let (elapsed, dead_letters) = transport(&url, &served_queue, messages, prefetch).await;
    report("transport parse + dispatch + ack", messages, elapsed);

    for queue in [&raw_queue, &served_queue, &dead_letters] {
        channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await
            .unwrap();
    }
    channel
        .exchange_delete(
            dead_letters.as_str().into(),
            ExchangeDeleteOptions::default(),
        )
        .await
        .unwrap();
}
