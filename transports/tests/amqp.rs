//! End-to-end tests of the AMQP transport against a real RabbitMQ, whose URL comes from
//! `TEST_AMQP_URL` (scripts/services/rabbitmq_start.sh prints it). Without it each test
//! says why it is skipped, except under `CI=true`, where the broker is required.
//!
//! The broker-restart test restarts that node with scripts/services/rabbitmq_restart.sh, so it
//! needs the node the project's script started.
//!
//! The callers are plain lapin clients (and a Python pika client), so the tests see the wire
//! conventions (`reply_to`, `correlation_id`, headers) as any other AMQP client would. Each
//! test uses queues and a dead-letter exchange of its own.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use baton_transports::amqp::properties::{
    ACTION_HEADER, DEAD_LETTER_QUEUE_HEADER, DEAD_LETTER_REASON_HEADER,
};
use baton_transports::amqp::{self, AmqpClient, AmqpConfig, AmqpService};
use baton_transports::soap::{self, SOAP11_NS};
use baton_transports::xml::XmlLimits;
use baton_transports::{
    Dispatcher, Endpoint, Error, FaultCode, Outbound, Request, Response, SoapFault, SoapVersion,
    Transport, Transports,
};
use bytes::Bytes;
use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions,
    ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use tokio::sync::{watch, RwLock};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

/// Held shared by the tests that use the broker, and exclusively by the one that restarts it.
static BROKER: RwLock<()> = RwLock::const_new(());

/// How long any awaited condition may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(120);

/// The broker URL, or `None` (with the reason printed) when the tests cannot run here.
fn broker_url(test: &str) -> Option<String> {
    match std::env::var("TEST_AMQP_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("TEST_AMQP_URL must name a RabbitMQ under CI")
        }
        _ => {
            skip(&format!(
                "{test}: set TEST_AMQP_URL (scripts/services/rabbitmq_start.sh prints it)"
            ));
            None
        }
    }
}

/// Says why a test is skipped, on the real stderr, which the test harness does not capture.
fn skip(reason: &str) {
    let _ = writeln!(std::io::stderr(), "skipping {reason}");
}

/// A name no other test run uses.
fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("test.{prefix}.{nanos:x}.{n}")
}

fn config(url: &str) -> AmqpConfig {
    AmqpConfig {
        url: url.to_owned(),
        prefetch: 8,
        reconnect_initial_ms: 50,
        reconnect_max_ms: 1_000,
        invoke_timeout_ms: 20_000,
        max_deliveries: 3,
        dead_letter_exchange: unique("dlx"),
        ..AmqpConfig::default()
    }
}

/// What the test service does with each request.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Replies with the request body, and the action as a header forest.
    Echo,
    /// Accepts, as a one-way operation does.
    Accept,
    /// Fails as the engine does when it cannot process a valid message.
    Fail,
    /// Fails as the engine does when it took the message but no reply came: a Receiver fault
    /// with a subcode.
    FailAfterTaking,
    /// Accepts; from the `n`th request on, only once the gate is open.
    HoldAfter(usize),
}

/// The dispatcher under test: records the body of each request it is handed.
#[derive(Clone)]
struct Service {
    behaviour: Behaviour,
    seen: Arc<Mutex<Vec<String>>>,
    count: watch::Sender<usize>,
    entered: watch::Sender<usize>,
    gate: watch::Sender<bool>,
}

impl Service {
    fn new(behaviour: Behaviour) -> Self {
        Self {
            behaviour,
            seen: Arc::default(),
            count: watch::channel(0).0,
            entered: watch::channel(0).0,
            gate: watch::channel(false).0,
        }
    }

