//! The static analysis rules of `bpel::rules` and the rule codes of checks made elsewhere:
//! each broken on purpose in a small variant of a project unit must be refused with its
//! code at the line of the construct that breaks it.

use super::{assert_reported, compile_err, compile_ok, edited, line_of};
use crate::compiler::UnitSource;

const BPEL: &str = "HelloWorld.bpel";
const ORDER: &str = "OrderProcess.bpel";
const BPEL_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/executable";

/// HelloWorld with `activities` run between its receive and its reply.
fn hello_with(activities: &str) -> UnitSource {
    let reply = "<reply name=\"end\"";
    edited(
        "HelloWorld",
        BPEL,
        reply,
        &format!("{activities}\n    {reply}"),
    )
}

/// Asserts that HelloWorld with `activities` is refused with `rule` on the line holding
/// `needle`.
fn refused(activities: &str, needle: &str, rule: &str) {
    let source = hello_with(activities);
    let diagnostics = compile_err(&source);
    assert_reported(&diagnostics, BPEL, line_of(&source, BPEL, needle), rule);
}

/// An assign of HelloWorld copying the expression `from` to the greeting.
fn copy_from(from: &str) -> String {
    format!(
        "<assign><copy>\n<from xmlns:b=\"{BPEL_NS}\">{from}</from>\
         <to variable=\"greeting\"/></copy></assign>"
    )
}

/// A scope of HelloWorld whose event handler is the onEvent opened by `on_event` and
/// closed by the scope `scope`.
fn on_event(on_event: &str, scope: &str) -> String {
    format!("<scope><eventHandlers>\n{on_event}{scope}</onEvent></eventHandlers><empty/></scope>")
}

#[test]
fn sibling_scopes_have_distinct_names() {
    refused(
        "<flow><scope name=\"s\"><empty/></scope>
         <scope name=\"s\"><empty name=\"second\"/></scope></flow>",
        "name=\"second\"",
        "SA00092",
    );
    compile_ok(&hello_with(
        "<sequence><scope name=\"s\"><scope name=\"s\"><empty/></scope></scope></sequence>",
    ));
}

#[test]
fn compensation_rules() {
    refused(
        "<scope><faultHandlers><catchAll><scope>
         <compensationHandler><empty/></compensationHandler><empty/></scope>
         </catchAll></faultHandlers><empty/></scope>",
        "<compensationHandler>",
        "SA00079",
    );
    refused(
        "<scope><faultHandlers><catchAll>
         <compensateScope target=\"e\"/></catchAll></faultHandlers><empty name=\"e\"/></scope>",
        "target=\"e\"",
        "SA00078",
    );
    compile_ok(&hello_with(
        "<scope><eventHandlers><onAlarm><for>'PT1H'</for><scope name=\"inner\"><empty/></scope>
         </onAlarm></eventHandlers><faultHandlers><catchAll>
         <compensateScope target=\"inner\"/></catchAll></faultHandlers><empty/></scope>",
    ));
}

#[test]
fn copy_rules() {
    refused(
        "<assign><copy>\n<from variable=\"request\"/><to variable=\"response\"/></copy></assign>",
        "<assign><copy>",
        "SA00043",
    );
    refused(
        "<assign><copy>\n<from variable=\"request\"/><to variable=\"greeting\"/></copy></assign>",
        "<assign><copy>",
        "SA00043",
    );
    refused(
        "<assign><copy><from>\n<literal><a/><b/></literal></from>
         <to variable=\"greeting\"/></copy></assign>",
        "<literal><a/>",
        "SA00038",
    );
}

#[test]
fn expression_rules() {
    refused(
        &copy_from("b:getVariableProperty(concat('re', 'quest'), 'w:p')"),
        "<from xmlns:b",
        "SA00030",
    );
    refused(
        &copy_from("b:getVariableProperty('request', 'not a name')"),
        "<from xmlns:b",
        "SA00031",
    );
    refused(
        &copy_from("b:doXslTransform('a.xsl', $request.parameters, 'p')"),
        "<from xmlns:b",
        "SA00040",
    );
    refused(
        &copy_from("b:doXslTransform('a.xsl', $request.parameters, $greeting, 1)"),
        "<from xmlns:b",
        "SA00041",
    );
    refused(
        &format!(
            "<flow><links><link name=\"l\"/></links>
             <empty><sources><source linkName=\"l\"/></sources></empty>
             <empty><targets>\n<joinCondition xmlns:b=\"{BPEL_NS}\">
             $l and b:getVariableProperty('request', 'w:p')</joinCondition>
             <target linkName=\"l\"/></targets></empty></flow>"
        ),
        "<joinCondition",
        "SA00028",
    );
    refused(
        "<forEach counterName=\"i\" parallel=\"no\">
         \n<startCounterValue>-1</startCounterValue><finalCounterValue>2</finalCounterValue>
         <scope><empty/></scope></forEach>",
        "<startCounterValue>",
        "SA00074",
    );
}

