//! Reads the WSDL 1.1 documents of a unit into one [`Definitions`]: messages, port types,
//! SOAP 1.1/1.2 bindings, services, and the BPEL extensions (partner link types, variable
//! properties and property aliases). `<wsdl:import>`s are followed inside the unit; XML
//! Schema imports are recorded. References between definitions are checked once every
//! document is loaded, so that definitions may refer to each other across files.
//!
//! Documents are read in the order they are loaded, each before the documents it imports
//! (in import order). A name defined again identically is harmless; defined again
//! differently, the first definition read is kept and the other reported as a warning
//! naming both files, as deployed units carry stale copies of their documents.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::diagnostics::Diagnostics;
use super::dialect;
use super::source::UnitSource;
use super::xmlutil::XmlFile;
use crate::model::{
    AliasQuery, AliasSource, Binding, BindingOperation, BindingStyle, Definitions, HttpHeader,
    HttpHeaderValue, HttpInput, HttpOperation, Location, Message, Operation, Part, PartContent,
    PartnerLinkType, Port, PortType, Property, PropertyAlias, SchemaImport, Service, SoapHeader,
    SoapVersion,
};
use crate::xml::{NodeId, QName};
use crate::xpath::XPath;

pub(super) use crate::model::wsdl::{HTTP_NS, SOAP11_NS, SOAP12_NS, WSDL_NS};
/// WSDL 1.1's MIME binding namespace (`mime:content`, `mime:mimeXml`).
pub(super) const MIME_NS: &str = "http://schemas.xmlsoap.org/wsdl/mime/";
/// ODE's namespace of its HTTP binding extensions (`<odex:binding verb>`, …).
pub(super) const ODE_HTTP_NS: &str = "http://www.apache.org/ode/type/extension/http";
pub(super) const PLNK_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/plnktype";
pub(super) const VPROP_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/varprop";
pub(super) const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";

/// A reference from one definition to another, checked when loading is finished.
enum Reference {
    Message(QName),
    MessagePart(QName, String),
    PortType(QName),
    /// The port type of a partner link type's role: ODE accepted one that is not defined
    /// where no partner link uses the role.
    RolePortType(QName),
    Binding(QName),
    Property(QName),
    /// A binding operation naming an operation of the binding's port type.
    Operation(QName, String),
    /// A `<wsdl:import namespace>` and the file it loaded.
    ImportNamespace(String, String),
}

/// Loads WSDL documents one by one, then checks and hands out the merged definitions.
pub(crate) struct WsdlLoader<'a> {
    source: &'a UnitSource,
    definitions: Definitions,
    /// Each loaded file's targetNamespace ("" when it has none); None for files that could
    /// not be read as WSDL.
    target_namespaces: BTreeMap<String, Option<String>>,
    /// Bindings without a SOAP binding: not modelled, but ports may refer to them.
    other_bindings: HashSet<QName>,
    /// The property and source of every alias, to find duplicates.
    alias_keys: HashSet<(QName, AliasSource)>,
    /// The file that defined each named definition, by kind of definition and name.
    defined_in: HashMap<(String, QName), String>,
    references: Vec<(Reference, Location)>,
}

impl<'a> WsdlLoader<'a> {
    pub(super) fn new(source: &'a UnitSource) -> Self {
        WsdlLoader {
            source,
            definitions: Definitions::default(),
            target_namespaces: BTreeMap::new(),
            other_bindings: HashSet::new(),
            alias_keys: HashSet::new(),
            defined_in: HashMap::new(),
            references: Vec::new(),
        }
    }

    /// Loads the file `path` of the unit and everything it imports, once. Returns its
    /// targetNamespace ("" when none), or None when it is not a readable WSDL document.
    pub(super) fn load(&mut self, path: &str, diagnostics: &mut Diagnostics) -> Option<String> {
        let mut pending = vec![path.to_owned()];
        while let Some(path) = pending.pop() {
            if self.target_namespaces.contains_key(&path) {
                continue;
            }
            let mut imported = Vec::new();
            let namespace = self.load_file(&path, &mut imported, diagnostics);
            self.target_namespaces.insert(path, namespace);
            pending.extend(imported.into_iter().rev());
        }
        self.target_namespaces.get(path).cloned().flatten()
    }

