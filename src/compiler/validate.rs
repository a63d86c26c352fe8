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
        let rule = "DD-PROVIDE";
        if provided.insert(provide.partner_link.as_str(), at).is_some() {
            let message = format!("partner link '{}' is provided twice", provide.partner_link);
            diagnostics.error(at, rule, message);
            continue;
        }
        let role = role_of(
            &links,
            definitions,
            &provide.partner_link,
            "myRole",
            |link| &link.my_role,
        );
        let port = Endpoint {
            service: &provide.service,
            port: &provide.port,
            at,
            rule,
            called: false,
        };
        match role {
            Ok(Some(role)) => port.check(role, definitions, diagnostics),
            Ok(None) => {}
            Err(message) => diagnostics.error(at, rule, message),
        }
    }
    let mut invoked = BTreeMap::new();
    for (invoke, at) in deployment.invokes.iter().zip(&sites.invokes) {
        let rule = "DD-INVOKE";
        if invoked.insert(invoke.partner_link.as_str(), at).is_some() {
            let message = format!("partner link '{}' is bound twice", invoke.partner_link);
            diagnostics.error(at, rule, message);
            continue;
        }
        let role = role_of(
            &links,
            definitions,
            &invoke.partner_link,
            "partnerRole",
            |link| &link.partner_role,
        );
        let port = Endpoint {
            service: &invoke.service,
            port: &invoke.port,
            at,
            rule,
            called: true,
        };
        match role {
            Ok(Some(role)) => port.check(role, definitions, diagnostics),
            Ok(None) => {}
            Err(message) => diagnostics.error(at, rule, message),
        }
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

/// The role of partner link `name` that a `<provide>` or `<invoke>` binds; None when the
/// partner link's type is unknown, which the process's own error reports (SA00014).
fn role_of<'p>(
    links: &BTreeMap<&str, &'p PartnerLink>,
    definitions: &Definitions,
    name: &str,
    attribute: &str,
    role: impl Fn(&'p PartnerLink) -> &'p Option<Role>,
) -> Result<Option<&'p Role>, String> {
    let link = links
        .get(name)
        .ok_or_else(|| format!("the process has no partner link '{name}'"))?;
    if !definitions
        .partner_link_types
        .contains_key(&link.partner_link_type)
    {
        return Ok(None);
    }
    role(link)
        .as_ref()
        .map(Some)
        .ok_or_else(|| format!("partner link '{name}' has no {attribute}"))
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
