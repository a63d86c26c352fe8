//! What is deployed and where it is offered: process versions by pid, the active version of
//! each process name, and the service endpoints (HTTP paths and service QNames) that
//! `<provide>` bindings offer. Read on every request, so lookups are lock-free maps.

use std::sync::Arc;

use dashmap::DashMap;

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
    /// The HTTP path it is served at, from the port's soap:address.
    pub path: String,
}

/// The deployed processes and their endpoints.
#[derive(Default)]
pub struct Registry {
    processes: DashMap<String, Arc<ProcessRuntime>>,
    /// HTTP path → endpoint; also `/services/{ServiceName}`.
    paths: DashMap<String, ServiceEndpoint>,
    /// (service, port) → HTTP path, for peer-to-peer lookups.
    services: DashMap<(QName, String), String>,
}

impl Registry {
    pub fn process(&self, pid: &str) -> Option<Arc<ProcessRuntime>> {
        self.processes.get(pid).map(|entry| entry.clone())
    }

    pub fn processes(&self) -> Vec<Arc<ProcessRuntime>> {
        self.processes.iter().map(|entry| entry.clone()).collect()
    }

    pub fn add_process(&self, process: Arc<ProcessRuntime>) {
        self.processes.insert(process.pid.clone(), process);
    }

    pub fn remove_process(&self, pid: &str) -> Option<Arc<ProcessRuntime>> {
        self.processes.remove(pid).map(|(_, process)| process)
    }

    pub fn endpoint(&self, path: &str) -> Option<ServiceEndpoint> {
        self.paths.get(path).map(|entry| entry.clone())
    }

    /// The endpoint offering `service`/`port`, if a process of this server provides it.
    pub fn provided(&self, service: &QName, port: &str) -> Option<ServiceEndpoint> {
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
        if alias != endpoint.path {
            self.paths.insert(alias, endpoint.clone());
        }
        self.paths.insert(endpoint.path.clone(), endpoint);
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
        removed
    }

    pub fn endpoints(&self) -> Vec<ServiceEndpoint> {
        self.paths.iter().map(|entry| entry.clone()).collect()
    }
}

/// The second path every service is offered at.
pub fn service_alias(service: &QName) -> String {
    format!("/services/{}", service.local)
}
