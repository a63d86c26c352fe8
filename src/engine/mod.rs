//! The engine: runs deployed processes as actors and connects them to the transports.
//!
//! [`Engine`] is what the `baton serve` command builds and what transports dispatch to. It
//! owns the [`Services`] every actor shares: the store, the stores instances live in, the
//! outbound [`Transports`], the [`Registry`] of deployed versions and endpoints, and the
//! inbound [`Exchanges`] awaiting replies. A message for a provided service is routed by
//! correlation to a waiting instance, or creates one; its reply (if the operation has one)
//! comes back through the exchange. The message-exchange interceptors of the process (see
//! [`crate::interceptor`]) run on the way: before routing, once routed, before an instance is
//! created, and before every partner call.
//!
//! Work due later is a job in the store's job table, committed with the step that schedules
//! it: a timer (wait, onAlarm, a retry delay) or the time-out of a request-response invoke
//! (`[engine] invoke-timeout-ms`). The [`Scheduler`] runs each when it is due, by delivering
//! its event to the instance (loading it from the store if it is not in memory), whose step
//! deletes the job in its own transaction: a job runs exactly once, and survives restarts.
//! Every message an instance sends a partner is committed with its step in the store's
//! outbox and sent until its partner has taken it, and every message taken is remembered by
//! its id, so that messages between processes take effect exactly once across crashes (see
//! [`outbox`]). At start, [`Engine::recover`] sends the outbox again and resumes the
//! instances with an invoke in flight from before the outbox existed; instances waiting for
//! messages stay in the store until one comes, and those waiting on timers until the
//! scheduler runs them.
//!
//! # Layout
//! - [`process`]: a deployed process version at run time.
//! - [`instance`]: an instance as a supervised entity; commit, then act.
//! - [`cleanup`]: what an instance's end deletes, as deploy.xml's `<cleanup>` says.
//! - [`stores`]: where instances live: the durable store, or memory for in-memory processes.
//! - [`purge`]: in-memory instances purged after their time to live.
//! - [`schedules`]: scheduled cleanups of ended instances ([`sweep`] runs one), and the
//!   [`retention`] of retired versions.
//! - [`journal`]: the message exchanges each step records.
//! - [`jobs`]: the jobs each step runs, cancels and schedules.
//! - [`outbox`]: messages between processes exactly once, across crashes.
//! - [`scheduler`]: runs due jobs.
//! - [`partner`]: the actor of an invoking partner link (peer-to-peer, HTTP or AMQP).
//! - [`partner_failures`]: what went wrong with a partner call, as the kind of failure whose
//!   fault the invoke raises.
//! - [`undelivered`]: one-way messages sent again until their partner takes them, as
//!   operators see them.
//! - [`peer`]: this server's services offered to its own processes, in memory.
//! - [`binding`]: WSDL SOAP bindings, message ↔ body.
//! - [`faults`]: BPEL faults ↔ SOAP faults.
//! - [`failures`]: failed activities waiting for an operator, listed and settled.
//! - [`operator`]: operators suspend, resume and terminate instances; running steps.
//! - [`dispatch`]: the transports' [`baton_transports::Dispatcher`], and WSDL publication.
//! - [`install`]: turning a compiled unit into running process versions.
//! - [`routing`]: how an invoking partner link's calls travel, as deploy.xml sets it.
//! - [`session`]: the SOAP headers of ODE's implicit correlation.
//! - [`rest`]: calls of REST partners (WSDL HTTP bindings).
//! - [`registry`], [`exchanges`]: shared maps.

pub mod binding;
pub mod bulk;
pub mod cleanup;
pub mod dispatch;
pub mod exchanges;
pub mod failures;
pub mod faults;
pub mod install;
pub mod instance;
pub mod jobs;
pub mod journal;
pub mod operator;
pub mod outbox;
pub mod partner;
pub mod partner_failures;
pub mod peer;
pub mod process;
pub mod purge;
pub mod registry;
pub mod rest;
pub mod retention;
pub mod routing;
pub mod scheduler;
pub mod schedules;
pub mod session;
pub mod stores;
pub mod sweep;
#[cfg(test)]
mod tests;
pub mod undelivered;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use baton_transports::amqp::AmqpClient;
use baton_transports::http::HttpClient;
use baton_transports::Transports;
use futures::StreamExt;

