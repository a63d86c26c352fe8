//! Tests of the state machine against WS-BPEL 2.0, one file per concern.
//!
//! Every test writes a small process inline: [`TestEnv`] wraps its body (and any extra
//! declarations) in a fixed unit, the WSDL [`WSDL`] and a deploy.xml, compiles it as the
//! engine does, and drives one instance step by step with a clock the test controls.
//!
//! The unit offers the partner link `client` (port type `t:Service`: request-response
//! `call` and one-way `notify`) and uses the partner link `partner` (port type `t:Partner`:
//! request-response `ask` with the fault `oops`, one-way `tell`). Their messages are
//! `t:Msg`, one element part `body` holding a `t:doc`, whose `key` child is the property
//! `t:key`. The operations `swap` (request-response) and `post` (one-way) of `client` and
//! `trade` (request-response) of `partner` take `t:Pair`: a type part `a` (xsd:string) and
//! an element part `b` (a `t:doc`).

mod assign;
mod concurrency;
mod control;
mod correlation;
mod events;
mod extension;
mod faults;
mod initialize;
mod invoke;
mod messaging;
mod parts;
mod scopes;
mod state;
mod wait;

use std::sync::Arc;

use super::fault::BPEL_NS;
use super::state::{Inbound, TimerId, Waiting};
use super::step::ReplyOutcome;
use super::{Action, CompiledProcess, Event, Fault, InstanceState, InstanceStatus, StepOutput};
use super::{ExchangeId, Machine};
use crate::compiler::{compile_with, UnitSource};
use crate::model::PartnerLinkId;
use crate::runtime::extension::Extensions;
use crate::xml::{self, Document, QName};

/// The namespace of the test WSDL.
pub(super) const T_NS: &str = "urn:t";
/// The address the process offers `client` at.
pub(super) const MY_ADDRESS: &str = "http://baton.test/svc";
/// The deployed address of `partner`.
pub(super) const PARTNER_ADDRESS: &str = "http://partner.test/ask";
/// The instance id every test runs as.
pub(super) const INSTANCE: i64 = 7;
/// The clock at the start of every test: 2024-01-01T00:00:00Z.
pub(super) const START_MS: i64 = 1_704_067_200_000;

