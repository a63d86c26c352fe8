//! Inline variable initialisation (WS-BPEL 2.0 §8.1): a `<variable>` with a `<from>` gets
//! its value when its scope starts, before the scope's activity; an initialiser that fails
//! raises bpel:scopeInitializationFailure.

use super::*;

#[test]
fn a_process_variable_is_initialised_before_the_first_activity() {
    let mut env = TestEnv::with(
        &Declarations {
            variables: r#"<variable name="greeting" type="xsd:string"><from>'hi'</from></variable>"#,
            ..Declarations::default()
        },
        &sequence(&[RECEIVE, REPLY_FROM_GREETING]),
    );
    let (caller, output) = env.call("");
    assert_eq!(env.text("greeting"), "hi");
    assert_msg(only_reply(&output, &caller), "hi");
}

/// Replies with `$greeting`.
const REPLY_FROM_GREETING: &str = r#"<sequence>
    <assign><copy><from>$greeting</from><to variable="s"/></copy></assign>
    <assign>
      <copy><from><literal><t:doc/></literal></from><to variable="response" part="body"/></copy>
      <copy><from>$s</from><to>$response.body</to></copy>
    </assign>
    <reply partnerLink="client" operation="call" variable="response"/>
  </sequence>"#;

#[test]
fn a_scope_variable_is_initialised_from_what_the_enclosing_scope_holds_when_it_starts() {
    let scope = r#"<scope>
        <variables>
          <variable name="key" type="xsd:string"><from>$request.body/key</from></variable>
          <variable name="copy" type="xsd:string"><from>concat($key, '!')</from></variable>
        </variables>
        <assign><copy><from>$copy</from><to variable="s"/></copy></assign>
      </scope>"#;
    let mut env = TestEnv::new(&sequence(&[RECEIVE, scope, RESPONSE_FROM_S, REPLY]));
    let (caller, output) = env.call("<key>abc</key>");
    assert_eq!(env.text("s"), "abc!");
    assert_msg(only_reply(&output, &caller), "abc!");
}

#[test]
fn a_failing_initialiser_raises_scope_initialization_failure() {
    let scope = r#"<scope>
        <variables>
          <variable name="key" type="xsd:string"><from>$request.body/missing</from></variable>
        </variables>
        <assign><copy><from>'ran'</from><to variable="s"/></copy></assign>
      </scope>"#;
    let mut env = TestEnv::with(
        &Declarations {
            fault_handlers: r#"<catch faultName="bpel:scopeInitializationFailure">
                <assign><copy><from>'caught'</from><to variable="s"/></copy></assign>
              </catch>"#,
            ..Declarations::default()
        },
        &sequence(&[RECEIVE, scope, REPLY]),
    );
    env.call("<key>abc</key>");
    assert_eq!(env.text("s"), "caught");
}
