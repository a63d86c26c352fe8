//! The WS-BPEL conformance runner, `cargo test --test conformance`: drives Apache ODE's test
//! corpus (`../shared/conformance/ode` beside the repository; without it the run is skipped)
//! against Baton.
//!
//! - bpel-test: every unit of `manifest/bpel-test.json` is deployed into a real
//!   `baton serve` and driven over SOAP/HTTP (see `bpel_test`); ODE's mock partners
//!   ProbeService and FaultService are real SOAP services run here (see `mock`), and the
//!   units are staged so that their imports of the mocks' WSDLs resolve and their invokes
//!   reach the mocks (see `stage`). Negative units must be refused.
//!   TestVersionedRedeploy deploys HelloWorld-1, -2 and -3 in turn as versions of one unit.
//! - bpel-scripts and bpel-compiler: compile-only checks (see `compile_suite`); the .tdef
//!   request/post-condition cases of bpel-scripts are listed as skipped for now.
//!
//! Units using what Baton does not offer yet (ODE external variables, REST extension
//! activities, XQuery) and units the upstream suite did not run are skipped, with the
//! reason printed.
//!
//! Each test prints `PASS name`, `FAIL name: reason` or `SKIP name: reason`, then a
//! summary `conformance: N passed, M failed, K skipped`. The tests expected to pass are
//! listed in tests/conformance/expected-passes.txt: the run fails when one of them fails,
//! and names a test that passes without being listed as newly passing.
//! `CONFORMANCE_RECORD=1 cargo test --test conformance` rewrites the list from the
//! run's passes. A command-line argument keeps only the tests whose name contains it.

#[path = "../common/mod.rs"]
mod common;

mod bpel_test;
mod compile_suite;
mod manifest;
mod mock;
mod soap;
mod stage;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;

/// What one test came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

/// How many bpel-test cases run at once, each with its own server.
const SERVERS_AT_ONCE: usize = 4;

fn main() {
    let repository = common::repo();
    let Ok(corpus) = repository.join("../shared/conformance/ode").canonicalize() else {
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

async fn run_all(corpus: &Path, filter: Option<&str>) -> Vec<(String, Outcome)> {
    let keep = |name: &str| filter.is_none_or(|f| name.contains(f));
    let mut results = Vec::new();
    match manifest::Manifest::read(corpus) {
        Ok(manifest) => results.extend(run_bpel_tests(corpus, manifest, &keep).await),
        Err(reason) => results.push(("bpel-test".into(), Outcome::Fail(reason))),
    }
    let scripts = corpus.join("bpel-scripts/2.0");
    for bpel in compile_suite::processes(&scripts) {
        let name = format!("bpel-scripts/{}", relative_name(&scripts, &bpel));
        if keep(&name) {
            results.push((name, compile_suite::check(&bpel, false)));
        }
    }
    for tdef in compile_suite::cases(&scripts) {
        let name = format!("bpel-scripts/{}.tdef", relative_name(&scripts, &tdef));
        if keep(&name) {
            let reason = "running .tdef cases is not implemented by the runner yet";
            results.push((name, Outcome::Skip(reason.into())));
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
    results
}

/// `path` under `root`, '/'-separated, without extension.
fn relative_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path).with_extension("");
    relative.to_string_lossy().replace('\\', "/")
}

async fn run_bpel_tests(
    corpus: &Path,
    manifest: manifest::Manifest,
    keep: &dyn Fn(&str) -> bool,
) -> Vec<(String, Outcome)> {
    let units = corpus.join("bpel-test/bpel/2.0");
    let mock_url = match mock::start().await {
        Ok(url) => url,
        Err(error) => {
            return vec![(
                "bpel-test".into(),
                Outcome::Fail(format!("mock partners: {error}")),
            )]
        }
    };
    let mut cases: Vec<bpel_test::Case> = Vec::new();
    let mut results = Vec::new();
    for test in manifest.tests {
        let (case_name, _) = test.dir.split_once('/').unwrap_or((&test.dir, ""));
        let name = format!("bpel-test/{case_name}");
        if !keep(&name) {
            continue;
        }
        if let Some(reason) = test.skip_reason() {
            results.push((test.name(), Outcome::Skip(reason)));
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
    let slots = Arc::new(Semaphore::new(SERVERS_AT_ONCE));
    let units = Arc::new(units);
    let mut running = Vec::new();
    for case in cases {
        let (slots, units, mock_url) = (slots.clone(), units.clone(), mock_url.clone());
        let runtime = tokio::runtime::Handle::current();
        // Each case runs on a thread of its own: its server harness blocks while it waits
        // for the server's log.
        running.push(tokio::task::spawn_blocking(move || {
            let run = || {
                runtime.block_on(async {
                    let _slot = slots.acquire().await.expect("the semaphore stays open");
                    bpel_test::run(&case, &units, &mock_url).await
                })
            };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
                .unwrap_or_else(|panic| {
                    let message = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    Outcome::Fail(format!("the runner failed: {message}"))
                });
            (case.name, outcome)
        }));
    }
    for handle in running {
        match handle.await {
            Ok(result) => results.push(result),
            Err(error) => results.push((
                "bpel-test".into(),
                Outcome::Fail(format!("runner panicked: {error}")),
            )),
        }
    }
    results
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
