//! `<assign>` (WS-BPEL 2.0 §8.4): every from-spec and to-spec form the runtime implements,
//! the copy options, atomicity, and the standard faults a copy raises.

use super::*;

/// Receives `notify` with `content` into `request`, then runs an assign of `copies`.
fn run(content: &str, copies: &str) -> (TestEnv, StepOutput) {
    let assign = format!("<assign>{copies}</assign>");
    let mut env = TestEnv::new(&sequence(&[RECEIVE_NOTIFY, &assign]));
    let output = env.notify(content);
    (env, output)
}

/// Like [`run`], for copies that must succeed.
fn run_ok(content: &str, copies: &str) -> TestEnv {
    let (env, output) = run(content, copies);
    assert_eq!(
        output.status,
        InstanceStatus::Completed,
        "{:?}",
        env.state.fault
    );
    env
}

#[test]
fn copies_a_whole_variable() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE,
        r#"<assign><copy><from variable="request"/><to variable="response"/></copy></assign>"#,
        REPLY,
    ]));
    let (exchange, output) = env.call("<key>k1</key>");
    assert_msg(only_reply(&output, &exchange), "<key>k1</key>");
    assert_msg(env.variable("response").unwrap(), "<key>k1</key>");
}

#[test]
fn copies_part_to_part() {
    let env = run_ok(
        "<key>k1</key>",
        r#"<copy><from>'text'</from><to variable="pair" part="a"/></copy>
           <copy><from variable="request" part="body"/><to variable="pair" part="b"/></copy>"#,
    );
    assert_xml(
        env.variable("pair").unwrap(),
        r#"<message><a>text</a><b><t:doc xmlns:t="urn:t"><key>k1</key></t:doc></b></message>"#,
    );
}

#[test]
fn copies_an_expression_to_a_query_target() {
    let env = run_ok(
        "<key>k1</key><value>old</value>",
        r#"<copy>
             <from>concat($request.body/key, '-new')</from>
             <to variable="request" part="body"><query>value</query></to>
           </copy>"#,
    );
    assert_msg(
        env.variable("request").unwrap(),
        "<key>k1</key><value>k1-new</value>",
    );
}

#[test]
fn copies_to_an_expression_target() {
    let env = run_ok(
        "<key>k1</key><value>old</value>",
        "<copy><from>3 * 4</from><to>$request.body/value</to></copy>",
    );
    assert_msg(
        env.variable("request").unwrap(),
        "<key>k1</key><value>12</value>",
    );
}

#[test]
fn copies_a_literal_element_keeping_the_target_name() {
    let env = run_ok(
        "",
        r#"<copy>
             <from><literal><t:other a="1"><t:x>y</t:x></t:other></literal></from>
             <to variable="doc"/>
           </copy>"#,
    );
    assert_xml(
        env.variable("doc").unwrap(),
        r#"<t:doc xmlns:t="urn:t" a="1"><t:x>y</t:x></t:doc>"#,
    );
}

#[test]
fn an_element_copy_keeps_the_target_s_other_attributes_only_in_the_ode_way() {
    let copies = r#"<copy>
             <from><literal><t:doc keep="k" a="0"/></literal></from>
             <to variable="doc"/>
           </copy>
           <copy>
             <from><literal><t:other a="1"><t:x>y</t:x></t:other></literal></from>
             <to variable="doc"/>
           </copy>"#;
    let body = sequence(&[RECEIVE_NOTIFY, &format!("<assign>{copies}</assign>")]);
    let process = compile_process(&Declarations::default(), &body);
    let mut env = TestEnv::running(process);
    env.notify("");
    assert_xml(
        env.variable("doc").unwrap(),
        r#"<t:doc xmlns:t="urn:t" a="1"><t:x>y</t:x></t:doc>"#,
    );
    let process = compile_process(&Declarations::default(), &body);
    let mut ode = TestEnv::running(process.with_target_attributes_kept(true));
    ode.notify("");
    assert_xml(
        ode.variable("doc").unwrap(),
        r#"<t:doc xmlns:t="urn:t" a="1" keep="k"><t:x>y</t:x></t:doc>"#,
    );
}

