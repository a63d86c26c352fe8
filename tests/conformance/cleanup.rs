//! ODE's instance cleanup scenarios (`axis2-war-it/TestClean*`): each unit is deployed into a
//! real `baton serve`, its `testRequest.soap` is sent over SOAP/HTTP to the service it
//! provides, and the store is checked for what ODE's own tests expected to remain once the
//! instance ended: the instance, its message exchanges and its variable values, or nothing.
//!
//! The TestCleanSuccess units run a process calling a time service twice and completing; the
//! TestCleanFault units run one whose call of a dummy service faults, so that the instance
//! ends faulted. Both partners are answered by the runner's mock (see `mock`), the units'
//! WSDL addresses pointed at it when staged. Units whose cleanup deletes the instance without
//! its variables and correlations must be refused, as ODE refused them.

use std::path::Path;
use std::time::Duration;

use crate::common::Dirs;
use crate::Outcome;

/// The cleanup scenarios of the corpus folder `axis2-war-it`, by name, with what each expects.
pub(crate) fn cases(corpus: &Path) -> Vec<(String, Result<Expected, String>)> {
    let dir = corpus.join("axis2-war-it");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("TestClean"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let expected = Expected::of(&name);
            (name, expected)
        })
        .collect()
}

/// What remains of the instance once it ended, as ODE's cleanup tests counted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    /// The unit is refused at deployment.
    Refused,
    /// Nothing of the instance remains.
    Gone,
    /// The instance remains, ended with `faulted` or not, with or without exchanges and
    /// variable values.
    Kept {
        faulted: bool,
        exchanges: bool,
        variables: bool,
    },
}

impl Expected {
    /// ODE's expectation for the scenario `name` (its CleanSuccessTest and CleanFaultTest: the
    /// instance, message exchange and variable counts), or why it is not run.
    fn of(name: &str) -> Result<Self, String> {
        const NOT_RUN: &str = "no cleanup scenario: ODE's cleanup tests do not run it";
        if name == "TestCleanFailure" {
            return Err(
                "ODE's test checks that undeploying a process deletes its instances, \
                        which Baton keeps"
                    .into(),
            );
        }
        let (family, category) = name.split_once('_').ok_or_else(|| NOT_RUN.to_owned())?;
        let faulted = match family {
            "TestCleanSuccess" => false,
            "TestCleanFault" => true,
            _ => return Err(NOT_RUN.into()),
        };
        let kept = |exchanges, variables| Expected::Kept {
            faulted,
            exchanges,
            variables,
        };
        Ok(match category {
            "None" | "Correlations" | "Events" => kept(true, true),
            "Variables" => kept(true, false),
            "Messages" | "MessageCorrEvents" => kept(false, true),
            "All" => Expected::Gone,
            "Instance" => Expected::Refused,
            // TestCleanSuccess_Fault runs the fault handlers test without a cleanup.
            _ => return Err(NOT_RUN.into()),
        })
    }
}

/// Runs the scenario `name` of `corpus` against a server, with the mock partners at
/// `mock_url`.
pub(crate) async fn run(corpus: &Path, name: &str, expected: Expected, mock_url: &str) -> Outcome {
    match run_case(corpus, name, expected, mock_url).await {
        Ok(()) => Outcome::Pass,
        Err(reason) => Outcome::Fail(reason),
    }
}

async fn run_case(
    corpus: &Path,
    name: &str,
    expected: Expected,
    mock_url: &str,
) -> Result<(), String> {
    let dirs = Dirs::new();
    let server = crate::bpel_test::start(&dirs).await?;
    let folder = corpus.join("axis2-war-it").join(name);
    crate::axis2::stage(&folder, &dirs, name, &server.address, mock_url)?;
    if expected == Expected::Refused {
        return match server.await_log_within(&[name, "refused"], Duration::from_secs(10)) {
            // The diagnostics follow the "refused" line in the log.
            Some(line) => match server
                .await_log_within(&["variables and correlations"], Duration::from_secs(5))
            {
                Some(_) => Ok(()),
                None => Err(format!("refused for another reason: {line}")),
            },
            None => Err("deployed, but ODE refuses a cleanup of the instance alone".into()),
        };
    }
    crate::axis2::await_deployed(&server, name)?;
    let request = std::fs::read_to_string(folder.join("testRequest.soap"))
        .map_err(|e| format!("testRequest.soap: {e}"))?;
    let service = if name.starts_with("TestCleanFault") {
        "HelloService"
    } else {
        "CanonicServiceForClient"
    };
    let (status, answer) = server
        .post(
            &format!("/services/{service}"),
            "text/xml; charset=utf-8",
            request,
        )
        .await;
    let faulted = status != 200;
    if let Expected::Kept { faulted: fault, .. } = expected {
        if faulted != fault {
            return Err(format!(
                "answered {status}: {}",
                crate::soap::shorten(&answer)
            ));
        }
    }
    let settled = crate::common::within(Duration::from_secs(10), || async {
        remains(&dirs)
            .await
            .is_ok_and(|found| found.is(expected))
            .then_some(())
    })
    .await;
    match settled {
        Some(()) => Ok(()),
        None => Err(format!(
            "expected {expected:?}, found {:?}",
            remains(&dirs).await?
        )),
    }
}

/// What the store holds of the scenario's instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// No instance.
    Gone,
    /// One instance, still running.
    Running,
    /// One instance, ended.
    Ended {
        faulted: bool,
        exchanges: bool,
        variables: bool,
    },
    /// More than one instance.
    Several(usize),
}

impl Found {
    fn is(self, expected: Expected) -> bool {
        match (self, expected) {
            (Found::Gone, Expected::Gone) => true,
            (
                Found::Ended {
                    faulted,
                    exchanges,
                    variables,
                },
                Expected::Kept {
                    faulted: f,
                    exchanges: e,
                    variables: v,
                },
            ) => (faulted, exchanges, variables) == (f, e, v),
            _ => false,
        }
    }
}

async fn remains(dirs: &Dirs) -> Result<Found, String> {
    let store = dirs.store().await.map_err(|e| format!("store: {e}"))?;
    let found = async {
        let instances = store.list_instances(&Default::default()).await?;
        let instance = match instances.as_slice() {
            [] => return Ok(Found::Gone),
            [instance] => instance,
            several => return Ok(Found::Several(several.len())),
        };
        if instance.status == baton::store::InstanceStatus::Running {
            return Ok(Found::Running);
        }
        let record = store.load_instance(instance.id).await?;
        let variables = record.is_some_and(|record| {
            baton::runtime::InstanceState::from_bytes(&record.state).is_ok_and(|state| {
                state
                    .scopes
                    .iter()
                    .flatten()
                    .any(|scope| scope.variables.iter().any(Option::is_some))
            })
        });
        Ok::<_, baton::store::Error>(Found::Ended {
            faulted: instance.status == baton::store::InstanceStatus::Faulted,
            exchanges: !store.exchanges(instance.id).await?.is_empty(),
            variables,
        })
    }
    .await;
    store.close().await;
    found.map_err(|e| format!("store: {e}"))
}
