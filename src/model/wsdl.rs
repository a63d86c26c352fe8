//! WSDL 1.1 definitions as the engine needs them: messages and their parts, port types and
//! operations, SOAP bindings, services and ports, and the BPEL extensions found in WSDL
//! documents (partner link types, variable properties and property aliases).
//!
//! All documents of a unit are merged into one [`Definitions`], keyed by QName.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Location;
use crate::xml::QName;

/// WSDL 1.1.
pub const WSDL_NS: &str = "http://schemas.xmlsoap.org/wsdl/";
/// WSDL 1.1's SOAP 1.1 binding.
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
/// WSDL 1.1's SOAP 1.2 binding.
pub const SOAP12_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
/// WSDL 1.1's HTTP binding.
pub const HTTP_NS: &str = "http://schemas.xmlsoap.org/wsdl/http/";

/// Every WSDL definition of a unit.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Definitions {
    pub messages: BTreeMap<QName, Message>,
    pub port_types: BTreeMap<QName, PortType>,
    pub bindings: BTreeMap<QName, Binding>,
    pub services: BTreeMap<QName, Service>,
    pub partner_link_types: BTreeMap<QName, PartnerLinkType>,
    /// vprop:property name → its XML Schema type or element.
    pub properties: BTreeMap<QName, Property>,
    pub property_aliases: Vec<PropertyAlias>,
    /// The unit's WSDL files, by file name relative to the unit, as they were deployed:
    /// served on `GET …?wsdl` with addresses rewritten.
    pub documents: BTreeMap<String, String>,
    /// `<xsd:import>`s found in WSDL `<types>` and BPEL `<import>`s of XML Schema documents,
    /// recorded but not resolved.
    pub schema_imports: Vec<SchemaImport>,
}

impl Definitions {
    /// The operation `name` of port type `port_type`.
    pub fn operation(&self, port_type: &QName, name: &str) -> Option<&Operation> {
        self.port_types
            .get(port_type)?
            .operations
            .iter()
            .find(|o| o.name == name)
    }

    /// The port `port` of service `service`.
    pub fn port(&self, service: &QName, port: &str) -> Option<&Port> {
        self.services
            .get(service)?
            .ports
            .iter()
            .find(|p| p.name == port)
    }

    /// The binding of the port `port` of service `service`.
    pub fn port_binding(&self, service: &QName, port: &str) -> Option<&Binding> {
        self.bindings.get(&self.port(service, port)?.binding)
    }
}

/// `<wsdl:message>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub name: QName,
    pub parts: Vec<Part>,
}

/// `<wsdl:part>`: typed by an element or by a type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub name: String,
    pub content: PartContent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartContent {
    Element(QName),
    Type(QName),
}

/// `<wsdl:portType>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortType {
    pub name: QName,
    pub operations: Vec<Operation>,
}

/// An operation of a port type. No output means one-way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub name: String,
    pub input: Option<QName>,
    pub output: Option<QName>,
    /// Fault name → message QName.
    pub faults: Vec<(String, QName)>,
}

impl Operation {
    pub fn is_one_way(&self) -> bool {
        self.output.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SoapVersion {
    Soap11,
    Soap12,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BindingStyle {
    Document,
    Rpc,
}

/// `<wsdl:binding>` with a SOAP 1.1 or 1.2 binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub name: QName,
    pub port_type: QName,
    pub version: SoapVersion,
    pub operations: Vec<BindingOperation>,
}

/// How one operation is put on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingOperation {
    pub name: String,
    pub soap_action: Option<String>,
    /// The operation's style: its own `style`, else the binding's, else document.
    pub style: BindingStyle,
    /// rpc: the `namespace` of `soap:body` of the input, which qualifies the wrapper element.
    pub input_namespace: Option<String>,
    /// rpc: the `namespace` of `soap:body` of the output.
    pub output_namespace: Option<String>,
    /// `soap:body parts`: the parts carried in the body; None means all.
    pub input_parts: Option<Vec<String>>,
    pub output_parts: Option<Vec<String>>,
    /// Parts carried as SOAP headers (`soap:header`), for input and output.
    pub input_headers: Vec<SoapHeader>,
    pub output_headers: Vec<SoapHeader>,
    /// How the operation is called over plain HTTP, when its binding is a WSDL HTTP binding
    /// (a REST partner); the SOAP fields above do not apply then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpOperation>,
}

impl BindingOperation {
    /// The operation `name` of a WSDL HTTP binding, called as `http` says.
    pub fn http(name: String, http: HttpOperation) -> Self {
        BindingOperation {
            name,
            soap_action: None,
            style: BindingStyle::Document,
            input_namespace: None,
            output_namespace: None,
            input_parts: None,
            output_parts: None,
            input_headers: Vec::new(),
            output_headers: Vec::new(),
            http: Some(http),
        }
    }
}

/// A `soap:header` of a binding's input or output: the part `part` of the message `message`.
/// The message is usually the operation's own; a part of another message is a header the
/// operation's messages carry beside their parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoapHeader {
    pub message: QName,
    pub part: String,
}

