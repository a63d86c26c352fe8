//! Units broken on purpose: each problem must be reported at its file and line with its
//! rule, and every problem of a unit must be reported, not only the first.

use super::{
    assert_reported, compile_err, compile_ode, compile_ok, edited, edited_all, line_of, read_unit,
};
use crate::compiler::{compile, UnitSource};
use crate::xml::QName;

const BPEL: &str = "HelloWorld.bpel";

#[test]
fn malformed_xml_is_reported_with_the_parser_line() {
    let source = edited(
        "HelloWorld",
        BPEL,
        "<assign name=\"greet\">",
        "<assign name=\"greet\"",
    );
    let diagnostics = compile_err(&source);
    assert!(diagnostics.has_rule("XML"), "{diagnostics}");
    let reported = diagnostics.iter().find(|d| d.rule == "XML").unwrap();
    assert_eq!(reported.file, BPEL);
    let line = line_of(&source, BPEL, "<assign name=\"greet\"");
    assert!((line..=line + 1).contains(&reported.line), "{reported}");
}

#[test]
fn unknown_partner_link() {
    let source = edited(
        "HelloWorld",
        BPEL,
        "<reply name=\"end\" partnerLink=\"client\"",
        "<reply name=\"end\" partnerLink=\"nobody\"",
    );
    let diagnostics = compile_err(&source);
    assert_reported(
        &diagnostics,
        BPEL,
        line_of(&source, BPEL, "partnerLink=\"nobody\""),
        "SA00084",
    );
    assert!(
        diagnostics
            .to_string()
            .contains("unknown partner link 'nobody'"),
        "{diagnostics}"
    );
}

#[test]
fn unknown_operation() {
    let source = edited(
        "HelloWorld",
        BPEL,
        "operation=\"hello\" variable=\"response\"",
        "operation=\"bye\" variable=\"response\"",
    );
    let diagnostics = compile_err(&source);
    assert_reported(
        &diagnostics,
        BPEL,
        line_of(&source, BPEL, "operation=\"bye\""),
        "BPEL-OPERATION",
    );
}

#[test]
fn unknown_variable() {
    let source = edited(
        "HelloWorld",
        BPEL,
        "<from variable=\"greeting\"/>",
        "<from variable=\"missing\"/>",
    );
    let diagnostics = compile_err(&source);
    assert_reported(
        &diagnostics,
        BPEL,
        line_of(&source, BPEL, "variable=\"missing\""),
        "BPEL-VARIABLE",
    );
}

#[test]
fn missing_provide() {
    let source = edited(
        "HelloWorld",
        "deploy.xml",
        "<provide partnerLink=\"client\">",
        "<provide partnerLink=\"other\">",
    );
    let diagnostics = compile_err(&source);
    let provide = line_of(&source, "deploy.xml", "<provide");
    assert_reported(&diagnostics, "deploy.xml", provide, "DD-PROVIDE");
    let process = line_of(&source, "deploy.xml", "<process");
    assert_reported(&diagnostics, "deploy.xml", process, "DD-PROVIDE");
}

#[test]
fn a_schedule_needs_a_cron_expression_and_instance_filters() {
    let schedule = |when: &str, filter: &str| {
        format!(
            "<schedule when=\"{when}\"><cleanup><filter>{filter}</filter></cleanup></schedule>\n    \
             <cleanup on=\"success\">"
        )
    };
    let with = |when: &str, filter: &str| {
        edited(
            "HelloWorld",
            "deploy.xml",
            "<cleanup on=\"success\">",
            &schedule(when, filter),
        )
    };
    compile_ok(&with(
        "0 0/30 * * * ?",
        "status=completed last_active&lt;-1w",
    ));

    let source = with("every day", "status=completed");
    let diagnostics = compile_err(&source);
    let line = line_of(&source, "deploy.xml", "<schedule");
    assert_reported(&diagnostics, "deploy.xml", line, "DD");
    assert!(
        diagnostics
            .to_string()
            .contains("cron expression 'every day'"),
        "{diagnostics}"
    );

    let diagnostics = compile_err(&with("* * * * * ?", "status=sleeping"));
    assert!(
        diagnostics.to_string().contains("not a status"),
        "{diagnostics}"
    );
}