#[test]
fn a_literal_is_parsed_once_and_each_copy_of_it_starts_from_it_unchanged() {
    let literal = r#"<literal><t:doc><t:x>y</t:x></t:doc></literal>"#;
    let env = run_ok(
        "",
        &format!(
            r#"<copy><from>{literal}</from><to variable="doc"/></copy>
               <copy><from>'changed'</from><to>$doc/t:x</to></copy>
               <copy><from>{literal}</from><to variable="request" part="body"/></copy>"#
        ),
    );
    assert_eq!(env.process.literals.len(), 1, "one literal, written twice");
    assert_xml(
        env.variable("doc").unwrap(),
        r#"<t:doc xmlns:t="urn:t"><t:x>changed</t:x></t:doc>"#,
    );
    assert_msg(
        env.variable("request").unwrap(),
        r#"<t:x xmlns:t="urn:t">y</t:x>"#,
    );
}

#[test]
fn copies_a_literal_text() {
    let env = run_ok(
        "",
        r#"<copy><from><literal>plain text</literal></from><to variable="s"/></copy>"#,
    );
    assert_xml(env.variable("s").unwrap(), "<value>plain text</value>");
}

#[test]
fn keep_src_element_name_renames_the_target() {
    let env = run_ok(
        "<key>k1</key><value>old</value>",
        r#"<copy keepSrcElementName="yes">
             <from><literal><t:other>new</t:other></literal></from>
             <to>$request.body/value</to>
           </copy>"#,
    );
    assert_msg(
        env.variable("request").unwrap(),
        "<key>k1</key><t:other>new</t:other>",
    );
}

#[test]
fn ignore_missing_from_data_skips_the_copy() {
    let env = run_ok(
        "<key>k1</key>",
        r#"<copy ignoreMissingFromData="yes">
             <from variable="request" part="body"><query>missing</query></from>
             <to variable="s"/>
           </copy>
           <copy><from>'after'</from><to variable="pair" part="a"/></copy>"#,
    );
    assert!(env.variable("s").is_none());
    assert_xml(
        env.variable("pair").unwrap(),
        "<message><a>after</a></message>",
    );
}

#[test]
fn copies_to_and_from_attributes() {
    let env = run_ok(
        r#"<item a="1"/>"#,
        r#"<copy><from>'2'</from><to>$request.body/item/@a</to></copy>
           <copy>
             <from variable="request" part="body"><query>item/@a</query></from>
             <to variable="s"/>
           </copy>"#,
    );
    assert_msg(env.variable("request").unwrap(), r#"<item a="2"/>"#);
    assert_eq!(env.text("s"), "2");
}

#[test]
fn reads_and_writes_properties() {
    let env = run_ok(
        "<key>k1</key>",
        r#"<copy><from variable="request" property="t:key"/><to variable="s"/></copy>
           <copy>
             <from>concat(bpel:getVariableProperty('request', 't:key'), '!')</from>
             <to variable="pair" part="a"/>
           </copy>
           <copy><from>'k2'</from><to variable="request" property="t:key"/></copy>"#,
    );
    assert_eq!(env.text("s"), "k1");
    assert_xml(
        env.variable("pair").unwrap(),
        "<message><a>k1!</a></message>",
    );
    assert_msg(env.variable("request").unwrap(), "<key>k2</key>");
}

#[test]
fn endpoint_references_round_trip_through_variables_and_partner_links() {
    let mut env = TestEnv::with(
        &Declarations {
            variables: r#"<variable name="epr" type="xsd:anyType"/>"#,
            ..Declarations::default()
        },
        &sequence(&[
            RECEIVE_NOTIFY,
            r#"<assign>
                 <copy>
                   <from partnerLink="partner" endpointReference="partnerRole"/>
                   <to variable="epr"/>
                 </copy>
                 <copy>
                   <from partnerLink="client" endpointReference="myRole"/>
                   <to partnerLink="partner"/>
                 </copy>
               </assign>"#,
            r#"<invoke partnerLink="partner" operation="tell" inputVariable="request"/>"#,
            r#"<assign><copy><from variable="epr"/><to partnerLink="partner"/></copy></assign>"#,
            r#"<invoke partnerLink="partner" operation="tell" inputVariable="request"/>"#,
        ]),
    );
    let output = env.notify("");
    assert_eq!(
        output.status,
        InstanceStatus::Completed,
        "{:?}",
        env.state.fault
    );
    assert_eq!(env.text("epr"), PARTNER_ADDRESS);
    let endpoints: Vec<Option<&str>> = output
        .actions
        .iter()
        .map(|action| match action {
            Action::Invoke { endpoint, .. } => endpoint.as_deref(),
            other => panic!("expected invokes, got {other:?}"),
        })
        .collect();
    assert_eq!(endpoints, [Some(MY_ADDRESS), Some(PARTNER_ADDRESS)]);
}

#[test]
fn an_assign_is_atomic() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<assign><copy><from>'before'</from><to variable="s"/></copy></assign>"#,
        r#"<assign>
             <copy><from>'after'</from><to variable="s"/></copy>
             <copy><from>1</from><to variable="n"/></copy>
             <copy><from>$request.body/missing</from><to variable="pair" part="a"/></copy>
           </assign>"#,
    ]));
    let output = env.notify("<key>k1</key>");
    assert_faulted(&env, &output, &bpel("selectionFailure"));
    assert_eq!(env.text("s"), "before");
    assert!(env.variable("n").is_none());
    assert!(env.variable("pair").is_none());
}

