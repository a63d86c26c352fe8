//! Runs the bpel-test units: each is staged (see `stage`), compiled by Baton's compiler,
//! deployed into its own real `baton serve` (port 0, SQLite in a temporary folder) and
//! driven over SOAP/HTTP as its test*.properties say.
//!
//! Invocations: a `sequential=true` file chains its requests; every other request starts on
//! its own, in order, each one only once the previous one has been taken in — the server's
//! store holds one more message exchange than before it was sent, or it was already
//! answered — instead of ODE's fixed 2 s apart. A request with a reply pattern must be
//! answered with a reply matching it as a whole (Java regex, DOTALL) in ODE's normalised
//! `<message>` form; one without must be accepted. A reply is given up as soon as the
//! server's store shows no instance left to send it (see `progress`), and a deployment as
//! soon as the server logs that it refused the unit.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use baton::extension::Extensions;

use crate::common::{Dirs, Server};
use crate::extensions;
use crate::manifest::{Invocation, PropertyFile, UnitTest};
use crate::progress::Progress;
use crate::soap::{self, shorten, Answer, Call, INVOCATION_TIMEOUT};
use crate::stage;
use crate::Outcome;

/// How long the server may take to deploy a unit (or to say it refuses it).
pub(crate) const DEPLOY_PATIENCE: Duration = Duration::from_secs(30);

/// The unit name under which every step of a case is deployed.
pub(crate) const UNIT: &str = "conformance";

/// One bpel-test case: units deployed in turn under one name (several only for versioned
/// redeployment), each driven by its property files.
pub(crate) struct Case {
    pub name: String,
    pub steps: Vec<UnitTest>,
}

/// Runs a case; `corpus` is bpel-test/bpel/2.0, `mock_url` the mock partners' base URL.
pub(crate) async fn run(case: &Case, corpus: &Path, mock_url: &str) -> Outcome {
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
        let with_bundle = extensions::needs_bundle(&step.dir);
        if with_bundle {
            let without = Extensions::none();
            let compiled =
                stage::stage_unit(&corpus.join(&step.dir), corpus, &staged, mock_url, &without)?;
            if compiled.is_ok() {
                return Err("deployable without its mandatory extension's bundle".into());
            }
        }
        let bundle = if with_bundle {
            extensions::bundle()
        } else {
            Extensions::none()
        };
        let compiled =
            stage::stage_unit(&corpus.join(&step.dir), corpus, &staged, mock_url, &bundle)?;
        let unit = match compiled {
            Err(_) if step.negative() => continue,
            Err(diagnostics) => {
                return Err(format!(
                    "deploy refused: {}",
                    stage::first_error(&diagnostics)
                ));
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
                if with_bundle {
                    start_with_bundle(&dirs).await
                } else {
                    start(&dirs).await?
                }
            }
            Some(running) => {
                dirs.remove_unit(UNIT);
                dirs.place_unit(&staged, UNIT, &|text| text);
                running
            }
        };
        let deployed = format!("version={version}");
        let log = running.await_log_any(
            &[&["Unit deployed", &deployed], &["refused"]],
            DEPLOY_PATIENCE,
        );
        match log {
            Some(line) if line.contains("Unit deployed") => {}
            Some(line) => return Err(format!("server refused the unit: {line}")),
            None => return Err(format!("the server never deployed version {version}")),
        }
        invoke_all(&running, &dirs, &unit, step).await?;
        let ran = || running.await_log_within(&[extensions::RAN], DEPLOY_PATIENCE);
        if with_bundle && ran().is_none() {
            return Err("the extension bundle's operations never ran".into());
        }
        server = Some(running);
    }
    Ok(())
}

/// The runner's servers read units as ODE did: the corpus is ODE's, and the units that need
/// it are listed from their compilation (see `stage`).
const ODE_MODE: (&str, &str) = ("BATON_COMPILER__COMPATIBILITY", "ode");

/// What the servers of the cases log.
const LOG_FILTER: &str = "warn,baton::server=info,baton::deploy=info";

pub(crate) async fn start(dirs: &Dirs) -> Result<Server, String> {
    start_configured(dirs, "", &[]).await
}

/// As [`start`], with `log` added to the log filter and the configuration variables
/// `settings`.
pub(crate) async fn start_configured(
    dirs: &Dirs,
    log: &str,
    settings: &[(&str, &str)],
) -> Result<Server, String> {
    let conf = dirs.root().join("conf");
    std::fs::create_dir_all(&conf).map_err(|e| format!("{}: {e}", conf.display()))?;
    let conf = conf.to_string_lossy().into_owned();
    let mut all = vec![ODE_MODE, ("BATON_DEPLOY__CONF_DIR", conf.as_str())];
    all.extend_from_slice(settings);
    let filter = format!("{LOG_FILTER}{log}");
    Ok(Server::start_configured(dirs, &filter, false, &all).await)
}

/// Starts a server with ODE's test extension bundle: this executable (see `extensions`).
async fn start_with_bundle(dirs: &Dirs) -> Server {
    let program = std::env::current_exe().expect("the runner knows its executable");
    let mut command = std::process::Command::new(program);
    command.env(extensions::SERVE_VAR, "1");
    Server::start_command(command, dirs, LOG_FILTER, false, &[ODE_MODE]).await
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
                    request: with_times(&field("request")?),
                    response_pattern: match (field("responsePattern"), field("expect")) {
                        (Some(pattern), _) => Some(pattern),
                        (None, Some(expect)) if expect.starts_with("FAULT") => None,
                        (None, _) => Some(".*".into()),
                    },
                    expect: field("expect"),
                }],
            })
        })
        .collect()
}

