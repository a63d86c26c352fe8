//! ODE's SOAP/HTTP scenarios (`axis2-war-it`, but the cleanup ones of `cleanup`): each unit is
//! deployed unchanged into a real `baton serve`, its `.soap` requests are posted over HTTP as
//! ODE's integration tests posted them (the same order and spacing, one running in the
//! background where ODE's test waited for its answer while sending the next), and each answer
//! must contain what ODE's test looked for.
//!
//! The partners those tests started are the runner's mocks (see `mock`): the unit's WSDL and
//! `.endpoint` addresses of them are pointed there when staged, and `${system.test.port.0}`,
//! ODE's own port, becomes the server's. A scenario whose feature Baton does not offer yet is
//! listed as skipped with the issue that brings it; those ODE itself no longer ran are skipped
//! saying so.

use std::path::Path;
use std::time::Duration;

use crate::common::{Dirs, Server};
use crate::stage::copy_tree;
use crate::Outcome;

/// One request of a scenario.
struct Request {
    /// The `.soap` file, relative to the scenario's folder.
    file: &'static str,
    /// Where it is posted: the path of the service's soap:address.
    path: &'static str,
    /// How long after the scenario's first request it is sent.
    after_ms: u64,
    /// Sent without waiting for its answer before the next request.
    background: bool,
    /// What the answer must contain.
    expect: &'static [&'static str],
    /// The folder of the scenario deployed as the unit's next version before it is sent.
    deploys: Option<&'static str>,
}

/// What a scenario does, or why it is not run.
enum Plan {
    Run {
        /// The folder of the scenario deployed first ("" for the scenario's own).
        first: &'static str,
        requests: Vec<Request>,
        /// Every instance must end completed.
        completes: bool,
    },
    /// A scheduled cleanup scenario (see `cron`).
    Cron(crate::cron::Expected),
    Skip(&'static str),
}

const fn request(
    file: &'static str,
    path: &'static str,
    expect: &'static [&'static str],
) -> Request {
    Request {
        file,
        path,
        after_ms: 0,
        background: false,
        expect,
        deploys: None,
    }
}

const fn later(request: Request, after_ms: u64) -> Request {
    Request {
        after_ms,
        ..request
    }
}

/// `request`, sent once the scenario's folder `folder` is deployed as the unit's next version.
const fn redeploying(folder: &'static str, request: Request) -> Request {
    Request {
        deploys: Some(folder),
        ..request
    }
}

const fn background(request: Request) -> Request {
    Request {
        background: true,
        ..request
    }
}

const HELLO_WORLD: &str = "/ode/processes/helloWorld";
const CORRELATION_MULTI: &str = "/ode/processes/correlationMultiTest";
const INITIATOR: &str = "/ode/processes/Correlation-Header/wsdlWithHeader/Process/initiator";
const WITH_HEADERS: &str = "/ode/processes/correlationWithHeaders";
const PING: &str = "/ode/processes/PingPongService/";
const ON_EVENT: &str = "/ode/processes/OnEventCorrelation/";

const RETIRE: &str = "/ode/processes/testretire";
const MULTI_SCOPE: &str = "/ode/processes/TestCorrelationMultiScopeComplexService";

