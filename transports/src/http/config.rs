//! Configuration of the HTTP server and client, read with serde (kebab-case keys) and with
//! defaults for every field.

use std::net::{Ipv4Addr, SocketAddr};

use serde::Deserialize;

use crate::error::Error;
use crate::xml::XmlLimits;

/// How the inbound HTTP server listens and behaves.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct HttpServerConfig {
    /// The address to listen on; the caller binds it and passes the listener to
    /// [`serve`](crate::http::serve).
    pub bind: SocketAddr,
    /// The largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// The number of worker threads.
    pub workers: usize,
    /// How long an idle keep-alive connection stays open.
    pub keep_alive_secs: u64,
    /// How long a client may take to send the request head.
    pub client_request_timeout_ms: u64,
    /// How long a client may take to send the request body once its head has arrived; then
    /// it gets 408 and the connection is closed.
    pub body_read_timeout_ms: u64,
    /// Request bodies larger than this are read as SOAP on the blocking thread pool, so that
    /// the workers stay free to accept connections and answer others.
    pub blocking_parse_bytes: usize,
    /// The bounds on what a request's XML may contain.
    pub xml_limits: XmlLimits,
    /// The base URL (`scheme://host[:port]`) written into service descriptions; when unset,
    /// the address the server listens on, or what the request says when
    /// `trust_forwarded_headers` is set.
    pub public_url: Option<String>,
    /// Whether the request's Host, Forwarded and X-Forwarded-* headers may name the base URL
    /// of service descriptions (only behind a proxy that sets them).
    pub trust_forwarded_headers: bool,
    /// How long in-flight requests may take to finish once shutdown starts.
    pub shutdown_timeout_secs: u64,
}

impl Default for HttpServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            max_body_bytes: 4 * 1024 * 1024,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            keep_alive_secs: 5,
            client_request_timeout_ms: 5_000,
            body_read_timeout_ms: 10_000,
            blocking_parse_bytes: 64 * 1024,
            xml_limits: XmlLimits::default(),
            public_url: None,
            trust_forwarded_headers: false,
            shutdown_timeout_secs: 30,
        }
    }
}

impl HttpServerConfig {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.workers == 0 {
            return Err(Error::Config("workers must be at least 1".into()));
        }
        if self.body_read_timeout_ms == 0 {
            return Err(Error::Config(
                "body-read-timeout-ms must be at least 1".into(),
            ));
        }
        if let Some(problem) = self.xml_limits.problems().into_iter().next() {
            return Err(Error::Config(problem));
        }
        Ok(())
    }
}

/// How outbound calls are made.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct HttpClientConfig {
    /// The most connections (calls in flight) to one host:port.
    pub max_connections_per_host: usize,
    /// The most connections (calls in flight) overall.
    pub max_total_connections: usize,
    /// Whether connections are kept open and reused between calls.
    pub keep_alive: bool,
    /// The time allowed to establish a connection.
    pub connect_timeout_ms: u64,
    /// The time allowed for a whole call, waiting for a free connection included.
    pub request_timeout_ms: u64,
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        Self {
            max_connections_per_host: 20,
            max_total_connections: 100,
            keep_alive: true,
            connect_timeout_ms: 10_000,
            request_timeout_ms: 120_000,
        }
    }
}

impl HttpClientConfig {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.max_connections_per_host == 0 || self.max_total_connections == 0 {
            return Err(Error::Config("connection limits must be at least 1".into()));
        }
        if self.connect_timeout_ms == 0 || self.request_timeout_ms == 0 {
            return Err(Error::Config("time-outs must be at least 1 ms".into()));
        }
        Ok(())
    }
}
