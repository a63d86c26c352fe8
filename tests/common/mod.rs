//! Starts the real `baton` binary on a free port with its own deploy and data directories,
//! and talks to it over real HTTP. The server's log is collected so that tests can await
//! what it reports.
//!
//! Every server lets in the admin token [`ADMIN_TOKEN`] (configured with
//! `BATON_AUTH__TOKENS`; a test replaces it by setting that variable itself), which
//! [`Server::get`], [`Server::post`] and [`Dirs::baton`] present. Its standard output and its
//! log are both collected.
//!
//! The servers store in SQLite, or, when `TEST_STORE_URL` names a database server
//! (`postgres://…` or `mysql://…`, a user that may create databases), each set of
//! directories gets a fresh database of its own there, created by `baton setup`.

#![allow(dead_code)]

pub(crate) mod async_pair;
pub(crate) mod conversation;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The token of the admin account every server started here has, unless the test sets
/// `BATON_AUTH__TOKENS` itself.
pub(crate) const ADMIN_TOKEN: &str = "baton_test-harness-admin";

/// The `BATON_AUTH__TOKENS` value that configures [`ADMIN_TOKEN`].
fn admin_token_setting() -> String {
    format!(
        r#"[{{ name = "test-harness", role = "admin", hash = "{}" }}]"#,
        baton::auth::token_hash(ADMIN_TOKEN)
    )
}

/// How long a test waits for the server to say or do something before failing.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `condition` until it gives a value, and returns it; fails the test, saying it never
/// saw `what`, when `patience` runs out.
pub(crate) async fn eventually<T, Check>(
    what: &str,
    patience: Duration,
    condition: impl FnMut() -> Check,
) -> T
where
    Check: std::future::Future<Output = Option<T>>,
{
    within(patience, condition)
        .await
        .unwrap_or_else(|| panic!("never saw {what} within {patience:?}"))
}

/// Polls `condition` until it gives a value, or `patience` runs out (`None`), for a test that
/// says more than [`eventually`] when it fails. The polls start 5 ms apart and back off to
/// 100 ms.
pub(crate) async fn within<T, Check>(
    patience: Duration,
    mut condition: impl FnMut() -> Check,
) -> Option<T>
where
    Check: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + patience;
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(value) = condition().await {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Apache ODE's test corpus beside the repository, if it is there; under CI (`CI=true`),
/// where it must be, its absence fails the test.
pub(crate) fn ode_corpus() -> Option<PathBuf> {
    let dir = repo().join("../shared/conformance/ode");
    if !dir.is_dir() && std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{} is missing: CI runs ODE's corpus", dir.display());
    }
    dir.canonicalize().ok()
}

/// The repository's root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of a folder (a unit) into `to`, with `edit` applied to every file's text.
pub(crate) fn copy_unit(from: &Path, to: &Path, edit: &dyn Fn(String) -> String) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_unit(&entry.path(), &target, edit);
        } else {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            std::fs::write(target, edit(text)).unwrap();
        }
    }
}

/// Keeps the test run's BATON_ variables from `command`: `baton`
/// reads every one of them as configuration, and only those a test sets are meant for it.
fn without_run_configuration(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("BATON_") {
            command.env_remove(name);
        }
    }
}

#[derive(Default)]
struct Log {
    lines: Mutex<Vec<String>>,
    changed: Condvar,
}

/// A running server.
pub(crate) struct Server {
    child: Child,
    log: Arc<Log>,
    pub address: String,
    pub deploy_dir: PathBuf,
    pub data_dir: PathBuf,
    http: reqwest::Client,
}

/// The directories (and database) a server runs on; kept across restarts.
pub(crate) struct Dirs {
    root: tempfile::TempDir,
    /// The database of these directories on the server `TEST_STORE_URL` names.
    store_url: Option<String>,
}

