//! Baton's configuration: [`Configuration`] is read in layers (built-in defaults, then
//! `conf/baton.toml` or the file given, then `BATON_<SECTION>__<KEY>` environment variables,
//! then command-line flags) and validated once, reporting every problem at the same time.
//!
//! Each transport owns its own settings type (for example
//! [`baton_transports::http::HttpClientConfig`] and [`baton_transports::amqp::AmqpConfig`]);
//! this module composes them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use baton_transports::amqp::AmqpConfig;
use baton_transports::http::HttpClientConfig;
use baton_transports::xml::XmlLimits;

use crate::compiler::Compatibility;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::auth::{Credentials, LoginLimit, TokenEntry, UserEntry};
use crate::compiler::SourceLimits;
use crate::runtime::partner_failure::PartnerFailureMode;
use crate::store::{Backend, Datasource, PoolSettings, SqliteConfig, Synchronous};

mod cleanup;
mod events;
mod metrics;

pub use cleanup::{CleanupConfig, ScheduleConfig};
pub use events::{AmqpEventsConfig, EventsConfig, JsonLinesConfig, StoreEventsConfig};
pub use metrics::MetricsAccess;

/// Configuration problems, all of them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {name}: {message}")]
    Environment { name: String, message: String },
    #[error("invalid configuration:\n  {}", .0.join("\n  "))]
    Invalid(Vec<String>),
}

/// Everything Baton can be configured with.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Configuration {
    pub server: ServerConfig,
    pub xml: XmlLimits,
    pub engine: EngineConfig,
    pub deploy: DeployConfig,
    pub store: StoreConfig,
    pub http_client: HttpClientConfig,
    pub amqp: AmqpSettings,
    pub dehydration: DehydrationConfig,
    pub header_propagation: HeaderPropagationConfig,
    pub auth: AuthConfig,
    pub compiler: CompilerConfig,
    pub events: EventsConfig,
    pub cleanup: CleanupConfig,
}

impl Configuration {
    /// What a failed invoke without failure handling of its own does: as `[engine]
    /// partner-failure` says, else as ODE did in ODE mode (wait for an operator), else raise
    /// its fault.
    pub fn partner_failure(&self) -> PartnerFailureMode {
        self.engine
            .partner_failure
            .unwrap_or(match self.compiler.compatibility {
                Compatibility::Ode => PartnerFailureMode::Recover,
                Compatibility::Standard => PartnerFailureMode::Fault,
            })
    }

    /// How long a message no instance correlates with yet waits for one: `[engine]
    /// early-message-wait-ms`, else 10 s in ODE mode and none otherwise.
    pub fn early_message_wait(&self) -> Duration {
        let ms = self
            .engine
            .early_message_wait_ms
            .unwrap_or(match self.compiler.compatibility {
                Compatibility::Ode => 10_000,
                Compatibility::Standard => 0,
            });
        Duration::from_millis(ms)
    }

    /// Whether the engine does as ODE did where the specification leaves room (ODE mode):
    /// element copies keep the target's attributes the source lacks, and instances may share
    /// correlation values.
    pub fn ode_mode(&self) -> bool {
        self.compiler.compatibility == Compatibility::Ode
    }
}

/// # Reading deployment units
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct CompilerConfig {
    /// `standard` refuses a unit that breaks a rule of the specification; `ode` deploys with
    /// a warning what Apache ODE accepted of that (see [`crate::compiler::Compatibility`]).
    pub compatibility: Compatibility,
}

/// # The SOAP/HTTP endpoint
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    /// HTTP worker threads; 0 = one per core.
    pub workers: usize,
    pub max_body_bytes: usize,
    /// How long a request-response caller waits for its reply.
    pub reply_timeout_ms: u64,
    /// Whether the management API is served under `/api/v1` on the same port.
    pub admin: bool,
    /// Who may read `GET /metrics` on the same port.
    pub metrics: MetricsAccess,
    /// How long a client may take to send a request body once its head has arrived.
    pub body_read_timeout_ms: u64,
    /// Request bodies larger than this are parsed off the HTTP workers.
    pub blocking_parse_bytes: usize,
    /// The base URL written into `?wsdl` service descriptions.
    pub public_url: Option<String>,
    /// Whether `?wsdl` may take its base URL from the request's Host and forwarding headers.
    pub trust_forwarded_headers: bool,
    /// How long the server may take to stop once asked (SIGTERM, Ctrl-C): requests in
    /// flight finish, running steps are stopped; then it exits whatever remains.
    pub shutdown_grace_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            workers: 0,
            max_body_bytes: 4 * 1024 * 1024,
            reply_timeout_ms: 120_000,
            admin: true,
            metrics: MetricsAccess::Open,
            body_read_timeout_ms: 10_000,
            blocking_parse_bytes: 64 * 1024,
            public_url: None,
            trust_forwarded_headers: false,
            shutdown_grace_ms: 10_000,
        }
    }
}

