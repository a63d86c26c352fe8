//! ODE's REST extension activities (`bpel4RestLight`, namespace [`NS`]): `<GET>`, `<POST>`,
//! `<PUT>` and `<DELETE>` inside an `<extensionActivity>`, each calling a URI with a
//! variable's value as the body and writing the answer's body and status code to variables.
//!
//! Such an activity is compiled to an invoke, which the engine sends on the path of every
//! invoke, of an operation named after the method, on a partner link the compiler adds to the
//! process ([`PARTNER_LINK`]) whose port type [`definitions`] adds to the unit with a WSDL
//! HTTP binding: its one part `body` is the request's and the answer's body, and every answer
//! is its reply whatever its status (see [`crate::model::RestLight`]).

use crate::model::{
    Binding, BindingOperation, Definitions, HttpInput, HttpOperation, Message, Operation, Part,
    PartContent, PortType, SoapVersion,
};
use crate::xml::QName;

/// The namespace of ODE's REST extension activities.
pub(crate) const NS: &str = "http://www.apache.org/ode/bpel/extensions/bpel4restlight";

/// The partner link the compiler adds to a process using them; not a name BPEL allows.
pub(crate) const PARTNER_LINK: &str = "#bpel4RestLight";

/// The namespace of the definitions added for them.
const DEFINITIONS_NS: &str = "urn:baton:bpel4restlight";

/// The methods, each an operation.
pub(crate) const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

/// The port type of [`PARTNER_LINK`].
pub(crate) fn port_type() -> QName {
    QName::new(DEFINITIONS_NS, "RestLight")
}

/// The binding the partner link's calls use.
pub(crate) fn binding() -> QName {
    QName::new(DEFINITIONS_NS, "RestLightBinding")
}

const BODY: &str = crate::model::RestLight::BODY;

/// Adds the port type, messages and binding of [`PARTNER_LINK`] to `definitions`.
pub(crate) fn definitions(definitions: &mut Definitions) {
    let message = |local: &str| Message {
        name: QName::new(DEFINITIONS_NS, local),
        parts: vec![Part {
            name: BODY.to_owned(),
            content: PartContent::Type(QName::new("http://www.w3.org/2001/XMLSchema", "anyType")),
        }],
    };
    let (request, answer) = (message("Request"), message("Answer"));
    let operations = METHODS
        .iter()
        .map(|method| Operation {
            name: (*method).to_owned(),
            input: Some(request.name.clone()),
            output: Some(answer.name.clone()),
            faults: Vec::new(),
        })
        .collect();
    let binding_operations = METHODS
        .iter()
        .map(|method| {
            BindingOperation::http(
                (*method).to_owned(),
                HttpOperation {
                    verb: (*method).to_owned(),
                    location: String::new(),
                    input: match *method {
                        "POST" | "PUT" => HttpInput::Content("application/xml".to_owned()),
                        _ => HttpInput::Nothing,
                    },
                    output_xml: true,
                    output_content: true,
                    body_part: Some(BODY.to_owned()),
                    output_part: Some(BODY.to_owned()),
                    input_headers: Vec::new(),
                    output_headers: Vec::new(),
                    faults_bound: false,
                    any_status: true,
                },
            )
        })
        .collect();
    for message in [request, answer] {
        definitions.messages.insert(message.name.clone(), message);
    }
    definitions.port_types.insert(
        port_type(),
        PortType {
            name: port_type(),
            operations,
        },
    );
    definitions.bindings.insert(
        binding(),
        Binding {
            name: binding(),
            port_type: port_type(),
            version: SoapVersion::Soap11,
            operations: binding_operations,
        },
    );
}
