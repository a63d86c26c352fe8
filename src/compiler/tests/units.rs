//! The models compiled from the project's test units, checked in detail.

use super::{compile_ok, edited_all, read_unit};
use crate::model::{
    ActivityKind, AliasSource, BindingStyle, CleanupOn, Deadline, EndpointRole, ExpressionUse,
    From, Initiate, PartContent, Process, ScopeId, SoapVersion, To, VariableId, VariableKind,
    XPATH_1_0, XPATH_2_0,
};
use crate::xml::QName;

const HELLO: &str = "urn:baton:test:hello:wsdl";
const CALC: &str = "urn:baton:test:calc";
const ORDER: &str = "urn:baton:test:order";

/// The children of the process's root sequence.
fn main_sequence(process: &Process) -> Vec<&ActivityKind> {
    let ActivityKind::Sequence(children) = &process.activity(process.root).kind else {
        panic!("the root is not a sequence");
    };
    children
        .iter()
        .map(|&id| &process.activity(id).kind)
        .collect()
}

#[test]
fn hello_world_document_literal() {
    let unit = compile_ok(&read_unit("HelloWorld"));
    assert_eq!(unit.name, "HelloWorld");

    let deployment = &unit.descriptor.processes[0];
    assert_eq!(
        deployment.name,
        QName::new("urn:baton:test:hello", "HelloWorld")
    );
    assert!(deployment.active && deployment.in_memory && !deployment.retired);
    assert_eq!(
        deployment.properties,
        [(QName::new("urn:baton:test:hello", "owner"), "tests".into())]
    );
    assert_eq!(
        deployment.provides[0].service,
        QName::new(HELLO, "HelloService")
    );
    assert_eq!(deployment.provides[0].port, "HelloPort");
    assert_eq!(
        deployment.events.as_ref().and_then(|e| e.generate),
        Some(true)
    );
    assert_eq!(deployment.cleanup[0].on, CleanupOn::Success);
    assert_eq!(
        deployment.cleanup[0].categories,
        ["instance", "variables", "correlations"]
    );

    let defs = &unit.definitions;
    let binding = &defs.bindings[&QName::new(HELLO, "HelloBinding")];
    assert_eq!(binding.version, SoapVersion::Soap11);
    assert_eq!(binding.operations[0].style, BindingStyle::Document);
    assert_eq!(
        binding.operations[0].soap_action.as_deref(),
        Some("urn:hello")
    );
    let port = &defs.services[&QName::new(HELLO, "HelloService")].ports[0];
    assert_eq!(port.address.as_deref(), Some("http://localhost:8080/hello"));
    assert_eq!(
        defs.messages[&QName::new(HELLO, "HelloRequest")].parts[0].content,
        PartContent::Element(QName::new(HELLO, "hello"))
    );
    assert!(defs.documents.contains_key("HelloWorld.wsdl"));

    let process = unit
        .process(&deployment.name)
        .expect("the process is compiled");
    assert_eq!(process.file, "HelloWorld.bpel");
    let link = &process.partner_links[0];
    assert_eq!(
        link.my_role.as_ref().map(|r| r.port_type.clone()),
        Some(QName::new(HELLO, "HelloPortType"))
    );
    assert!(link.partner_role.is_none());
    let steps = main_sequence(process);
    let ActivityKind::Receive(receive) = steps[0] else {
        panic!("{:?}", steps[0])
    };
    assert!(receive.create_instance);
    assert_eq!(receive.operation, "hello");
    assert_eq!(
        process.variable(receive.variable.expect("variable")).name,
        "request"
    );
    let ActivityKind::Assign(assign) = steps[1] else {
        panic!("{:?}", steps[1])
    };
    let From::Expression(concat) = assign.copies().next().unwrap().from else {
        panic!()
    };
    let concat = process.expression(concat);
    assert_eq!(concat.source, "concat('Hello ', $request.parameters)");
    assert_eq!(concat.language, XPATH_1_0);
    assert_eq!(concat.namespaces.get("w").map(String::as_str), Some(HELLO));
    assert_eq!(
        (concat.location.file.as_str(), concat.location.line),
        ("HelloWorld.bpel", 21)
    );
    let From::Literal(literal) = &assign.copies().nth(1).unwrap().from else {
        panic!()
    };
    assert!(
        literal.starts_with("<w:helloResponse") && literal.contains(HELLO),
        "{literal}"
    );
    // A bare `$variable.part` to-expression is the variable's part.
    assert!(matches!(
        &assign.copies().nth(2).unwrap().to,
        To::Variable { part: Some(part), query: None, .. } if part == "parameters"
    ));
    let ActivityKind::Reply(reply) = steps[2] else {
        panic!("{:?}", steps[2])
    };
    assert!(reply.fault.is_none());
    assert_eq!(process.activity(process.root).name.as_deref(), Some("main"));
}