/// The URL of a fresh database on the server `server`, named after this process.
fn fresh_database(server: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let (base, _) = server
        .rsplit_once('/')
        .filter(|(base, _)| base.contains("://"))
        .unwrap_or((server, ""));
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() % 1_000_000);
    let number = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{base}/baton_it_{}_{started}_{number}", std::process::id())
}

/// A connection holding a database's deployment records against other writers
/// ([`Dirs::hold_deployment_writes`]).
pub(crate) enum WriteHold {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
    MySql(sqlx::MySqlConnection),
}

impl WriteHold {
    /// Lets the other writers go on.
    pub(crate) async fn release(self) {
        use sqlx::Executor;
        match self {
            WriteHold::Sqlite(mut conn) => conn.execute("ROLLBACK").await.map(drop),
            WriteHold::Postgres(mut conn) => conn.execute("ROLLBACK").await.map(drop),
            WriteHold::MySql(mut conn) => conn.execute("UNLOCK TABLES").await.map(drop),
        }
        .unwrap();
    }
}

impl Dirs {
    /// Fresh directories, and a fresh database on the server `TEST_STORE_URL` names.
    pub(crate) fn new() -> Self {
        let server = std::env::var("TEST_STORE_URL").ok();
        Self::on_server(server.as_deref().filter(|url| !url.is_empty()))
    }

    /// Fresh directories, and a fresh database on the database server `server` if given.
    pub(crate) fn on_server(server: Option<&str>) -> Self {
        let store_url = server.map(fresh_database);
        let dirs = Self {
            root: tempfile::tempdir().unwrap(),
            store_url,
        };
        std::fs::create_dir_all(dirs.deploy()).unwrap();
        if dirs.store_url.is_some() {
            let setup = dirs.baton(&["setup"]);
            assert!(setup.status.success(), "baton setup failed: {setup:?}");
        }
        dirs
    }

    /// The configuration variables that point a `baton` command at the database.
    pub(crate) fn store_settings(&self) -> Vec<(&'static str, String)> {
        self.store_url
            .iter()
            .map(|url| ("BATON_STORE__URL", url.clone()))
            .collect()
    }

    /// Opens the store the server of these directories uses.
    pub(crate) async fn store(
        &self,
    ) -> Result<std::sync::Arc<dyn baton::store::Store>, baton::store::Error> {
        let url = match &self.store_url {
            Some(url) => url.clone(),
            None => self.data().join("baton.db").to_string_lossy().into_owned(),
        };
        baton::store::Datasource::new(url).open().await
    }

