//! The engine: runs deployed processes as actors and connects them to the transports.
//!
//! [`Engine`] is what the `baton serve` command builds and what transports dispatch to. It
//! owns the [`Services`] every actor shares: the store, the outbound [`Transports`], the
//! [`Registry`] of deployed versions and endpoints, and the inbound [`Exchanges`] awaiting
//! replies. A message for a provided service is routed by correlation to a waiting instance,
//! or creates one; its reply (if the operation has one) comes back through the exchange.
//! The message-exchange interceptors of the process (see [`crate::interceptor`]) run on the
//! way: before routing, once routed, before an instance is created, and before every
//! partner call.
//!
//! # Layout
//! - [`process`]: a deployed process version at run time.
//! - [`instance`]: an instance as a supervised entity; commit, then act.
//! - [`journal`]: the message exchanges each step records.
//! - [`partner`]: the actor of an invoking partner link (peer-to-peer, HTTP or AMQP).
//! - [`peer`]: this server's services offered to its own processes, in memory.
//! - [`binding`]: WSDL SOAP bindings, message ↔ body.
//! - [`faults`]: BPEL faults ↔ SOAP faults.
//! - [`failures`]: failed activities waiting for an operator, listed and settled.
//! - [`dispatch`]: the transports' [`baton_transports::Dispatcher`], and WSDL publication.
//! - [`install`]: turning a compiled unit into running process versions.
//! - [`registry`], [`exchanges`]: shared maps.

pub mod binding;
pub mod dispatch;
pub mod exchanges;
pub mod failures;
pub mod faults;
pub mod install;
pub mod instance;
pub mod journal;
pub mod partner;
pub mod peer;
pub mod process;
pub mod registry;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use baton_transports::amqp::AmqpClient;
use baton_transports::http::HttpClient;
use baton_transports::Transports;
use futures::StreamExt;

pub use exchanges::Exchanges;
pub use failures::{FailedActivity, FailureError};
pub use install::InstallError;
pub use process::{ProcessRuntime, VersionState};
pub use registry::{Registry, ServiceEndpoint};

use self::instance::{Delivery, InstanceEntity, StepError};
use self::partner::Call;
use crate::config::Configuration;
use crate::extension::Extensions;
use crate::interceptor::{
    self, InboundContext, Message, PartnerContext, Refusal, ServerInterceptors,
};
use crate::model::VariableKind;
use crate::runtime::state::{Inbound, InterceptorValues};
use crate::runtime::step::{route_key, Action, ReplyOutcome};
use crate::runtime::{correlation, Event, InstanceStatus, InvokeOutcome};
use crate::store::Store;
use crate::xml::Document;

/// Why a message could not be handled. Process faults are not errors: they are replies.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no process version {0} is deployed")]
    NoProcess(String),
    #[error("no instance of {process} correlates with this '{operation}' message, and the operation does not create instances")]
    NoInstance { process: String, operation: String },
    #[error("process {0} is not active: it takes no new instances")]
    NotActive(String),
    #[error("the message's correlation values cannot be read: {0}")]
    Correlation(String),
    #[error("the store is unavailable: {0}")]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Step(#[from] StepError),
    #[error("the instance could not take the message: {0}")]
    Actor(#[from] baton_actors::Error),
    #[error("no reply within {0:?}")]
    ReplyTimeout(Duration),
    #[error("the instance ended without replying")]
    NoReply,
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// Milliseconds since the Unix epoch, the machine's clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or_default()
}

/// What every actor of the engine shares.
pub struct Services {
    pub store: Arc<dyn Store>,
    /// Outbound SOAP/HTTP, and AMQP when configured; peer-to-peer calls go through `peers`.
    pub transports: Transports,
    pub registry: Registry,
    pub peers: peer::Peers,
    pub exchanges: Exchanges,
    pub config: Configuration,
    /// The extension bundles processes may use.
    pub extensions: Extensions,
    /// The interceptors processes may name, and those that run for all.
    pub interceptors: ServerInterceptors,
    base_url: OnceLock<String>,
    ready: AtomicBool,
    /// Instance ids reserved in the store and not handed out yet.
    ids: tokio::sync::Mutex<Range<i64>>,
    /// The threads process versions run on, taken in turn.
    arbiters: Vec<actix::Arbiter>,
    next_arbiter: AtomicUsize,
}

