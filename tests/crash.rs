//! Crash safety end to end: the server is killed with SIGKILL at random points while
//! clients send it work, 20 times, over the same data directory; then every request it had
//! acknowledged must have had its effect, and none twice.
//!
//! The Messaging unit's `start` (one-way) creates an instance keyed by its message, answered
//! 202 only once the instance is durable; the instance then waits for a `poke` with its key.
//! In each round, clients send `start`s with fresh keys until the server has acknowledged a
//! random number of them, and the server is killed while the rest are in flight. A last
//! server then gets one `poke` per acknowledged key: each must reach its waiting instance
//! and be answered (its `start` was not lost), and a second `poke` for the key must find no
//! instance waiting (no `start` ran twice, no reply was sent twice).
//!
//! Between processes: samples/AsyncPair (a client process passing each order one-way to a
//! server process, which calls it back one-way) runs peer-to-peer, over SOAP/HTTP and over
//! AMQP, with HelloWorld beside it, while the server is killed 20 times. Clients send orders
//! with fresh ids and hellos; the server is killed once a random number of orders has been
//! answered, with the rest in flight. A last server then resumes what was under way, and
//! every order whose client instance was created must complete, each once: no instance is
//! left waiting, each client instance got its callback, and there are as many server
//! instances as client instances (no order was taken twice).
//!
//! The random points come from a seed printed at the start; `CRASH_SEED=N` repeats a run.
//! The AMQP run needs RabbitMQ at `TEST_AMQP_URL` and says why it is skipped without it
//! (under `CI=true` it fails instead).

mod common;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use baton::store::{InstanceFilter, InstanceStatus, InstanceSummary};
use common::async_pair::{self, epr};
use common::{copy_unit, element_text, repo, Dirs, Server, PATIENCE};
use tokio::sync::Notify;

const PATH: &str = "/ode/processes/Messaging";
const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The servers log what the harness awaits, and problems.
const LOG_FILTER: &str = "warn,baton::server=info";
const ROUNDS: usize = 20;
const CLIENTS: usize = 8;
/// At most this many acknowledgements before the kill in one round.
const MOST_ACKNOWLEDGED: u64 = 40;

/// The SOAP body of `operation` (start or poke) for `key`.
fn message(operation: &str, key: &str) -> String {
    format!(r#"<m:{operation} xmlns:m="urn:baton:test:messaging">{key}</m:{operation}>"#)
}

/// A small deterministic generator (xorshift64*), so that a failing run can be repeated.
struct Random(u64);

impl Random {
    fn seeded() -> Self {
        let seed = std::env::var("CRASH_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or_else(|| {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
                now.as_nanos() as u64 | 1
            });
        eprintln!("crash test seed: CRASH_SEED={seed}");
        Random(seed)
    }

    /// A number in `1..=most`.
    fn up_to(&mut self, most: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % most + 1
    }
}

/// One round on `server`: `clients` clients each call `send(client, sequence)` in a loop,
/// which answers the key the server acknowledged, if it did; once `target` are acknowledged
/// the server is killed. Returns the acknowledged keys.
async fn round<S, F>(server: Server, target: usize, clients: usize, send: S) -> Vec<String>
where
    S: Fn(usize, u64) -> F + Send + Sync + 'static,
    F: Future<Output = Option<String>> + Send,
{
    let send = Arc::new(send);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(Notify::new());
    let killed = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..clients)
        .map(|client| {
            let (send, acknowledged, count, enough, killed) = (
                send.clone(),
                acknowledged.clone(),
                count.clone(),
                enough.clone(),
                killed.clone(),
            );
            tokio::spawn(async move {
                let mut sequence = 0;
                while !killed.load(Ordering::SeqCst) {
                    sequence += 1;
                    if let Some(key) = send(client, sequence).await {
                        acknowledged.lock().unwrap().push(key);
                        if count.fetch_add(1, Ordering::SeqCst) + 1 == target {
                            enough.notify_one();
                        }
                    }
                }
            })
        })
        .collect();
    tokio::time::timeout(PATIENCE, enough.notified())
        .await
        .expect("the server acknowledges requests");
    killed.store(true, Ordering::SeqCst);
    server.kill();
    for client in clients {
        client.await.unwrap();
    }
    let keys = acknowledged.lock().unwrap().clone();
    keys
}