#[test]
fn a_cleanup_of_the_instance_must_clean_its_variables_and_correlations() {
    let source = edited(
        "HelloWorld",
        "deploy.xml",
        "<category>variables</category>",
        "",
    );
    let diagnostics = compile_err(&source);
    let cleanup = line_of(&source, "deploy.xml", "<cleanup");
    assert_reported(&diagnostics, "deploy.xml", cleanup, "DD");
    assert!(
        diagnostics
            .to_string()
            .contains("variables and correlations"),
        "{diagnostics}"
    );
    // The categories of every cleanup that applies count together.
    let always = "<cleanup on=\"always\"><category>variables</category></cleanup>\n    \
                  <cleanup on=\"success\">";
    let source = edited_all(
        "HelloWorld",
        &[
            ("deploy.xml", "<category>variables</category>", ""),
            ("deploy.xml", "<cleanup on=\"success\">", always),
        ],
    );
    compile_ok(&source);
}

#[test]
fn duplicate_variable() {
    let source = edited(
        "HelloWorld",
        BPEL,
        "<variable name=\"greeting\"",
        "<variable name=\"request\"",
    );
    let diagnostics = compile_err(&source);
    let second = line_of(&source, BPEL, "<variable name=\"request\" type");
    assert_reported(&diagnostics, BPEL, second, "SA00023");
}

#[test]
fn every_problem_is_reported() {
    let declarations = "<variable name=\"a.b\" type=\"xsd:string\"/>
    <variable name=\"v\" type=\"xsd:string\" element=\"w:hello\"/>";
    let greeting = "<variable name=\"greeting\" type=\"xsd:string\"/>";
    let source = edited("HelloWorld", BPEL, greeting, declarations);
    let text = String::from_utf8(source.files[BPEL].clone()).unwrap();
    let text = text.replace("portType=\"w:HelloPortType\"", "portType=\"w:Other\"");
    let mut source = source;
    source.files.insert(BPEL.into(), text.into_bytes());
    let diagnostics = compile_err(&source);
    assert_reported(
        &diagnostics,
        BPEL,
        line_of(&source, BPEL, "name=\"a.b\""),
        "SA00024",
    );
    assert_reported(
        &diagnostics,
        BPEL,
        line_of(&source, BPEL, "name=\"v\""),
        "SA00025",
    );
    assert_reported(
        &diagnostics,
        BPEL,
        line_of(&source, BPEL, "w:Other"),
        "SA00005",
    );
    // greeting is gone, so its uses are unknown variables.
    assert_reported(
        &diagnostics,
        BPEL,
        line_of(&source, BPEL, "<to variable=\"greeting\"/>"),
        "BPEL-VARIABLE",
    );
}

#[test]
fn message_type_mismatches() {
    let source = edited(
        "HelloWorld",
        BPEL,
        "variable=\"request\" createInstance",
        "variable=\"response\" createInstance",
    );
    let diagnostics = compile_err(&source);
    assert_reported(
        &diagnostics,
        BPEL,
        line_of(&source, BPEL, "<receive"),
        "SA00058",
    );
    let source = edited(
        "HelloWorld",
        BPEL,
        "operation=\"hello\" variable=\"response\"",
        "operation=\"hello\" variable=\"request\"",
    );
    assert_reported(
        &compile_err(&source),
        BPEL,
        line_of(&source, BPEL, "<reply"),
        "SA00058",
    );
}

#[test]
fn start_activity_rules() {
    let source = edited(
        "HelloWorld",
        BPEL,
        "createInstance=\"yes\"",
        "createInstance=\"no\"",
    );
    assert!(compile_err(&source).has_rule("SA00015"));
    let source = edited(
        "HelloWorld",
        BPEL,
        "<sequence name=\"main\">",
        "<sequence name=\"main\"><empty/>",
    );
    let diagnostics = compile_err(&source);
    assert_reported(
        &diagnostics,
        BPEL,
        line_of(&source, BPEL, "<receive"),
        "SA00056",
    );
}

