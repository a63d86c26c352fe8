//! What is deployed and where it is offered: process versions by pid, the active version of
//! each process name, and the service endpoints (HTTP paths, AMQP queues and service QNames)
//! that `<provide>` bindings offer. Read on every request, so lookups are lock-free maps.

use std::collections::BTreeMap;
use std::sync::Arc;

use baton_transports::amqp::{AmqpEndpoint, AmqpService};
use dashmap::DashMap;
use tokio::sync::watch;

use super::process::ProcessRuntime;
use crate::model::PartnerLinkId;
use crate::xml::QName;

/// A service offered by a process: where messages for it go.
#[derive(Debug, Clone)]
pub struct ServiceEndpoint {
    pub pid: String,
    pub partner_link: PartnerLinkId,
    pub service: QName,
    pub port: String,
    /// The HTTP path it is served at, from the port's soap:address; for a service bound to a
    /// queue, the address its messages are dispatched to.
    pub path: String,
    /// The queue it is served from, when the port's soap:address is an `amqp://` URL.
    pub amqp: Option<AmqpEndpoint>,
    /// What callers over HTTP must present (deploy.xml `<baton:credentials>`); none: anyone.
    pub credentials: Arc<[crate::auth::ServiceCredential]>,
}

impl ServiceEndpoint {
    /// The URL partners reach it at: its AMQP address, or its path on `base_url`.
    pub fn url(&self, base_url: &str) -> String {
        match &self.amqp {
            Some(amqp) => amqp.to_string(),
            None => format!("{base_url}{}", self.path),
        }
    }
}

/// The deployed processes and their endpoints.
pub struct Registry {
    processes: DashMap<String, Arc<ProcessRuntime>>,
    /// HTTP path → endpoint; also `/services/{ServiceName}`.
    paths: DashMap<String, Arc<ServiceEndpoint>>,
    /// (service, port) → HTTP path, for peer-to-peer lookups.
    services: DashMap<(QName, String), String>,
    /// The services bound to queues, as [`Registry::amqp_services`] gives them, announced
    /// whenever they change.
    queues: watch::Sender<Vec<AmqpService>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            processes: DashMap::new(),
            paths: DashMap::new(),
            services: DashMap::new(),
            queues: watch::Sender::new(Vec::new()),
        }
    }
}

impl Registry {
    pub fn process(&self, pid: &str) -> Option<Arc<ProcessRuntime>> {
        self.processes.get(pid).map(|entry| entry.clone())
    }

    pub fn processes(&self) -> Vec<Arc<ProcessRuntime>> {
        self.processes.iter().map(|entry| entry.clone()).collect()
    }

    /// The deployed versions of process `name`.
    pub fn versions_of(&self, name: &QName) -> Vec<Arc<ProcessRuntime>> {
        self.processes
            .iter()
            .filter(|entry| entry.name == *name)
            .map(|entry| entry.clone())
            .collect()
    }

    pub fn add_process(&self, process: Arc<ProcessRuntime>) {
        self.processes.insert(process.pid.clone(), process);
    }

    pub fn remove_process(&self, pid: &str) -> Option<Arc<ProcessRuntime>> {
        self.processes.remove(pid).map(|(_, process)| process)
    }

    /// The endpoint at `path`; a trailing `/` does not count, as in the addresses served.
    pub fn endpoint(&self, path: &str) -> Option<Arc<ServiceEndpoint>> {
        let path = match path.trim_end_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        self.paths.get(path).map(|entry| entry.clone())
    }

    /// The endpoint offering `service`/`port`, if a process of this server provides it.
    pub fn provided(&self, service: &QName, port: &str) -> Option<Arc<ServiceEndpoint>> {
        let path = self
            .services
            .get(&(service.clone(), port.to_owned()))?
            .clone();
        self.endpoint(&path)
    }

    /// Offers `endpoint` at its path and at `/services/{ServiceName}`.
    pub fn add_endpoint(&self, endpoint: ServiceEndpoint) {
        let alias = service_alias(&endpoint.service);
        self.services.insert(
            (endpoint.service.clone(), endpoint.port.clone()),
            endpoint.path.clone(),
        );
        let endpoint = Arc::new(endpoint);
        if alias != endpoint.path {
            self.paths.insert(alias, endpoint.clone());
        }
        self.paths.insert(endpoint.path.clone(), endpoint);
        self.announce_queues();
    }

    /// Withdraws every endpoint of `pid` and returns the paths it was served at.
    pub fn remove_endpoints(&self, pid: &str) -> Vec<String> {
        let mut removed = Vec::new();
        self.paths.retain(|path, endpoint| {
            let keep = endpoint.pid != pid;
            if !keep {
                removed.push(path.clone());
            }
            keep
        });
        let paths = &self.paths;
        self.services.retain(|_, path| paths.contains_key(path));
        self.announce_queues();
        removed
    }

    pub fn endpoints(&self) -> Vec<ServiceEndpoint> {
        self.paths
            .iter()
            .map(|entry| ServiceEndpoint::clone(&entry))
            .collect()
    }

    /// The endpoint served from `queue`, if any.
    pub fn queue_owner(&self, queue: &str) -> Option<ServiceEndpoint> {
        self.paths
            .iter()
            .find(|entry| entry.amqp.as_ref().is_some_and(|a| a.queue() == queue))
            .map(|entry| ServiceEndpoint::clone(&entry))
    }

    /// The services bound to queues, now and whenever they change (a unit deployed or removed).
    pub fn watch_amqp_services(&self) -> watch::Receiver<Vec<AmqpService>> {
        self.queues.subscribe()
    }

    fn announce_queues(&self) {
        let now = self.amqp_services();
        self.queues.send_if_modified(|served| {
            let changed = *served != now;
            if changed {
                *served = now;
            }
            changed
        });
    }

    /// The services bound to queues, one per queue, in the order of their queue names.
    pub fn amqp_services(&self) -> Vec<AmqpService> {
        let by_queue: BTreeMap<String, String> = self
            .paths
            .iter()
            .filter_map(|entry| {
                let queue = entry.amqp.as_ref()?.queue().to_owned();
                Some((queue, entry.path.clone()))
            })
            .collect();
        by_queue
            .into_iter()
            .map(|(queue, address)| AmqpService { queue, address })
            .collect()
    }
}

/// The second path every service is offered at.
pub fn service_alias(service: &QName) -> String {
    format!("/services/{}", service.local)
}
