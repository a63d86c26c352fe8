//! Reads deploy.xml (ODE's deployment descriptor, namespace
//! `http://www.apache.org/ode/schemas/dd/2007/03`, or ODE's earlier 2006 namespace) into a
//! [`DeployDescriptor`], keeping the location of each `<process>`, `<provide>` and
//! `<invoke>` for the cross-checks that [`super::validate`] makes once the processes and
//! WSDL definitions are known.
//!
//! Every element of ODE's dd.xsd is read, and inside a `<service>` WSO2's
//! `<endpoint endpointReference>` (its file loaded by [`super::endpoints`]) and Baton's own
//! `<link>` (namespace [`BATON_DEPLOY_NS`]: transport, time-out, retries and concurrent calls
//! of a partner link). One leniency: a `<process-events>` directly under
//! `<deploy>` (which dd.xsd does not allow, but ODE accepted) applies to the processes of the
//! unit that have none of their own, with a warning.

use std::time::SystemTime;

use super::diagnostics::Diagnostics;
use super::endpoints::EndpointFiles;
use super::xmlutil::XmlFile;
use crate::auth::{is_password_hash, is_token_hash, Presented, ServiceCredential};
use crate::model::cron::Cron;
use crate::model::{
    Cleanup, CleanupOn, DeployDescriptor, EndpointReference, EventsFilter, FailureHandling,
    InvokeBinding, LinkSettings, LinkTransport, Location, ProcessDeployment, Provide, Schedule,
    CLEANUP_CATEGORIES,
};
use crate::query;
use crate::xml::{NodeId, QName};

/// The deployment descriptor's namespace.
pub(super) const DD_NS: &str = "http://www.apache.org/ode/schemas/dd/2007/03";

/// The namespace of ODE's earlier descriptors, still accepted.
pub(super) const DD_NS_2006: &str = "http://ode.fivesight.com/schemas/2006/06/27/dd";

/// The file name of the descriptor at the unit's root.
pub(super) const DEPLOY_XML: &str = "deploy.xml";

const RULE: &str = "DD";

/// ODE's activity recovery namespace, of an `<invoke>`'s `<failureHandling>`.
const ACTIVITY_RECOVERY_NS: &str = "http://ode.apache.org/activityRecovery";

/// WSO2 BPS's namespace of `<endpoint endpointReference>` inside a `<service>`.
pub(super) const WSO2_ENDPOINT_NS: &str = "http://wso2.org/bps/bpel/endpoint/config";

/// Baton's namespace of `<link>` inside an `<invoke>`'s `<service>`.
pub(super) const BATON_DEPLOY_NS: &str = "urn:baton:deploy";

/// What a `<service>` element says besides its name and port.
struct ServiceElement {
    name: QName,
    port: String,
    endpoint: Option<EndpointReference>,
    /// WSO2's `<mex-timeout value>` in milliseconds.
    mex_timeout_ms: Option<u64>,
    /// Baton's `<link>`, and where it was written.
    link: Option<(NodeId, LinkSettings)>,
    /// Baton's `<credentials>`, and where the first was written.
    credentials: Option<(NodeId, Vec<ServiceCredential>)>,
}

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

/// Reads the descriptor, loading the endpoint references it names from `endpoints`; problems
/// are reported and the offending parts left out.
pub(crate) fn read(
    file: &XmlFile,
    endpoints: EndpointFiles<'_>,
    diagnostics: &mut Diagnostics,
) -> DeployFile {
    let mut deploy = DeployFile {
        descriptor: DeployDescriptor::default(),
        sites: Vec::new(),
    };
    let root = file.root();
    let ns = file.namespace(root);
    if !(ns == DD_NS || ns == DD_NS_2006) || file.local_name(root) != "deploy" {
        let message = format!("the document element must be {{{DD_NS}}}deploy");
        diagnostics.error(&file.location(root), RULE, message);
        return deploy;
    }
    let mut reader = Reader {
        file,
        ns,
        endpoints,
        diagnostics,
    };
    let mut unit_events = None;
    for child in file.elements(root) {
        if file.is(child, ns, "process-events") {
            let message = "<process-events> belongs inside <process>: it applies to every \
                           process of the unit without its own";
            reader
                .diagnostics
                .warning(&file.location(child), RULE, message);
            unit_events = Some(reader.events(child));
            continue;
        }
        if !file.is(child, ns, "process") {
            reader.unexpected(child);
            continue;
        }
        if let Some((process, sites)) = reader.process(child) {
            deploy.descriptor.processes.push(process);
            deploy.sites.push(sites);
        }
    }
    if let Some(events) = unit_events {
        for process in &mut deploy.descriptor.processes {
            process.events.get_or_insert_with(|| events.clone());
        }
    }
    deploy
}

