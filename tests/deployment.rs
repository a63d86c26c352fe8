//! End-to-end: the deployment lifecycle of the real `baton` binary. Units are deployed while it
//! runs, redeployed as new versions (the instances of retired versions go on), undeployed,
//! kept across restarts, read from .zip files and refused with their diagnostics.
//!
//! Every wait is on a condition: the server's log lines (a unit is installed and its paths
//! are served before "Unit deployed" is logged) or the answers it gives.

mod common;

use std::io::Write;

use common::{line_of, repo, Dirs, Server};

const HELLO_PATH: &str = "/ode/processes/HelloWorld";
const WAITER_PATH: &str = "/ode/processes/Waiter";
const HELLO_PID: &str = "{urn:baton:samples:hello:process}HelloWorld";

fn hello(name: &str) -> String {
    format!(r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>{name}</h:name></h:hello>"#)
}

/// The instance begun on version 1 ("old") finishes with version 1's text; a new one runs
/// version 2 ("done").
async fn assert_each_version_runs_its_own_instances(server: &Server) {
    let (status, body) = server.soap(WAITER_PATH, &waiter("finish", "old")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("finished old"),
        "version 1 finishes it: {body}"
    );
    let (status, body) = server.soap(WAITER_PATH, &waiter("begin", "new")).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = server.soap(WAITER_PATH, &waiter("finish", "new")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("done new"), "version 2 runs it: {body}");
}

fn waiter(operation: &str, key: &str) -> String {
    format!(
        r#"<w:{operation} xmlns:w="urn:baton:test:waiter"><payload><w:key>{key}</w:key></payload></w:{operation}>"#
    )
}

/// HelloWorld's BPEL greeting with `Hi` instead of `Hello`.
fn say_hi(text: String) -> String {
    text.replace("'Hello, '", "'Hi, '")
}

/// Asserts that `path` answers `hello(name)` with `greeting`.
async fn assert_greets(server: &Server, path: &str, name: &str, greeting: &str) {
    let (status, body) = server.soap(path, &hello(name)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(greeting), "expected {greeting}: {body}");
}

#[tokio::test]
async fn a_unit_copied_in_while_running_deploys_and_serves() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs).await;
    assert!(server.logged(&["Ready", "processes=0"]));
    let (status, body) = server.soap(HELLO_PATH, &hello("early")).await;
    assert_eq!(status, 500, "nothing is deployed yet: {body}");

    dirs.place_unit(&repo().join("samples/HelloWorld"), "HelloWorld", &|text| {
        text
    });
    server.await_log(&["Unit deployed", "unit=HelloWorld", "version=1"]);
    assert_greets(&server, HELLO_PATH, "Baton", "Hello, Baton!").await;
    assert_greets(&server, "/services/HelloService", "alias", "Hello, alias!").await;
}

#[tokio::test]
async fn a_unit_serves_only_once_its_versions_are_stored() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs).await;
    assert!(server.logged(&["Ready", "processes=0"]));
    // Another writer holds the deployment records: the unit installs, and its versions wait
    // to be stored.
    let hold = dirs.hold_deployment_writes().await;
    dirs.place_unit(&repo().join("samples/HelloWorld"), "HelloWorld", &|text| {
        text
    });
    server.await_log(&["Process version installed", HELLO_PID]);
    let early = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        server.soap(HELLO_PATH, &hello("early")),
    )
    .await;
    let Ok((status, body)) = early else {
        panic!("a request to a version not stored yet was taken in and left waiting");
    };
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains("no service is offered at /ode/processes/HelloWorld"),
        "not served before it is stored: {body}"
    );
    hold.release().await;
    server.await_log(&["Unit deployed", "unit=HelloWorld", "version=1"]);
    assert_greets(&server, HELLO_PATH, "Baton", "Hello, Baton!").await;
}

#[tokio::test]
async fn a_changed_unit_deploys_as_the_next_version_which_takes_over_its_paths() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    assert_greets(&server, HELLO_PATH, "Baton", "Hello, Baton!").await;

    dirs.rewrite("HelloWorld", "HelloWorld.bpel", &say_hi);
    server.await_log(&["Unit deployed", "unit=HelloWorld", "version=2"]);
    server.await_log(&["Process version retired", &format!("{HELLO_PID}-1")]);
    assert_greets(&server, HELLO_PATH, "Baton", "Hi, Baton!").await;
    assert_greets(&server, "/services/HelloService", "alias", "Hi, alias!").await;
}

#[tokio::test]
async fn instances_of_a_retired_version_go_on_with_their_own_definition() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Waiter");
    let server = Server::start(&dirs).await;
    let (status, body) = server.soap(WAITER_PATH, &waiter("begin", "old")).await;
    assert_eq!(status, 202, "{body}");

    dirs.rewrite("Waiter", "Waiter.bpel", &|text| {
        text.replace("'finished '", "'done '")
    });
    server.await_log(&["Unit deployed", "unit=Waiter", "version=2"]);
    server.await_log(&["Process version retired", "Waiter-1"]);

    assert_each_version_runs_its_own_instances(&server).await;
}

