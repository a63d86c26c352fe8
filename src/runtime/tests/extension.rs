//! Extension activities and extension assign operations run by a registered bundle (see
//! [`crate::runtime::extension`]): what the compiler accepts and refuses, and what the operations do
//! to the instance.

use super::*;
use crate::runtime::extension::{ExtensionBundle, ExtensionContext, ExtensionOperation};

const X_NS: &str = "urn:x";

/// `<x:upper from="a" to="b"/>`: writes the upper-cased string value of variable `a` to
/// variable `b`. Validation wants both attributes.
struct Upper;

impl ExtensionOperation for Upper {
    fn validate(&self, element: &Document) -> Result<(), String> {
        let root = element.document_element().expect("an element");
        match (
            element.attribute(root, "", "from"),
            element.attribute(root, "", "to"),
        ) {
            (Some(_), Some(_)) => Ok(()),
            _ => Err("needs the attributes from and to".into()),
        }
    }

    fn run(&self, context: &mut ExtensionContext<'_>, element: &Document) -> Result<(), Fault> {
        let root = element.document_element().expect("an element");
        let attribute = |name| element.attribute(root, "", name).expect("validated");
        let from = context
            .read_variable(attribute("from"))?
            .ok_or_else(|| Fault::uninitialized_variable(attribute("from")))?;
        let text = from.string_value(from.root()).to_uppercase();
        let value = xml::parse(format!("<value>{text}</value>").as_bytes()).expect("text");
        context.write_variable(attribute("to"), value)
    }
}

/// `<x:refuse/>`: faults with `x:refused`.
struct Refuse;

impl ExtensionOperation for Refuse {
    fn run(&self, _: &mut ExtensionContext<'_>, _: &Document) -> Result<(), Fault> {
        Err(Fault {
            name: QName::new(X_NS, "refused"),
            data: None,
            reason: "refused by the extension".into(),
        })
    }
}

fn extensions() -> Extensions {
    Extensions::none().with(
        ExtensionBundle::new(X_NS)
            .with_operation("upper", Upper)
            .with_operation("refuse", Refuse),
    )
}

fn mandatory() -> Declarations<'static> {
    Declarations {
        extensions: r#"<extension namespace="urn:x" mustUnderstand="yes"/>"#,
        ..Declarations::default()
    }
}

fn instance(body: &str) -> TestEnv {
    TestEnv::running(compile_process_with(&mandatory(), body, &extensions()))
}

const S_FROM_REQUEST: &str =
    r#"<assign><copy><from>$request.body/key</from><to variable="s"/></copy></assign>"#;

#[test]
fn an_extension_activity_reads_and_writes_the_variables_it_sees() {
    let mut env = instance(&sequence(&[
        RECEIVE,
        S_FROM_REQUEST,
        r#"<extensionActivity><x:upper xmlns:x="urn:x" from="s" to="s"/></extensionActivity>"#,
        RESPONSE_FROM_S,
        REPLY,
    ]));
    let (exchange, output) = env.call("<key>quiet</key>");
    assert_msg(only_reply(&output, &exchange), "QUIET");
}

#[test]
fn an_extension_assign_operation_runs_between_the_copies_in_order() {
    let mut env = instance(&sequence(&[
        RECEIVE,
        r#"<assign>
             <copy><from>$request.body/key</from><to variable="s"/></copy>
             <extensionAssignOperation><x:upper xmlns:x="urn:x" from="s" to="s"/></extensionAssignOperation>
             <copy><from>concat($s, '!')</from><to variable="s"/></copy>
           </assign>"#,
        RESPONSE_FROM_S,
        REPLY,
    ]));
    let (exchange, output) = env.call("<key>loud</key>");
    assert_msg(only_reply(&output, &exchange), "LOUD!");
}

#[test]
fn a_fault_of_an_extension_assign_operation_undoes_the_whole_assign() {
    let mut env = instance(&sequence(&[
        RECEIVE,
        S_FROM_REQUEST,
        r#"<scope>
             <faultHandlers><catch faultName="x:refused" xmlns:x="urn:x"><empty/></catch></faultHandlers>
             <assign>
               <copy><from>'changed'</from><to variable="s"/></copy>
               <extensionAssignOperation><x:refuse xmlns:x="urn:x"/></extensionAssignOperation>
             </assign>
           </scope>"#,
        RESPONSE_FROM_S,
        REPLY,
    ]));
    let (exchange, output) = env.call("<key>kept</key>");
    assert_msg(only_reply(&output, &exchange), "kept");
}

#[test]
fn a_fault_of_an_extension_activity_is_the_activitys_fault() {
    let mut env = instance(&sequence(&[
        RECEIVE,
        r#"<extensionActivity><x:refuse xmlns:x="urn:x"/></extensionActivity>"#,
        REPLY,
    ]));
    let (_, output) = env.call("<key>k</key>");
    assert_faulted(&env, &output, &QName::new(X_NS, "refused"));
}

#[test]
fn the_compiler_refuses_what_the_bundle_cannot_run() {
    let unknown = r#"<sequence>
        <receive partnerLink="client" operation="call" variable="request" createInstance="yes"/>
        <extensionActivity><x:shout xmlns:x="urn:x"/></extensionActivity>
      </sequence>"#;
    let diagnostics = refused_with(unknown, &extensions());
    assert!(
        diagnostics.iter().any(|d| d.rule == "EXTENSION"),
        "{diagnostics}"
    );
    let invalid = unknown.replace(
        "<x:shout xmlns:x=\"urn:x\"/>",
        "<x:upper xmlns:x=\"urn:x\"/>",
    );
    let diagnostics = refused_with(&invalid, &extensions());
    assert!(
        diagnostics
            .iter()
            .any(|d| d.rule == "EXTENSION" && d.message.contains("needs the attributes")),
        "{diagnostics}"
    );
}

#[test]
fn without_its_bundle_an_optional_extension_does_nothing() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE,
        S_FROM_REQUEST,
        r#"<extensionActivity><x:refuse xmlns:x="urn:x"/></extensionActivity>"#,
        r#"<assign><extensionAssignOperation><x:refuse xmlns:x="urn:x"/></extensionAssignOperation>
             <copy><from>concat($s, '.')</from><to variable="s"/></copy></assign>"#,
        RESPONSE_FROM_S,
        REPLY,
    ]));
    let (exchange, output) = env.call("<key>same</key>");
    assert_msg(only_reply(&output, &exchange), "same.");
}

#[test]
fn a_mandatory_extension_needs_its_bundle() {
    let source = unit_source(&mandatory(), &sequence(&[RECEIVE, REPLY]));
    let diagnostics = crate::compiler::compile(&source).expect_err("no bundle is registered");
    assert!(
        diagnostics.iter().any(|d| d.rule == "SA00009"),
        "{diagnostics}"
    );
    assert!(compile_with(&source, &extensions()).is_ok());
}
