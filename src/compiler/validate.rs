//! Checks across files once a process is compiled: every `<provide>` and `<invoke>` of
//! deploy.xml must name a partner link of the process with the matching role and a service
//! port the WSDL defines (bound to the role's port type), and every myRole partner link that
//! receives messages must be provided.

use std::collections::BTreeMap;

use super::bpel::CompiledProcess;
use super::deploy::ProcessSites;
use super::diagnostics::Diagnostics;
use crate::model::{Definitions, Location, PartnerLink, ProcessDeployment, Role};
use crate::xml::QName;

/// Checks the deployment of one compiled process.
pub(crate) fn deployment(
    deployment: &ProcessDeployment,
    sites: &ProcessSites,
    compiled: &CompiledProcess,
    definitions: &Definitions,
    diagnostics: &mut Diagnostics,
) {
    let process = &compiled.process;
    let links: BTreeMap<&str, &PartnerLink> = process
        .partner_links
        .iter()
        .map(|link| (link.name.as_str(), link))
        .collect();
    let mut provided = BTreeMap::new();
    for (provide, at) in deployment.provides.iter().zip(&sites.provides) {
        let port = Endpoint {
            service: &provide.service,
            port: &provide.port,
            at,
            rule: "DD-PROVIDE",
            called: false,
        };
        let role = Bound {
            partner_link: &provide.partner_link,
            twice: "is provided twice",
            attribute: "myRole",
            role: |link| &link.my_role,
        };
        role.check(&port, &links, &mut provided, definitions, diagnostics);
    }
    let mut invoked = BTreeMap::new();
    for (invoke, at) in deployment.invokes.iter().zip(&sites.invokes) {
        let port = Endpoint {
            service: &invoke.service,
            port: &invoke.port,
            at,
            rule: "DD-INVOKE",
            called: true,
        };
        let role = Bound {
            partner_link: &invoke.partner_link,
            twice: "is bound twice",
            attribute: "partnerRole",
            role: |link| &link.partner_role,
        };
        role.check(&port, &links, &mut invoked, definitions, diagnostics);
    }
    for (&link, used_at) in &compiled.inbound {
        let name = &process.partner_link(link).name;
        if !provided.contains_key(name.as_str()) {
            let message = format!(
                "partner link '{name}' receives messages (at {used_at}) but has no <provide>"
            );
            diagnostics.error(&sites.process, "DD-PROVIDE", message);
        }
    }
}

/// The role of a partner link that a `<provide>` or `<invoke>` binds.
struct Bound<'d> {
    partner_link: &'d str,
    /// What a second binding of the partner link is said to be.
    twice: &'static str,
    attribute: &'static str,
    role: fn(&PartnerLink) -> &Option<Role>,
}

impl<'d> Bound<'d> {
    /// Checks that the partner link is bound once (recorded in `seen`) and has the role,
    /// whose port type `port` must bind. A partner link whose type is unknown is not
    /// checked: the process's own error (SA00014) says why.
    fn check(
        &self,
        port: &Endpoint<'_>,
        links: &BTreeMap<&str, &PartnerLink>,
        seen: &mut BTreeMap<&'d str, Location>,
        definitions: &Definitions,
        diagnostics: &mut Diagnostics,
    ) {
        let (name, at, rule) = (self.partner_link, port.at, port.rule);
        if seen.insert(name, at.clone()).is_some() {
            diagnostics.error(at, rule, format!("partner link '{name}' {}", self.twice));
            return;
        }
        let Some(link) = links.get(name) else {
            let message = format!("the process has no partner link '{name}'");
            return diagnostics.error(at, rule, message);
        };
        if !definitions
            .partner_link_types
            .contains_key(&link.partner_link_type)
        {
            return;
        }
        match (self.role)(link) {
            Some(role) => port.check(role, definitions, diagnostics),
            None => {
                let message = format!("partner link '{name}' has no {}", self.attribute);
                diagnostics.error(at, rule, message);
            }
        }
    }
}

/// A service port named in deploy.xml.
struct Endpoint<'d> {
    service: &'d QName,
    port: &'d str,
    at: &'d Location,
    rule: &'static str,
    /// Named by an `<invoke>`: Baton calls it.
    called: bool,
}

impl Endpoint<'_> {
    /// The port must exist and, when its binding is a SOAP binding, bind the role's port
    /// type; a port Baton calls must have a SOAP or HTTP binding.
    fn check(&self, role: &Role, definitions: &Definitions, diagnostics: &mut Diagnostics) {
        let Some(service) = definitions.services.get(self.service) else {
            let message = format!("no WSDL of the unit defines the service {}", self.service);
            return diagnostics.error(self.at, self.rule, message);
        };
        let Some(port) = service.ports.iter().find(|port| port.name == self.port) else {
            let message = format!("service {} has no port '{}'", self.service, self.port);
            return diagnostics.error(self.at, self.rule, message);
        };
        let Some(binding) = definitions.bindings.get(&port.binding) else {
            if self.called {
                let message = format!(
                    "service {} port '{}' has the binding {}, which is neither a SOAP nor an \
                     HTTP binding: Baton cannot call it",
                    self.service, self.port, port.binding
                );
                diagnostics.error(self.at, "UNSUPPORTED", message);
            }
            return;
        };
        if binding.port_type != role.port_type {
            let message = format!(
                "port '{}' binds port type {}, but role '{}' has port type {}",
                self.port, binding.port_type, role.name, role.port_type
            );
            diagnostics.error(self.at, self.rule, message);
        }
    }
}