#[tokio::test]
async fn a_removed_unit_undeploys_and_comes_back_as_the_next_version() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    assert_greets(&server, HELLO_PATH, "Baton", "Hello, Baton!").await;

    dirs.remove_unit("HelloWorld");
    server.await_log(&["Unit undeployed", "unit=HelloWorld"]);
    for path in [HELLO_PATH, "/services/HelloService"] {
        let (status, body) = server.soap(path, &hello("gone")).await;
        assert_eq!(status, 500, "{body}");
        assert!(body.contains("Fault"), "{body}");
        assert!(
            body.contains(&format!("no service is offered at {path}")),
            "{body}"
        );
    }

    dirs.place_unit(&repo().join("samples/HelloWorld"), "HelloWorld", &say_hi);
    server.await_log(&["Unit deployed", "unit=HelloWorld", "version=2"]);
    assert_greets(&server, HELLO_PATH, "Baton", "Hi, Baton!").await;
}

/// The pids and states `baton processes` lists for the running server, sorted.
fn listed_processes(dirs: &Dirs, server: &Server) -> Vec<(String, String)> {
    let output = dirs.baton(&["processes", "--server", &server.address]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    let mut listed: Vec<(String, String)> = stdout
        .lines()
        .skip(1)
        .map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            (columns[0].to_owned(), columns[1].to_owned())
        })
        .collect();
    listed.sort();
    listed
}

#[tokio::test]
async fn a_restart_keeps_the_versions_and_deploys_nothing_unchanged() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    dirs.rewrite("HelloWorld", "HelloWorld.bpel", &say_hi);
    server.await_log(&["Unit deployed", "unit=HelloWorld", "version=2"]);
    server.kill();

    let server = Server::start(&dirs).await;
    let v1 = format!("{HELLO_PID}-1");
    let v2 = format!("{HELLO_PID}-2");
    server.await_log(&["Process version installed", &v1, "Retired"]);
    server.await_log(&["Process version installed", &v2, "Active"]);
    assert!(
        !server.logged(&["Unit deployed"]),
        "an unchanged unit deploys no new version"
    );
    assert_greets(&server, HELLO_PATH, "Baton", "Hi, Baton!").await;
    let expected = vec![(v1, "retired".to_owned()), (v2, "active".to_owned())];
    assert_eq!(listed_processes(&dirs, &server), expected);

    dirs.rewrite("HelloWorld", "HelloWorld.bpel", &|text| {
        text.replace("'Hi, '", "'Hey, '")
    });
    server.await_log(&["Unit deployed", "unit=HelloWorld", "version=3"]);
    assert_greets(&server, HELLO_PATH, "Baton", "Hey, Baton!").await;
}

/// Writes `NAME.zip` holding `entries` into the deploy directory in one step (written under
/// a hidden name, then renamed).
fn place_zip(dirs: &Dirs, name: &str, entries: &[(String, Vec<u8>)]) {
    let staging = dirs.deploy().join(format!(".{name}.zip"));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&staging).unwrap());
    for (file, content) in entries {
        zip.start_file(file, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap();
    std::fs::rename(staging, dirs.deploy().join(format!("{name}.zip"))).unwrap();
}

/// The files of the unit folder `dir`, at its root, as zip entries.
fn entries_of(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut entries: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    entries.sort();
    entries
}

#[tokio::test]
async fn a_zipped_unit_deploys_and_serves() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs).await;
    place_zip(
        &dirs,
        "HelloWorld",
        &entries_of(&repo().join("samples/HelloWorld")),
    );

    server.await_log(&["Unit deployed", "unit=HelloWorld", "version=1"]);
    assert_greets(&server, HELLO_PATH, "zip", "Hello, zip!").await;
}

#[tokio::test]
async fn a_zip_bomb_is_refused_by_the_unit_size_limit_once_and_read_again_once_changed() {
    let dirs = Dirs::new();
    let limit = [("BATON_DEPLOY__MAX_UNIT_BYTES", "4194304")];
    let server = Server::start_configured(&dirs, "info", true, &limit).await;
    // 64 entries of 1 MiB of zeros: a few hundred kilobytes of zip, 64 MiB inflated.
    let zeros = vec![0u8; 1024 * 1024];
    let bomb: Vec<(String, Vec<u8>)> = (0..64)
        .map(|n| (format!("f{n}.xml"), zeros.clone()))
        .collect();
    place_zip(&dirs, "Bomb", &bomb);
    let refusal = server.await_log(&["Unit refused", "unit=Bomb"]);
    assert!(
        refusal.contains("unit size limit of 4194304 bytes")
            && refusal.contains("deploy.max-unit-bytes"),
        "{refusal}"
    );

    // Later scans see the bomb again (a unit placed after it deploys on the second scan
    // that sees it) without reading or logging it again.
    dirs.place_unit(&repo().join("samples/HelloWorld"), "HelloWorld", &|text| {
        text
    });
    server.await_log(&["Unit deployed", "unit=HelloWorld", "version=1"]);
    let mentions = server
        .log_lines()
        .into_iter()
        .filter(|line| line.contains("Bomb"))
        .count();
    assert_eq!(mentions, 1, "{:#?}", server.log_lines());

    // Changed into a unit within the limit, it is read again and deploys.
    place_zip(
        &dirs,
        "Bomb",
        &entries_of(&repo().join("tests/data/units/Waiter")),
    );
    server.await_log(&["Unit deployed", "unit=Bomb", "version=1"]);
}