    /// How many rows the table `table` of the server's database holds, counted in SQL.
    pub(crate) async fn count_rows(&self, table: &str) -> i64 {
        let query = format!("SELECT COUNT(*) FROM {table}");
        match &self.store_url {
            Some(url) if url.starts_with("postgres") => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                let count = sqlx::query_scalar(&query).fetch_one(&pool).await.unwrap();
                pool.close().await;
                count
            }
            Some(url) => {
                let pool = sqlx::MySqlPool::connect(url).await.unwrap();
                let count = sqlx::query_scalar(&query).fetch_one(&pool).await.unwrap();
                pool.close().await;
                count
            }
            None => {
                let file = self.data().join("baton.db");
                let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", file.display()))
                    .await
                    .unwrap();
                let count = sqlx::query_scalar(&query).fetch_one(&pool).await.unwrap();
                pool.close().await;
                count
            }
        }
    }

    /// Holds the server's deployment records against writes, as another writer would, until
    /// the hold is released: reads go on.
    pub(crate) async fn hold_deployment_writes(&self) -> WriteHold {
        use sqlx::{Connection, Executor};
        match &self.store_url {
            Some(url) if url.starts_with("postgres") => {
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                conn.execute("BEGIN; LOCK TABLE baton_deployments IN EXCLUSIVE MODE")
                    .await
                    .unwrap();
                WriteHold::Postgres(conn)
            }
            Some(url) => {
                let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
                conn.execute("LOCK TABLES baton_deployments READ")
                    .await
                    .unwrap();
                WriteHold::MySql(conn)
            }
            None => {
                let file = self.data().join("baton.db");
                let url = format!("sqlite:{}", file.display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                conn.execute("BEGIN IMMEDIATE").await.unwrap();
                WriteHold::Sqlite(conn)
            }
        }
    }

    /// The folder holding the others; the `baton` command runs there.
    pub(crate) fn root(&self) -> &Path {
        self.root.path()
    }

    pub(crate) fn deploy(&self) -> PathBuf {
        self.root.path().join("deploy")
    }

    pub(crate) fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// Copies a sample of the repository into the deploy directory.
    pub(crate) fn add_sample(&self, name: &str) {
        copy_unit(
            &repo().join("samples").join(name),
            &self.deploy().join(name),
            &|text| text,
        );
    }

    /// Copies a test unit (tests/data/units/NAME) into the deploy directory.
    pub(crate) fn add_test_unit(&self, name: &str) {
        copy_unit(
            &repo().join("tests/data/units").join(name),
            &self.deploy().join(name),
            &|text| text,
        );
    }

    /// Puts an edited copy of the unit folder `from` into the deploy directory as `name` in
    /// one step: it is copied under a hidden name (which scans skip) and then renamed, so a
    /// running server never sees it half-copied.
    pub(crate) fn place_unit(&self, from: &Path, name: &str, edit: &dyn Fn(String) -> String) {
        let staging = self.deploy().join(format!(".staging-{name}"));
        copy_unit(from, &staging, edit);
        std::fs::rename(staging, self.deploy().join(name)).unwrap();
    }

    /// Replaces `file` of the deployed unit `unit` by an edited copy in one step.
    pub(crate) fn rewrite(&self, unit: &str, file: &str, edit: &dyn Fn(String) -> String) {
        let path = self.deploy().join(unit).join(file);
        let staging = self.deploy().join(format!(".staging-{unit}-{file}"));
        std::fs::write(&staging, edit(std::fs::read_to_string(&path).unwrap())).unwrap();
        std::fs::rename(staging, path).unwrap();
    }

    /// Removes the unit folder `name` from the deploy directory in one step: it is renamed
    /// to a hidden name first, then deleted.
    pub(crate) fn remove_unit(&self, name: &str) {
        let trash = self.deploy().join(format!(".removed-{name}"));
        std::fs::rename(self.deploy().join(name), &trash).unwrap();
        std::fs::remove_dir_all(trash).unwrap();
    }

    /// Runs the `baton` command with `args` in the root folder and waits for it to exit; it
    /// logs in to a server with [`ADMIN_TOKEN`].
    pub(crate) fn baton<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        self.baton_with(args, &[("BATON_TOKEN", ADMIN_TOKEN)])
    }

    /// As [`Dirs::baton`], with the environment variables `variables` instead of the token.
    pub(crate) fn baton_with<S: AsRef<OsStr>>(
        &self,
        args: &[S],
        variables: &[(&str, &str)],
    ) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
        without_run_configuration(&mut command);
        command
            .args(args)
            .current_dir(self.root())
            .env("RUST_LOG", "warn")
            .envs(self.store_settings())
            .envs(variables.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("the baton binary runs")
    }
}

impl Server {
    /// Starts `baton serve` on the directories and waits until it is ready.
    pub(crate) async fn start(dirs: &Dirs) -> Self {
        Self::start_with(dirs, "info").await
    }

    /// As [`Server::start`] with a log filter.
    pub(crate) async fn start_with(dirs: &Dirs, log_filter: &str) -> Self {
        Self::start_echoing(dirs, log_filter, true).await
    }

    /// As [`Server::start_with`]; the server's log is echoed to stderr when `echo` is set.
    pub(crate) async fn start_echoing(dirs: &Dirs, log_filter: &str, echo: bool) -> Self {
        Self::start_configured(dirs, log_filter, echo, &[]).await
    }