#[test]
fn imports_must_resolve_inside_the_unit_and_namespace_mismatches_are_warnings() {
    let source = edited(
        "AsyncCallback",
        "wsdl/Order.wsdl",
        "location=\"../Common.wsdl\"",
        "location=\"../Missing.wsdl\"",
    );
    let diagnostics = compile_err(&source);
    assert_reported(
        &diagnostics,
        "wsdl/Order.wsdl",
        line_of(&source, "wsdl/Order.wsdl", "Missing.wsdl"),
        "WSDL-IMPORT",
    );
    assert!(
        diagnostics.to_string().contains("'Missing.wsdl'"),
        "{diagnostics}"
    );
    let bpel = "OrderProcess.bpel";
    let source = edited(
        "AsyncCallback",
        bpel,
        "namespace=\"urn:baton:test:order\"",
        "namespace=\"urn:elsewhere\"",
    );
    let line = line_of(&source, bpel, "<import");
    assert_reported(&compile_err(&source), bpel, line, "SA00011");
    let unit = compile_ode(&source);
    let expected = format!("{bpel}:{line}: warning: [SA00011]");
    assert!(
        unit.warnings.iter().any(|w| w.starts_with(&expected)),
        "{:?}",
        unit.warnings
    );
}

#[test]
fn correlation_and_partner_link_rules() {
    let bpel = "OrderProcess.bpel";
    let source = edited(
        "AsyncCallback",
        bpel,
        "<correlation set=\"byOrder\" initiate=\"no\"/>",
        "<correlation set=\"nope\" initiate=\"no\"/>",
    );
    assert_reported(
        &compile_err(&source),
        bpel,
        line_of(&source, bpel, "set=\"nope\""),
        "SA00046",
    );
    let set = "<correlationSet name=\"byOrder\" properties=\"cmn:orderId\"/>";
    let source = edited("AsyncCallback", bpel, set, &format!("{set}{set}"));
    assert!(compile_err(&source).has_rule("SA00044"));
    let source = edited(
        "AsyncCallback",
        bpel,
        "partnerRole=\"buyer\" initializePartnerRole",
        "initializePartnerRole",
    );
    let diagnostics = compile_err(&source);
    let link = line_of(&source, bpel, "<partnerLink ");
    assert_reported(&diagnostics, bpel, link, "SA00017");
    assert_reported(
        &diagnostics,
        bpel,
        line_of(&source, bpel, "<to partnerLink"),
        "SA00037",
    );
    assert_reported(
        &diagnostics,
        bpel,
        line_of(&source, bpel, "<invoke"),
        "SA00084",
    );
    assert_reported(
        &diagnostics,
        "deploy.xml",
        line_of(&source, "deploy.xml", "<invoke"),
        "DD-INVOKE",
    );
}

#[test]
fn a_unit_without_a_descriptor_is_refused() {
    let mut source = read_unit("HelloWorld");
    source.files.remove("deploy.xml");
    assert_reported(&compile_err(&source), "deploy.xml", 0, "DD");
}

#[test]
fn unit_sources_refuse_unsafe_paths() {
    let files = [("../deploy.xml".to_owned(), Vec::new())];
    assert!(UnitSource::new("evil", files).is_err());
    let empty = UnitSource::new("empty", []).unwrap();
    assert!(compile(&empty).is_err());
}

#[test]
fn xpath_syntax_errors_and_unbound_prefixes() {
    let source = edited(
        "HelloWorld",
        BPEL,
        "concat('Hello ', $request.parameters)",
        "concat('Hello ', $request.parameters",
    );
    let diagnostics = compile_err(&source);
    assert_reported(
        &diagnostics,
        BPEL,
        line_of(&source, BPEL, "concat("),
        "XPATH",
    );
    let source = edited(
        "HelloWorld",
        BPEL,
        "<to>$response.parameters</to>",
        "<to>$response.parameters/q:x</to>",
    );
    let diagnostics = compile_err(&source);
    assert_reported(&diagnostics, BPEL, line_of(&source, BPEL, "q:x"), "XPATH");
}

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