pub use exchanges::{Abandoned, Exchanges};
pub use failures::{FailedActivity, FailureError};
pub use install::InstallError;
pub use operator::OperatorError;
pub use process::{ProcessRuntime, VersionState};
pub use registry::{Registry, ServiceEndpoint};
pub use scheduler::Scheduler;
pub use stores::{InstanceStore, InstanceStores};
pub use undelivered::UndeliveredCall;

use self::instance::{Delivery, InstanceEntity, StepError};
use self::outbox::MessageId;
use self::peer::Origin;
use crate::config::Configuration;
use crate::events::EventBus;
use crate::interceptor::{self, InboundContext, Message, Refusal, ServerInterceptors};
use crate::metrics::Metrics;
use crate::model::VariableKind;
use crate::runtime::events::{Event as BpelEvent, EventType};
use crate::runtime::extension::Extensions;
use crate::runtime::partner_failure::FailureKind;
use crate::runtime::session::SESSION_SET;
use crate::runtime::state::{Inbound, InterceptorValues};
use crate::runtime::step::{route_key, Action, ReplyOutcome};
use crate::runtime::{correlation, routes, Event, ExchangeId, InstanceStatus, InvokeOutcome};
use crate::store::{Durable, Job, JobKind, MemoryStore, Received, Store};
use crate::xml::Document;