    /// As [`Server::start_echoing`], with configuration variables (`BATON_SECTION__KEY`).
    pub(crate) async fn start_configured(
        dirs: &Dirs,
        log_filter: &str,
        echo: bool,
        settings: &[(&str, &str)],
    ) -> Self {
        let command = Command::new(env!("CARGO_BIN_EXE_baton"));
        Self::start_command(command, dirs, log_filter, echo, settings).await
    }

    /// As [`Server::start_configured`], running `command` (a program with the `baton`
    /// command line, such as one with extension bundles of its own) instead of `baton`.
    pub(crate) async fn start_command(
        command: Command,
        dirs: &Dirs,
        log_filter: &str,
        echo: bool,
        settings: &[(&str, &str)],
    ) -> Self {
        let mut server = Self::launch_command(command, dirs, log_filter, echo, settings);
        let listening = server.await_log(&["Listening"]);
        let address = log_field(&listening, "address").expect("the Listening line names it");
        server.address = format!("http://{address}");
        server.await_log(&["Ready"]);
        server
    }

    /// Starts `baton serve` as [`Server::start_configured`] does, without waiting for it to
    /// listen; its address is unknown.
    pub(crate) fn launch(
        dirs: &Dirs,
        log_filter: &str,
        echo: bool,
        settings: &[(&str, &str)],
    ) -> Self {
        let command = Command::new(env!("CARGO_BIN_EXE_baton"));
        Self::launch_command(command, dirs, log_filter, echo, settings)
    }

