//! Endpoints for the partner links a process offers (its myRole links) when its WSDL
//! declares no service: bpel-scripts' processes come with port types only, which ODE's
//! script harness bound in memory. The staged unit gets one more WSDL document,
//! `endpoints.wsdl`, with an rpc/literal SOAP binding of each myRole port type and a service
//! with one port on it (no address: Baton serves it at its service alias), and deploy.xml
//! `<provide>`s each link with that service. Baton's ordinary binding and dispatch then
//! carry the requests.

use std::path::Path;

use crate::roles::{Name, PortTypeOperation, UnitDocuments};

/// The namespace of the synthesised services.
pub(crate) const NAMESPACE: &str = "urn:conformance:endpoints";

/// The file the synthesised services are written to, at the unit's root.
const FILE: &str = "endpoints.wsdl";

/// A myRole partner link and the service it is provided with.
#[derive(Debug, Clone)]
pub(crate) struct Provided {
    pub partner_link: String,
    /// The local name of the service, in [`NAMESPACE`].
    pub service: String,
    pub port: String,
    pub operations: Vec<PortTypeOperation>,
}

/// Writes `endpoints.wsdl` into the staged unit `unit` for every myRole partner link of its
/// processes, and returns them.
pub(crate) fn provide_my_roles(unit: &Path) -> Result<Vec<Provided>, String> {
    let documents = UnitDocuments::read(unit);
    let mut provided: Vec<Provided> = Vec::new();
    let mut bindings = String::new();
    let mut prefixes = String::new();
    for (index, link) in documents.partner_links().into_iter().enumerate() {
        let Some(port_type) = link.my_role else {
            continue;
        };
        if provided.iter().any(|p| p.partner_link == link.link) {
            continue;
        }
        let operations = documents.operations(&port_type);
        let entry = Provided {
            service: format!("{}Service", link.link),
            port: format!("{}Port", link.link),
            partner_link: link.link,
            operations,
        };
        let prefix = format!("pt{index}");
        prefixes.push_str(&format!(r#" xmlns:{prefix}="{}""#, port_type.0));
        bindings.push_str(&binding(&entry, &prefix, &port_type));
        provided.push(entry);
    }
    let wsdl = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="{NAMESPACE}" targetNamespace="{NAMESPACE}"{prefixes}>
{bindings}</wsdl:definitions>
"#
    );
    std::fs::write(unit.join(FILE), wsdl).map_err(|e| format!("writing {FILE}: {e}"))?;
    Ok(provided)
}

/// The `<provide>` elements of deploy.xml for `provided` (the descriptor's namespace is the
/// default one; `e` is bound here).
pub(crate) fn provide_elements(provided: &[Provided]) -> String {
    provided
        .iter()
        .map(|p| {
            format!(
                r#"<provide partnerLink="{}"><service xmlns:e="{NAMESPACE}" name="e:{}" port="{}"/></provide>"#,
                p.partner_link, p.service, p.port
            )
        })
        .collect()
}

/// The rpc/literal binding of `port_type` (its namespace bound to `prefix`) and the service
/// of `provided`.
fn binding(provided: &Provided, prefix: &str, port_type: &Name) -> String {
    let body = format!(r#"<soap:body use="literal" namespace="{}"/>"#, port_type.0);
    let operations: String = provided
        .operations
        .iter()
        .map(|op| {
            let output = if op.two_way {
                format!("<wsdl:output>{body}</wsdl:output>")
            } else {
                String::new()
            };
            format!(
                r#"    <wsdl:operation name="{}"><soap:operation soapAction="" style="rpc"/><wsdl:input>{body}</wsdl:input>{output}</wsdl:operation>
"#,
                op.name
            )
        })
        .collect();
    format!(
        r#"  <wsdl:binding name="{service}Binding" type="{prefix}:{port_type}">
    <soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
{operations}  </wsdl:binding>
  <wsdl:service name="{service}">
    <wsdl:port name="{port}" binding="tns:{service}Binding"/>
  </wsdl:service>
"#,
        service = provided.service,
        port = provided.port,
        port_type = port_type.1,
    )
}
