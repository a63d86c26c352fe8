//! The default SOAP binding of a provided service that the unit's WSDL does not bind.
//!
//! Many units declare a provided service without a SOAP binding (a `<wsdl:binding>` with no
//! `soap:binding`, a port without a binding the unit defines, or no `<wsdl:service>` at all).
//! Such a `<provide>` is not refused: its service and port are completed in the unit's
//! [`Definitions`] with a SOAP 1.1 binding derived from the partner link's myRole port type,
//! and a warning says so. Each operation of the default binding is document/literal when
//! every part of its input and output messages is an element, rpc/literal otherwise, with
//! the port type's namespace as the rpc wrapper's namespace. A port without a `soap:address`
//! is served at `/ode/processes/{service local name}`.

use super::deploy::ProcessSites;
use super::diagnostics::Diagnostics;
use crate::model::{
    Binding, BindingOperation, BindingStyle, Definitions, PartContent, Port, Process,
    ProcessDeployment, Service, SoapVersion,
};
use crate::xml::QName;

/// The path a default-bound port without an address is served at.
const DEFAULT_PATH_PREFIX: &str = "/ode/processes/";

/// Gives every `<provide>` of `deployment` whose port has no SOAP binding the default one.
pub(crate) fn complete(
    deployment: &ProcessDeployment,
    sites: &ProcessSites,
    process: &Process,
    definitions: &mut Definitions,
    diagnostics: &mut Diagnostics,
) {
    for (provide, at) in deployment.provides.iter().zip(&sites.provides) {
        let role = process
            .partner_links
            .iter()
            .find(|link| link.name == provide.partner_link)
            .and_then(|link| link.my_role.as_ref());
        let Some(role) = role else {
            continue;
        };
        if definitions
            .port_binding(&provide.service, &provide.port)
            .is_some()
        {
            continue;
        }
        let Some(binding) = default_binding(
            &provide.service,
            &provide.port,
            &role.port_type,
            definitions,
        ) else {
            continue;
        };
        let address = format!("{DEFAULT_PATH_PREFIX}{}", provide.service.local);
        let service = definitions
            .services
            .entry(provide.service.clone())
            .or_insert_with(|| Service {
                name: provide.service.clone(),
                ports: Vec::new(),
            });
        let port = match service.ports.iter().position(|p| p.name == provide.port) {
            Some(index) => &mut service.ports[index],
            None => {
                service.ports.push(Port {
                    name: provide.port.clone(),
                    binding: binding.name.clone(),
                    address: None,
                });
                service.ports.last_mut().expect("just pushed")
            }
        };
        port.binding = binding.name.clone();
        let served_at = port.address.get_or_insert(address).clone();
        let message = format!(
            "service {} port '{}' has no SOAP binding: it is served with a default SOAP 1.1 \
             binding of port type {} ({}) at {served_at}",
            provide.service,
            provide.port,
            role.port_type,
            styles(&binding)
        );
        diagnostics.warning(at, "DD-PROVIDE", message);
        definitions.bindings.insert(binding.name.clone(), binding);
    }
}

/// The default binding of `port_type` for a service port, if the port type is defined.
fn default_binding(
    service: &QName,
    port: &str,
    port_type: &QName,
    definitions: &Definitions,
) -> Option<Binding> {
    let defined = definitions.port_types.get(port_type)?;
    let operations = defined
        .operations
        .iter()
        .map(|operation| {
            let all_elements = [&operation.input, &operation.output]
                .into_iter()
                .flatten()
                .filter_map(|name| definitions.messages.get(name))
                .flat_map(|message| &message.parts)
                .all(|part| matches!(part.content, PartContent::Element(_)));
            let (style, namespace) = if all_elements {
                (BindingStyle::Document, None)
            } else {
                (BindingStyle::Rpc, Some(port_type.ns.clone()))
            };
            BindingOperation {
                name: operation.name.clone(),
                soap_action: None,
                style,
                input_namespace: namespace.clone(),
                output_namespace: namespace,
                input_parts: None,
                output_parts: None,
                input_headers: Vec::new(),
                output_headers: Vec::new(),
                http: None,
            }
        })
        .collect();
    Some(Binding {
        name: QName::new(
            service.ns.as_str(),
            format!("{}{port}DefaultSoapBinding", service.local),
        ),
        port_type: port_type.clone(),
        version: SoapVersion::Soap11,
        operations,
    })
}

/// "document/literal", "rpc/literal" or both, for the warning.
fn styles(binding: &Binding) -> &'static str {
    let has = |style| binding.operations.iter().any(|o| o.style == style);
    match (has(BindingStyle::Document), has(BindingStyle::Rpc)) {
        (true, true) => "document/literal and rpc/literal operations",
        (false, true) => "rpc/literal",
        _ => "document/literal",
    }
}
