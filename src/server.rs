//! `baton serve`: opens the store, starts the engine, installs the deployments, declares the
//! queues of services bound to AMQP, resumes the instances that were running, and serves
//! SOAP/HTTP (and the [`admin`] API, for the accounts of [`auth`]), and those queues when
//! `[amqp]` names a broker, until shut down; meanwhile it purges in-memory instances that
//! outlive their time to live. Calls to a service whose deploy.xml requires credentials are
//! admitted by `admission` before the engine sees them. `GET /metrics` serves the
//! [`metrics`](crate::metrics), and each transport times the messages it hands the engine.

mod admission;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use baton_transports::amqp::{self, AmqpConfig};
use baton_transports::http::{self, HttpServerConfig};
use tokio_util::sync::CancellationToken;

use crate::admin;
use crate::auth::{self, Accounts, AccountsFile};
use crate::config::Configuration;
use crate::deploy::Deployer;
use crate::engine::Engine;
use crate::interceptor::{ServerInterceptors, UnknownInterceptor};
use crate::metrics::{self, Measured, Transport};
use crate::plugins::PlugIns;
use crate::store::Store;

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("cannot open the store at {url}: {source}")]
    Store {
        url: String,
        source: crate::store::Error,
    },
    #[error(transparent)]
    Deploy(#[from] crate::deploy::Error),
    #[error(transparent)]
    Engine(#[from] crate::engine::Error),
    #[error(transparent)]
    Transport(#[from] baton_transports::Error),
    #[error("[engine] interceptors: {0}")]
    Interceptors(UnknownInterceptor),
    #[error("accounts: {0}")]
    Accounts(#[from] crate::auth::AccountsError),
    #[error(transparent)]
    Events(#[from] crate::events::StartError),
}

/// Opens the store the configuration names, bringing its schema up to date. While the
/// database cannot be reached, logs one line per attempt and tries again, doubling the pause
/// from one second up to `store.retry-max-ms`; any other failure is returned.
pub async fn open_store(config: &Configuration) -> Result<Arc<dyn Store>, Error> {
    let datasource = config.store.datasource();
    let url = datasource.display_url();
    let most = Duration::from_millis(config.store.retry_max_ms);
    let mut pause = Duration::from_secs(1).min(most);
    loop {
        match datasource.open().await {
            Ok(store) => return Ok(store),
            Err(crate::store::Error::Unavailable(reason)) => {
                tracing::error!(
                    "The store at {url} is unreachable ({reason}); retrying in {} ms",
                    pause.as_millis()
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(most);
            }
            Err(source) => return Err(Error::Store { url, source }),
        }
    }
}

/// The accounts the management API lets in. On a first start with none, the user
/// [`auth::FIRST_USER`] is created and its password printed on standard output, this once.
fn open_accounts(config: &Configuration) -> Result<Accounts, Error> {
    let opened = Accounts::open(
        config.auth.credentials(),
        config.store.data_dir.clone(),
        config.auth.login_limit(),
    )?;
    if let Some(password) = opened.first_password {
        println!(
            "*** Baton: created the user '{}' (role admin) with the password {password}\n\
             *** It is shown this once: keep it, or change it with `baton user passwd {}`.",
            auth::FIRST_USER,
            auth::FIRST_USER
        );
        tracing::warn!(
            user = auth::FIRST_USER,
            accounts = %AccountsFile::in_dir(&config.store.data_dir).path().display(),
            "No account configured: created the first user; its password is printed once on \
             standard output"
        );
    }
    Ok(opened.accounts)
}

/// Binds the configured address (port 0 picks a free port).
pub fn bind(config: &Configuration) -> Result<TcpListener, Error> {
    let address = format!("{}:{}", config.server.host, config.server.port);
    TcpListener::bind(&address).map_err(|source| Error::Bind { address, source })
}

/// Runs the server on `listener` with `plugins` until `shutdown` is cancelled.
pub async fn run(
    config: Configuration,
    plugins: PlugIns,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let local = listener.local_addr().map_err(|source| Error::Bind {
        address: "listener".into(),
        source,
    })?;
    let interceptors = ServerInterceptors::configure(&config, &plugins.interceptors)
        .map_err(Error::Interceptors)?;
    let accounts = open_accounts(&config)?;
    let store = open_store(&config).await?;
    let events = crate::events::start(&config, &plugins.listeners, &store)?;
    let engine = Engine::new(
        config.clone(),
        store.clone(),
        plugins.extensions,
        interceptors,
        events,
    )?;
    engine.set_base_url(format!("http://{local}"));
    tracing::info!(address = %local, "Listening");
    let workers = match config.server.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        workers => workers,
    };
    let http_config = HttpServerConfig {
        bind: local,
        max_body_bytes: config.server.max_body_bytes,
        workers,
        body_read_timeout_ms: config.server.body_read_timeout_ms,
        blocking_parse_bytes: config.server.blocking_parse_bytes,
        xml_limits: config.xml.clone(),
        public_url: config.server.public_url.clone(),
        trust_forwarded_headers: config.server.trust_forwarded_headers,
        shutdown_timeout_secs: config.server.shutdown_grace_ms.div_ceil(1000),
        ..HttpServerConfig::default()
    };
    let (stopping, stop) = (engine.clone(), shutdown.clone());
    actix::spawn(async move {
        stop.cancelled().await;
        stopping.services().steps.stop_all();
    });
    let (dispatcher, stop) = (
        Measured::new(engine.clone(), Transport::Http),
        shutdown.clone(),
    );
    let metrics_route =
        metrics::route::route(engine.clone(), accounts.clone(), config.server.metrics);
    let admin_routes = admin::routes::routes(engine.clone(), accounts, config.server.admin);
    let endpoint_routes = admission::routes(engine.clone());
    let routes = move |service_config: &mut actix_web::web::ServiceConfig| {
        metrics_route(service_config);
        admin_routes(service_config);
        endpoint_routes(service_config);
    };
    let serving = actix::spawn(async move {
        http::serve_with(listener, &http_config, dispatcher, routes, stop).await
    });
    let deployer = Deployer::start(engine.clone(), config.deploy.dir.clone()).await?;
    if let Some(amqp_config) = config.amqp.config() {
        declare_served_queues(&amqp_config, &engine).await;
    }
    let recovered = engine.recover().await?;
    let amqp_serving = config.amqp.config().map(|amqp_config| {
        let amqp_config = AmqpConfig {
            xml_limits: config.xml.clone(),
            ..amqp_config
        };
        tokio::spawn(serve_queues(amqp_config, engine.clone(), shutdown.clone()))
    });
    engine.set_ready();
    tracing::info!(
        recovered = recovered.instances,
        resent = recovered.messages,
        processes = engine.services().registry.processes().len(),
        "Ready"
    );
    let purging = (engine.clone(), shutdown.clone());
    actix::spawn(async move { purging.0.purge_in_memory_instances(purging.1).await });
    let cleaning = (engine.clone(), shutdown.clone());
    actix::spawn(async move { cleaning.0.run_cleanup_schedules(cleaning.1).await });
    if config.deploy.poll_interval_ms > 0 {
        let interval = Duration::from_millis(config.deploy.poll_interval_ms);
        actix::spawn(deployer.poll(interval, shutdown.clone()));
    }
    let served = serving.await.unwrap_or(Ok(()));
    let amqp_served = match amqp_serving {
        Some(task) => task.await.unwrap_or(Ok(())),
        None => Ok(()),
    };
    engine.stop();
    store.close().await;
    served?;
    Ok(amqp_served?)
}

/// How long declaring the served queues may hold the start back.
const DECLARE_TIMEOUT: Duration = Duration::from_secs(10);

/// Declares the queues that deployed services are served from before instances resume and
/// the server calls itself ready, so that a message sent to one (by a client, or by a process
/// of this server) waits there for the consumer instead of coming back unroutable. A broker
/// that cannot be reached does not hold the start back: serving declares the queues once it
/// connects.
async fn declare_served_queues(config: &AmqpConfig, engine: &Engine) {
    let services = engine.services().registry.amqp_services();
    if services.is_empty() {
        return;
    }
    let declaring = amqp::declare_queues(config, &services);
    match tokio::time::timeout(DECLARE_TIMEOUT, declaring).await {
        Ok(Ok(())) => tracing::info!(queues = services.len(), "Served queues declared"),
        Ok(Err(error)) => tracing::warn!(
            %error,
            "Served queues not declared at start; serving declares them once the broker answers"
        ),
        Err(_) => tracing::warn!(
            timeout = ?DECLARE_TIMEOUT,
            "Served queues not declared at start: the broker did not answer in time; serving \
             declares them once it does"
        ),
    }
}

/// Serves the queues services are bound to until `shutdown` is cancelled. When a deployment
/// changes which queues are served, the messages in hand are settled and serving starts again
/// on the new set; while no service is bound to a queue, no connection is kept.
async fn serve_queues(
    config: AmqpConfig,
    engine: Engine,
    shutdown: CancellationToken,
) -> Result<(), baton_transports::Error> {
    let mut queues = engine.services().registry.watch_amqp_services();
    loop {
        let services = queues.borrow_and_update().clone();
        tracing::info!(queues = services.len(), "Serving queues over AMQP");
        if services.is_empty() {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                changed = queues.changed() => match changed {
                    Ok(()) => continue,
                    Err(_) => return Ok(()),
                },
            }
        }
        let session = shutdown.child_token();
        let dispatcher = Measured::new(engine.clone(), Transport::Amqp);
        let serving = amqp::serve(config.clone(), services, dispatcher, session.clone());
        tokio::pin!(serving);
        tokio::select! {
            served = &mut serving => return served,
            changed = queues.changed() => {
                if changed.is_err() {
                    return serving.await;
                }
                session.cancel();
                serving.await?;
            }
        }
    }
}