    /// As [`Server::launch`], running `command` instead of `baton`.
    fn launch_command(
        mut command: Command,
        dirs: &Dirs,
        log_filter: &str,
        echo: bool,
        settings: &[(&str, &str)],
    ) -> Self {
        without_run_configuration(&mut command);
        let mut child = command
            .args(["--config", repo().join("conf/baton.toml").to_str().unwrap()])
            .args(["--deploy-dir", dirs.deploy().to_str().unwrap()])
            .args(["--data-dir", dirs.data().to_str().unwrap()])
            .args(["serve", "--port", "0"])
            .env("RUST_LOG", log_filter)
            .env("BATON_DEPLOY__POLL_INTERVAL_MS", "100")
            .env("BATON_AUTH__TOKENS", admin_token_setting())
            .envs(dirs.store_settings())
            .envs(settings.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server program starts");
        let log = Arc::new(Log::default());
        let stderr = child.stderr.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        for (output, prefix) in [
            (
                Box::new(stderr) as Box<dyn std::io::Read + Send>,
                "[server]",
            ),
            (Box::new(stdout), "[server stdout]"),
        ] {
            let sink = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(output).lines() {
                    let Ok(line) = line else { break };
                    if echo {
                        eprintln!("{prefix} {line}");
                    }
                    sink.lines.lock().unwrap().push(line);
                    sink.changed.notify_all();
                }
            });
        }
        Self {
            child,
            log,
            address: String::new(),
            deploy_dir: dirs.deploy(),
            data_dir: dirs.data(),
            http: reqwest::Client::new(),
        }
    }

    /// Whether the server process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Every log line so far.
    pub(crate) fn log_lines(&self) -> Vec<String> {
        self.log.lines.lock().unwrap().clone()
    }

    /// Waits for a log line containing every one of `parts`, and returns it.
    pub(crate) fn await_log(&self, parts: &[&str]) -> String {
        self.await_log_within(parts, PATIENCE)
            .unwrap_or_else(|| panic!("the server never logged {parts:?}"))
    }

    /// Waits at most `patience` for a log line containing every one of `parts`.
    pub(crate) fn await_log_within(&self, parts: &[&str], patience: Duration) -> Option<String> {
        self.await_log_any(&[parts], patience)
    }

    /// Waits at most `patience` for a log line containing every one of the parts of one of
    /// `alternatives`, and returns it.
    pub(crate) fn await_log_any(
        &self,
        alternatives: &[&[&str]],
        patience: Duration,
    ) -> Option<String> {
        self.await_lines(patience, |lines| {
            lines
                .iter()
                .find(|line| {
                    alternatives
                        .iter()
                        .any(|parts| parts.iter().all(|part| line.contains(part)))
                })
                .cloned()
        })
    }

    /// Waits until `count` log lines contain every one of `parts`.
    pub(crate) fn await_log_count(&self, parts: &[&str], count: usize) {
        let matching = |line: &&String| parts.iter().all(|part| line.contains(part));
        self.await_lines(PATIENCE, |lines| {
            (lines.iter().filter(matching).count() >= count).then_some(())
        })
        .unwrap_or_else(|| panic!("the server never logged {parts:?} {count} times"))
    }

    /// Waits at most `patience` for `found` to find something in the log, woken by each new
    /// line.
    fn await_lines<T>(
        &self,
        patience: Duration,
        mut found: impl FnMut(&[String]) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + patience;
        let mut lines = self.log.lines.lock().unwrap();
        loop {
            if let Some(value) = found(&lines) {
                return Some(value);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            lines = self
                .log
                .changed
                .wait_timeout(lines, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// Whether a log line contains every one of `parts`.
    pub(crate) fn logged(&self, parts: &[&str]) -> bool {
        self.log
            .lines
            .lock()
            .unwrap()
            .iter()
            .any(|line| parts.iter().all(|part| line.contains(part)))
    }

    /// POSTs a SOAP 1.1 envelope around `body` to `path`; returns the status and the text.
    pub(crate) async fn soap(&self, path: &str, body: &str) -> (u16, String) {
        let envelope = format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{body}</s:Body></s:Envelope>"#
        );
        self.post(path, "text/xml; charset=utf-8", envelope).await
    }

    /// Sends `body` in a SOAP 1.1 envelope to `path` in the background, as [`Server::soap`]
    /// does; the task ends with the status and body of the answer.
    pub(crate) fn soap_in_background(
        &self,
        path: &str,
        body: &str,
    ) -> tokio::task::JoinHandle<(u16, String)> {
        let envelope = format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{body}</s:Body></s:Envelope>"#
        );
        let request = post(
            &self.http,
            format!("{}{path}", self.address),
            "text/xml; charset=utf-8",
            envelope,
        );
        tokio::spawn(request)
    }

    /// POSTs `body` to `path`, presenting [`ADMIN_TOKEN`].
    pub(crate) async fn post(&self, path: &str, content_type: &str, body: String) -> (u16, String) {
        post(
            &self.http,
            format!("{}{path}", self.address),
            content_type,
            body,
        )
        .await
    }

    /// GETs `path`, presenting [`ADMIN_TOKEN`].
    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.address))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Asks the server to stop (SIGTERM), as a service manager would, and waits for it to
    /// exit; returns its exit status.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM was not delivered");
        self.child.wait().unwrap()
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub(crate) fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The 1-based number of the first line of the file at `path` that contains `text`.
pub(crate) fn line_of(path: &Path, text: &str) -> usize {
    let content = std::fs::read_to_string(path).unwrap();
    let index = content.lines().position(|line| line.contains(text));
    1 + index.unwrap_or_else(|| panic!("{} has no line with {text}", path.display()))
}

