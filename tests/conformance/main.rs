//! The WS-BPEL conformance runner, `cargo test --test conformance`: drives Apache ODE's test
//! corpus (`../shared/conformance/ode` beside the repository; without it the run is skipped, and fails
//! under CI, `CI=true`)
//! against Baton.
//!
//! - bpel-test: every unit of `manifest/bpel-test.json` is deployed into a real
//!   `baton serve` and driven over SOAP/HTTP (see `bpel_test`); ODE's mock partners
//!   ProbeService and FaultService are real SOAP services run here (see `mock`), and the
//!   units are staged so that their imports of the mocks' WSDLs resolve and their invokes
//!   reach the mocks (see `stage`). Negative units must be refused.
//!   TestVersionedRedeploy deploys HelloWorld-1, -2 and -3 in turn as versions of one unit.
//! - bpel-scripts: each .tdef case (a process, requests and XPath post-conditions on the
//!   reply) is deployed into a real `baton serve` and driven over SOAP/HTTP as ODE's script
//!   harness did (see `scripts`); every process must also compile (see `compile_suite`).
//! - bpel-compiler: compile-only checks (see `compile_suite`).
//! - axis2-war-it/TestClean*: ODE's instance cleanup scenarios, each deployed into a real
//!   `baton serve` and sent its SOAP request, then the store checked for what remains (see
//!   `cleanup`).
//! - axis2-war-it/Test*CronCleanup*: ODE's scheduled cleanup scenarios, the instance deleted
//!   by a process's or the system's schedule running every second, or kept (see `cron`).
//! - axis2-war-it's other SOAP/HTTP scenarios: each unit deployed into a real `baton serve`,
//!   its `.soap` requests posted as ODE's tests posted them and the answers checked for what
//!   those tests looked for, with the partners they started mocked (see `axis2`).
//!
//! The cases that need a server run in parallel, a few at a time, each with its own.
//!
//! Units using what Baton does not offer yet (ODE external variables, XQuery) and units the
//! upstream suite did not run are skipped, with the reason printed.
//!
//! Each test prints `PASS name`, `FAIL name: reason` or `SKIP name: reason`, then a
//! summary `conformance: N passed, M failed, K skipped`. The tests expected to pass are
//! listed in tests/conformance/expected-passes.txt: the run fails when one of them fails,
//! and names a test that passes without being listed as newly passing.
//! `CONFORMANCE_RECORD=1 cargo test --test conformance` rewrites the list from the
//! run's passes. A command-line argument keeps only the tests whose name contains it.

#[path = "../common/mod.rs"]
mod common;

mod axis2;
mod blog;
mod bpel_test;
mod cleanup;
mod compile_suite;
mod cron;
mod endpoints;
mod extensions;
mod manifest;
mod mock;
mod progress;
mod restlight;
mod roles;
mod scripts;
mod soap;
mod stage;
mod tdef;

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// What one test came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

/// How many cases run at once, each with its own server.
const SERVERS_AT_ONCE: usize = 4;

fn main() {
    if std::env::var_os(extensions::SERVE_VAR).is_some() {
        serve_with_bundle();
        return;
    }
    let repository = common::repo();
    let Some(corpus) = common::ode_corpus() else {
        println!("conformance: corpus not found, skipped");
        return;
    };
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(SERVERS_AT_ONCE + 2)
        .enable_all()
        .build()
        .expect("a runtime");
    let results = runtime.block_on(run_all(&corpus, filter.as_deref()));
    let expected_file = repository.join("tests/conformance/expected-passes.txt");
    let failed = report(&results, &expected_file, filter.is_none());
    if failed {
        std::process::exit(1);
    }
}

/// Runs the `baton` command line with ODE's test extension bundle (see `extensions`).
fn serve_with_bundle() {
    if let Err(error) = baton::cli::run(extensions::bundle()) {
        eprintln!("{error:#}");
        std::process::exit(1);
    }
}

