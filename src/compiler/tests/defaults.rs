//! Defaults the compiler applies with a warning instead of refusing the unit: the default
//! SOAP binding of a provided service that the WSDL does not bind, a `<process-events>` under
//! `<deploy>`, a stray quote after a complete XPath 1.0 expression, a to-expression that is no
//! variable reference; and the whole deploy.xml vocabulary being read.

use super::{compile_err, compile_ode, compile_ok, edited, line_of};
use crate::model::BindingStyle;
use crate::xml::QName;

#[test]
fn a_port_bound_without_soap_gets_a_document_literal_default_binding() {
    let source = edited(
        "HelloWorld",
        "HelloWorld.wsdl",
        r#"<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>"#,
        "",
    );
    let unit = compile_ok(&source);
    let provide = line_of(&source, "deploy.xml", "<provide");
    assert_eq!(unit.warnings.len(), 1, "{:?}", unit.warnings);
    assert!(
        unit.warnings[0].starts_with(&format!("deploy.xml:{provide}: warning: [DD-PROVIDE]")),
        "{}",
        unit.warnings[0]
    );
    let definitions = &unit.definitions;
    let service = &definitions.services[&QName::new("urn:baton:test:hello:wsdl", "HelloService")];
    let port = &service.ports[0];
    assert_eq!(port.address.as_deref(), Some("http://localhost:8080/hello"));
    let binding = &definitions.bindings[&port.binding];
    assert_eq!(
        binding.port_type,
        QName::new("urn:baton:test:hello:wsdl", "HelloPortType")
    );
    assert_eq!(binding.operations.len(), 1);
    assert_eq!(binding.operations[0].name, "hello");
    assert_eq!(binding.operations[0].style, BindingStyle::Document);
}

#[test]
fn an_undefined_service_gets_an_rpc_literal_default_binding_and_address() {
    let source = edited(
        "RpcCalculator",
        "deploy.xml",
        r#"<service name="calc:CalculatorService" port="CalculatorPort"/>"#,
        r#"<service name="calc:calculatorService" port="calculatorPort"/>"#,
    );
    let unit = compile_ok(&source);
    assert_eq!(unit.warnings.len(), 1, "{:?}", unit.warnings);
    let definitions = &unit.definitions;
    let service = &definitions.services[&QName::new("urn:baton:test:calc", "calculatorService")];
    let port = &service.ports[0];
    assert_eq!(port.name, "calculatorPort");
    assert_eq!(
        port.address.as_deref(),
        Some("/ode/processes/calculatorService")
    );
    let operation = &definitions.bindings[&port.binding].operations[0];
    assert_eq!(operation.style, BindingStyle::Rpc);
    assert_eq!(
        operation.input_namespace.as_deref(),
        Some("urn:baton:test:calc")
    );
}

#[test]
fn a_bound_service_has_no_warning() {
    let unit = compile_ok(&super::read_unit("HelloWorld"));
    assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
}