/// ODE's expectation of the scenario `name`, or why it is not run.
fn plan(name: &str) -> Plan {
    let run = |requests: Vec<Request>, completes| Plan::Run {
        first: "",
        requests,
        completes,
    };
    let versions = |requests: Vec<Request>| Plan::Run {
        first: "1",
        requests,
        completes: true,
    };
    match name {
        "TestAttributeNamespaces" => run(vec![request("testRequest.soap", "/ode/processes/attrNSWorld", &["helloResponse", "myattr"])],
            false,
        ),
        "TestClusteredOutgoingTraffic" => run(vec![request("testRequest.soap", PING, &["clusterOutput"])], true),
        "TestNoP2P" => run(vec![request("testRequest.soap", PING, &["magic"])], true),
        "TestCorrelationCustomSoapHeader" => run(vec![
                request("firstRequest.soap", INITIATOR, &["Recevie_first_messageResponse", "1000"]),
                request("secondRequest.soap", WITH_HEADERS, &["Envelope"]),
            ],
            true,
        ),
        "TestCorrelationHeader" => run(vec![
                request("testRequest1.soap", INITIATOR, &["Recevie_first_messageResponse", "11234"]),
                request("testRequest2.soap", WITH_HEADERS, &["Envelope"]),
            ],
            true,
        ),
        "TestCorrelationJoin" => run(vec![
                background(request("testRequest.soap", CORRELATION_MULTI, &[">1;2;3;<"])),
                later(request("testRequest2.soap", CORRELATION_MULTI, &[]), 1000),
                later(request("testRequest3.soap", CORRELATION_MULTI, &[]), 2000),
            ],
            true,
        ),
        "TestCorrelationJoinLazy" => run(vec![
                background(request("testRequest.soap", CORRELATION_MULTI, &[">1;3;2;<"])),
                later(request("testRequest2.soap", CORRELATION_MULTI, &[]), 1000),
                later(request("testRequest3.soap", CORRELATION_MULTI, &[]), 2000),
            ],
            true,
        ),
        "TestCorrelationMulti" => run(vec![
                background(request("testRequest.soap", CORRELATION_MULTI, &[">1;2;<"])),
                later(request("testRequest2.soap", CORRELATION_MULTI, &[]), 1000),
            ],
            true,
        ),
        "TestCorrelationUnicity" => run(vec![
                request("testRequest.soap", CORRELATION_MULTI, &["correlationUnicity1"]),
                request("testRequest.soap", CORRELATION_MULTI, &["correlationUnicity1"]),
            ],
            false,
        ),
        "TestEndpointTimeouts" => run(vec![request("testRequest.soap", HELLO_WORLD, &["Fault", "no reply within 2s"])],
            false,
        ),
        "TestMultiPartMessage" => run(vec![request("testRequest.soap", HELLO_WORLD, &["abc1", "abc2"])], true),
        "TestNoInputMessageInvocation" => run(vec![request(
                "testRequest.soap",
                "/ode/processes/NoArgumentInvocationProcess",
                &["noArgmentMethod invocation was successfull"],
            )],
            true,
        ),
        "TestSelectors" => run(vec![request(
                "testRequest.soap",
                "/ode/processes/Project-Reproduce-Isolation-Problem/ReproduceIsolationProblem/Pool2/Pool",
                &["_21Response"],
            )],
            false,
        ),
        "TestSoapHeader2" => run(vec![request(
                "testRequest.soap",
                "/ode/processes/hello/hello/process/client",
                &["TestSoapHeader2 passed"],
            )],
            true,
        ),
        "TestSoapHeader3" => run(vec![request(
                "testRequest.soap",
                "/ode/processes/hello_world_header_wsdl",
                &["hello World conversationId=1"],
            )],
            true,
        ),
        "TestStructuredFault" => run(vec![request(
                "testRequest.soap",
                HELLO_WORLD,
                &["helloResponse", "Something went wrong. Fortunately, it was meant to be."],
            )],
            true,
        ),
        "TestThrowOnEvent" => run(vec![
                request("testRequest.soap", ON_EVENT, &[]),
                later(request("testRequest.soap", ON_EVENT, &[]), 2000),
                later(request("testRequest.soap", ON_EVENT, &[]), 5000),
            ],
            true,
        ),
        "XSDReferences" => run(vec![], false),
        "TestSoapHeader" => run(vec![request(
                "testRequest.soap",
                "/ode/processes/headerTest",
                &["ConversationId", "ZZZXYZ", "Hello"],
            )],
            true,
        ),
        "TestHttpBinding" => run(
            vec![request("testRequest.soap", HELLO_WORLD, &["5565"])],
            true,
        ),
        // Headers from endpoint properties of the configuration directory and of the unit
        // (see `stage`), overridden by the process's values; the partner is the mock's echo.
        "TestEndpointProperties" => run(vec![request("testRequest.soap", HELLO_WORLD, &["OK!!!"])], true),
        // The partner is `blog`, which misbehaves as each call asks; the process answers
        // "What a success!" only when every call ended as ODE's binding extensions say.
        name if name.starts_with("TestHttpBindingExt_") => {
            run(vec![request("testRequest.soap", HELLO_WORLD, &["What a success!"])], true)
        }
        // ODE's tests deployed the second folder as another unit holding the same process,
        // which retired the first; here it is the unit's next version, which does the same.
        "TestInstanceRetire" => versions(vec![
            request("1/testRequest1.soap", RETIRE, &["XYZ"]),
            redeploying("2", request("1/testRequest2.soap", RETIRE, &["DONE"])),
            request("1/testRequest1.soap", RETIRE, &["XYZ"]),
            request("1/testRequest2.soap", RETIRE, &["XYZ"]),
        ]),
        // Three instances share values of single sets; each receive names all three sets,
        // which together tell them apart. `iid` is the instance (`$ode:pid`).
        "TestCorrelationMultiScopeComplex" => versions(vec![
            request("1/initiate.soap", MULTI_SCOPE, &[">1</iid>"]),
            request("1/second_initiate.soap", MULTI_SCOPE, &[">2</iid>"]),
            request("1/third_initiate.soap", MULTI_SCOPE, &[">3</iid>"]),
            redeploying("2", request("1/receive2.soap", MULTI_SCOPE, &[])),
            request("1/second_receive2.soap", MULTI_SCOPE, &[]),
            request("1/third_receive2.soap", MULTI_SCOPE, &[]),
            request("1/third_receive3.soap", MULTI_SCOPE, &[]),
            request("1/receive3.soap", MULTI_SCOPE, &[]),
            request("1/second_receive3.soap", MULTI_SCOPE, &[]),
            request("1/second_complete.soap", MULTI_SCOPE, &[">2</iid>"]),
            request("1/complete.soap", MULTI_SCOPE, &[">1</iid>"]),
            request("1/third_complete.soap", MULTI_SCOPE, &[">3</iid>"]),
            request("2/initiate.soap", MULTI_SCOPE, &[">4</iid>"]),
            request("2/receive2.soap", MULTI_SCOPE, &[]),
            request("2/receive3.soap", MULTI_SCOPE, &[]),
            request("2/complete.soap", MULTI_SCOPE, &[">4</iid>"]),
        ]),
        "TestInstanceRetire2" => Plan::Skip(
            "retiring a process through ODE's ProcessManagement API, then deploying another \
             process at its service: the operations issue (management API)",
        ),
        "TestProcessCronCleanup" => Plan::Cron(crate::cron::Expected::DeletedByProcess),
        "TestSystemCronCleanup" => Plan::Cron(crate::cron::Expected::DeletedBySystem),
        "TestSystemCronCleanup_exclude" => Plan::Cron(crate::cron::Expected::KeptFromSystem),
        "TestRampartBasic" | "TestRampartPolicy" => {
            Plan::Skip("WS-Security (Rampart): not offered; ODE's own run excluded these")
        }
        "TestFailureInInvoke" => Plan::Skip("disabled in ODE's own suite"),
        _ => Plan::Skip("no scenario: ODE's tests do not run it"),
    }
}