#[test]
fn a_from_query_selecting_no_node_is_a_selection_failure() {
    let (env, output) = run(
        "<key>k1</key>",
        r#"<copy>
             <from variable="request" part="body"><query>missing</query></from>
             <to variable="s"/>
           </copy>"#,
    );
    assert_faulted(&env, &output, &bpel("selectionFailure"));
}

#[test]
fn a_from_expression_selecting_two_nodes_is_a_selection_failure() {
    let (env, output) = run(
        "<item/><item/>",
        r#"<copy><from>$request.body/item</from><to variable="s"/></copy>"#,
    );
    assert_faulted(&env, &output, &bpel("selectionFailure"));
}

#[test]
fn a_to_query_selecting_no_node_is_a_selection_failure() {
    let (env, output) = run(
        "<key>k1</key>",
        r#"<copy><from>'x'</from><to>$request.body/missing</to></copy>"#,
    );
    assert_faulted(&env, &output, &bpel("selectionFailure"));
    assert_msg(env.variable("request").unwrap(), "<key>k1</key>");
}

#[test]
fn reading_an_unset_variable_is_an_uninitialized_variable() {
    for copy in [
        r#"<copy><from variable="s"/><to variable="n"/></copy>"#,
        r#"<copy><from>concat($s, 'x')</from><to variable="n"/></copy>"#,
        r#"<copy><from variable="response" part="body"/><to variable="doc"/></copy>"#,
    ] {
        let (env, output) = run("", copy);
        assert_faulted(&env, &output, &bpel("uninitializedVariable"));
    }
}

#[test]
fn copying_between_incompatible_variables_is_refused_at_deployment() {
    for copy in [
        r#"<copy><from variable="request"/><to variable="doc"/></copy>"#,
        r#"<copy><from variable="request"/><to variable="pair"/></copy>"#,
    ] {
        let assign = format!("<assign>{copy}</assign>");
        let diagnostics = super::refused(&sequence(&[RECEIVE_NOTIFY, &assign]));
        assert!(diagnostics.has_rule("SA00043"), "{diagnostics}");
    }
}

#[test]
fn ignore_uninitialized_from_variable_skips_the_copy_and_to_a_bare_reference_initialises() {
    let env = run_ok(
        "<key>k1</key>",
        r#"<copy ignoreUninitializedFromVariable="yes">
             <from>$s</from>
             <to variable="pair" part="a"/>
           </copy>
           <copy><from>'first'</from><to>$s</to></copy>
           <copy><from>$s</from><to>$pair.a</to></copy>"#,
    );
    assert_eq!(
        env.variable("s").map(|s| s.string_value(s.root())),
        Some("first".to_owned())
    );
    assert_xml(
        env.variable("pair").unwrap(),
        "<message><a>first</a></message>",
    );
}

#[test]
fn validate_checks_variables_against_their_types() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<assign><copy><from>'12'</from><to variable="n"/></copy></assign>"#,
        r#"<validate variables="request n"/>"#,
        r#"<assign><copy><from>'twelve'</from><to variable="n"/></copy></assign>"#,
        r#"<validate variables="n"/>"#,
    ]));
    let output = env.notify("<key>k</key>");
    assert_faulted(&env, &output, &bpel("invalidVariables"));
    assert_eq!(env.text("n"), "twelve");
}

#[test]
fn an_assign_that_validates_is_undone_when_a_target_is_invalid() {
    let mut env = TestEnv::new(&sequence(&[
        RECEIVE_NOTIFY,
        r#"<assign><copy><from>'12'</from><to variable="n"/></copy></assign>"#,
        r#"<assign validate="yes"><copy><from>'twelve'</from><to variable="n"/></copy></assign>"#,
    ]));
    let output = env.notify("<key>k</key>");
    assert_faulted(&env, &output, &bpel("invalidVariables"));
    assert_eq!(env.text("n"), "12");
}