    /// Records an XML Schema import found outside WSDL documents (a BPEL `<import>`).
    pub(super) fn record_schema_import(&mut self, import: SchemaImport) {
        self.definitions.schema_imports.push(import);
    }

    /// Whether a document could not be read as WSDL: its definitions are missing, and every
    /// reference to them would only repeat its error.
    pub(super) fn is_incomplete(&self) -> bool {
        self.target_namespaces.values().any(Option::is_none)
    }

    /// Checks the references between definitions (unless [`Self::is_incomplete`]) and
    /// returns them.
    pub(super) fn finish(mut self, diagnostics: &mut Diagnostics) -> Definitions {
        if self.is_incomplete() {
            return self.definitions;
        }
        for (reference, at) in std::mem::take(&mut self.references) {
            match self.check(&reference) {
                // The imported definitions keep their own namespace: the mismatch is
                // tolerated, as deployed units have it.
                Some((rule, message)) if matches!(reference, Reference::ImportNamespace(..)) => {
                    diagnostics.warning(&at, rule, message);
                }
                Some((rule, message)) if matches!(reference, Reference::RolePortType(..)) => {
                    let message = format!("{message}, in a partner link type's role");
                    diagnostics.lenient(&at, rule, message);
                }
                Some((rule, message)) => diagnostics.error(&at, rule, message),
                None => {}
            }
        }
        self.definitions
    }

    fn check(&self, reference: &Reference) -> Option<(&'static str, String)> {
        let defs = &self.definitions;
        match reference {
            Reference::Message(name) if !defs.messages.contains_key(name) => {
                Some(("WSDL-MESSAGE", format!("unknown message {name}")))
            }
            Reference::MessagePart(name, part) => match defs.messages.get(name) {
                None => Some(("WSDL-MESSAGE", format!("unknown message {name}"))),
                Some(message) if !message.parts.iter().any(|p| &p.name == part) => Some((
                    "WSDL-MESSAGE",
                    format!("message {name} has no part '{part}'"),
                )),
                Some(_) => None,
            },
            Reference::PortType(name) | Reference::RolePortType(name)
                if !defs.port_types.contains_key(name) =>
            {
                Some(("WSDL-PORTTYPE", format!("unknown port type {name}")))
            }
            Reference::Binding(name)
                if !defs.bindings.contains_key(name) && !self.other_bindings.contains(name) =>
            {
                Some(("WSDL-BINDING", format!("unknown binding {name}")))
            }
            Reference::Property(name) if !defs.properties.contains_key(name) => {
                Some(("WSDL-PROPERTY", format!("unknown property {name}")))
            }
            Reference::Operation(port_type, operation)
                if defs.port_types.contains_key(port_type)
                    && defs.operation(port_type, operation).is_none() =>
            {
                let message = format!("port type {port_type} has no operation '{operation}'");
                Some(("WSDL-BINDING", message))
            }
            Reference::ImportNamespace(namespace, file) => {
                let actual = self.target_namespaces.get(file).cloned().flatten()?;
                (&actual != namespace).then(|| {
                    let message = format!(
                        "{file} has targetNamespace '{actual}', not the imported '{namespace}'"
                    );
                    ("WSDL-IMPORT", message)
                })
            }
            _ => None,
        }
    }

    fn load_file(
        &mut self,
        path: &str,
        pending: &mut Vec<String>,
        diagnostics: &mut Diagnostics,
    ) -> Option<String> {
        let bytes = self.source.file(path)?;
        let file = dialect::parse(path, bytes, dialect::Role::Wsdl, diagnostics)?;
        let root = file.root();
        if !file.is(root, WSDL_NS, "definitions") {
            let message = format!("the document element must be {{{WSDL_NS}}}definitions");
            diagnostics.error(&file.location(root), "WSDL", message);
            return None;
        }
        let text = String::from_utf8_lossy(bytes).into_owned();
        self.definitions.documents.insert(path.to_owned(), text);
        let target = file
            .attr(root, "targetNamespace")
            .unwrap_or_default()
            .to_owned();
        let mut reader = DocumentReader {
            file: &file,
            target: &target,
            loader: self,
            diagnostics,
        };
        for child in file.elements(root) {
            reader.definition(child, pending);
        }
        Some(target)
    }
}