#[test]
fn reading_the_context_node_is_a_warning() {
    let source = hello_with(&copy_from("count(item)"));
    let unit = compile_ok(&source);
    let line = line_of(&source, BPEL, "<from xmlns:b");
    let expected = format!("{BPEL}:{line}: warning: [SA00027]");
    assert!(
        unit.warnings.iter().any(|w| w.starts_with(&expected)),
        "{:?}",
        unit.warnings
    );
}

#[test]
fn event_handler_rules() {
    refused(
        &on_event(
            "<onEvent partnerLink=\"client\" operation=\"hello\" messageType=\"w:HelloRequest\" \
             variable=\"ev\">",
            "<scope><variables>\n<variable name=\"ev\" type=\"xsd:string\"/></variables>\
             <empty/></scope>",
        ),
        "<variable name=\"ev\"",
        "SA00086",
    );
    refused(
        &on_event(
            "<onEvent partnerLink=\"client\" operation=\"hello\" \
             messageType=\"w:HelloResponse\" variable=\"ev\">",
            "<scope><empty/></scope>",
        ),
        "<onEvent",
        "SA00087",
    );
    refused(
        &on_event(
            "<onEvent partnerLink=\"client\" operation=\"hello\" messageType=\"w:HelloRequest\" \
             variable=\"ev\"><correlations>\n<correlation set=\"nope\"/></correlations>",
            "<scope><empty/></scope>",
        ),
        "set=\"nope\"",
        "SA00088",
    );
}

#[test]
fn an_undeclared_message_exchange_is_a_warning() {
    let source = edited(
        "HelloWorld",
        BPEL,
        "<reply name=\"end\" partnerLink=\"client\"",
        "<reply name=\"end\" messageExchange=\"m\" partnerLink=\"client\"",
    );
    let unit = compile_ok(&source);
    let line = line_of(&source, BPEL, "messageExchange=\"m\"");
    let expected = format!("{BPEL}:{line}: warning: [SA00061]");
    assert!(
        unit.warnings.iter().any(|w| w.starts_with(&expected)),
        "{:?}",
        unit.warnings
    );
}

#[test]
fn invoke_needs_an_input_variable() {
    let source = edited(
        "AsyncCallback",
        ORDER,
        "operation=\"orderPlaced\" inputVariable=\"order\"",
        "operation=\"orderPlaced\"",
    );
    assert_reported(
        &compile_err(&source),
        ORDER,
        line_of(&source, ORDER, "operation=\"orderPlaced\""),
        "SA00047",
    );
}

#[test]
fn wsdl_property_rules() {
    let wsdl = "wsdl/Order.wsdl";
    let source = edited(
        "AsyncCallback",
        wsdl,
        "<vprop:query>tns:id",
        "<vprop:query>$x/tns:id",
    );
    assert_reported(
        &compile_err(&source),
        wsdl,
        line_of(&source, wsdl, "$x/tns:id"),
        "SA00029",
    );
    let alias =
        "<vprop:propertyAlias propertyName=\"cmn:orderId\" messageType=\"tns:OrderMessage\" \
                 part=\"order\"><vprop:query>tns:id</vprop:query></vprop:propertyAlias>";
    let source = edited(
        "AsyncCallback",
        wsdl,
        "</wsdl:definitions>",
        &format!("{alias}\n</wsdl:definitions>"),
    );
    assert!(compile_err(&source).has_rule("SA00022"));
    let common = "Common.wsdl";
    let source = edited(
        "AsyncCallback",
        common,
        "name=\"orderId\" type=\"xsd:string\"",
        "name=\"orderId\" type=\"xsd:string\" element=\"xsd:string\"",
    );
    assert_reported(
        &compile_err(&source),
        common,
        line_of(&source, common, "name=\"orderId\""),
        "SA00019",
    );
}