    fn open_gate(&self) {
        self.gate.send_replace(true);
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests have entered dispatch.
    async fn wait_entered(&self, n: usize) {
        let mut entered = self.entered.subscribe();
        timeout(PATIENCE, entered.wait_for(|&seen| seen >= n))
            .await
            .expect("the requests did not enter dispatch in time")
            .unwrap();
    }

    /// Waits until at least `n` requests have been dispatched.
    async fn wait_for(&self, n: usize) {
        let mut count = self.count.subscribe();
        timeout(PATIENCE, count.wait_for(|&seen| seen >= n))
            .await
            .expect("the requests were not all dispatched in time")
            .unwrap();
    }
}

impl Dispatcher for Service {
    async fn dispatch(&self, request: Request) -> Response {
        let mut entered = 0;
        self.entered.send_modify(|n| {
            entered = *n;
            *n += 1;
        });
        if let Behaviour::HoldAfter(n) = self.behaviour {
            if entered >= n {
                let mut gate = self.gate.subscribe();
                gate.wait_for(|open| *open).await.unwrap();
            }
        }
        let body = String::from_utf8(request.body.to_vec()).unwrap();
        self.seen.lock().unwrap().push(body);
        self.count.send_modify(|n| *n += 1);
        match self.behaviour {
            Behaviour::Echo => Response::Reply {
                headers: Bytes::from(format!(
                    "<t:action xmlns:t=\"urn:test\">{}</t:action>",
                    request.action.unwrap_or_default()
                )),
                body: request.body,
            },
            Behaviour::Accept | Behaviour::HoldAfter(_) => Response::Accepted,
            Behaviour::Fail => Response::Fault(SoapFault::new(
                FaultCode::Receiver,
                "the store is unavailable",
            )),
            Behaviour::FailAfterTaking => Response::Fault(SoapFault {
                subcode: Some(("urn:test".into(), "noReply".into())),
                ..SoapFault::new(FaultCode::Receiver, "no reply within 1s")
            }),
        }
    }

    fn describe(&self, _address: &str, _base_url: &str) -> Option<Bytes> {
        None
    }

    fn ready(&self) -> bool {
        true
    }
}

/// The transport serving `queue` with `service`, until the token is cancelled.
struct Serving {
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), Error>>,
}

impl Serving {
    fn start(config: &AmqpConfig, queue: &str, service: Service) -> Self {
        let shutdown = CancellationToken::new();
        let services = vec![AmqpService {
            queue: queue.to_owned(),
            address: "/services/test".to_owned(),
        }];
        let task = tokio::spawn(amqp::serve(
            config.clone(),
            services,
            service,
            shutdown.clone(),
        ));
        Self { shutdown, task }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        timeout(PATIENCE, self.task)
            .await
            .expect("serving did not stop")
            .unwrap()
            .unwrap();
    }
}

/// A plain AMQP client, as a caller in another program would be.
struct Caller {
    connection: Connection,
    channel: Channel,
}

impl Caller {
    async fn connect(url: &str) -> Self {
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        Self {
            connection,
            channel,
        }
    }

    /// Declares a served queue as the transport does (durable, quorum).
    async fn declare_served(&self, queue: &str) {
        let mut arguments = FieldTable::default();
        arguments.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        self.channel
            .queue_declare(queue.into(), QueueDeclareOptions::durable(), arguments)
            .await
            .unwrap();
    }

    /// Declares an exclusive reply queue and consumes it.
    async fn reply_queue(&self) -> (String, lapin::Consumer) {
        let exclusive = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..QueueDeclareOptions::default()
        };
        let queue = self
            .channel
            .queue_declare("".into(), exclusive, FieldTable::default())
            .await
            .unwrap();
        let name = queue.name().to_string();
        (name.clone(), self.consume(&name).await)
    }

    /// Consumes `queue` on a channel of its own. A quorum queue declared a moment ago by the
    /// server and the test at once may still be settling: the broker then closes the channel
    /// with an internal error, and the consumer is tried again on a new channel, for at most
    /// ten seconds.
    async fn consume(&self, queue: &str) -> lapin::Consumer {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let channel = self.connection.create_channel().await.unwrap();
            let consumed = channel
                .basic_consume(
                    queue.into(),
                    "".into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await;
            match consumed {
                Ok(consumer) => return consumer,
                Err(error) if tokio::time::Instant::now() < deadline => {
                    eprintln!("consuming {queue} failed ({error}); trying again");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("cannot consume {queue}: {error}"),
            }
        }
    }

    async fn publish(&self, queue: &str, payload: &[u8], properties: BasicProperties) {
        let confirmation = self
            .channel
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                payload,
                properties.with_delivery_mode(2),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(confirmation.is_ack());
    }

    /// The number of messages ready in `queue` (not counting those delivered and unacked).
    async fn ready_messages(&self, queue: &str) -> u32 {
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let channel = self.connection.create_channel().await.unwrap();
        let queue = channel
            .queue_declare(queue.into(), passive, FieldTable::default())
            .await
            .unwrap();
        queue.message_count()
    }

    /// Deletes the test's queues, and its dead-letter queue and exchange.
    async fn clean_up(&self, config: &AmqpConfig, queues: &[&str]) {
        let dead_letters = config.dead_letter_exchange.as_str();
        for queue in queues.iter().chain([&dead_letters]) {
            self.channel
                .queue_delete((*queue).into(), QueueDeleteOptions::default())
                .await
                .unwrap();
        }
        self.channel
            .exchange_delete(dead_letters.into(), ExchangeDeleteOptions::default())
            .await
            .unwrap();
    }
}

