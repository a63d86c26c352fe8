//! Tests of ODE's extension functions and variables, evaluated through XPath with a context
//! that dispatches to them as the runtime's does.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::runtime::tests::{compile_process, Declarations, RECEIVE};
use crate::runtime::CompiledProcess;
use crate::xml::{parse, Document};
use crate::xpath::{self, Language, Node, TemporalType, XPath};
use crate::xslt::Stylesheet;

const TYPES: &str = "urn:types";

struct TestContext<'a> {
    call: Call<'a>,
    variables: Vec<(&'static str, &'a Document)>,
}

impl<'a> xpath::Context<'a> for TestContext<'a> {
    fn variable(&self, name: &QName) -> Result<Value<'a>, xpath::Error> {
        if let Some(result) = variable(&self.call, name) {
            return result.map_err(|f| xpath::Error::Extension(f.to_string()));
        }
        let (_, doc) = self
            .variables
            .iter()
            .find(|(n, _)| *n == name.local)
            .ok_or_else(|| xpath::Error::UnknownVariable(name.clone()))?;
        Ok(Value::NodeSet(vec![Node::new(
            doc,
            doc.document_element().unwrap(),
        )]))
    }

    fn function(
        &self,
        name: &QName,
        args: &[Value<'a>],
    ) -> Option<Result<Value<'a>, xpath::Error>> {
        function(&self.call, name, args)
            .map(|r| r.map_err(|f| xpath::Error::Extension(f.to_string())))
    }
}

fn namespaces() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("ode".to_owned(), ODE_NS.to_owned()),
        ("types".to_owned(), TYPES.to_owned()),
        ("foo".to_owned(), TYPES.to_owned()),
        ("dd".to_owned(), "urn:dd".to_owned()),
        ("addr".to_owned(), "urn:addr".to_owned()),
        ("bpel".to_owned(), BPEL_NS.to_owned()),
    ])
}

fn env() -> EvaluationEnv {
    let properties: Arc<[(QName, String)]> = Arc::from(vec![
        (QName::new("urn:dd", "punctuation"), "!".to_owned()),
        (
            QName::new("urn:dd", "epr"),
            r#"<sref:service-ref xmlns:sref="urn:sref" xmlns:addr="urn:addr"><addr:EndpointReference><addr:Address>http://x/</addr:Address><addr:ServiceName>as:Reg</addr:ServiceName></addr:EndpointReference></sref:service-ref>"#.to_owned(),
        ),
    ]);
    let time = Temporal::parse(TemporalType::DateTime, "2024-05-06T07:08:09Z").unwrap();
    EvaluationEnv::new(42, time, properties)
}

fn indicators() -> Document {
    parse(
        format!(
            r#"<t><typeIndicators xmlns:foo="{TYPES}"><foo:indicatorOne>1</foo:indicatorOne><foo:indicatorTwo>2</foo:indicatorTwo></typeIndicators></t>"#
        )
        .as_bytes(),
    )
    .unwrap()
}

/// Evaluates `expr` (XPath 2.0) with `$a` and `$b` bound to two copies of [`indicators`]
/// and returns the result serialised (node-sets) or as a string.
fn run(expr: &str) -> Result<String, xpath::Error> {
    run_in(&compile_process(&Declarations::default(), RECEIVE), expr)
}

