//! `baton import-config` on the WSO2 BPS and Apache ODE configuration folders of
//! `tests/data/import/`: the exact `baton.toml` written, the lines of what is not carried
//! over (on standard error and as the file's opening comments), the endpoint files copied
//! beside it, and a real server serving on the written file.
//!
//! Both folders name database servers (MySQL for BPS, PostgreSQL for ODE) that do not run
//! here: `Configuration::load` must accept each file as written, and the server is then
//! started on a copy whose `[store]` alone is rewritten to SQLite.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;

use baton::config::{Configuration, Overrides};
use common::{log_field, repo, text, PATIENCE};

/// The test folder `name` of `tests/data/import/`.
fn folder(name: &str) -> PathBuf {
    repo().join("tests/data/import").join(name)
}

/// `baton import-config` with `args`, in a folder with no configuration of its own.
fn import_config(args: &[&Path]) -> Output {
    let scratch = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    without_baton_variables(&mut command);
    command
        .arg("import-config")
        .args(args)
        .current_dir(scratch.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("the baton binary runs")
}

fn without_baton_variables(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("BATON_") {
            command.env_remove(name);
        }
    }
}

/// The not-carried lines of standard error, without their prefix.
fn not_carried(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("not carried over: "))
        .map(str::to_owned)
        .collect()
}

/// The not-carried lines of the comment block opening a written `baton.toml`.
fn commented(toml: &str) -> Vec<String> {
    toml.lines()
        .take_while(|line| line.starts_with('#'))
        .filter_map(|line| line.strip_prefix("# - "))
        .map(str::to_owned)
        .collect()
}

/// Asserts that `lines` are `expected`, each given as its start.
fn assert_lines_start(lines: &[String], expected: &[&str]) {
    assert_eq!(lines.len(), expected.len(), "{lines:#?}");
    for (line, start) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(start),
            "{line:?} should start with {start:?}"
        );
    }
}