/// The unit's WSDL.
pub(super) const WSDL: &str = r#"<wsdl:definitions targetNamespace="urn:t"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:plnk="http://docs.oasis-open.org/wsbpel/2.0/plnktype"
    xmlns:vprop="http://docs.oasis-open.org/wsbpel/2.0/varprop"
    xmlns:t="urn:t">
  <wsdl:types>
    <xsd:schema targetNamespace="urn:t" elementFormDefault="qualified">
      <xsd:element name="doc" type="xsd:anyType"/>
      <xsd:element name="other" type="xsd:anyType"/>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="Msg"><wsdl:part name="body" element="t:doc"/></wsdl:message>
  <wsdl:message name="Pair">
    <wsdl:part name="a" type="xsd:string"/>
    <wsdl:part name="b" element="t:doc"/>
  </wsdl:message>
  <wsdl:portType name="Service">
    <wsdl:operation name="call">
      <wsdl:input message="t:Msg"/><wsdl:output message="t:Msg"/>
    </wsdl:operation>
    <wsdl:operation name="notify"><wsdl:input message="t:Msg"/></wsdl:operation>
    <wsdl:operation name="swap">
      <wsdl:input message="t:Pair"/><wsdl:output message="t:Pair"/>
    </wsdl:operation>
    <wsdl:operation name="post"><wsdl:input message="t:Pair"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:portType name="Partner">
    <wsdl:operation name="ask">
      <wsdl:input message="t:Msg"/><wsdl:output message="t:Msg"/>
      <wsdl:fault name="oops" message="t:Msg"/>
    </wsdl:operation>
    <wsdl:operation name="tell"><wsdl:input message="t:Msg"/></wsdl:operation>
    <wsdl:operation name="trade">
      <wsdl:input message="t:Pair"/><wsdl:output message="t:Pair"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="ServiceBinding" type="t:Service">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="call">
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
    <wsdl:operation name="notify"><wsdl:input><soap:body use="literal"/></wsdl:input></wsdl:operation>
  </wsdl:binding>
  <wsdl:binding name="PartnerBinding" type="t:Partner">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="ask">
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
      <wsdl:fault name="oops"><soap:fault name="oops" use="literal"/></wsdl:fault>
    </wsdl:operation>
    <wsdl:operation name="tell"><wsdl:input><soap:body use="literal"/></wsdl:input></wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="ServiceService">
    <wsdl:port name="ServicePort" binding="t:ServiceBinding">
      <soap:address location="http://localhost:8080/svc"/>
    </wsdl:port>
  </wsdl:service>
  <wsdl:service name="PartnerService">
    <wsdl:port name="PartnerPort" binding="t:PartnerBinding">
      <soap:address location="http://partner.test/ask"/>
    </wsdl:port>
  </wsdl:service>
  <plnk:partnerLinkType name="ServiceLink">
    <plnk:role name="service" portType="t:Service"/>
  </plnk:partnerLinkType>
  <plnk:partnerLinkType name="PartnerLink">
    <plnk:role name="partner" portType="t:Partner"/>
  </plnk:partnerLinkType>
  <vprop:property name="key" type="xsd:string"/>
  <vprop:propertyAlias propertyName="t:key" messageType="t:Msg" part="body">
    <vprop:query>key</vprop:query>
  </vprop:propertyAlias>
  <vprop:propertyAlias propertyName="t:key" element="t:doc">
    <vprop:query>key</vprop:query>
  </vprop:propertyAlias>
  <vprop:property name="first" type="xsd:string"/>
  <vprop:propertyAlias propertyName="t:first" messageType="t:Pair">
    <vprop:query>a</vprop:query>
  </vprop:propertyAlias>
</wsdl:definitions>"#;

const DEPLOY: &str = r#"<deploy xmlns="http://www.apache.org/ode/schemas/dd/2007/03"
    xmlns:p="urn:t:process" xmlns:t="urn:t">
  <process name="p:Test">
    <provide partnerLink="client"><service name="t:ServiceService" port="ServicePort"/></provide>
    <invoke partnerLink="partner"><service name="t:PartnerService" port="PartnerPort"/></invoke>
  </process>
</deploy>"#;

/// The variables every test process declares.
const VARIABLES: &str = r#"
    <variable name="request" messageType="t:Msg"/>
    <variable name="response" messageType="t:Msg"/>
    <variable name="pair" messageType="t:Pair"/>
    <variable name="doc" element="t:doc"/>
    <variable name="s" type="xsd:string"/>
    <variable name="n" type="xsd:int"/>"#;

/// `<receive createInstance="yes">` of `call` into `request`: the usual start activity.
pub(super) const RECEIVE: &str =
    r#"<receive partnerLink="client" operation="call" variable="request" createInstance="yes"/>"#;
/// `<receive createInstance="yes">` of the one-way `notify` into `request`.
pub(super) const RECEIVE_NOTIFY: &str =
    r#"<receive partnerLink="client" operation="notify" variable="request" createInstance="yes"/>"#;
/// `<reply>` to `call` from `response`.
pub(super) const REPLY: &str =
    r#"<reply partnerLink="client" operation="call" variable="response"/>"#;
/// Sets `response` to a `t:doc` holding the text of `$s`.
pub(super) const RESPONSE_FROM_S: &str = r#"<assign>
    <copy><from><literal><t:doc/></literal></from><to variable="response" part="body"/></copy>
    <copy><from>$s</from><to>$response.body</to></copy>
  </assign>"#;