/// # Who may use the management API (see [`crate::auth`])
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct AuthConfig {
    /// Users with an argon2 password hash; they win over users of the accounts file.
    pub users: Vec<UserEntry>,
    /// API tokens, kept as SHA-256 digests.
    pub tokens: Vec<TokenEntry>,
    /// Failed logins allowed per client address, and per user, within the window; further
    /// attempts are answered 429 until the oldest failure leaves it.
    pub max_failed_logins: u32,
    pub failed_login_window_ms: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            users: Vec::new(),
            tokens: Vec::new(),
            max_failed_logins: 5,
            failed_login_window_ms: 300_000,
        }
    }
}

impl AuthConfig {
    /// The configured users and tokens.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            users: self.users.clone(),
            tokens: self.tokens.clone(),
        }
    }

    pub fn login_limit(&self) -> LoginLimit {
        LoginLimit {
            max_failures: self.max_failed_logins,
            window: Duration::from_millis(self.failed_login_window_ms),
        }
    }
}

/// # The AMQP transport
///
/// Off unless `url` names a broker: then the services whose WSDL port has an `amqp://` address
/// are served from their queues on that broker. The other keys are those of [`AmqpConfig`]
/// (prefetch, reconnection back-off, invoke time-out, dead-lettering, deduplication) and
/// apply to serving and to invoking partners over AMQP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmqpSettings {
    /// The broker served queues are consumed from, as an AMQP URI.
    pub url: Option<String>,
    /// The other keys; its `url` is not used.
    transport: AmqpConfig,
}

impl AmqpSettings {
    /// The transport's configuration, when AMQP is on.
    pub fn config(&self) -> Option<AmqpConfig> {
        self.url.as_ref().map(|url| AmqpConfig {
            url: url.clone(),
            ..self.transport.clone()
        })
    }
}

impl<'de> Deserialize<'de> for AmqpSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut table = toml::Table::deserialize(deserializer)?;
        let url = match table.remove("url") {
            None => None,
            Some(toml::Value::String(url)) => Some(url),
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "amqp.url must be a string, not {}",
                    other.type_str()
                )))
            }
        };
        let transport = AmqpConfig::deserialize(toml::Value::Table(table))
            .map_err(|error| D::Error::custom(format!("amqp: {error}")))?;
        Ok(Self { url, transport })
    }
}

/// # Process execution
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct EngineConfig {
    /// Threads that run process instances; each process version lives on one of them.
    /// 0 = one per core.
    pub threads: usize,
    /// How long a request-response invoke waits for its outcome, whatever the transport,
    /// before it fails and its failure handling applies.
    pub invoke_timeout_ms: u64,
    /// What an invoke whose partner failed or broke the protocol does when it has no
    /// `<failureHandling>` of its own: raise the fault of the failure's kind (`fault`), or
    /// wait for an operator as in ODE (`recover`). Unset, `[compiler] compatibility` chooses:
    /// `recover` in ODE mode, else `fault` (see [`Configuration::partner_failure`]).
    pub partner_failure: Option<PartnerFailureMode>,
    /// How long a message that no instance correlates with yet, for an operation that does
    /// not create instances, waits for the instance that will (one created by a message sent
    /// just before it) before it is refused. Unset, `[compiler] compatibility` chooses: 10 s in
    /// ODE mode (ODE kept such messages), else 0 (see [`Configuration::early_message_wait`]).
    pub early_message_wait_ms: Option<u64>,
    /// How long an instance of an in-memory process lives, from its creation; then it is
    /// purged.
    pub in_memory_instance_ttl_ms: u64,
    /// The pause before a one-way message whose sending failed is sent again; it doubles
    /// with each failure up to `outbox_retry_max_ms`.
    pub outbox_retry_initial_ms: u64,
    /// The longest pause between two sendings of a one-way message that keeps failing.
    pub outbox_retry_max_ms: u64,
    /// The message-exchange interceptors that run for every process, by name, in order
    /// (see [`crate::interceptor`]).
    pub interceptors: Vec<String>,
    /// The most activity frames one step of an instance runs (see [`crate::budget`]).
    pub max_step_activities: u64,
    /// The most XPath/XSLT evaluation work one step does: expressions evaluated, nodes
    /// visited, instructions executed.
    pub max_step_evaluation: u64,
    /// The longest one step runs, in milliseconds.
    pub max_step_ms: u64,
    /// After this many milliseconds a step runs at the lowest priority, so that it slows
    /// itself and not the steps of other instances.
    pub low_priority_after_ms: u64,
    /// The share of one processor, in percent, that steps at low priority get together
    /// while other steps are busy.
    pub low_priority_share: u32,
    /// The most steps that run at once at normal priority; more wait their turn. 0: two
    /// per core (see [`EngineConfig::step_thread_count`]).
    pub step_threads: usize,
    /// The largest value a variable holds, in bytes of content.
    pub max_variable_bytes: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            threads: 0,
            invoke_timeout_ms: 300_000,
            partner_failure: None,
            early_message_wait_ms: None,
            in_memory_instance_ttl_ms: 600_000,
            outbox_retry_initial_ms: 1_000,
            outbox_retry_max_ms: 60_000,
            interceptors: Vec::new(),
            max_step_activities: 1_000_000,
            max_step_evaluation: 20_000_000,
            max_step_ms: 10_000,
            low_priority_after_ms: 20,
            low_priority_share: 20,
            step_threads: 0,
            max_variable_bytes: 16 * 1024 * 1024,
        }
    }
}

