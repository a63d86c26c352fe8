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
//! The random points come from a seed printed at the start; `CRASH_SEED=N` repeats a run.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use common::{element_text, Dirs, Server, PATIENCE};
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

/// One round: clients send `start`s until `target` are acknowledged, then the server is
/// killed. Returns the acknowledged keys.
async fn round(dirs: &Dirs, number: usize, target: usize) -> Vec<String> {
    let server = Server::start_with(dirs, LOG_FILTER).await;
    let url = format!("{}{PATH}", server.address);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(Notify::new());
    let killed = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (url, acknowledged, count, enough, killed) = (
                url.clone(),
                acknowledged.clone(),
                count.clone(),
                enough.clone(),
                killed.clone(),
            );
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut sequence = 0;
                while !killed.load(Ordering::SeqCst) {
                    sequence += 1;
                    let key = format!("r{number}-c{client}-{sequence}");
                    let sent = http
                        .post(&url)
                        .header("Content-Type", "text/xml; charset=utf-8")
                        .body(format!(
                            r#"<s:Envelope xmlns:s="{SOAP_NS}"><s:Body>{}</s:Body></s:Envelope>"#,
                            message("start", &key)
                        ))
                        .timeout(PATIENCE)
                        .send()
                        .await;
                    // Only a 202 that arrived is an acknowledgement; anything else (the
                    // connection cut by the kill) leaves the request's fate open.
                    if sent.is_ok_and(|response| response.status() == 202) {
                        acknowledged.lock().unwrap().push(key);
                        if count.fetch_add(1, Ordering::SeqCst) + 1 == target {
                            enough.notify_one();
                        }
                    }
                }
            })
        })
        .collect();
    enough.notified().await;
    killed.store(true, Ordering::SeqCst);
    server.kill();
    for client in clients {
        client.await.unwrap();
    }
    let keys = acknowledged.lock().unwrap().clone();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_at_random_points_under_load_the_server_loses_and_repeats_no_acknowledged_request() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Messaging");
    let mut random = Random::seeded();
    let mut acknowledged = Vec::new();
    for number in 0..ROUNDS {
        let target = random.up_to(MOST_ACKNOWLEDGED) as usize;
        acknowledged.extend(round(&dirs, number, target).await);
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