/// The next message of a consumer, acknowledged.
async fn next(consumer: &mut lapin::Consumer) -> Delivery {
    let delivery = timeout(PATIENCE, consumer.next())
        .await
        .expect("no message came in time")
        .expect("the consumer ended")
        .unwrap();
    delivery.ack(BasicAckOptions::default()).await.unwrap();
    delivery
}

fn envelope(body: &str) -> Vec<u8> {
    format!("<s:Envelope xmlns:s=\"{SOAP11_NS}\"><s:Body>{body}</s:Body></s:Envelope>").into_bytes()
}

fn header<'d>(delivery: &'d Delivery, name: &str) -> Option<&'d str> {
    match delivery.properties.headers().as_ref()?.inner().get(name)? {
        AMQPValue::LongString(value) => std::str::from_utf8(value.as_bytes()).ok(),
        _ => None,
    }
}

fn correlation(delivery: &Delivery) -> Option<String> {
    delivery
        .properties
        .correlation_id()
        .as_ref()
        .map(|id| id.to_string())
}

#[tokio::test]
async fn request_response_replies_to_reply_to_with_the_correlation_id() {
    let Some(url) = broker_url("request_response") else {
        return;
    };
    let _shared = BROKER.read().await;
    let config = config(&url);
    let queue = unique("echo");
    let caller = Caller::connect(&url).await;
    caller.declare_served(&queue).await;
    let service = Service::new(Behaviour::Echo);
    let serving = Serving::start(&config, &queue, service.clone());
    let (reply_to, mut replies) = caller.reply_queue().await;

    let mut action = FieldTable::default();
    action.insert(
        ACTION_HEADER.into(),
        AMQPValue::LongString("urn:test:hello".into()),
    );
    let request = BasicProperties::default()
        .with_reply_to(reply_to.as_str().into())
        .with_correlation_id("corr-1".into())
        .with_message_id("msg-1".into())
        .with_content_type("text/xml; charset=utf-8".into())
        .with_headers(action);
    caller
        .publish(
            &queue,
            &envelope("<t:hello xmlns:t=\"urn:test\">one</t:hello>"),
            request,
        )
        .await;
    let reply = next(&mut replies).await;
    assert_eq!(correlation(&reply).as_deref(), Some("corr-1"));
    assert_eq!(
        reply.properties.content_type().as_ref().map(|t| t.as_str()),
        Some(SoapVersion::Soap11.content_type())
    );
    let Response::Reply { body, headers } =
        soap::parse_response(SoapVersion::Soap11, &reply.data).unwrap()
    else {
        panic!("expected a reply envelope");
    };
    assert_eq!(
        body,
        Bytes::from_static(b"<t:hello xmlns:t=\"urn:test\">one</t:hello>")
    );
    assert!(String::from_utf8_lossy(&headers).contains("urn:test:hello"));

    // Without a correlation id the reply correlates with the message id, as JMS clients expect.
    let request = BasicProperties::default()
        .with_reply_to(reply_to.as_str().into())
        .with_message_id("msg-2".into());
    caller.publish(&queue, &envelope("<two/>"), request).await;
    let reply = next(&mut replies).await;
    assert_eq!(correlation(&reply).as_deref(), Some("msg-2"));
    assert_eq!(
        service.seen(),
        ["<t:hello xmlns:t=\"urn:test\">one</t:hello>", "<two/>"]
    );

    serving.stop().await;
    assert_eq!(caller.ready_messages(&queue).await, 0);
    caller.clean_up(&config, &[&queue]).await;
}

