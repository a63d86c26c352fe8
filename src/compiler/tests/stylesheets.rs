//! The stylesheets of `bpel:doXslTransform`, loaded at deployment: kept in the model when
//! found and compiled, reported with the rule `XSLT` otherwise.

use super::{compile_err, compile_ok, edited};
use crate::compiler::UnitSource;

const STYLESHEET: &str = r#"<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">
  <xsl:template match="/"><greeting><xsl:value-of select="."/></greeting></xsl:template>
</xsl:stylesheet>"#;

/// HelloWorld, greeting through the stylesheet `Greeting.xsl` (which the unit has).
fn xsl_unit() -> UnitSource {
    let mut source = edited(
        "HelloWorld",
        "HelloWorld.bpel",
        "<from>concat('Hello ', $request.parameters)</from>",
        "<from xmlns:bpel=\"http://docs.oasis-open.org/wsbpel/2.0/process/executable\">bpel:doXslTransform('Greeting.xsl', $request.parameters)</from>",
    );
    source
        .files
        .insert("Greeting.xsl".to_owned(), STYLESHEET.as_bytes().to_vec());
    source
}

#[test]
fn stylesheets_named_by_do_xsl_transform_are_kept_in_the_model() {
    let unit = compile_ok(&xsl_unit());
    let stylesheets = &unit.processes[0].stylesheets;
    assert_eq!(stylesheets.keys().collect::<Vec<_>>(), ["Greeting.xsl"]);
    assert!(stylesheets["Greeting.xsl"].contains("xsl:stylesheet"));
}

#[test]
fn a_missing_stylesheet_is_reported_at_deployment() {
    let mut source = xsl_unit();
    source.files.remove("Greeting.xsl");
    let diagnostics = compile_err(&source);
    let found = diagnostics.iter().any(|d| {
        d.rule == "XSLT"
            && d.file == "HelloWorld.bpel"
            && d.message.contains("xsltStylesheetNotFound")
    });
    assert!(found, "{diagnostics}");
}

#[test]
fn a_broken_stylesheet_is_reported_at_deployment() {
    let mut source = xsl_unit();
    source
        .files
        .insert("Greeting.xsl".to_owned(), b"<xsl:stylesheet".to_vec());
    let diagnostics = compile_err(&source);
    assert!(
        diagnostics.iter().any(|d| d.rule == "XSLT"),
        "{diagnostics}"
    );
}

#[test]
fn a_stylesheet_in_iso_8859_1_is_read_as_its_declaration_says() {
    let mut source = xsl_unit();
    let mut latin = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>".to_vec();
    latin.extend(
        STYLESHEET
            .replace("greeting>", "gr\u{fc}\u{df}e>")
            .chars()
            .map(|c| c as u8),
    );
    source.files.insert("Greeting.xsl".to_owned(), latin);
    let unit = compile_ok(&source);
    assert!(unit.processes[0].stylesheets["Greeting.xsl"].contains("<gr\u{fc}\u{df}e>"));
}