/// An operation of a WSDL 1.1 HTTP binding (`http:binding`, `http:operation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpOperation {
    /// The HTTP method: the binding's `verb`, or ODE's per-operation `<odex:binding verb>`.
    pub verb: String,
    /// `http:operation location`, relative to the port's `http:address`.
    pub location: String,
    pub input: HttpInput,
    /// Whether the answer is read as XML (`mime:mimeXml`, an XML `mime:content`) or as text.
    pub output_xml: bool,
    /// Whether the output declares a body (`mime:content`, `mime:mimeXml`): without one, an
    /// answer may have none.
    #[serde(default)]
    pub output_content: bool,
    /// The part the request's body holds (`mime:content part`); else the first part no
    /// header takes.
    #[serde(default)]
    pub body_part: Option<String>,
    /// The part the answer's body fills (`mime:content part`); else the first part no header
    /// takes.
    #[serde(default)]
    pub output_part: Option<String>,
    /// ODE's `<odex:header>`s of the input: HTTP headers sent with the request.
    #[serde(default)]
    pub input_headers: Vec<HttpHeader>,
    /// ODE's `<odex:header part>`s of the output: answer headers read into parts.
    #[serde(default)]
    pub output_headers: Vec<HttpHeader>,
    /// Whether a fault of the operation is bound (ODE's `<odex:fault>`): an error status with
    /// the element of one of the operation's faults is that fault.
    #[serde(default)]
    pub faults_bound: bool,
    /// Whether an answer of any status is the reply (ODE's REST extension activities, which
    /// give the process the status code).
    #[serde(default)]
    pub any_status: bool,
}

/// ODE's `<odex:header name>`: an HTTP header and the part or fixed value it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpHeader {
    pub name: String,
    pub value: HttpHeaderValue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpHeaderValue {
    /// `part`: the part's text.
    Part(String),
    /// `value`: a fixed text.
    Fixed(String),
}

/// How the request's parts travel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HttpInput {
    /// No part: the request has no body.
    Nothing,
    /// `http:urlEncoded`, or a `mime:content` of type `application/x-www-form-urlencoded`:
    /// `name=value` pairs, in the query (GET, DELETE) or a form body.
    UrlEncoded,
    /// `http:urlReplacement` alone: each `(name)` or `{name}` of the address and location
    /// replaced by the part's value (which the other forms do too), no body.
    UrlReplacement,
    /// `mime:content type` or `mime:mimeXml`: the one part is the body, of that type.
    Content(String),
}

/// `<wsdl:service>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub name: QName,
    pub ports: Vec<Port>,
}

/// `<wsdl:port>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    pub name: String,
    pub binding: QName,
    /// `soap:address location` (1.1 or 1.2), if any.
    pub address: Option<String>,
}

/// `<plnk:partnerLinkType>`: role name → port type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerLinkType {
    pub name: QName,
    pub roles: Vec<(String, QName)>,
}

/// `<vprop:property>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    pub name: QName,
    pub content: PartContent,
}

/// `<vprop:propertyAlias>`: where a property's value sits in a message, element or type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PropertyAlias {
    pub property: QName,
    pub source: AliasSource,
    /// `<vprop:query>`: an XPath relative to the part, element or type value.
    pub query: Option<AliasQuery>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AliasSource {
    MessagePart {
        message: QName,
        part: String,
    },
    /// ODE's `header` attribute: the SOAP header `header` a message of this type carries.
    MessageHeader {
        message: QName,
        header: String,
    },
    /// A message alias without `part` (accepted as ODE does): the query applies to the whole
    /// message, its `<message>` element in normalised form.
    Message(QName),
    Element(QName),
    Type(QName),
}

/// A property alias query: kept as source, compiled by the engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AliasQuery {
    pub source: String,
    pub namespaces: BTreeMap<String, String>,
}

/// An import of an XML Schema document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaImport {
    pub namespace: Option<String>,
    /// The location as written (`schemaLocation` or `location`).
    pub location: Option<String>,
    /// The file of the unit the location resolves to, when it is a relative location.
    pub file: Option<String>,
    /// Where the import was written.
    pub at: Location,
}