/// How many instances recovery resumes at once.
const RECOVERY_CONCURRENCY: usize = 64;

/// How many instance ids are reserved at a time.
const ID_BLOCK: u32 = 256;

impl Services {
    /// `http://host:port` of this server, once it listens.
    pub fn base_url(&self) -> &str {
        self.base_url
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1")
    }

    /// The arbiter the next process version runs on.
    pub fn next_arbiter(&self) -> actix::ArbiterHandle {
        let turn = self.next_arbiter.fetch_add(1, Ordering::Relaxed);
        self.arbiters[turn % self.arbiters.len()].handle()
    }

    /// Delivers an event (or a [`Delivery`]) to instance `instance` of version `pid`.
    pub async fn deliver(
        &self,
        pid: &str,
        instance: i64,
        delivery: impl Into<Delivery>,
    ) -> Result<InstanceStatus, Error> {
        let process = self
            .registry
            .process(pid)
            .ok_or_else(|| Error::NoProcess(pid.to_owned()))?;
        Ok(process
            .supervisor()
            .send(instance, delivery.into())
            .await??)
    }

    /// Carries out a committed step's actions; `kept` is what interceptors kept with the
    /// instance, for the partner calls.
    pub fn perform(
        self: &Arc<Self>,
        instance: i64,
        process: &Arc<ProcessRuntime>,
        actions: Vec<Action>,
        kept: &InterceptorValues,
    ) {
        for action in actions {
            match action {
                Action::Reply { to, outcome } => {
                    if !self.exchanges.complete(&to.exchange, outcome) {
                        let exchange = to.exchange;
                        tracing::debug!(instance, %exchange, "Reply dropped: nobody waits for it");
                    }
                }
                Action::Invoke {
                    exchange,
                    partner_link,
                    operation,
                    message,
                    one_way,
                    endpoint,
                } => {
                    let Some(partner) = process.partner(partner_link) else {
                        tracing::error!(
                            instance,
                            ?partner_link,
                            "Invoke on a partner link without a partner role"
                        );
                        continue;
                    };
                    let mut message = Message::new(message);
                    let call = interceptor::Call {
                        pid: &process.pid,
                        process: &process.name,
                        instance,
                        partner_link: &process.compiled.model.partner_link(partner_link).name,
                        operation: &operation,
                        one_way,
                    };
                    let intercepted = process.interceptors.partner(&mut PartnerContext::new(
                        call,
                        &mut message,
                        kept,
                    ));
                    match intercepted {
                        Ok(()) => partner.do_send(Call {
                            pid: process.pid.clone(),
                            instance,
                            exchange,
                            operation,
                            message: message.parts,
                            headers: message.headers,
                            one_way,
                            endpoint,
                        }),
                        Err(refusal) => {
                            self.fail_call(process, instance, exchange, one_way, refusal)
                        }
                    }
                }
                Action::Timer { timer, due_ms } => {
                    let services = self.clone();
                    let pid = process.pid.clone();
                    let delay =
                        Duration::from_millis(due_ms.saturating_sub(now_ms()).max(0) as u64);
                    actix::spawn(async move {
                        actix::clock::sleep(delay).await;
                        if let Err(error) = services
                            .deliver(&pid, instance, Event::TimerFired { timer })
                            .await
                        {
                            tracing::warn!(instance, %error, "Timer not delivered");
                        }
                    });
                }
            }
        }
    }

    /// Ends a partner call an interceptor refused: as a failure of the invoke, or for a
    /// one-way invoke, in the log.
    fn fail_call(
        self: &Arc<Self>,
        process: &ProcessRuntime,
        instance: i64,
        exchange: crate::runtime::ExchangeId,
        one_way: bool,
        refusal: Refusal,
    ) {
        if one_way {
            tracing::warn!(instance, %refusal, "One-way invoke refused");
            return;
        }
        let (services, pid) = (self.clone(), process.pid.clone());
        let event = Event::InvokeDone {
            exchange,
            outcome: InvokeOutcome::Failure(refusal.to_string()),
        };
        actix::spawn(async move {
            if let Err(error) = services.deliver(&pid, instance, event).await {
                tracing::warn!(instance, %error, "Invoke outcome not delivered");
            }
        });
    }