#[test]
fn rpc_literal_with_structured_activities_and_fault_handlers() {
    let unit = compile_ok(&read_unit("RpcCalculator"));
    let defs = &unit.definitions;
    let binding = &defs.bindings[&QName::new(CALC, "CalculatorBinding")];
    assert_eq!(binding.version, SoapVersion::Soap12);
    let sum = &binding.operations[0];
    assert_eq!(sum.style, BindingStyle::Rpc);
    assert_eq!(
        sum.input_namespace.as_deref(),
        Some("urn:baton:test:calc:rpc")
    );
    assert_eq!(sum.input_parts, Some(vec!["a".to_owned(), "b".to_owned()]));
    let headers: Vec<&str> = sum.input_headers.iter().map(|h| h.part.as_str()).collect();
    assert_eq!(headers, ["trace"]);
    assert_eq!(sum.output_parts, None);
    let operation = defs
        .operation(&QName::new(CALC, "CalculatorPortType"), "sum")
        .unwrap();
    assert_eq!(
        operation.faults,
        [("overflow".to_owned(), QName::new(CALC, "Overflow"))]
    );
    assert!(unit.descriptor.processes[0].provides[0].enable_sharing);

    let process = &unit.processes[0];
    let steps = main_sequence(process);
    let ActivityKind::While { condition, .. } = steps[2] else {
        panic!("{:?}", steps[2])
    };
    let condition = process.expression(*condition);
    assert_eq!(
        (condition.source.as_str(), condition.usage),
        ("$counter < 3", ExpressionUse::Condition)
    );
    assert_eq!(condition.language, XPATH_2_0);
    assert!(matches!(steps[3], ActivityKind::RepeatUntil { .. }));
    let ActivityKind::Wait(Deadline::For(duration)) = steps[4] else {
        panic!("{:?}", steps[4])
    };
    assert_eq!(process.expression(*duration).usage, ExpressionUse::Duration);
    let ActivityKind::If {
        branches,
        otherwise,
    } = steps[5]
    else {
        panic!("{:?}", steps[5])
    };
    assert_eq!(branches.len(), 2);
    assert_eq!(process.expression(branches[1].0).language, XPATH_1_0);
    assert!(otherwise.is_some());
    let ActivityKind::Throw { fault, variable } = &process.activity(branches[0].1).kind else {
        panic!()
    };
    assert_eq!(fault, &QName::new(CALC, "tooBig"));
    assert_eq!(process.variable(variable.unwrap()).name, "overflow");

    let handlers = &process.scope(ScopeId::PROCESS).fault_handlers;
    let catch = &handlers.catches[0];
    assert_eq!(catch.fault_name, Some(QName::new(CALC, "tooBig")));
    let detail = process.variable(catch.fault_variable.unwrap());
    assert_eq!(
        (detail.name.as_str(), &detail.kind),
        (
            "detail",
            &VariableKind::Message(QName::new(CALC, "Overflow"))
        )
    );
    let ActivityKind::Sequence(body) = &process.activity(catch.activity).kind else {
        panic!()
    };
    let ActivityKind::Reply(reply) = &process.activity(body[1]).kind else {
        panic!()
    };
    assert_eq!(reply.fault, Some(QName::new(CALC, "overflow")));
    let catch_all = process.activity(handlers.catch_all.unwrap());
    assert!(matches!(catch_all.kind, ActivityKind::Exit));
}

