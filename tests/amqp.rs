//! End-to-end over AMQP: the real `baton` binary serving processes from queues of a real
//! RabbitMQ and invoking partners through them, chosen only by the units' WSDL addresses.
//!
//! The broker's URL comes from `TEST_AMQP_URL` (scripts/services/rabbitmq_start.sh
//! prints it). Without it a test says why it is skipped, except under `CI=true`, where the
//! broker is required. Each test uses queues and a dead-letter exchange of its own, and
//! deletes them at the end.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use baton_transports::amqp::{AmqpClient, AmqpConfig};
use baton_transports::{Endpoint, Outbound, Response, SoapVersion, Transport, Transports};
use bytes::Bytes;
use common::{copy_unit, repo, Dirs, Server};
use lapin::options::{ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};

/// The broker URL, or `None` (with the reason printed) when the tests cannot run here.
fn broker_url(test: &str) -> Option<String> {
    match std::env::var("TEST_AMQP_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("TEST_AMQP_URL must name a RabbitMQ under CI")
        }
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "skipping {test}: set TEST_AMQP_URL (scripts/services/rabbitmq_start.sh prints it)"
            );
            None
        }
    }
}

/// A name no other test run uses.
fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("test.baton.{prefix}.{nanos:x}.{n}")
}

fn order(id: &str, item: &str) -> String {
    format!(
        r#"<a:order xmlns:a="urn:baton:samples:async"><a:id>{id}</a:id><a:item>{item}</a:item></a:order>"#
    )
}

/// samples/AsyncPair's text with the server's and the callback's ports bound to the queues
/// `server` and `callback` of the broker at `url`, and peer-to-peer off, so that both one-way
/// calls go through the broker.
fn async_pair_over_amqp(text: String, url: &str, server: &str, callback: &str) -> String {
    let url = url.trim_end_matches('/');
    text.replace(r#"usePeer2Peer="true""#, r#"usePeer2Peer="false""#)
        .replace(
            "http://localhost:8080/ode/processes/AsyncServer",
            &format!("{url}/{server}"),
        )
        .replace(
            "http://localhost:8080/ode/processes/AsyncClientCallback",
            &format!("{url}/{callback}"),
        )
}

/// Puts samples/AsyncPair into the deploy directory as [`async_pair_over_amqp`] edits it.
fn add_async_pair_over_amqp(dirs: &Dirs, url: &str, server: &str, callback: &str) {
    copy_unit(
        &repo().join("samples/AsyncPair"),
        &dirs.deploy().join("AsyncPair"),
        &|text| async_pair_over_amqp(text, url, server, callback),
    );
}

/// Starts a server with AMQP on the broker at `url`, dead-lettering to `dead_letters`.
async fn start_with_amqp(dirs: &Dirs, url: &str, dead_letters: &str) -> Server {
    Server::start_configured(
        dirs,
        "info,baton::engine::partner=debug",
        true,
        &[
            ("BATON_AMQP__URL", url),
            ("BATON_AMQP__DEAD_LETTER_EXCHANGE", dead_letters),
        ],
    )
    .await
}

/// Starts one order on the client process over HTTP for each of `ids` and checks each reply.
async fn run_orders(server: &Server, ids: &[&str]) {
    let replies = futures::future::join_all(ids.iter().map(|id| {
        let call = order(id, &format!("item-{id}"));
        async move { server.soap("/ode/processes/AsyncClient", &call).await }
    }))
    .await;
    for (id, (status, body)) in ids.iter().zip(replies) {
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!(">{id}<")), "{body}");
        assert!(body.contains(&format!("shipped item-{id}")), "{body}");
    }
}

/// A plain AMQP connection to the broker, to look at and remove what a test made.
struct Broker {
    channel: lapin::Channel,
}

impl Broker {
    async fn connect(url: &str) -> Self {
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .expect("the broker accepts a connection");
        let channel = connection.create_channel().await.unwrap();
        Self { channel }
    }

    /// The number of messages ready in `queue` (not counting those delivered and unacked).
    async fn ready_messages(&self, queue: &str) -> u32 {
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        self.channel
            .queue_declare(queue.into(), passive, FieldTable::default())
            .await
            .unwrap()
            .message_count()
    }