impl EngineConfig {
    /// How many steps run at once at normal priority: `step-threads`, or two per core when
    /// it is 0. A step is processor work without I/O, so more threads than cores add thread
    /// switches, not throughput; a step that runs long leaves the pool (see
    /// [`crate::budget`]) and a new thread takes its place.
    pub fn step_thread_count(&self) -> usize {
        match self.step_threads {
            0 => 2 * std::thread::available_parallelism().map_or(1, usize::from),
            threads => threads,
        }
    }

    /// What one step of an instance may do.
    pub fn step_limits(&self) -> crate::budget::Limits {
        crate::budget::Limits {
            activities: self.max_step_activities,
            evaluation: self.max_step_evaluation,
            time: Duration::from_millis(self.max_step_ms),
            low_priority_after: Duration::from_millis(self.low_priority_after_ms),
            variable_bytes: self.max_variable_bytes,
        }
    }

    /// The number of threads to start.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            threads => threads,
        }
    }

    /// The pause before a one-way message is sent again after its `attempt`-th failure since
    /// the server started (0 for the first).
    pub fn outbox_retry_pause(&self, attempt: u32) -> Duration {
        let doubled = self
            .outbox_retry_initial_ms
            .saturating_mul(1u64.checked_shl(attempt).unwrap_or(u64::MAX));
        Duration::from_millis(doubled.min(self.outbox_retry_max_ms))
    }
}

/// # Deployment
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct DeployConfig {
    pub dir: PathBuf,
    /// 0 disables hot deployment.
    pub poll_interval_ms: u64,
    /// The server's configuration directory, where deploy.xml's `conf:` endpoint references
    /// are read; empty means the folder of the configuration file read (`conf` when none).
    pub conf_dir: PathBuf,
    /// The largest file of a unit, in bytes.
    pub max_file_bytes: u64,
    /// The most files (or .zip entries) a unit may have.
    pub max_unit_files: usize,
    /// The largest total of a unit's files, in bytes (uncompressed, for a .zip).
    pub max_unit_bytes: u64,
}

impl Default for DeployConfig {
    fn default() -> Self {
        let limits = SourceLimits::default();
        Self {
            dir: PathBuf::from("samples"),
            poll_interval_ms: 2_000,
            conf_dir: PathBuf::new(),
            max_file_bytes: limits.max_file_size,
            max_unit_files: limits.max_files,
            max_unit_bytes: limits.max_unit_size,
        }
    }
}

impl DeployConfig {
    /// The limits a unit is read with.
    pub fn source_limits(&self) -> SourceLimits {
        SourceLimits {
            max_file_size: self.max_file_bytes,
            max_files: self.max_unit_files,
            max_unit_size: self.max_unit_bytes,
        }
    }
}

/// # The store: the database and how to reach it
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite:PATH` (a relative PATH is inside `data-dir`), `postgres://…` or `mysql://…`.
    pub url: String,
    /// The user to connect as, replacing the URL's; empty keeps the URL's.
    pub user: String,
    /// The user's password, replacing the URL's; empty keeps the URL's.
    pub password: String,
    /// Where a relative SQLite database lives.
    pub data_dir: PathBuf,
    /// The most connections open at once.
    pub max_active: u32,
    /// The most idle connections kept open (database servers).
    pub max_idle: u32,
    /// How long a request waits for a connection before it fails (database servers).
    pub max_wait_ms: u64,
    /// Whether a connection is tested before use (database servers).
    pub test_on_borrow: bool,
    /// The statement that tests a connection; empty uses the driver's ping.
    pub validation_query: String,
    /// The longest pause between two attempts to reach the database at start.
    pub retry_max_ms: u64,
    /// How long a SQLite statement waits for another connection's lock.
    pub busy_timeout_ms: u64,
    /// SQLite: "full" (durable on power loss) or "normal".
    pub synchronous: String,
    /// SQLite: the write-ahead log's pages at which a thread beside the writer copies it
    /// into the database.
    pub checkpoint_pages: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        let pool = PoolSettings::default();
        Self {
            url: "sqlite:baton.db".into(),
            user: String::new(),
            password: String::new(),
            data_dir: PathBuf::from("data"),
            max_active: pool.max_active,
            max_idle: pool.max_idle,
            max_wait_ms: u64::try_from(pool.max_wait.as_millis()).unwrap_or(u64::MAX),
            test_on_borrow: pool.test_on_borrow,
            validation_query: String::new(),
            retry_max_ms: 30_000,
            busy_timeout_ms: 5_000,
            synchronous: "full".into(),
            checkpoint_pages: SqliteConfig::default().checkpoint_pages,
        }
    }
}