/// Why a message could not be handled. Process faults are not errors: they are replies.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no process version {0} is deployed")]
    NoProcess(String),
    #[error("no instance of {process} correlates with this '{operation}' message, and the operation does not create instances")]
    NoInstance { process: String, operation: String },
    #[error("no instance of {process} correlates with this '{operation}' message, and the operation does not create instances; instances of this in-memory process live in memory only: they are purged {ttl_ms} ms after their creation and lost on a restart")]
    NoInMemoryInstance {
        process: String,
        operation: String,
        ttl_ms: u64,
    },
    #[error("process {0} is not active: it takes no new instances")]
    NotActive(String),
    #[error("the message's correlation values cannot be read: {0}")]
    Correlation(String),
    #[error(transparent)]
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
    Abandoned(#[from] Abandoned),
    #[error(transparent)]
    Refused(#[from] Refusal),
}

impl Error {
    /// Whether the message itself was refused (no instance takes it, it cannot be read, an
    /// interceptor refused it): the sender's mistake, which sending it again does not mend.
    pub fn refuses_message(&self) -> bool {
        matches!(
            self,
            Error::NoInstance { .. }
                | Error::NoInMemoryInstance { .. }
                | Error::Correlation(_)
                | Error::NotActive(_)
                | Error::Refused(_)
                | Error::Step(StepError::CorrelationTaken { .. })
        )
    }
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
    /// The durable store: deployments, process versions, and the instances of durable
    /// process versions.
    pub store: Arc<dyn Store>,
    /// Where instances live, durable or in memory.
    pub instances: InstanceStores,
    /// Outbound SOAP/HTTP, and AMQP when configured; peer-to-peer calls go through `peers`.
    pub transports: Transports,
    pub registry: Registry,
    pub peers: peer::Peers,
    pub exchanges: Exchanges,
    /// Runs the jobs of the store's job table when they are due.
    pub scheduler: Scheduler,
    pub config: Configuration,
    /// The extension bundles processes may use.
    pub extensions: Extensions,
    /// The interceptors processes may name, and those that run for all.
    pub interceptors: ServerInterceptors,
    /// Where committed steps' BPEL events go.
    pub events: EventBus,
    /// The bulk operations operators started.
    pub bulk: bulk::BulkOperations,
    /// What the engine counts as it goes, for `/metrics`.
    pub metrics: Metrics,
    base_url: OnceLock<String>,
    ready: AtomicBool,
    /// The steps instances are running now, which operators and the shutdown may stop.
    pub steps: operator::RunningSteps,
    /// One-way messages whose sending failed, sent again until taken.
    pub undelivered: undelivered::Undelivered,
    /// The threads instances' steps run on (`[engine] step-threads`); a step past
    /// `low-priority-after-ms` is demoted to low priority there.
    pub step_workers: baton_actors::Workers,
    /// Woken whenever a step committed new correlation routes, for the messages that wait
    /// for them (`[engine] early-message-wait-ms`).
    pub routes_added: tokio::sync::Notify,
    /// The threads process versions' actors run on, taken in turn (their steps run on
    /// `step_workers`).
    arbiters: Vec<actix::Arbiter>,
    next_arbiter: AtomicUsize,
}

/// How long a step thread waits idle for the next step before it ends.
const STEP_THREAD_KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(10);

/// How often a message waiting for its instance's correlation looks for it again, besides
/// when this server's steps add routes.
const EARLY_MESSAGE_LOOK: std::time::Duration = std::time::Duration::from_millis(200);

/// How many instances recovery resumes at once.
const RECOVERY_CONCURRENCY: usize = 64;

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
        self.send(pid, instance, delivery.into()).await
    }

    /// Delivers the event of the due job `job` to its instance, whose step deletes the job.
    pub async fn run_job(&self, job: &Job, event: Event) -> Result<InstanceStatus, Error> {
        let delivery = Delivery {
            job: Some(job.job.clone()),
            ..Delivery::from(event)
        };
        self.send(&job.pid, job.instance_id, delivery).await
    }

    async fn send(
        &self,
        pid: &str,
        instance: i64,
        delivery: Delivery,
    ) -> Result<InstanceStatus, Error> {
        let process = self
            .registry
            .process(pid)
            .ok_or_else(|| Error::NoProcess(pid.to_owned()))?;
        Ok(process.supervisor().send(instance, delivery).await??)
    }

    /// Carries out a committed step's actions: its replies, and its partner `calls` (the
    /// invokes among `actions`, made ready and kept in the outbox by the step). The step is
    /// `durable` now or later: a reply to a caller answered early goes at once, any other
    /// once the step is durable; each call goes at once, with when the step is durable, and
    /// its partner link waits for that before it sends the call out of the server.
    pub fn perform(
        self: &Arc<Self>,
        instance: i64,
        process: &Arc<ProcessRuntime>,
        actions: Vec<Action>,
        calls: outbox::Calls,
        durable: &Durable,
    ) {
        let replies = actions.into_iter().filter_map(|action| match action {
            Action::Reply { to, outcome } => Some((to.exchange, outcome)),
            _ => None,
        });
        self.send_replies(instance, replies, durable);
        for mut outgoing in calls.outgoing {
            outgoing.call.durable = durable.clone();
            self.send_call(process, outgoing);
        }
        for refused in calls.refused {
            self.fail_call(process, instance, refused);
        }
    }

    /// Sends the `replies` of a step of `instance`, durable when `durable` says: each to a
    /// caller answered early at once, the others once the step is durable.
    fn send_replies(
        self: &Arc<Self>,
        instance: i64,
        replies: impl IntoIterator<Item = (ExchangeId, ReplyOutcome)>,
        durable: &Durable,
    ) {
        let mut when_durable = Vec::new();
        for (exchange, outcome) in replies {
            match self.exchanges.answered_early(&exchange) {
                true => self.reply(instance, &exchange, Ok(outcome)),
                false => when_durable.push((exchange, outcome)),
            }
        }
        if when_durable.is_empty() {
            return;
        }
        match durable.settled() {
            Some(stored) => self.reply_stored(instance, when_durable, stored),
            None => {
                let (services, durable) = (self.clone(), durable.clone());
                actix::spawn(async move {
                    let stored = durable.wait().await;
                    services.reply_stored(instance, when_durable, stored);
                });
            }
        }
    }

    /// Sends the `replies` of a step once it is `stored`, or tells their callers why not.
    fn reply_stored(
        &self,
        instance: i64,
        replies: Vec<(ExchangeId, ReplyOutcome)>,
        stored: Result<(), crate::store::Error>,
    ) {
        for (exchange, outcome) in replies {
            let answer = match &stored {
                Ok(()) => Ok(outcome),
                Err(error) => Err(Abandoned::NotDurable(error.to_string())),
            };
            self.reply(instance, &exchange, answer);
        }
    }

    /// Answers the caller of `exchange`, if it still waits.
    fn reply(&self, instance: i64, exchange: &str, answer: exchanges::Answer) {
        let answered = match answer {
            Ok(outcome) => self.exchanges.complete(exchange, outcome),
            Err(why) => self.exchanges.abandon(exchange, why),
        };
        if !answered {
            tracing::debug!(instance, %exchange, "Reply dropped: nobody waits for it");
        }
    }

    /// Hands a call to the actor of its partner link.
    fn send_call(&self, process: &ProcessRuntime, outgoing: outbox::Outgoing) {
        match process.partner(outgoing.partner_link) {
            Some(partner) => partner.do_send(outgoing.call),
            None => tracing::error!(
                instance = outgoing.call.instance,
                partner_link = ?outgoing.partner_link,
                "Invoke on a partner link without a partner role"
            ),
        }
    }

    /// Ends a partner call an interceptor refused: as a failure of the invoke, or for a
    /// one-way invoke, in the log.
    fn fail_call(
        self: &Arc<Self>,
        process: &ProcessRuntime,
        instance: i64,
        refused: outbox::Refused,
    ) {
        let outbox::Refused {
            exchange,
            one_way,
            refusal,
        } = refused;
        if one_way {
            tracing::warn!(instance, %refusal, "One-way invoke refused");
            return;
        }
        let (services, pid) = (self.clone(), process.pid.clone());
        let event = Event::InvokeDone {
            exchange,
            outcome: InvokeOutcome::failed(FailureKind::Unavailable, refusal.to_string()),
        };
        actix::spawn(async move {
            if let Err(error) = services
                .deliver(&pid, instance, Delivery::early(event))
                .await
            {
                tracing::warn!(instance, %error, "Invoke outcome not delivered");
            }
        });
    }

    /// Routes a message for `endpoint` to the instance it correlates with, or to a new one,
    /// and waits for the reply when `expects_reply`. The process's interceptors see the
    /// message first, once routed, and before it creates an instance. A message whose
    /// `message_id` an instance has taken already is not routed again: it gets the answer
    /// its first copy got (see [`outbox`]); one sent for the first time is not looked up.
    /// Its `origin` says whether the receiving step answers once committed or once durable
    /// (see [`peer`]).
    pub async fn invoke_service(
        self: &Arc<Self>,
        endpoint: &ServiceEndpoint,
        operation: &str,
        mut message: Message,
        expects_reply: bool,
        message_id: Option<MessageId>,
        origin: Origin,
    ) -> Result<Option<ReplyOutcome>, Error> {
        let process = self
            .registry
            .process(&endpoint.pid)
            .ok_or_else(|| Error::NoProcess(endpoint.pid.clone()))?;
        if let Some(MessageId {
            id,
            first_sending: false,
        }) = &message_id
        {
            if let Some(taken) = self.instances.of(&process).received(id).await? {
                tracing::info!(message_id = %id, instance = taken.instance_id, "Message taken already; answered again without effect");
                return self.answer_again(&taken, expects_reply).await;
            }
        }
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
        let sessions = session::Inbound::read(&message.headers, !expects_reply);
        let session = sessions.session.as_deref();
        let mut found = self
            .correlate(&process, &key, &message.parts, session)
            .await?;
        if found.is_none() && !process.instantiating.contains(&key) {
            found = self
                .await_correlation(&process, &key, &message.parts, session)
                .await?;
        }
        let destination = match found {
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
                let id = self.instances.of(&process).next_id().await?;
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
            None if process.in_memory() => {
                self.no_instance_correlates(&process, operation);
                return Err(Error::NoInMemoryInstance {
                    process: process.name.to_string(),
                    operation: operation.to_owned(),
                    ttl_ms: self.config.engine.in_memory_instance_ttl_ms,
                });
            }
            None => {
                self.no_instance_correlates(&process, operation);
                return Err(Error::NoInstance {
                    process: process.name.to_string(),
                    operation: operation.to_owned(),
                });
            }
        };
        let receiver = match &destination {
            Destination::Existing { instance, .. } => *instance,
            Destination::New { id } => *id,
        };
        let early = match origin {
            Origin::DurableStep(_) if !MemoryStore::holds(receiver) => true,
            Origin::DurableStep(sent) => {
                sent.wait().await?;
                false
            }
            Origin::Outside => false,
        };
        let (exchange, reply) = match expects_reply {
            true => {
                let (id, receiver) = self.exchanges.open(early);
                (Some(id), Some(receiver))
            }
            false => (None, None),
        };
        let inbound = Inbound {
            partner_link: endpoint.partner_link,
            operation: operation.to_owned(),
            message: message.parts,
            exchange: exchange.clone(),
            callback: sessions.callback,
        };
        let delivery = Delivery {
            kept,
            message_id: message_id.map(|message_id| message_id.id),
            early_answer: early,
            ..Delivery::from(Event::Message(inbound))
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
        let timeout = process
            .deployment
            .provides
            .iter()
            .find(|provide| provide.service == endpoint.service && provide.port == endpoint.port)
            .and_then(|provide| provide.reply_timeout_ms)
            .unwrap_or(self.config.server.reply_timeout_ms);
        let timeout = Duration::from_millis(timeout);
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(Ok(outcome))) => Ok(Some(outcome)),
            Ok(Ok(Err(abandoned))) => Err(Error::Abandoned(abandoned)),
            Ok(Err(_)) => Err(Error::NoReply),
            Err(_) => {
                if let Some(exchange) = &exchange {
                    self.exchanges.cancel(exchange);
                }
                Err(Error::ReplyTimeout(timeout))
            }
        }
    }

    /// The answer to a message taken already by the step recorded as `taken`: none for a
    /// one-way message; for a request, the reply the instance gave it, from its journal, or
    /// the one it gives once it replies.
    async fn answer_again(
        &self,
        taken: &Received,
        expects_reply: bool,
    ) -> Result<Option<ReplyOutcome>, Error> {
        let Some(exchange) = taken.exchange.as_ref().filter(|_| expects_reply) else {
            return Ok(None);
        };
        let reply = self.exchanges.await_reply(exchange);
        let store = self.instances.of_instance(taken.instance_id);
        let journal = store.exchanges(taken.instance_id).await?;
        if let Some(answered) = journal
            .into_iter()
            .find(|record| &record.id == exchange)
            .and_then(|record| journal::answer_of(&record))
        {
            self.exchanges.cancel(exchange);
            return Ok(Some(answered));
        }
        let timeout = Duration::from_millis(self.config.server.reply_timeout_ms);
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(Ok(outcome))) => Ok(Some(outcome)),
            Ok(Ok(Err(abandoned))) => Err(Error::Abandoned(abandoned)),
            Ok(Err(_)) => Err(Error::NoReply),
            Err(_) => {
                self.exchanges.cancel(exchange);
                Err(Error::ReplyTimeout(timeout))
            }
        }
    }

    /// Tells the listeners that a message for `operation` of `process` found no instance.
    fn no_instance_correlates(&self, process: &ProcessRuntime, operation: &str) {
        let kind = EventType::CorrelationNoMatch;
        if process.compiled.events.emits(None, kind) {
            let event = BpelEvent::of_process(kind, Some(operation.to_owned()));
            self.events
                .publish(&process.pid, None, now_ms(), vec![event]);
        }
    }

    /// The instance a message that correlated with none correlates with once a step commits
    /// its route, waiting at most `[engine] early-message-wait-ms`; None after that.
    async fn await_correlation(
        &self,
        process: &ProcessRuntime,
        key: &process::OperationKey,
        message: &Document,
        session: Option<&str>,
    ) -> Result<Option<(String, i64)>, Error> {
        let wait = self.config.early_message_wait();
        if wait.is_zero() {
            return Ok(None);
        }
        tracing::info!(process = %process.name, operation = %key.1, "Message waits for the instance it correlates with");
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let added = self.routes_added.notified();
            tokio::pin!(added);
            // Registered before looking, so that a route committed meanwhile wakes it.
            added.as_mut().enable();
            if let Some(found) = self.correlate(process, key, message, session).await? {
                return Ok(Some(found));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            // Another node's steps do not wake this one: look again now and then.
            let next_look = (now + EARLY_MESSAGE_LOOK).min(deadline);
            tokio::select! {
                () = added => {}
                () = tokio::time::sleep_until(next_look) => {}
            }
        }
    }

    /// The instance (pid, id) a message correlates with, if any: by its `session` where the
    /// operation is correlated implicitly (see [`session`]), else by its correlation sets.
    /// The route is looked up in the stores of every version of the process (a message for
    /// the active version may be for an instance of an older one).
    async fn correlate(
        &self,
        process: &ProcessRuntime,
        key: &process::OperationKey,
        message: &Document,
        session: Option<&str>,
    ) -> Result<Option<(String, i64)>, Error> {
        let compiled = &process.compiled;
        let name = process.name.to_string();
        let versions = self.registry.versions_of(&process.name);
        let stores = self.instances.of_versions(&versions);
        if let Some(session) = session.filter(|_| compiled.implicitly_correlated.contains(key)) {
            let key = route_key(SESSION_SET, &[session.to_owned()]);
            if let Some(owner) = find_owner(&stores, &name, &key).await? {
                return Ok(Some(owner));
            }
        }
        let Some(keys) = process.correlated.get(key) else {
            return Ok(None);
        };
        let Some(message_type) = compiled.input_message(key.0, &key.1) else {
            return Ok(None);
        };
        let kind = VariableKind::Message(message_type);
        for sets in keys {
            let mut values = Vec::new();
            for set in sets {
                let set = compiled.model.correlation_set(*set);
                values.extend(
                    correlation::values(compiled, &kind, message, &set.properties)
                        .map_err(|fault| Error::Correlation(fault.reason))?,
                );
            }
            let key = route_key(&routes::key_name(&compiled.model, sets), &values);
            if let Some(owner) = find_owner(&stores, &name, &key).await? {
                return Ok(Some(owner));
            }
        }
        Ok(None)
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

/// The instance (pid, id) owning the route `key` of process `name` in one of `stores`.
async fn find_owner(
    stores: &[&InstanceStore],
    name: &str,
    key: &str,
) -> Result<Option<(String, i64)>, Error> {
    for store in stores {
        if let Some(owner) = store.find_route(name, key).await? {
            return Ok(Some((owner.pid, owner.instance)));
        }
    }
    Ok(None)
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

/// What [`Engine::recover`] resumed at a start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Messages of the outbox sent again.
    pub messages: usize,
    /// Instances resumed: those whose messages were sent again, and those that sent an
    /// invoke again.
    pub instances: usize,
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
        events: EventBus,
    ) -> Result<Self, baton_transports::Error> {
        let transports = Transports {
            http: Some(HttpClient::new(&config.http_client)?),
            amqp: config
                .amqp
                .config()
                .map(|amqp| AmqpClient::new(&amqp))
                .transpose()?,
        };
        let services = Services {
            metrics: Metrics::new(store.commit_histograms()),
            instances: InstanceStores::new(store.clone()),
            store,
            transports,
            registry: Registry::default(),
            peers: peer::Peers::new(),
            exchanges: Exchanges::new(),
            scheduler: Scheduler::new(),
            steps: operator::RunningSteps::default(),
            undelivered: undelivered::Undelivered::default(),
            step_workers: baton_actors::Workers::new(
                "baton-step",
                config.engine.step_thread_count(),
                STEP_THREAD_KEEP_ALIVE,
                f64::from(config.engine.low_priority_share) / 100.0,
            ),
            base_url: OnceLock::new(),
            ready: AtomicBool::new(false),
            routes_added: tokio::sync::Notify::new(),
            arbiters: (0..config.engine.thread_count())
                .map(|_| actix::Arbiter::new())
                .collect(),
            next_arbiter: AtomicUsize::new(0),
            config,
            extensions,
            interceptors,
            events,
            bulk: bulk::BulkOperations::default(),
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

    /// Stops the scheduler, the steps running (not stored: their instances stay as last
    /// committed) and the threads process versions run on; their state and jobs are in the
    /// store.
    pub fn stop(&self) {
        self.services.scheduler.stop();
        self.services.steps.stop_all();
        for arbiter in &self.services.arbiters {
            arbiter.stop();
        }
    }

    /// Resumes, after a start, what was under way: every message of the outbox is sent again
    /// (see [`outbox`]), and the instances that had a request-response invoke in flight
    /// without an outbox entry (sent before the outbox existed) resume, each sending the
    /// invoke again. Then starts the scheduler, which runs the jobs due, those that fell due
    /// while the server was down first. Other instances are not loaded.
    pub async fn recover(&self) -> Result<Recovered, Error> {
        let services = &self.services;
        let (messages, mut instances) = outbox::resend_all(services).await?;
        let mut in_flight = services.store.jobs_of_kind(JobKind::InvokeTimeout).await?;
        in_flight.retain(|job| !instances.contains(&job.instance_id));
        in_flight.dedup_by_key(|job| job.instance_id);
        let resumed = futures::stream::iter(in_flight)
            .map(|job| async move {
                let outcome = services.deliver(&job.pid, job.instance_id, Event::Recover).await;
                if let Err(error) = &outcome {
                    tracing::warn!(instance = job.instance_id, pid = %job.pid, %error, "Instance not recovered");
                }
                outcome.is_ok().then_some(job.instance_id)
            })
            .buffer_unordered(RECOVERY_CONCURRENCY)
            .collect::<Vec<Option<i64>>>()
            .await;
        instances.extend(resumed.into_iter().flatten());
        self.services
            .scheduler
            .start(Arc::downgrade(&self.services));
        Ok(Recovered {
            messages,
            instances: instances.len(),
        })
    }
}