#[test]
fn one_way_with_callback_and_correlation() {
    let unit = compile_ok(&read_unit("AsyncCallback"));
    let defs = &unit.definitions;
    assert!(
        defs.documents.contains_key("Common.wsdl"),
        "the wsdl:import is followed"
    );
    let order_id = QName::new("urn:baton:test:order:common", "orderId");
    assert!(defs.properties.contains_key(&order_id));
    let alias = &defs.property_aliases[0];
    assert_eq!(alias.property, order_id);
    let expected = AliasSource::MessagePart {
        message: QName::new(ORDER, "OrderMessage"),
        part: "order".into(),
    };
    assert_eq!(alias.source, expected);
    let query = alias.query.as_ref().unwrap();
    assert_eq!(query.source, "tns:id");
    assert_eq!(query.namespaces.get("tns").map(String::as_str), Some(ORDER));
    assert_eq!(
        defs.schema_imports[0].location.as_deref(),
        Some("http://example.com/remote.xsd")
    );
    assert_eq!(defs.schema_imports[0].file, None);
    let invoke = &unit.descriptor.processes[0].invokes[0];
    assert_eq!(
        (invoke.port.as_str(), invoke.use_peer2peer),
        ("CallbackPort", false)
    );

    let process = &unit.processes[0];
    assert_eq!(process.correlation_sets[0].properties, [order_id]);
    let link = &process.partner_links[0];
    assert!(link.initialize_partner_role);
    assert_eq!(
        link.partner_role.as_ref().unwrap().port_type,
        QName::new(ORDER, "OrderCallbackPortType")
    );
    let steps = main_sequence(process);
    let ActivityKind::Receive(start) = steps[0] else {
        panic!()
    };
    assert_eq!(start.correlations[0].initiate, Initiate::Yes);
    let ActivityKind::Assign(assign) = steps[1] else {
        panic!()
    };
    let copies: Vec<_> = assign.copies().collect();
    let From::Variable { part, query, .. } = &copies[0].from else {
        panic!()
    };
    assert_eq!(part.as_deref(), Some("order"));
    assert_eq!(
        process.expression(query.unwrap()).usage,
        ExpressionUse::Query
    );
    assert!(copies[0].keep_src_element_name && copies[0].ignore_missing_from_data);
    assert!(matches!(
        copies[1].from,
        From::PartnerLink {
            role: EndpointRole::MyRole,
            ..
        }
    ));
    assert!(
        matches!(&copies[2].from, From::Property { property, .. } if property.local == "orderId")
    );
    assert!(matches!(copies[2].to, To::Property { .. }));
    assert!(copies[3].insert_missing_to_data && copies[4].insert_missing_to_data);
    assert!(!copies[2].insert_missing_to_data);
    assert!(matches!(copies[4].to, To::PartnerLink(_)));
    let ActivityKind::Invoke(invoke) = steps[2] else {
        panic!()
    };
    assert_eq!(
        (invoke.operation.as_str(), invoke.output),
        ("orderPlaced", None)
    );
    assert_eq!(invoke.correlations[0].pattern, None);
    let ActivityKind::Receive(confirm) = steps[3] else {
        panic!()
    };
    assert!(!confirm.create_instance);
    let confirmation = process.variable(confirm.variable.unwrap());
    assert_eq!(
        confirmation.kind,
        VariableKind::Element(QName::new(ORDER, "order"))
    );
    assert_eq!(confirm.correlations[0].initiate, Initiate::No);
}