#[test]
fn endpoint_references_in_the_forms_ode_accepts_set_the_partner_address() {
    let sref = r#"xmlns:sref="http://docs.oasis-open.org/wsbpel/2.0/serviceref""#;
    let forms = [
        format!(
            r#"<sref:service-ref {sref}><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>http://a.test/1</wsa:Address></wsa:EndpointReference></sref:service-ref>"#
        ),
        r#"<wsa:EndpointReference xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"><wsa:Address> http://a.test/2 </wsa:Address></wsa:EndpointReference>"#.to_owned(),
        format!(
            r#"<sref:service-ref {sref}><soap:address xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" location="http://a.test/3"/></sref:service-ref>"#
        ),
        r#"<wsdl:service xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:s12="http://schemas.xmlsoap.org/wsdl/soap12/" name="S"><wsdl:port name="P" binding="b"><s12:address location="http://a.test/4"/></wsdl:port></wsdl:service>"#.to_owned(),
        format!(r#"<sref:service-ref {sref}>http://a.test/5</sref:service-ref>"#),
    ];
    for (n, literal) in forms.iter().enumerate() {
        let assign = format!(
            r#"<assign><copy><from><literal>{literal}</literal></from><to partnerLink="partner"/></copy></assign>"#
        );
        let invoke = r#"<invoke partnerLink="partner" operation="tell" inputVariable="request"/>"#;
        let mut env = TestEnv::new(&sequence(&[RECEIVE_NOTIFY, &assign, invoke]));
        let output = env.notify("");
        let endpoint = output.actions.iter().find_map(|action| match action {
            Action::Invoke { endpoint, .. } => endpoint.clone(),
            _ => None,
        });
        let expected = format!("http://a.test/{}", n + 1);
        assert_eq!(
            endpoint.as_deref(),
            Some(expected.as_str()),
            "{literal}: {:?}",
            env.state.fault
        );
    }
}

#[test]
fn an_endpoint_reference_without_an_address_is_an_unsupported_reference() {
    let (env, output) = run(
        "",
        r#"<copy><from><literal><t:doc><t:port>nowhere</t:port></t:doc></literal></from>
             <to partnerLink="partner"/></copy>"#,
    );
    assert_faulted(&env, &output, &bpel("unsupportedReference"));
}

#[test]
fn an_extension_function_s_wrapper_element_gives_the_target_its_pieces() {
    let env = run_ok(
        "<key>a,b</key>",
        r#"<copy>
             <from xmlns:ode="http://www.apache.org/ode/type/extension">ode:splitToElements($request.body/key, ',', 'chunk')</from>
             <to variable="request" part="body"/>
           </copy>"#,
    );
    assert_msg(
        env.variable("request").unwrap(),
        "<chunk>a</chunk><chunk>b</chunk>",
    );
}

#[test]
fn xpath_2_reads_a_numeric_variable_as_a_number() {
    let env = run_ok(
        "<item>a</item><item>b</item>",
        r#"<copy><from>2</from><to variable="n"/></copy>
           <copy>
             <from expressionLanguage="urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0">$request.body/item[$n]</from>
             <to variable="s"/>
           </copy>"#,
    );
    assert_eq!(env.text("s"), "b");
}

#[test]
fn insert_missing_to_data_creates_the_named_path() {
    let env = run_ok(
        "<key>k1</key>",
        r#"<copy insertMissingToData="yes" xmlns:ode="http://www.apache.org/ode/type/extension">
             <from>'v'</from>
             <to>$doc/a/t:b</to>
           </copy>
           <copy ode:insertMissingToData="yes" xmlns:ode="http://www.apache.org/ode/type/extension">
             <from>'x'</from>
             <to>$doc/a/@id</to>
           </copy>
           <copy insertMissingToData="yes">
             <from>'w'</from>
             <to variable="request" part="body"><query>c/d</query></to>
           </copy>"#,
    );
    assert_xml(
        env.variable("doc").unwrap(),
        r#"<t:doc xmlns:t="urn:t"><a id="x"><t:b>v</t:b></a></t:doc>"#,
    );
    assert_msg(
        env.variable("request").unwrap(),
        "<key>k1</key><c><d>w</d></c>",
    );
}

#[test]
fn insert_missing_to_data_creates_nothing_past_a_predicate() {
    let (env, output) = run(
        "<key>k1</key>",
        r#"<copy insertMissingToData="yes"><from>'v'</from><to>$request.body/a[2]/b</to></copy>"#,
    );
    assert_faulted(&env, &output, &bpel("selectionFailure"));
    assert_msg(env.variable("request").unwrap(), "<key>k1</key>");
}
