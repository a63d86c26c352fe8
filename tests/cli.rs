//! End-to-end: the `baton` command's subcommands run as a user runs them. `deploy` checks
//! a unit and copies it, `undeploy` removes it, and `instances`, `processes` and `events`
//! list what a real server ran through its management API, as tables and as JSON, following
//! its pages; calls without credentials, with wrong ones or with too small a role are
//! refused with the reason.

mod common;

use std::path::Path;

use common::{
    copy_unit, eventually, failed, line_of, repo, succeeded, text, Dirs, Server, ADMIN_TOKEN,
    PATIENCE,
};
use serde_json::Value;

const HELLO_PATH: &str = "/ode/processes/HelloWorld";
const HELLO_PID: &str = "{urn:baton:samples:hello:process}HelloWorld-1";

fn hello(name: &str) -> String {
    format!(r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>{name}</h:name></h:hello>"#)
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Asserts that every file of the unit folder `from` is in `to` with the same content.
fn assert_same_files(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let copy = to.join(entry.file_name());
        assert_eq!(
            std::fs::read(entry.path()).unwrap(),
            std::fs::read(&copy).unwrap_or_default(),
            "{} is not copied as it is",
            copy.display()
        );
    }
}

#[test]
fn deploy_copies_a_valid_unit_with_the_global_flags_before_or_after_the_subcommand() {
    let dirs = Dirs::new();
    let deploy_dir = dirs.deploy();
    let sample = repo().join("samples/HelloWorld");
    let stdout =
        succeeded(dirs.baton(&["deploy", path(&sample), "--deploy-dir", path(&deploy_dir)]));
    assert!(stdout.contains("HelloWorld copied to"), "{stdout}");
    assert_same_files(&sample, &deploy_dir.join("HelloWorld"));

    let pair = repo().join("samples/AsyncPair");
    succeeded(dirs.baton(&["--deploy-dir", path(&deploy_dir), "deploy", path(&pair)]));
    assert_same_files(&pair, &deploy_dir.join("AsyncPair"));
}

#[test]
fn deploy_refuses_an_invalid_unit_with_its_diagnostics_and_copies_nothing() {
    let dirs = Dirs::new();
    let broken = dirs.root().join("Broken");
    copy_unit(&repo().join("samples/HelloWorld"), &broken, &|text| {
        text.replace(r#"variable="response"/>"#, r#"variable="nowhere"/>"#)
    });
    let line = line_of(&broken.join("HelloWorld.bpel"), r#"variable="nowhere""#);
    let stderr = failed(dirs.baton(&[
        "deploy",
        path(&broken),
        "--deploy-dir",
        path(&dirs.deploy()),
    ]));
    let diagnostic = stderr
        .lines()
        .find(|l| l.starts_with(&format!("HelloWorld.bpel:{line}: [")))
        .unwrap_or_else(|| panic!("no diagnostic for line {line}: {stderr}"));
    assert!(diagnostic.contains("nowhere"), "{diagnostic}");
    assert!(stderr.contains("Broken refused"), "{stderr}");
    assert_eq!(std::fs::read_dir(dirs.deploy()).unwrap().count(), 0);
}

#[test]
fn undeploy_removes_a_unit_folder_or_zip_and_fails_clearly_for_an_unknown_name() {
    let dirs = Dirs::new();
    let deploy_dir = dirs.deploy();
    dirs.add_sample("HelloWorld");
    std::fs::write(deploy_dir.join("Packed.zip"), b"").unwrap();

    let stdout =
        succeeded(dirs.baton(&["undeploy", "HelloWorld", "--deploy-dir", path(&deploy_dir)]));
    assert!(stdout.contains("HelloWorld removed"), "{stdout}");
    assert!(!deploy_dir.join("HelloWorld").exists());

    succeeded(dirs.baton(&["--deploy-dir", path(&deploy_dir), "undeploy", "Packed"]));
    assert!(!deploy_dir.join("Packed.zip").exists());

    let stderr = failed(dirs.baton(&["undeploy", "HelloWorld", "--deploy-dir", path(&deploy_dir)]));
    assert!(
        stderr.contains(&format!(
            "no unit named HelloWorld in {}",
            deploy_dir.display()
        )),
        "{stderr}"
    );
}

/// The rows (whitespace-separated columns) a listing command prints under its header.
fn rows(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// The column names of a listing's header.
fn header(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect()
}

/// Runs `baton` with `args` against `server`, presenting the admin token, and returns what it
/// printed.
fn listed(dirs: &Dirs, server: &Server, args: &[&str]) -> String {
    succeeded(dirs.baton(&[args, &["--server", server.address.as_str()]].concat()))
}

/// What the management API answers at `path`.
async fn api(server: &Server, path: &str) -> Value {
    let (status, body) = server.get(path).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The instance ids of a listing's rows.
fn ids(stdout: &str) -> Vec<i64> {
    rows(stdout)
        .iter()
        .map(|row| row[0].parse().unwrap())
        .collect()
}

/// The ids of the instances of a listing of the API.
fn api_ids(instances: &[Value]) -> Vec<i64> {
    instances
        .iter()
        .map(|i| i["instance"].as_i64().unwrap())
        .collect()
}

/// Calls HelloWorld `calls` times; returns the instances the API lists, newest first, once
/// every one has completed (an instance completes just after its reply has left).
async fn completed_hellos(server: &Server, calls: usize) -> Vec<Value> {
    for n in 0..calls {
        let (status, body) = server.soap(HELLO_PATH, &hello(&format!("n{n}"))).await;
        assert_eq!(status, 200, "{body}");
    }
    eventually("every instance completed", PATIENCE, || async {
        let listing = api(server, "/api/v1/instances?filter=status%3Dcompleted").await;
        let instances = listing["instances"].as_array().unwrap().clone();
        (instances.len() == calls).then_some(instances)
    })
    .await
}

#[tokio::test]
async fn instances_prints_what_the_api_answers_as_a_table_and_as_json() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    completed_hellos(&server, 3).await;

    let args = [
        "instances",
        "name=hello*",
        "status=completed",
        "--order",
        "iid",
    ];
    let answered = api(
        &server,
        "/api/v1/instances?filter=name%3Dhello*+status%3Dcompleted&order=iid",
    )
    .await;
    let answered = answered["instances"].as_array().unwrap().clone();
    let ascending = api_ids(&answered);
    assert_eq!(ascending.len(), 3, "{answered:?}");
    assert!(ascending.is_sorted(), "{ascending:?}");

    let table = listed(&dirs, &server, &args);
    assert_eq!(
        header(&table),
        ["ID", "PID", "STATUS", "STARTED", "LAST-ACTIVE", "REASON"]
    );
    let expected: Vec<Vec<String>> = answered
        .iter()
        .map(|instance| {
            let field = |name: &str| instance[name].as_str().unwrap().to_owned();
            let id = instance["instance"].to_string();
            let (started, last_active) = (field("started"), field("last_active"));
            vec![
                id,
                HELLO_PID.into(),
                "completed".into(),
                started,
                last_active,
                "-".into(),
            ]
        })
        .collect();
    assert_eq!(rows(&table), expected, "{table}");
    let heading = table.lines().next().unwrap();
    for line in table.lines().skip(1) {
        assert_eq!(line.find(HELLO_PID), heading.find("PID"), "{table}");
        assert_eq!(line.find("completed"), heading.find("STATUS"), "{table}");
    }

    let json = listed(&dirs, &server, &[&args[..], &["--json"]].concat());
    let printed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(printed, Value::Array(answered), "{json}");

    let none = ["instances", "status=active", "started>=-1d"];
    assert_eq!(
        rows(&listed(&dirs, &server, &none)),
        Vec::<Vec<String>>::new()
    );
    let json = listed(&dirs, &server, &[&none[..], &["--json"]].concat());
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap(),
        Value::Array(vec![])
    );
    let refused = failed(dirs.baton(&["instances", "status=done", "--server", &server.address]));
    assert!(
        refused.contains(
            "the server refused (400): filter \"status=done\": at character 8, 'done': not a status"
        ),
        "{refused}"
    );
}

#[tokio::test]
async fn instances_follows_the_cursor_page_by_page_up_to_the_limit_or_to_the_end() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    completed_hellos(&server, 5).await;
    let newest_first = api(&server, "/api/v1/instances").await;
    let newest_first = newest_first["instances"].as_array().unwrap().clone();
    let all = api_ids(&newest_first);
    assert_eq!(all.len(), 5);

    let instances = |args: &[&str]| {
        let args = [&["instances"][..], args].concat();
        ids(&listed(&dirs, &server, &args))
    };
    assert_eq!(instances(&["--limit", "2"]), all[..2]);
    assert_eq!(instances(&["--limit", "3", "--page-size", "2"]), all[..3]);
    assert_eq!(instances(&["--all", "--page-size", "2"]), all);
    assert_eq!(instances(&["--limit", "9", "--page-size", "2"]), all);
    let mut ascending = all.clone();
    ascending.sort();
    let args = ["--order", "iid", "--limit", "4", "--page-size", "3"];
    assert_eq!(instances(&args), ascending[..4]);

    let json = listed(
        &dirs,
        &server,
        &["instances", "--all", "--page-size", "2", "--json"],
    );
    let printed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(printed, Value::Array(newest_first), "{json}");

    let both = [
        "instances",
        "--all",
        "--limit",
        "2",
        "--server",
        &server.address,
    ];
    let refused = failed(dirs.baton(&both));
    assert!(refused.contains("cannot be used with"), "{refused}");
}

#[tokio::test]
async fn processes_lists_the_deployed_versions_a_filter_selects() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    let answered = api(&server, "/api/v1/processes").await;
    let answered = answered["processes"].as_array().unwrap().clone();
    assert_eq!(answered.len(), 1, "{answered:?}");
    let deployed = answered[0]["deployed"].as_str().unwrap();

    let table = listed(&dirs, &server, &["processes"]);
    assert_eq!(header(&table), ["PID", "STATUS", "DEPLOYED"]);
    assert_eq!(rows(&table), [[HELLO_PID, "active", deployed]]);
    let json = listed(&dirs, &server, &["processes", "--json"]);
    let printed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(printed, Value::Array(answered), "{json}");

    let list = |filter: &str| {
        let args = ["processes", filter, "--order", "-deployed name"];
        rows(&listed(&dirs, &server, &args))
    };
    assert_eq!(
        list("name=hello* status=activated|retired deployed>=-1d").len(),
        1
    );
    assert_eq!(list("status=retired").len(), 0);
    let refused = failed(dirs.baton(&["processes", "version=1", "--server", &server.address]));
    assert!(
        refused.contains("filter \"version=1\": at character 1, 'version=1': unknown key"),
        "{refused}"
    );
}

#[tokio::test]
async fn events_prints_an_instance_s_timeline_following_its_pages() {
    let dirs = Dirs::new();
    dirs.place_unit(&repo().join("samples/HelloWorld"), "HelloWorld", &|text| {
        text.replace(
            "<active>true</active>",
            r#"<active>true</active><process-events generate="all"/>"#,
        )
    });
    let listeners = ("BATON_EVENTS__LISTENERS", r#"["store"]"#);
    let server = Server::start_configured(&dirs, "info", false, &[listeners]).await;
    let instance = completed_hellos(&server, 1).await[0]["instance"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/instances/{instance}/events");
    let timeline = eventually("the completion in the timeline", PATIENCE, || async {
        let page = api(&server, &path).await;
        let events = page["events"].as_array().unwrap().clone();
        let completed = events.iter().any(|e| e["type"] == "ProcessCompletionEvent");
        completed.then_some(events)
    })
    .await;
    assert_eq!(timeline.len(), 22, "{timeline:?}");

    let id = instance.to_string();
    let table = listed(&dirs, &server, &["events", &id]);
    assert_eq!(
        header(&table),
        [
            "TIME",
            "TYPE",
            "SCOPE",
            "ACTIVITY",
            "ACTIVITY-TYPE",
            "DETAIL"
        ]
    );
    let expected: Vec<Vec<String>> = timeline
        .iter()
        .map(|event| {
            let time = baton::runtime::xsd::date_time(event["at_ms"].as_i64().unwrap());
            let cell = |name: &str| event[name].as_str().unwrap_or("-").to_owned();
            let line = [
                time.to_string(),
                cell("type"),
                cell("scope_name"),
                cell("activity_name"),
                cell("activity_type"),
                cell("detail"),
            ]
            .join(" ");
            line.split_whitespace().map(str::to_owned).collect()
        })
        .collect();
    let printed = rows(&table);
    assert_eq!(printed, expected, "{table}");
    assert_eq!(printed[0][1], "NewProcessInstanceEvent");
    assert_eq!(
        printed[6][1..],
        [
            "ActivityExecStartEvent",
            "HelloWorld",
            "start",
            "receive",
            "-"
        ]
    );
    assert_eq!(
        printed[21][1..],
        ["ProcessCompletionEvent", "-", "-", "-", "-"]
    );

    let paged = listed(&dirs, &server, &["events", &id, "--page-size", "1"]);
    assert_eq!(paged, table, "pages of one step each list the same");
    let json = listed(
        &dirs,
        &server,
        &["events", &id, "--page-size", "1", "--json"],
    );
    let printed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(printed, Value::Array(timeline), "{json}");
}

/// The token of a viewer, beside the admin token, in [`refused_calls_say_why_and_fail`].
const VIEWER_TOKEN: &str = "baton_test-viewer";

#[tokio::test]
async fn refused_calls_say_why_and_fail() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let tokens = format!(
        r#"[{{ name = "test-harness", role = "admin", hash = "{}" }}, {{ name = "watcher", role = "viewer", hash = "{}" }}]"#,
        baton::auth::token_hash(ADMIN_TOKEN),
        baton::auth::token_hash(VIEWER_TOKEN),
    );
    let settings = [("BATON_AUTH__TOKENS", tokens.as_str())];
    let server = Server::start_configured(&dirs, "info", false, &settings).await;
    let id = completed_hellos(&server, 1).await[0]["instance"].to_string();
    let list = ["instances", "--server", &server.address];
    let refusal = |variables: &[(&str, &str)], args: &[&str]| {
        let output = dirs.baton_with(args, variables);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert_eq!(text(&output.stdout), "", "nothing is listed");
        text(&output.stderr)
    };

    // Standard input is not a terminal: no one to ask for credentials.
    let stderr = refusal(&[], &list);
    assert!(
        stderr.contains(
            "no credentials for the management API: set BATON_TOKEN, or BATON_USER and \
             BATON_PASSWORD"
        ),
        "{stderr}"
    );
    let stderr = refusal(&[("BATON_USER", "ann")], &list);
    assert!(
        stderr.contains("BATON_USER is set but not BATON_PASSWORD"),
        "{stderr}"
    );

    let stderr = refusal(&[("BATON_TOKEN", "baton_wrong")], &list);
    assert!(
        stderr.contains("the server refused (401): wrong user name, password or token"),
        "{stderr}"
    );

    let as_viewer = [("BATON_TOKEN", VIEWER_TOKEN)];
    let listed = succeeded(dirs.baton_with(&list, &as_viewer));
    assert_eq!(ids(&listed), [id.parse::<i64>().unwrap()]);
    let suspend = ["suspend", &id, "--server", &server.address];
    let stderr = refusal(&as_viewer, &suspend);
    assert!(
        stderr.contains(
            "the server refused (403): 'watcher' has the role viewer; this needs operator"
        ),
        "{stderr}"
    );
}

#[tokio::test]
async fn instances_are_found_by_the_values_of_their_correlation_properties() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Messaging");
    let server = Server::start(&dirs).await;
    for key in ["k-1", "k-2"] {
        let start = format!(r#"<m:start xmlns:m="urn:baton:test:messaging">{key}</m:start>"#);
        let (status, body) = server.soap("/ode/processes/Messaging", &start).await;
        assert_eq!(status, 202, "{body}");
    }
    let found = |filter: &str| rows(&listed(&dirs, &server, &["instances", filter]));
    let second = found("${urn:baton:test:messaging}key=k-2");
    assert_eq!(second.len(), 1, "{second:?}");
    assert_eq!(found("$key=k-1|k-2 status=active").len(), 2);
    assert!(found("$key=k-3").is_empty());
    assert!(found("${urn:other}key=k-2").is_empty());
}

#[tokio::test]
async fn deploy_and_undeploy_reach_a_running_server() {
    let dirs = Dirs::new();
    let deploy_dir = dirs.deploy();
    let server = Server::start(&dirs).await;
    let sample = repo().join("samples/HelloWorld");
    succeeded(dirs.baton(&["deploy", path(&sample), "--deploy-dir", path(&deploy_dir)]));
    server.await_log(&["Unit deployed", "unit=HelloWorld", "version=1"]);
    let (status, body) = server.soap(HELLO_PATH, &hello("CLI")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello, CLI!"), "{body}");

    succeeded(dirs.baton(&["undeploy", "HelloWorld", "--deploy-dir", path(&deploy_dir)]));
    server.await_log(&["Unit undeployed", "unit=HelloWorld"]);
    let (status, body) = server.soap(HELLO_PATH, &hello("CLI")).await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("no service is offered"), "{body}");
    let listed = listed(&dirs, &server, &["processes"]);
    assert_eq!(
        rows(&listed).len(),
        0,
        "an undeployed version is not listed: {listed}"
    );
}

#[test]
fn redeploying_replaces_the_unit_whole_and_leaves_nothing_hidden_behind() {
    let dirs = Dirs::new();
    let deploy_dir = dirs.deploy();
    let sample = repo().join("samples/HelloWorld");
    succeeded(dirs.baton(&["deploy", path(&sample), "--deploy-dir", path(&deploy_dir)]));
    std::fs::write(deploy_dir.join("HelloWorld/stale.txt"), "left from before").unwrap();
    succeeded(dirs.baton(&["deploy", path(&sample), "--deploy-dir", path(&deploy_dir)]));
    assert_same_files(&sample, &deploy_dir.join("HelloWorld"));
    assert!(
        !deploy_dir.join("HelloWorld/stale.txt").exists(),
        "the old copy is replaced whole"
    );
    let names: Vec<_> = std::fs::read_dir(&deploy_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["HelloWorld"], "no staging copies remain");
}

#[test]
fn setup_creates_the_schema_and_then_finds_it_current() {
    let dirs = Dirs::on_server(None);
    let created = succeeded(dirs.baton(&["setup"]));
    let current = baton::store::SCHEMA_VERSION;
    assert!(
        created.contains(&format!("schema version {current} created")),
        "{created}"
    );
    assert!(dirs.data().join("baton.db").is_file());
    let again = succeeded(dirs.baton(&["setup"]));
    assert!(
        again.contains(&format!("schema version {current} is current")),
        "{again}"
    );
}

#[test]
fn a_listing_without_a_server_fails_saying_where_it_looked() {
    let dirs = Dirs::new();
    let nowhere = "http://127.0.0.1:1";
    for command in ["instances", "processes"] {
        let stderr = failed(dirs.baton(&[command, "--server", nowhere]));
        assert!(
            stderr.contains(&format!(
                "cannot reach the server at {nowhere}/api/v1/{command}"
            )),
            "{stderr}"
        );
    }
}

#[tokio::test]
async fn a_listing_whose_reader_has_gone_ends_quietly() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    for command in ["instances", "processes"] {
        // The pipe's reader is gone before the command writes its first line.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .env_clear()
            .env("BATON_TOKEN", ADMIN_TOKEN)
            .args([command, "--server", &server.address])
            .current_dir(dirs.root())
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = text(&output.stderr);
        assert!(output.status.success(), "{command}: {output:?}");
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
    }
}

#[test]
fn a_failed_command_prints_its_error_without_a_backtrace() {
    let dirs = Dirs::new();
    let unit = dirs.root().join("Broken");
    std::fs::create_dir_all(&unit).unwrap();
    std::fs::write(unit.join("deploy.xml"), "<deploy/>").unwrap();
    let output = dirs.baton_with(
        &["deploy", unit.to_str().unwrap()],
        &[("RUST_BACKTRACE", "1"), ("RUST_LIB_BACKTRACE", "1")],
    );
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.starts_with("Error: unit Broken refused"), "{error}");
    assert!(!error.contains("backtrace"), "{error}");
}
