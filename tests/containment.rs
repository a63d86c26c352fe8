//! Containment of runaway work, end to end on the real server: a step over its budget (too
//! many activities, too much XPath work) is stopped and its instance suspended, with the
//! reason shown to operators; a suspended instance wedges nothing after a restart; operators
//! suspend, resume and terminate instances, also one in the middle of a runaway step; a
//! variable over its size limit raises a fault; SIGTERM during a runaway step stops the
//! server within its grace period.

mod common;

use baton::store::{InstanceFilter, InstanceStatus};
use common::{eventually, failed, succeeded, Dirs, Server, PATIENCE};

const RUNAWAY: &str = "/runaway";
const HELLO: &str = "/hello";
/// The log filter under which the server logs every job it delivers ("Job due").
const JOBS_LOGGED: &str = "info,baton::engine::scheduler=debug";

fn run(mode: &str, data: &str) -> String {
    format!(r#"<w:run xmlns:w="urn:baton:test:runaway:wsdl"><w:mode>{mode}</w:mode>{data}</w:run>"#)
}

async fn hello(server: &Server) -> (u16, String) {
    server
        .soap(
            HELLO,
            r#"<w:hello xmlns:w="urn:baton:test:hello:wsdl">you</w:hello>"#,
        )
        .await
}

fn assert_hello_answers((status, body): &(u16, String)) {
    assert_eq!(*status, 200, "{body}");
    assert!(body.contains("Hello you"), "{body}");
}

/// Waits until the store holds exactly one instance with `status`, and returns its id.
async fn await_instance(dirs: &Dirs, status: InstanceStatus) -> i64 {
    let store = dirs.store().await.unwrap();
    let filter = InstanceFilter::with_status(status);
    let id = eventually(&format!("one instance {status}"), PATIENCE, || async {
        match store.list_instances(&filter).await.unwrap().as_slice() {
            [instance] => Some(instance.id),
            _ => None,
        }
    })
    .await;
    store.close().await;
    id
}

/// Waits until the server has delivered `count` timer jobs.
async fn await_timers_due(server: &Server, count: usize) {
    server.await_log_count(&["Job due", "kind=timer"], count);
}

/// The status and reason the management API shows for `instance`.
async fn shown(server: &Server, instance: i64) -> (String, String) {
    let (status, body) = server.get(&format!("/api/v1/instances/{instance}")).await;
    assert_eq!(status, 200, "{body}");
    let view: serde_json::Value = serde_json::from_str(&body).unwrap();
    (
        view["status"].as_str().unwrap().to_owned(),
        view["reason"].as_str().unwrap_or_default().to_owned(),
    )
}

fn server_unit_dirs() -> Dirs {
    let dirs = Dirs::new();
    dirs.add_test_unit("Runaway");
    dirs.add_test_unit("HelloWorld");
    dirs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loop_without_end_is_suspended_wedges_nothing_after_a_restart_and_can_be_terminated() {
    let dirs = server_unit_dirs();
    let budget = [("BATON_ENGINE__MAX_STEP_ACTIVITIES", "2000")];
    let server = Server::start_configured(&dirs, "info", true, &budget).await;
    let (status, body) = server.soap(RUNAWAY, &run("loop", "")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("started"), "{body}");
    let instance = await_instance(&dirs, InstanceStatus::Suspended).await;
    let (status, reason) = shown(&server, instance).await;
    assert_eq!(status, "suspended");
    assert!(reason.contains("max-step-activities"), "{reason}");
    let suspended = ["instances", "status=suspended", "--server", &server.address];
    let listed = succeeded(dirs.baton(&suspended));
    assert!(listed.contains("max-step-activities"), "{listed}");
    assert_hello_answers(&hello(&server).await);
    drop(server);

    // After a crash and a restart, nothing runs the suspended instance again.
    let server = Server::start_configured(&dirs, "info", true, &budget).await;
    assert_hello_answers(&hello(&server).await);
    assert_eq!(shown(&server, instance).await.0, "suspended");
    let refused = failed(dirs.baton(&["resume", "nonsense", "--server", &server.address]));
    assert!(refused.contains("nonsense"), "{refused}");
    let done = succeeded(dirs.baton(&[
        "terminate",
        &instance.to_string(),
        "--server",
        &server.address,
    ]));
    assert!(done.contains("terminated"), "{done}");
    assert_eq!(shown(&server, instance).await.0, "terminated");
    assert_eq!(dirs.count_rows("baton_jobs").await, 0);
    let again = failed(dirs.baton(&[
        "terminate",
        &instance.to_string(),
        "--server",
        &server.address,
    ]));
    assert!(again.contains("is terminated"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quadratic_query_over_a_large_request_is_stopped_and_its_instance_suspended() {
    let dirs = server_unit_dirs();
    let budget = [("BATON_ENGINE__MAX_STEP_EVALUATION", "1000000")];
    let server = Server::start_configured(&dirs, "info", true, &budget).await;
    let items: String = (0..3000).map(|n| format!("<i>{n}</i>")).collect();
    let (status, body) = server.soap(RUNAWAY, &run("query", &items)).await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("max-step-evaluation"), "{body}");
    let instance = await_instance(&dirs, InstanceStatus::Suspended).await;
    let (status, reason) = shown(&server, instance).await;
    assert_eq!(status, "suspended");
    assert!(reason.contains("max-step-evaluation"), "{reason}");
    assert_hello_answers(&hello(&server).await);

    // Within its budget the same query answers: ten distinct items and the mode.
    let few: String = (0..20).map(|n| format!("<i>{}</i>", n % 10)).collect();
    let (status, body) = server.soap(RUNAWAY, &run("query", &few)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(">11<"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_suspend_resume_and_terminate_an_instance_in_a_runaway_step() {
    let dirs = server_unit_dirs();
    // A budget no step reaches before the operator acts.
    let budget = [
        ("BATON_ENGINE__MAX_STEP_ACTIVITIES", "1000000000000"),
        ("BATON_ENGINE__MAX_STEP_MS", "600000"),
    ];
    let server = Server::start_configured(&dirs, JOBS_LOGGED, true, &budget).await;
    let (status, body) = server.soap(RUNAWAY, &run("loop", "")).await;
    assert_eq!(status, 200, "{body}");
    let instance = await_instance(&dirs, InstanceStatus::Running).await;
    let id = instance.to_string();
    await_timers_due(&server, 1).await;
    assert_hello_answers(&hello(&server).await);

    let suspended = succeeded(dirs.baton(&["suspend", &id, "--server", &server.address]));
    assert!(suspended.contains("suspended"), "{suspended}");
    let (status, reason) = shown(&server, instance).await;
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("suspended", "suspended by an operator")
    );
    assert_eq!(dirs.count_rows("baton_jobs").await, 0);

    // Resumed, its timer is armed again and its loop runs away again.
    let resumed = succeeded(dirs.baton(&["resume", &id, "--server", &server.address]));
    assert!(resumed.contains("running"), "{resumed}");
    await_timers_due(&server, 2).await;
    let terminated = succeeded(dirs.baton(&["terminate", &id, "--server", &server.address]));
    assert!(terminated.contains("terminated"), "{terminated}");
    assert_eq!(shown(&server, instance).await.0, "terminated");
    assert_hello_answers(&hello(&server).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_terminates_a_new_instance_in_its_first_runaway_step() {
    let dirs = server_unit_dirs();
    let budget = [
        ("BATON_ENGINE__MAX_STEP_EVALUATION", "1000000000000"),
        ("BATON_ENGINE__MAX_STEP_MS", "600000"),
    ];
    let server = Server::start_configured(&dirs, "info", true, &budget).await;
    // The query of the step that creates the instance would take minutes.
    let items: String = (0..20_000).map(|n| format!("<i>{n}</i>")).collect();
    let answer = server.soap_in_background(RUNAWAY, &run("query", &items));
    let line = server.await_log(&["Step running long: moved to low priority", "instance="]);
    let id = common::log_field(&line, "instance").expect("the log names the instance");
    assert_hello_answers(&hello(&server).await);

    // Not stored yet, it cannot be suspended; it can be terminated, and is never stored.
    let refused = failed(dirs.baton(&["suspend", &id, "--server", &server.address]));
    assert!(refused.contains("first step"), "{refused}");
    let terminated = succeeded(dirs.baton(&["terminate", &id, "--server", &server.address]));
    assert!(terminated.contains("terminated"), "{terminated}");
    let (status, body) = answer.await.unwrap();
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("terminated by an operator"), "{body}");
    assert_eq!(dirs.count_rows("baton_instances").await, 0);
    let again = failed(dirs.baton(&["terminate", &id, "--server", &server.address]));
    assert!(again.contains("no instance"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_string_doubled_without_end_faults_on_the_size_limit() {
    let dirs = server_unit_dirs();
    let limit = [("BATON_ENGINE__MAX_VARIABLE_BYTES", "1048576")];
    let server = Server::start_configured(&dirs, "info", true, &limit).await;
    let (status, body) = server.soap(RUNAWAY, &run("double", "")).await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("variableTooLarge"), "{body}");
    assert!(body.contains("urn:baton:engine:faults"), "{body}");
    let instance = await_instance(&dirs, InstanceStatus::Faulted).await;
    assert_eq!(shown(&server, instance).await.0, "faulted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_runaway_step_stops_the_server_within_its_grace_period() {
    let dirs = server_unit_dirs();
    let settings = [
        ("BATON_ENGINE__MAX_STEP_ACTIVITIES", "1000000000000"),
        ("BATON_ENGINE__MAX_STEP_MS", "600000"),
        ("BATON_SERVER__SHUTDOWN_GRACE_MS", "3000"),
    ];
    let server = Server::start_configured(&dirs, JOBS_LOGGED, true, &settings).await;
    let (status, body) = server.soap(RUNAWAY, &run("loop", "")).await;
    assert_eq!(status, 200, "{body}");
    await_timers_due(&server, 1).await;
    // It exits cleanly, its step stopped, rather than at the end of its grace period; the
    // instance stays as last committed.
    let exit = server.terminate();
    assert!(exit.success(), "{exit:?}");
    await_instance(&dirs, InstanceStatus::Running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeploying_a_process_stops_the_runaway_step_of_its_instance() {
    let dirs = server_unit_dirs();
    let unbounded = [
        ("BATON_ENGINE__MAX_STEP_ACTIVITIES", "1000000000000"),
        ("BATON_ENGINE__MAX_STEP_MS", "600000"),
    ];
    let server = Server::start_configured(&dirs, JOBS_LOGGED, true, &unbounded).await;
    let (status, body) = server.soap(RUNAWAY, &run("loop", "")).await;
    assert_eq!(status, 200, "{body}");
    await_timers_due(&server, 1).await;
    dirs.remove_unit("Runaway");
    server.await_log(&["Step stopped", "its process version was undeployed"]);
    assert_hello_answers(&hello(&server).await);
}
