//! `cargo bench --bench instances`: what a waiting instance costs, hydrated and dehydrated,
//! and how fast one comes back from the store among a million.
//!
//! The Waiter test unit's instances wait on a correlated `<receive>` after their first
//! message, as long-running processes wait for days. The bench runs the real state machine
//! to bring instances to that point, and the real SQLite store to hold them:
//!
//! 1. **Hydrated**: the live heap bytes of `BENCH_HYDRATED` waiting instance states (counted
//!    by this binary's allocator), per instance, next to the serialised state the store keeps:
//!    as the step that brought them to the receive left them, and as hydration from the
//!    store rebuilds them.
//! 2. **Dehydrated**: `BENCH_INSTANCES` waiting instances (a million by default) committed to
//!    a fresh SQLite database through the store's group commit, each with its correlation
//!    route, as the engine commits a first step; per instance: the database's bytes on disk
//!    and nothing in memory.
//! 3. **Hydration latency**: `BENCH_SAMPLES` random instances among them loaded as the engine
//!    hydrates one (the row read, the state deserialised), one at a time: p50 and p99, next
//!    to the same reads of the row alone.
//! 4. **Listing**: a page of 100 of them filtered by status and start date, as the management
//!    API lists them: page 1, and page 1,000 from the cursor where page 999 ended; in the
//!    default order (newest first) and by last activity. With `BENCH_POSTGRES_URL` (a
//!    PostgreSQL server's maintenance database URL), the same million is committed to a
//!    scratch database there and listed the same way.

use baton::store::Store;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use baton::compiler::{compile, UnitSource};
#[path = "load/postgres.rs"]
mod postgres;

use baton::query;
use baton::runtime::state::Inbound;
use baton::runtime::{CompiledProcess, Event, InstanceState, InstanceStatus, Machine};
use baton::store::{
    self, Datasource, DeploymentRecord, InstanceFilter, InstancePosition, InstanceWrite,
    ProcessRecord, ProcessState, RouteKey, SqliteConfig, SqliteStore, StepCommit, Synchronous,
};
use futures::stream::{self, StreamExt};

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PID: &str = "{urn:baton:test:waiter:process}Waiter-1";
const PROCESS: &str = "{urn:baton:test:waiter:process}Waiter";
/// How many instances the store commits at once (the group commit's batches).
const COMMITS_IN_FLIGHT: usize = 256;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let hydrated = setting("BENCH_HYDRATED", 100_000);
    let instances = setting("BENCH_INSTANCES", 1_000_000);
    let samples = setting("BENCH_SAMPLES", 10_000);
    let process = waiter();
    println!(
        "Waiting instances of the Waiter unit (a correlated receive after the first message)\n"
    );

    let before = LIVE.load(Ordering::Relaxed);
    let states: Vec<InstanceState> = (0..hydrated).map(|i| waiting(&process, i)).collect();
    let heap = LIVE.load(Ordering::Relaxed) - before;
    let serialised = serde_json::to_vec(&states[0])
        .expect("a state serialises")
        .len();
    println!("hydrated:   {} bytes of heap per instance state just stepped ({hydrated} held), {serialised} bytes serialised", heap / hydrated as isize);
    let stored: Vec<Vec<u8>> = states
        .iter()
        .map(|state| serde_json::to_vec(state).expect("a state serialises"))
        .collect();
    drop(states);
    let before = LIVE.load(Ordering::Relaxed);
    let reloaded: Vec<InstanceState> = stored
        .iter()
        .map(|bytes| serde_json::from_slice(bytes).expect("a stored state"))
        .collect();
    let heap = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "hydrated:   {} bytes of heap per instance state loaded from the store",
        heap / hydrated as isize
    );
    drop((reloaded, stored));

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("instances.db");
        let store: Arc<dyn Store> = Arc::new(open(&file).await);
        registered(&*store).await;
        let started = Instant::now();
        fill(&store, &process, instances).await;
        let filled = started.elapsed();
        let disk = database_bytes(&file);
        println!(
            "dehydrated: {} bytes on disk per instance, 0 in memory ({instances} committed in {:.1} s, {:.0} instances/s)",
            disk / instances as u64,
            filled.as_secs_f64(),
            instances as f64 / filled.as_secs_f64()
        );
        let mut random = 0x9E37_79B9_7F4A_7C15_u64;
        let ids: Vec<i64> = (0..samples)
            .map(|_| {
                random ^= random << 13;
                random ^= random >> 7;
                random ^= random << 17;
                (random % instances as u64) as i64 + 1
            })
            .collect();
        let rows = latencies(&ids, |id| {
            let store = store.clone();
            async move {
                store.load_instance(id).await.expect("a load").expect("a row");
            }
        })
        .await;
        let hydrations = latencies(&ids, |id| {
            let store = store.clone();
            async move {
                let record = store.load_instance(id).await.expect("a load").expect("a row");
                let state = InstanceState::from_bytes(&record.state).expect("a stored state");
                assert!(state.fault.is_none());
            }
        })
        .await;
        println!(
            "hydration:  p50 {} µs, p99 {} µs for a random instance among {instances} (the row alone: p50 {} µs, p99 {} µs; {samples} samples)",
            percentile(&hydrations, 50),
            percentile(&hydrations, 99),
            percentile(&rows, 50),
            percentile(&rows, 99)
        );
        listing(&store, instances, "SQLite").await;
        store.close().await;
        match std::env::var("BENCH_POSTGRES_URL") {
            Ok(server) => {
                let scratch = postgres::Scratch::create(&server, "instances")
                    .await
                    .expect("a scratch database");
                let store = Datasource::new(scratch.url.clone())
                    .open()
                    .await
                    .expect("the store opens");
                registered(&*store).await;
                fill(&store, &process, instances).await;
                listing(&store, instances, "PostgreSQL").await;
                store.close().await;
                scratch.drop_database().await.expect("the database dropped");
            }
            Err(_) => println!("listing:    PostgreSQL not measured (set BENCH_POSTGRES_URL)"),
        }
    });
}