#[tokio::test]
async fn a_bad_unit_at_start_is_refused_with_its_diagnostics_and_the_good_ones_serve() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    dirs.add_test_unit("Waiter");
    let broken = dirs.deploy().join("BrokenWaiter");
    common::copy_unit(&repo().join("tests/data/units/Waiter"), &broken, &|text| {
        text.replace(r#"variable="done"/>"#, r#"variable="nowhere"/>"#)
    });
    let line = line_of(&broken.join("Waiter.bpel"), r#"variable="nowhere""#);

    let server = Server::start(&dirs).await;
    server.await_log(&["BrokenWaiter", "refused"]);
    let diagnostic = server.await_log(&[&format!("Waiter.bpel:{line}: [")]);
    assert!(diagnostic.contains("nowhere"), "{diagnostic}");
    assert!(server.logged(&["Ready", "processes=2"]));

    assert_greets(&server, HELLO_PATH, "Baton", "Hello, Baton!").await;
    let (status, body) = server.soap(WAITER_PATH, &waiter("begin", "k")).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = server.soap(WAITER_PATH, &waiter("finish", "k")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("finished k"), "{body}");
}

#[tokio::test]
async fn a_renamed_unit_takes_its_processes_along_as_their_next_version() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    std::fs::rename(
        dirs.deploy().join("HelloWorld"),
        dirs.deploy().join("Greeter"),
    )
    .unwrap();
    server.await_log(&["Unit undeployed", "unit=HelloWorld"]);
    server.await_log(&["Unit deployed", "unit=Greeter", "version=2"]);
    server.await_log(&["Process version installed", &format!("{HELLO_PID}-2")]);
    assert_greets(&server, HELLO_PATH, "Baton", "Hello, Baton!").await;
}

#[tokio::test]
async fn a_copy_of_a_running_unit_under_another_name_is_refused() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    dirs.place_unit(&repo().join("samples/HelloWorld"), "Copy", &say_hi);
    let refusal = server.await_log(&["Copy refused"]);
    assert!(
        refusal.contains(&format!(
            "process {HELLO_PID} is deployed by unit HelloWorld"
        )),
        "{refusal}"
    );
    assert!(!server.logged(&["Process version removed"]));
    assert_greets(&server, HELLO_PATH, "Baton", "Hello, Baton!").await;
}

#[tokio::test]
async fn instances_of_a_retired_version_go_on_after_a_restart() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Waiter");
    let server = Server::start(&dirs).await;
    let (status, body) = server.soap(WAITER_PATH, &waiter("begin", "old")).await;
    assert_eq!(status, 202, "{body}");
    dirs.rewrite("Waiter", "Waiter.bpel", &|text| {
        text.replace("'finished '", "'done '")
    });
    server.await_log(&["Unit deployed", "unit=Waiter", "version=2"]);
    server.kill();

    let server = Server::start(&dirs).await;
    // Waiting for a message, the instance stays in the store until one comes.
    assert!(server.logged(&["Ready", "recovered=0"]));
    assert_each_version_runs_its_own_instances(&server).await;
}

#[tokio::test]
async fn a_change_that_does_not_compile_leaves_the_running_version_serving() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    let bpel = "HelloWorld.bpel";
    dirs.rewrite("HelloWorld", bpel, &|text| {
        text.replace(r#"variable="response"/>"#, r#"variable="nowhere"/>"#)
    });
    let line = line_of(&dirs.deploy().join("HelloWorld").join(bpel), "nowhere");
    server.await_log(&["HelloWorld refused"]);
    server.await_log(&[&format!("{bpel}:{line}: [")]);
    assert_greets(&server, HELLO_PATH, "Baton", "Hello, Baton!").await;
    server.kill();

    let server = Server::start(&dirs).await;
    server.await_log(&["HelloWorld refused"]);
    assert_greets(&server, HELLO_PATH, "Baton", "Hello, Baton!").await;
    dirs.rewrite("HelloWorld", bpel, &|text| {
        say_hi(text.replace(r#"variable="nowhere"/>"#, r#"variable="response"/>"#))
    });
    server.await_log(&["Unit deployed", "unit=HelloWorld", "version=2"]);
    assert_greets(&server, HELLO_PATH, "Baton", "Hi, Baton!").await;
}
