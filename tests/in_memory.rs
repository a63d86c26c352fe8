//! End-to-end: in-memory processes (deploy.xml `<in-memory>true</in-memory>`) over real HTTP.
//! They answer like durable ones, correlation included, leave no row in the database, come
//! back from memory when evicted from their actors, are purged after `[engine]
//! in-memory-instance-ttl-ms` or when their unit is undeployed, and are lost on a restart,
//! while durable instances of another process survive it.

mod common;

use common::{element_text, repo, succeeded, Dirs, Server};

const HELLO: &str =
    r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>Baton</h:name></h:hello>"#;

/// The tables that hold instances and what they own.
const INSTANCE_TABLES: [&str; 3] = ["baton_instances", "baton_exchanges", "baton_routes"];

/// A deploy.xml edited to deploy its process in memory; other files unchanged.
fn in_memory(text: String) -> String {
    text.replacen("<provide", "<in-memory>true</in-memory>\n    <provide", 1)
}

/// The Messaging test unit as another, durable process: "Keeping", at its own addresses.
fn keeping(text: String) -> String {
    text.replace("urn:baton:test:messaging", "urn:baton:test:keeping")
        .replace("MessagingService", "KeepingService")
        .replace("/ode/processes/Messaging", "/ode/processes/Keeping")
}

/// The request of `operation` (start or poke) for `key` to the Messaging-like process `name`.
fn message(name: &str, operation: &str, key: &str) -> String {
    format!(r#"<m:{operation} xmlns:m="urn:baton:test:{name}">{key}</m:{operation}>"#)
}

/// Starts an instance of the Messaging process keyed `key` (answered 202).
async fn start(server: &Server, key: &str) {
    let start = message("messaging", "start", key);
    let (status, body) = server.soap("/ode/processes/Messaging", &start).await;
    assert_eq!(status, 202, "{body}");
}

/// Deploys the Messaging test unit in memory, with `edit` applied to its files as well.
fn add_in_memory_messaging(dirs: &Dirs, edit: &dyn Fn(String) -> String) {
    let unit = repo().join("tests/data/units/Messaging");
    dirs.place_unit(&unit, "Messaging", &|text| edit(in_memory(text)));
}

fn add_durable_keeping(dirs: &Dirs) {
    let unit = repo().join("tests/data/units/Messaging");
    dirs.place_unit(&unit, "Keeping", &keeping);
}

/// Rows of each of [`INSTANCE_TABLES`].
async fn instance_rows(dirs: &Dirs) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in INSTANCE_TABLES {
        counts.push(dirs.count_rows(table).await);
    }
    counts
}

#[tokio::test]
async fn in_memory_processes_answer_and_leave_no_row_in_the_database() {
    let dirs = Dirs::new();
    dirs.place_unit(&repo().join("samples/HelloWorld"), "HelloWorld", &in_memory);
    add_in_memory_messaging(&dirs, &|text| text);
    add_durable_keeping(&dirs);
    let server = Server::start(&dirs).await;

    let (status, body) = server.soap("/ode/processes/HelloWorld", HELLO).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello, Baton!"), "{body}");
    let path = "/ode/processes/Messaging";
    for key in ["k-1", "k-2"] {
        start(&server, key).await;
    }
    for key in ["k-2", "k-1"] {
        let (status, body) = server.soap(path, &message("messaging", "poke", key)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            element_text(&body, "result").as_deref(),
            Some(&*format!("message:{key}")),
            "the poke reached the instance its start created"
        );
    }
    assert_eq!(instance_rows(&dirs).await, [0, 0, 0], "{INSTANCE_TABLES:?}");

    let keeping_path = "/ode/processes/Keeping";
    let (status, body) = server
        .soap(keeping_path, &message("keeping", "start", "k-1"))
        .await;
    assert_eq!(status, 202, "{body}");
    let rows = instance_rows(&dirs).await;
    assert_eq!(
        (rows[0], rows[2]),
        (1, 1),
        "a durable instance is stored with its route: {rows:?}"
    );
}