/// HelloWorld with scopes, a flow with links, a forEach and a compensation handler between
/// its receive and its reply: scope entries, slots, shadowing and links in the model.
#[test]
fn scopes_links_and_for_each() {
    let activities = "<scope name=\"outer\" exitOnStandardFault=\"yes\">
      <variables><variable name=\"greeting\" type=\"xsd:int\"/></variables>
      <faultHandlers><catch faultName=\"w:oops\" faultVariable=\"data\"
          faultMessageType=\"w:HelloRequest\"><compensateScope target=\"inner\"/></catch>
      </faultHandlers>
      <flow suppressJoinFailure=\"yes\">
        <links><link name=\"first\"/></links>
        <scope name=\"inner\">
          <compensationHandler><compensate/></compensationHandler>
          <assign><sources><source linkName=\"first\">
            <transitionCondition>true()</transitionCondition></source></sources>
            <copy><from>1</from><to variable=\"greeting\"/></copy></assign>
        </scope>
        <forEach counterName=\"i\" parallel=\"yes\">
          <targets><joinCondition>$first</joinCondition><target linkName=\"first\"/></targets>
          <startCounterValue>1</startCounterValue><finalCounterValue>3</finalCounterValue>
          <completionCondition><branches successfulBranchesOnly=\"yes\">2</branches>
          </completionCondition>
          <scope><empty/></scope>
        </forEach>
      </flow>
    </scope>";
    let source = super::edited(
        "HelloWorld",
        "HelloWorld.bpel",
        "<reply name=\"end\"",
        &format!("{activities}<reply name=\"end\""),
    );
    let unit = super::compile_ok(&source);
    let process = &unit.processes[0];
    assert!(!process.exit_on_standard_fault);
    let named = |name: &str| {
        let index = process
            .activities
            .iter()
            .position(|a| a.name.as_deref() == Some(name))
            .unwrap();
        crate::model::ActivityId(index as u32)
    };
    let ActivityKind::Scope(outer) = process.activity(named("outer")).kind else {
        panic!("outer is not a scope");
    };
    let outer_scope = process.scope(outer);
    assert_eq!(outer_scope.parent, Some(ScopeId::PROCESS));
    assert!(outer_scope.exit_on_standard_fault);
    let inner_greeting = outer_scope.variables[0];
    assert_eq!(process.variable(inner_greeting).name, "greeting");
    assert_eq!(process.variable(inner_greeting).scope, outer);
    assert_eq!(process.variable(inner_greeting).slot, 0);
    let catch = &outer_scope.fault_handlers.catches[0];
    assert_eq!(
        catch.fault_type,
        Some(crate::model::FaultType::Message(QName::new(
            HELLO,
            "HelloRequest"
        )))
    );
    let catch_scope = process.scope(catch.scope.unwrap());
    assert_eq!(catch_scope.variables, [catch.fault_variable.unwrap()]);
    let ActivityKind::CompensateScope(target) = process.activity(catch.activity).kind else {
        panic!("the catch does not compensate a scope");
    };
    let ActivityKind::Scope(inner) = process.activity(named("inner")).kind else {
        panic!("inner is not a scope");
    };
    assert_eq!(target, inner);
    assert_eq!(process.scope(inner).parent, Some(outer));
    let compensation = process.scope(inner).compensation_handler.unwrap();
    assert!(matches!(
        process.activity(compensation).kind,
        ActivityKind::Compensate
    ));
    let ActivityKind::Assign(assign) = &process.activity(process.scope(inner).body).kind else {
        panic!("inner's body is not the assign");
    };
    let From::Expression(_) = assign.copies().next().unwrap().from else {
        panic!("unexpected from");
    };
    let To::Variable { variable, .. } = assign.copies().next().unwrap().to else {
        panic!("unexpected to");
    };
    assert_eq!(
        variable, inner_greeting,
        "the scope's greeting shadows the process's"
    );

    assert_eq!(process.links.len(), 1);
    let link = &process.links[0];
    assert_eq!(link.name, "first");
    assert_eq!(link.source, process.scope(inner).body);
    let for_each_activity = process.activity(link.target);
    assert!(for_each_activity.suppress_join_failure);
    let targets = for_each_activity.targets.as_ref().unwrap();
    assert_eq!(targets.links, [crate::model::LinkId(0)]);
    let join = process.expression(targets.join_condition.unwrap());
    assert_eq!(join.usage, ExpressionUse::JoinCondition);
    let ActivityKind::ForEach(for_each) = &for_each_activity.kind else {
        panic!("the link's target is not the forEach");
    };
    assert!(for_each.parallel);
    assert!(for_each.completion.as_ref().unwrap().successful_only);
    assert_eq!(
        process.expression(for_each.start).usage,
        ExpressionUse::Unsigned
    );
    let ActivityKind::Scope(body) = process.activity(for_each.scope).kind else {
        panic!("the forEach's child is not a scope");
    };
    assert_eq!(process.scope(body).variables, [for_each.counter]);
    assert_eq!(process.variable(for_each.counter).name, "i");
}

