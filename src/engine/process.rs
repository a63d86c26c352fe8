//! One deployed process version at run time: its compiled model, its deployment settings,
//! the interceptors it runs, the supervisor of its instances, the actors of its invoking partner links, and the
//! routing facts derived once at deploy time (which operations create instances, which
//! correlation sets route the others); and what its instances count ([`ProcessMetrics`]).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use actix::Addr;
use baton_actors::SupervisorHandle;

use super::instance::{InstanceEntity, InstanceKeeper};
use super::partner::PartnerLinkActor;
use crate::interceptor::Chain;
use crate::metrics::{Metrics, ProcessMetrics};
use crate::model::{CorrelationSetId, PartnerLinkId, ProcessDeployment, Unit};
use crate::runtime::{routes, CompiledProcess};
use crate::xml::QName;

/// A (partner link, operation) pair: what an inbound message is for.
pub type OperationKey = (PartnerLinkId, String);

/// Whether a version takes new instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionState {
    /// Takes new instances.
    Active,
    /// Its instances go on; it takes no new ones.
    Retired,
    /// Deployed with `<active>false</active>`: takes nothing until activated.
    Disabled,
}

/// A deployed process version.
pub struct ProcessRuntime {
    /// `{namespace}Name-version`.
    pub pid: String,
    pub name: QName,
    pub version: i64,
    pub unit: Arc<Unit>,
    pub deployment: ProcessDeployment,
    pub compiled: CompiledProcess,
    /// The message-exchange interceptors of the version: the global ones, then its own.
    pub interceptors: Chain,
    /// (partner link, operation) pairs whose receive creates an instance.
    pub instantiating: HashSet<OperationKey>,
    /// (partner link, operation) → correlation sets that route it to an existing instance.
    pub correlated: HashMap<OperationKey, Vec<Vec<CorrelationSetId>>>,
    pub instances: OnceLock<SupervisorHandle<InstanceEntity, InstanceKeeper>>,
    /// One actor per partner link with a partner role.
    pub partners: OnceLock<HashMap<PartnerLinkId, Addr<PartnerLinkActor>>>,
    state: AtomicU8,
    metrics: OnceLock<ProcessMetrics>,
}

impl ProcessRuntime {
    pub fn new(
        version: i64,
        unit: Arc<Unit>,
        deployment: ProcessDeployment,
        compiled: CompiledProcess,
        interceptors: Chain,
        state: VersionState,
    ) -> Self {
        let name = compiled.model.name.clone();
        let (instantiating, correlated) = routing(&compiled);
        Self {
            pid: pid(&name, version),
            name,
            version,
            unit,
            deployment,
            compiled,
            interceptors,
            instantiating,
            correlated,
            instances: OnceLock::new(),
            partners: OnceLock::new(),
            state: AtomicU8::new(state as u8),
            metrics: OnceLock::new(),
        }
    }

    pub fn state(&self) -> VersionState {
        match self.state.load(Ordering::Acquire) {
            0 => VersionState::Active,
            1 => VersionState::Retired,
            _ => VersionState::Disabled,
        }
    }

    /// Whether its instances live in memory only (deploy.xml `<in-memory>true</in-memory>`).
    pub fn in_memory(&self) -> bool {
        self.deployment.in_memory
    }

    pub fn set_state(&self, state: VersionState) {
        self.state.store(state as u8, Ordering::Release);
    }

    pub fn supervisor(&self) -> &SupervisorHandle<InstanceEntity, InstanceKeeper> {
        self.instances
            .get()
            .expect("the supervisor starts with the process")
    }

    pub fn partner(&self, partner_link: PartnerLinkId) -> Option<&Addr<PartnerLinkActor>> {
        self.partners.get()?.get(&partner_link)
    }

    /// The version's instruments among `metrics`, resolved on first use.
    pub fn metrics(&self, metrics: &Metrics) -> &ProcessMetrics {
        self.metrics.get_or_init(|| metrics.of_process(&self.pid))
    }
}

/// The pid of version `version` of process `name`: `{namespace}Name-version`.
pub fn pid(name: &QName, version: i64) -> String {
    format!("{name}-{version}")
}

/// Derives, from the receives, pick onMessages and onEvents of a process, which operations
/// instantiate and which keys of correlation sets route messages of each operation to
/// instances (see [`crate::runtime::routes`]).
fn routing(
    compiled: &CompiledProcess,
) -> (
    HashSet<OperationKey>,
    HashMap<OperationKey, Vec<Vec<CorrelationSetId>>>,
) {
    let mut instantiating = HashSet::new();
    let mut correlated: HashMap<OperationKey, Vec<Vec<CorrelationSetId>>> = HashMap::new();
    for receive in compiled.model.message_receivers() {
        let key = (receive.partner_link, receive.operation.clone());
        if receive.create_instance {
            instantiating.insert(key.clone());
        }
        let keys = correlated.entry(key).or_default();
        for sets in routes::receiver_keys(receive) {
            if !keys.contains(&sets) {
                keys.push(sets);
            }
        }
    }
    correlated.retain(|_, keys| !keys.is_empty());
    for keys in correlated.values_mut() {
        *keys = routes::lookup_order(keys);
    }
    (instantiating, correlated)
}