#[tokio::test]
async fn one_way_messages_are_dispatched_and_acknowledged() {
    let Some(url) = broker_url("one_way") else {
        return;
    };
    let _shared = BROKER.read().await;
    let config = config(&url);
    let queue = unique("oneway");
    let caller = Caller::connect(&url).await;
    caller.declare_served(&queue).await;
    let service = Service::new(Behaviour::Accept);
    let serving = Serving::start(&config, &queue, service.clone());
    for n in 0..5 {
        let body = format!("<note n=\"{n}\"/>");
        caller
            .publish(&queue, &envelope(&body), BasicProperties::default())
            .await;
    }
    service.wait_for(5).await;
    // Once serving stops, an unacknowledged message would be back in the queue.
    serving.stop().await;
    assert_eq!(caller.ready_messages(&queue).await, 0);
    assert_eq!(service.seen().len(), 5);
    caller.clean_up(&config, &[&queue]).await;
}

#[tokio::test]
async fn no_more_messages_than_the_prefetch_are_in_hand_at_once() {
    let Some(url) = broker_url("prefetch") else {
        return;
    };
    let _shared = BROKER.read().await;
    let config = AmqpConfig {
        prefetch: 3,
        ..config(&url)
    };
    let queue = unique("prefetch");
    let caller = Caller::connect(&url).await;
    caller.declare_served(&queue).await;
    for n in 0..10 {
        let body = format!("<note n=\"{n}\"/>");
        caller
            .publish(&queue, &envelope(&body), BasicProperties::default())
            .await;
    }
    let service = Service::new(Behaviour::HoldAfter(0));
    let serving = Serving::start(&config, &queue, service.clone());
    service.wait_entered(3).await;
    // The broker hands out no fourth message while three are unacknowledged.
    assert_eq!(caller.ready_messages(&queue).await, 7);
    service.open_gate();
    service.wait_for(10).await;
    serving.stop().await;
    assert_eq!(caller.ready_messages(&queue).await, 0);
    caller.clean_up(&config, &[&queue]).await;
}

#[tokio::test]
async fn a_failing_dispatch_is_redelivered_then_dead_lettered_with_the_reason() {
    let Some(url) = broker_url("dead_letter") else {
        return;
    };
    let _shared = BROKER.read().await;
    let config = config(&url);
    let queue = unique("failing");
    let caller = Caller::connect(&url).await;
    caller.declare_served(&queue).await;
    let service = Service::new(Behaviour::Fail);
    let serving = Serving::start(&config, &queue, service.clone());
    let (reply_to, mut replies) = caller.reply_queue().await;
    let request = BasicProperties::default()
        .with_reply_to(reply_to.as_str().into())
        .with_correlation_id("poison-1".into());
    caller
        .publish(&queue, &envelope("<poison/>"), request)
        .await;

    // The caller is told of the failure once the message is given up.
    let reply = next(&mut replies).await;
    assert_eq!(correlation(&reply).as_deref(), Some("poison-1"));
    let Response::Fault(fault) = soap::parse_response(SoapVersion::Soap11, &reply.data).unwrap()
    else {
        panic!("expected a fault");
    };
    assert!(
        fault.reason.contains("the store is unavailable"),
        "{}",
        fault.reason
    );
    // It was dispatched once per delivery, max-deliveries times, never more.
    assert_eq!(service.seen(), ["<poison/>"; 3]);

    let mut dead = caller.consume(&config.dead_letter_exchange).await;
    let letter = next(&mut dead).await;
    assert_eq!(letter.data, envelope("<poison/>"));
    let reason = header(&letter, DEAD_LETTER_REASON_HEADER).unwrap();
    assert!(reason.contains("3 deliveries"), "{reason}");
    assert!(reason.contains("the store is unavailable"), "{reason}");
    assert_eq!(
        header(&letter, DEAD_LETTER_QUEUE_HEADER),
        Some(queue.as_str())
    );
    assert_eq!(correlation(&letter).as_deref(), Some("poison-1"));

    serving.stop().await;
    assert_eq!(service.seen().len(), 3);
    assert_eq!(caller.ready_messages(&queue).await, 0);
    caller.clean_up(&config, &[&queue]).await;
}

