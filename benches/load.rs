//! Load benchmark of the real `baton` server over HTTP, against a bare actix-web baseline that
//! does the same SOAP parsing: HelloWorld durable and in memory, HelloWorld called from another
//! process peer-to-peer or through HTTP, and AsyncPair's orders. Beside each throughput, the
//! server process's CPU time per request. Every figure and ratio comes from this one run; see
//! benches/README.md.
//!
//! Last, a million completed instances are deleted through the management API while
//! HelloWorld runs (see `load/deletion.rs`; `BENCH_DELETE_INSTANCES` sets how many, 0 skips;
//! `BENCH_ONLY=deletion` runs that phase alone).
//!
//! `BENCH_SECONDS` (default 10) is the length of each measurement and `BENCH_CONCURRENCY`
//! (default 32) the number of keep-alive clients at saturation. With `BENCH_POSTGRES_URL` (a
//! PostgreSQL server's URL, such as scripts/services/pg_start.sh starts), durable HelloWorld
//! also runs on PostgreSQL. Each store's durable rate is set beside its raw single-row commit
//! rate, measured here too. With `BENCH_AMQP_URL` (a RabbitMQ broker's URL, such as
//! scripts/services/rabbitmq_start.sh prints), the caller also invokes HelloWorld served from
//! a queue, and HelloWorld served from a queue is called over AMQP next to raw lapin
//! consuming, answering and acknowledging the same messages.

#[path = "load/baseline.rs"]
mod baseline;
#[path = "load/client.rs"]
mod client;
#[path = "load/commits.rs"]
mod commits;
#[path = "load/cpu.rs"]
mod cpu;
#[path = "load/deletion.rs"]
mod deletion;
#[path = "load/echo.rs"]
mod echo;
#[path = "load/postgres.rs"]
mod postgres;
#[path = "load/server.rs"]
mod server;

use std::fmt::Display;
use std::str::FromStr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, ensure, Context};
use baton_transports::amqp::{AmqpClient, AmqpConfig, AmqpEndpoint};
use bytes::Bytes;

use client::{Measurement, Target, Via};
use server::{Baton, Unit};

/// The body of every request.
macro_rules! hello_body {
    () => {
        r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>Baton</h:name></h:hello>"#
    };
}
const HELLO_BODY: &str = hello_body!();
const ENVELOPE: &str = concat!(
    r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>"#,
    hello_body!(),
    "</s:Body></s:Envelope>"
);
const EXPECT: &str = "Hello, Baton!";
const HELLO_PATH: &str = "/ode/processes/HelloWorld";
const HELLO_ACTION: &str = "urn:baton:samples:hello/hello";
const CALLER_PATH: &str = "/ode/processes/Caller";
const CALLER_ACTION: &str = "urn:baton:bench:caller/hello";
const ORDER_PATH: &str = "/ode/processes/AsyncClient";
const ORDER_ACTION: &str = "urn:baton:samples:async/start";
/// What AsyncServer's answer to an order of a book says, beside the order's id.
const ORDER_EXPECT: &str = "shipped book";

struct Settings {
    duration: Duration,
    warmup: Duration,
    concurrency: usize,
}

fn env_or<T: FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: Display,
{
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={value}: {e}")),
        Err(_) => Ok(default),
    }
}

impl Settings {
    fn from_env() -> anyhow::Result<Settings> {
        let seconds: f64 = env_or("BENCH_SECONDS", 10.0)?;
        let concurrency: usize = env_or("BENCH_CONCURRENCY", 32)?;
        ensure!(seconds > 0.0, "BENCH_SECONDS must be positive");
        ensure!(concurrency > 0, "BENCH_CONCURRENCY must be positive");
        Ok(Settings {
            duration: Duration::from_secs_f64(seconds),
            warmup: Duration::from_secs_f64((seconds / 5.0).clamp(0.5, 2.0)),
            concurrency,
        })
    }
}

