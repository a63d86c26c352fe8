//! Installing a compiled unit: every process of it becomes a running [`ProcessRuntime`] with
//! its supervisor and partner link actors, and its provided services are offered at their
//! paths. Everything is checked before anything is registered, so a unit that cannot be
//! installed leaves the running processes as they were.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::Actor;
use baton_actors::{DehydrationPolicy, Supervisor};
use baton_transports::amqp::AmqpEndpoint;

use super::instance::InstanceKeeper;
use super::partner::PartnerLinkActor;
use super::peer;
use super::process::{pid, ProcessRuntime, VersionState};
use super::registry::{service_alias, ServiceEndpoint};
use super::routing::LinkRoute;
use super::{Engine, Services};
use crate::model::{PartnerLinkId, Unit};
use crate::runtime::events::EventFilter;
use crate::runtime::CompiledProcess;

/// Why a unit could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{}", .0.join("\n"))]
    Compile(Vec<String>),
    #[error("{path} is already served by {owner}")]
    PathTaken { path: String, owner: String },
    #[error("deploy.xml names process {0}, which no .bpel file of the unit defines")]
    MissingProcess(String),
    #[error("service {service} port {port}: {source}")]
    Address {
        service: String,
        port: String,
        source: Box<baton_transports::Error>,
    },
    #[error("service {service} port {port} is bound to an AMQP queue, and AMQP is off: configure [amqp] url")]
    AmqpOff { service: String, port: String },
    #[error("queue {queue} is already served by {owner}")]
    QueueTaken { queue: String, owner: String },
    #[error("process {process}: deploy.xml <mex-interceptors>: {source}")]
    Interceptor {
        process: String,
        source: crate::interceptor::UnknownInterceptor,
    },
}

