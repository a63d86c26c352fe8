//! End-to-end: `GET /metrics` of a real server, over HTTP. The exposition is read line by
//! line as Prometheus' text format says (every sample `name{labels} value`, of a family
//! whose HELP and TYPE come first; histogram buckets that add up to their count), and what
//! it counts follows exactly from the calls made: messages in by transport and outcome,
//! instances started and ended per process version, steps and transactions of the store,
//! calls between processes on both sides. Who may read it is `[server] metrics`: anyone by
//! default, only a user of the role viewer or above, or nobody.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};

use common::{eventually, Dirs, Server, PATIENCE};

const HELLO_PID: &str = "{urn:baton:samples:hello:process}HelloWorld-1";
const CLIENT_PID: &str = "{urn:baton:samples:async:process}AsyncClient-1";
const SERVER_PID: &str = "{urn:baton:samples:async:process}AsyncServer-1";

const HELLO: &str =
    r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>Metrics</h:name></h:hello>"#;

/// How many calls each test makes.
const CALLS: u32 = 5;

/// One sample of an exposition.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// An exposition, read and checked.
#[derive(Debug)]
struct Exposition {
    samples: Vec<Sample>,
    /// The type of each family, as its TYPE line says.
    types: HashMap<String, String>,
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Reads a sample line, `name{label="value",...} value`; fails the test on anything else.
fn sample(line: &str) -> Sample {
    let end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value: {line}"));
    let name = &line[..end];
    assert!(is_name(name), "not a metric name: {line}");
    let mut rest = &line[end..];
    let mut labels = BTreeMap::new();
    if let Some(inside) = rest.strip_prefix('{') {
        rest = inside;
        loop {
            let after = rest.strip_prefix(',').unwrap_or(rest);
            if let Some(after) = after.strip_prefix('}') {
                rest = after;
                break;
            }
            let (label, quoted) = after
                .split_once("=\"")
                .unwrap_or_else(|| panic!("not label=\"value\": {line}"));
            assert!(is_name(label), "not a label name: {line}");
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let closing = loop {
                match chars.next() {
                    Some((at, '"')) => break at,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, escaped @ ('\\' | '"'))) => value.push(escaped),
                        other => panic!("bad escape {other:?}: {line}"),
                    },
                    Some((_, c)) => value.push(c),
                    None => panic!("unterminated label value: {line}"),
                }
            };
            assert!(
                labels.insert(label.to_owned(), value).is_none(),
                "label given twice: {line}"
            );
            rest = &quoted[closing + 1..];
        }
    }
    let value = rest
        .strip_prefix(' ')
        .unwrap_or_else(|| panic!("no space before the value: {line}"));
    let value = value
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {line}"));
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

/// The family a sample of `name` belongs to among `types`: itself, or the histogram whose
/// bucket, sum or count it is.
fn family_of<'a>(name: &'a str, types: &HashMap<String, String>) -> Option<&'a str> {
    if types.contains_key(name) {
        return Some(name);
    }
    ["_bucket", "_sum", "_count"]
        .iter()
        .filter_map(|suffix| name.strip_suffix(suffix))
        .find(|family| types.get(*family).is_some_and(|kind| kind == "histogram"))
}

/// Reads an exposition in the text format; fails the test on a line that is not a HELP, a
/// TYPE or a sample of a family declared before it.
fn parse(text: &str) -> Exposition {
    let mut helped = HashSet::new();
    let mut types = HashMap::new();
    let mut samples = Vec::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        if let Some(help) = line.strip_prefix("# HELP ") {
            let (name, help) = help.split_once(' ').expect("HELP name text");
            assert!(is_name(name) && !help.is_empty(), "{line}");
            assert!(helped.insert(name.to_owned()), "HELP twice: {line}");
        } else if let Some(declared) = line.strip_prefix("# TYPE ") {
            let (name, kind) = declared.split_once(' ').expect("TYPE name type");
            assert!(helped.contains(name), "TYPE before HELP: {line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            let earlier = types.insert(name.to_owned(), kind.to_owned());
            assert!(earlier.is_none(), "TYPE twice: {line}");
        } else {
            assert!(!line.starts_with('#'), "a comment of no kind: {line}");
            let sample = sample(line);
            let family = family_of(&sample.name, &types);
            assert!(family.is_some(), "a sample of no declared family: {line}");
            if family.is_some_and(|family| family.ends_with("_total")) {
                assert!(sample.value >= 0.0, "a negative counter: {line}");
            }
            samples.push(sample);
        }
    }
    let exposition = Exposition { samples, types };
    exposition.check_histograms();
    exposition
}