#[test]
fn link_rules() {
    refused(
        "<flow><links><link name=\"l\"/>\n<link name=\"l\"/></links>
         <empty><sources><source linkName=\"l\"/></sources></empty>
         <empty><targets><target linkName=\"l\"/></targets></empty></flow>",
        "<link name=\"l\"/></links>",
        "SA00064",
    );
    refused(
        "<flow><empty>\n<sources><source linkName=\"nowhere\"/></sources></empty></flow>",
        "nowhere",
        "SA00065",
    );
    refused(
        "<flow><links>\n<link name=\"l\"/></links>
         <empty><sources><source linkName=\"l\"/></sources></empty></flow>",
        "<link name=\"l\"/>",
        "SA00066",
    );
    refused(
        "<flow><links><link name=\"l\"/></links>
         <sequence><empty><sources><source linkName=\"l\"/></sources></empty>
         <empty><targets><target linkName=\"l\"/></targets></empty>
         <empty>\n<sources><source linkName=\"l\" xmlns:again=\"x\"/></sources></empty></sequence></flow>",
        "xmlns:again",
        "SA00066",
    );
    refused(
        "<flow><links><link name=\"l\"/></links>
         <empty><sources><source linkName=\"l\"/></sources></empty>
         <while><condition>false()</condition>
         <empty>\n<targets><target linkName=\"l\"/></targets></empty></while></flow>",
        "<target linkName",
        "SA00070",
    );
    refused(
        "<flow><links><link name=\"l\"/></links>
         <sequence><empty><targets><target linkName=\"l\"/></targets></empty>
         <empty name=\"late\"><sources><source linkName=\"l\"/></sources></empty></sequence></flow>",
        "name=\"late\"",
        "SA00072",
    );
    refused(
        "<flow><links><link name=\"l\"/></links>
         <empty><sources><source linkName=\"l\"/></sources></empty>
         <empty><targets><joinCondition>$other</joinCondition>
         <target linkName=\"l\"/></targets></empty></flow>",
        "$other",
        "SA00073",
    );
}

#[test]
fn handler_only_activities() {
    refused("<rethrow/>", "<rethrow/>", "SA00006");
    refused("<compensate/>", "<compensate/>", "SA00008");
    refused(
        "<compensateScope target=\"inner\"/>",
        "<compensateScope",
        "SA00007",
    );
    refused(
        "<scope><faultHandlers><catchAll>
         <compensateScope target=\"missing\"/></catchAll></faultHandlers>
         <scope name=\"inner\"><empty/></scope></scope>",
        "target=\"missing\"",
        "SA00077",
    );
    refused(
        "<scope>\n<faultHandlers></faultHandlers><empty/></scope>",
        "<faultHandlers>",
        "SA00080",
    );
}

#[test]
fn scope_and_for_each_rules() {
    refused(
        "<forEach counterName=\"i\" parallel=\"no\">
         <startCounterValue>1</startCounterValue><finalCounterValue>2</finalCounterValue>
         <scope><variables>\n<variable name=\"i\" type=\"xsd:int\"/></variables><empty/></scope>
         </forEach>",
        "<variable name=\"i\"",
        "SA00076",
    );
    refused(
        "<scope isolated=\"yes\">\n<scope isolated=\"yes\"><empty/></scope></scope>",
        "<scope isolated=\"yes\"><empty/>",
        "SA00091",
    );
    refused(
        "<pick>\n<onAlarm><for>'PT1S'</for><empty/></onAlarm></pick>",
        "<pick>",
        "BPEL",
    );
}

/// Asserts that test unit `name`, edited, is refused with `rule` on the line of `file`
/// holding `needle`.
fn refused_edited(name: &str, edits: &[(&str, &str, &str)], file: &str, needle: &str, rule: &str) {
    let source = edited_all(name, edits);
    let diagnostics = compile_err(&source);
    assert_reported(&diagnostics, file, line_of(&source, file, needle), rule);
}

const CALCULATOR: &str = "Calculator.bpel";
const SUM_RECEIVE: &str = r#"<bpel:receive partnerLink="client" operation="sum" variable="request" createInstance="yes"/>"#;
const SUM_REPLY: &str = r#"<bpel:reply partnerLink="client" operation="sum" variable="response"/>"#;

/// RpcCalculator, whose reply to `sum` has `to_parts` instead of its variable, is refused
/// with `rule` on the line holding `needle`.
fn reply_refused(to_parts: &str, needle: &str, rule: &str) {
    let reply =
        format!("<bpel:reply partnerLink=\"client\" operation=\"sum\">\n{to_parts}</bpel:reply>");
    refused_edited(
        "RpcCalculator",
        &[(CALCULATOR, SUM_REPLY, &reply)],
        CALCULATOR,
        needle,
        rule,
    );
}

