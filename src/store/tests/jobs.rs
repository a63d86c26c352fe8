//! The job table: jobs are stored with the step that schedules them, once whatever how often
//! they are scheduled, listed by due time, run exactly once (the step running a job deletes
//! its row, or fails and stores nothing), and dropped with the instance that finishes, even
//! in the step that creates it, and with the deployment that is undeployed.

use super::{job, step, Fixture, TestDb};
use crate::store::{Error, InstanceStatus, Job, JobKey, JobKind, RouteKey};

/// Every stored job, soonest first.
async fn all_jobs(fixture: &Fixture) -> Vec<Job> {
    fixture.store.due_jobs(i64::MAX, u32::MAX).await.unwrap()
}

/// A new instance of `{urn:test}jobs` with its pid.
async fn instance(fixture: &Fixture) -> (i64, String) {
    let pid = match fixture.store.list_processes().await.unwrap().first() {
        Some(process) => process.pid.clone(),
        None => fixture.deploy("jobs").await,
    };
    let id = fixture.create(&pid).await.unwrap();
    (id, pid)
}

/// Stores `jobs` with a step of instance `id` at revision 1 saving `state`.
async fn arm(fixture: &Fixture, id: i64, state: &[u8], jobs: Vec<Job>) {
    let mut arm = step(id, 1, InstanceStatus::Running, state);
    arm.jobs = jobs;
    fixture.store.commit(arm).await.unwrap();
}

async fn storing_a_job_again_keeps_the_first(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let (id, pid) = instance(&fixture).await;
    let timer = job(id, &pid, JobKind::Timer, "1", 1_000);
    arm(&fixture, id, b"armed", vec![timer.clone()]).await;
    let mut again = step(id, 2, InstanceStatus::Running, b"armed again");
    let timeout = job(id, &pid, JobKind::InvokeTimeout, "x-1", 2_000);
    again.jobs = vec![job(id, &pid, JobKind::Timer, "1", 5_000), timeout.clone()];
    fixture.store.commit(again).await.unwrap();
    assert_eq!(all_jobs(&fixture).await, [timer, timeout]);
}

async fn due_jobs_are_listed_soonest_first_up_to_a_time_and_a_limit(db: TestDb) {
    let mut fixture = Fixture::new(&db).await;
    let (first, pid) = instance(&fixture).await;
    let (second, _) = instance(&fixture).await;
    let jobs = vec![
        job(first, &pid, JobKind::Timer, "1", 300),
        job(first, &pid, JobKind::InvokeTimeout, "x-1", 100),
    ];
    arm(&fixture, first, b"", jobs).await;
    let jobs = vec![
        job(second, &pid, JobKind::Timer, "7", 200),
        job(second, &pid, JobKind::Timer, "8", 900),
    ];
    arm(&fixture, second, b"", jobs).await;
    fixture.reopen().await;

    let store = &fixture.store;
    let due = |until, limit| async move {
        let jobs = store.due_jobs(until, limit).await.unwrap();
        jobs.into_iter().map(|job| job.due_ms).collect::<Vec<i64>>()
    };
    assert_eq!(due(250, 10).await, [100, 200]);
    assert_eq!(due(300, 10).await, [100, 200, 300]);
    assert_eq!(due(i64::MAX, 2).await, [100, 200]);
    assert!(due(99, 10).await.is_empty());
    let timeouts = fixture
        .store
        .jobs_of_kind(JobKind::InvokeTimeout)
        .await
        .unwrap();
    assert_eq!(
        timeouts,
        [job(first, &pid, JobKind::InvokeTimeout, "x-1", 100)]
    );
}

async fn a_job_runs_exactly_once(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let (id, pid) = instance(&fixture).await;
    let armed = vec![job(id, &pid, JobKind::Timer, "1", 10)];
    arm(&fixture, id, b"waiting", armed).await;

    // Two deliveries of the job, racing on the same revision: one runs it.
    let timer = JobKey::new(JobKind::Timer, "1");
    let run = |state: &'static [u8]| {
        let mut run = step(id, 2, InstanceStatus::Running, state);
        run.job_done = Some(timer.clone());
        run.routes_added = vec![RouteKey::new("{urn:test}jobs", state_key(state))];
        run.jobs = vec![job(id, &pid, JobKind::Timer, state_key(state), 20)];
        fixture.store.commit(run)
    };
    let (one, two) = futures::join!(run(b"one"), run(b"two"));
    let (winner, loser) = match (one, two) {
        (Ok(revision), Err(error)) => ((revision, "one"), error),
        (Err(error), Ok(revision)) => ((revision, "two"), error),
        other => panic!("expected exactly one run, got {other:?}"),
    };
    assert_eq!(winner.0, 3);
    assert!(
        matches!(loser, Error::JobGone { .. } | Error::Conflict { .. }),
        "{loser}"
    );

    // A later delivery finds the job gone, and nothing of its step is stored.
    let mut late = step(id, 3, InstanceStatus::Completed, b"late");
    late.job_done = Some(timer);
    late.routes_added = vec![RouteKey::new("{urn:test}jobs", "late")];
    late.clear_jobs = true;
    match fixture.store.commit(late).await {
        Err(Error::JobGone {
            instance,
            kind: JobKind::Timer,
            key,
        }) => assert_eq!((instance, key.as_str()), (id, "1")),
        other => panic!("expected the job to be gone, got {other:?}"),
    }
    let loaded = fixture.load(id).await;
    assert_eq!(
        (loaded.status, loaded.revision, loaded.state),
        (InstanceStatus::Running, 3, winner.1.as_bytes().to_vec())
    );
    assert_eq!(
        fixture.routes(id).await,
        [RouteKey::new("{urn:test}jobs", winner.1)]
    );
    assert_eq!(
        all_jobs(&fixture).await,
        [job(id, &pid, JobKind::Timer, winner.1, 20)]
    );
}

