//! Processes written in the 2004 draft of WS-BPEL 2.0 compile as WS-BPEL 2.0 ones: the
//! draft's namespace, `<then>`, `<terminate>` and `getVariableData`; the draft's forms in a
//! WS-BPEL 2.0 process are accepted with a warning.

use super::{compile_ok, edited};
use crate::compiler::dialect::DRAFT_PROCESS_NS;
use crate::compiler::UnitSource;
use crate::model::{ActivityKind, Unit};

const BPEL: &str = "HelloWorld.bpel";

/// HelloWorld with `old` replaced by `new` in its process, in the draft's namespace when
/// `draft`.
fn hello(draft: bool, old: &str, new: &str) -> UnitSource {
    let mut source = edited("HelloWorld", BPEL, old, new);
    if draft {
        let text = String::from_utf8(source.files[BPEL].clone()).unwrap();
        let text = text.replace(
            "xmlns=\"http://docs.oasis-open.org/wsbpel/2.0/process/executable\"",
            &format!("xmlns=\"{DRAFT_PROCESS_NS}\" xmlns:bpws=\"{DRAFT_PROCESS_NS}\""),
        );
        source.files.insert(BPEL.to_owned(), text.into_bytes());
    }
    source
}

const GREETING: &str = "<from>concat('Hello ', $request.parameters)</from>";
const REPLY: &str = "<reply name=\"end\"";
const BRANCH: &str = "<if><condition>true()</condition><then><empty/></then>\
                      <else><terminate/></else></if>";

fn expression_sources(unit: &Unit) -> Vec<&str> {
    let process = &unit.processes[0];
    process
        .expressions
        .iter()
        .map(|e| e.source.as_str())
        .collect()
}

#[test]
fn a_draft_process_compiles_as_ws_bpel_2_0() {
    let from = "<from>concat('Hello ', bpws:getVariableData('request', 'parameters'))</from>";
    let source = hello(true, GREETING, from);
    let text = String::from_utf8(source.files[BPEL].clone()).unwrap();
    let text = text.replace(REPLY, &format!("{BRANCH}{REPLY}"));
    let mut source = source;
    source.files.insert(BPEL.to_owned(), text.into_bytes());
    let unit = compile_ok(&source);
    assert!(unit.warnings.is_empty(), "{:?}", unit.warnings);
    assert!(expression_sources(&unit).contains(&"concat('Hello ', $request.parameters)"));
    let process = &unit.processes[0];
    let branch = process
        .activities
        .iter()
        .find_map(|activity| match &activity.kind {
            ActivityKind::If {
                branches,
                otherwise: Some(otherwise),
            } => Some((branches[0].1, *otherwise)),
            _ => None,
        })
        .expect("the if is compiled");
    assert!(matches!(
        process.activity(branch.0).kind,
        ActivityKind::Empty
    ));
    assert!(matches!(
        process.activity(branch.1).kind,
        ActivityKind::Exit
    ));
}

#[test]
fn draft_queries_become_relative_paths_and_broken_expressions_fault_when_run() {
    let from = "<from>bpws:getVariableData('request', 'parameters', '/w:hello/w:name')</from>";
    let unit = compile_ok(&hello(true, GREETING, from));
    assert!(expression_sources(&unit).contains(&"($request.parameters/w:name)"));
    let unit = compile_ok(&hello(
        true,
        GREETING,
        "<from>$request.parameters/q:x</from>",
    ));
    let process = &unit.processes[0];
    let undeclared = process
        .expressions
        .iter()
        .find(|e| e.source.contains("q:x"));
    assert!(undeclared.unwrap().namespaces.contains_key("q"));
    assert_eq!(unit.warnings.len(), 1, "{:?}", unit.warnings);
    let unit = compile_ok(&hello(true, GREETING, "<from>'a</from>"));
    assert!(expression_sources(&unit).contains(&"unparsable-expression()"));
    assert_eq!(unit.warnings.len(), 1, "{:?}", unit.warnings);
}

#[test]
fn draft_forms_in_a_ws_bpel_2_0_process_are_warnings() {
    let source = hello(false, REPLY, &format!("{BRANCH}{REPLY}"));
    let unit = compile_ok(&source);
    assert_eq!(unit.warnings.len(), 2, "{:?}", unit.warnings);
    assert!(unit.warnings.iter().all(|w| w.contains("[BPEL-DRAFT]")));
}
