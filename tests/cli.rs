//! End-to-end: the `baton` command's subcommands run as a user runs them. `deploy` checks
//! a unit and copies it, `undeploy` removes it, and `processes` and `instances` read what a
//! real server stored.

mod common;

use std::path::Path;
use std::time::Instant;

use common::{copy_unit, failed, line_of, repo, succeeded, text, Dirs, Server, PATIENCE};

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

#[tokio::test]
async fn processes_and_instances_list_what_a_server_ran() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    for n in 0..3 {
        let (status, body) = server.soap(HELLO_PATH, &hello(&format!("n{n}"))).await;
        assert_eq!(status, 200, "{body}");
    }
    let data_dir = dirs.data();

    let processes = rows(&succeeded(dirs.baton(&[
        "processes",
        "--data-dir",
        path(&data_dir),
    ])));
    assert_eq!(processes, vec![vec![HELLO_PID, "active", "0"]]);
    let list = |filter: &str| {
        let args = ["processes", filter, "--order", "-deployed name"];
        rows(&succeeded(dirs.baton(
            &[&args[..], &["--data-dir", path(&data_dir)]].concat(),
        )))
    };
    assert_eq!(
        list("name=hello* status=activated|retired deployed>=-1d").len(),
        1
    );
    assert_eq!(list("status=retired").len(), 0);
    let refused = failed(dirs.baton(&["processes", "version=1", "--data-dir", path(&data_dir)]));
    assert!(
        refused.contains("filter \"version=1\": at character 1, 'version=1': unknown key"),
        "{refused}"
    );

    // An instance is marked completed just after its reply has left: ask until all are.
    let deadline = Instant::now() + PATIENCE;
    let completed = loop {
        let listed = rows(&succeeded(dirs.baton(&[
            "--data-dir",
            path(&data_dir),
            "instances",
            "name=hello*",
            "status=completed",
            "--order",
            "-started",
        ])));
        if listed.len() == 3 || Instant::now() > deadline {
            break listed;
        }
    };
    assert_eq!(completed.len(), 3, "{completed:?}");
    for row in &completed {
        assert_eq!(row[1..], [HELLO_PID, "completed"], "{row:?}");
    }
    let running = succeeded(dirs.baton(&[
        "instances",
        "status=active started>=-1d",
        "--data-dir",
        path(&data_dir),
    ]));
    assert_eq!(rows(&running).len(), 0, "{running}");
    let refused = failed(dirs.baton(&["instances", "status=done", "--data-dir", path(&data_dir)]));
    assert!(
        refused.contains("filter \"status=done\": at character 8, 'done': not a status"),
        "{refused}"
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
    let data_dir = dirs.data();
    let found = |filter: &str| {
        let args = ["instances", filter, "--data-dir", path(&data_dir)];
        rows(&succeeded(dirs.baton(&args)))
    };
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
    let listed = succeeded(dirs.baton(&["processes", "--data-dir", path(&dirs.data())]));
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
fn listing_a_data_dir_without_a_database_fails_instead_of_creating_one() {
    let dirs = Dirs::on_server(None);
    let missing = dirs.data().join("nowhere");
    let stderr = failed(dirs.baton(&["processes", "--data-dir", path(&missing)]));
    assert!(stderr.contains("no database at"), "{stderr}");
    let stderr = failed(dirs.baton(&["instances", "--data-dir", path(&missing)]));
    assert!(stderr.contains("no database at"), "{stderr}");
    assert!(!missing.exists(), "nothing is created");
}

#[test]
fn a_listing_whose_reader_has_gone_ends_quietly() {
    let dirs = Dirs::new();
    let data_dir = dirs.data();
    succeeded(dirs.baton(&["setup", "--data-dir", path(&data_dir)]));
    for command in ["instances", "processes"] {
        // The pipe's reader is gone before the command writes its first line.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .env_clear()
            .envs(dirs.store_settings())
            .args([command, "--data-dir", path(&data_dir)])
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