#[test]
fn process_events_under_deploy_apply_to_every_process_with_a_warning() {
    let source = edited(
        "HelloWorld",
        "deploy.xml",
        "</deploy>",
        "<process-events><enable-event>dataHandling</enable-event></process-events></deploy>",
    );
    let source = {
        let mut source = source;
        let path = "deploy.xml";
        let text = String::from_utf8(source.files[path].clone()).unwrap();
        let text = text.replacen(r#"<process-events generate="all"/>"#, "", 1);
        source.files.insert(path.to_owned(), text.into_bytes());
        source
    };
    let unit = compile_ok(&source);
    assert_eq!(unit.warnings.len(), 1, "{:?}", unit.warnings);
    assert!(
        unit.warnings[0].contains("warning: [DD]"),
        "{}",
        unit.warnings[0]
    );
    let events = unit.descriptor.processes[0]
        .events
        .as_ref()
        .expect("applied");
    assert_eq!(events.enabled, ["dataHandling"]);
}

#[test]
fn the_whole_deploy_descriptor_vocabulary_is_read() {
    let source = edited(
        "HelloWorld",
        "deploy.xml",
        "</process>",
        r#"<mex-interceptors><mex-interceptor><class-name>a.B</class-name></mex-interceptor></mex-interceptors>
    <type>pns:HelloType</type>
    <schedule when="* * * * * ?"><cleanup on="failure"><category>all</category></cleanup></schedule>
    <invoke partnerLink="client" usePeer2Peer="false">
      <service name="wns:HelloService" port="HelloPort"/>
      <binding name="wns:HelloBinding"/>
      <ar:failureHandling xmlns:ar="http://ode.apache.org/activityRecovery">
        <ar:retryFor>3</ar:retryFor><ar:retryDelay>5</ar:retryDelay>
        <ar:faultOnFailure>true</ar:faultOnFailure>
      </ar:failureHandling>
    </invoke>
  </process>"#,
    );
    // The invoke names a myRole-only partner link: only the descriptor is checked here.
    let file = super::super::xmlutil::XmlFile::parse(
        "deploy.xml",
        &source.files["deploy.xml"],
        &mut Default::default(),
    )
    .expect("well-formed");
    let mut diagnostics = crate::compiler::Diagnostics::default();
    let endpoints = super::super::endpoints::EndpointFiles {
        unit: &source,
        conf_dir: None,
    };
    let deploy = super::super::deploy::read(&file, endpoints, &mut diagnostics);
    assert!(diagnostics.is_empty(), "{diagnostics}");
    let process = &deploy.descriptor.processes[0];
    assert_eq!(process.mex_interceptors, ["a.B"]);
    assert_eq!(
        process.process_type,
        Some(QName::new("urn:baton:test:hello", "HelloType"))
    );
    assert_eq!(process.schedules[0].when, "* * * * * ?");
    assert_eq!(process.schedules[0].cleanup[0].categories, ["all"]);
    let invoke = &process.invokes[0];
    assert!(!invoke.use_peer2peer);
    assert_eq!(
        invoke.binding,
        Some(QName::new("urn:baton:test:hello:wsdl", "HelloBinding"))
    );
    let failure = invoke.failure_handling.as_ref().expect("read");
    assert_eq!((failure.retry_for, failure.retry_delay), (3, 5));
    assert!(failure.fault_on_failure);
}

#[test]
fn a_stray_quote_after_a_complete_xpath_1_expression_is_dropped_with_a_warning() {
    let bpel = "HelloWorld.bpel";
    let source = edited(
        "HelloWorld",
        bpel,
        "concat('Hello ', $request.parameters)",
        "concat('Hello ', $request.parameters)\"",
    );
    let unit = compile_ok(&source);
    let line = line_of(&source, bpel, "concat(");
    assert_eq!(unit.warnings.len(), 1, "{:?}", unit.warnings);
    assert!(
        unit.warnings[0].starts_with(&format!("{bpel}:{line}: warning: [XPATH]")),
        "{}",
        unit.warnings[0]
    );
    let sources: Vec<&str> = unit.processes[0]
        .expressions
        .iter()
        .map(|e| e.source.as_str())
        .collect();
    assert!(sources.contains(&"concat('Hello ', $request.parameters)"));

    let incomplete = edited(
        "HelloWorld",
        bpel,
        "concat('Hello ', $request.parameters)",
        "concat('Hello ', \"",
    );
    let diagnostics = super::compile_err(&incomplete);
    super::assert_reported(&diagnostics, bpel, line, "XPATH");
}

#[test]
fn a_to_expression_without_a_variable_reference_is_a_warning() {
    let bpel = "HelloWorld.bpel";
    let source = edited(
        "HelloWorld",
        bpel,
        "<reply name=\"end\"",
        "<assign><copy><from>1</from>\n<to>1</to></copy></assign>\n<reply name=\"end\"",
    );
    let unit = compile_ok(&source);
    let line = line_of(&source, bpel, "<to>1</to>");
    assert_eq!(unit.warnings.len(), 1, "{:?}", unit.warnings);
    assert!(
        unit.warnings[0].starts_with(&format!("{bpel}:{line}: warning: [SA00033]")),
        "{}",
        unit.warnings[0]
    );
}

#[test]
fn deploy_xml_failure_handling_applies_to_the_partner_link_s_invokes() {
    let source = edited(
        "Relay",
        "deploy.xml",
        r#"<service name="tns:PartnerService" port="PartnerPort"/></invoke>"#,
        r#"<service name="tns:PartnerService" port="PartnerPort"/>
      <ar:failureHandling xmlns:ar="http://ode.apache.org/activityRecovery">
        <ar:retryFor>2</ar:retryFor><ar:retryDelay>7</ar:retryDelay>
      </ar:failureHandling></invoke>"#,
    );
    let unit = compile_ok(&source);
    let handling: Vec<_> = unit.processes[0]
        .activities
        .iter()
        .filter_map(|activity| match &activity.kind {
            crate::model::ActivityKind::Invoke(invoke) => Some(invoke.failure_handling.clone()),
            _ => None,
        })
        .collect();
    let expected = crate::model::FailureHandling {
        retry_for: 2,
        retry_delay: 7,
        fault_on_failure: false,
    };
    assert!(!handling.is_empty());
    assert!(
        handling.iter().all(|h| h.as_ref() == Some(&expected)),
        "{handling:?}"
    );
}

#[test]
fn a_port_type_slip_in_another_namespace_is_refused_naming_the_ode_mode_where_it_is_a_warning() {
    let source = edited(
        "HelloWorld",
        "HelloWorld.bpel",
        r#"portType="w:HelloPortType""#,
        r#"portType="o:HelloPortType" xmlns:o="urn:other""#,
    );
    let refused = compile_err(&source).to_string();
    assert!(refused.contains("[SA00005]"), "{refused}");
    assert!(
        refused.contains(r#"[compiler] compatibility = "ode""#),
        "{refused}"
    );
    let unit = compile_ode(&source);
    let warning = unit.warnings.iter().find(|w| w.contains("SA00005"));
    let warning = warning.unwrap_or_else(|| panic!("{:?}", unit.warnings));
    assert!(
        warning.contains("{urn:other}HelloPortType names no port type"),
        "{warning}"
    );
}