/// What a test process declares besides the standard variables.
#[derive(Default)]
pub(super) struct Declarations<'a> {
    /// The content of `<extensions>`, if any.
    pub extensions: &'a str,
    /// The content of `<messageExchanges>`, if any.
    pub message_exchanges: &'a str,
    /// More `<variable>`s.
    pub variables: &'a str,
    /// The content of `<correlationSets>`, if any.
    pub correlation_sets: &'a str,
    /// The content of `<faultHandlers>`, if any.
    pub fault_handlers: &'a str,
}

/// `<sequence>` of `activities`.
pub(super) fn sequence(activities: &[&str]) -> String {
    format!("<sequence>{}</sequence>", activities.concat())
}

/// The BPEL source of the test process.
fn process_source(declarations: &Declarations, body: &str) -> String {
    let optional = |element: &str, content: &str| match content {
        "" => String::new(),
        content => format!("<{element}>{content}</{element}>"),
    };
    format!(
        r#"<process name="Test" targetNamespace="urn:t:process"
    xmlns="http://docs.oasis-open.org/wsbpel/2.0/process/executable"
    xmlns:bpel="http://docs.oasis-open.org/wsbpel/2.0/process/executable"
    xmlns:t="urn:t" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  {extensions}
  <import location="Test.wsdl" namespace="urn:t" importType="http://schemas.xmlsoap.org/wsdl/"/>
  <partnerLinks>
    <partnerLink name="client" partnerLinkType="t:ServiceLink" myRole="service"/>
    <partnerLink name="partner" partnerLinkType="t:PartnerLink" partnerRole="partner"/>
  </partnerLinks>
  {message_exchanges}
  <variables>{VARIABLES}{variables}</variables>
  {correlation_sets}
  {fault_handlers}
  {body}
</process>"#,
        extensions = optional("extensions", declarations.extensions),
        message_exchanges = optional("messageExchanges", declarations.message_exchanges),
        variables = declarations.variables,
        correlation_sets = optional("correlationSets", declarations.correlation_sets),
        fault_handlers = optional("faultHandlers", declarations.fault_handlers),
    )
}

/// The unit of the test process with `declarations` and `body`.
fn unit_source(declarations: &Declarations, body: &str) -> UnitSource {
    let files = [
        ("Test.wsdl", WSDL.to_owned()),
        ("Test.bpel", process_source(declarations, body)),
        ("deploy.xml", DEPLOY.to_owned()),
    ];
    UnitSource::new(
        "Test",
        files.map(|(path, text)| (path.to_owned(), text.into_bytes())),
    )
    .expect("valid unit paths")
}

/// The diagnostics of a test process with `body` that the compiler must refuse.
pub(super) fn refused(body: &str) -> crate::compiler::Diagnostics {
    refused_with(body, &Extensions::none())
}

/// [`refused`], for a server running `extensions`.
pub(super) fn refused_with(body: &str, extensions: &Extensions) -> crate::compiler::Diagnostics {
    match compile_with(&unit_source(&Declarations::default(), body), extensions) {
        Ok(_) => panic!("the process compiled but should not have"),
        Err(diagnostics) => diagnostics,
    }
}

/// Compiles the test process as the engine installs it.
pub(super) fn compile_process(declarations: &Declarations, body: &str) -> CompiledProcess {
    compile_process_with(declarations, body, &Extensions::none())
}

/// Compiles the test process as an engine running `extensions` installs it.
pub(super) fn compile_process_with(
    declarations: &Declarations,
    body: &str,
    extensions: &Extensions,
) -> CompiledProcess {
    let unit = compile_with(&unit_source(declarations, body), extensions)
        .unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    let model = unit.processes[0].clone();
    let mut my_endpoints = vec![None; model.partner_links.len()];
    let mut partner_endpoints = vec![None; model.partner_links.len()];
    my_endpoints[link(&model, "client").index()] = Some(MY_ADDRESS.to_owned());
    partner_endpoints[link(&model, "partner").index()] = Some(PARTNER_ADDRESS.to_owned());
    CompiledProcess::compile(
        model,
        Arc::new(unit.definitions),
        my_endpoints,
        partner_endpoints,
    )
    .unwrap_or_else(|errors| panic!("{errors:?}"))
    .with_extensions(extensions)
    .unwrap_or_else(|missing| panic!("{missing:?}"))
}