/// What a case of a conformance unit must answer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect {
    /// A reply whose `result` element holds this text.
    Result(&'static str),
    /// A SOAP 1.1 fault whose code is this standard BPEL fault.
    StandardFault(&'static str),
    /// A SOAP fault: the instance ended without replying.
    NoReply,
}

/// The namespace of WS-BPEL 2.0's standard faults.
pub(crate) const BPEL_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/executable";

/// Reads one HTTP/1.1 request's head and its Content-Length body from `reader`; returns the
/// body as text.
pub(crate) async fn read_request_body<R>(reader: &mut tokio::io::BufReader<R>) -> String
where
    R: tokio::io::AsyncRead + Unpin,
{
    read_request(reader).await.1
}

/// Reads one HTTP/1.1 request from `reader`: the lines of its head (the request line first,
/// without line ends) and its Content-Length body as text.
pub(crate) async fn read_request<R>(reader: &mut tokio::io::BufReader<R>) -> (Vec<String>, String)
where
    R: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let mut head = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap() == 0 || line == "\r\n" {
            break;
        }
        let line = line.trim_end().to_owned();
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
        head.push(line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.unwrap();
    (head, String::from_utf8_lossy(&body).into_owned())
}

/// The text of the first element named `local` (any prefix) in `xml`.
pub(crate) fn element_text(xml: &str, local: &str) -> Option<String> {
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let name_end = rest.find(|c: char| c == '>' || c == '/' || c.is_whitespace())?;
        let name = &rest[..name_end];
        if name.rsplit(':').next() == Some(local) {
            let open_end = rest.find('>')?;
            if rest[..open_end].ends_with('/') {
                return Some(String::new());
            }
            let content = &rest[open_end + 1..];
            return Some(content[..content.find("</")?].to_owned());
        }
    }
    None
}

/// Checks an answer `(status, body)` against what was expected; the mismatch, if any.
pub(crate) fn mismatch(
    case: &str,
    expect: Expect,
    (status, body): &(u16, String),
) -> Option<String> {
    let fine = match expect {
        Expect::Result(text) => {
            *status == 200 && element_text(body, "result").as_deref() == Some(text)
        }
        Expect::StandardFault(local) => {
            let code = element_text(body, "faultcode").unwrap_or_default();
            *status == 500 && body.contains(BPEL_NS) && code.rsplit(':').next() == Some(local)
        }
        Expect::NoReply => *status == 500 && element_text(body, "result").is_none(),
    };
    (!fine).then(|| format!("{case}: expected {expect:?}, got {status}: {body}"))
}

/// Runs `(case, n)` requests at once on the test unit `unit`, whose single operation `run`
/// takes `<run><case/><n/></run>` in namespace `urn:baton:test:<unit in lower case>`; fails
/// listing every answer that is not the expected one.
pub(crate) async fn run_cases(unit: &str, cases: &[(&str, i32, Expect)]) {
    let dirs = Dirs::new();
    dirs.add_test_unit(unit);
    let server = &Server::start(&dirs).await;
    let namespace = format!("urn:baton:test:{}", unit.to_lowercase());
    let path = format!("/ode/processes/{unit}");
    let answers = futures::future::join_all(cases.iter().map(|(case, n, _)| {
        let body = format!(
            r#"<u:run xmlns:u="{namespace}"><u:case>{case}</u:case><u:n>{n}</u:n></u:run>"#
        );
        let path = &path;
        async move { server.soap(path, &body).await }
    }))
    .await;
    let failures: Vec<String> = cases
        .iter()
        .zip(&answers)
        .filter_map(|((case, n, expect), answer)| {
            mismatch(&format!("{case}({n})"), *expect, answer)
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A command's output as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The value of the field `name` (`name=value`) in the log line `line`.
pub(crate) fn log_field(line: &str, name: &str) -> Option<String> {
    let value = line.split(&format!("{name}=")).nth(1)?;
    value.split_whitespace().next().map(str::to_owned)
}

/// Asserts that the command succeeded and returns its standard output.
pub(crate) fn succeeded(output: Output) -> String {
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    stdout
}

/// Asserts that the command failed and returns its standard error.
pub(crate) fn failed(output: Output) -> String {
    assert!(!output.status.success(), "{}", text(&output.stdout));
    text(&output.stderr)
}

/// POSTs `body` to `url` with `http`, presenting [`ADMIN_TOKEN`]; answers the status and body.
fn post(
    http: &reqwest::Client,
    url: String,
    content_type: &str,
    body: String,
) -> impl std::future::Future<Output = (u16, String)> + Send + 'static {
    let request = http
        .post(url)
        .bearer_auth(ADMIN_TOKEN)
        .header("Content-Type", content_type)
        .body(body)
        .timeout(PATIENCE);
    async move {
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }
}
