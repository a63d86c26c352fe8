//! ODE's scheduled cleanup scenarios (`axis2-war-it/Test*CronCleanup*`): the FirstProcess unit
//! is deployed into a real `baton serve`, its `testRequest.soap` sent, and the instance it
//! completes must then be deleted by a cleanup running every second, or kept.
//!
//! - TestProcessCronCleanup: the process's own `<schedule when="* * * * * ?">` deletes its
//!   completed instances.
//! - TestSystemCronCleanup: the server's system schedule (`[[cleanup.schedules]]`, every
//!   second, `status=completed`, as ODE's test schedules were) deletes them.
//! - TestSystemCronCleanup_exclude: the process has a schedule of its own, selecting only
//!   instances inactive for a week, so the system schedule leaves it alone: the instance is
//!   still there after both schedules ran twice since it completed.

use std::time::Duration;

use crate::common::{Dirs, Server};

/// What a scenario expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    /// The instance is deleted by the process's schedule.
    DeletedByProcess,
    /// The instance is deleted by the system's schedule.
    DeletedBySystem,
    /// The system's schedule skips the process, which has its own.
    KeptFromSystem,
}

/// The system schedule of the scenarios' servers.
const SYSTEM_SCHEDULE: &str = r#"[{ when = "* * * * * ?", filters = ["status=completed"] }]"#;

/// The log line of a scheduled cleanup's run.
const RAN: &str = "Scheduled cleanup ran";

/// How long the scenarios wait for a cleanup to delete or keep the instance.
const PATIENCE: Duration = Duration::from_secs(15);

pub(crate) async fn run_case(
    folder: &std::path::Path,
    name: &str,
    expected: Expected,
    mock_url: &str,
) -> Result<(), String> {
    let dirs = Dirs::new();
    let settings = match expected {
        Expected::DeletedByProcess => vec![],
        _ => vec![("BATON_CLEANUP__SCHEDULES", SYSTEM_SCHEDULE)],
    };
    let log = ",baton::engine::schedules=debug";
    let server = crate::bpel_test::start_configured(&dirs, log, &settings).await?;
    crate::axis2::stage(folder, &dirs, name, &server.address, mock_url)?;
    crate::axis2::await_deployed(&server, name)?;
    let request = std::fs::read_to_string(folder.join("testRequest.soap"))
        .map_err(|e| format!("testRequest.soap: {e}"))?;
    let (status, answer) = server
        .post(
            "/services/CanonicServiceForClient",
            "text/xml; charset=utf-8",
            request,
        )
        .await;
    if status != 200 {
        return Err(format!(
            "answered {status}: {}",
            crate::soap::shorten(&answer)
        ));
    }
    let ended = crate::common::within(PATIENCE, || async {
        let found = instances(&dirs).await.ok()?;
        let done = baton::store::InstanceStatus::Completed;
        (found.is_empty() || found.iter().all(|status| *status == done)).then_some(found)
    })
    .await
    .ok_or("the instance never completed")?;
    match expected {
        Expected::DeletedByProcess | Expected::DeletedBySystem => {
            let gone = crate::common::within(PATIENCE, || async {
                instances(&dirs).await.ok()?.is_empty().then_some(())
            })
            .await;
            let owner = match expected {
                Expected::DeletedBySystem => "System(0)",
                _ => "Process(",
            };
            match gone {
                Some(()) if server.logged(&[RAN, owner, "cleaned=1"]) => Ok(()),
                Some(()) => Err(format!("deleted, but not by the {owner} schedule")),
                None => Err(format!("never deleted: {:?}", instances(&dirs).await)),
            }
        }
        Expected::KeptFromSystem => {
            if ended.len() != 1 {
                return Err(format!("expected one completed instance, found {ended:?}"));
            }
            for owner in ["System(0)", "Process("] {
                await_runs(&server, owner, 2).await?;
            }
            match instances(&dirs).await? {
                kept if kept.len() == 1 => Ok(()),
                other => Err(format!("the instance was not kept: {other:?}")),
            }
        }
    }
}

/// Waits until the schedule of `owner` ran `runs` more times than it had so far.
async fn await_runs(server: &Server, owner: &str, runs: usize) -> Result<(), String> {
    let count = || {
        let lines = server.log_lines();
        lines
            .iter()
            .filter(|line| line.contains(RAN) && line.contains(owner))
            .count()
    };
    let before = count();
    crate::common::within(PATIENCE, || async {
        (count() >= before + runs).then_some(())
    })
    .await
    .ok_or_else(|| format!("the {owner} schedule did not run {runs} times"))
}

/// The statuses of the instances the store holds.
async fn instances(dirs: &Dirs) -> Result<Vec<baton::store::InstanceStatus>, String> {
    let store = dirs.store().await.map_err(|e| format!("store: {e}"))?;
    let listed = store.list_instances(&Default::default()).await;
    store.close().await;
    let listed = listed.map_err(|e| format!("store: {e}"))?;
    Ok(listed.iter().map(|instance| instance.status).collect())
}