#[tokio::test]
async fn an_in_memory_instance_evicted_from_its_actor_comes_back_from_memory() {
    let dirs = Dirs::new();
    add_in_memory_messaging(&dirs, &|text| text);
    let settings = [
        ("BATON_DEHYDRATION__MAX_COUNT", "0"),
        ("BATON_DEHYDRATION__CHECK_INTERVAL_MS", "50"),
    ];
    let server = Server::start_configured(&dirs, "info,baton_actors=debug", true, &settings).await;
    let path = "/ode/processes/Messaging";
    start(&server, "k-1").await;
    server.await_log(&["Evicting idle entities", "Messaging"]);

    let (status, body) = server
        .soap(path, &message("messaging", "poke", "k-1"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        element_text(&body, "result").as_deref(),
        Some("message:k-1")
    );
    assert_eq!(instance_rows(&dirs).await, [0, 0, 0], "{INSTANCE_TABLES:?}");
}

/// The id of a fresh server's first in-memory instance: the engine takes the memory store's
/// ids in blocks of 4,096, which it hands out from the lowest up.
const FIRST_IN_MEMORY_ID: &str = "-4096";

/// The status the management API shows for instance `id`.
async fn status_shown(server: &Server, id: &str) -> String {
    let (status, body) = server.get(&format!("/api/v1/instances/{id}")).await;
    assert_eq!(status, 200, "{body}");
    let view: serde_json::Value = serde_json::from_str(&body).unwrap();
    view["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_in_memory_instance_suspended_by_an_operator_is_kept_and_resumes_where_it_stood() {
    let dirs = Dirs::new();
    add_in_memory_messaging(&dirs, &|text| text);
    let server = Server::start(&dirs).await;
    let path = "/ode/processes/Messaging";
    start(&server, "k-1").await;
    let id = FIRST_IN_MEMORY_ID;
    assert_eq!(status_shown(&server, id).await, "running");

    let suspended = succeeded(dirs.baton(&["suspend", id, "--server", &server.address]));
    assert!(suspended.contains("suspended"), "{suspended}");
    assert_eq!(status_shown(&server, id).await, "suspended");
    let resumed = succeeded(dirs.baton(&["resume", id, "--server", &server.address]));
    assert!(resumed.contains("running"), "{resumed}");

    let (status, body) = server
        .soap(path, &message("messaging", "poke", "k-1"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        element_text(&body, "result").as_deref(),
        Some("message:k-1")
    );
    assert_eq!(instance_rows(&dirs).await, [0, 0, 0], "{INSTANCE_TABLES:?}");
}

#[tokio::test]
async fn an_in_memory_instance_outliving_its_time_to_live_is_purged() {
    let dirs = Dirs::new();
    add_in_memory_messaging(&dirs, &|text| text.replace("'PT0.2S'", "'PT1H'"));
    let settings = [("BATON_ENGINE__IN_MEMORY_INSTANCE_TTL_MS", "1000")];
    let server = Server::start_configured(&dirs, "info", true, &settings).await;
    let path = "/ode/processes/Messaging";
    start(&server, "k-1").await;

    let (status, waited) = server
        .soap(path, &message("messaging", "poke", "k-1"))
        .await;
    assert_eq!(status, 500, "{waited}");
    assert!(
        waited.contains("was purged 1000 ms after its creation"),
        "the caller the instance kept waiting learns why no reply comes: {waited}"
    );
    let (status, later) = server
        .soap(path, &message("messaging", "poke", "k-1"))
        .await;
    assert_eq!(status, 500, "{later}");
    assert!(
        later.contains("in-memory process") && later.contains("purged 1000 ms"),
        "{later}"
    );
    // The callers are answered as the purge happens; its log line may follow them.
    server.await_log(&["In-memory instance purged", "ttl_ms=1000"]);
}

#[tokio::test]
async fn undeploying_drops_the_in_memory_instances() {
    let dirs = Dirs::new();
    add_in_memory_messaging(&dirs, &|text| text);
    let server = Server::start(&dirs).await;
    let path = "/ode/processes/Messaging";
    start(&server, "k-1").await;
    dirs.remove_unit("Messaging");
    server.await_log(&["Unit undeployed", "Messaging"]);
    server.await_log(&["In-memory instance dropped", "Messaging-1"]);

    add_in_memory_messaging(&dirs, &|text| text);
    server.await_log(&["Unit deployed", "Messaging", "version=2"]);
    let (status, body) = server
        .soap(path, &message("messaging", "poke", "k-1"))
        .await;
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains("in-memory process"),
        "the instance of the undeployed version is gone: {body}"
    );
}

#[tokio::test]
async fn a_restart_loses_in_memory_instances_and_keeps_durable_ones() {
    let dirs = Dirs::new();
    add_in_memory_messaging(&dirs, &|text| text);
    add_durable_keeping(&dirs);
    let server = Server::start(&dirs).await;
    for (name, path) in [
        ("messaging", "/ode/processes/Messaging"),
        ("keeping", "/ode/processes/Keeping"),
    ] {
        let (status, body) = server.soap(path, &message(name, "start", "k-1")).await;
        assert_eq!(status, 202, "{body}");
    }
    server.kill();

    let server = Server::start(&dirs).await;
    let (status, body) = server
        .soap("/ode/processes/Keeping", &message("keeping", "poke", "k-1"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        element_text(&body, "result").as_deref(),
        Some("message:k-1")
    );
    let (status, body) = server
        .soap(
            "/ode/processes/Messaging",
            &message("messaging", "poke", "k-1"),
        )
        .await;
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains("in-memory process") && body.contains("lost on a restart"),
        "{body}"
    );
}
