//! The scheduled cleanups: the system-wide ones of `[[cleanup.schedules]]` and those of the
//! deployed process versions (deploy.xml `<schedule when>`), each run when its cron
//! expression ([`crate::model::cron`]) falls due, and, with `[cleanup] remove-retired`, the
//! retention of retired versions ([`super::retention`]) after each round of runs, and every
//! minute when none ran.
//!
//! As ODE's: each filter of a process's schedule is applied with ` pid=<its pid>` appended,
//! and each filter of a system schedule with ` pid<>p1|p2…`, the versions with schedules of
//! their own, so that those are cleaned by their own schedules only. A cleanup without
//! filters cleans nothing. A run deletes the ended instances its filters select, or the
//! categories it names of them ([`super::sweep`]); running and suspended instances are
//! skipped.
//!
//! One task runs the schedules one after another: a run that outlasts its period skips the
//! ticks it missed. The schedules of versions deployed or undeployed meanwhile are taken up
//! or dropped within a second.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use tokio_util::sync::CancellationToken;

use super::sweep::{sweep, Pace, Swept};
use super::Engine;
use crate::model::cron::Cron;
use crate::model::{Cleanup, CleanupOn};
use crate::query;
use crate::store::Error;

/// The longest pause between two looks at the schedules, so that those of versions just
/// deployed are taken up.
const RESCAN: Duration = Duration::from_secs(1);

/// How often the retention of retired versions runs when no schedule ran meanwhile.
const RETENTION: Duration = Duration::from_secs(60);

/// Whose schedule it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Owner {
    /// The system's: `[[cleanup.schedules]]`, by its place in the list.
    System(usize),
    /// Process version `pid`'s: its `<schedule>`, by its place in deploy.xml.
    Process(String, usize),
}

/// When a schedule runs next: never when its expression cannot be read.
struct Timing {
    cron: Option<Cron>,
    next: Option<SystemTime>,
}

/// One schedule, as it runs.
#[derive(Debug, Clone)]
struct CleanupSchedule {
    owner: Owner,
    when: String,
    cleanups: Vec<Cleanup>,
}

impl Engine {
    /// Every schedule: the system's, then those of the deployed process versions.
    fn cleanup_schedules(&self) -> Vec<CleanupSchedule> {
        let services = self.services();
        let system = services.config.cleanup.schedules.iter().enumerate();
        let system = system.map(|(index, schedule)| CleanupSchedule {
            owner: Owner::System(index),
            when: schedule.when.clone(),
            cleanups: vec![Cleanup {
                on: CleanupOn::Always,
                categories: schedule.categories.clone(),
                filters: schedule.filters.clone(),
            }],
        });
        let mut schedules: Vec<CleanupSchedule> = system.collect();
        for process in services.registry.processes() {
            let own = process.deployment.schedules.iter().enumerate();
            schedules.extend(own.map(|(index, schedule)| CleanupSchedule {
                owner: Owner::Process(process.pid.clone(), index),
                when: schedule.when.clone(),
                cleanups: schedule.cleanup.clone(),
            }));
        }
        schedules
    }

    /// Runs `schedule` once, now.
    async fn run_cleanup_schedule(&self, schedule: &CleanupSchedule) -> Result<Swept, Error> {
        let services = self.services();
        let store = services.store.as_ref();
        let processes = store.list_processes().await?;
        let restriction = match &schedule.owner {
            Owner::Process(pid, _) => format!(" pid={pid}"),
            Owner::System(_) => {
                let mut own: Vec<String> = services
                    .registry
                    .processes()
                    .iter()
                    .filter(|process| !process.deployment.schedules.is_empty())
                    .map(|process| process.pid.clone())
                    .collect();
                own.sort();
                match own.is_empty() {
                    true => String::new(),
                    false => format!(" pid<>{}", own.join("|")),
                }
            }
        };
        let pace = Pace::of(&services.config.cleanup);
        let mut swept = Swept::default();
        for cleanup in &schedule.cleanups {
            let mut filters = Vec::new();
            for filter in &cleanup.filters {
                let text = format!("{filter}{restriction}");
                match query::instance_listing(&text, "", &processes, SystemTime::now()) {
                    Ok(chosen) => filters.push(chosen),
                    Err(error) => {
                        tracing::warn!(owner = ?schedule.owner, %error, "Scheduled cleanup filter refused");
                    }
                }
            }
            swept = swept.and(sweep(store, &filters, cleanup.categories(), pace).await?);
        }
        Ok(swept)
    }