/// Lists pages of the `instances` in `store` (a `database`), as phase 4 says.
async fn listing(store: &Arc<dyn Store>, instances: usize, database: &str) {
    let page = |order: &'static str, after: Option<InstancePosition>| {
        let store = store.clone();
        async move {
            let processes = store.list_processes().await.expect("processes");
            let filter = InstanceFilter {
                limit: Some(PAGE),
                after,
                ..query::instance_listing(LISTED, order, &processes, SystemTime::now())
                    .expect("a listing")
            };
            store.list_instances(&filter).await.expect("a page")
        }
    };
    for order in ["", "-last-active"] {
        // Where page 1,000 begins: the last instance of the 999 pages before it.
        let before = InstanceFilter {
            limit: Some(PAGE * 999),
            ..query::instance_listing("", order, &[], SystemTime::now()).expect("a listing")
        };
        let listed = store.list_instances(&before).await.expect("a listing");
        let thousandth = listed.last().map(InstancePosition::of);
        let first = latencies(&[0; LISTINGS], |_| {
            let listing = page(order, None);
            async move { assert_eq!(listing.await.len(), PAGE as usize) }
        })
        .await;
        let later = latencies(&[0; LISTINGS], |_| {
            let listing = page(order, thousandth.clone());
            async move { assert_eq!(listing.await.len(), PAGE as usize) }
        })
        .await;
        println!(
            "listing:    {database}: {PAGE} instances filtered by {LISTED:?} in order {order:?} among {instances}: page 1 p50 {} µs, p99 {} µs; page 1,000 p50 {} µs, p99 {} µs ({LISTINGS} samples)",
            percentile(&first, 50),
            percentile(&first, 99),
            percentile(&later, 50),
            percentile(&later, 99)
        );
    }
}

/// The filter of the listing phase: a status and a start date, which every instance has.
const LISTED: &str = "status=active started>=-1d";
/// Instances per page of the listing phase.
const PAGE: u32 = 100;
/// Pages listed per measurement.
const LISTINGS: usize = 20;