/// A request of upstream test code with its times filled in: `{now+5s as …}` and
/// `{now-5s as …}` become the time that far from now, as `yyyy-MM-dd'T'HH:mm:ss.SSS` (UTC,
/// without a zone, as the upstream test wrote local time).
fn with_times(request: &str) -> String {
    let pattern = regex::Regex::new(r"\{now([+-]\d+)s as [^}]*\}").expect("a valid pattern");
    pattern
        .replace_all(request, |captures: &regex::Captures<'_>| {
            let offset: i64 = captures[1].parse().expect("digits");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_millis() as i64;
            match baton::runtime::xsd::date_time(now + offset * 1000) {
                baton::xpath::Temporal::DateTime(m) => format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:06.3}",
                    m.year, m.month, m.day, m.hour, m.minute, m.second
                ),
                other => unreachable!("a dateTime, not {other:?}"),
            }
        })
        .into_owned()
}

async fn invoke_all(
    server: &Server,
    dirs: &Dirs,
    unit: &baton::model::Unit,
    step: &UnitTest,
) -> Result<(), String> {
    let unit = Arc::new(unit.clone());
    let address = server.address.clone();
    let progress = Arc::new(Progress::open(dirs).await?);
    let mut running = Vec::new();
    for (file, chain) in chains(step) {
        let before = progress.exchange_count().await;
        let (taken_in, mut watched) = watch::channel(false);
        let (unit, address, watching) = (unit.clone(), address.clone(), progress.clone());
        running.push(tokio::spawn(async move {
            let mut result = Ok(());
            for (number, invocation) in chain {
                let call = Request {
                    unit: &unit,
                    address: &address,
                    file: &file,
                    number,
                };
                result = call.invoke(&invocation, &watching).await;
                let _ = taken_in.send(true);
                if result.is_err() {
                    break;
                }
            }
            result
        }));
        await_taken_in(&progress, before, &mut watched).await;
    }
    let mut failures = Vec::new();
    for handle in running {
        match handle.await {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => failures.push(reason),
            Err(error) => failures.push(format!("invocation panicked: {error}")),
        }
    }
    if let Ok(progress) = Arc::try_unwrap(progress) {
        progress.close().await;
    }
    failures.sort();
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(first.clone()),
    }
}

/// Waits until the request just started has been taken in (the store holds one more
/// message exchange than `before`, or the request was already answered) and what it set
/// off has settled: no call to a partner is still out. Upstream spaced its requests 2 s
/// apart for the same reason; processes like TestStaticOnMessage race otherwise.
pub(crate) async fn await_taken_in(
    progress: &Progress,
    before: usize,
    answered: &mut watch::Receiver<bool>,
) {
    let deadline = Instant::now() + INVOCATION_TIMEOUT;
    while !*answered.borrow_and_update() && progress.exchange_count().await <= before {
        if Instant::now() >= deadline {
            return;
        }
        tokio::select! {
            _ = answered.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
    }
    let patience = deadline.saturating_duration_since(Instant::now());
    crate::common::within(patience, || async {
        (progress.pending_calls().await == 0).then_some(())
    })
    .await;
}

/// One request of a property file.
struct Request<'a> {
    unit: &'a baton::model::Unit,
    address: &'a str,
    file: &'a PropertyFile,
    number: usize,
}

impl Request<'_> {
    /// Sends the request and checks what comes back.
    async fn invoke(&self, invocation: &Invocation, progress: &Progress) -> Result<(), String> {
        let fail = |reason: String| format!("{} request {}: {reason}", self.file.file, self.number);
        let file = self.file;
        let call =
            Call::new(self.unit, &file.namespace, &file.service, &file.operation).map_err(fail)?;
        let (status, text) = soap::send(&call, self.address, &invocation.request, progress)
            .await
            .map_err(fail)?;
        check(&call, status, &text, invocation).map_err(fail)
    }
}

/// Checks the answer to a request against what the property file expects.
fn check(
    call: &Call,
    status: reqwest::StatusCode,
    text: &str,
    invocation: &Invocation,
) -> Result<(), String> {
    let expects_fault = invocation
        .expect
        .as_deref()
        .is_some_and(|expect| expect.starts_with("FAULT"));
    let Some(pattern) = &invocation.response_pattern else {
        return match (status.is_success(), expects_fault) {
            (true, false) | (false, true) => Ok(()),
            (true, true) => Err(format!("a reply instead of a fault: {}", shorten(text))),
            (false, false) => Err(format!("HTTP {status}: {}", shorten(text))),
        };
    };
    let reply = match call.answer(text)? {
        Answer::Fault { summary, .. } => {
            return Err(format!("fault instead of a reply: {}", shorten(&summary)))
        }
        Answer::Reply(reply) => reply,
    };
    let regex = regex::Regex::new(&format!("(?s)^(?:{pattern})$"))
        .map_err(|e| format!("pattern {pattern:?} is not a regex: {e}"))?;
    if regex.is_match(&reply) {
        Ok(())
    } else {
        Err(format!(
            "reply does not match\n    expected: {pattern}\n    actual:   {}",
            shorten(&reply)
        ))
    }
}
