//! End-to-end: the job table across restarts of the real server. A wait that falls due while
//! the server is down fires once right after it starts again; instances waiting only for
//! messages are not loaded at start, and still get their messages.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use baton::store::JobKind;
use common::{element_text, repo, Dirs, Server};

const MESSAGING: &str = "/ode/processes/Messaging";
const WAITER: &str = "/ode/processes/Waiter";
/// The servers log the jobs they run.
const LOG_FILTER: &str = "info,baton::engine::scheduler=debug";

/// The SOAP body of the Messaging unit's `operation` (start or poke) for `key`.
fn messaging(operation: &str, key: &str) -> String {
    format!(r#"<m:{operation} xmlns:m="urn:baton:test:messaging">{key}</m:{operation}>"#)
}

/// The SOAP body of the Waiter unit's `operation` (begin or finish) for `key`.
fn waiter(operation: &str, key: &str) -> String {
    format!(
        r#"<w:{operation} xmlns:w="urn:baton:test:waiter"><payload><w:key>{key}</w:key></payload></w:{operation}>"#
    )
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_due_while_the_server_is_down_fires_once_after_restart() {
    let dirs = Dirs::new();
    let unit = repo().join("tests/data/units/Messaging");
    dirs.place_unit(&unit, "Messaging", &|text| {
        text.replace("'PT0.2S'", "'PT3S'")
    });
    let server = Server::start_with(&dirs, LOG_FILTER).await;
    let (status, body) = server.soap(MESSAGING, &messaging("start", "late")).await;
    assert_eq!(status, 202, "{body}");
    let ran_before = server.logged(&["Job run"]);
    server.kill();
    assert!(!ran_before, "the wait ran before the server stopped");

    let store = dirs.store().await.unwrap();
    let jobs = store.due_jobs(i64::MAX, 10).await.unwrap();
    store.close().await;
    let [wait] = jobs.as_slice() else {
        panic!("expected the wait's job, got {jobs:?}")
    };
    assert_eq!(wait.job.kind, JobKind::Timer);
    // The wait falls due while no server runs.
    let pending = u64::try_from(wait.due_ms - now_ms()).unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(pending + 1)).await;

    let server = Server::start_with(&dirs, LOG_FILTER).await;
    let instance = format!("instance={}", wait.instance_id);
    server.await_log(&["Job run", &instance, "kind=timer"]);
    let (status, body) = server.soap(MESSAGING, &messaging("poke", "late")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        element_text(&body, "result").as_deref(),
        Some("message:late")
    );
    let runs = server
        .log_lines()
        .iter()
        .filter(|line| line.contains("Job run"))
        .count();
    assert_eq!(runs, 1, "{:?}", server.log_lines());
    assert!(!server.logged(&["Job already run"]));
    let store = dirs.store().await.unwrap();
    let left = store.due_jobs(i64::MAX, 10).await.unwrap();
    store.close().await;
    assert!(left.is_empty(), "the finished instance kept {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_waiting_for_messages_are_not_loaded_at_start() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Waiter");
    let server = Server::start(&dirs).await;
    let keys = ["k1", "k2", "k3", "k4", "k5"];
    for key in keys {
        let (status, body) = server.soap(WAITER, &waiter("begin", key)).await;
        assert_eq!(status, 202, "{body}");
    }
    server.kill();

    let server = Server::start(&dirs).await;
    let ready = server.await_log(&["Ready"]);
    assert!(ready.contains("recovered=0"), "{ready}");
    for key in keys {
        let (status, body) = server.soap(WAITER, &waiter("finish", key)).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!("finished {key}")), "{body}");
    }
}