/// The HTTP path of a soap:address URL (`http://host:8080/a/b` → `/a/b`, `http://host/` →
/// `/`); `None` without a path.
pub fn url_path(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = &rest[rest.find('/')?..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    match path.trim_end_matches('/') {
        "" => Some("/".to_owned()),
        path => Some(path.to_owned()),
    }
}

/// Process versions installed and not yet offered: their endpoints wait for
/// [`Engine::open`].
#[derive(Default)]
pub struct Installation {
    pub processes: Vec<Arc<ProcessRuntime>>,
    endpoints: Vec<ServiceEndpoint>,
}

impl Engine {
    /// Installs the processes of `unit` as `version`, each in the state `state_of` gives its
    /// pid (or as its deployment descriptor says when it is not active); no request reaches
    /// them before [`Engine::open`].
    pub fn install(
        &self,
        unit: Arc<Unit>,
        version: i64,
        state_of: &dyn Fn(&str) -> VersionState,
    ) -> Result<Installation, InstallError> {
        let services = self.services();
        let mut prepared = Vec::new();
        let mut errors = Vec::new();
        for deployment in &unit.descriptor.processes {
            let Some(model) = unit.process(&deployment.name) else {
                return Err(InstallError::MissingProcess(deployment.name.to_string()));
            };
            let endpoints = provided_endpoints(&unit, deployment, model)?;
            let interceptors = services
                .interceptors
                .for_process(&deployment.mex_interceptors)
                .map_err(|source| InstallError::Interceptor {
                    process: deployment.name.to_string(),
                    source,
                })?;
            let owned_by_another = |owner: &ServiceEndpoint| {
                let owner_name = services
                    .registry
                    .process(&owner.pid)
                    .map(|p| p.name.clone());
                owner_name.as_ref() != Some(&deployment.name)
            };
            for endpoint in &endpoints {
                if let Some(owner) = services.registry.endpoint(&endpoint.path) {
                    if owned_by_another(&owner) {
                        return Err(InstallError::PathTaken {
                            path: endpoint.path.clone(),
                            owner: owner.pid.clone(),
                        });
                    }
                }
                let Some(amqp) = &endpoint.amqp else { continue };
                if services.config.amqp.url.is_none() {
                    return Err(InstallError::AmqpOff {
                        service: endpoint.service.to_string(),
                        port: endpoint.port.clone(),
                    });
                }
                if let Some(owner) = services.registry.queue_owner(amqp.queue()) {
                    if owned_by_another(&owner) {
                        return Err(InstallError::QueueTaken {
                            queue: amqp.queue().to_owned(),
                            owner: owner.pid.clone(),
                        });
                    }
                }
            }
            let partner_links = model.partner_links.len();
            let mut my_endpoints = vec![None; partner_links];
            for endpoint in &endpoints {
                my_endpoints[endpoint.partner_link.index()] =
                    Some(endpoint.url(services.base_url()));
            }
            let mut partner_endpoints = vec![None; partner_links];
            for invoke in &deployment.invokes {
                if let Some(partner_link) = model.partner_link_named(&invoke.partner_link) {
                    let referenced = invoke.endpoint.as_ref().map(|e| e.address.clone());
                    partner_endpoints[partner_link.index()] = referenced.or_else(|| {
                        unit.definitions
                            .port(&invoke.service, &invoke.port)
                            .and_then(|p| p.address.clone())
                    });
                }
            }
            let state = if deployment.retired {
                VersionState::Retired
            } else if !deployment.active {
                VersionState::Disabled
            } else {
                state_of(&pid(&deployment.name, version))
            };
            let compiled = CompiledProcess::compile(
                model.clone(),
                Arc::new(unit.definitions.clone()),
                my_endpoints,
                partner_endpoints,
            )
            .map_err(|compile_errors| compile_errors.iter().map(ToString::to_string).collect())
            .and_then(|compiled| {
                compiled
                    .with_extensions(&services.extensions)
                    .map_err(|missing| missing.iter().map(ToString::to_string).collect())
            });
            let events =
                EventFilter::compile(deployment.events.as_ref(), model).map_err(|problem| {
                    vec![format!(
                        "{}: deploy.xml <process-events>: {problem}",
                        deployment.name
                    )]
                });
            match compiled.and_then(|compiled| Ok((compiled, events?))) {
                Ok((compiled, events)) => {
                    // Events no listener hears are not made.
                    let events = match services.events.is_off() {
                        true => EventFilter::none(),
                        false => events,
                    };
                    let compiled = compiled
                        .with_events(events)
                        .with_properties(&deployment.properties)
                        .with_partner_failure(services.config.partner_failure())
                        .with_target_attributes_kept(services.config.ode_mode())
                        .with_correlation_values_shared(services.config.ode_mode());
                    prepared.push((deployment.clone(), compiled, interceptors, endpoints, state))
                }
                Err(problems) => errors.extend::<Vec<String>>(problems),
            }
        }
        if !errors.is_empty() {
            return Err(InstallError::Compile(errors));
        }
        let mut installed = Installation::default();
        for (deployment, compiled, interceptors, endpoints, state) in prepared {
            let process = Arc::new(ProcessRuntime::new(
                version,
                unit.clone(),
                deployment,
                compiled,
                interceptors,
                state,
            ));
            start_actors(services, &process);
            services.registry.add_process(process.clone());
            if state == VersionState::Active {
                for mut endpoint in endpoints {
                    endpoint.pid = process.pid.clone();
                    installed.endpoints.push(endpoint);
                }
            }
            tracing::info!(pid = %process.pid, state = ?state, "Process version installed");
            installed.processes.push(process);
        }
        Ok(installed)
    }

    /// Offers the endpoints of the active versions `installed` holds: from then on requests
    /// reach them. The versions are recorded in the store first, so that no instance of a
    /// version the store does not know yet is created.
    pub fn open(&self, installed: Installation) -> Vec<Arc<ProcessRuntime>> {
        let services = self.services();
        for endpoint in installed.endpoints {
            services.registry.add_endpoint(endpoint.clone());
            peer::offer(services, endpoint);
        }
        installed.processes
    }

    /// Retires a version: its instances go on, it takes no new ones, and its endpoints pass
    /// to the version that replaced it.
    pub fn retire(&self, pid: &str) {
        if let Some(process) = self.services().registry.process(pid) {
            process.set_state(VersionState::Retired);
            tracing::info!(%pid, "Process version retired");
        }
    }

    /// Removes a version: its endpoints are withdrawn, the steps its instances run stopped
    /// (not stored) and its actors stopped. Its instances' state stays in the store as last
    /// committed; in-memory instances are dropped.
    pub fn uninstall(&self, pid: &str) {
        let registry = &self.services().registry;
        for path in registry.remove_endpoints(pid) {
            self.services().peers.unregister(&path);
        }
        if let Some(process) = registry.remove_process(pid) {
            self.services()
                .steps
                .stop_version(pid, "its process version was undeployed");
            process.supervisor().shutdown();
            if process.in_memory() {
                self.drop_in_memory_instances(pid);
            }
            tracing::info!(%pid, "Process version removed");
        }
    }
}

/// Whether a soap:address binds its port to an AMQP queue rather than to an HTTP path.
fn is_amqp(address: &str) -> bool {
    address
        .split_once("://")
        .is_some_and(|(scheme, _)| matches!(scheme.to_ascii_lowercase().as_str(), "amqp" | "amqps"))
}

/// The endpoints a process's `<provide>`s offer (pid filled in at registration), at the
/// address of the `<provide>`'s endpoint reference, else of its port's soap:address. An
/// `amqp://` address is served from that queue, and dispatched to at its
/// `/services/{ServiceName}` alias; of an `http(s)://` address only the path counts (the
/// server listens where it is configured to); a `local:PATH` address serves at PATH.
fn provided_endpoints(
    unit: &Unit,
    deployment: &crate::model::ProcessDeployment,
    model: &crate::model::Process,
) -> Result<Vec<ServiceEndpoint>, InstallError> {
    let mut endpoints = Vec::new();
    for provide in &deployment.provides {
        let Some(partner_link) = model.partner_link_named(&provide.partner_link) else {
            continue;
        };
        let referenced = provide.endpoint.as_ref().map(|e| e.address.as_str());
        let address = referenced.or_else(|| {
            unit.definitions
                .port(&provide.service, &provide.port)
                .and_then(|p| p.address.as_deref())
        });
        let (path, amqp) = match address {
            Some(address) if is_amqp(address) => {
                let amqp =
                    AmqpEndpoint::parse(address).map_err(|source| InstallError::Address {
                        service: provide.service.to_string(),
                        port: provide.port.clone(),
                        source: Box::new(source),
                    })?;
                (None, Some(amqp))
            }
            Some(address) if address.starts_with("local:") => {
                (url_path(&address["local:".len()..]), None)
            }
            address => (address.and_then(url_path), None),
        };
        endpoints.push(ServiceEndpoint {
            pid: String::new(),
            partner_link,
            service: provide.service.clone(),
            port: provide.port.clone(),
            path: path.unwrap_or_else(|| service_alias(&provide.service)),
            amqp,
            credentials: provide.credentials.clone().into(),
        });
    }
    Ok(endpoints)
}

fn start_actors(services: &Arc<Services>, process: &Arc<ProcessRuntime>) {
    let dehydration = &services.config.dehydration;
    let policy = if dehydration.enabled {
        DehydrationPolicy {
            max_count: Some(dehydration.max_count),
            max_age: Some(Duration::from_millis(dehydration.max_age_ms)),
            interval: Duration::from_millis(dehydration.check_interval_ms),
        }
    } else {
        DehydrationPolicy::disabled()
    };
    let arbiter = services.next_arbiter();
    let keeper = InstanceKeeper {
        process: process.clone(),
        services: services.clone(),
    };
    let supervisor = Supervisor::start_on(&arbiter, process.pid.clone(), keeper, policy);
    let _ = process.instances.set(supervisor);
    let model = &process.compiled.model;
    let mut partners = HashMap::new();
    for (index, partner_link) in model.partner_links.iter().enumerate() {
        let Some(role) = &partner_link.partner_role else {
            continue;
        };
        let invoke = process
            .deployment
            .invokes
            .iter()
            .find(|i| i.partner_link == partner_link.name);
        let my_service = process
            .deployment
            .provides
            .iter()
            .find(|p| p.partner_link == partner_link.name)
            .map(|p| (p.service.clone(), p.port.clone()));
        let actor = PartnerLinkActor {
            services: services.clone(),
            partner_link: PartnerLinkId(index as u32),
            name: partner_link.name.clone(),
            service: invoke.map(|i| (i.service.clone(), i.port.clone())),
            use_peer2peer: invoke.is_none_or(|i| i.use_peer2peer),
            port_type: Some(role.port_type.clone()),
            unit: process.unit.clone(),
            route: Arc::new(LinkRoute::new(invoke, my_service)),
        };
        let addr = PartnerLinkActor::start_in_arbiter(&arbiter, move |_| actor);
        partners.insert(PartnerLinkId(index as u32), addr);
    }
    let _ = process.partners.set(partners);
}

#[cfg(test)]
mod tests {
    use super::{is_amqp, url_path};

    #[test]
    fn paths_of_soap_addresses() {
        assert_eq!(
            url_path("http://localhost:8080/ode/processes/HelloWorld").as_deref(),
            Some("/ode/processes/HelloWorld")
        );
        assert_eq!(url_path("https://h/a/b/?wsdl").as_deref(), Some("/a/b"));
        assert_eq!(url_path("http://h:1"), None);
        assert_eq!(url_path("http://h/").as_deref(), Some("/"));
    }

    #[test]
    fn amqp_addresses_bind_ports_to_queues() {
        assert!(is_amqp("amqp://broker/%2f/orders"));
        assert!(is_amqp("AMQPS://broker/orders"));
        assert!(!is_amqp("http://localhost:8080/ode/processes/Hello"));
        assert!(!is_amqp("amqp-like"));
    }
}