async fn run_all(corpus: &Path, filter: Option<&str>) -> Vec<(String, Outcome)> {
    let keep = |name: &str| filter.is_none_or(|f| name.contains(f));
    let slots = Arc::new(Semaphore::new(SERVERS_AT_ONCE));
    let mut results = Vec::new();
    let mut running = Vec::new();
    match manifest::Manifest::read(corpus) {
        Ok(manifest) => {
            let (skipped, started) = start_bpel_tests(corpus, manifest, &keep, &slots).await;
            results.extend(skipped);
            running.extend(started);
        }
        Err(reason) => results.push(("bpel-test".into(), Outcome::Fail(reason))),
    }
    let (skipped, started) = start_cleanup_tests(corpus, &keep, &slots).await;
    results.extend(skipped);
    running.extend(started);
    let (skipped, started) = start_axis2_tests(corpus, &keep, &slots).await;
    results.extend(skipped);
    running.extend(started);
    let scripts = corpus.join("bpel-scripts/2.0");
    for tdef in compile_suite::cases(&scripts) {
        let name = format!("bpel-scripts/{}.tdef", relative_name(&scripts, &tdef));
        if keep(&name) {
            running.push(spawn_case(name, &slots, move || async move {
                scripts::run(&tdef).await
            }));
        }
    }
    for bpel in compile_suite::processes(&scripts) {
        let name = format!("bpel-scripts/{}", relative_name(&scripts, &bpel));
        if keep(&name) {
            results.push((name, compile_suite::check(&bpel, false)));
        }
    }
    let compiler = corpus.join("bpel-compiler");
    for bpel in compile_suite::processes(&compiler) {
        let relative = relative_name(&compiler, &bpel);
        let name = format!(
            "bpel-compiler/{}",
            relative.rsplit('/').next().unwrap_or(&relative)
        );
        let refused = !relative.starts_with("xslt/");
        if keep(&name) {
            results.push((name, compile_suite::check(&bpel, refused)));
        }
    }
    for handle in running {
        match handle.await {
            Ok(result) => results.push(result),
            Err(error) => results.push((
                "runner".into(),
                Outcome::Fail(format!("a case's thread failed: {error}")),
            )),
        }
    }
    results.sort_by(|a, b| a.0.cmp(&b.0));
    results
}

/// `path` under `root`, '/'-separated, without extension.
fn relative_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path).with_extension("");
    relative.to_string_lossy().replace('\\', "/")
}

/// Starts the bpel-test cases the filter keeps; returns the skipped ones' outcomes and the
/// started ones.
async fn start_bpel_tests(
    corpus: &Path,
    manifest: manifest::Manifest,
    keep: &dyn Fn(&str) -> bool,
    slots: &Arc<Semaphore>,
) -> (Vec<(String, Outcome)>, Vec<JoinHandle<(String, Outcome)>>) {
    let mut cases: Vec<bpel_test::Case> = Vec::new();
    let mut skipped = Vec::new();
    for test in manifest.tests {
        let (case_name, _) = test.dir.split_once('/').unwrap_or((&test.dir, ""));
        let name = format!("bpel-test/{case_name}");
        if !keep(&name) {
            continue;
        }
        if let Some(reason) = test.skip_reason() {
            skipped.push((test.name(), Outcome::Skip(reason)));
            continue;
        }
        match cases.iter_mut().find(|c| c.name == name) {
            Some(case) => case.steps.push(test),
            None => cases.push(bpel_test::Case {
                name,
                steps: vec![test],
            }),
        }
    }
    if cases.is_empty() {
        return (skipped, Vec::new());
    }
    let mock_url = match mock::start().await {
        Ok(url) => url,
        Err(error) => {
            skipped.push((
                "bpel-test".into(),
                Outcome::Fail(format!("mock partners: {error}")),
            ));
            return (skipped, Vec::new());
        }
    };
    let units = Arc::new(corpus.join("bpel-test/bpel/2.0"));
    let started = cases
        .into_iter()
        .map(|case| {
            let (units, mock_url) = (units.clone(), mock_url.clone());
            spawn_case(case.name.clone(), slots, move || async move {
                bpel_test::run(&case, &units, &mock_url).await
            })
        })
        .collect();
    (skipped, started)
}

/// Starts the cleanup scenarios the filter keeps; returns the skipped ones' outcomes and the
/// started ones.
async fn start_cleanup_tests(
    corpus: &Path,
    keep: &dyn Fn(&str) -> bool,
    slots: &Arc<Semaphore>,
) -> (Vec<(String, Outcome)>, Vec<JoinHandle<(String, Outcome)>>) {
    let mut skipped = Vec::new();
    let mut cases = Vec::new();
    for (scenario, expected) in cleanup::cases(corpus) {
        let name = format!("axis2-war-it/{scenario}");
        if !keep(&name) {
            continue;
        }
        match expected {
            Ok(expected) => cases.push((name, scenario, expected)),
            Err(reason) => skipped.push((name, Outcome::Skip(reason))),
        }
    }
    if cases.is_empty() {
        return (skipped, Vec::new());
    }
    let Some(mock_url) = axis2_mocks(&mut skipped).await else {
        return (skipped, Vec::new());
    };
    let corpus = Arc::new(corpus.to_path_buf());
    let started = cases
        .into_iter()
        .map(|(name, scenario, expected)| {
            let (corpus, mock_url) = (corpus.clone(), mock_url.clone());
            spawn_case(name, slots, move || async move {
                cleanup::run(&corpus, &scenario, expected, &mock_url).await
            })
        })
        .collect();
    (skipped, started)
}

