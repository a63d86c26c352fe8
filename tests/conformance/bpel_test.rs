//! Runs the bpel-test units: each is staged (see `stage`), compiled by Baton's compiler,
//! deployed into its own real `baton serve` (port 0, SQLite in a temporary folder) and
//! driven over SOAP/HTTP as its test*.properties say.
//!
//! Invocations: a `sequential=true` file chains its requests; every other request starts on
//! its own, in order, each one only once the previous one has been taken in — the server's
//! store holds one more message exchange than before it was sent, or it was already
//! answered — instead of ODE's fixed 2 s apart. A request with a reply pattern must be
//! answered with a reply matching it as a whole (Java regex, DOTALL) in ODE's normalised
//! `<message>` form; one without must be accepted.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton::store::{InstanceFilter, SqliteConfig, SqliteStore, Store};
use tokio::sync::watch;

use crate::common::{Dirs, Server};
use crate::manifest::{Invocation, PropertyFile, UnitTest};
use crate::soap::{Answer, Call};
use crate::stage;
use crate::Outcome;

/// How long one invocation may take.
pub const INVOCATION_TIMEOUT: Duration = Duration::from_secs(15);

/// The unit name under which every step of a case is deployed.
const UNIT: &str = "conformance";

/// One bpel-test case: units deployed in turn under one name (several only for versioned
/// redeployment), each driven by its property files.
pub struct Case {
    pub name: String,
    pub steps: Vec<UnitTest>,
}

/// Runs a case; `corpus` is bpel-test/bpel/2.0, `mock_url` the mock partners' base URL.
pub async fn run(case: &Case, corpus: &Path, mock_url: &str) -> Outcome {
    match run_steps(case, corpus, mock_url).await {
        Ok(()) => Outcome::Pass,
        Err(reason) => Outcome::Fail(reason),
    }
}

async fn run_steps(case: &Case, corpus: &Path, mock_url: &str) -> Result<(), String> {
    let dirs = Dirs::new();
    let staging = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut server: Option<Server> = None;
    for (index, step) in case.steps.iter().enumerate() {
        let staged = staging.path().join(format!("{UNIT}-{index}"));
        let compiled = stage::stage_unit(&corpus.join(&step.dir), corpus, &staged, mock_url)?;
        let unit = match compiled {
            Err(_) if step.negative() => continue,
            Err(diagnostics) => {
                let first = diagnostics.to_string();
                let first = first.lines().next().unwrap_or_default().to_owned();
                return Err(format!("deploy refused: {first}"));
            }
            Ok(unit) => unit,
        };
        if step.negative() {
            return Err("deployed, but a Negative unit must be refused".into());
        }
        let version = index + 1;
        let running = match server.take() {
            None => {
                dirs.place_unit(&staged, UNIT, &|text| text);
                start(&dirs).await?
            }
            Some(running) => {
                dirs.remove_unit(UNIT);
                dirs.place_unit(&staged, UNIT, &|text| text);
                running
            }
        };
        let deployed = format!("version={version}");
        let log = running
            .await_log_within(&["Unit deployed", &deployed], Duration::from_secs(30))
            .or_else(|| running.await_log_within(&["refused"], Duration::ZERO));
        match log {
            Some(line) if line.contains("Unit deployed") => {}
            Some(line) => return Err(format!("server refused the unit: {line}")),
            None => return Err(format!("the server never deployed version {version}")),
        }
        invoke_all(&running, &dirs, &unit, step).await?;
        server = Some(running);
    }
    Ok(())
}

async fn start(dirs: &Dirs) -> Result<Server, String> {
    let filter = "warn,baton::server=info,baton::deploy=info";
    Ok(Server::start_echoing(dirs, filter, false).await)
}

/// The requests of a step as chains: a sequential file is one chain, every other request
/// its own.
fn chains(step: &UnitTest) -> Vec<(PropertyFile, Vec<(usize, Invocation)>)> {
    let mut chains = Vec::new();
    let mut number = 0;
    for file in files_of(step) {
        let numbered: Vec<_> = file
            .invocations
            .iter()
            .map(|invocation| {
                number += 1;
                (number, invocation.clone())
            })
            .collect();
        if file.sequential {
            chains.push((file.clone(), numbered));
        } else {
            chains.extend(numbered.into_iter().map(|n| (file.clone(), vec![n])));
        }
    }
    chains
}