/// One line of the final table.
struct Row {
    label: String,
    saturation: Measurement,
    half_load: Option<Measurement>,
    /// The server process's CPU time per good request at saturation, when it was measured.
    cpu_per_request: Option<Duration>,
    /// The row this one's throughput is compared with, by index, and what to call it.
    compared_with: Option<(usize, &'static str)>,
}

/// Warms up, measures saturation (and the CPU time of the server process `server`, when
/// given), then (when `half_load`) latency at half that rate. The row compares with nothing.
async fn measure(
    settings: &Settings,
    label: &str,
    target: Target,
    half_load: bool,
    server: Option<u32>,
) -> anyhow::Result<Row> {
    let target = Arc::new(target);
    client::saturate(&target, settings.concurrency, settings.warmup).await;
    let meter = server.map(cpu::Meter::start).transpose()?;
    let saturation = client::saturate(&target, settings.concurrency, settings.duration).await;
    check(label, "saturation", &saturation)?;
    let cpu_per_request = meter
        .map(|meter| meter.per_request(saturation.good()))
        .transpose()?;
    let cpu = cpu_per_request.map_or(String::new(), |cpu| {
        format!(", server CPU {:.0} µs/req", micros(cpu))
    });
    println!(
        "{label}: saturation {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms{cpu}",
        saturation.rate(),
        saturation.percentile_ms(50.0),
        saturation.percentile_ms(99.0)
    );
    let mut row = Row {
        label: label.to_owned(),
        saturation,
        half_load: None,
        cpu_per_request,
        compared_with: None,
    };
    if !half_load {
        return Ok(row);
    }
    let rate = row.saturation.rate() / 2.0;
    let half = client::open_loop(&target, settings.concurrency, rate, settings.duration).await;
    check(label, "50% load", &half)?;
    println!(
        "{label}: 50% load {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
        half.rate(),
        half.percentile_ms(50.0),
        half.percentile_ms(99.0)
    );
    row.half_load = Some(half);
    Ok(row)
}

/// A duration in microseconds.
fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// Reports failed requests; fails when nothing succeeded.
fn check(label: &str, phase: &str, measurement: &Measurement) -> anyhow::Result<()> {
    if let Some(error) = &measurement.first_error {
        println!(
            "{label}: {phase}: {} requests failed, the first with {error}",
            measurement.errors
        );
    }
    ensure!(
        measurement.rate() > 0.0,
        "{label}: {phase}: no request succeeded"
    );
    Ok(())
}

/// HelloWorld's request posted over HTTP to `url` with `soap_action`.
fn http(url: String, soap_action: &'static str) -> Target {
    Target {
        via: Via::Http {
            client: client::http_client(),
            url,
            envelope: Bytes::from_static(ENVELOPE.as_bytes()),
        },
        soap_action,
        expect: EXPECT,
    }
}

/// The text of one reply.
async fn probe(url: &str, soap_action: &str) -> anyhow::Result<String> {
    let response = client::http_client()
        .post(url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", soap_action)
        .body(ENVELOPE)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() || !text.contains(EXPECT) {
        bail!("{url} answered {status}: {text}");
    }
    Ok(text)
}

async fn run(settings: &Settings) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let workers = std::thread::available_parallelism().map_or(1, usize::from);

    let baseline = baseline::Baseline::start(workers)?;
    let url = format!("{}{HELLO_PATH}", baseline.address);
    let baseline_reply = probe(&url, HELLO_ACTION).await?;
    let label = "baseline actix (parse+reply)";
    let target = http(url, HELLO_ACTION);
    rows.push(measure(settings, label, target, true, Some(baseline.pid())).await?);
    drop(baseline);

    let hellos = [
        ("sync=full", Unit::HelloWorld, "full"),
        ("sync=normal", Unit::HelloWorld, "normal"),
        ("in-memory", Unit::HelloWorldInMemory, "full"),
    ];
    for (what, unit, synchronous) in hellos {
        let label = format!("baton HelloWorld ({what})");
        rows.push(hello_world(settings, &label, unit, synchronous, &baseline_reply).await?);
    }

    let without_events = rows.len();
    rows.push(with_events(settings, "none", None).await?);
    rows.push(with_events(settings, "all", Some(without_events)).await?);

    rows.push(beside_runaways(settings, workers).await?);
    rows.push(beside_budgeted_runaways(settings).await?);

    let broker = std::env::var("BENCH_AMQP_URL").ok();
    for (synchronous, direct) in [("full", 1), ("normal", 2)] {
        let store = ("BATON_STORE__SYNCHRONOUS", synchronous);
        let over_http = rows.len();
        let label = format!("caller→HelloWorld over HTTP (sync={synchronous})");
        let units = [Unit::HelloWorld, Unit::Caller { peer2peer: false }];
        rows.push(
            caller(
                settings,
                label,
                &units,
                &[store],
                (direct, "HelloWorld direct"),
            )
            .await?,
        );
        let label = format!("caller→HelloWorld peer-to-peer (sync={synchronous})");
        let units = [Unit::HelloWorld, Unit::Caller { peer2peer: true }];
        rows.push(caller(settings, label, &units, &[store], (over_http, "over HTTP")).await?);
        if let (Some(broker), "full") = (&broker, synchronous) {
            let label = format!("caller→HelloWorld over AMQP (sync={synchronous})");
            let address = format!("{broker}/{}", queue_name("caller"));
            let units = [
                Unit::HelloWorldAt { address },
                Unit::Caller { peer2peer: false },
            ];
            let settings_ = [store, ("BATON_AMQP__URL", broker.as_str()), PREFETCH];
            rows.push(
                caller(
                    settings,
                    label,
                    &units,
                    &settings_,
                    (over_http, "over HTTP"),
                )
                .await?,
            );
        }
    }
    rows.push(async_pair(settings).await?);
    match &broker {
        Some(broker) => amqp_served(settings, broker, &baseline_reply, &mut rows).await?,
        None => println!("AMQP: not measured (set BENCH_AMQP_URL)"),
    }
    Ok(rows)
}

/// `unit` (HelloWorld, durable or in memory) alone on a server whose SQLite store commits with
/// `synchronous`, compared with the baseline, whose reply it should repeat. The instances the
/// store then holds are printed; an in-memory HelloWorld must have stored none.
async fn hello_world(
    settings: &Settings,
    label: &str,
    unit: Unit,
    synchronous: &str,
    baseline_reply: &str,
) -> anyhow::Result<Row> {
    let in_memory = matches!(unit, Unit::HelloWorldInMemory);
    let baton = Baton::start(&[unit], &[("BATON_STORE__SYNCHRONOUS", synchronous)])?;
    let url = format!("{}{HELLO_PATH}", baton.address);
    let reply = probe(&url, HELLO_ACTION).await?;
    if reply != baseline_reply {
        println!("note: the baseline's reply differs from Baton's:\n  {baseline_reply}\n  {reply}");
    }
    let target = http(url, HELLO_ACTION);
    let row = measure(settings, label, target, true, Some(baton.pid())).await?;
    let stored = baton.stored_instances().await?;
    println!("{label}: {stored} instances in the store");
    ensure!(
        !in_memory || stored == 0,
        "{label}: in memory, yet {stored} instances reached the store"
    );
    Ok(Row {
        compared_with: Some((0, "baseline")),
        ..row
    })
}

/// HelloWorld (sync=full) generating events as `generate` says, heard by the `store`
/// listener, compared with the row `compared_with` (the same without events). The events the
/// store kept are printed beside the instances.
async fn with_events(
    settings: &Settings,
    generate: &'static str,
    compared_with: Option<usize>,
) -> anyhow::Result<Row> {
    let unit = Unit::HelloWorldEvents { generate };
    let listener = ("BATON_EVENTS__LISTENERS", r#"["store"]"#);
    let baton = Baton::start(&[unit], &[listener])?;
    let url = format!("{}{HELLO_PATH}", baton.address);
    probe(&url, HELLO_ACTION).await?;
    let label = format!("baton HelloWorld (events generate={generate}, store listener)");
    let row = measure(
        settings,
        &label,
        http(url, HELLO_ACTION),
        true,
        Some(baton.pid()),
    )
    .await?;
    let instances = baton.stored_instances().await?;
    let events = baton.stored_events().await?;
    println!("{label}: {instances} instances and {events} events in the store");
    Ok(Row {
        compared_with: compared_with.map(|row| (row, "generate=none")),
        ..row
    })
}

/// samples/AsyncPair on the durable store (SQLite, sync=full): orders posted to AsyncClient,
/// each with an id of its own and answered once AsyncServer's callback for that id reached the
/// AsyncClient instance; two instances and two one-way peer-to-peer calls per order.
async fn async_pair(settings: &Settings) -> anyhow::Result<Row> {
    let baton = Baton::start(&[Unit::AsyncPair], &[])?;
    let target = Target {
        via: Via::Orders {
            client: client::http_client(),
            url: format!("{}{ORDER_PATH}", baton.address),
            next: AtomicU64::new(0),
        },
        soap_action: ORDER_ACTION,
        expect: ORDER_EXPECT,
    };
    let label = "baton AsyncPair orders (sync=full)";
    measure(settings, label, target, false, Some(baton.pid())).await
}

/// HelloWorld (sync=full) on a server where `count` instances of tests/data/units/Runaway
/// loop for ever (their step budget set beyond the measurement), compared with HelloWorld
/// alone (row 1).
async fn beside_runaways(settings: &Settings, count: usize) -> anyhow::Result<Row> {
    let label = format!("baton HelloWorld beside {count} runaway loops");
    let unbounded = [
        ("BATON_ENGINE__MAX_STEP_ACTIVITIES", "1000000000000000"),
        ("BATON_ENGINE__MAX_STEP_MS", "86400000"),
    ];
    let baton = Baton::start(&[Unit::HelloWorld, Unit::Runaway], &unbounded)?;
    let runaway = format!("{}/runaway", baton.address);
    for _ in 0..count {
        let response = client::http_client()
            .post(&runaway)
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(RUNAWAY_LOOP)
            .send()
            .await?;
        ensure!(response.status().is_success(), "Runaway did not start");
    }
    // The loops start once their one-second wait is over.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    hello_beside(settings, label, baton).await
}

/// HelloWorld (sync=full) on a server under the default step budget, where a new Runaway
/// loop and a new Runaway quadratic query over 3,000 elements start every second while
/// HelloWorld is measured, each stopped by the budget and suspended; compared with
/// HelloWorld alone (row 1).
async fn beside_budgeted_runaways(settings: &Settings) -> anyhow::Result<Row> {
    let label = "baton HelloWorld beside runaways the budget stops".to_owned();
    let baton = Baton::start(&[Unit::HelloWorld, Unit::Runaway], &[])?;
    let runaway = format!("{}/runaway", baton.address);
    let items: String = (0..3000).map(|n| format!("<i>{n}</i>")).collect();
    let query = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><w:run xmlns:w="urn:baton:test:runaway:wsdl"><w:mode>query</w:mode>{items}</w:run></s:Body></s:Envelope>"#
    );
    let feeding = tokio::spawn(async move {
        loop {
            for body in [RUNAWAY_LOOP.to_owned(), query.clone()] {
                let request = client::http_client()
                    .post(&runaway)
                    .header("Content-Type", "text/xml; charset=utf-8")
                    .body(body);
                tokio::spawn(request.send());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let row = hello_beside(settings, label, baton).await;
    feeding.abort();
    row
}

/// HelloWorld measured on `baton`, beside whatever else runs there, compared with HelloWorld
/// alone (row 1).
async fn hello_beside(settings: &Settings, label: String, baton: Baton) -> anyhow::Result<Row> {
    let url = format!("{}{HELLO_PATH}", baton.address);
    probe(&url, HELLO_ACTION).await?;
    let target = http(url, HELLO_ACTION);
    let row = measure(settings, &label, target, true, Some(baton.pid())).await?;
    Ok(Row {
        compared_with: Some((1, "HelloWorld alone")),
        ..row
    })
}

/// Runaway's request that answers and then loops.
const RUNAWAY_LOOP: &str = concat!(
    r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>"#,
    r#"<w:run xmlns:w="urn:baton:test:runaway:wsdl"><w:mode>loop</w:mode></w:run>"#,
    "</s:Body></s:Envelope>"
);

/// Prefetch of the AMQP-served rows, the same for Baton and for raw lapin.
const PREFETCH: (&str, &str) = ("BATON_AMQP__PREFETCH", "64");

/// A fresh queue name.
fn queue_name(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    format!("bench-{what}-{}-{nanos}", std::process::id())
}

/// The Caller process, invoking HelloWorld as `units` deploy it, called over HTTP.
async fn caller(
    settings: &Settings,
    label: String,
    units: &[Unit],
    config: &[(&str, &str)],
    compared_with: (usize, &'static str),
) -> anyhow::Result<Row> {
    let baton = Baton::start(units, config)?;
    let url = format!("{}{CALLER_PATH}", baton.address);
    probe(&url, CALLER_ACTION).await?;
    let target = http(url, CALLER_ACTION);
    let row = measure(settings, &label, target, false, Some(baton.pid())).await?;
    Ok(Row {
        compared_with: Some(compared_with),
        ..row
    })
}

/// HelloWorld served from a queue next to raw lapin echoing the same messages through a queue
/// of the same kind; both called by the same AMQP clients, the reply awaited.
async fn amqp_served(
    settings: &Settings,
    broker: &str,
    reply: &str,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let prefetch: u16 = PREFETCH.1.parse()?;
    let caller = AmqpClient::new(&AmqpConfig {
        url: broker.to_owned(),
        ..AmqpConfig::default()
    })?;
    let target = |address: &str| -> anyhow::Result<Target> {
        Ok(Target {
            via: Via::Amqp {
                client: caller.clone(),
                endpoint: AmqpEndpoint::parse(address)?,
                body: Bytes::from_static(HELLO_BODY.as_bytes()),
            },
            soap_action: HELLO_ACTION,
            expect: EXPECT,
        })
    };
    let label = "raw lapin (consume, reply, ack)";
    let queue = queue_name("echo");
    let echo = echo::Echo::start(broker, &queue, prefetch, reply.to_owned()).await?;
    let address = format!("{broker}/{queue}");
    // The echo runs inside the bench, beside the clients: its CPU time is not measured.
    let row = measure(settings, label, target(&address)?, true, None).await?;
    echo.stop().await?;
    let echo_row = rows.len();
    rows.push(row);

    let label = "baton HelloWorld served over AMQP (sync=full)";
    let address = format!("{broker}/{}", queue_name("hello"));
    let units = [Unit::HelloWorldAt {
        address: address.clone(),
    }];
    let baton = Baton::start(&units, &[("BATON_AMQP__URL", broker), PREFETCH])?;
    let row = measure(settings, label, target(&address)?, true, Some(baton.pid())).await?;
    rows.push(Row {
        compared_with: Some((echo_row, "raw lapin")),
        ..row
    });
    Ok(())
}

/// Durable HelloWorld on each store next to that store's raw single-row commit rate; on
/// PostgreSQL (with `BENCH_POSTGRES_URL`) HelloWorld is measured here. Returns the lines to
/// print after the table.
async fn stores(settings: &Settings, sqlite_durable: &Row) -> anyhow::Result<Vec<String>> {
    let dir = tempfile::tempdir()?;
    let raw = commits::sqlite(dir.path(), settings.duration).await?;
    println!("raw single-row commits (SQLite, sync=full): {raw:.0}/s");
    let mut lines = vec![commit_line(
        "SQLite, sync=full",
        sqlite_durable.saturation.rate(),
        raw,
    )];
    let Ok(server) = std::env::var("BENCH_POSTGRES_URL") else {
        lines.push("PostgreSQL: not measured (set BENCH_POSTGRES_URL)".into());
        return Ok(lines);
    };
    let baton_db = postgres::Scratch::create(&server, "baton").await?;
    let label = "baton HelloWorld (PostgreSQL)";
    let baton = Baton::start(&[Unit::HelloWorld], &[("BATON_STORE__URL", &baton_db.url)])?;
    let url = format!("{}{HELLO_PATH}", baton.address);
    probe(&url, HELLO_ACTION).await?;
    let target = http(url, HELLO_ACTION);
    let row = measure(settings, label, target, false, Some(baton.pid())).await?;
    drop(baton);
    baton_db.drop_database().await?;
    let raw_db = postgres::Scratch::create(&server, "raw").await?;
    let raw = commits::postgres(&raw_db.url, settings.duration).await?;
    raw_db.drop_database().await?;
    println!("raw single-row commits (PostgreSQL): {raw:.0}/s");
    lines.push(commit_line("PostgreSQL", row.saturation.rate(), raw));
    Ok(lines)
}

fn commit_line(store: &str, durable: f64, raw: f64) -> String {
    format!(
        "{store}: durable HelloWorld {durable:.0} req/s = {:.2}× the raw single-row commit rate ({raw:.0} commits/s)",
        durable / raw
    )
}

fn print_table(rows: &[Row]) {
    let width = rows.iter().map(|row| row.label.chars().count()).max();
    let width = width.unwrap_or_default();
    println!();
    println!(
        "{:<width$} {:^30} | {:^26} | throughput ratio",
        "", "saturation", "at 50% load"
    );
    println!(
        "{:<width$} {:>9} {:>8} {:>11} | {:>9} {:>8} {:>8} |",
        "scenario", "req/s", "p99 ms", "CPU µs/req", "req/s", "p50 ms", "p99 ms"
    );
    for row in rows {
        let saturation = &row.saturation;
        let cpu = row
            .cpu_per_request
            .map_or("-".to_owned(), |cpu| format!("{:.0}", micros(cpu)));
        let half = match &row.half_load {
            Some(half) => format!(
                "{:>9.0} {:>8.2} {:>8.2}",
                half.rate(),
                half.percentile_ms(50.0),
                half.percentile_ms(99.0)
            ),
            None => format!("{:>9} {:>8} {:>8}", "-", "-", "-"),
        };
        let ratio = row.compared_with.map_or(String::new(), |(index, name)| {
            let reference = rows[index].saturation.rate();
            format!("{:.3} of {name}", saturation.rate() / reference)
        });
        println!(
            "{:<width$} {:>9.0} {:>8.2} {cpu:>11} | {half} | {ratio}",
            row.label,
            saturation.rate(),
            saturation.percentile_ms(99.0)
        );
    }
    println!();
    for row in rows {
        if let Some((index, name)) = row.compared_with {
            println!("{}", comparison(row, &rows[index], name));
        }
    }
}

/// How `row` compares with `reference`, called `name`: the ratios of their throughputs,
/// saturation p99s and CPU time per request, and of their latencies at 50% load.
fn comparison(row: &Row, reference: &Row, name: &str) -> String {
    let mut line = format!(
        "{} / {name}: req/s {:.3}×, saturation p99 {:.2}×",
        row.label,
        row.saturation.rate() / reference.saturation.rate(),
        row.saturation.percentile_ms(99.0) / reference.saturation.percentile_ms(99.0)
    );
    if let (Some(cpu), Some(base)) = (row.cpu_per_request, reference.cpu_per_request) {
        line += &format!(
            ", CPU per request {:.2}×",
            cpu.as_secs_f64() / base.as_secs_f64()
        );
    }
    if let (Some(half), Some(base)) = (&row.half_load, &reference.half_load) {
        line += &format!(
            ", p50 at 50% load {:.2}×, p99 at 50% load {:.2}×",
            half.percentile_ms(50.0) / base.percentile_ms(50.0),
            half.percentile_ms(99.0) / base.percentile_ms(99.0)
        );
    }
    line
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some(baseline::SERVE_ARG) {
        let workers = args.next().context("the baseline's worker count")?;
        return baseline::serve(workers.parse()?);
    }
    let settings = Settings::from_env()?;
    println!(
        "load: {:.1} s per measurement after {:.1} s of warm-up, {} clients, {} cores; {}",
        settings.duration.as_secs_f64(),
        settings.warmup.as_secs_f64(),
        settings.concurrency,
        std::thread::available_parallelism().map_or(1, usize::from),
        env!("CARGO_BIN_EXE_baton")
    );
    let runtime = tokio::runtime::Runtime::new().context("the client runtime")?;
    let deletions: usize = env_or("BENCH_DELETE_INSTANCES", 1_000_000)?;
    if std::env::var("BENCH_ONLY").as_deref() == Ok("deletion") {
        return runtime.block_on(deletion::run(&settings, deletions, |url| {
            http(url, HELLO_ACTION)
        }));
    }
    let (rows, store_lines) = runtime.block_on(async {
        let rows = run(&settings).await?;
        let lines = stores(&settings, &rows[1]).await?;
        anyhow::Ok((rows, lines))
    })?;
    print_table(&rows);
    println!();
    for line in store_lines {
        println!("{line}");
    }
    match deletions {
        0 => println!("deletion: not measured (BENCH_DELETE_INSTANCES=0)"),
        count => runtime.block_on(deletion::run(&settings, count, |url| {
            http(url, HELLO_ACTION)
        }))?,
    }
    Ok(())
}