    /// Deletes `queues`, and the dead-letter queue and exchange `dead_letters`.
    async fn clean_up(&self, queues: &[&str], dead_letters: &str) {
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

#[tokio::test]
async fn async_pair_runs_over_amqp_when_its_wsdl_binds_the_ports_to_queues() {
    let Some(url) = broker_url("async_pair_runs_over_amqp_when_its_wsdl_binds_the_ports_to_queues")
    else {
        return;
    };
    let (server_queue, callback_queue) = (unique("server"), unique("callback"));
    let dead_letters = unique("dlx");
    let dirs = Dirs::new();
    add_async_pair_over_amqp(&dirs, &url, &server_queue, &callback_queue);
    let server = start_with_amqp(&dirs, &url, &dead_letters).await;
    // The queues are declared before the server says it is ready, so that no first message
    // comes back unroutable; lines start with their time stamps, which sort as text.
    let declared = server.await_log(&["Served queues declared", "queues=2"]);
    let ready = server.await_log(&["Ready"]);
    assert!(declared < ready, "{declared}\n{ready}");
    server.await_log(&["serving over AMQP", "services=2"]);

    run_orders(
        &server,
        &["order-0", "order-1", "order-2", "order-3", "order-4"],
    )
    .await;
    server.await_log(&["Invoking partner", "via=amqp", "operation=process"]);
    server.await_log(&["Invoking partner", "via=amqp", "operation=done"]);
    for other in ["via=peer", "via=http"] {
        assert!(
            !server.logged(&["Invoking partner", other]),
            "a call went {other}"
        );
    }

    let (status, wsdl) = server.get("/services/ServerService?wsdl").await;
    assert_eq!(status, 200, "{wsdl}");
    let published = Endpoint::parse(&format!("{}/{server_queue}", url.trim_end_matches('/')))
        .unwrap()
        .to_string();
    assert!(wsdl.contains(&format!("\"{published}\"")), "{wsdl}");
    assert!(!wsdl.contains('@'), "credentials published: {wsdl}");

    let broker = Broker::connect(&url).await;
    for queue in [&server_queue, &callback_queue] {
        assert_eq!(
            broker.ready_messages(queue).await,
            0,
            "{queue} kept messages"
        );
    }
    assert_eq!(broker.ready_messages(&dead_letters).await, 0);
    drop(server);
    broker
        .clean_up(&[&server_queue, &callback_queue], &dead_letters)
        .await;
}

#[tokio::test]
async fn soap_headers_travel_with_a_message_over_amqp() {
    let Some(url) = broker_url("soap_headers_travel_with_a_message_over_amqp") else {
        return;
    };
    let (checker_queue, dead_letters) = (unique("checker"), unique("dlx"));
    let dirs = Dirs::new();
    let checker = format!("{}/{checker_queue}", url.trim_end_matches('/'));
    common::conversation::place(&dirs, &|text| {
        text.replace(r#"usePeer2Peer="true""#, r#"usePeer2Peer="false""#)
            .replace("http://localhost:8080/ode/processes/OdeChecker", &checker)
    });
    let server = start_with_amqp(&dirs, &url, &dead_letters).await;
    server.await_log(&["serving over AMQP", "services=1"]);
    common::conversation::run(&server).await;
    server.await_log(&["Invoking partner", "via=amqp", "operation=check"]);
    drop(server);
    Broker::connect(&url)
        .await
        .clean_up(&[&checker_queue], &dead_letters)
        .await;
}

#[tokio::test]
async fn a_unit_deployed_while_running_is_served_from_its_queues() {
    let Some(url) = broker_url("a_unit_deployed_while_running_is_served_from_its_queues") else {
        return;
    };
    let (server_queue, callback_queue) = (unique("server"), unique("callback"));
    let dead_letters = unique("dlx");
    let dirs = Dirs::new();
    let server = start_with_amqp(&dirs, &url, &dead_letters).await;
    server.await_log(&["Serving queues over AMQP", "queues=0"]);
    dirs.place_unit(&repo().join("samples/AsyncPair"), "AsyncPair", &|text| {
        async_pair_over_amqp(text, &url, &server_queue, &callback_queue)
    });
    server.await_log(&["serving over AMQP", "services=2"]);
    run_orders(&server, &["hot-0", "hot-1"]).await;
    server.await_log(&["Invoking partner", "via=amqp", "operation=done"]);
    drop(server);
    Broker::connect(&url)
        .await
        .clean_up(&[&server_queue, &callback_queue], &dead_letters)
        .await;
}

#[tokio::test]
async fn a_plain_amqp_client_calls_a_process_bound_to_a_queue_and_gets_its_reply() {
    let Some(url) =
        broker_url("a_plain_amqp_client_calls_a_process_bound_to_a_queue_and_gets_its_reply")
    else {
        return;
    };
    let (client_queue, server_queue, callback_queue) =
        (unique("client"), unique("server"), unique("callback"));
    let dead_letters = unique("dlx");
    let dirs = Dirs::new();
    let base = url.trim_end_matches('/').to_owned();
    copy_unit(
        &repo().join("samples/AsyncPair"),
        &dirs.deploy().join("AsyncPair"),
        &|text| {
            async_pair_over_amqp(text, &url, &server_queue, &callback_queue).replace(
                "http://localhost:8080/ode/processes/AsyncClient\"",
                &format!("{base}/{client_queue}\""),
            )
        },
    );
    let server = start_with_amqp(&dirs, &url, &dead_letters).await;
    server.await_log(&["serving over AMQP", "services=3"]);

    let config = AmqpConfig {
        invoke_timeout_ms: 30_000,
        ..AmqpConfig::default()
    };
    let transports = Transports {
        amqp: Some(AmqpClient::new(&config).unwrap()),
        ..Transports::default()
    };
    let endpoint = Endpoint::parse(&format!("{base}/{client_queue}")).unwrap();
    let request = Outbound {
        version: SoapVersion::Soap11,
        action: Some("urn:baton:samples:async/start".into()),
        headers: Bytes::new(),
        body: Bytes::from(order("queued-1", "item-queued-1")),
        expect_reply: true,
        timeout: None,
        message_id: None,
        authorization: None,
    };
    let reply = transports.send(&endpoint, request).await.unwrap();
    let Response::Reply { body, .. } = reply else {
        panic!("expected a reply, got {reply:?}");
    };
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("shipped item-queued-1"), "{body}");

    let broker = Broker::connect(&url).await;
    for queue in [&client_queue, &server_queue, &callback_queue] {
        assert_eq!(
            broker.ready_messages(queue).await,
            0,
            "{queue} kept messages"
        );
    }
    drop(server);
    broker
        .clean_up(
            &[&client_queue, &server_queue, &callback_queue],
            &dead_letters,
        )
        .await;
}

#[tokio::test]
async fn a_port_bound_to_a_queue_is_refused_when_amqp_is_off() {
    let dirs = Dirs::new();
    add_async_pair_over_amqp(&dirs, "amqp://127.0.0.1/%2f", "server", "callback");
    let server = Server::start(&dirs).await;
    server.await_log(&["AMQP is off", "configure [amqp] url"]);
    let (status, body) = server
        .soap("/ode/processes/AsyncClient", &order("o", "i"))
        .await;
    assert_ne!(status, 200, "{body}");
}

#[tokio::test]
async fn the_amqp_event_listener_publishes_each_event_with_its_type_as_routing_key() {
    let Some(url) =
        broker_url("the_amqp_event_listener_publishes_each_event_with_its_type_as_routing_key")
    else {
        return;
    };
    let (exchange, queue) = (unique("events"), unique("events-read"));
    let broker = Broker::connect(&url).await;
    let channel = &broker.channel;
    let durable = lapin::options::ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    let kind = lapin::ExchangeKind::Topic;
    channel
        .exchange_declare(
            exchange.as_str().into(),
            kind,
            durable,
            FieldTable::default(),
        )
        .await
        .unwrap();
    channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    // Bound by two types, the queue gets those events and no other.
    for routing_key in ["NewProcessInstanceEvent", "ProcessCompletionEvent"] {
        channel
            .queue_bind(
                queue.as_str().into(),
                exchange.as_str().into(),
                routing_key.into(),
                lapin::options::QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
    }

    let dirs = Dirs::new();
    copy_unit(
        &repo().join("samples/HelloWorld"),
        &dirs.deploy().join("HelloWorld"),
        &|text| {
            text.replace(
                "<active>true</active>",
                r#"<active>true</active><process-events generate="all"/>"#,
            )
        },
    );
    let exchange_setting = format!(r#"{{ exchange = "{exchange}" }}"#);
    let settings = [
        ("BATON_AMQP__URL", url.as_str()),
        ("BATON_EVENTS__LISTENERS", r#"["amqp"]"#),
        ("BATON_EVENTS__AMQP", exchange_setting.as_str()),
    ];
    let server = Server::start_configured(&dirs, "info", false, &settings).await;
    let hello = r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>Baton</h:name></h:hello>"#;
    let (status, body) = server.soap("/ode/processes/HelloWorld", hello).await;
    assert_eq!(status, 200, "{body}");

    let expected = ["NewProcessInstanceEvent", "ProcessCompletionEvent"];
    let deadline = std::time::Instant::now() + common::PATIENCE;
    let mut read = Vec::new();
    while read.len() < expected.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "only {read:?} on the queue"
        );
        let options = lapin::options::BasicGetOptions { no_ack: true };
        match channel
            .basic_get(queue.as_str().into(), options)
            .await
            .unwrap()
        {
            Some(message) => {
                let body: serde_json::Value =
                    serde_json::from_slice(&message.delivery.data).unwrap();
                read.push((message.delivery.routing_key.to_string(), body));
            }
            None => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    let keys: Vec<&str> = read.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, expected);
    assert_eq!(
        broker.ready_messages(&queue).await,
        0,
        "no other event is routed there"
    );
    for (key, body) in &read {
        assert_eq!(body["type"], key.as_str(), "{body}");
        assert!(
            body["pid"].as_str().unwrap().contains("HelloWorld"),
            "{body}"
        );
        assert!(body["instance"].is_i64(), "{body}");
    }
    channel
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await
        .unwrap();
    channel
        .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
        .await
        .unwrap();
}
