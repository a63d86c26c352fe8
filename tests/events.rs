//! End-to-end: BPEL events of the real `baton` binary, heard by the `store` and `jsonl`
//! listeners and read back through the management API and the file; deploy.xml's
//! `<process-events>` choosing them; and a listener that blocks, which drops and counts
//! events while instances run on.

mod common;

use std::path::Path;

use common::{eventually, repo, Dirs, Server, PATIENCE};
use serde_json::Value;

const HELLO: &str =
    r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>Baton</h:name></h:hello>"#;
const HELLO_PATH: &str = "/ode/processes/HelloWorld";

/// HelloWorld deployed with `events` (a `<process-events>` element, or nothing).
fn hello_with_events(dirs: &Dirs, events: &str) {
    let events = events.to_owned();
    dirs.place_unit(
        &repo().join("samples/HelloWorld"),
        "HelloWorld",
        &move |text| {
            text.replace(
                "<active>true</active>",
                &format!("<active>true</active>{events}"),
            )
        },
    );
}

/// The id of the only instance of the server.
async fn only_instance(server: &Server) -> i64 {
    let (status, body) = server.get("/api/v1/instances").await;
    assert_eq!(status, 200, "{body}");
    let listing: Value = serde_json::from_str(&body).unwrap();
    let instances = listing["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 1, "{body}");
    instances[0]["instance"].as_i64().unwrap()
}

/// The events of `instance`'s timeline once it holds its completion.
async fn completed_timeline(server: &Server, instance: i64) -> Vec<Value> {
    let path = format!("/api/v1/instances/{instance}/events");
    eventually(
        "the instance's completion in its timeline",
        PATIENCE,
        || async {
            let (status, body) = server.get(&path).await;
            assert_eq!(status, 200, "{body}");
            let page: Value = serde_json::from_str(&body).unwrap();
            let events = page["events"].as_array().unwrap().clone();
            events
                .iter()
                .any(|event| event["type"] == "ProcessCompletionEvent")
                .then_some(events)
        },
    )
    .await
}

fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect()
}

/// What HelloWorld's instance tells with `generate="all"`.
const HELLO_EVENTS: [&str; 19] = [
    "NewProcessInstanceEvent",
    "ProcessInstanceStartedEvent",
    "ScopeStartEvent",
    "ActivityEnabledEvent",
    "ActivityExecStartEvent",
    "ActivityEnabledEvent",
    "ActivityExecStartEvent",
    "ProcessMessageExchangeEvent",
    "VariableModificationEvent",
    "ActivityExecEndEvent",
    "ActivityEnabledEvent",
    "ActivityExecStartEvent",
    "VariableModificationEvent",
    "ActivityExecEndEvent",
    "ActivityEnabledEvent",
    "ActivityExecStartEvent",
    "VariableReadEvent",
    "ActivityExecEndEvent",
    "ActivityExecEndEvent",
];

