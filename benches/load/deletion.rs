//! Deleting a million completed instances while HelloWorld runs: the deletion rate, and
//! HelloWorld's latency during the deletion next to without it.
//!
//! A server deploys samples/HelloWorld and stops; `BENCH_DELETE_INSTANCES` (1,000,000 by
//! default; 0 skips this) completed instances of it are committed to its SQLite store through
//! the store's group commit; the server starts again on that store. HelloWorld is first
//! measured at saturation, then at half that rate twice over `BENCH_SECONDS`: without
//! deletion, then while the management API deletes the filled instances
//! (`POST /api/v1/instances/delete?filter=status=completed started<…`, in transactions of
//! `[cleanup] batch`). The deletion's own rate over the window and until it ends are printed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use baton::store::{InstanceStatus, InstanceWrite, SqliteConfig, SqliteStore, StepCommit, Store};
use futures::stream::{self, StreamExt};
use serde_json::Value;

use super::client::{self, Target};
use super::server::{Baton, Unit};
use super::Settings;

/// The process version whose completed instances fill the store.
const HELLO_PID: &str = "{urn:baton:samples:hello:process}HelloWorld-1";
/// The token the bench calls the management API with.
const TOKEN: &str = "baton_bench-token";
/// Commits in flight while filling, so that the group commit batches them.
const COMMITS_IN_FLIGHT: usize = 256;

/// Runs the phase with `count` instances; `target` makes HelloWorld's requests to `address`.
pub(crate) async fn run(
    settings: &Settings,
    count: usize,
    target: impl Fn(String) -> Target,
) -> anyhow::Result<()> {
    let tokens = format!(
        r#"[{{ name = "bench", role = "admin", hash = "{}" }}]"#,
        baton::auth::token_hash(TOKEN)
    );
    let auth = [("BATON_AUTH__TOKENS", tokens.as_str())];
    let baton = Baton::start(&[Unit::HelloWorld], &auth)?;
    let filled = Instant::now();
    let baton = baton.restart(&[], &auth, |data| fill(data, count)).await?;
    println!(
        "deletion: {count} completed instances committed in {:.1} s",
        filled.elapsed().as_secs_f64()
    );
    let cut = now_in_utc();
    let target = Arc::new(target(format!(
        "{}/ode/processes/HelloWorld",
        baton.address
    )));
    client::saturate(&target, settings.concurrency, settings.warmup).await;
    let saturation = client::saturate(&target, settings.concurrency, settings.duration).await;
    let rate = saturation.rate() / 2.0;
    let quiet = client::open_loop(&target, settings.concurrency, rate, settings.duration).await;

    let http = client::http_client();
    let filter = format!("status=completed started<{cut}");
    let started = http
        .post(format!("{}/api/v1/instances/delete", baton.address))
        .query(&[("filter", filter.as_str())])
        .bearer_auth(TOKEN)
        .send()
        .await?;
    ensure!(
        started.status().as_u16() == 202,
        "the deletion did not start: {}",
        started.text().await?
    );
    let operation: Value = serde_json::from_str(&started.text().await?)?;
    let path = format!("{}/api/v1/operations/{}", baton.address, operation["id"]);
    let deleted = || async {
        let answer = http
            .get(&path)
            .bearer_auth(TOKEN)
            .send()
            .await?
            .text()
            .await?;
        let operation: Value = serde_json::from_str(&answer)?;
        anyhow::Ok((
            operation["deleted"].as_u64().unwrap_or(0),
            operation["status"] != "running",
        ))
    };
    let began = Instant::now();
    let during = client::open_loop(&target, settings.concurrency, rate, settings.duration).await;
    let (in_window, _) = deleted().await?;
    let window = began.elapsed();
    let (all, ended) = loop {
        let (all, ended) = deleted().await?;
        if ended {
            break (all, began.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let stored = baton.stored_instances().await?;
    println!(
        "deletion: HelloWorld at {rate:.0} req/s (half of saturation {:.0}): p50 {:.2} ms, p99 {:.2} ms without deletion; p50 {:.2} ms, p99 {:.2} ms during it ({} and {} requests failed)",
        saturation.rate(),
        quiet.percentile_ms(50.0),
        quiet.percentile_ms(99.0),
        during.percentile_ms(50.0),
        during.percentile_ms(99.0),
        quiet.errors,
        during.errors,
    );
    println!(
        "deletion: {in_window} deleted in the {:.1} s under load ({:.0}/s); all {all} in {:.1} s ({:.0}/s); {stored} instances left in the store",
        window.as_secs_f64(),
        in_window as f64 / window.as_secs_f64(),
        ended.as_secs_f64(),
        all as f64 / ended.as_secs_f64(),
    );
    Ok(())
}

/// Now as an ISO 8601 date and time in UTC, as instance filters read it.
fn now_in_utc() -> String {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    baton::runtime::xsd::date_time(since_epoch.as_millis() as i64).to_string()
}

/// Commits `count` completed instances of HelloWorld to the SQLite store in `data`.
async fn fill(data: PathBuf, count: usize) -> anyhow::Result<()> {
    let file = data.join("baton.db");
    let store = SqliteStore::open(&file.to_string_lossy(), &SqliteConfig::default())
        .await
        .context("the server's store")?;
    let store: Arc<dyn Store> = Arc::new(store);
    let first = store.reserve_instance_ids(u32::try_from(count)?).await?;
    stream::iter(0..count)
        .map(|number| {
            let store = store.clone();
            async move {
                let step = StepCommit::new(InstanceWrite {
                    id: first + number as i64,
                    status: InstanceStatus::Completed,
                    state: Vec::new(),
                    failure: None,
                    expected_revision: 0,
                    create: Some(HELLO_PID.into()),
                });
                store.commit(step).await
            }
        })
        .buffer_unordered(COMMITS_IN_FLIGHT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    store.close().await;
    Ok(())
}