impl Exposition {
    /// The value of the sample `name` with exactly `labels`, if there is one.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(label, value)| (label.to_string(), value.to_string()))
            .collect();
        let found: Vec<_> = self
            .samples
            .iter()
            .filter(|sample| sample.name == name && sample.labels == wanted)
            .collect();
        assert!(found.len() <= 1, "{name} {labels:?} given twice");
        found.first().map(|sample| sample.value)
    }

    /// The value of the sample `name` with exactly `labels`, which must be there.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or_else(|| {
            let names: HashSet<_> = self.samples.iter().map(|s| &s.name).collect();
            panic!("no {name} {labels:?} among {names:?}")
        })
    }

    /// The samples of `name`, whatever their labels.
    fn all(&self, name: &str) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|sample| sample.name == name)
            .collect()
    }

    /// Every histogram's buckets grow with their bound, and the last (`+Inf`) is its count.
    fn check_histograms(&self) {
        let histograms = self.types.iter().filter(|(_, kind)| *kind == "histogram");
        for (family, _) in histograms {
            for count in self.all(&format!("{family}_count")) {
                let mut buckets: Vec<(f64, f64)> = self
                    .all(&format!("{family}_bucket"))
                    .into_iter()
                    .filter(|bucket| {
                        let mut labels = bucket.labels.clone();
                        labels.remove("le");
                        labels == count.labels
                    })
                    .map(|bucket| {
                        let bound = &bucket.labels["le"];
                        (bound.parse().unwrap(), bucket.value)
                    })
                    .collect();
                buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
                assert!(
                    buckets.windows(2).all(|pair| pair[0].1 <= pair[1].1),
                    "{family} {:?}: buckets shrink: {buckets:?}",
                    count.labels
                );
                let last = buckets.last().expect("a histogram has buckets");
                assert!(last.0.is_infinite(), "{family}: no +Inf bucket");
                assert_eq!(last.1, count.value, "{family} {:?}", count.labels);
            }
        }
    }
}

/// `GET /metrics` without credentials: its status and body.
async fn get_anonymously(server: &Server) -> (u16, String) {
    let response = reqwest::get(format!("{}/metrics", server.address))
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The metrics, read without credentials and checked.
async fn scrape(server: &Server) -> Exposition {
    let response = reqwest::get(format!("{}/metrics", server.address))
        .await
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    parse(&response.text().await.unwrap())
}

/// The labels of a message exchange over `transport` that ended with `outcome`.
fn exchange<'a>(transport: &'a str, outcome: &'a str) -> [(&'a str, &'a str); 2] {
    [("transport", transport), ("outcome", outcome)]
}