#[tokio::test]
async fn a_receiver_fault_with_a_subcode_is_answered_once_and_not_redelivered() {
    let Some(url) = broker_url("taken") else {
        return;
    };
    let _shared = BROKER.read().await;
    let config = config(&url);
    let queue = unique("taken");
    let caller = Caller::connect(&url).await;
    caller.declare_served(&queue).await;
    let service = Service::new(Behaviour::FailAfterTaking);
    let serving = Serving::start(&config, &queue, service.clone());
    let (reply_to, mut replies) = caller.reply_queue().await;
    let request = BasicProperties::default()
        .with_reply_to(reply_to.as_str().into())
        .with_correlation_id("taken-1".into());
    caller.publish(&queue, &envelope("<taken/>"), request).await;

    let reply = next(&mut replies).await;
    assert_eq!(correlation(&reply).as_deref(), Some("taken-1"));
    let Response::Fault(fault) = soap::parse_response(SoapVersion::Soap11, &reply.data).unwrap()
    else {
        panic!("expected a fault");
    };
    assert!(fault.reason.contains("no reply within"), "{}", fault.reason);

    serving.stop().await;
    assert_eq!(service.seen(), ["<taken/>"]);
    assert_eq!(caller.ready_messages(&queue).await, 0);
    assert_eq!(caller.ready_messages(&config.dead_letter_exchange).await, 0);
    caller.clean_up(&config, &[&queue]).await;
}

#[tokio::test]
async fn an_unreadable_message_is_dead_lettered_without_dispatch() {
    let Some(url) = broker_url("unreadable") else {
        return;
    };
    let _shared = BROKER.read().await;
    let config = config(&url);
    let queue = unique("unreadable");
    let caller = Caller::connect(&url).await;
    caller.declare_served(&queue).await;
    let service = Service::new(Behaviour::Accept);
    let serving = Serving::start(&config, &queue, service.clone());
    caller
        .publish(&queue, b"not <xml", BasicProperties::default())
        .await;
    caller
        .publish(&queue, &envelope("<fine/>"), BasicProperties::default())
        .await;
    // Declared as the transport declares it, whichever comes first.
    caller.declare_served(&config.dead_letter_exchange).await;
    let mut dead = caller.consume(&config.dead_letter_exchange).await;
    let letter = next(&mut dead).await;
    assert_eq!(letter.data, b"not <xml");
    let reason = header(&letter, DEAD_LETTER_REASON_HEADER).unwrap();
    assert!(reason.contains("unreadable"), "{reason}");
    service.wait_for(1).await;
    serving.stop().await;
    assert_eq!(service.seen(), ["<fine/>"]);
    caller.clean_up(&config, &[&queue]).await;
}