/// A `baton serve` on `config`, stopped when dropped.
struct Serving {
    child: Child,
    address: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `baton serve` on `config` with fresh deploy and data folders in `root`, and waits
/// until it is ready.
fn serve(config: &Path, root: &Path) -> Serving {
    let (deploy, data) = (root.join("deploy"), root.join("data"));
    std::fs::create_dir_all(&deploy).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    without_baton_variables(&mut command);
    let mut child = command
        .arg("--config")
        .arg(config)
        .arg("--deploy-dir")
        .arg(&deploy)
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--port", "0"])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let (lines, log) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("[server] {line}");
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut address = None;
    loop {
        let line = log
            .recv_timeout(PATIENCE)
            .expect("the server said it was ready");
        if line.contains("Listening") {
            address = log_field(&line, "address");
        }
        if line.contains("Ready") {
            break;
        }
    }
    Serving {
        child,
        address: address.expect("the server said where it listens"),
    }
}

/// The status line and body of `GET path` on `server`.
fn get(server: &Serving, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(&server.address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.address
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

/// A copy of `config` in `root` with `[store]` made the default SQLite database, everything
/// else as written.
fn on_sqlite(config: &Path, root: &Path) -> PathBuf {
    let mut table: toml::Table = std::fs::read_to_string(config).unwrap().parse().unwrap();
    table.remove("store");
    let copy = root.join("on-sqlite.toml");
    std::fs::write(&copy, toml::to_string(&table).unwrap()).unwrap();
    copy
}

#[test]
fn a_bps_folder_becomes_the_equivalent_configuration_and_serves() {
    let output = import_config(&[&folder("bps")]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let written = text(&output.stdout);
    let table: toml::Table = written.parse().expect("the output is TOML");
    let expected: toml::Table = r#"
        [server]
        reply-timeout-ms = 45000

        [engine]
        invoke-timeout-ms = 90000
        in-memory-instance-ttl-ms = 240000

        [store]
        url = "mysql://orders-db.example:3306/orders_bps"
        user = "bps"
        password = "orders-secret"
        max-active = 50
        max-wait-ms = 60000
        test-on-borrow = true
        validation-query = "SELECT 1"

        [http-client]
        max-connections-per-host = 25
        max-total-connections = 150

        [dehydration]
        enabled = true
        max-count = 500
        max-age-ms = 300000

        [events]
        listeners = ["log"]

        [[cleanup.schedules]]
        when = "0 0 2 * * ?"
        filters = ["status=completed", "status=terminated"]
        categories = ["all"]

        [[cleanup.schedules]]
        when = "0 30 3 ? * SUN"
        filters = ["status=failed started<-30d"]
        categories = ["events", "messages"]
    "#
    .parse()
    .unwrap();
    assert_eq!(table, expected, "{written}");
    let datasources = "repository/conf/datasources/master-datasources.xml";
    let bps = "repository/conf/bps.xml";
    let lines = not_carried(&stderr);
    assert_lines_start(
        &lines,
        &[
            &format!("{datasources}: datasource ORDERS_DS url parameters autoReconnect=true: JDBC driver parameters"),
            &format!("{datasources}: datasource ORDERS_DS: the process instances, deployed processes and jobs in that database are not migrated"),
            &format!("{datasources}: datasource ORDERS_DS validationInterval 30000: Baton's connection pool has no such setting"),
            &format!("{bps}: TransactionFactory: Baton has no JTA transaction manager"),
            &format!("{bps}: listener com.example.audit.AuditTrailListener: Java classes do not run in Baton"),
            &format!("{bps}: interceptor com.example.security.TenantCheckInterceptor: Java classes do not run in Baton"),
            &format!("{bps}: ODESchedulerThreadPoolSize: Baton's engine schedules its own work"),
        ],
    );
    assert_eq!(
        commented(&written),
        lines,
        "the file opens with the same lines"
    );

    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("baton.toml");
    std::fs::write(&config, &written).unwrap();
    let loaded = Configuration::load(Some(&config), &Overrides::default())
        .expect("Baton loads the file as written");
    assert_eq!(
        loaded.store.url,
        "mysql://orders-db.example:3306/orders_bps"
    );
    assert_eq!(
        loaded.cleanup.schedules[1].categories,
        ["events", "messages"]
    );
    assert_eq!(loaded.events.listeners, ["log"]);
    let server = serve(&on_sqlite(&config, root.path()), root.path());
    assert_eq!(
        get(&server, "/health"),
        ("HTTP/1.1 200 OK".into(), "ok".into())
    );
}

#[test]
fn an_ode_folder_becomes_the_equivalent_configuration_with_its_endpoint_files_and_serves() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("conf/baton.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let output = import_config(&[&folder("ode"), Path::new("--out"), &config]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        text(&output.stdout),
        "",
        "the configuration went to the file"
    );
    let written = std::fs::read_to_string(&config).unwrap();
    let table: toml::Table = written.parse().expect("the output is TOML");
    let expected: toml::Table = r#"
        [engine]
        in-memory-instance-ttl-ms = 120000

        [store]
        url = "postgres://pg.example:5432/ode"
        user = "ode"
        password = "ode-secret"
        max-active = 4
        max-idle = 4

        [http-client]
        connect-timeout-ms = 3000

        [dehydration]
        enabled = false

        [events]
        listeners = ["log"]

        [[cleanup.schedules]]
        when = "0 0/15 * * * ?"
        filters = ["status=completed last-active<-1d"]
        categories = ["instance", "variables", "correlations"]
    "#
    .parse()
    .unwrap();
    assert_eq!(table, expected, "{written}");
    let (properties, endpoint) = ("conf/ode-axis2.properties", "conf/stock.endpoint");
    let lines = not_carried(&stderr);
    assert_lines_start(
        &lines,
        &[
            &format!("{properties}: ode-axis2.db.int.jdbcurl: the process instances, deployed processes and jobs in that database are not migrated"),
            &format!("{properties}: ode-axis2.db.pool.min: Baton's pool opens connections as they are needed"),
            &format!("{properties}: ode-axis2.event.listeners org.apache.ode.bpel.extensions.jmx.JmxBpelEventListener: Java classes do not run in Baton"),
            &format!("{properties}: ode-axis2.threads.pool.size: Baton's engine schedules its own work"),
            &format!("{endpoint}: stock.StockService.ode.http.socket.timeout: Baton bounds a whole call, not each read"),
            &format!("{endpoint}: http.protocol.max-redirects: Baton's HTTP client never follows redirects"),
        ],
    );
    assert_eq!(
        commented(&written),
        lines,
        "the file opens with the same lines"
    );
    assert_eq!(
        std::fs::read_to_string(root.path().join("conf/stock.endpoint")).unwrap(),
        std::fs::read_to_string(folder("ode/conf/stock.endpoint")).unwrap(),
        "the endpoint file is copied beside baton.toml, where Baton reads it"
    );

    let loaded = Configuration::load(Some(&config), &Overrides::default())
        .expect("Baton loads the file as written");
    assert_eq!(loaded.store.url, "postgres://pg.example:5432/ode");
    assert!(!loaded.dehydration.enabled);
    let server = serve(&on_sqlite(&config, root.path()), root.path());
    assert_eq!(
        get(&server, "/health"),
        ("HTTP/1.1 200 OK".into(), "ok".into())
    );
}

#[test]
fn endpoint_files_not_copied_are_said_to_be_when_writing_to_standard_output() {
    let output = import_config(&[&folder("ode")]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let last = not_carried(&stderr).pop().unwrap_or_default();
    assert!(
        last.starts_with("conf/stock.endpoint: the file: not copied"),
        "{stderr}"
    );
}

#[test]
fn a_missing_folder_or_a_malformed_file_writes_nothing_and_says_where() {
    let output = import_config(&[Path::new("/nonexistent/bps")]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("/nonexistent/bps is not a folder"),
        "{}",
        text(&output.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bps.xml"),
        "<tns:WSO2BPS xmlns:tns=\"http://wso2.org/bps/config\">\n  <tns:MexTimeOut value=\"1\">\n</tns:WSO2BPS>\n",
    )
    .unwrap();
    let out = dir.path().join("baton.toml");
    let output = import_config(&[dir.path(), Path::new("--out"), &out]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: line 3", dir.path().join("bps.xml").display())),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}