/// The property files the upstream test used: for a test driven from code, the requests
/// it made (as the manifest records them), each expecting a reply.
fn files_of(step: &UnitTest) -> Vec<PropertyFile> {
    if !step.programmatic() {
        return step.property_files.clone();
    }
    step.programmatic_invocations
        .iter()
        .filter_map(|invocation| {
            let field = |key: &str| invocation.get(key)?.as_str().map(str::to_owned);
            Some(PropertyFile {
                file: "programmatic".into(),
                namespace: field("namespace")?,
                service: field("service")?,
                operation: field("operation")?,
                sequential: true,
                invocations: vec![Invocation {
                    request: field("request")?,
                    response_pattern: Some(field("responsePattern").unwrap_or(".*".into())),
                }],
            })
        })
        .collect()
}

async fn invoke_all(
    server: &Server,
    dirs: &Dirs,
    unit: &baton::model::Unit,
    step: &UnitTest,
) -> Result<(), String> {
    let unit = Arc::new(unit.clone());
    let address = server.address.clone();
    let store = SqliteStore::open(
        &dirs.data().join("baton.db").to_string_lossy(),
        &SqliteConfig::default(),
    )
    .await
    .map_err(|e| format!("cannot open the server's store: {e}"))?;
    let mut running = Vec::new();
    for (file, chain) in chains(step) {
        let before = exchange_count(&store).await;
        let (taken_in, mut watched) = watch::channel(false);
        let unit = unit.clone();
        let address = address.clone();
        running.push(tokio::spawn(async move {
            let mut result = Ok(());
            for (number, invocation) in chain {
                result = invoke(&unit, &address, &file, number, &invocation).await;
                let _ = taken_in.send(true);
                if result.is_err() {
                    break;
                }
            }
            result
        }));
        let deadline = Instant::now() + INVOCATION_TIMEOUT;
        while !*watched.borrow_and_update() && exchange_count(&store).await <= before {
            if Instant::now() >= deadline {
                break;
            }
            tokio::select! {
                _ = watched.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
    }
    let mut failures = Vec::new();
    for handle in running {
        match handle.await {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => failures.push(reason),
            Err(error) => failures.push(format!("invocation panicked: {error}")),
        }
    }
    store.close().await;
    failures.sort();
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(first.clone()),
    }
}

/// The message exchanges the server has recorded so far.
async fn exchange_count(store: &SqliteStore) -> usize {
    let Ok(instances) = store.list_instances(&InstanceFilter::default()).await else {
        return 0;
    };
    let mut count = 0;
    for instance in instances {
        count += store.exchanges(instance.id).await.map_or(0, |e| e.len());
    }
    count
}

/// Sends one request and checks what comes back.
async fn invoke(
    unit: &baton::model::Unit,
    address: &str,
    file: &PropertyFile,
    number: usize,
    invocation: &Invocation,
) -> Result<(), String> {
    let fail = |reason: String| format!("{} request {number}: {reason}", file.file);
    let call = Call::new(unit, &file.namespace, &file.service, &file.operation).map_err(fail)?;
    let body = call.body(&invocation.request).map_err(fail)?;
    let envelope = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{body}</s:Body></s:Envelope>"#
    );
    let response = reqwest::Client::new()
        .post(format!("{address}{}", call.path))
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", "\"\"")
        .body(envelope)
        .timeout(INVOCATION_TIMEOUT)
        .send()
        .await;
    let response = match response {
        Err(error) if error.is_timeout() => {
            return Err(fail(format!("no answer within {INVOCATION_TIMEOUT:?}")))
        }
        Err(error) => return Err(fail(format!("HTTP error: {error}"))),
        Ok(response) => response,
    };
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| fail(format!("reading the answer: {e}")))?;
    let Some(pattern) = &invocation.response_pattern else {
        if status.is_success() {
            return Ok(());
        }
        return Err(fail(format!("HTTP {status}: {}", shorten(&text))));
    };
    let reply = match call.answer(&text).map_err(fail)? {
        Answer::Fault(fault) => {
            return Err(fail(format!(
                "fault instead of a reply: {}",
                shorten(&fault)
            )))
        }
        Answer::Reply(reply) => reply,
    };
    let regex = regex::Regex::new(&format!("(?s)^(?:{pattern})$"))
        .map_err(|e| fail(format!("pattern {pattern:?} is not a regex: {e}")))?;
    if regex.is_match(&reply) {
        Ok(())
    } else {
        Err(fail(format!(
            "reply does not match\n    expected: {pattern}\n    actual:   {}",
            shorten(&reply)
        )))
    }
}

/// At most 400 characters of `text`.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(400) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