/// The Waiter process, compiled as the engine installs it.
fn waiter() -> CompiledProcess {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/units/Waiter");
    let unit = compile(&UnitSource::from_dir(&dir).expect("the unit reads"))
        .unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    let model = unit.processes[0].clone();
    let links = model.partner_links.len();
    CompiledProcess::compile(
        model,
        Arc::new(unit.definitions),
        vec![None; links],
        vec![None; links],
    )
    .unwrap_or_else(|errors| panic!("{errors:?}"))
}

/// An instance after its first message, keyed `key-{number}`, waiting for the next.
fn waiting(process: &CompiledProcess, number: usize) -> InstanceState {
    let mut state = InstanceState::for_process(&process.model);
    let message = baton::xml::parse(
        format!(
            r#"<message><payload><w:key xmlns:w="urn:baton:test:waiter">key-{number}</w:key></payload></message>"#
        )
        .as_bytes(),
    )
    .expect("a message");
    let event = Event::Message(Inbound {
        partner_link: process
            .model
            .partner_link_named("client")
            .expect("the client link"),
        operation: "begin".into(),
        message,
        exchange: None,
        callback: None,
    });
    let output = Machine::step(process, &mut state, number as i64, 0, event);
    assert_eq!(output.status, InstanceStatus::Running, "{:?}", state.fault);
    state
}

async fn open(file: &Path) -> SqliteStore {
    let config = SqliteConfig {
        synchronous: Synchronous::Normal,
        ..SqliteConfig::default()
    };
    SqliteStore::open(&file.to_string_lossy(), &config)
        .await
        .expect("the store opens")
}

/// Records the Waiter's deployment and process version in `store`.
async fn registered(store: &dyn Store) {
    store
        .save_deployment(DeploymentRecord {
            name: "Waiter".into(),
            version: 1,
            checksum: "bench".into(),
            deployed_at: SystemTime::now(),
            files: Vec::new(),
            undeployed: false,
        })
        .await
        .expect("a deployment");
    store
        .save_process(ProcessRecord {
            pid: PID.into(),
            process: PROCESS.into(),
            deployment: "Waiter".into(),
            version: 1,
            state: ProcessState::Active,
        })
        .await
        .expect("a process");
}

/// Commits `count` waiting instances, each with its own state and route, as first steps.
async fn fill(store: &Arc<dyn Store>, process: &CompiledProcess, count: usize) {
    let first = store
        .reserve_instance_ids(u32::try_from(count).expect("a count that fits"))
        .await
        .expect("ids");
    stream::iter(0..count)
        .map(|number| {
            let state = serde_json::to_vec(&waiting(process, number)).expect("a state");
            let store = store.clone();
            async move {
                let mut step = StepCommit::new(InstanceWrite {
                    id: first + number as i64,
                    status: store::InstanceStatus::Running,
                    state,
                    failure: None,
                    expected_revision: 0,
                    create: Some(PID.into()),
                });
                step.routes_added.push(RouteKey::new(
                    PROCESS,
                    format!("client|finish|byKey|key-{number}"),
                ));
                store.commit(step).await.expect("a commit");
            }
        })
        .buffer_unordered(COMMITS_IN_FLIGHT)
        .collect::<()>()
        .await;
}

/// The latency of `load` for each of `ids`, one at a time, sorted.
async fn latencies<F, Fut>(ids: &[i64], load: F) -> Vec<Duration>
where
    F: Fn(i64) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut latencies = Vec::with_capacity(ids.len());
    for &id in ids {
        let started = Instant::now();
        load(id).await;
        latencies.push(started.elapsed());
    }
    latencies.sort_unstable();
    latencies
}

fn percentile(sorted: &[Duration], percent: usize) -> u128 {
    let index = (sorted.len() * percent / 100).min(sorted.len() - 1);
    sorted[index].as_micros()
}

/// The database file with its write-ahead log.
fn database_bytes(file: &Path) -> u64 {
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let wal = file.with_extension("db-wal");
    size(file) + size(&wal)
}