/// The scenarios of the corpus folder `axis2-war-it` but the cleanup ones, by name.
pub(crate) fn cases(corpus: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(corpus.join("axis2-war-it")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("TestClean"))
        .collect();
    names.sort();
    names
}

/// Whether the scenario `name` is run; the reason when it is not.
pub(crate) fn skip_reason(name: &str) -> Option<&'static str> {
    match plan(name) {
        Plan::Skip(reason) => Some(reason),
        Plan::Run { .. } | Plan::Cron(_) => None,
    }
}

/// Runs the scenario `name` of `corpus` against a server, with the mock partners at
/// `mock_url`.
pub(crate) async fn run(corpus: &Path, name: &str, mock_url: &str) -> Outcome {
    let (first, requests, completes) = match plan(name) {
        Plan::Run {
            first,
            requests,
            completes,
        } => (first, requests, completes),
        Plan::Cron(expected) => {
            let folder = corpus.join("axis2-war-it").join(name);
            return match crate::cron::run_case(&folder, name, expected, mock_url).await {
                Ok(()) => Outcome::Pass,
                Err(reason) => Outcome::Fail(reason),
            };
        }
        Plan::Skip(_) => return Outcome::Skip("not run".into()),
    };
    let scenario = Scenario {
        folder: corpus.join("axis2-war-it").join(name),
        name,
        first,
        mock_url,
    };
    match run_case(&scenario, &requests, completes).await {
        Ok(()) => Outcome::Pass,
        Err(reason) => Outcome::Fail(reason),
    }
}