/// The variable `name` of `process`.
fn variable_id(process: &Process, name: &str) -> VariableId {
    let index = process
        .variables
        .iter()
        .position(|variable| variable.name == name)
        .unwrap_or_else(|| panic!("no variable {name}"));
    VariableId(index as u32)
}

/// RpcCalculator taking `b` of its request with `<fromParts>` and replying with `<toParts>`;
/// Messaging's onMessage taking its payload with `<fromParts>`.
#[test]
fn parts_of_messages_compile_to_their_variables() {
    let receive = r#"<bpel:receive partnerLink="client" operation="sum" createInstance="yes">
        <bpel:fromParts><bpel:fromPart part="b" toVariable="counter"/></bpel:fromParts>
      </bpel:receive>"#;
    let reply = r#"<bpel:reply partnerLink="client" operation="sum">
        <bpel:toParts><bpel:toPart part="result" fromVariable="counter"/></bpel:toParts>
      </bpel:reply>"#;
    let source = edited_all(
        "RpcCalculator",
        &[
            (
                "Calculator.bpel",
                r#"<bpel:receive partnerLink="client" operation="sum" variable="request" createInstance="yes"/>"#,
                receive,
            ),
            (
                "Calculator.bpel",
                r#"<bpel:reply partnerLink="client" operation="sum" variable="response"/>"#,
                reply,
            ),
        ],
    );
    let unit = compile_ok(&source);
    let process = &unit.processes[0];
    let counter = variable_id(process, "counter");
    let steps = main_sequence(process);
    let ActivityKind::Receive(receive) = steps[0] else {
        panic!("{:?}", steps[0])
    };
    assert_eq!(receive.variable, None);
    assert_eq!(receive.from_parts, [("b".to_owned(), counter)]);
    let ActivityKind::Reply(reply) = steps.last().unwrap() else {
        panic!()
    };
    assert_eq!(reply.variable, None);
    assert_eq!(reply.to_parts, [("result".to_owned(), counter)]);

    let pick = r#"<onMessage partnerLink="client" operation="poke">
        <fromParts><fromPart part="payload" toVariable="poke"/></fromParts>"#;
    let source = edited_all(
        "Messaging",
        &[
            (
                "Messaging.bpel",
                r#"<variable name="poked" messageType="tns:PokeMessage"/>"#,
                r#"<variable name="poke" element="tns:poke"/>"#,
            ),
            (
                "Messaging.bpel",
                r#"<onMessage partnerLink="client" operation="poke" variable="poked">"#,
                pick,
            ),
            ("Messaging.bpel", "$poked.payload", "$poke"),
        ],
    );
    let unit = compile_ok(&source);
    let process = &unit.processes[0];
    let poke = variable_id(process, "poke");
    let pick = main_sequence(process)
        .into_iter()
        .find_map(|step| match step {
            ActivityKind::Pick(pick) => Some(pick),
            _ => None,
        })
        .unwrap();
    let message = &pick.on_messages[0].message;
    assert_eq!(message.variable, None);
    assert_eq!(message.from_parts, [("payload".to_owned(), poke)]);
}