/// The route and timer key a racing run of [`a_job_runs_exactly_once`] stores.
fn state_key(state: &[u8]) -> &'static str {
    match state {
        b"one" => "one",
        _ => "two",
    }
}

async fn a_failed_step_leaves_its_job(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let (id, pid) = instance(&fixture).await;
    let timer = job(id, &pid, JobKind::Timer, "1", 10);
    arm(&fixture, id, b"waiting", vec![timer.clone()]).await;
    let mut stale = step(id, 1, InstanceStatus::Running, b"stale");
    stale.job_done = Some(timer.job.clone());
    assert!(matches!(
        fixture.store.commit(stale).await,
        Err(Error::Conflict { .. })
    ));
    assert_eq!(all_jobs(&fixture).await, std::slice::from_ref(&timer));
    let mut run = step(id, 2, InstanceStatus::Running, b"fired");
    run.job_done = Some(timer.job);
    assert_eq!(fixture.store.commit(run).await.unwrap(), 3);
    assert!(all_jobs(&fixture).await.is_empty());
}

async fn cancelled_jobs_go_and_unknown_ones_are_ignored(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let (id, pid) = instance(&fixture).await;
    let jobs = vec![
        job(id, &pid, JobKind::InvokeTimeout, "x-1", 10),
        job(id, &pid, JobKind::Timer, "1", 20),
    ];
    arm(&fixture, id, b"invoking", jobs).await;
    let mut answered = step(id, 2, InstanceStatus::Running, b"answered");
    answered.jobs_cancelled = vec![
        JobKey::new(JobKind::InvokeTimeout, "x-1"),
        JobKey::new(JobKind::InvokeTimeout, "x-9"),
    ];
    fixture.store.commit(answered).await.unwrap();
    assert_eq!(
        all_jobs(&fixture).await,
        [job(id, &pid, JobKind::Timer, "1", 20)]
    );
}

async fn finished_and_failed_instances_drop_their_jobs(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let (finishing, pid) = instance(&fixture).await;
    let (failing, _) = instance(&fixture).await;
    let (waiting, _) = instance(&fixture).await;
    for id in [finishing, failing, waiting] {
        let jobs = vec![
            job(id, &pid, JobKind::Timer, "1", 10),
            job(id, &pid, JobKind::InvokeTimeout, "x-1", 20),
        ];
        arm(&fixture, id, b"", jobs).await;
    }
    let mut finish = step(finishing, 2, InstanceStatus::Completed, b"done");
    finish.job_done = Some(JobKey::new(JobKind::Timer, "1"));
    finish.clear_jobs = true;
    fixture.store.commit(finish).await.unwrap();
    fixture.store.mark_failed(failing, "broken").await.unwrap();
    let left: Vec<i64> = all_jobs(&fixture)
        .await
        .into_iter()
        .map(|job| job.instance_id)
        .collect();
    assert_eq!(left, [waiting, waiting]);
}

async fn an_instance_created_and_finished_in_one_step_keeps_no_job_or_route(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let pid = fixture.deploy("jobs").await;
    let id = fixture.store.reserve_instance_ids(1).await.unwrap();
    let mut only = step(id, 1, InstanceStatus::Completed, b"done");
    only.instance.create = Some(pid.clone());
    only.routes_added = vec![RouteKey::new("{urn:test}jobs", "k")];
    only.jobs = vec![job(id, &pid, JobKind::Timer, "1", 10)];
    (only.clear_routes, only.clear_jobs) = (true, true);
    fixture.store.commit(only).await.unwrap();
    assert!(all_jobs(&fixture).await.is_empty());
    assert!(fixture.routes(id).await.is_empty());
    let loaded = fixture.load(id).await;
    assert_eq!(loaded.status, InstanceStatus::Completed);
}

async fn undeploying_drops_the_jobs_of_its_instances_only(db: TestDb) {
    let fixture = Fixture::new(&db).await;
    let mut jobs = Vec::new();
    for name in ["orders", "billing"] {
        let pid = fixture.deploy(name).await;
        let id = fixture.create(&pid).await.unwrap();
        let timeout = job(id, &pid, JobKind::InvokeTimeout, &format!("{id}.1"), 1_000);
        arm(&fixture, id, b"invoking", vec![timeout.clone()]).await;
        jobs.push(timeout);
    }
    assert_eq!(all_jobs(&fixture).await.len(), 2);
    assert_eq!(fixture.store.mark_undeployed("orders").await.unwrap(), 1);
    assert_eq!(all_jobs(&fixture).await, &jobs[1..]);
}

backend_tests!(
    undeploying_drops_the_jobs_of_its_instances_only,
    an_instance_created_and_finished_in_one_step_keeps_no_job_or_route,
    storing_a_job_again_keeps_the_first,
    due_jobs_are_listed_soonest_first_up_to_a_time_and_a_limit,
    a_job_runs_exactly_once,
    a_failed_step_leaves_its_job,
    cancelled_jobs_go_and_unknown_ones_are_ignored,
    finished_and_failed_instances_drop_their_jobs,
);