fn link(model: &crate::model::Process, name: &str) -> PartnerLinkId {
    model
        .partner_link_named(name)
        .unwrap_or_else(|| panic!("no partner link {name}"))
}

/// One instance of a test process, with its clock.
pub(super) struct TestEnv {
    pub process: CompiledProcess,
    pub state: InstanceState,
    /// The time the next step runs at, in ms since the Unix epoch.
    pub now_ms: i64,
    /// Counts the inbound exchanges [`TestEnv::call`] opened.
    calls: u32,
}

impl TestEnv {
    /// An instance of a process with the standard declarations and `body`.
    pub(super) fn new(body: &str) -> Self {
        Self::with(&Declarations::default(), body)
    }

    /// An instance of a process with extra `declarations` and `body`.
    pub(super) fn with(declarations: &Declarations, body: &str) -> Self {
        Self::running(compile_process(declarations, body))
    }

    /// An instance of `process`.
    pub(super) fn running(process: CompiledProcess) -> Self {
        let model = &process.model;
        let state = InstanceState::for_process(model);
        Self {
            process,
            state,
            now_ms: START_MS,
            calls: 0,
        }
    }

    /// Runs one step with `event` at the current time.
    pub(super) fn apply(&mut self, event: Event) -> StepOutput {
        Machine::step(&self.process, &mut self.state, INSTANCE, self.now_ms, event)
    }

    /// Moves the clock forward.
    pub(super) fn advance(&mut self, ms: i64) {
        self.now_ms += ms;
    }

    pub(super) fn partner_link(&self, name: &str) -> PartnerLinkId {
        link(&self.process.model, name)
    }

    /// An inbound message for `operation` of `client`.
    pub(super) fn message(
        &self,
        operation: &str,
        message: Document,
        exchange: Option<&str>,
    ) -> Event {
        Event::Message(Inbound {
            partner_link: self.partner_link("client"),
            operation: operation.to_owned(),
            message,
            exchange: exchange.map(str::to_owned),
            callback: None,
        })
    }

    /// Sends a request-response `call` whose `t:doc` holds `content`; returns the exchange
    /// it opened and the step's output.
    pub(super) fn call(&mut self, content: &str) -> (ExchangeId, StepOutput) {
        self.calls += 1;
        let exchange = format!("in-{}", self.calls);
        let event = self.message("call", msg(content), Some(&exchange));
        (exchange, self.apply(event))
    }

    /// Sends a one-way `notify` whose `t:doc` holds `content`.
    pub(super) fn notify(&mut self, content: &str) -> StepOutput {
        let event = self.message("notify", msg(content), None);
        self.apply(event)
    }

    /// The value of variable `name`, if set.
    pub(super) fn variable(&self, name: &str) -> Option<&Document> {
        let position = self
            .process
            .model
            .variables
            .iter()
            .position(|variable| variable.name == name)
            .unwrap_or_else(|| panic!("no variable {name}"));
        let id = crate::model::VariableId(position as u32);
        self.state.variable(&self.process.model, 0, id)
    }

    /// The string value of variable `name`, which must be set.
    pub(super) fn text(&self, name: &str) -> String {
        let document = self
            .variable(name)
            .unwrap_or_else(|| panic!("variable {name} is not set"));
        document.string_value(document.root())
    }

    /// The timer the instance waits for and its due time.
    pub(super) fn timer(&self) -> (TimerId, i64) {
        let timers: Vec<_> = self
            .waits()
            .filter_map(|waiting| match waiting {
                Waiting::Timer { timer, due_ms, .. } => Some((*timer, *due_ms)),
                _ => None,
            })
            .collect();
        match timers.as_slice() {
            [timer] => *timer,
            other => panic!("expected to wait for one timer, waiting for {other:?}"),
        }
    }