    /// Runs the schedules as they fall due, and the retention of retired versions after each
    /// round, until `shutdown`.
    pub async fn run_cleanup_schedules(&self, shutdown: CancellationToken) {
        let mut timetable: HashMap<Owner, Timing> = HashMap::new();
        let mut last_retention: Option<Instant> = None;
        loop {
            let schedules = self.cleanup_schedules();
            let now = SystemTime::now();
            timetable.retain(|owner, _| schedules.iter().any(|s| s.owner == *owner));
            let mut due = Vec::new();
            for schedule in &schedules {
                let entry = timetable.entry(schedule.owner.clone()).or_insert_with(|| {
                    let cron = Cron::parse(&schedule.when)
                        .inspect_err(|error| {
                            tracing::warn!(owner = ?schedule.owner, %error, "Scheduled cleanup never runs");
                        })
                        .ok();
                    let next = cron.as_ref().and_then(|cron| cron.next_after(now));
                    Timing { cron, next }
                });
                if entry.next.is_some_and(|next| next <= now) {
                    due.push(schedule);
                }
            }
            for schedule in &due {
                self.run_logged(schedule).await;
                if let Some(timing) = timetable.get_mut(&schedule.owner) {
                    timing.next = timing
                        .cron
                        .as_ref()
                        .and_then(|cron| cron.next_after(SystemTime::now()));
                }
            }
            let retention_due = last_retention.is_none_or(|at| at.elapsed() >= RETENTION);
            if self.services().config.cleanup.remove_retired && (!due.is_empty() || retention_due) {
                last_retention = Some(Instant::now());
                if let Err(error) = self.remove_retired_versions().await {
                    tracing::warn!(%error, "Retired versions not removed");
                }
            }
            let now = SystemTime::now();
            let soonest = timetable.values().filter_map(|timing| timing.next).min();
            let pause = soonest
                .map(|next| next.duration_since(now).unwrap_or_default())
                .map_or(RESCAN, |until| until.min(RESCAN));
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = actix::clock::sleep(pause) => {}
            }
        }
    }

    /// Runs `schedule` and says what it did: at info when it cleaned something.
    async fn run_logged(&self, schedule: &CleanupSchedule) {
        match self.run_cleanup_schedule(schedule).await {
            Ok(swept) if swept.cleaned > 0 => tracing::info!(
                owner = ?schedule.owner,
                cleaned = swept.cleaned,
                refused = swept.refused,
                transactions = swept.transactions,
                "Scheduled cleanup ran"
            ),
            Ok(swept) => tracing::debug!(
                owner = ?schedule.owner,
                cleaned = swept.cleaned,
                refused = swept.refused,
                "Scheduled cleanup ran"
            ),
            Err(error) => {
                tracing::warn!(owner = ?schedule.owner, %error, "Scheduled cleanup failed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::config::{CleanupConfig, Configuration, ScheduleConfig};
    use crate::store::{
        Datasource, DeploymentRecord, InstanceFilter, InstanceStatus, InstanceWrite, ProcessRecord,
        ProcessState, StepCommit, Store,
    };

    /// Stores version `version` of unit `name` with one process version in `state`.
    async fn deploy(store: &dyn Store, name: &str, version: i64, state: ProcessState) -> String {
        let deployment = DeploymentRecord {
            name: name.to_owned(),
            version,
            checksum: format!("{name}-{version}"),
            deployed_at: UNIX_EPOCH,
            files: Vec::new(),
            undeployed: false,
        };
        store.save_deployment(deployment).await.unwrap();
        let pid = format!("{{urn:test}}{name}-{version}");
        let process = ProcessRecord {
            pid: pid.clone(),
            process: format!("{{urn:test}}{name}"),
            deployment: name.to_owned(),
            version,
            state,
        };
        store.save_process(process).await.unwrap();
        pid
    }

    /// Stores an instance of `pid` with `status`.
    async fn instance(store: &dyn Store, pid: &str, status: InstanceStatus) -> i64 {
        let id = store.reserve_instance_ids(1).await.unwrap();
        let write = InstanceWrite {
            id,
            status,
            state: Vec::new(),
            failure: None,
            expected_revision: 0,
            create: Some(pid.to_owned()),
        };
        store.commit(StepCommit::new(write)).await.unwrap();
        id
    }

    /// Polls `holds` until it is true, failing the test after ten seconds.
    async fn await_that<F: std::future::Future<Output = bool>>(what: &str, holds: impl Fn() -> F) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !holds().await {
            assert!(Instant::now() < deadline, "never saw {what}");
            actix::clock::sleep(Duration::from_millis(20)).await;
        }
    }

    #[test]
    fn a_system_schedule_every_second_deletes_what_it_selects_and_retires_versions() {
        actix::System::new().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("baton.db");
            let store = Datasource::new(path.to_string_lossy())
                .open()
                .await
                .unwrap();
            let config = Configuration {
                cleanup: CleanupConfig {
                    schedules: vec![ScheduleConfig {
                        when: "* * * * * ?".to_owned(),
                        filters: vec!["status=completed".to_owned()],
                        categories: Vec::new(),
                    }],
                    remove_retired: true,
                    ..CleanupConfig::default()
                },
                ..Configuration::default()
            };
            let engine = crate::engine::tests::engine_on(config, store.clone());
            let old = deploy(store.as_ref(), "orders", 1, ProcessState::Retired).await;
            let new = deploy(store.as_ref(), "orders", 2, ProcessState::Active).await;
            let completed = instance(store.as_ref(), &old, InstanceStatus::Completed).await;
            let faulted = instance(store.as_ref(), &new, InstanceStatus::Faulted).await;
            let running = instance(store.as_ref(), &new, InstanceStatus::Running).await;
            let shutdown = CancellationToken::new();
            let scheduling = (engine.clone(), shutdown.clone());
            let task = actix::spawn(async move {
                scheduling.0.run_cleanup_schedules(scheduling.1).await;
            });

            let ids = || async {
                let all = store.list_instances(&InstanceFilter::default()).await;
                let mut ids: Vec<i64> = all.unwrap().iter().map(|i| i.id).collect();
                ids.sort();
                ids
            };
            await_that("the completed instance deleted", || async {
                ids().await == [faulted, running]
            })
            .await;
            await_that("the replaced retired version undeployed", || async {
                let deployments = store.list_deployments().await.unwrap();
                let gone = deployments.iter().filter(|d| d.undeployed);
                gone.map(|d| d.version).collect::<Vec<_>>() == [1]
            })
            .await;
            assert_eq!(store.load_instance(completed).await.unwrap(), None);
            assert_eq!(ids().await, [faulted, running]);
            shutdown.cancel();
            task.await.unwrap();
            store.close().await;
        });
    }
}
