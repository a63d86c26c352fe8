//! Reads deploy.xml (ODE's deployment descriptor, namespace
//! `http://www.apache.org/ode/schemas/dd/2007/03`) into a [`DeployDescriptor`], keeping the
//! location of each `<process>`, `<provide>` and `<invoke>` for the cross-checks that
//! [`super::validate`] makes once the processes and WSDL definitions are known.

use super::diagnostics::Diagnostics;
use super::xmlutil::XmlFile;
use crate::model::{
    Cleanup, CleanupOn, DeployDescriptor, EventsFilter, InvokeBinding, Location, ProcessDeployment,
    Provide,
};
use crate::xml::{NodeId, QName};

/// The deployment descriptor's namespace.
pub const DD_NS: &str = "http://www.apache.org/ode/schemas/dd/2007/03";

/// The file name of the descriptor at the unit's root.
pub const DEPLOY_XML: &str = "deploy.xml";

const RULE: &str = "DD";

/// A parsed descriptor with the source locations of its parts.
pub(crate) struct DeployFile {
    pub descriptor: DeployDescriptor,
    /// Parallel to `descriptor.processes`.
    pub sites: Vec<ProcessSites>,
}

/// Where a `<process>` and its `<provide>`s and `<invoke>`s were written.
pub(crate) struct ProcessSites {
    pub process: Location,
    /// Parallel to [`ProcessDeployment::provides`].
    pub provides: Vec<Location>,
    /// Parallel to [`ProcessDeployment::invokes`].
    pub invokes: Vec<Location>,
}

/// Reads the descriptor; problems are reported and the offending parts left out.
pub(crate) fn read(file: &XmlFile, diagnostics: &mut Diagnostics) -> DeployFile {
    let mut deploy = DeployFile {
        descriptor: DeployDescriptor::default(),
        sites: Vec::new(),
    };
    let root = file.root();
    if !file.is(root, DD_NS, "deploy") {
        let message = format!("the document element must be {{{DD_NS}}}deploy");
        diagnostics.error(&file.location(root), RULE, message);
        return deploy;
    }
    for child in file.elements(root) {
        if !file.is(child, DD_NS, "process") {
            unexpected(file, child, diagnostics);
            continue;
        }
        if let Some((process, sites)) = read_process(file, child, diagnostics) {
            deploy.descriptor.processes.push(process);
            deploy.sites.push(sites);
        }
    }
    deploy
}

fn read_process(
    file: &XmlFile,
    node: NodeId,
    diagnostics: &mut Diagnostics,
) -> Option<(ProcessDeployment, ProcessSites)> {
    let name = file.required_qname_attr(node, "name", RULE, diagnostics)?;
    let mut process = ProcessDeployment {
        name,
        file_name: file.attr(node, "fileName").map(str::to_owned),
        active: true,
        retired: false,
        in_memory: false,
        properties: Vec::new(),
        provides: Vec::new(),
        invokes: Vec::new(),
        events: None,
        cleanup: Vec::new(),
    };
    let mut sites = ProcessSites {
        process: file.location(node),
        provides: Vec::new(),
        invokes: Vec::new(),
    };
    for child in file.elements(node) {
        if file.namespace(child) != DD_NS {
            unexpected(file, child, diagnostics);
            continue;
        }
        match file.local_name(child) {
            "active" => process.active = boolean(file, child, diagnostics),
            "retired" => process.retired = boolean(file, child, diagnostics),
            "in-memory" => process.in_memory = boolean(file, child, diagnostics),
            "property" => {
                if let Some(name) = file.required_qname_attr(child, "name", RULE, diagnostics) {
                    process.properties.push((name, file.content_forest(child)));
                }
            }
            "provide" => {
                if let Some(provide) = read_provide(file, child, diagnostics) {
                    process.provides.push(provide);
                    sites.provides.push(file.location(child));
                }
            }
            "invoke" => {
                if let Some(invoke) = read_invoke(file, child, diagnostics) {
                    process.invokes.push(invoke);
                    sites.invokes.push(file.location(child));
                }
            }
            "process-events" => process.events = Some(read_events(file, child, diagnostics)),
            "cleanup" => process.cleanup.push(read_cleanup(file, child, diagnostics)),
            // Recognised ODE settings that this server does not use.
            "mex-interceptors" | "type" | "schedule" => {}
            _ => unexpected(file, child, diagnostics),
        }
    }
    Some((process, sites))
}

fn read_provide(file: &XmlFile, node: NodeId, diagnostics: &mut Diagnostics) -> Option<Provide> {
    let partner_link = file.required_attr(node, "partnerLink", "DD-PROVIDE", diagnostics);
    let service = read_service(file, node, "DD-PROVIDE", diagnostics);
    let enable_sharing = file.element_named(node, DD_NS, "enableSharing").is_some();
    let (service, port) = service?;
    Some(Provide {
        partner_link: partner_link?.to_owned(),
        service,
        port,
        enable_sharing,
    })
}