/// Where a scenario's files are and what it is called.
struct Scenario<'a> {
    folder: std::path::PathBuf,
    name: &'a str,
    first: &'static str,
    mock_url: &'a str,
}

async fn run_case(
    scenario: &Scenario<'_>,
    requests: &[Request],
    completes: bool,
) -> Result<(), String> {
    let (folder, name, mock_url) = (&scenario.folder, scenario.name, scenario.mock_url);
    let dirs = Dirs::new();
    let server = crate::bpel_test::start(&dirs).await?;
    stage(
        &folder.join(scenario.first),
        &dirs,
        name,
        &server.address,
        mock_url,
    )?;
    await_deployed(&server, name)?;
    let started = tokio::time::Instant::now();
    let mut waiting = Vec::new();
    let mut version = 1;
    for request in requests {
        if let Some(next) = request.deploys {
            stage(&folder.join(next), &dirs, name, &server.address, mock_url)?;
            version += 1;
            await_version(&server, name, version)?;
        }
        tokio::time::sleep_until(started + Duration::from_millis(request.after_ms)).await;
        let envelope = std::fs::read_to_string(folder.join(request.file))
            .map_err(|e| format!("{}: {e}", request.file))?;
        let call = post(&server, request.path, envelope);
        if request.background {
            waiting.push((request, tokio::spawn(call)));
        } else {
            check(request, call.await)?;
        }
    }
    for (request, call) in waiting {
        let answer = call.await.map_err(|e| format!("{}: {e}", request.file))?;
        check(request, answer)?;
    }
    if completes {
        await_completed(&dirs).await?;
    }
    Ok(())
}

/// Posts `envelope` to `path` as ODE's test client did: `text/xml`, an empty SOAPAction.
fn post(
    server: &Server,
    path: &str,
    envelope: String,
) -> impl std::future::Future<Output = Result<(u16, String), String>> + Send + 'static {
    let request = reqwest::Client::new()
        .post(format!("{}{path}", server.address))
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", "\"\"")
        .timeout(Duration::from_secs(60))
        .body(envelope);
    async move {
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        Ok((status, response.text().await.map_err(|e| e.to_string())?))
    }
}

fn check(request: &Request, answer: Result<(u16, String), String>) -> Result<(), String> {
    let (status, body) = answer.map_err(|e| format!("{}: {e}", request.file))?;
    let missing: Vec<_> = request
        .expect
        .iter()
        .filter(|wanted| !body.contains(*wanted))
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "{}: the answer ({status}) lacks {missing:?}: {}",
            request.file,
            crate::soap::shorten(&body)
        )),
    }
}

/// Waits until `server` deployed the unit `name`; fails when it refused it.
pub(crate) fn await_deployed(server: &Server, name: &str) -> Result<(), String> {
    await_version(server, name, 1)
}

/// Waits until `server` deployed version `version` of the unit `name`; fails when it refused
/// it (a line naming the unit says so: other lines may count what they refused).
fn await_version(server: &Server, name: &str, version: u32) -> Result<(), String> {
    let deployed = format!("unit={name}");
    let numbered = format!("version={version}");
    let log = server.await_log_any(
        &[&["Unit deployed", &deployed, &numbered], &["refused", name]],
        Duration::from_secs(30),
    );
    match log {
        Some(line) if line.contains("Unit deployed") => Ok(()),
        Some(_) => Err(format!(
            "server refused the unit: {}",
            server.log_lines().join("\n")
        )),
        None => Err("the server never deployed the unit".into()),
    }
}