/// Posts the SOAP body `body` to `url`; the answer's status and text, or `None` when none
/// came (the connection cut by the kill).
async fn post(http: &reqwest::Client, url: &str, body: &str) -> Option<(u16, String)> {
    let response = http
        .post(url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(format!(
            r#"<s:Envelope xmlns:s="{SOAP_NS}"><s:Body>{body}</s:Body></s:Envelope>"#
        ))
        .timeout(PATIENCE)
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

/// Clients send `start`s with fresh keys; only a 202 that arrived is an acknowledgement,
/// anything else (the connection cut by the kill) leaves the request's fate open.
async fn messaging_round(dirs: &Dirs, number: usize, target: usize) -> Vec<String> {
    let server = Server::start_with(dirs, LOG_FILTER).await;
    let url = format!("{}{PATH}", server.address);
    let http = reqwest::Client::new();
    round(server, target, CLIENTS, move |client, sequence| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let key = format!("r{number}-c{client}-{sequence}");
            let answer = post(&http, &url, &message("start", &key)).await;
            answer
                .is_some_and(|(status, _)| status == 202)
                .then_some(key)
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_at_random_points_under_load_the_server_loses_and_repeats_no_acknowledged_request() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Messaging");
    let mut random = Random::seeded();
    let mut acknowledged = Vec::new();
    for number in 0..ROUNDS {
        let target = random.up_to(MOST_ACKNOWLEDGED) as usize;
        acknowledged.extend(messaging_round(&dirs, number, target).await);
    }
    let server = Server::start_with(&dirs, LOG_FILTER).await;
    for keys in acknowledged.chunks(16) {
        let answers = poke_all(&server, keys).await;
        for (key, (status, body)) in keys.iter().zip(answers) {
            assert_eq!(status, 200, "the start of {key} was acknowledged: {body}");
            let expected = format!("message:{key}");
            assert_eq!(element_text(&body, "result").as_deref(), Some(&*expected));
        }
    }
    for keys in acknowledged.chunks(16) {
        let answers = poke_all(&server, keys).await;
        for (key, (status, body)) in keys.iter().zip(answers) {
            assert_eq!(status, 500, "the instance of {key} answered once: {body}");
        }
    }
}

/// Sends a `poke` for each of `keys` at once; the answers in the same order.
async fn poke_all(server: &Server, keys: &[String]) -> Vec<(u16, String)> {
    let bodies: Vec<String> = keys.iter().map(|key| message("poke", key)).collect();
    futures::future::join_all(bodies.iter().map(|body| server.soap(PATH, body))).await
}

/// How AsyncPair's processes call each other.
enum Link {
    Peer,
    Http,
    /// Through queues of the broker at the URL.
    Amqp(String),
}

/// Clients of the AsyncPair run that send orders; as many again send hellos.
const ORDER_CLIENTS: usize = 6;
/// At most this many orders answered before the kill in one round.
const MOST_ANSWERED: u64 = 30;
const HELLO: &str =
    r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>Baton</h:name></h:hello>"#;

/// Deploys AsyncPair, its processes calling each other over `link`, and HelloWorld into
/// `dirs`; the configuration the servers need.
fn deploy_async_pair(dirs: &Dirs, link: &Link, queues: &str) -> Vec<(&'static str, String)> {
    let unit = dirs.deploy().join("AsyncPair");
    copy_unit(&repo().join("samples/AsyncPair"), &unit, &|text| text);
    dirs.add_sample("HelloWorld");
    let write = |file: &str, text: String| std::fs::write(unit.join(file), text).unwrap();
    match link {
        Link::Peer => Vec::new(),
        // Not peer-to-peer: a call goes to where this server offers the service, over HTTP.
        Link::Http => {
            let deploy_xml = std::fs::read_to_string(unit.join("deploy.xml")).unwrap();
            write(
                "deploy.xml",
                deploy_xml.replace(r#"usePeer2Peer="true""#, r#"usePeer2Peer="false""#),
            );
            Vec::new()
        }
        Link::Amqp(url) => {
            let base = url.trim_end_matches('/');
            write("deploy.xml", async_pair::deploy_xml(false, true));
            write("server.epr", epr(&format!("{base}/{queues}.server"), ""));
            write(
                "callback.epr",
                epr(&format!("{base}/{queues}.callback"), ""),
            );
            vec![("BATON_AMQP__URL", url.clone())]
        }
    }
}

/// The server of an AsyncPair run.
async fn pair_server(dirs: &Dirs, settings: &[(&'static str, String)]) -> Server {
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Server::start_configured(dirs, PAIR_LOG_FILTER, true, &settings).await
}

/// The servers log what the harness awaits, problems, and how partners are called.
const PAIR_LOG_FILTER: &str = "warn,baton::server=info,baton::engine::partner=debug";

/// One AsyncPair round: half the clients send orders (an order is answered once its callback
/// came), half send hellos; the server is killed once `target` orders are answered.
async fn async_pair_round(
    dirs: &Dirs,
    settings: &[(&'static str, String)],
    via: &str,
    number: usize,
    target: usize,
) -> Vec<String> {
    let server = pair_server(dirs, settings).await;
    let (orders, hellos) = (
        format!("{}/ode/processes/AsyncClient", server.address),
        format!("{}/ode/processes/HelloWorld", server.address),
    );
    let http = reqwest::Client::new();
    let first_order = async_pair::order(&format!("r{number}-first"));
    let answer = post(&http, &orders, &first_order).await;
    assert!(
        answer
            .as_ref()
            .is_some_and(|(status, body)| *status == 200 && body.contains("shipped book")),
        "{answer:?}"
    );
    let line = server.await_log(&["Invoking partner", "partner_link=requester"]);
    assert!(line.contains(&format!("via={via}")), "{line}");
    round(
        server,
        target,
        2 * ORDER_CLIENTS,
        move |client, sequence| {
            let (http, orders, hellos) = (http.clone(), orders.clone(), hellos.clone());
            async move {
                if client >= ORDER_CLIENTS {
                    post(&http, &hellos, HELLO).await;
                    return None;
                }
                let id = format!("r{number}-c{client}-{sequence}");
                let (status, body) = post(&http, &orders, &async_pair::order(&id)).await?;
                (status == 200 && body.contains("shipped book")).then_some(id)
            }
        },
    )
    .await
}

/// Kills the server at random points while AsyncPair runs over `link`, then checks that every
/// order taken completed exactly once.
async fn async_pair_killed_at_random_points(link: Link, via: &str) {
    let dirs = Dirs::new();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let queues = format!("test.baton.crash.{nanos:x}");
    let settings = deploy_async_pair(&dirs, &link, &queues);
    let mut random = Random::seeded();
    let mut answered = vec![];
    for number in 0..ROUNDS {
        let target = random.up_to(MOST_ANSWERED) as usize;
        answered.extend(async_pair_round(&dirs, &settings, via, number, target).await);
    }
    let server = pair_server(&dirs, &settings).await;
    let store = dirs.store().await.unwrap();
    let running = InstanceFilter::with_status(InstanceStatus::Running);
    let settled = common::within(PATIENCE, || async {
        store
            .list_instances(&running)
            .await
            .unwrap()
            .is_empty()
            .then_some(())
    })
    .await;
    if settled.is_none() {
        let mut pending = Vec::new();
        for instance in store.list_instances(&running).await.unwrap() {
            let exchanges = store.pending_exchanges(instance.id).await;
            pending.push((instance, exchanges));
        }
        panic!("instances left waiting: {pending:#?}");
    }
    let instances = store
        .list_instances(&InstanceFilter::default())
        .await
        .unwrap();
    let of = |process: &str| -> Vec<&InstanceSummary> {
        instances
            .iter()
            .filter(|instance| instance.pid.contains(process))
            .collect()
    };
    let (clients, servers) = (of("AsyncClient"), of("AsyncServer"));
    for instance in clients.iter().chain(&servers).chain(&of("HelloWorld")) {
        assert_eq!(instance.status, InstanceStatus::Completed, "{instance:?}");
    }
    let mut orders = Vec::new();
    for client in &clients {
        let exchanges = store.exchanges(client.id).await.unwrap();
        let start = exchanges
            .iter()
            .find(|exchange| exchange.operation == "start")
            .expect("the client's order is in its journal");
        let request = String::from_utf8_lossy(start.request.as_deref().unwrap()).into_owned();
        orders.push(element_text(&request, "id").unwrap());
    }
    orders.sort();
    let taken = orders.len();
    orders.dedup();
    assert_eq!(orders.len(), taken, "an order created two client instances");
    for id in &answered {
        assert!(orders.binary_search(id).is_ok(), "order {id} was answered");
    }
    assert_eq!(
        servers.len(),
        clients.len(),
        "each order reached the server process once"
    );
    eprintln!(
        "{via}: {} orders taken, {} answered before a kill",
        clients.len(),
        answered.len()
    );
    store.close().await;
    drop(server);
    if let Link::Amqp(url) = &link {
        delete_queues(
            url,
            &[format!("{queues}.server"), format!("{queues}.callback")],
        )
        .await;
    }
}

async fn delete_queues(url: &str, queues: &[String]) {
    let connection = lapin::Connection::connect(url, lapin::ConnectionProperties::default())
        .await
        .expect("the broker accepts a connection");
    let channel = connection.create_channel().await.unwrap();
    for queue in queues {
        channel
            .queue_delete(
                queue.as_str().into(),
                lapin::options::QueueDeleteOptions::default(),
            )
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_pair_peer_to_peer_completes_every_order_once_across_kills() {
    async_pair_killed_at_random_points(Link::Peer, "peer").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_pair_over_http_completes_every_order_once_across_kills() {
    async_pair_killed_at_random_points(Link::Http, "http").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_pair_over_amqp_completes_every_order_once_across_kills() {
    let Some(url) =
        async_pair::broker_url("async_pair_over_amqp_completes_every_order_once_across_kills")
    else {
        return;
    };
    async_pair_killed_at_random_points(Link::Amqp(url), "amqp").await;
}