#[tokio::test]
async fn messages_beyond_the_xml_limits_or_with_headers_nobody_understands_are_not_dispatched() {
    let Some(url) = broker_url("hostile") else {
        return;
    };
    let _shared = BROKER.read().await;
    let config = AmqpConfig {
        xml_limits: XmlLimits {
            max_attributes: 8,
            ..XmlLimits::default()
        },
        ..config(&url)
    };
    let queue = unique("hostile");
    let caller = Caller::connect(&url).await;
    caller.declare_served(&queue).await;
    let service = Service::new(Behaviour::Accept);
    let serving = Serving::start(&config, &queue, service.clone());
    let (reply_to, mut replies) = caller.reply_queue().await;
    let attributes: String = (0..9).map(|n| format!(" a{n}='v'")).collect();
    caller
        .publish(
            &queue,
            &envelope(&format!("<crowded{attributes}/>")),
            BasicProperties::default(),
        )
        .await;
    let mandatory = format!(
        r#"<s:Envelope xmlns:s="{SOAP11_NS}"><s:Header><x:secret xmlns:x="urn:x" s:mustUnderstand="1"/></s:Header><s:Body><fine/></s:Body></s:Envelope>"#
    );
    let asking = BasicProperties::default().with_reply_to(reply_to.as_str().into());
    caller.publish(&queue, mandatory.as_bytes(), asking).await;
    caller
        .publish(&queue, &envelope("<fine/>"), BasicProperties::default())
        .await;
    // The caller that asked for an answer is told MustUnderstand.
    let reply = next(&mut replies).await;
    let Response::Fault(fault) = soap::parse_response(SoapVersion::Soap11, &reply.data).unwrap()
    else {
        panic!("expected a fault");
    };
    assert_eq!(fault.code, FaultCode::MustUnderstand, "{fault:?}");
    assert!(fault.reason.contains("{urn:x}secret"), "{fault:?}");
    // Both are dead-lettered with their reason.
    caller.declare_served(&config.dead_letter_exchange).await;
    let mut dead = caller.consume(&config.dead_letter_exchange).await;
    let mut reasons = Vec::new();
    for _ in 0..2 {
        let letter = next(&mut dead).await;
        reasons.push(
            header(&letter, DEAD_LETTER_REASON_HEADER)
                .unwrap()
                .to_owned(),
        );
    }
    reasons.sort();
    assert!(
        reasons[0].contains("header blocks not understood: {urn:x}secret"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("xml.max-attributes = 8"), "{reasons:?}");
    service.wait_for(1).await;
    serving.stop().await;
    assert_eq!(service.seen(), ["<fine/>"]);
    caller.clean_up(&config, &[&queue]).await;
}

/// The endpoint of `queue` on the broker at `url`.
fn queue_endpoint(url: &str, queue: &str) -> Endpoint {
    let (broker, vhost) = url.trim_end_matches('/').rsplit_once('/').unwrap();
    Endpoint::parse(&format!("{broker}/{vhost}/{queue}")).unwrap()
}

fn outbound(body: &'static str, expect_reply: bool) -> Outbound {
    Outbound {
        version: SoapVersion::Soap11,
        action: Some("urn:test:invoke".into()),
        headers: Bytes::new(),
        body: Bytes::from_static(body.as_bytes()),
        expect_reply,
        timeout: None,
        message_id: None,
        authorization: None,
    }
}

#[tokio::test]
async fn invoking_over_amqp_gets_the_reply_or_times_out() {
    let Some(url) = broker_url("invoke") else {
        return;
    };
    let _shared = BROKER.read().await;
    let config = AmqpConfig {
        invoke_timeout_ms: 500,
        ..config(&url)
    };
    let served = unique("partner");
    let silent = unique("silent");
    let caller = Caller::connect(&url).await;
    caller.declare_served(&served).await;
    caller.declare_served(&silent).await;
    let service = Service::new(Behaviour::Echo);
    let serving = Serving::start(&config, &served, service.clone());
    let endpoint = |queue: &str| queue_endpoint(&url, queue);
    let transports = Transports {
        amqp: Some(AmqpClient::new(&config).unwrap()),
        ..Transports::default()
    };

    let reply = transports
        .send(&endpoint(&served), outbound("<ping/>", true))
        .await
        .unwrap();
    let Response::Reply { body, headers } = reply else {
        panic!("expected a reply, got {reply:?}");
    };
    assert_eq!(body, Bytes::from_static(b"<ping/>"));
    assert!(String::from_utf8_lossy(&headers).contains("urn:test:invoke"));

    let accepted = transports
        .send(&endpoint(&served), outbound("<note/>", false))
        .await
        .unwrap();
    assert_eq!(accepted, Response::Accepted);
    service.wait_for(2).await;
    assert_eq!(service.seen(), ["<ping/>", "<note/>"]);

    let started = std::time::Instant::now();
    let err = transports
        .send(&endpoint(&silent), outbound("<anyone/>", true))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                during: "waiting for the reply",
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
    // The request itself was delivered, persistent, with a reply queue and a correlation id.
    let mut waiting = caller.consume(&silent).await;
    let request = next(&mut waiting).await;
    assert_eq!(request.properties.delivery_mode(), &Some(2));
    assert!(request.properties.reply_to().is_some());
    assert!(request.properties.correlation_id().is_some());

    let err = transports
        .send(&endpoint(&unique("absent")), outbound("<lost/>", false))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unroutable { .. }), "{err}");

    serving.stop().await;
    caller.clean_up(&config, &[&served, &silent]).await;
}

/// The root of the project, where the service scripts keep their state by default.
fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Restarts the RabbitMQ node that the project's script started.
fn restart_broker() -> std::process::ExitStatus {
    Command::new("bash")
        .arg("scripts/services/rabbitmq_restart.sh")
        .current_dir(project_root())
        .status()
        .unwrap()
}

