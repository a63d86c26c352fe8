//! Baton's configuration: [`Configuration`] is read in layers (built-in defaults, then
//! `conf/baton.toml` or the file given, then `BATON_<SECTION>__<KEY>` environment variables,
//! then command-line flags) and validated once, reporting every problem at the same time.
//!
//! Each transport owns its own settings type (for example
//! [`baton_transports::http::HttpClientConfig`] and [`baton_transports::amqp::AmqpConfig`]);
//! this module composes them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use baton_transports::amqp::AmqpConfig;
use baton_transports::http::HttpClientConfig;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

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
    pub engine: EngineConfig,
    pub deploy: DeployConfig,
    pub store: StoreConfig,
    pub http_client: HttpClientConfig,
    pub amqp: AmqpSettings,
    pub dehydration: DehydrationConfig,
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
    /// Whether the management API is served under `/admin` on the same port.
    pub admin: bool,
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
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct EngineConfig {
    /// Threads that run process instances; each process version lives on one of them.
    /// 0 = one per core.
    pub threads: usize,
}

impl EngineConfig {
    /// The number of threads to start.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            threads => threads,
        }
    }
}

/// # Deployment
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct DeployConfig {
    pub dir: PathBuf,
    /// 0 disables hot deployment.
    pub poll_interval_ms: u64,
}

impl Default for DeployConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("samples"),
            poll_interval_ms: 2_000,
        }
    }
}

/// # The embedded SQLite store
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct StoreConfig {
    pub data_dir: PathBuf,
    pub file: PathBuf,
    pub max_connections: u32,
    pub busy_timeout_ms: u64,
    /// "full" (durable on power loss) or "normal".
    pub synchronous: String,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            file: PathBuf::from("baton.db"),
            max_connections: 8,
            busy_timeout_ms: 5_000,
            synchronous: "full".into(),
        }
    }
}

impl StoreConfig {
    /// The database file: `file` inside `data_dir` unless `file` is absolute.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join(&self.file)
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
        if !matches!(self.store.synchronous.as_str(), "full" | "normal") {
            problems.push(format!(
                "store.synchronous must be \"full\" or \"normal\", not \"{}\"",
                self.store.synchronous
            ));
        }
        if self.store.max_connections == 0 {
            problems.push("store.max-connections must be positive".into());
        }
        if self.http_client.max_connections_per_host == 0
            || self.http_client.max_total_connections == 0
        {
            problems.push("http-client connection limits must be positive".into());
        }
        if self.amqp.url.as_deref().is_some_and(str::is_empty) {
            problems.push("amqp.url must name a broker, or be left out to turn AMQP off".into());
        }
        if self.dehydration.enabled && self.dehydration.check_interval_ms == 0 {
            problems.push("dehydration.check-interval-ms must be positive".into());
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

/// Applies `BATON_SECTION__KEY=value` variables onto the table; values are read as TOML
/// when they parse (numbers, booleans), else as strings.
fn apply_environment(
    table: &mut toml::Table,
    variables: impl Iterator<Item = (String, String)>,
) -> Result<(), Error> {
    for (name, value) in variables {
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
        configuration.server.max_body_bytes = 0;
        let Err(Error::Invalid(problems)) = configuration.validate() else {
            panic!()
        };
        assert_eq!(problems.len(), 3, "{problems:?}");
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
    fn unknown_keys_are_refused() {
        let error = toml::from_str::<Configuration>("[server]\nprot = 1\n").unwrap_err();
        assert!(error.to_string().contains("prot"), "{error}");
    }
}