/// Reads the top-level definitions of one document into the loader.
struct DocumentReader<'l, 'a, 'd> {
    file: &'l XmlFile,
    target: &'l str,
    loader: &'l mut WsdlLoader<'a>,
    diagnostics: &'d mut Diagnostics,
}

impl DocumentReader<'_, '_, '_> {
    fn definition(&mut self, node: NodeId, pending: &mut Vec<String>) {
        let file = self.file;
        match (file.namespace(node), file.local_name(node)) {
            (WSDL_NS, "import") => self.import(node, pending),
            (WSDL_NS, "types") => self.types(node),
            (WSDL_NS, "message") => self.message(node),
            (WSDL_NS, "portType") => self.port_type(node),
            (WSDL_NS, "binding") => self.binding(node),
            (WSDL_NS, "service") => self.service(node),
            (PLNK_NS, "partnerLinkType") => self.partner_link_type(node),
            (VPROP_NS, "property") => self.property(node),
            (VPROP_NS, "propertyAlias") => self.property_alias(node),
            // Documentation and extensions that do not concern the engine.
            _ => {}
        }
    }

    fn error(&mut self, node: NodeId, rule: &'static str, message: String) {
        self.diagnostics
            .error(&self.file.location(node), rule, message);
    }

    fn refer(&mut self, node: NodeId, reference: Reference) {
        self.loader
            .references
            .push((reference, self.file.location(node)));
    }

    /// The QName of the definition `node` declares.
    fn defined_name(&mut self, node: NodeId, rule: &'static str) -> Option<QName> {
        let name = self
            .file
            .required_attr(node, "name", rule, self.diagnostics)?;
        Some(QName::new(self.target, name.trim()))
    }

    fn qname(&mut self, node: NodeId, attribute: &str, rule: &'static str) -> Option<QName> {
        self.file
            .required_qname_attr(node, attribute, rule, self.diagnostics)
    }

    fn import(&mut self, node: NodeId, pending: &mut Vec<String>) {
        let Some(location) =
            self.file
                .required_attr(node, "location", "WSDL-IMPORT", self.diagnostics)
        else {
            return;
        };
        let Some(path) = UnitSource::resolve(&self.file.path, location) else {
            let message = format!("import location '{location}' is not inside the unit");
            return self.error(node, "WSDL-IMPORT", message);
        };
        if self.loader.source.file(&path).is_none() {
            let message = format!("imported file '{path}' is not in the unit");
            return self.error(node, "WSDL-IMPORT", message);
        }
        if let Some(namespace) = self.file.attr(node, "namespace") {
            let reference = Reference::ImportNamespace(namespace.to_owned(), path.clone());
            self.refer(node, reference);
        }
        pending.push(path);
    }

    fn types(&mut self, node: NodeId) {
        let file = self.file;
        for schema in file.elements_named(node, XSD_NS, "schema") {
            for import in file.elements_named(schema, XSD_NS, "import") {
                let location = file.attr(import, "schemaLocation").map(str::to_owned);
                let local = location
                    .as_deref()
                    .filter(|location| !location.contains("://"))
                    .map(|location| UnitSource::resolve(&file.path, location));
                let resolved = match local {
                    Some(Some(path)) if self.loader.source.file(&path).is_some() => Some(path),
                    Some(_) => {
                        let location = location.as_deref().unwrap_or_default();
                        let message = format!("imported schema '{location}' is not in the unit");
                        self.error(import, "WSDL-IMPORT", message);
                        None
                    }
                    None => None,
                };
                self.loader.definitions.schema_imports.push(SchemaImport {
                    namespace: file.attr(import, "namespace").map(str::to_owned),
                    location,
                    file: resolved,
                    at: file.location(import),
                });
            }
        }
    }

    fn message(&mut self, node: NodeId) {
        let Some(name) = self.defined_name(node, "WSDL-MESSAGE") else {
            return;
        };
        let file = self.file;
        let mut parts = Vec::new();
        for part in file.elements_named(node, WSDL_NS, "part") {
            let Some(part_name) =
                file.required_attr(part, "name", "WSDL-MESSAGE", self.diagnostics)
            else {
                continue;
            };
            let content = match (file.attr(part, "element"), file.attr(part, "type")) {
                (Some(_), None) => self
                    .qname(part, "element", "WSDL-MESSAGE")
                    .map(PartContent::Element),
                (None, Some(_)) => self
                    .qname(part, "type", "WSDL-MESSAGE")
                    .map(PartContent::Type),
                _ => {
                    let message = format!("part '{part_name}' needs exactly one of element, type");
                    self.error(part, "WSDL-MESSAGE", message);
                    None
                }
            };
            if let Some(content) = content {
                parts.push(Part {
                    name: part_name.to_owned(),
                    content,
                });
            }
        }
        let message = Message {
            name: name.clone(),
            parts,
        };
        self.insert(node, name, message, |defs| &mut defs.messages);
    }

    fn port_type(&mut self, node: NodeId) {
        let Some(name) = self.defined_name(node, "WSDL-PORTTYPE") else {
            return;
        };
        let file = self.file;
        let mut operations: Vec<Operation> = Vec::new();
        for op in file.elements_named(node, WSDL_NS, "operation") {
            let Some(operation) = self.operation(op) else {
                continue;
            };
            if operations.iter().any(|o| o.name == operation.name) {
                let message = format!("operation '{}' is overloaded in {name}", operation.name);
                self.error(op, "SA00002", message);
                continue;
            }
            operations.push(operation);
        }
        let port_type = PortType {
            name: name.clone(),
            operations,
        };
        self.insert(node, name, port_type, |defs| &mut defs.port_types);
    }

    fn operation(&mut self, node: NodeId) -> Option<Operation> {
        let name = self
            .file
            .required_attr(node, "name", "WSDL-PORTTYPE", self.diagnostics)?;
        let mut operation = Operation {
            name: name.trim().to_owned(),
            input: None,
            output: None,
            faults: Vec::new(),
        };
        let file = self.file;
        let mut output_first = false;
        for child in file.elements(node) {
            if file.namespace(child) != WSDL_NS {
                continue;
            }
            match file.local_name(child) {
                "input" if output_first => {
                    let message = format!("operation '{name}' is a solicit-response operation");
                    self.error(node, "SA00001", message);
                    return None;
                }
                "output" if operation.input.is_none() && operation.output.is_none() => {
                    let message = format!(
                        "operation '{name}' has an output and no input (a notification \
                         operation): it is read as a request-response operation whose request \
                         has no message, as ODE invoked it"
                    );
                    let at = file.location(node);
                    self.diagnostics.lenient(&at, "SA00001", message);
                    output_first = true;
                    operation.output = self.message_ref(child);
                }
                "input" if operation.input.is_none() && operation.output.is_none() => {
                    operation.input = self.message_ref(child);
                }
                "output" => operation.output = self.message_ref(child),
                "fault" => {
                    let fault =
                        self.file
                            .required_attr(child, "name", "WSDL-PORTTYPE", self.diagnostics);
                    let message = self.message_ref(child);
                    if let (Some(fault), Some(message)) = (fault, message) {
                        operation.faults.push((fault.to_owned(), message));
                    }
                }
                _ => {}
            }
        }
        Some(operation)
    }

    fn message_ref(&mut self, node: NodeId) -> Option<QName> {
        let message = self.qname(node, "message", "WSDL-PORTTYPE")?;
        self.refer(node, Reference::Message(message.clone()));
        Some(message)
    }

    fn binding(&mut self, node: NodeId) {
        let Some(name) = self.defined_name(node, "WSDL-BINDING") else {
            return;
        };
        let Some(port_type) = self.qname(node, "type", "WSDL-BINDING") else {
            return;
        };
        let file = self.file;
        let soap = [
            (SOAP11_NS, SoapVersion::Soap11),
            (SOAP12_NS, SoapVersion::Soap12),
        ]
        .into_iter()
        .find_map(|(ns, version)| Some((file.element_named(node, ns, "binding")?, ns, version)));
        let Some((soap_binding, soap_ns, version)) = soap else {
            let http_binding = file.element_named(node, HTTP_NS, "binding");
            let http_operations = file
                .elements_named(node, WSDL_NS, "operation")
                .any(|op| file.element_named(op, HTTP_NS, "operation").is_some());
            if http_binding.is_some() || http_operations {
                self.http_binding(node, http_binding, name, port_type);
            } else {
                self.loader.other_bindings.insert(name);
            }
            return;
        };
        self.refer(node, Reference::PortType(port_type.clone()));
        let default_style = self.style(soap_binding).unwrap_or(BindingStyle::Document);
        let mut operations = Vec::new();
        for (op, op_name) in self.binding_operations(node, &port_type) {
            let soap_operation = file.element_named(op, soap_ns, "operation");
            let style = soap_operation
                .and_then(|o| self.style(o))
                .unwrap_or(default_style);
            let input = file.element_named(op, WSDL_NS, "input");
            let output = file.element_named(op, WSDL_NS, "output");
            let (input_namespace, input_parts, input_headers) =
                self.message_binding(input, soap_ns);
            let (output_namespace, output_parts, output_headers) =
                self.message_binding(output, soap_ns);
            operations.push(BindingOperation {
                name: op_name,
                soap_action: soap_operation
                    .and_then(|o| file.attr(o, "soapAction"))
                    .map(str::to_owned),
                style,
                input_namespace,
                output_namespace,
                input_parts,
                output_parts,
                input_headers,
                output_headers,
                http: None,
            });
        }
        let binding = Binding {
            name: name.clone(),
            port_type,
            version,
            operations,
        };
        self.insert(node, name, binding, |defs| &mut defs.bindings);
    }

    /// The `<operation>`s of the binding `node` with their names, each noted as naming an
    /// operation of `port_type`.
    fn binding_operations(&mut self, node: NodeId, port_type: &QName) -> Vec<(NodeId, String)> {
        let file = self.file;
        let mut operations = Vec::new();
        for op in file.elements_named(node, WSDL_NS, "operation") {
            let Some(name) = file.required_attr(op, "name", "WSDL-BINDING", self.diagnostics)
            else {
                continue;
            };
            self.refer(op, Reference::Operation(port_type.clone(), name.to_owned()));
            operations.push((op, name.to_owned()));
        }
        operations
    }

    /// A WSDL 1.1 HTTP binding (a REST partner's): each operation's verb, location, and how
    /// its request and answer travel. ODE's `<odex:binding verb>` inside an operation sets
    /// its verb (ODE allowed it without an `http:binding`), its `<odex:header>`s of the input
    /// and output map HTTP headers to parts or fixed values, and an `<odex:fault>` in a
    /// `wsdl:fault` binds the operation's faults to error answers; ODE's other HTTP
    /// extensions are refused.
    fn http_binding(
        &mut self,
        node: NodeId,
        http_binding: Option<NodeId>,
        name: QName,
        port_type: QName,
    ) {
        let file = self.file;
        self.refer(node, Reference::PortType(port_type.clone()));
        let verb = http_binding
            .and_then(|binding| file.attr(binding, "verb"))
            .map_or("GET", str::trim);
        let mut operations = Vec::new();
        for (op, op_name) in self.binding_operations(node, &port_type) {
            let ode_verb = file
                .element_named(op, ODE_HTTP_NS, "binding")
                .and_then(|binding| file.attr(binding, "verb"));
            let location = file
                .element_named(op, HTTP_NS, "operation")
                .and_then(|operation| file.attr(operation, "location"))
                .unwrap_or_default();
            let fault_sections: Vec<NodeId> = file.elements_named(op, WSDL_NS, "fault").collect();
            let sections = [Some(op), file.element_named(op, WSDL_NS, "input")]
                .into_iter()
                .chain([file.element_named(op, WSDL_NS, "output")])
                .flatten()
                .chain(fault_sections.iter().copied());
            for section in sections {
                for extension in file.elements(section) {
                    let known = match file.local_name(extension) {
                        "binding" => section == op,
                        "header" => section != op && !fault_sections.contains(&section),
                        "fault" => fault_sections.contains(&section),
                        _ => false,
                    };
                    if file.namespace(extension) == ODE_HTTP_NS && !known {
                        let message = format!(
                            "ODE's HTTP extension <{}> is not supported here",
                            file.local_name(extension)
                        );
                        self.error(extension, "UNSUPPORTED", message);
                    }
                }
            }
            let faults_bound = fault_sections
                .iter()
                .any(|fault| file.element_named(*fault, ODE_HTTP_NS, "fault").is_some());
            let headers = |section: Option<NodeId>| -> Vec<HttpHeader> {
                let Some(section) = section else {
                    return Vec::new();
                };
                file.elements_named(section, ODE_HTTP_NS, "header")
                    .filter_map(|header| {
                        let name = file.attr(header, "name")?.trim().to_owned();
                        let value = match (file.attr(header, "part"), file.attr(header, "value")) {
                            (Some(part), _) => HttpHeaderValue::Part(part.trim().to_owned()),
                            (None, Some(value)) => HttpHeaderValue::Fixed(value.to_owned()),
                            (None, None) => return None,
                        };
                        Some(HttpHeader { name, value })
                    })
                    .collect()
            };
            let content_part = |section: Option<NodeId>| {
                let content = file.element_named(section?, MIME_NS, "content")?;
                file.attr(content, "part")
                    .map(|part| part.trim().to_owned())
            };
            let (input_section, output_section) = (
                file.element_named(op, WSDL_NS, "input"),
                file.element_named(op, WSDL_NS, "output"),
            );
            let input = file.element_named(op, WSDL_NS, "input").map(|input| {
                let content = |local: &str| file.element_named(input, MIME_NS, local);
                // A body (urlEncoded or mime) goes with a urlReplacement of other parts.
                if file.element_named(input, HTTP_NS, "urlEncoded").is_some() {
                    HttpInput::UrlEncoded
                } else if let Some(content) = content("content") {
                    match file.attr(content, "type").map(str::trim) {
                        Some("application/x-www-form-urlencoded") => HttpInput::UrlEncoded,
                        kind => HttpInput::Content(kind.unwrap_or("text/xml").to_owned()),
                    }
                } else if content("mimeXml").is_some() {
                    HttpInput::Content("text/xml".to_owned())
                } else if file
                    .element_named(input, HTTP_NS, "urlReplacement")
                    .is_some()
                {
                    HttpInput::UrlReplacement
                } else {
                    HttpInput::Nothing
                }
            });
            let output_content = file
                .element_named(op, WSDL_NS, "output")
                .is_some_and(|output| {
                    file.element_named(output, MIME_NS, "content").is_some()
                        || file.element_named(output, MIME_NS, "mimeXml").is_some()
                });
            let output_xml = file
                .element_named(op, WSDL_NS, "output")
                .is_some_and(|output| {
                    file.element_named(output, MIME_NS, "mimeXml").is_some()
                        || file
                            .element_named(output, MIME_NS, "content")
                            .and_then(|content| file.attr(content, "type"))
                            .is_none_or(|kind| kind.contains("xml"))
                });
            operations.push(BindingOperation::http(
                op_name,
                HttpOperation {
                    verb: ode_verb.unwrap_or(verb).trim().to_uppercase(),
                    location: location.trim().to_owned(),
                    input: input.unwrap_or(HttpInput::Nothing),
                    output_xml,
                    output_content,
                    body_part: content_part(input_section),
                    output_part: content_part(output_section),
                    input_headers: headers(input_section),
                    output_headers: headers(output_section),
                    faults_bound,
                    any_status: false,
                },
            ));
        }
        let binding = Binding {
            name: name.clone(),
            port_type,
            version: SoapVersion::Soap11,
            operations,
        };
        self.insert(node, name, binding, |defs| &mut defs.bindings);
    }

    /// The `style` attribute of a soap:binding or soap:operation.
    fn style(&mut self, node: NodeId) -> Option<BindingStyle> {
        match self.file.attr(node, "style")?.trim() {
            "document" => Some(BindingStyle::Document),
            "rpc" => Some(BindingStyle::Rpc),
            other => {
                let message = format!("style must be 'rpc' or 'document', not '{other}'");
                self.error(node, "WSDL-BINDING", message);
                None
            }
        }
    }

    /// The soap:body namespace and parts and the soap:header parts of a binding's
    /// `<input>` or `<output>`.
    fn message_binding(
        &mut self,
        node: Option<NodeId>,
        soap_ns: &str,
    ) -> (Option<String>, Option<Vec<String>>, Vec<SoapHeader>) {
        let Some(node) = node else {
            return (None, None, Vec::new());
        };
        let file = self.file;
        let body = file.element_named(node, soap_ns, "body");
        let namespace = body
            .and_then(|b| file.attr(b, "namespace"))
            .map(str::to_owned);
        let parts = body
            .and_then(|b| file.attr(b, "parts"))
            .map(|parts| parts.split_whitespace().map(str::to_owned).collect());
        let headers = file
            .elements_named(node, soap_ns, "header")
            .filter_map(|header| {
                let part = file.required_attr(header, "part", "WSDL-BINDING", self.diagnostics)?;
                let message = self.qname(header, "message", "WSDL-BINDING")?;
                self.refer(
                    header,
                    Reference::MessagePart(message.clone(), part.to_owned()),
                );
                Some(SoapHeader {
                    message,
                    part: part.to_owned(),
                })
            })
            .collect();
        (namespace, parts, headers)
    }

    fn service(&mut self, node: NodeId) {
        let Some(name) = self.defined_name(node, "WSDL-SERVICE") else {
            return;
        };
        let file = self.file;
        let mut ports = Vec::new();
        for port in file.elements_named(node, WSDL_NS, "port") {
            let port_name = file.required_attr(port, "name", "WSDL-SERVICE", self.diagnostics);
            let binding = self.qname(port, "binding", "WSDL-SERVICE");
            let (Some(port_name), Some(binding)) = (port_name, binding) else {
                continue;
            };
            self.refer(port, Reference::Binding(binding.clone()));
            let address = [SOAP11_NS, SOAP12_NS, HTTP_NS]
                .into_iter()
                .find_map(|ns| file.element_named(port, ns, "address"))
                .and_then(|address| file.attr(address, "location"))
                .map(str::to_owned);
            ports.push(Port {
                name: port_name.to_owned(),
                binding,
                address,
            });
        }
        let service = Service {
            name: name.clone(),
            ports,
        };
        self.insert(node, name, service, |defs| &mut defs.services);
    }

    fn partner_link_type(&mut self, node: NodeId) {
        let Some(name) = self.defined_name(node, "WSDL-PARTNERLINKTYPE") else {
            return;
        };
        let file = self.file;
        let mut roles = Vec::new();
        for role in file.elements_named(node, PLNK_NS, "role") {
            let role_name =
                file.required_attr(role, "name", "WSDL-PARTNERLINKTYPE", self.diagnostics);
            let port_type = self.qname(role, "portType", "WSDL-PARTNERLINKTYPE");
            if let (Some(role_name), Some(port_type)) = (role_name, port_type) {
                self.refer(role, Reference::RolePortType(port_type.clone()));
                roles.push((role_name.to_owned(), port_type));
            }
        }
        if roles.is_empty() || roles.len() > 2 {
            let message = format!("partner link type {name} must have one or two roles");
            self.error(node, "WSDL-PARTNERLINKTYPE", message);
        }
        let link_type = PartnerLinkType {
            name: name.clone(),
            roles,
        };
        self.insert(node, name, link_type, |defs| &mut defs.partner_link_types);
    }

    fn property(&mut self, node: NodeId) {
        let Some(name) = self.defined_name(node, "WSDL-PROPERTY") else {
            return;
        };
        let file = self.file;
        let content = match (file.attr(node, "type"), file.attr(node, "element")) {
            (Some(_), None) => self
                .qname(node, "type", "WSDL-PROPERTY")
                .map(PartContent::Type),
            (None, Some(_)) => self
                .qname(node, "element", "WSDL-PROPERTY")
                .map(PartContent::Element),
            _ => {
                let message = format!("property {name} needs exactly one of type, element");
                self.error(node, "SA00019", message);
                None
            }
        };
        if let Some(content) = content {
            let property = Property {
                name: name.clone(),
                content,
            };
            self.insert(node, name, property, |defs| &mut defs.properties);
        }
    }

    fn property_alias(&mut self, node: NodeId) {
        let file = self.file;
        let Some(property) = self.qname(node, "propertyName", "SA00020") else {
            return;
        };
        let has = |attribute| file.attr(node, attribute).is_some();
        let source = match (has("messageType"), has("element"), has("type")) {
            (true, element, type_) => {
                if element || type_ {
                    let message = format!(
                        "the alias of {property} names a messageType and an element or type: \
                         the message part is used"
                    );
                    self.diagnostics
                        .warning(&file.location(node), "SA00020", message);
                }
                let message = self.qname(node, "messageType", "SA00020");
                match (message, file.attr(node, "part"), file.attr(node, "header")) {
                    (Some(_), Some(_), Some(_)) => {
                        let message = format!(
                            "the alias of {property} names a part and a header: one of them"
                        );
                        self.error(node, "SA00020", message);
                        None
                    }
                    (Some(message), None, Some(header)) => {
                        self.refer(node, Reference::Message(message.clone()));
                        Some(AliasSource::MessageHeader {
                            message,
                            header: header.trim().to_owned(),
                        })
                    }
                    (Some(message), Some(part), None) => {
                        let reference = Reference::MessagePart(message.clone(), part.to_owned());
                        self.refer(node, reference);
                        Some(AliasSource::MessagePart {
                            message,
                            part: part.to_owned(),
                        })
                    }
                    (Some(message), None, None) => {
                        self.refer(node, Reference::Message(message.clone()));
                        Some(AliasSource::Message(message))
                    }
                    (None, _, _) => None,
                }
            }
            (false, true, false) => self
                .qname(node, "element", "SA00020")
                .map(AliasSource::Element),
            (false, false, true) => self.qname(node, "type", "SA00020").map(AliasSource::Type),
            _ => {
                let message = format!(
                    "the alias of {property} needs exactly one of messageType, element, type"
                );
                self.error(node, "SA00020", message);
                None
            }
        };
        let Some(source) = source else {
            return;
        };
        self.refer(node, Reference::Property(property.clone()));
        let query = file.element_named(node, VPROP_NS, "query").map(|query| {
            let alias = AliasQuery {
                source: file.trimmed_text(query),
                namespaces: file.prefixes(query),
            };
            match XPath::compile(&alias.source, &alias.namespaces) {
                Err(error) => {
                    let message = format!("{error} in '{}'", alias.source);
                    self.error(query, "XPATH", message);
                }
                // SA00029: the query reads the aliased value only.
                Ok(xpath)
                    if !xpath.variable_references().is_empty()
                        || xpath
                            .extension_calls()
                            .iter()
                            .any(|(function, _)| function.ns == super::bpel::BPEL_NS) =>
                {
                    let message = format!(
                        "the query of an alias cannot use variables or WS-BPEL functions: '{}'",
                        alias.source
                    );
                    self.error(query, "SA00029", message);
                }
                Ok(_) => {}
            }
            alias
        });
        let key = (property.clone(), source.clone());
        if !self.loader.alias_keys.insert(key) {
            let message = format!("a second alias of {property} for the same source");
            return self.error(node, "SA00022", message);
        }
        self.loader
            .definitions
            .property_aliases
            .push(PropertyAlias {
                property,
                source,
                query,
                location: file.location(node),
            });
    }

    /// Adds a definition; a different second definition of the same QName is left out with a
    /// warning.
    fn insert<T: PartialEq>(
        &mut self,
        node: NodeId,
        name: QName,
        value: T,
        table: impl FnOnce(&mut Definitions) -> &mut BTreeMap<QName, T>,
    ) {
        let element = self.file.local_name(node).to_owned();
        let table = table(&mut self.loader.definitions);
        match table.entry(name) {
            Entry::Vacant(entry) => {
                let key = (element, entry.key().clone());
                entry.insert(value);
                self.loader.defined_in.insert(key, self.file.path.clone());
            }
            // The same definition in two documents (one copied into the other) is harmless.
            Entry::Occupied(entry) if *entry.get() == value => {}
            Entry::Occupied(entry) => {
                let name = entry.key().clone();
                let first = self
                    .loader
                    .defined_in
                    .get(&(element.clone(), name.clone()))
                    .cloned()
                    .unwrap_or_default();
                let message = format!(
                    "{element} {name} is defined differently in {first} and here: \
                     the definition in {first} is used"
                );
                self.diagnostics
                    .warning(&self.file.location(node), "WSDL-DUPLICATE", message);
            }
        }
    }
}

/// The unit's files that are WSDL documents by name.
pub(crate) fn wsdl_files(source: &UnitSource) -> BTreeSet<String> {
    source
        .files
        .keys()
        .filter(|path| path.to_ascii_lowercase().ends_with(".wsdl"))
        .cloned()
        .collect()
}