    /// Routes a message for `endpoint` to the instance it correlates with, or to a new one,
    /// and waits for the reply when `expects_reply`. The process's interceptors see the
    /// message first, once routed, and before it creates an instance.
    pub async fn invoke_service(
        self: &Arc<Self>,
        endpoint: &ServiceEndpoint,
        operation: &str,
        mut message: Message,
        expects_reply: bool,
    ) -> Result<Option<ReplyOutcome>, Error> {
        let process = self
            .registry
            .process(&endpoint.pid)
            .ok_or_else(|| Error::NoProcess(endpoint.pid.clone()))?;
        let partner_link = &process
            .compiled
            .model
            .partner_link(endpoint.partner_link)
            .name;
        let mut kept = InterceptorValues::new();
        process
            .interceptors
            .server_invoked(&mut InboundContext::new(
                target(endpoint, partner_link, operation, &process),
                None,
                &mut message,
                &mut kept,
            ))?;
        let key = (endpoint.partner_link, operation.to_owned());
        let destination = match self.correlate(&process, &key, &message.parts).await? {
            Some((pid, instance)) => {
                let owner = self
                    .registry
                    .process(&pid)
                    .ok_or_else(|| Error::NoProcess(pid.clone()))?;
                owner
                    .interceptors
                    .process_invoked(&mut InboundContext::new(
                        target(endpoint, partner_link, operation, &owner),
                        Some(instance),
                        &mut message,
                        &mut kept,
                    ))?;
                Destination::Existing { pid, instance }
            }
            None if process.instantiating.contains(&key) => {
                if process.state() != VersionState::Active {
                    return Err(Error::NotActive(process.pid.clone()));
                }
                process
                    .interceptors
                    .process_invoked(&mut InboundContext::new(
                        target(endpoint, partner_link, operation, &process),
                        None,
                        &mut message,
                        &mut kept,
                    ))?;
                let id = self.next_instance_id().await?;
                process
                    .interceptors
                    .new_instance_invoked(&mut InboundContext::new(
                        target(endpoint, partner_link, operation, &process),
                        Some(id),
                        &mut message,
                        &mut kept,
                    ))?;
                Destination::New { id }
            }
            None => {
                return Err(Error::NoInstance {
                    process: process.name.to_string(),
                    operation: operation.to_owned(),
                })
            }
        };
        let (exchange, reply) = match expects_reply {
            true => {
                let (id, receiver) = self.exchanges.open();
                (Some(id), Some(receiver))
            }
            false => (None, None),
        };
        let inbound = Inbound {
            partner_link: endpoint.partner_link,
            operation: operation.to_owned(),
            message: message.parts,
            exchange: exchange.clone(),
        };
        let delivery = Delivery {
            event: Event::Message(inbound),
            kept,
        };
        let delivered = match destination {
            Destination::Existing { pid, instance } => self.deliver(&pid, instance, delivery).await,
            Destination::New { id } => self.create_instance(&process, id, delivery).await,
        };
        if let Err(error) = delivered {
            if let Some(exchange) = &exchange {
                self.exchanges.cancel(exchange);
            }
            return Err(error);
        }
        let Some(reply) = reply else { return Ok(None) };
        let timeout = Duration::from_millis(self.config.server.reply_timeout_ms);
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(outcome)) => Ok(Some(outcome)),
            Ok(Err(_)) => Err(Error::NoReply),
            Err(_) => {
                if let Some(exchange) = &exchange {
                    self.exchanges.cancel(exchange);
                }
                Err(Error::ReplyTimeout(timeout))
            }
        }
    }

    /// The instance (pid, id) a message correlates with, if any.
    async fn correlate(
        &self,
        process: &ProcessRuntime,
        key: &process::OperationKey,
        message: &Document,
    ) -> Result<Option<(String, i64)>, Error> {
        let Some(sets) = process.correlated.get(key) else {
            return Ok(None);
        };
        let compiled = &process.compiled;
        let Some(message_type) = compiled.input_message(key.0, &key.1) else {
            return Ok(None);
        };
        let kind = VariableKind::Message(message_type);
        let name = process.name.to_string();
        for set in sets {
            let set = compiled.model.correlation_set(*set);
            let values = correlation::values(compiled, &kind, message, &set.properties)
                .map_err(|fault| Error::Correlation(fault.reason))?;
            if let Some(owner) = self
                .store
                .find_route(&name, &route_key(&set.name, &values))
                .await?
            {
                return Ok(Some((owner.pid, owner.instance)));
            }
        }
        Ok(None)
    }

    /// A fresh instance id, from the block reserved in the store.
    async fn next_instance_id(&self) -> Result<i64, Error> {
        let mut ids = self.ids.lock().await;
        if ids.is_empty() {
            let first = self.store.reserve_instance_ids(ID_BLOCK).await?;
            *ids = first..first + i64::from(ID_BLOCK);
        }
        Ok(ids.next().expect("the block was just filled"))
    }

    /// Creates instance `id` of `process`, which takes `delivery` first.
    async fn create_instance(
        self: &Arc<Self>,
        process: &Arc<ProcessRuntime>,
        id: i64,
        delivery: Delivery,
    ) -> Result<InstanceStatus, Error> {
        let entity = InstanceEntity::new(id, process.clone(), self.clone());
        tracing::debug!(instance = id, pid = %process.pid, "Instance created");
        Ok(process.supervisor().spawn(id, entity, delivery).await??)
    }
}