#[tokio::test]
async fn a_broker_restart_mid_load_loses_nothing_and_handles_nothing_twice() {
    let Some(url) = broker_url("broker_restart") else {
        return;
    };
    let _alone = BROKER.write().await;
    const MESSAGES: usize = 300;
    let config = config(&url);
    let queue = unique("restart");
    let caller = Caller::connect(&url).await;
    caller.declare_served(&queue).await;
    for n in 0..MESSAGES {
        let properties = BasicProperties::default().with_message_id(format!("m{n}").into());
        caller
            .publish(&queue, &envelope(&format!("<m n=\"{n}\"/>")), properties)
            .await;
    }
    drop(caller);
    // The first hundred go through; the next ones are held in dispatch while the broker goes
    // away, so their acknowledgements are lost and the broker delivers them again.
    let service = Service::new(Behaviour::HoldAfter(100));
    let serving = Serving::start(&config, &queue, service.clone());
    service.wait_for(100).await;
    let client = AmqpClient::new(&config).unwrap();
    let endpoint = queue_endpoint(&url, &queue);
    let sent = client.send(&endpoint, outbound("<before/>", false)).await;
    assert_eq!(sent.unwrap(), Response::Accepted);

    let restart = tokio::task::spawn_blocking(restart_broker);
    let status = timeout(PATIENCE, restart).await.unwrap().unwrap();
    assert!(status.success(), "restarting RabbitMQ failed: {status}");
    assert_eq!(service.seen().len(), 100, "held messages were dispatched");
    // The client's connection went with the broker; its next call makes a new one.
    let sent = client.send(&endpoint, outbound("<after/>", false)).await;
    assert_eq!(sent.unwrap(), Response::Accepted);
    service.open_gate();

    service.wait_for(MESSAGES + 2).await;
    serving.stop().await;
    let mut times: HashMap<String, usize> = HashMap::new();
    for body in service.seen() {
        *times.entry(body).or_default() += 1;
    }
    let twice: Vec<_> = times.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "dispatched more than once: {twice:?}");
    assert_eq!(times.len(), MESSAGES + 2);
    assert!(times.contains_key("<before/>") && times.contains_key("<after/>"));

    let caller = Caller::connect(&url).await;
    assert_eq!(caller.ready_messages(&queue).await, 0);
    caller.clean_up(&config, &[&queue]).await;
}

/// A Python with pika, installed with pip when missing; `None` (with the reason printed) when
/// there is no Python here, except under CI.
fn python_with_pika() -> Option<&'static str> {
    let python = "python3";
    let has = |code: &str| {
        Command::new(python)
            .args(["-c", code])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !has("pass") {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI needs python3"
        );
        skip("the pika client: no python3 here");
        return None;
    }
    if !has("import pika") {
        let installed = Command::new(python)
            .args(["-m", "pip", "install", "--quiet", "pika"])
            .status()
            .unwrap();
        assert!(installed.success(), "pip could not install pika");
    }
    Some(python)
}

#[tokio::test]
async fn a_python_pika_client_calls_a_served_queue() {
    let Some(url) = broker_url("pika_client") else {
        return;
    };
    let _shared = BROKER.read().await;
    let Some(python) = tokio::task::spawn_blocking(python_with_pika).await.unwrap() else {
        return;
    };
    let config = config(&url);
    let queue = unique("pika");
    let caller = Caller::connect(&url).await;
    caller.declare_served(&queue).await;
    let service = Service::new(Behaviour::Echo);
    let serving = Serving::start(&config, &queue, service.clone());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/amqp-client/call.py");
    let body = "<t:hi xmlns:t=\"urn:test\">from python</t:hi>";
    let run = tokio::process::Command::new(python)
        .arg(script)
        .args([url.as_str(), queue.as_str(), body, "urn:test:pika"])
        .output();
    let output = timeout(PATIENCE, run).await.unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(body), "{stdout}");
    assert!(stdout.contains("urn:test:pika"), "{stdout}");
    assert_eq!(service.seen(), [body]);
    serving.stop().await;
    caller.clean_up(&config, &[&queue]).await;
}