/// RpcCalculator, whose receive of `sum` is `receive`, is refused with `rule` on the line
/// holding `needle`.
fn receive_refused(receive: &str, needle: &str, rule: &str) {
    refused_edited(
        "RpcCalculator",
        &[(CALCULATOR, SUM_RECEIVE, receive)],
        CALCULATOR,
        needle,
        rule,
    );
}

#[test]
fn to_parts_build_every_part_of_the_message_once() {
    let reply = r#"<bpel:reply partnerLink="client" operation="sum">
        <bpel:toParts><bpel:toPart part="result" fromVariable="counter"/></bpel:toParts>
      </bpel:reply>"#;
    refused_edited(
        "RpcCalculator",
        &[
            (
                "Calculator.wsdl",
                r#"<part name="result" type="xsd:int"/>"#,
                r#"<part name="result" type="xsd:int"/><part name="note" type="xsd:string"/>"#,
            ),
            (CALCULATOR, SUM_REPLY, reply),
        ],
        CALCULATOR,
        "<bpel:toParts>",
        "SA00050",
    );
    reply_refused(
        r#"<bpel:toParts><bpel:toPart part="result" fromVariable="counter"/>
           <bpel:toPart part="result" fromVariable="counter"/></bpel:toParts>"#,
        "<bpel:toParts>",
        "SA00050",
    );
    reply_refused(
        r#"<bpel:toParts>
           <bpel:toPart part="nope" fromVariable="counter"/></bpel:toParts>"#,
        "part=\"nope\"",
        "SA00054",
    );
    reply_refused(
        r#"<bpel:toParts>
           <bpel:toPart part="result" fromVariable="request"/></bpel:toParts>"#,
        "fromVariable=\"request\"",
        "BPEL-PART",
    );
    let reply = r#"<bpel:reply partnerLink="client" operation="sum" variable="response">
        <bpel:toParts><bpel:toPart part="result" fromVariable="counter"/></bpel:toParts>
      </bpel:reply>"#;
    refused_edited(
        "RpcCalculator",
        &[(CALCULATOR, SUM_REPLY, reply)],
        CALCULATOR,
        "variable=\"response\">",
        "SA00059",
    );
}

#[test]
fn from_parts_name_parts_of_the_message_into_fitting_variables() {
    receive_refused(
        r#"<bpel:receive partnerLink="client" operation="sum" createInstance="yes">
           <bpel:fromParts>
           <bpel:fromPart part="nope" toVariable="counter"/></bpel:fromParts></bpel:receive>"#,
        "part=\"nope\"",
        "SA00053",
    );
    receive_refused(
        r#"<bpel:receive partnerLink="client" operation="sum" createInstance="yes">
           <bpel:fromParts>
           <bpel:fromPart part="a" toVariable="response"/></bpel:fromParts></bpel:receive>"#,
        "toVariable=\"response\"",
        "BPEL-PART",
    );
    receive_refused(
        r#"<bpel:receive partnerLink="client" operation="sum" variable="request" createInstance="yes">
           <bpel:fromParts><bpel:fromPart part="a" toVariable="counter"/></bpel:fromParts>
           </bpel:receive>"#,
        "variable=\"request\"",
        "SA00055",
    );
    refused_edited(
        "Messaging",
        &[(
            "Messaging.bpel",
            r#"operation="poke" variable="poked">"#,
            r#"operation="poke" variable="poked">
               <fromParts><fromPart part="payload" toVariable="poked"/></fromParts>"#,
        )],
        "Messaging.bpel",
        "variable=\"poked\">",
        "SA00063",
    );
}