#[tokio::test]
async fn each_call_is_counted_once_in_messages_instances_and_steps() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let listeners = [("BATON_EVENTS__LISTENERS", r#"["log"]"#)];
    let server = Server::start_configured(&dirs, "info", true, &listeners).await;
    let before = scrape(&server).await;
    assert_eq!(
        before.get("baton_instances_started_total", &[("process", HELLO_PID)]),
        None
    );
    assert_eq!(
        before.value("baton_store_steps_total", &[("store", "durable")]),
        0.0
    );

    for _ in 0..CALLS {
        let (status, body) = server.soap("/ode/processes/HelloWorld", HELLO).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = server.soap("/ode/processes/Nowhere", HELLO).await;
    assert_eq!(status, 500, "{body}");
    let after = scrape(&server).await;

    let calls = f64::from(CALLS);
    let messages = "baton_inbound_message_duration_seconds_count";
    assert_eq!(after.value(messages, &exchange("http", "reply")), calls);
    assert_eq!(after.value(messages, &exchange("http", "fault")), 1.0);
    assert_eq!(after.get(messages, &exchange("peer", "reply")), None);
    let hello = [("process", HELLO_PID)];
    assert_eq!(after.value("baton_instances_started_total", &hello), calls);
    let ended = |status: &str| {
        after.value(
            "baton_instances_ended_total",
            &[("process", HELLO_PID), ("status", status)],
        )
    };
    assert_eq!(ended("completed"), calls);
    assert_eq!(ended("faulted"), 0.0);
    assert_eq!(ended("terminated"), 0.0);
    assert_eq!(ended("failed"), 0.0);
    assert_eq!(after.value("baton_instance_hydrations_total", &hello), 0.0);
    assert_eq!(
        after.value("baton_instance_dehydrations_total", &hello),
        0.0
    );
    assert!(after.get("baton_instances_in_memory", &hello).is_some());

    let durable = [("store", "durable")];
    let steps = after.value("baton_store_steps_total", &durable);
    let refused = after.value("baton_store_steps_refused_total", &durable);
    let transactions = after.value("baton_store_transactions_total", &durable);
    assert!(steps >= calls, "{steps} steps for {calls} instances");
    assert!((1.0..=steps).contains(&transactions), "{transactions}");
    assert_eq!(
        after.value("baton_store_transaction_steps_count", &[]),
        transactions
    );
    assert_eq!(
        after.value("baton_store_transaction_steps_sum", &[]),
        steps + refused
    );
    assert_eq!(
        after.value("baton_store_transaction_duration_seconds_count", &[]),
        transactions
    );
    let memory = [("store", "memory")];
    assert_eq!(after.value("baton_store_steps_total", &memory), 0.0);

    let pools = after.all("baton_store_pool_max_connections");
    assert_eq!(pools.len(), 1, "{pools:?}");
    assert!(pools[0].value >= 1.0, "{pools:?}");
    let log = [("listener", "log")];
    let dropped = "baton_event_listener_dropped_events_total";
    assert_eq!(after.value(dropped, &log), 0.0);
    assert!(after
        .get("baton_event_listener_queued_events", &log)
        .is_some());
}

#[tokio::test]
async fn calls_between_processes_count_on_both_sides() {
    let dirs = Dirs::new();
    dirs.add_sample("AsyncPair");
    let server = Server::start(&dirs).await;
    for n in 0..CALLS {
        let order = format!(
            r#"<a:order xmlns:a="urn:baton:samples:async"><a:id>order-{n}</a:id><a:item>item-{n}</a:item></a:order>"#
        );
        let (status, body) = server.soap("/ode/processes/AsyncClient", &order).await;
        assert_eq!(status, 200, "{body}");
    }
    // Each order is two one-way calls in memory: the client's to the server, and the
    // server's back; the second is counted by its sender once its receiver took it.
    let calls = f64::from(CALLS);
    let sent = "baton_outbound_call_duration_seconds_count";
    let scraped = eventually("every call between processes counted", PATIENCE, || async {
        let scraped = scrape(&server).await;
        let counted = scraped.get(sent, &exchange("peer", "reply"));
        (counted == Some(2.0 * calls)).then_some(scraped)
    })
    .await;
    let received = "baton_inbound_message_duration_seconds_count";
    assert_eq!(
        scraped.value(received, &exchange("peer", "accepted")),
        2.0 * calls
    );
    assert_eq!(scraped.value(received, &exchange("http", "reply")), calls);
    assert_eq!(scraped.get(sent, &exchange("http", "reply")), None);
    for pid in [CLIENT_PID, SERVER_PID] {
        let process = [("process", pid)];
        let completed = [("process", pid), ("status", "completed")];
        assert_eq!(
            scraped.value("baton_instances_started_total", &process),
            calls
        );
        assert_eq!(
            scraped.value("baton_instances_ended_total", &completed),
            calls
        );
    }
}

#[tokio::test]
async fn the_metrics_can_require_a_viewer_or_be_off() {
    let dirs = Dirs::new();
    let viewer = [("BATON_SERVER__METRICS", "viewer")];
    let server = Server::start_configured(&dirs, "info", true, &viewer).await;
    let (status, body) = get_anonymously(&server).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = server.get("/metrics").await;
    assert_eq!(status, 200, "{body}");
    parse(&body);
    drop(server);

    let off = [("BATON_SERVER__METRICS", "off")];
    let server = Server::start_configured(&dirs, "info", true, &off).await;
    let (status, body) = server.get("/metrics").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = get_anonymously(&server).await;
    assert_eq!(status, 404, "{body}");
}