fn run_in(process: &CompiledProcess, expr: &str) -> Result<String, xpath::Error> {
    let env = env();
    let (a, b) = (indicators(), indicators());
    let hello = parse(br#"<TestPart><content>Hello</content><nillable xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/></TestPart>"#).unwrap();
    let ns = namespaces();
    let ctx = TestContext {
        call: Call {
            process,
            env: Some(&env),
            namespaces: &ns,
        },
        variables: vec![("a", &a), ("b", &b), ("hello", &hello)],
    };
    let value = XPath::compile_in(expr, &ns, Language::XPath2)?.evaluate(&ctx, None)?;
    Ok(match value {
        Value::NodeSet(nodes) => nodes.iter().map(|n| n.doc.to_xml(n.id)).collect(),
        other => other.to_xpath_string(),
    })
}

fn ok(expr: &str) -> String {
    run(expr).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

fn names(xml: &str) -> Vec<String> {
    let doc = parse(xml.as_bytes()).unwrap();
    let root = doc.document_element().unwrap();
    doc.child_elements(root)
        .map(|c| format!("{}={}", doc.name(c).unwrap().local, doc.string_value(c)))
        .collect()
}

#[test]
fn delete_returns_the_parent_without_the_nodes() {
    assert_eq!(
        names(&ok("ode:delete($a/typeIndicators/types:indicatorOne)")),
        ["indicatorTwo=2"]
    );
    assert_eq!(
        names(&ok(
            "ode:delete($a/typeIndicators, $a/typeIndicators/types:indicatorTwo)"
        )),
        ["indicatorOne=1"]
    );
    assert!(run("ode:delete($a/typeIndicators, $b/typeIndicators/types:indicatorTwo)").is_err());
}

#[test]
fn inserts_copy_nodes_into_a_copy_of_the_context() {
    assert_eq!(
        names(&ok(
            "ode:insert-as-last-into($a/typeIndicators, $b/typeIndicators/types:indicatorOne)"
        )),
        ["indicatorOne=1", "indicatorTwo=2", "indicatorOne=1"]
    );
    assert_eq!(
        names(&ok(
            "ode:insert-as-first-into($a/typeIndicators, $b/typeIndicators/types:indicatorTwo)"
        )),
        ["indicatorTwo=2", "indicatorOne=1", "indicatorTwo=2"]
    );
    assert_eq!(
        names(&ok("ode:insert-before($a/typeIndicators, $a/typeIndicators/types:indicatorTwo, $b/typeIndicators/types:indicatorOne)")),
        ["indicatorOne=1", "indicatorOne=1", "indicatorTwo=2"]
    );
    assert_eq!(
        names(&ok("ode:insert-after($a/typeIndicators/types:indicatorOne, $b/typeIndicators/types:indicatorTwo)")),
        ["indicatorOne=1", "indicatorTwo=2", "indicatorTwo=2"]
    );
    assert_eq!(
        names(&ok(
            "ode:insert-after($a/typeIndicators/*, $b/typeIndicators/types:indicatorOne)"
        )),
        ["indicatorOne=1", "indicatorTwo=2", "indicatorOne=1"]
    );
}

#[test]
fn the_variables_themselves_are_unchanged() {
    ok("ode:delete($a/typeIndicators/types:indicatorOne)");
    assert_eq!(ok("count($a/typeIndicators/*)"), "2");
}

#[test]
fn rename_takes_strings_qnames_and_elements() {
    assert_eq!(
        names(&ok(
            r#"ode:rename($a/typeIndicators/types:indicatorTwo, "foo:indicatorOne")"#
        )),
        ["indicatorOne=1", "indicatorOne=2"]
    );
    assert_eq!(
        names(&ok(
            r#"ode:rename($a/typeIndicators/types:indicatorTwo, QName("urn:types", "foo:renamed"))"#
        )),
        ["indicatorOne=1", "renamed=2"]
    );
    assert_eq!(
        names(&ok("ode:rename($a/typeIndicators/types:indicatorOne, $b/typeIndicators/types:indicatorTwo)")),
        ["indicatorTwo=1", "indicatorTwo=2"]
    );
    let renamed = ok(r#"ode:rename($a/typeIndicators/types:indicatorTwo, "foo:x")/types:x"#);
    assert!(renamed.contains(">2<"), "{renamed}");
}

#[test]
fn split_to_elements_returns_one_wrapper_of_the_pieces() {
    assert_eq!(
        ok("ode:splitToElements('split,me, this,,please', ',', 'chunk')"),
        "<wrapper><chunk>split</chunk><chunk>me</chunk><chunk>this</chunk><chunk>please</chunk></wrapper>"
    );
    assert_eq!(ok("count(ode:splitToElements('a,b,c', ',', 'x'))"), "1");
    assert_eq!(
        ok("ode:split-to-elements('a b', ' ', 'x', 'urn:n')"),
        r#"<wrapper><x xmlns="urn:n">a</x><x xmlns="urn:n">b</x></wrapper>"#
    );
}

#[test]
fn process_properties() {
    assert_eq!(ok(r#"string(ode:process-property("dd:punctuation"))"#), "!");
    assert_eq!(
        ok(r#"string(ode:process-property("dd:epr")/addr:EndpointReference/addr:ServiceName)"#),
        "as:Reg"
    );
    assert_eq!(ok(r#"count(ode:process-property("dd:nothing"))"#), "0");
}

#[test]
fn urls_and_strings() {
    assert_eq!(
        ok("ode:combineUrl('http://example.com/html/about.html', '../experts/')"),
        "http://example.com/experts/"
    );
    assert_eq!(
        ok("ode:composeUrl('http://e.com/{user}/{x}', 'user', 'bill')"),
        "http://e.com/bill/"
    );
    assert_eq!(
        ok("ode:expandTemplate('http://e.com/{a}/{x}/{y=d}', $a/typeIndicators)"),
        "http://e.com/{a}/{x}/d"
    );
    assert_eq!(
        ok("ode:dom-to-string($a/typeIndicators/types:indicatorOne)"),
        format!(r#"<foo:indicatorOne xmlns:foo="{TYPES}">1</foo:indicatorOne>"#)
    );
}

#[test]
fn ode_variables() {
    assert_eq!(ok("$ode:pid"), "42");
    assert_eq!(ok("concat('id-', $ode:pid)"), "id-42");
    assert_eq!(ok("$ode:processQName"), "{urn:t:process}Test");
    assert_eq!(ok("$ode:currentEventDateTime"), "2024-05-06T07:08:09Z");
    assert!(run("$ode:unknown").is_err());
}

/// A stylesheet that wraps a `TestPart`'s content, greeting with the `middle` parameter.
const GREETING: &str = r#"<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">
  <xsl:param name="middle"/>
  <xsl:template match="TestPart">
    <root><hello><xsl:apply-templates/></hello></root>
  </xsl:template>
  <xsl:template match="content">
    <xsl:value-of select="concat(text(), $middle, ' World')"/>
  </xsl:template>
</xsl:stylesheet>"#;

fn with_stylesheet() -> CompiledProcess {
    let mut process = compile_process(&Declarations::default(), RECEIVE);
    process.stylesheets.insert(
        "hello.xsl".to_owned(),
        Stylesheet::compile(GREETING).unwrap(),
    );
    process
}

#[test]
fn do_xsl_transform_runs_the_process_stylesheet() {
    let process = with_stylesheet();
    let result = run_in(
        &process,
        "bpel:doXslTransform('hello.xsl', $hello, 'middle', 'Xsl')",
    )
    .unwrap();
    assert_eq!(result, "<root><hello>HelloXsl World</hello></root>");
}

#[test]
fn do_xsl_transform_faults() {
    let process = with_stylesheet();
    let fault = |expr: &str| run_in(&process, expr).unwrap_err().to_string();
    assert!(
        fault("bpel:doXslTransform('hello.xsl', $a/typeIndicators/*)")
            .contains("xsltInvalidSource")
    );
    assert!(fault("bpel:doXslTransform('hello.xsl', 'text')").contains("xsltInvalidSource"));
    assert!(fault("bpel:doXslTransform('other.xsl', $hello)").contains("xsltStylesheetNotFound"));
    assert!(fault("bpel:doXslTransform('hello.xsl', $hello, 'middle')")
        .contains("subLanguageExecutionFault"));
}