#[test]
fn an_invoke_takes_its_messages_from_variables_or_parts_not_both() {
    const INVOKE: &str = r#"operation="orderPlaced" inputVariable="order">"#;
    const BPEL: &str = "OrderProcess.bpel";
    let to_parts = r#"operation="orderPlaced" inputVariable="order">
        <toParts><toPart part="order" fromVariable="confirmation"/></toParts>"#;
    refused_edited(
        "AsyncCallback",
        &[(BPEL, INVOKE, to_parts)],
        BPEL,
        INVOKE,
        "SA00051",
    );
    let from_parts = r#"operation="orderPlaced" inputVariable="order">
        <fromParts><fromPart part="order" toVariable="confirmation"/></fromParts>"#;
    refused_edited(
        "AsyncCallback",
        &[(BPEL, INVOKE, from_parts)],
        BPEL,
        "<fromParts>",
        "SA00053",
    );
    let request_response = (
        "wsdl/Order.wsdl",
        r#"<wsdl:input message="tns:OrderMessage"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding"#,
        r#"<wsdl:input message="tns:OrderMessage"/>
      <wsdl:output message="tns:OrderMessage"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding"#,
    );
    let both = r#"operation="orderPlaced" inputVariable="order" outputVariable="order">
        <fromParts><fromPart part="order" toVariable="confirmation"/></fromParts>"#;
    refused_edited(
        "AsyncCallback",
        &[request_response, (BPEL, INVOKE, both)],
        BPEL,
        "outputVariable",
        "SA00052",
    );
}

#[test]
fn a_definition_imported_by_the_process_wins_over_a_different_stale_copy() {
    let mut source = read_unit("HelloWorld");
    let wsdl = String::from_utf8(source.files["HelloWorld.wsdl"].clone()).unwrap();
    let stale = wsdl.replacen(
        "<wsdl:output message=\"tns:HelloResponse\"/>",
        "<wsdl:output message=\"tns:HelloResponse\"/>\n      \
         <wsdl:fault name=\"oops\" message=\"tns:HelloRequest\"/>",
        1,
    );
    // Named to be read before HelloWorld.wsdl were the unit's files read by name alone.
    let stale_path = "AStaleCopy.wsdl";
    source
        .files
        .insert(stale_path.to_owned(), stale.into_bytes());
    let unit = compile(&source).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    let port_type = QName::new("urn:baton:test:hello:wsdl", "HelloPortType");
    let operation = unit.definitions.operation(&port_type, "hello").unwrap();
    assert!(operation.faults.is_empty(), "{:?}", operation.faults);
    let line = line_of(&source, stale_path, "<wsdl:portType");
    let expected = format!("{stale_path}:{line}: warning: [WSDL-DUPLICATE]");
    let warning = unit
        .warnings
        .iter()
        .find(|w| w.starts_with(&expected))
        .unwrap_or_else(|| panic!("{:?}", unit.warnings));
    assert!(warning.contains("HelloWorld.wsdl"), "{warning}");
}

#[test]
fn ode_s_header_attribute_names_a_header_never_the_whole_variable() {
    // A header is an element: copied to a whole message variable, the copy is refused as
    // any element would be, not taken for a copy of the whole message.
    refused(
        r#"<assign>
<copy><from variable="request" header="conversationId"/><to variable="response"/></copy>
</assign>"#,
        "conversationId",
        "SA00043",
    );
    compile_ok(&hello_with(
        r#"<assign><copy><from variable="request" header="conversationId"/>
<to variable="response" header="conversationId"/></copy></assign>"#,
    ));
}