/// Copies the scenario's unit into the deploy directory under `name`, its partners'
/// addresses pointed at the mocks and ODE's own port at the server's; its files of ODE's
/// global configuration (`*_global_conf*`) go to the server's configuration directory.
pub(crate) fn stage(
    from: &Path,
    dirs: &Dirs,
    name: &str,
    server: &str,
    mock_url: &str,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("staging {}: {e}", from.display());
    let staging = dirs.root().join("staging").join(name);
    copy_tree(from, &staging, &|_| false).map_err(io)?;
    let server_port = server.rsplit(':').next().unwrap_or_default();
    let mock_host = mock_url.trim_start_matches("http://");
    let rewrites = [
        (
            "http://localhost:8888/axis2/processes/TimeService/",
            format!("{mock_url}/time"),
        ),
        (
            "http://localhost:${system.test.port.0}/axis2/processes/TimeService/",
            format!("{mock_url}/time"),
        ),
        (
            "http://localhost:8888/processes/DummyService",
            format!("{mock_url}/dummy"),
        ),
        (
            "http://localhost:8888/ode/processes/DummyService",
            format!("{mock_url}/dummy"),
        ),
        (
            "http://localhost:${system.test.port.0}/processes/DummyService",
            format!("{mock_url}/dummy"),
        ),
        ("localhost:${system.test.port.1}", mock_host.to_owned()),
        ("localhost:7070", mock_host.to_owned()),
        ("${system.test.port.0}", server_port.to_owned()),
    ];
    for file in files(&staging).map_err(io)? {
        let is_text = ["wsdl", "endpoint"]
            .iter()
            .any(|extension| file.extension().is_some_and(|e| e == *extension));
        if !is_text {
            continue;
        }
        let mut text = std::fs::read_to_string(&file).map_err(io)?;
        for (from, to) in &rewrites {
            text = text.replace(from, to);
        }
        std::fs::write(&file, text).map_err(io)?;
    }
    // ODE's global configuration files go to the server's configuration directory.
    let conf = dirs.root().join("conf");
    for file in files(&staging).map_err(io)? {
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.contains("_global_conf") {
            std::fs::rename(&file, conf.join(&name)).map_err(io)?;
        }
    }
    // A version already there is moved aside in one step, so that a scan never sees half of
    // either.
    let target = dirs.deploy().join(name);
    let replaced = dirs.root().join("replaced").join(name);
    if target.exists() {
        std::fs::create_dir_all(replaced.parent().expect("a parent")).map_err(io)?;
        std::fs::rename(&target, &replaced).map_err(io)?;
    }
    std::fs::rename(&staging, &target).map_err(io)?;
    if replaced.exists() {
        std::fs::remove_dir_all(&replaced).map_err(io)?;
    }
    Ok(())
}

/// Every file under `dir`.
fn files(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            found.extend(files(&path)?);
        } else {
            found.push(path);
        }
    }
    Ok(found)
}

/// Waits until every instance the store holds ended completed.
async fn await_completed(dirs: &Dirs) -> Result<(), String> {
    let store = dirs.store().await.map_err(|e| format!("store: {e}"))?;
    let statuses = || async {
        let instances = store.list_instances(&Default::default()).await;
        let statuses: Vec<_> = instances.ok()?.iter().map(|i| i.status).collect();
        Some(statuses)
    };
    let completed = baton::store::InstanceStatus::Completed;
    let settled = crate::common::within(Duration::from_secs(20), || async {
        let statuses = statuses().await?;
        (!statuses.is_empty() && statuses.iter().all(|s| *s == completed)).then_some(())
    })
    .await;
    let last = statuses().await;
    store.close().await;
    settled.ok_or_else(|| format!("the instances did not all complete: {last:?}"))
}