impl StoreConfig {
    /// The datasource these settings describe, a relative SQLite path resolved in
    /// `data_dir`.
    pub fn datasource(&self) -> Datasource {
        let url = match Backend::of(&self.url) {
            Ok(Backend::Sqlite) => {
                let path = self.url.strip_prefix("sqlite:").unwrap_or(&self.url);
                let path = path.strip_prefix("//").unwrap_or(path);
                self.data_dir.join(path).to_string_lossy().into_owned()
            }
            _ => self.url.clone(),
        };
        let text = |value: &str| (!value.is_empty()).then(|| value.to_owned());
        Datasource {
            url,
            user: text(&self.user),
            password: text(&self.password),
            pool: PoolSettings {
                max_active: self.max_active,
                max_idle: self.max_idle,
                max_wait: Duration::from_millis(self.max_wait_ms),
                test_on_borrow: self.test_on_borrow,
                validation_query: text(&self.validation_query),
            },
            sqlite: SqliteConfig {
                max_connections: self.max_active,
                busy_timeout_ms: self.busy_timeout_ms,
                synchronous: match self.synchronous.as_str() {
                    "normal" => Synchronous::Normal,
                    _ => Synchronous::Full,
                },
                checkpoint_pages: self.checkpoint_pages,
            },
        }
    }

    /// Every problem of these settings.
    fn problems(&self, problems: &mut Vec<String>) {
        match Backend::of(&self.url) {
            Err(_) => problems.push(format!(
                "store.url \"{}\" names no database: use sqlite:PATH, postgres://… or mysql://…",
                self.datasource().display_url()
            )),
            Ok(Backend::Sqlite) => {
                if !self.user.is_empty() || !self.password.is_empty() {
                    problems.push("store.user and store.password do not apply to SQLite".into());
                }
            }
            Ok(_) => {
                if let Err(error) = self.datasource().check() {
                    problems.push(format!("store.url: {error}"));
                }
            }
        }
        if !matches!(self.synchronous.as_str(), "full" | "normal") {
            problems.push(format!(
                "store.synchronous must be \"full\" or \"normal\", not \"{}\"",
                self.synchronous
            ));
        }
        if self.checkpoint_pages == 0 {
            problems.push("store.checkpoint-pages must be positive".into());
        }
        if self.max_active == 0 {
            problems.push("store.max-active must be positive".into());
        }
        if self.max_idle > self.max_active {
            problems.push(format!(
                "store.max-idle ({}) must not exceed store.max-active ({})",
                self.max_idle, self.max_active
            ));
        }
        if self.max_wait_ms == 0 {
            problems.push("store.max-wait-ms must be positive".into());
        }
        if self.retry_max_ms == 0 {
            problems.push("store.retry-max-ms must be positive".into());
        }
        if !self.test_on_borrow && !self.validation_query.is_empty() {
            problems.push("store.validation-query is set but store.test-on-borrow is false".into());
        }
    }
}

/// # Dehydration of idle instances
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct DehydrationConfig {
    pub enabled: bool,
    pub max_count: usize,
    pub max_age_ms: u64,
    pub check_interval_ms: u64,
}

impl Default for DehydrationConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_count: 10_000,
            max_age_ms: 1_200_000,
            check_interval_ms: 10_000,
        }
    }
}

/// # The built-in `header-propagation` interceptor
///
/// See [`crate::interceptor::header_propagation`].
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct HeaderPropagationConfig {
    /// The SOAP header blocks to carry, as `{namespace}local` names.
    pub headers: Vec<String>,
}

impl HeaderPropagationConfig {
    /// The names of the headers to carry (those that are names: see [`Configuration::validate`]).
    pub fn header_names(&self) -> Vec<crate::xml::QName> {
        self.headers
            .iter()
            .filter_map(|name| header_name(name).ok())
            .collect()
    }
}

/// Reads a header name written `{namespace}local` (or `local` for a name in no namespace).
fn header_name(text: &str) -> Result<crate::xml::QName, String> {
    let invalid = || format!("'{text}' is not a header name: write {{namespace}}local");
    let (namespace, local) = match text.strip_prefix('{') {
        Some(rest) => rest.split_once('}').ok_or_else(invalid)?,
        None => ("", text),
    };
    if !crate::xml::is_ncname(local) {
        return Err(invalid());
    }
    Ok(crate::xml::QName::new(namespace, local))
}

/// Command-line overrides, the last layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub deploy_dir: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub port: Option<u16>,
}