#[tokio::test]
async fn the_timeline_and_the_json_lines_file_tell_an_instance_step_by_step() {
    let dirs = Dirs::new();
    hello_with_events(&dirs, r#"<process-events generate="all"/>"#);
    let listeners = ("BATON_EVENTS__LISTENERS", r#"["store", "jsonl"]"#);
    let server = Server::start_configured(&dirs, "info", false, &[listeners]).await;
    let (status, body) = server.soap(HELLO_PATH, HELLO).await;
    assert_eq!(status, 200, "{body}");
    let instance = only_instance(&server).await;

    let timeline = completed_timeline(&server, instance).await;
    let mut expected = HELLO_EVENTS.to_vec();
    expected.extend([
        "ScopeCompletionEvent",
        "ProcessInstanceStateChangeEvent",
        "ProcessCompletionEvent",
    ]);
    assert_eq!(types(&timeline), expected);
    let started = &timeline[6];
    assert_eq!(started["activity_name"], "start");
    assert_eq!(started["activity_type"], "receive");
    assert_eq!(started["scope_name"], "HelloWorld");
    assert_eq!(started["instance"], instance);
    assert!(started["pid"].as_str().unwrap().contains("HelloWorld"));
    assert_eq!(timeline[7]["detail"], "hello");
    assert_eq!(timeline[8]["detail"], "request");
    assert_eq!(timeline[20]["detail"], "running -> completed");

    // A page holds the events of `limit` steps; HelloWorld's instance took one step.
    let page = format!("/api/v1/instances/{instance}/events?limit=1");
    let (_, body) = server.get(&page).await;
    let first: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(types(first["events"].as_array().unwrap()), expected);
    let next = first["next"].as_i64().expect("a full page has a next");
    let (_, body) = server.get(&format!("{page}&after={next}")).await;
    let second: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(second["events"], Value::Array(Vec::new()), "{second}");
    assert_eq!(second["next"], Value::Null, "{second}");

    let file = dirs.data().join("events.jsonl");
    let written = eventually("every event in the JSON-lines file", PATIENCE, || async {
        let lines = read_lines(&file);
        (lines.len() == expected.len()).then_some(lines)
    })
    .await;
    assert_eq!(types(&written), expected);
    assert!(written.iter().all(|event| event["instance"] == instance));
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn process_events_in_deploy_xml_choose_what_is_told() {
    let dirs = Dirs::new();
    hello_with_events(&dirs, "");
    let listeners = ("BATON_EVENTS__LISTENERS", r#"["store"]"#);
    let server = Server::start_configured(&dirs, "info", false, &[listeners]).await;
    server.soap(HELLO_PATH, HELLO).await;
    let instance = only_instance(&server).await;
    let unfiltered = completed_timeline(&server, instance).await;
    let told = types(&unfiltered);
    assert!(told.contains(&"ActivityExecStartEvent"), "{told:?}");
    assert!(!told.contains(&"ScopeStartEvent"), "{told:?}");
    assert!(!told.contains(&"ScopeCompletionEvent"), "{told:?}");

    let lists = r#"<process-events><enable-event>instanceLifecycle</enable-event><enable-event>VariableReadEvent</enable-event></process-events>"#;
    dirs.rewrite("HelloWorld", "deploy.xml", &|text| {
        text.replace(
            "<active>true</active>",
            &format!("<active>true</active>{lists}"),
        )
    });
    server.await_log(&["Unit deployed", "unit=HelloWorld", "version=2"]);
    server.soap(HELLO_PATH, HELLO).await;
    let (_, body) = server.get("/api/v1/instances?order=-iid&limit=1").await;
    let newest: Value = serde_json::from_str(&body).unwrap();
    let second = newest["instances"][0]["instance"].as_i64().unwrap();
    let listed = completed_timeline(&server, second).await;
    assert_eq!(
        types(&listed),
        [
            "NewProcessInstanceEvent",
            "ProcessInstanceStartedEvent",
            "ProcessMessageExchangeEvent",
            "VariableReadEvent",
            "ProcessInstanceStateChangeEvent",
            "ProcessCompletionEvent",
        ]
    );

    let bogus = r#"<process-events><enable-event>everything</enable-event></process-events>"#;
    dirs.rewrite("HelloWorld", "deploy.xml", &|text| {
        text.replace(lists, bogus)
    });
    let refusal = server.await_log(&["'everything' is neither a category"]);
    assert!(refusal.contains("HelloWorld"), "{refusal}");
    assert!(
        refusal.contains("'everything' is neither a category"),
        "{refusal}"
    );
}

#[tokio::test]
async fn generate_none_tells_nothing() {
    let dirs = Dirs::new();
    hello_with_events(&dirs, r#"<process-events generate="none"/>"#);
    let listeners = ("BATON_EVENTS__LISTENERS", r#"["store"]"#);
    let server = Server::start_configured(&dirs, "info", false, &[listeners]).await;
    let (status, _) = server.soap(HELLO_PATH, HELLO).await;
    assert_eq!(status, 200);
    let instance = only_instance(&server).await;
    let (_, body) = server
        .get(&format!("/api/v1/instances/{instance}/events"))
        .await;
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["events"], Value::Array(Vec::new()), "{body}");
    let reports = listener_reports(&server).await;
    assert_eq!(reports["store"]["delivered"], 0);
}

/// The listeners' reports, by name.
async fn listener_reports(server: &Server) -> Value {
    let (status, body) = server.get("/api/v1/events/listeners").await;
    assert_eq!(status, 200, "{body}");
    let reports: Vec<Value> = serde_json::from_str(&body).unwrap();
    let by_name = reports
        .into_iter()
        .map(|report| (report["name"].as_str().unwrap().to_owned(), report))
        .collect();
    Value::Object(by_name)
}

/// Makes a named pipe at `path`: opening it for writing blocks until a reader opens it.
fn named_pipe(path: &Path) {
    let name = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: `name` is a valid NUL-terminated path for the duration of the call.
    let made = unsafe { libc::mkfifo(name.as_ptr(), 0o600) };
    assert_eq!(made, 0, "mkfifo {}", path.display());
}

#[tokio::test]
async fn a_listener_that_blocks_drops_and_counts_its_events_while_instances_run_on() {
    let dirs = Dirs::new();
    hello_with_events(&dirs, r#"<process-events generate="all"/>"#);
    std::fs::create_dir_all(dirs.data()).unwrap();
    let pipe = dirs.data().join("blocked.jsonl");
    named_pipe(&pipe);
    let settings = [
        ("BATON_EVENTS__LISTENERS", r#"["jsonl", "store"]"#),
        ("BATON_EVENTS__QUEUE", "50"),
        ("BATON_EVENTS__JSONL", r#"{ path = "blocked.jsonl" }"#),
    ];
    let server = Server::start_configured(&dirs, "info", false, &settings).await;
    let calls = 40;
    for _ in 0..calls {
        let (status, body) = server.soap(HELLO_PATH, HELLO).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Hello, Baton!"), "{body}");
    }
    let per_instance = HELLO_EVENTS.len() as u64 + 3;
    let total = per_instance * calls;
    // Every event reached the store listener or was counted as dropped for it.
    let deadline = std::time::Instant::now() + PATIENCE;
    let reports = loop {
        let reports = listener_reports(&server).await;
        let store = &reports["store"];
        let settled = store["delivered"].as_u64().unwrap() + store["dropped"].as_u64().unwrap();
        if settled == total {
            break reports;
        }
        let late = std::time::Instant::now() > deadline;
        assert!(
            !late,
            "the store listener never settled all {total} events: {reports}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        reports["store"]["delivered"].as_u64().unwrap() > 0,
        "{reports}"
    );
    // Two steps' events (44) fit in its queue of 50: it took them and blocks on them; every
    // later step's were dropped.
    let blocked = &reports["jsonl"];
    assert_eq!(blocked["delivered"], 0, "{reports}");
    assert_eq!(blocked["queued"], 2 * per_instance, "{reports}");
    assert_eq!(blocked["dropped"], total - 2 * per_instance, "{reports}");
}