    /// What the instance's threads wait for.
    pub(super) fn waits(&self) -> impl Iterator<Item = &Waiting> {
        self.state
            .threads
            .iter()
            .flatten()
            .filter_map(|thread| thread.waiting.as_ref())
    }

    /// Fires the timer the instance waits for.
    pub(super) fn fire_timer(&mut self) -> StepOutput {
        let (timer, _) = self.timer();
        self.apply(Event::TimerFired { timer })
    }

    /// The fault that ended the instance.
    pub(super) fn fault(&self) -> &Fault {
        self.state.fault.as_ref().expect("the instance has a fault")
    }
}

/// A `t:Msg` message whose `t:doc` holds `content`.
pub(super) fn msg(content: &str) -> Document {
    parse(&format!(
        r#"<message><body><t:doc xmlns:t="urn:t">{content}</t:doc></body></message>"#
    ))
}

pub(super) fn parse(text: &str) -> Document {
    xml::parse(text.as_bytes()).unwrap_or_else(|error| panic!("{text}: {error}"))
}

/// Asserts that `document` is structurally `expected` (namespace prefixes aside).
pub(super) fn assert_xml(document: &Document, expected: &str) {
    let expected_document = parse(expected);
    assert!(
        document.structurally_equal(
            document.root(),
            &expected_document,
            expected_document.root()
        ),
        "expected {expected}\n     got {}",
        document.to_xml(document.root())
    );
}

/// Asserts that `document` is the `t:Msg` message [`msg`]`(content)`.
pub(super) fn assert_msg(document: &Document, content: &str) {
    let expected = msg(content);
    assert_xml(document, &expected.to_xml(expected.root()));
}

/// The standard fault `bpel:<local>`.
pub(super) fn bpel(local: &str) -> QName {
    QName::new(BPEL_NS, local)
}

/// A name in the test WSDL's namespace.
pub(super) fn t(local: &str) -> QName {
    QName::new(T_NS, local)
}

/// The replies of a step, in order.
pub(super) fn replies(output: &StepOutput) -> Vec<(&str, &ReplyOutcome)> {
    output
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::Reply { to, outcome } => Some((to.exchange.as_str(), outcome)),
            _ => None,
        })
        .collect()
}

/// The message of the only action of `output`, a reply to `exchange`.
pub(super) fn only_reply<'o>(output: &'o StepOutput, exchange: &str) -> &'o Document {
    match only_reply_outcome(output, exchange) {
        ReplyOutcome::Message(message) => message,
        ReplyOutcome::Fault(fault) => panic!("expected a reply, got fault {fault}"),
    }
}

/// The fault of the only action of `output`, a fault reply to `exchange`.
pub(super) fn only_fault_reply<'o>(output: &'o StepOutput, exchange: &str) -> &'o Fault {
    match only_reply_outcome(output, exchange) {
        ReplyOutcome::Fault(fault) => fault,
        ReplyOutcome::Message(message) => {
            panic!("expected a fault, got {}", message.to_xml(message.root()))
        }
    }
}

fn only_reply_outcome<'o>(output: &'o StepOutput, exchange: &str) -> &'o ReplyOutcome {
    match output.actions.as_slice() {
        [Action::Reply { to, outcome }] if to.exchange == exchange => outcome,
        actions => panic!("expected one reply to {exchange}, got {actions:?}"),
    }
}

/// Asserts that the instance ended with the fault `name`.
pub(super) fn assert_faulted(env: &TestEnv, output: &StepOutput, name: &QName) {
    assert_eq!(
        output.status,
        InstanceStatus::Faulted,
        "{:?}",
        env.state.fault
    );
    assert_eq!(&env.fault().name, name, "{}", env.fault());
}