/// Starts the mock partners of the axis2-war-it scenarios; their base URL, or None with the
/// failure added to `outcomes`.
async fn axis2_mocks(outcomes: &mut Vec<(String, Outcome)>) -> Option<String> {
    match mock::start().await {
        Ok(url) => Some(url),
        Err(error) => {
            let failure = Outcome::Fail(format!("mock partners: {error}"));
            outcomes.push(("axis2-war-it".into(), failure));
            None
        }
    }
}

/// Starts the SOAP/HTTP scenarios the filter keeps; returns the skipped ones' outcomes and
/// the started ones.
async fn start_axis2_tests(
    corpus: &Path,
    keep: &dyn Fn(&str) -> bool,
    slots: &Arc<Semaphore>,
) -> (Vec<(String, Outcome)>, Vec<JoinHandle<(String, Outcome)>>) {
    let mut skipped = Vec::new();
    let mut cases = Vec::new();
    for scenario in axis2::cases(corpus) {
        let name = format!("axis2-war-it/{scenario}");
        if !keep(&name) {
            continue;
        }
        match axis2::skip_reason(&scenario) {
            Some(reason) => skipped.push((name, Outcome::Skip(reason.into()))),
            None => cases.push((name, scenario)),
        }
    }
    if cases.is_empty() {
        return (skipped, Vec::new());
    }
    let Some(mock_url) = axis2_mocks(&mut skipped).await else {
        return (skipped, Vec::new());
    };
    let corpus = Arc::new(corpus.to_path_buf());
    let started = cases
        .into_iter()
        .map(|(name, scenario)| {
            let (corpus, mock_url) = (corpus.clone(), mock_url.clone());
            spawn_case(name, slots, move || async move {
                axis2::run(&corpus, &scenario, &mock_url).await
            })
        })
        .collect();
    (skipped, started)
}

/// Runs a case once one of `slots` is free, on a thread of its own: its server harness
/// blocks while it waits for the server's log. A panic fails the case.
fn spawn_case<F, Fut>(
    name: String,
    slots: &Arc<Semaphore>,
    case: F,
) -> JoinHandle<(String, Outcome)>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Outcome>,
{
    let slots = slots.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let run = || {
            runtime.block_on(async {
                let _slot = slots.acquire().await.expect("the semaphore stays open");
                case().await
            })
        };
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|panic| {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Outcome::Fail(format!("the runner failed: {message}"))
            });
        (name, outcome)
    })
}

/// Prints the results and the summary; with `complete` (no filter) checks them against the
/// expected passes, or records them. Returns whether the run fails.
fn report(results: &[(String, Outcome)], expected_file: &PathBuf, complete: bool) -> bool {
    let expected: BTreeSet<String> = std::fs::read_to_string(expected_file)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut regressions = Vec::new();
    let mut newly = Vec::new();
    for (name, outcome) in results {
        match outcome {
            Outcome::Pass => {
                passed += 1;
                println!("PASS {name}");
                if !expected.contains(name) {
                    newly.push(name.clone());
                }
            }
            Outcome::Fail(reason) => {
                failed += 1;
                println!("FAIL {name}: {reason}");
                if expected.contains(name) {
                    regressions.push(name.clone());
                }
            }
            Outcome::Skip(reason) => {
                skipped += 1;
                println!("SKIP {name}: {reason}");
                if expected.contains(name) {
                    regressions.push(name.clone());
                }
            }
        }
    }
    for name in &newly {
        println!("newly passing (not in expected-passes.txt): {name}");
    }
    let needing = crate::stage::needing_ode_mode();
    println!(
        "needing [compiler] compatibility = \"ode\": {} units{}{}",
        needing.len(),
        if needing.is_empty() { "" } else { ": " },
        needing.join(", ")
    );
    if complete && std::env::var_os("CONFORMANCE_RECORD").is_some() {
        let mut list = String::from(
            "# Conformance tests expected to pass; rewrite with CONFORMANCE_RECORD=1 cargo test --test conformance\n",
        );
        for (name, outcome) in results {
            if matches!(outcome, Outcome::Pass) {
                list.push_str(name);
                list.push('\n');
            }
        }
        std::fs::write(expected_file, list).expect("the expected passes can be written");
        println!(
            "recorded {passed} expected passes in {}",
            expected_file.display()
        );
    }
    for name in &regressions {
        println!("REGRESSION (listed in expected-passes.txt): {name}");
    }
    println!("conformance: {passed} passed, {failed} failed, {skipped} skipped");
    !regressions.is_empty() && std::env::var_os("CONFORMANCE_RECORD").is_none()
}