/// What the inbound hooks are told of a message for `endpoint` offered by `process`.
fn target<'a>(
    endpoint: &'a ServiceEndpoint,
    partner_link: &'a str,
    operation: &'a str,
    process: &'a ProcessRuntime,
) -> interceptor::Target<'a> {
    interceptor::Target {
        service: &endpoint.service,
        port: &endpoint.port,
        address: &endpoint.path,
        partner_link,
        operation,
        pid: &process.pid,
        process: &process.name,
    }
}

/// Where a routed message goes.
enum Destination {
    /// The instance it correlates with, of version `pid`.
    Existing { pid: String, instance: i64 },
    /// A new instance of the version offering the service.
    New { id: i64 },
}

/// The engine: cheap to clone, shared by the transports.
#[derive(Clone)]
pub struct Engine {
    services: Arc<Services>,
}

impl Engine {
    pub fn new(
        config: Configuration,
        store: Arc<dyn Store>,
        extensions: Extensions,
        interceptors: ServerInterceptors,
    ) -> Result<Self, baton_transports::Error> {
        let transports = Transports {
            http: Some(HttpClient::new(&config.http_client)?),
            amqp: config
                .amqp
                .config()
                .map(|amqp| AmqpClient::new(&amqp))
                .transpose()?,
            peer: None,
        };
        let services = Services {
            store,
            transports,
            registry: Registry::default(),
            peers: peer::Peers::new(),
            exchanges: Exchanges::new(),
            base_url: OnceLock::new(),
            ready: AtomicBool::new(false),
            ids: tokio::sync::Mutex::new(0..0),
            arbiters: (0..config.engine.thread_count())
                .map(|_| actix::Arbiter::new())
                .collect(),
            next_arbiter: AtomicUsize::new(0),
            config,
            extensions,
            interceptors,
        };
        Ok(Self {
            services: Arc::new(services),
        })
    }

    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    /// Records the address the server listens on (used in endpoint references and for
    /// calls forced through HTTP to processes of this server).
    pub fn set_base_url(&self, base_url: String) {
        let _ = self.services.base_url.set(base_url);
    }

    /// Marks the engine ready (deployments loaded): `GET /health` answers 200 from then on.
    pub fn set_ready(&self) {
        self.services.ready.store(true, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.services.ready.load(Ordering::Acquire)
    }

    /// Stops the threads process versions run on; their state is in the store.
    pub fn stop(&self) {
        for arbiter in &self.services.arbiters {
            arbiter.stop();
        }
    }

    /// Resumes every running instance after a start: timers are re-armed and invokes whose
    /// outcome was lost are issued again.
    pub async fn recover(&self) -> Result<usize, Error> {
        let instances = self.services.store.recoverable_instances().await?;
        let services = &self.services;
        let outcomes = futures::stream::iter(instances)
            .map(|record| async move {
                let outcome = services.deliver(&record.pid, record.id, Event::Recover).await;
                if let Err(error) = &outcome {
                    tracing::warn!(instance = record.id, pid = %record.pid, %error, "Instance not recovered");
                }
                outcome.is_ok()
            })
            .buffer_unordered(RECOVERY_CONCURRENCY)
            .collect::<Vec<bool>>()
            .await;
        Ok(outcomes.into_iter().filter(|recovered| *recovered).count())
    }
}