impl Configuration {
    /// Reads the configuration: `file` if given (it must exist), else `conf/baton.toml` when
    /// present; then the environment; then `overrides`; then validates.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, Error> {
        let default_file = Path::new("conf/baton.toml");
        let path = match file {
            Some(path) => Some(path),
            None if default_file.exists() => Some(default_file),
            None => None,
        };
        let mut table = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
                    path: path.to_owned(),
                    source,
                })?;
                text.parse::<toml::Table>().map_err(|error| Error::Parse {
                    path: path.to_owned(),
                    message: error.to_string(),
                })?
            }
            None => toml::Table::new(),
        };
        apply_environment(&mut table, std::env::vars())?;
        let mut configuration: Configuration =
            toml::Value::Table(table)
                .try_into()
                .map_err(|error: toml::de::Error| Error::Parse {
                    path: path
                        .map(Path::to_owned)
                        .unwrap_or_else(|| "environment".into()),
                    message: error.to_string(),
                })?;
        if configuration.deploy.conf_dir.as_os_str().is_empty() {
            let folder = path.map(|path| path.parent().unwrap_or(Path::new("")));
            configuration.deploy.conf_dir = match folder {
                Some(folder) if folder.as_os_str().is_empty() => PathBuf::from("."),
                Some(folder) => folder.to_owned(),
                None => PathBuf::from("conf"),
            };
        }
        if let Some(dir) = &overrides.deploy_dir {
            configuration.deploy.dir = dir.clone();
        }
        if let Some(dir) = &overrides.data_dir {
            configuration.store.data_dir = dir.clone();
        }
        if let Some(port) = overrides.port {
            configuration.server.port = port;
        }
        configuration.validate()?;
        Ok(configuration)
    }

    /// Checks every setting and reports every problem.
    pub fn validate(&self) -> Result<(), Error> {
        let mut problems = Vec::new();
        if self.bind_address().is_err() {
            problems.push(format!(
                "server.host '{}' with port {} is not an address to listen on",
                self.server.host, self.server.port
            ));
        }
        if self.server.max_body_bytes == 0 {
            problems.push("server.max-body-bytes must be positive".into());
        }
        if self.server.reply_timeout_ms == 0 {
            problems.push("server.reply-timeout-ms must be positive".into());
        }
        if self.server.body_read_timeout_ms == 0 {
            problems.push("server.body-read-timeout-ms must be positive".into());
        }
        if let Some(url) = &self.server.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                problems.push(format!(
                    "server.public-url '{url}' must be an http:// or https:// URL"
                ));
            }
        }
        problems.extend(self.xml.problems());
        if self.engine.invoke_timeout_ms == 0 {
            problems.push("engine.invoke-timeout-ms must be positive".into());
        }
        if self.engine.outbox_retry_initial_ms == 0
            || self.engine.outbox_retry_max_ms < self.engine.outbox_retry_initial_ms
        {
            problems.push(
                "engine.outbox-retry-initial-ms must be positive and at most engine.outbox-retry-max-ms"
                    .into(),
            );
        }
        let deploy = &self.deploy;
        if deploy.max_file_bytes == 0 || deploy.max_unit_files == 0 || deploy.max_unit_bytes == 0 {
            problems.push(
                "deploy.max-file-bytes, max-unit-files and max-unit-bytes must be positive".into(),
            );
        }
        self.store.problems(&mut problems);
        if self.http_client.max_connections_per_host == 0
            || self.http_client.max_total_connections == 0
        {
            problems.push("http-client connection limits must be positive".into());
        }
        if self.amqp.url.as_deref().is_some_and(str::is_empty) {
            problems.push("amqp.url must name a broker, or be left out to turn AMQP off".into());
        }
        for (key, value) in [
            ("server.shutdown-grace-ms", self.server.shutdown_grace_ms),
            (
                "engine.max-step-activities",
                self.engine.max_step_activities,
            ),
            (
                "engine.max-step-evaluation",
                self.engine.max_step_evaluation,
            ),
            ("engine.max-step-ms", self.engine.max_step_ms),
            (
                "engine.max-variable-bytes",
                self.engine.max_variable_bytes as u64,
            ),
        ] {
            if value == 0 {
                problems.push(format!("{key} must be positive"));
            }
        }
        if !(1..=100).contains(&self.engine.low_priority_share) {
            problems.push("engine.low-priority-share must be a percentage from 1 to 100".into());
        }
        if self.engine.in_memory_instance_ttl_ms == 0 {
            problems.push("engine.in-memory-instance-ttl-ms must be positive".into());
        }
        if self.dehydration.enabled && self.dehydration.check_interval_ms == 0 {
            problems.push("dehydration.check-interval-ms must be positive".into());
        }
        for name in &self.header_propagation.headers {
            if let Err(problem) = header_name(name) {
                problems.push(format!("header-propagation.headers: {problem}"));
            }
        }
        self.auth.credentials().problems("auth", &mut problems);
        self.events.problems(&mut problems);
        self.cleanup.problems(&mut problems);
        if self.auth.max_failed_logins == 0 {
            problems.push("auth.max-failed-logins must be positive".into());
        }
        if self.auth.failed_login_window_ms == 0 {
            problems.push("auth.failed-login-window-ms must be positive".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(problems))
        }
    }

    pub fn bind_address(&self) -> Result<SocketAddr, std::net::AddrParseError> {
        format!("{}:{}", self.server.host, self.server.port).parse()
    }
}

/// The variables the command line reads its credentials from (see [`crate::cli`]); they
/// are not configuration.
pub const CREDENTIAL_VARIABLES: [&str; 3] = ["BATON_TOKEN", "BATON_USER", "BATON_PASSWORD"];

