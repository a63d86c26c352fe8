//! Structured activities (WS-BPEL 2.0 §11): `<sequence>`, `<if>`, `<while>`,
//! `<repeatUntil>`, and `<empty>`.

use super::*;

/// A process that receives `call`, runs `activities` and replies with `$s`.
fn answering(activities: &[&str]) -> TestEnv {
    let mut all = vec![RECEIVE];
    all.extend_from_slice(activities);
    all.extend_from_slice(&[RESPONSE_FROM_S, REPLY]);
    TestEnv::new(&sequence(&all))
}

/// Calls the process with `content` and returns the text of its reply.
fn answer(env: &mut TestEnv, content: &str) -> String {
    let (exchange, output) = env.call(content);
    assert_eq!(
        output.status,
        InstanceStatus::Completed,
        "{:?}",
        env.state.fault
    );
    let reply = only_reply(&output, &exchange);
    reply.string_value(reply.root())
}

fn set_s(expression: &str) -> String {
    format!(r#"<assign><copy><from>{expression}</from><to variable="s"/></copy></assign>"#)
}

#[test]
fn a_sequence_runs_its_children_in_order() {
    let (a, b, c) = (
        set_s("'a'"),
        set_s("concat($s, 'b')"),
        set_s("concat($s, 'c')"),
    );
    let mut env = answering(&[&a, "<empty/>", &sequence(&[&b, &c])]);
    assert_eq!(answer(&mut env, ""), "abc");
}

#[test]
fn if_takes_the_first_true_branch_else_the_else() {
    let choice = format!(
        "<if><condition>$request.body/key = 'a'</condition>{}\
         <elseif><condition>$request.body/key = 'b'</condition>{}</elseif>\
         <elseif><condition>$request.body/key != 'c'</condition>{}</elseif>\
         <else>{}</else></if>",
        set_s("'first'"),
        set_s("'second'"),
        set_s("'third'"),
        set_s("'otherwise'"),
    );
    for (key, expected) in [
        ("a", "first"),
        ("b", "second"),
        ("z", "third"),
        ("c", "otherwise"),
    ] {
        let mut env = answering(&[&choice]);
        let content = format!("<key>{key}</key>");
        assert_eq!(answer(&mut env, &content), expected, "key {key}");
    }
}

#[test]
fn if_without_a_true_branch_and_no_else_does_nothing() {
    let choice = format!(
        "<if><condition>false()</condition>{}</if>",
        set_s("'taken'")
    );
    let mut env = answering(&[&set_s("'untouched'"), &choice]);
    assert_eq!(answer(&mut env, ""), "untouched");
}

#[test]
fn while_loops_until_its_condition_is_false() {
    let counter = format!(
        "{}{}<while><condition>$n &lt; $request.body/key</condition>{}</while>",
        r#"<assign><copy><from>0</from><to variable="n"/></copy></assign>"#,
        set_s("''"),
        r#"<assign>
             <copy><from>$n + 1</from><to variable="n"/></copy>
             <copy><from>concat($s, $n)</from><to variable="s"/></copy>
           </assign>"#,
    );
    let mut env = answering(&[&counter]);
    assert_eq!(answer(&mut env, "<key>5</key>"), "12345");
    let mut env = answering(&[&counter]);
    assert_eq!(answer(&mut env, "<key>0</key>"), "");
}

#[test]
fn repeat_until_runs_its_body_at_least_once() {
    let repeat = format!(
        "{}<repeatUntil>{}<condition>string-length($s) >= $request.body/key</condition>\
         </repeatUntil>",
        set_s("''"),
        set_s("concat($s, 'x')"),
    );
    let mut env = answering(&[&repeat]);
    assert_eq!(answer(&mut env, "<key>3</key>"), "xxx");
    let mut env = answering(&[&repeat]);
    assert_eq!(answer(&mut env, "<key>0</key>"), "x");
}

#[test]
fn empty_does_nothing() {
    let mut env = TestEnv::new(&sequence(&[RECEIVE_NOTIFY, "<empty/>"]));
    let output = env.notify("");
    assert!(output.actions.is_empty());
    assert_eq!(output.status, InstanceStatus::Completed);
    assert!(env.state.threads.is_empty());
}

#[test]
fn simple_typed_variables_are_xpath_booleans_and_numbers_in_xpath_1() {
    let set_flag = r#"<assign><copy><from>true()</from><to variable="flag"/></copy>
        <copy><from>false()</from><to>$flag</to></copy>
        <copy><from>'7'</from><to variable="n"/></copy></assign>"#;
    let choice = format!(
        "<if><condition>$flag</condition>{}\
         <elseif><condition>$n + 1 = 8</condition>{}</elseif>\
         <else>{}</else></if>",
        set_s("'flag is true'"),
        set_s("concat('n is ', $n, ', flag is ', $flag)"),
        set_s("'n is not a number'"),
    );
    let body = sequence(&[RECEIVE, set_flag, &choice, RESPONSE_FROM_S, REPLY]);
    let declarations = Declarations {
        variables: r#"<variable name="flag" type="xsd:boolean"/>"#,
        ..Declarations::default()
    };
    let mut env = TestEnv::with(&declarations, &body);
    assert_eq!(answer(&mut env, ""), "n is 7, flag is false");
}
