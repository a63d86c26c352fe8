//! The stylesheets of `bpel:doXslTransform`, loaded at deployment from the conformance
//! corpus's TestXslTransform unit.

use std::path::PathBuf;

use super::{compile_err, compile_ok};
use crate::compiler::UnitSource;

fn xsl_unit() -> UnitSource {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance/ode/bpel-test/bpel/2.0/TestXslTransform");
    UnitSource::from_dir(dir).expect("the corpus unit is readable")
}

#[test]
fn stylesheets_named_by_do_xsl_transform_are_kept_in_the_model() {
    let unit = compile_ok(&xsl_unit());
    let stylesheets = &unit.processes[0].stylesheets;
    assert_eq!(
        stylesheets.keys().collect::<Vec<_>>(),
        ["HelloXslWorld.xsl"]
    );
    assert!(stylesheets["HelloXslWorld.xsl"].contains("xsl:stylesheet"));
}

#[test]
fn a_missing_stylesheet_is_reported_at_deployment() {
    let mut source = xsl_unit();
    source.files.remove("HelloXslWorld.xsl");
    let diagnostics = compile_err(&source);
    let found = diagnostics.iter().any(|d| {
        d.rule == "XSLT"
            && d.file == "HelloXslWorld.bpel"
            && d.message.contains("xsltStylesheetNotFound")
    });
    assert!(found, "{diagnostics}");
}

#[test]
fn a_broken_stylesheet_is_reported_at_deployment() {
    let mut source = xsl_unit();
    source
        .files
        .insert("HelloXslWorld.xsl".to_owned(), b"<xsl:stylesheet".to_vec());
    let diagnostics = compile_err(&source);
    assert!(
        diagnostics.iter().any(|d| d.rule == "XSLT"),
        "{diagnostics}"
    );
}
