//! End-to-end over AMQP: the real `baton` binary serving processes from queues of a real
//! RabbitMQ and invoking partners through them, chosen only by the units' WSDL addresses.
//!
//! The broker's URL comes from `BATON_TEST_AMQP_URL` (scripts/services/rabbitmq_start.sh
//! prints it). Without it a test says why it is skipped, except under `CI=true`, where the
//! broker is required. Each test uses queues and a dead-letter exchange of its own, and
//! deletes them at the end.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use common::{copy_unit, repo, Dirs, Server};
use lapin::options::{ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};

/// The broker URL, or `None` (with the reason printed) when the tests cannot run here.
fn broker_url(test: &str) -> Option<String> {
    match std::env::var("BATON_TEST_AMQP_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("BATON_TEST_AMQP_URL must name a RabbitMQ under CI")
        }
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "skipping {test}: set BATON_TEST_AMQP_URL (scripts/services/rabbitmq_start.sh prints it)"
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

/// Puts samples/AsyncPair into the deploy directory with the server's and the callback's
/// ports bound to the queues `server` and `callback` of the broker at `url`, and
/// peer-to-peer off, so that both one-way calls go through the broker.
fn add_async_pair_over_amqp(dirs: &Dirs, url: &str, server: &str, callback: &str) {
    let url = url.trim_end_matches('/');
    copy_unit(
        &repo().join("samples/AsyncPair"),
        &dirs.deploy().join("AsyncPair"),
        &|text| {
            text.replace(r#"usePeer2Peer="true""#, r#"usePeer2Peer="false""#)
                .replace(
                    "http://localhost:8080/ode/processes/AsyncServer",
                    &format!("{url}/{server}"),
                )
                .replace(
                    "http://localhost:8080/ode/processes/AsyncClientCallback",
                    &format!("{url}/{callback}"),
                )
        },
    );
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
    let server = Server::start_configured(
        &dirs,
        "info,baton::engine::partner=debug",
        true,
        &[
            ("BATON_AMQP__URL", url.as_str()),
            ("BATON_AMQP__DEAD_LETTER_EXCHANGE", dead_letters.as_str()),
        ],
    )
    .await;
    server.await_log(&["serving over AMQP", "services=2"]);

    let calls: Vec<_> = (0..5)
        .map(|n| order(&format!("order-{n}"), &format!("item-{n}")))
        .collect();
    let replies = futures::future::join_all(
        calls
            .iter()
            .map(|call| server.soap("/ode/processes/AsyncClient", call)),
    )
    .await;
    for (n, (status, body)) in replies.into_iter().enumerate() {
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!("order-{n}")), "{body}");
        assert!(body.contains(&format!("shipped item-{n}")), "{body}");
    }
    server.await_log(&["Invoking partner", "via=amqp", "operation=process"]);
    server.await_log(&["Invoking partner", "via=amqp", "operation=done"]);
    for other in ["via=peer", "via=http"] {
        assert!(
            !server.logged(&["Invoking partner", other]),
            "a call went {other}"
        );
    }

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