/// Applies `BATON_SECTION__KEY=value` variables onto the table; values are read as TOML
/// when they parse (numbers, booleans), else as strings.
fn apply_environment(
    table: &mut toml::Table,
    variables: impl Iterator<Item = (String, String)>,
) -> Result<(), Error> {
    for (name, value) in variables {
        if CREDENTIAL_VARIABLES.contains(&name.as_str()) {
            continue;
        }
        let Some(path) = name.strip_prefix("BATON_") else {
            continue;
        };
        let keys: Vec<String> = path
            .split("__")
            .map(|key| key.to_ascii_lowercase().replace('_', "-"))
            .collect();
        let [section, key] = keys.as_slice() else {
            return Err(Error::Environment {
                name,
                message: "expected BATON_<SECTION>__<KEY>".into(),
            });
        };
        let parsed = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(value));
        let entry = table
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(section_table) = entry else {
            return Err(Error::Environment {
                name,
                message: format!("{section} is not a section"),
            });
        };
        section_table.insert(key.clone(), parsed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::QName;

    #[test]
    fn header_names_are_read_in_clark_notation() {
        assert_eq!(
            header_name("{urn:example:trace}TraceId"),
            Ok(QName::new("urn:example:trace", "TraceId"))
        );
        assert_eq!(header_name("Tenant"), Ok(QName::local("Tenant")));
        for bad in ["", "{urn:x}", "{urn:x", "{urn:x}a b", "{urn:x}1a", "a:b"] {
            let error = header_name(bad).unwrap_err();
            assert!(error.contains("is not a header name"), "{bad}: {error}");
        }
    }

    #[test]
    fn every_file_in_conf_parses_and_equals_the_defaults() {
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/conf")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).unwrap();
                let configuration: Configuration = toml::from_str(&text).unwrap();
                configuration.validate().unwrap();
                if path.file_name().is_some_and(|n| n == "baton.toml") {
                    assert_eq!(
                        configuration,
                        Configuration::default(),
                        "{}",
                        path.display()
                    );
                }
            }
        }
    }

    #[test]
    fn environment_overrides_file_values() {
        let mut table: toml::Table = "[server]\nport = 1\n".parse().unwrap();
        let variables = vec![
            ("BATON_SERVER__PORT".to_string(), "9090".to_string()),
            ("BATON_DEPLOY__DIR".to_string(), "units".to_string()),
            ("PATH".to_string(), "/bin".to_string()),
        ];
        apply_environment(&mut table, variables.into_iter()).unwrap();
        let configuration: Configuration = toml::Value::Table(table).try_into().unwrap();
        assert_eq!(configuration.server.port, 9090);
        assert_eq!(configuration.deploy.dir, PathBuf::from("units"));
    }

    #[test]
    fn validation_reports_every_problem() {
        let mut configuration = Configuration::default();
        configuration.server.host = "not a host".into();
        configuration.store.synchronous = "sometimes".into();
        configuration.store.checkpoint_pages = 0;
        configuration.server.max_body_bytes = 0;
        configuration.engine.in_memory_instance_ttl_ms = 0;
        let Err(Error::Invalid(problems)) = configuration.validate() else {
            panic!()
        };
        assert_eq!(problems.len(), 5, "{problems:?}");
    }

    #[test]
    fn failed_one_way_messages_are_sent_again_after_pauses_that_double_up_to_a_bound() {
        let mut configuration = Configuration::default();
        let engine = &configuration.engine;
        let pauses: Vec<u64> = [0, 1, 2, 5, 6, 40, 200]
            .into_iter()
            .map(|attempt| engine.outbox_retry_pause(attempt).as_millis() as u64)
            .collect();
        assert_eq!(
            pauses,
            [1_000, 2_000, 4_000, 32_000, 60_000, 60_000, 60_000]
        );
        configuration.engine.outbox_retry_max_ms = 999;
        let Err(Error::Invalid(problems)) = configuration.validate() else {
            panic!("a bound below the first pause passed")
        };
        assert_eq!(
            problems,
            ["engine.outbox-retry-initial-ms must be positive and at most engine.outbox-retry-max-ms"]
        );
    }

    #[test]
    fn unit_size_limits_are_read_and_must_be_positive() {
        let mut table: toml::Table = "[deploy]\nmax-unit-bytes = 1000\n".parse().unwrap();
        let variables = vec![("BATON_DEPLOY__MAX_UNIT_FILES".to_string(), "7".to_string())];
        apply_environment(&mut table, variables.into_iter()).unwrap();
        let mut configuration: Configuration = toml::Value::Table(table).try_into().unwrap();
        let limits = configuration.deploy.source_limits();
        assert_eq!((limits.max_unit_size, limits.max_files), (1000, 7));
        assert_eq!(limits.max_file_size, 16 * 1024 * 1024);
        configuration.deploy.max_unit_bytes = 0;
        let Err(Error::Invalid(problems)) = configuration.validate() else {
            panic!("a zero unit size passed")
        };
        assert_eq!(
            problems,
            ["deploy.max-file-bytes, max-unit-files and max-unit-bytes must be positive"]
        );
    }

    #[test]
    fn request_bounds_are_checked() {
        let mut configuration = Configuration::default();
        configuration.server.body_read_timeout_ms = 0;
        configuration.server.public_url = Some("bpel.example.com".into());
        configuration.xml.max_attributes = 0;
        configuration.xml.max_namespaces_in_scope = 0;
        let Err(Error::Invalid(problems)) = configuration.validate() else {
            panic!()
        };
        assert_eq!(
            problems,
            [
                "server.body-read-timeout-ms must be positive",
                "server.public-url 'bpel.example.com' must be an http:// or https:// URL",
                "xml.max-attributes must be at least 1",
                "xml.max-namespaces-in-scope must be at least 1",
            ]
        );
    }

    #[test]
    fn steps_have_a_budget_and_shutdown_a_grace_period_all_positive() {
        let mut configuration = Configuration::default();
        let limits = configuration.engine.step_limits();
        assert_eq!(
            (
                limits.activities,
                limits.evaluation,
                limits.time,
                limits.variable_bytes
            ),
            (
                1_000_000,
                20_000_000,
                Duration::from_secs(10),
                16 * 1024 * 1024
            )
        );
        assert_eq!(configuration.server.shutdown_grace_ms, 10_000);
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(configuration.engine.step_thread_count(), 2 * cores);
        configuration.engine.step_threads = 3;
        assert_eq!(configuration.engine.step_thread_count(), 3);
        configuration.engine.max_step_activities = 0;
        configuration.engine.max_step_evaluation = 0;
        configuration.engine.max_step_ms = 0;
        configuration.engine.max_variable_bytes = 0;
        configuration.server.shutdown_grace_ms = 0;
        let Err(Error::Invalid(problems)) = configuration.validate() else {
            panic!("zero limits passed")
        };
        assert_eq!(
            problems,
            [
                "server.shutdown-grace-ms must be positive",
                "engine.max-step-activities must be positive",
                "engine.max-step-evaluation must be positive",
                "engine.max-step-ms must be positive",
                "engine.max-variable-bytes must be positive",
            ]
        );
    }

    #[test]
    fn invokes_wait_five_minutes_by_default_and_never_forever() {
        let mut configuration = Configuration::default();
        assert_eq!(configuration.engine.invoke_timeout_ms, 300_000);
        configuration.engine.invoke_timeout_ms = 0;
        let Err(Error::Invalid(problems)) = configuration.validate() else {
            panic!("a zero invoke time-out passed")
        };
        assert_eq!(problems, ["engine.invoke-timeout-ms must be positive"]);
    }

    #[test]
    fn early_messages_wait_in_the_ode_mode_or_as_set() {
        let mut configuration = Configuration::default();
        assert!(configuration.early_message_wait().is_zero());
        configuration.compiler.compatibility = Compatibility::Ode;
        assert_eq!(configuration.early_message_wait(), Duration::from_secs(10));
        configuration.engine.early_message_wait_ms = Some(250);
        assert_eq!(
            configuration.early_message_wait(),
            Duration::from_millis(250)
        );
    }

    #[test]
    fn partner_failures_fault_unless_set_to_wait_for_an_operator() {
        assert_eq!(
            Configuration::default().partner_failure(),
            PartnerFailureMode::Fault
        );
        let mut ode = Configuration::default();
        ode.compiler.compatibility = Compatibility::Ode;
        assert_eq!(ode.partner_failure(), PartnerFailureMode::Recover, "as ODE");
        ode.engine.partner_failure = Some(PartnerFailureMode::Fault);
        assert_eq!(ode.partner_failure(), PartnerFailureMode::Fault, "as set");
        let mut table = toml::Table::new();
        let variables = [(
            "BATON_ENGINE__PARTNER_FAILURE".to_string(),
            "recover".to_string(),
        )];
        apply_environment(&mut table, variables.into_iter()).unwrap();
        let configuration: Configuration = toml::Value::Table(table).try_into().unwrap();
        assert_eq!(configuration.partner_failure(), PartnerFailureMode::Recover);
        let error = toml::from_str::<Configuration>("[engine]\npartner-failure = \"retry\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown variant `retry`"), "{error}");
    }

    #[test]
    fn interceptors_and_header_names_are_read_and_checked() {
        let mut table: toml::Table =
            "[header-propagation]\nheaders = [\"{urn:t}Trace\", \"no good\"]\n"
                .parse()
                .unwrap();
        let variables = [(
            "BATON_ENGINE__INTERCEPTORS".to_string(),
            r#"["header-propagation", "audit"]"#.to_string(),
        )];
        apply_environment(&mut table, variables.into_iter()).unwrap();
        let configuration: Configuration = toml::Value::Table(table).try_into().unwrap();
        assert_eq!(
            configuration.engine.interceptors,
            ["header-propagation", "audit"]
        );
        assert_eq!(
            configuration.header_propagation.header_names(),
            [crate::xml::QName::new("urn:t", "Trace")]
        );
        let Err(Error::Invalid(problems)) = configuration.validate() else {
            panic!()
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("header-propagation.headers: 'no good' is not a header name"),
            "{problems:?}"
        );
    }

    #[test]
    fn every_bad_store_setting_is_reported() {
        let mut configuration = Configuration::default();
        configuration.store.url = "oracle://db/baton".into();
        let mut bad_port = configuration.clone();
        bad_port.store.url = "postgres://db:port/baton".into();
        let Err(Error::Invalid(port_problems)) = bad_port.validate() else {
            panic!()
        };
        assert_eq!(port_problems.len(), 1, "{port_problems:?}");
        assert!(
            port_problems[0].starts_with("store.url: not a location this store can open"),
            "{port_problems:?}"
        );
        configuration.store.max_active = 0;
        configuration.store.max_idle = 4;
        configuration.store.max_wait_ms = 0;
        configuration.store.retry_max_ms = 0;
        configuration.store.test_on_borrow = false;
        configuration.store.validation_query = "SELECT 1".into();
        let Err(Error::Invalid(problems)) = configuration.validate() else {
            panic!()
        };
        let expected = [
            "store.url \"oracle://db/baton\" names no database",
            "store.max-active must be positive",
            "store.max-idle (4) must not exceed store.max-active (0)",
            "store.max-wait-ms must be positive",
            "store.retry-max-ms must be positive",
            "store.validation-query is set but store.test-on-borrow is false",
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:?}");
        for (problem, start) in problems.iter().zip(expected) {
            assert!(
                problem.starts_with(start),
                "{problem} should start with {start}"
            );
        }
    }

    #[test]
    fn credentials_apart_from_the_url_are_used_and_hidden() {
        let mut configuration = Configuration::default();
        configuration.store.url = "postgres://db.example:5432/baton".into();
        configuration.store.user = "baton".into();
        configuration.store.password = "s3cret".into();
        configuration.validate().unwrap();
        let datasource = configuration.store.datasource();
        assert_eq!(
            datasource.connect_url().unwrap(),
            "postgres://baton:s3cret@db.example:5432/baton"
        );
        let mut in_url = configuration.store.clone();
        in_url.url = datasource.connect_url().unwrap();
        (in_url.user, in_url.password) = (String::new(), String::new());
        assert_eq!(
            in_url.datasource().display_url(),
            "postgres://baton:***@db.example:5432/baton"
        );
    }

    #[test]
    fn a_relative_sqlite_database_is_in_the_data_directory() {
        let mut store = StoreConfig {
            data_dir: PathBuf::from("/var/lib/baton"),
            ..StoreConfig::default()
        };
        assert_eq!(store.datasource().url, "/var/lib/baton/baton.db");
        store.url = "sqlite:/srv/baton.db".into();
        assert_eq!(store.datasource().url, "/srv/baton.db");
        store.user = "someone".into();
        let configuration = Configuration {
            store,
            ..Configuration::default()
        };
        let Err(Error::Invalid(problems)) = configuration.validate() else {
            panic!()
        };
        assert_eq!(
            problems,
            ["store.user and store.password do not apply to SQLite"]
        );
    }

    #[test]
    fn amqp_is_off_without_a_url_and_composes_the_transport_config() {
        let off: Configuration = toml::from_str("[amqp]\nprefetch = 4\n").unwrap();
        assert_eq!(off.amqp.config(), None);
        assert_eq!(off.amqp.transport.prefetch, 4);
        let on: Configuration =
            toml::from_str("[amqp]\nurl = \"amqp://broker/%2f\"\ninvoke-timeout-ms = 5\n").unwrap();
        let config = on.amqp.config().unwrap();
        assert_eq!(config.url, "amqp://broker/%2f");
        assert_eq!(config.invoke_timeout_ms, 5);
        assert_eq!(config.prefetch, AmqpConfig::default().prefetch);
        let error = toml::from_str::<Configuration>("[amqp]\nprefetsh = 4\n").unwrap_err();
        assert!(error.to_string().contains("prefetsh"), "{error}");
        let error = toml::from_str::<Configuration>("[amqp]\nurl = 1\n").unwrap_err();
        assert!(error.to_string().contains("string"), "{error}");
    }

    #[test]
    fn accounts_and_the_login_limit_are_read_and_checked() {
        let hash = crate::auth::hash_password("pw").unwrap();
        let variables = [
            (
                "BATON_AUTH__USERS".to_string(),
                format!(r#"[{{ name = "ann", role = "operator", password-hash = "{hash}" }}]"#),
            ),
            ("BATON_AUTH__MAX_FAILED_LOGINS".to_string(), "0".to_string()),
            ("BATON_TOKEN".to_string(), "baton_x".to_string()),
            ("BATON_PASSWORD".to_string(), "pw".to_string()),
        ];
        let mut table = toml::Table::new();
        apply_environment(&mut table, variables.into_iter()).unwrap();
        let configuration: Configuration = toml::Value::Table(table).try_into().unwrap();
        assert_eq!(
            configuration.auth.users[0].role,
            crate::auth::Role::Operator
        );
        let Err(Error::Invalid(problems)) = configuration.validate() else {
            panic!()
        };
        assert_eq!(problems, ["auth.max-failed-logins must be positive"]);
        let error = toml::from_str::<Configuration>(
            "[auth]\nusers = [{ name = \"a\", role = \"root\", password-hash = \"x\" }]\n",
        )
        .unwrap_err();
        assert!(error.to_string().contains("root"), "{error}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = toml::from_str::<Configuration>("[server]\nprot = 1\n").unwrap_err();
        assert!(error.to_string().contains("prot"), "{error}");
    }

    #[test]
    fn the_configuration_directory_is_the_folder_of_the_file_read_unless_set() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("baton.toml");
        std::fs::write(&file, "[server]\nport = 9\n").unwrap();
        let loaded = Configuration::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(loaded.deploy.conf_dir, dir.path());
        std::fs::write(&file, "[deploy]\nconf-dir = \"/etc/baton\"\n").unwrap();
        let loaded = Configuration::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(loaded.deploy.conf_dir, Path::new("/etc/baton"));
    }
}