#[test]
fn an_empty_variable_name_is_refused_naming_the_ode_mode_where_it_means_absent() {
    let bpel = "OrderProcess.bpel";
    let source = edited(
        "AsyncCallback",
        bpel,
        r#"operation="orderPlaced" inputVariable="order">"#,
        r#"operation="orderPlaced" inputVariable="order" outputVariable="">"#,
    );
    let line = line_of(&source, bpel, r#"outputVariable="""#);
    let refused = compile_err(&source);
    assert_reported(&refused, bpel, line, "XML-VALUE");
    assert!(
        refused.to_string().contains(r#"compatibility = "ode""#),
        "{refused}"
    );
    let unit = compile_ode(&source);
    let expected = format!("{bpel}:{line}: warning: [XML-VALUE]");
    assert!(
        unit.warnings.iter().any(|w| w.starts_with(&expected)),
        "{:?}",
        unit.warnings
    );
}

#[test]
fn an_operation_without_input_is_read_as_ode_invoked_it_only_in_the_ode_mode_and_alone() {
    let path = "wsdl/Order.wsdl";
    let source = edited(
        "AsyncCallback",
        path,
        r#"<wsdl:portType name="OrderCallbackPortType">"#,
        r#"<wsdl:portType name="OrderCallbackPortType">
    <wsdl:operation name="status"><wsdl:output message="tns:OrderMessage"/></wsdl:operation>"#,
    );
    let line = line_of(&source, path, r#"<wsdl:operation name="status">"#);
    let refused = compile_err(&source);
    assert_reported(&refused, path, line, "SA00001");
    assert_eq!(refused.len(), 1, "one cause, one message:\n{refused}");
    assert!(
        refused.to_string().contains(r#"compatibility = "ode""#),
        "{refused}"
    );
    let unit = compile_ode(&source);
    let port_type = QName::new("urn:baton:test:order", "OrderCallbackPortType");
    let operation = unit.definitions.operation(&port_type, "status").unwrap();
    assert!(operation.input.is_none() && operation.output.is_some());
    let expected = format!("{path}:{line}: warning: [SA00001]");
    assert!(
        unit.warnings.iter().any(|w| w.starts_with(&expected)),
        "{:?}",
        unit.warnings
    );
}

#[test]
fn a_partner_port_of_an_unknown_binding_kind_is_refused_not_called_and_failed() {
    let path = "wsdl/Order.wsdl";
    let soap = r#"<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="orderPlaced">"#;
    let source = edited(
        "AsyncCallback",
        path,
        soap,
        r#"<x:binding xmlns:x="urn:example:other"/>
    <wsdl:operation name="orderPlaced">"#,
    );
    let refused = compile_err(&source);
    let at = line_of(&source, "deploy.xml", r#"<invoke partnerLink="buyer""#);
    assert_reported(&refused, "deploy.xml", at, "UNSUPPORTED");
    assert_eq!(refused.len(), 1, "{refused}");
    assert!(
        refused
            .to_string()
            .contains("neither a SOAP nor an HTTP binding"),
        "{refused}"
    );
}

/// AsyncCallback with its callback port bound by a WSDL HTTP binding, its operation's input
/// holding `extra` after its content.
fn rest_callback(extra: &str) -> UnitSource {
    let path = "wsdl/Order.wsdl";
    let http = format!(
        r#"<http:binding xmlns:http="http://schemas.xmlsoap.org/wsdl/http/" verb="POST"/>
    <wsdl:operation name="orderPlaced">
      <odex:binding xmlns:odex="http://www.apache.org/ode/type/extension/http" verb="PUT"/>
      <http:operation xmlns:http="http://schemas.xmlsoap.org/wsdl/http/" location="placed"/>
      <wsdl:input><mime:content xmlns:mime="http://schemas.xmlsoap.org/wsdl/mime/" type="text/xml"/>{extra}</wsdl:input>"#
    );
    edited_all(
        "AsyncCallback",
        &[
            (
                path,
                r#"<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="orderPlaced">
      <soap:operation soapAction="urn:orderPlaced"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>"#,
                &http,
            ),
            (
                path,
                r#"<soap:address location="http://localhost:9090/callback"/>"#,
                r#"<http:address xmlns:http="http://schemas.xmlsoap.org/wsdl/http/" location="http://localhost:9090/callback"/>"#,
            ),
        ],
    )
}

/// The HTTP operation of the callback binding of `unit`.
fn callback_http(unit: &crate::model::Unit) -> &crate::model::HttpOperation {
    let binding =
        &unit.definitions.bindings[&QName::new("urn:baton:test:order", "CallbackBinding")];
    binding.operations[0]
        .http
        .as_ref()
        .expect("an HTTP operation")
}

#[test]
fn an_http_binding_is_read_with_ode_s_verb_and_its_other_extensions_are_refused() {
    let unit = compile_ok(&rest_callback(""));
    let http = callback_http(&unit);
    assert_eq!(http.verb, "PUT");
    assert_eq!(http.location, "placed");
    assert_eq!(
        http.input,
        crate::model::HttpInput::Content("text/xml".into())
    );
    let port =
        &unit.definitions.services[&QName::new("urn:baton:test:order", "CallbackService")].ports[0];
    assert_eq!(
        port.address.as_deref(),
        Some("http://localhost:9090/callback")
    );

    let header = r#"<odex:header xmlns:odex="http://www.apache.org/ode/type/extension/http" name="From" value="x"/>"#;
    let unit = compile_ok(&rest_callback(header));
    assert_eq!(
        callback_http(&unit).input_headers,
        [crate::model::HttpHeader {
            name: "From".into(),
            value: crate::model::HttpHeaderValue::Fixed("x".into()),
        }]
    );

    let unknown =
        r#"<odex:cookie xmlns:odex="http://www.apache.org/ode/type/extension/http" name="c"/>"#;
    let source = rest_callback(unknown);
    let refused = compile_err(&source);
    let line = line_of(&source, "wsdl/Order.wsdl", "<odex:cookie");
    assert_reported(&refused, "wsdl/Order.wsdl", line, "UNSUPPORTED");
    assert_eq!(refused.len(), 1, "{refused}");
}

/// One cause, one message: what a first error makes unknown is not reported again at each
/// use.
#[test]
fn an_error_s_consequences_are_not_reported_as_errors_of_their_own() {
    let wsdl = "HelloWorld.wsdl";
    let rules = |source: &UnitSource| -> Vec<String> {
        compile_err(source)
            .iter()
            .filter(|d| d.severity == crate::compiler::diagnostics::Severity::Error)
            .map(|d| format!("{}:{}", d.file, d.rule))
            .collect()
    };
    let unreadable = edited("HelloWorld", wsdl, "</wsdl:definitions>", "");
    assert_eq!(
        rules(&unreadable),
        ["HelloWorld.wsdl:XML"],
        "nothing the unreadable document defines is reported missing"
    );
    let no_link_type = edited(
        "HelloWorld",
        wsdl,
        r#"<plnk:partnerLinkType name="HelloLinkType">"#,
        r#"<plnk:partnerLinkType name="Other">"#,
    );
    assert_eq!(
        rules(&no_link_type),
        ["HelloWorld.bpel:SA00014"],
        "deploy.xml's provide is not said to lack a role"
    );
    let no_port_type = edited(
        "HelloWorld",
        wsdl,
        r#"<wsdl:portType name="HelloPortType">"#,
        r#"<wsdl:portType name="Other">"#,
    );
    let reported = rules(&no_port_type);
    assert_eq!(
        reported
            .iter()
            .filter(|rule| rule.starts_with("HelloWorld.bpel"))
            .collect::<Vec<_>>(),
        ["HelloWorld.bpel:WSDL-PORTTYPE"],
        "the process names the unknown port type once, no missing operation: {reported:?}"
    );
}

#[test]
fn ode_s_rest_extension_activities_are_checked() {
    let rest = |element: &str| {
        format!(
            r#"<extensionActivity>
<rl:{element} xmlns:rl="http://www.apache.org/ode/bpel/extensions/bpel4restlight"/></extensionActivity>"#
        )
    };
    refused(&rest(r#"PATCH uri="http://h/""#), "rl:PATCH", "EXTENSION");
    refused(
        &rest(r#"GET uri="http://h/$bpelvar[nowhere]""#),
        "rl:GET",
        "BPEL-VARIABLE",
    );
    refused(
        &rest(r#"GET uri="http://h/$bpelvar[request""#),
        "rl:GET",
        "EXTENSION",
    );
    refused(&rest(r#"GET response="request""#), "rl:GET", "EXTENSION");
    let unit = compile_ok(&hello_with(&rest(
        r#"GET uri="http://h/x" response="response""#,
    )));
    let process = &unit.processes[0];
    assert!(
        process
            .partner_links
            .iter()
            .any(|link| link.name == "#bpel4RestLight"),
        "the REST partner link is added"
    );
    assert!(unit
        .definitions
        .port_types
        .contains_key(&crate::compiler::rest_light::port_type()));
}

#[test]
fn a_fault_name_that_is_no_qname_is_read_as_ode_read_it_only_in_the_ode_mode() {
    let source = hello_with("<throw faultName=\"FAILED-from#file2\"/>");
    let refused = compile_err(&source);
    assert_reported(
        &refused,
        BPEL,
        line_of(&source, BPEL, "FAILED-from#file2"),
        "XML-NAMESPACE",
    );
    assert!(
        refused.to_string().contains(r#"compatibility = "ode""#),
        "{refused}"
    );
    compile_ode(&source);
}
