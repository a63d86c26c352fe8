//! Baton: a WS-BPEL 2.0 process server. This crate holds the BPEL semantics and everything
//! around them: the XML tree and XPath evaluator, the process model and its compiler, the
//! runtime state machine, the store, the engine that runs processes as actors
//! ([`baton_actors`]) behind transports ([`baton_transports`]), configuration and the server.
//!
//! # Layout
//! - [`xml`], [`xpath`], [`xslt`]: documents, expressions and stylesheets.
//! - [`model`], [`compiler`]: deployment units and their compiled form.
//! - [`extension`] (part of [`runtime`]): extension bundles, the Rust operations behind extension activities and
//!   extension assign operations.
//! - [`interceptor`]: message-exchange interceptors, Rust code that reads, changes or refuses
//!   the messages processes receive and send; [`plugins`]: what a program running Baton adds.
//! - [`runtime`]: BPEL semantics as a pure state machine; [`budget`]: what one of its steps
//!   may do.
//! - [`store`]: durable state behind traits (embedded SQLite by default).
//! - [`engine`]: process versions, instances and partner links as actors; routing.
//! - [`events`]: the listeners the BPEL events of committed steps go to.
//! - [`deploy`]: the deploy directory, versions and retirement.
//! - [`config`], [`server`], [`cli`]: configuration, `baton serve` and the command line;
//!   [`import`]: `baton import-config`, an ODE or BPS configuration made Baton's.
//! - [`query`]: ODE's filter languages, made queries of the store.
//! - [`admin`]: the management API on the server's HTTP port, and its client; [`auth`]: the
//!   users, roles and tokens it lets in.
//! - [`metrics`]: what the server measures, served to Prometheus on its HTTP port.

pub mod admin;
pub mod auth;
pub mod budget;
pub mod cli;
pub mod compiler;
pub mod config;
pub mod deploy;
pub mod engine;
pub mod events;
pub mod import;
pub mod interceptor;
pub mod metrics;
pub mod model;
pub mod plugins;
pub mod query;
pub mod runtime;
pub mod server;
pub mod store;
pub mod xml;
pub mod xpath;
pub mod xslt;

pub use runtime::extension;