fn read_invoke(
    file: &XmlFile,
    node: NodeId,
    diagnostics: &mut Diagnostics,
) -> Option<InvokeBinding> {
    let partner_link = file.required_attr(node, "partnerLink", "DD-INVOKE", diagnostics);
    let use_peer2peer = match file.attr(node, "usePeer2Peer") {
        None => true,
        Some(value) => parse_boolean(value).unwrap_or_else(|| {
            let message = format!("usePeer2Peer must be a boolean, not '{value}'");
            diagnostics.error(&file.location(node), "DD-INVOKE", message);
            true
        }),
    };
    let (service, port) = read_service(file, node, "DD-INVOKE", diagnostics)?;
    Some(InvokeBinding {
        partner_link: partner_link?.to_owned(),
        service,
        port,
        use_peer2peer,
    })
}

/// The `<service name port>` child of a `<provide>` or `<invoke>`.
fn read_service(
    file: &XmlFile,
    node: NodeId,
    rule: &'static str,
    diagnostics: &mut Diagnostics,
) -> Option<(QName, String)> {
    let Some(service) = file.element_named(node, DD_NS, "service") else {
        let element = file.local_name(node);
        let message = format!("<{element}> needs a <service name port> child");
        diagnostics.error(&file.location(node), rule, message);
        return None;
    };
    let name = file.required_qname_attr(service, "name", rule, diagnostics);
    let port = file.required_attr(service, "port", rule, diagnostics);
    Some((name?, port?.trim().to_owned()))
}

fn read_events(file: &XmlFile, node: NodeId, diagnostics: &mut Diagnostics) -> EventsFilter {
    let generate = match file.attr(node, "generate") {
        None => None,
        Some("all") => Some(true),
        Some("none") => Some(false),
        Some(other) => {
            let message = format!("generate must be 'all' or 'none', not '{other}'");
            diagnostics.error(&file.location(node), RULE, message);
            None
        }
    };
    let scopes = file
        .elements_named(node, DD_NS, "scope-events")
        .filter_map(|scope| {
            let name = file.required_attr(scope, "name", RULE, diagnostics)?;
            Some((name.to_owned(), event_list(file, scope)))
        })
        .collect();
    EventsFilter {
        generate,
        enabled: event_list(file, node),
        scopes,
    }
}

fn event_list(file: &XmlFile, node: NodeId) -> Vec<String> {
    file.elements_named(node, DD_NS, "enable-event")
        .map(|event| file.trimmed_text(event))
        .collect()
}

const CATEGORIES: [&str; 6] = [
    "instance",
    "variables",
    "messages",
    "correlations",
    "events",
    "all",
];

fn read_cleanup(file: &XmlFile, node: NodeId, diagnostics: &mut Diagnostics) -> Cleanup {
    let on = match file.attr(node, "on") {
        None | Some("always") => CleanupOn::Always,
        Some("success") => CleanupOn::Success,
        Some("failure") => CleanupOn::Failure,
        Some(other) => {
            let message = format!("cleanup on must be success, failure or always, not '{other}'");
            diagnostics.error(&file.location(node), RULE, message);
            CleanupOn::Always
        }
    };
    let mut categories = Vec::new();
    for category in file.elements_named(node, DD_NS, "category") {
        let value = file.trimmed_text(category);
        if CATEGORIES.contains(&value.as_str()) {
            categories.push(value);
        } else {
            let message = format!("unknown cleanup category '{value}'");
            diagnostics.error(&file.location(category), RULE, message);
        }
    }
    let filters = file
        .elements_named(node, DD_NS, "filter")
        .map(|filter| file.trimmed_text(filter))
        .collect();
    Cleanup {
        on,
        categories,
        filters,
    }
}

fn boolean(file: &XmlFile, node: NodeId, diagnostics: &mut Diagnostics) -> bool {
    let value = file.trimmed_text(node);
    parse_boolean(&value).unwrap_or_else(|| {
        let element = file.local_name(node);
        let message = format!("<{element}> must hold a boolean, not '{value}'");
        diagnostics.error(&file.location(node), RULE, message);
        false
    })
}

/// An xsd:boolean.
fn parse_boolean(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn unexpected(file: &XmlFile, node: NodeId, diagnostics: &mut Diagnostics) {
    let name = file
        .doc
        .name(node)
        .map(ToString::to_string)
        .unwrap_or_default();
    let parent = "deployment descriptor";
    let message = format!("unexpected element {name} in the {parent}");
    diagnostics.error(&file.location(node), RULE, message);
}