/// Reads the elements of one descriptor, all in the namespace `ns`.
struct Reader<'a> {
    file: &'a XmlFile,
    ns: &'a str,
    endpoints: EndpointFiles<'a>,
    diagnostics: &'a mut Diagnostics,
}

impl Reader<'_> {
    fn error(&mut self, node: NodeId, rule: &'static str, message: String) {
        self.diagnostics
            .error(&self.file.location(node), rule, message);
    }

    fn children<'n>(&'n self, node: NodeId, local: &'n str) -> impl Iterator<Item = NodeId> + 'n {
        self.file.elements_named(node, self.ns, local)
    }

    fn process(&mut self, node: NodeId) -> Option<(ProcessDeployment, ProcessSites)> {
        let file = self.file;
        let name = file.required_qname_attr(node, "name", RULE, self.diagnostics)?;
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
            schedules: Vec::new(),
            mex_interceptors: Vec::new(),
            process_type: None,
        };
        let mut sites = ProcessSites {
            process: file.location(node),
            provides: Vec::new(),
            invokes: Vec::new(),
        };
        let mut cleanups = Vec::new();
        for child in file.elements(node) {
            if file.namespace(child) != self.ns {
                self.unexpected(child);
                continue;
            }
            match file.local_name(child) {
                "active" => process.active = self.boolean(child),
                "retired" => process.retired = self.boolean(child),
                "in-memory" => process.in_memory = self.boolean(child),
                "property" => {
                    if let Some(name) =
                        file.required_qname_attr(child, "name", RULE, self.diagnostics)
                    {
                        process.properties.push((name, file.content_forest(child)));
                    }
                }
                "provide" => {
                    if let Some(provide) = self.provide(child) {
                        process.provides.push(provide);
                        sites.provides.push(file.location(child));
                    }
                }
                "invoke" => {
                    if let Some(invoke) = self.invoke(child) {
                        process.invokes.push(invoke);
                        sites.invokes.push(file.location(child));
                    }
                }
                "process-events" => process.events = Some(self.events(child)),
                "cleanup" => {
                    process.cleanup.push(self.cleanup(child));
                    cleanups.push(child);
                }
                "schedule" => {
                    if let Some(schedule) = self.schedule(child) {
                        process.schedules.push(schedule);
                    }
                }
                "mex-interceptors" => {
                    let interceptors = self.children(child, "mex-interceptor");
                    let classes = interceptors
                        .filter_map(|i| self.children(i, "class-name").next())
                        .map(|class| file.trimmed_text(class))
                        .collect::<Vec<_>>();
                    process.mex_interceptors.extend(classes);
                }
                "type" => {
                    let text = file.trimmed_text(child);
                    match file.resolve_qname(child, &text) {
                        Ok(name) => process.process_type = Some(name),
                        Err(message) => self.error(child, RULE, message),
                    }
                }
                _ => self.unexpected(child),
            }
        }
        self.check_cleanup(&process, &cleanups);
        Some((process, sites))
    }

    /// As ODE: a cleanup that deletes the instance must also delete its variables and
    /// correlations, whichever way the instance ends.
    fn check_cleanup(&mut self, process: &ProcessDeployment, nodes: &[NodeId]) {
        for success in [true, false] {
            let categories = process.cleanup_on_end(success);
            if !categories.instance || (categories.variables && categories.correlations) {
                continue;
            }
            let on = if success { "success" } else { "failure" };
            let Some((_, node)) = process
                .cleanup
                .iter()
                .zip(nodes)
                .find(|(cleanup, _)| cleanup.categories().instance)
            else {
                continue;
            };
            let message = format!(
                "the cleanup category instance needs the categories variables and \
                 correlations too (or all) for an instance that ends in {on}"
            );
            self.error(*node, RULE, message);
            return;
        }
    }

    fn provide(&mut self, node: NodeId) -> Option<Provide> {
        let file = self.file;
        let partner_link = file.required_attr(node, "partnerLink", "DD-PROVIDE", self.diagnostics);
        let service = self.service(node, "DD-PROVIDE");
        let enable_sharing = self.children(node, "enableSharing").next().is_some();
        let service = service?;
        if let Some((link, _)) = service.link {
            let message = "<link> says how a partner link's calls travel: it belongs in an \
                           <invoke>'s <service>";
            self.error(link, "DD-LINK", message.into());
        }
        Some(Provide {
            partner_link: partner_link?.to_owned(),
            service: service.name,
            port: service.port,
            enable_sharing,
            endpoint: service.endpoint,
            credentials: service.credentials.map(|(_, c)| c).unwrap_or_default(),
            reply_timeout_ms: None,
        })
    }

    fn invoke(&mut self, node: NodeId) -> Option<InvokeBinding> {
        let file = self.file;
        let partner_link = file.required_attr(node, "partnerLink", "DD-INVOKE", self.diagnostics);
        let use_peer2peer = match file.attr(node, "usePeer2Peer") {
            None => true,
            Some(value) => parse_boolean(value).unwrap_or_else(|| {
                let message = format!("usePeer2Peer must be a boolean, not '{value}'");
                self.error(node, "DD-INVOKE", message);
                true
            }),
        };
        let binding = file
            .elements_named(node, self.ns, "binding")
            .next()
            .and_then(|b| file.required_qname_attr(b, "name", "DD-INVOKE", self.diagnostics));
        let failure_handling = file
            .element_named(node, ACTIVITY_RECOVERY_NS, "failureHandling")
            .map(|f| self.failure_handling(f));
        let service = self.service(node, "DD-INVOKE")?;
        if let Some((credentials, _)) = service.credentials {
            let message = "<credentials> says what callers of a provided service must present: \
                           it belongs in a <provide>'s <service>";
            self.error(credentials, "DD-CREDENTIALS", message.into());
        }
        let (link_node, mut link) = service.link.unwrap_or((node, LinkSettings::default()));
        match (service.mex_timeout_ms, link.timeout_ms) {
            (Some(_), Some(_)) => {
                let message = "the time-out is given twice: by <mex-timeout> and by \
                               <link timeout-ms>; keep one";
                self.error(link_node, "DD-LINK", message.into());
            }
            (Some(mex_timeout), None) => link.timeout_ms = Some(mex_timeout),
            _ => {}
        }
        if link.transport == Some(LinkTransport::Peer) && !use_peer2peer {
            let message = "transport=\"peer\" contradicts usePeer2Peer=\"false\"";
            self.error(link_node, "DD-LINK", message.into());
        }
        if let Some(endpoint) = &service.endpoint {
            self.check_endpoint_route(link_node, endpoint, use_peer2peer, link.transport);
        }
        Some(InvokeBinding {
            partner_link: partner_link?.to_owned(),
            service: service.name,
            port: service.port,
            use_peer2peer,
            binding,
            failure_handling,
            endpoint: service.endpoint,
            link,
        })
    }

    /// Whether an `<invoke>`'s endpoint reference can be reached as the partner link says:
    /// a `local:` address only peer-to-peer, any other only by the transport of its scheme.
    fn check_endpoint_route(
        &mut self,
        node: NodeId,
        endpoint: &EndpointReference,
        use_peer2peer: bool,
        transport: Option<LinkTransport>,
    ) {
        let scheme = endpoint
            .address
            .split_once(':')
            .map(|(scheme, _)| scheme.to_ascii_lowercase())
            .unwrap_or_default();
        let reached_by = match scheme.as_str() {
            "local" => LinkTransport::Peer,
            "amqp" | "amqps" => LinkTransport::Amqp,
            _ => LinkTransport::Http,
        };
        let file = &endpoint.file;
        if reached_by == LinkTransport::Peer && !use_peer2peer {
            let message = format!(
                "endpoint reference '{file}' has a local: address, which is reached only \
                 peer-to-peer, but usePeer2Peer is false"
            );
            self.error(node, "DD-LINK", message);
        }
        if let Some(transport) = transport.filter(|&transport| transport != reached_by) {
            let message = format!(
                "endpoint reference '{file}' has the address {}, which transport=\"{}\" \
                 cannot reach",
                endpoint.address,
                transport_name(transport)
            );
            self.error(node, "DD-LINK", message);
        }
    }

    /// The `<service name port>` child of a `<provide>` or `<invoke>`, with its WSO2
    /// `<endpoint>` (the reference loaded) and Baton `<link>`. A prefixed port name, which ODE
    /// tolerates, stands for its local part.
    fn service(&mut self, node: NodeId, rule: &'static str) -> Option<ServiceElement> {
        let file = self.file;
        let Some(service) = self.children(node, "service").next() else {
            let element = file.local_name(node);
            let message = format!("<{element}> needs a <service name port> child");
            self.error(node, rule, message);
            return None;
        };
        let name = file.required_qname_attr(service, "name", rule, self.diagnostics);
        let port = file
            .required_attr(service, "port", rule, self.diagnostics)?
            .trim();
        let port = port.split_once(':').map_or(port, |(_, local)| local);
        let mut element = ServiceElement {
            name: name?,
            port: port.to_owned(),
            endpoint: None,
            mex_timeout_ms: None,
            link: None,
            credentials: None,
        };
        if let Some(endpoint) = file.element_named(service, WSO2_ENDPOINT_NS, "endpoint") {
            let reference = file.required_attr(
                endpoint,
                "endpointReference",
                "DD-ENDPOINT",
                self.diagnostics,
            );
            if let Some(reference) = reference.map(str::trim) {
                let at = file.location(endpoint);
                element.endpoint = self.endpoints.load(reference, &at, self.diagnostics);
            }
            if let Some(timeout) = file.element_named(endpoint, WSO2_ENDPOINT_NS, "mex-timeout") {
                element.mex_timeout_ms = self.positive(timeout, "value", "DD-ENDPOINT");
            }
        }
        if let Some(link) = file.element_named(service, BATON_DEPLOY_NS, "link") {
            element.link = Some((link, self.link(link)));
        }
        let credentials: Vec<NodeId> = file
            .elements_named(service, BATON_DEPLOY_NS, "credentials")
            .collect();
        if let Some(&first) = credentials.first() {
            let parsed = credentials
                .into_iter()
                .filter_map(|node| self.credential(node))
                .collect();
            element.credentials = Some((first, parsed));
        }
        Some(element)
    }

    /// Baton's `<credentials user password-hash>` (HTTP basic, the password as an argon2 PHC
    /// string) or `<credentials token-hash>` (a bearer token's `sha256:` digest).
    fn credential(&mut self, node: NodeId) -> Option<ServiceCredential> {
        let file = self.file;
        let attr = |name| file.attr(node, name).map(str::trim);
        let credential = match (attr("user"), attr("password-hash"), attr("token-hash")) {
            (Some(user), Some(hash), None) if !user.is_empty() && is_password_hash(hash) => {
                ServiceCredential::User {
                    name: user.to_owned(),
                    password_hash: hash.to_owned(),
                }
            }
            (None, None, Some(hash)) if is_token_hash(hash) => ServiceCredential::Token {
                hash: hash.to_owned(),
            },
            _ => {
                let message = "<credentials> takes user and password-hash (an argon2 PHC \
                               string), or token-hash (sha256: and 64 hexadecimal digits)";
                self.error(node, "DD-CREDENTIALS", message.into());
                return None;
            }
        };
        Some(credential)
    }

    /// Baton's `<link transport timeout-ms retries max-concurrent-calls>`.
    fn link(&mut self, node: NodeId) -> LinkSettings {
        let file = self.file;
        let transport = file.attr(node, "transport").and_then(|value| {
            let transport = match value.trim() {
                "peer" => Some(LinkTransport::Peer),
                "http" => Some(LinkTransport::Http),
                "amqp" => Some(LinkTransport::Amqp),
                _ => None,
            };
            if transport.is_none() {
                let message = format!("transport must be peer, http or amqp, not '{value}'");
                self.error(node, "DD-LINK", message);
            }
            transport
        });
        let retries = file.attr(node, "retries").and_then(|value| {
            value.trim().parse().ok().or_else(|| {
                let message = format!("retries must be a non-negative integer, not '{value}'");
                self.error(node, "DD-LINK", message);
                None
            })
        });
        let max_concurrent_calls = self.positive(node, "max-concurrent-calls", "DD-LINK");
        let credentials = match (
            file.attr(node, "user"),
            file.attr(node, "password"),
            file.attr(node, "token"),
        ) {
            (None, None, None) => None,
            (Some(user), Some(password), None) if !user.is_empty() && !user.contains(':') => {
                Some(Presented::Basic {
                    user: user.to_owned(),
                    password: password.to_owned(),
                })
            }
            (None, None, Some(token)) if !token.trim().is_empty() => {
                Some(Presented::Bearer(token.trim().to_owned()))
            }
            _ => {
                let message = "a <link> presents user and password (HTTP basic; the user \
                               without ':'), or token (bearer), not both";
                self.error(node, "DD-LINK", message.into());
                None
            }
        };
        LinkSettings {
            credentials,
            transport,
            timeout_ms: self.positive(node, "timeout-ms", "DD-LINK"),
            retries: retries.unwrap_or(0),
            max_concurrent_calls: max_concurrent_calls.map(|calls| calls as usize),
            default_headers: Vec::new(),
        }
    }

    /// The attribute `name` of `node` as a positive integer, when present.
    fn positive(&mut self, node: NodeId, name: &str, rule: &'static str) -> Option<u64> {
        let file = self.file;
        let value = file.attr(node, name)?;
        let parsed = value.trim().parse().ok().filter(|&n: &u64| n > 0);
        if parsed.is_none() {
            let message = format!("{name} must be a positive integer, not '{value}'");
            self.error(node, rule, message);
        }
        parsed
    }

    fn events(&mut self, node: NodeId) -> EventsFilter {
        let file = self.file;
        let generate = match file.attr(node, "generate") {
            None => None,
            Some("all") => Some(true),
            Some("none") => Some(false),
            Some(other) => {
                let message = format!("generate must be 'all' or 'none', not '{other}'");
                self.error(node, RULE, message);
                None
            }
        };
        let mut scopes = Vec::new();
        for scope in self.children(node, "scope-events").collect::<Vec<_>>() {
            if let Some(name) = file.required_attr(scope, "name", RULE, self.diagnostics) {
                scopes.push((name.to_owned(), self.event_list(scope)));
            }
        }
        EventsFilter {
            generate,
            enabled: self.event_list(node),
            scopes,
        }
    }

    fn event_list(&self, node: NodeId) -> Vec<String> {
        self.children(node, "enable-event")
            .map(|event| self.file.trimmed_text(event))
            .collect()
    }

    /// `<schedule when>`: its cron expression must be one, and the filters of its cleanups
    /// instance filters.
    fn schedule(&mut self, node: NodeId) -> Option<Schedule> {
        let when = self
            .file
            .required_attr(node, "when", RULE, self.diagnostics)?
            .to_owned();
        if let Err(error) = Cron::parse(&when) {
            self.error(node, RULE, format!("schedule when: {error}"));
        }
        let nodes = self.children(node, "cleanup").collect::<Vec<_>>();
        let mut cleanup = Vec::new();
        for child in nodes {
            let read = self.cleanup(child);
            for filter in &read.filters {
                if let Err(error) = query::instance_listing(filter, "", &[], SystemTime::now()) {
                    self.error(child, RULE, format!("schedule cleanup {error}"));
                }
            }
            cleanup.push(read);
        }
        Some(Schedule { when, cleanup })
    }

    fn cleanup(&mut self, node: NodeId) -> Cleanup {
        let on = match self.file.attr(node, "on") {
            None | Some("always") => CleanupOn::Always,
            Some("success") => CleanupOn::Success,
            Some("failure") => CleanupOn::Failure,
            Some(other) => {
                let message =
                    format!("cleanup on must be success, failure or always, not '{other}'");
                self.error(node, RULE, message);
                CleanupOn::Always
            }
        };
        let mut categories = Vec::new();
        for category in self.children(node, "category").collect::<Vec<_>>() {
            let value = self.file.trimmed_text(category);
            if CLEANUP_CATEGORIES.contains(&value.as_str()) {
                categories.push(value);
            } else {
                self.error(
                    category,
                    RULE,
                    format!("unknown cleanup category '{value}'"),
                );
            }
        }
        let filters = self
            .children(node, "filter")
            .map(|filter| self.file.trimmed_text(filter))
            .collect();
        Cleanup {
            on,
            categories,
            filters,
        }
    }

    /// ODE's `<failureHandling>` of an `<invoke>`: retries and whether to fault when they
    /// are exhausted.
    fn failure_handling(&mut self, node: NodeId) -> FailureHandling {
        let file = self.file;
        let mut number = |name: &str| {
            let child = file.element_named(node, ACTIVITY_RECOVERY_NS, name)?;
            let text = file.trimmed_text(child);
            text.parse().ok().or_else(|| {
                let message = format!("<{name}> must be a non-negative integer, not '{text}'");
                self.error(child, "DD-INVOKE", message);
                None
            })
        };
        let retry_for = number("retryFor").unwrap_or(0);
        let retry_delay = number("retryDelay").unwrap_or(0);
        let fault_on_failure = file
            .element_named(node, ACTIVITY_RECOVERY_NS, "faultOnFailure")
            .is_some_and(|child| self.boolean(child));
        FailureHandling {
            retry_for,
            retry_delay,
            fault_on_failure,
        }
    }

    fn boolean(&mut self, node: NodeId) -> bool {
        let value = self.file.trimmed_text(node);
        parse_boolean(&value).unwrap_or_else(|| {
            let element = self.file.local_name(node);
            let message = format!("<{element}> must hold a boolean, not '{value}'");
            self.error(node, RULE, message);
            false
        })
    }

    /// An element the descriptor does not define: an extension of another namespace is an
    /// unsupported feature (such as ODE's external variables), anything else an error.
    fn unexpected(&mut self, node: NodeId) {
        let name = self
            .file
            .doc
            .name(node)
            .map(ToString::to_string)
            .unwrap_or_default();
        if self.file.namespace(node) == self.ns {
            self.error(
                node,
                RULE,
                format!("unexpected element {name} in deploy.xml"),
            );
        } else {
            self.error(
                node,
                "UNSUPPORTED",
                format!("the extension {name} is not supported yet"),
            );
        }
    }
}

/// The name of a transport as `<link transport>` writes it.
fn transport_name(transport: LinkTransport) -> &'static str {
    match transport {
        LinkTransport::Peer => "peer",
        LinkTransport::Http => "http",
        LinkTransport::Amqp => "amqp",
    }
}

/// An xsd:boolean.
fn parse_boolean(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}
