//! Tests of the XSLT processor.

use super::*;
use crate::xml::parse;

const XSL: &str = r#"xmlns:xsl="http://www.w3.org/1999/XSL/Transform""#;

fn transform(stylesheet: &str, source: &str, params: &[(&str, &str)]) -> Result<String, Error> {
    let sheet = Stylesheet::compile(stylesheet)?;
    let doc = parse(source.as_bytes()).unwrap();
    let trees = ResultTrees::new();
    let params: Vec<(QName, Value)> = params
        .iter()
        .map(|(n, v)| (QName::local(*n), Value::String((*v).to_owned())))
        .collect();
    let out = sheet.transform(Node::new(&doc, doc.root()), &params, &trees)?;
    Ok(out.to_xml(out.root()))
}

fn sheet(body: &str) -> String {
    format!(r#"<xsl:stylesheet version="1.0" {XSL}>{body}</xsl:stylesheet>"#)
}

fn ok(body: &str, source: &str) -> String {
    transform(&sheet(body), source, &[]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn identity_with_overrides_params_and_nil_elements_dropped() {
    let text = r#"<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1.0">
      <xsl:param name="middle"/>
      <xsl:template match="node()|@*">
        <xsl:copy><xsl:apply-templates select="@*"/><xsl:apply-templates/></xsl:copy>
      </xsl:template>
      <xsl:template match="Part">
        <xsl:element name="root"><xsl:element name="hello"><xsl:apply-templates/></xsl:element></xsl:element>
      </xsl:template>
      <xsl:template match="content"><xsl:value-of select="concat(text(), $middle, ' World')"/></xsl:template>
      <xsl:template match="*[boolean(@xsi:nil)]"/>
    </xsl:stylesheet>"#;
    let source = r#"<Part><content>Hello</content><empty xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/></Part>"#;
    assert_eq!(
        transform(text, source, &[("middle", "Xsl")]).unwrap(),
        "<root><hello>HelloXsl World</hello></root>"
    );
}

#[test]
fn built_in_rules_copy_text() {
    assert_eq!(ok("", "<a>x<b>y</b><!--c--></a>"), "xy");
}

#[test]
fn identity_transform_with_priorities() {
    let body = r#"<xsl:template match="node()|@*"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template>
        <xsl:template match="drop"/>"#;
    assert_eq!(
        ok(body, r#"<a k="v"><b>1</b><drop>2</drop><!--c--></a>"#),
        r#"<a k="v"><b>1</b><!--c--></a>"#
    );
}

#[test]
fn explicit_priority_and_last_rule_win() {
    let body = r#"<xsl:template match="/"><r><xsl:apply-templates select="//b"/></r></xsl:template>
        <xsl:template match="b" priority="2">high</xsl:template>
        <xsl:template match="a/b">path</xsl:template>
        <xsl:template match="c">first</xsl:template>
        <xsl:template match="c">second</xsl:template>"#;
    assert_eq!(ok(body, "<a><b/></a>"), "<r>high</r>");
    let ties = r#"<xsl:template match="/"><r><xsl:apply-templates select="//c"/></r></xsl:template>
        <xsl:template match="c">first</xsl:template>
        <xsl:template match="c">second</xsl:template>"#;
    assert_eq!(ok(ties, "<a><c/></a>"), "<r>second</r>");
}

#[test]
fn modes_params_and_named_templates() {
    let body = r#"<xsl:template match="/"><r><xsl:apply-templates select="a/i" mode="m"><xsl:with-param name="p" select="'!'"/></xsl:apply-templates><xsl:call-template name="t"><xsl:with-param name="n" select="3"/></xsl:call-template></r></xsl:template>
        <xsl:template match="i"><wrong/></xsl:template>
        <xsl:template match="i" mode="m"><xsl:param name="p" select="'?'"/><xsl:value-of select="concat(., $p)"/></xsl:template>
        <xsl:template name="t"><xsl:param name="n"/><xsl:param name="d" select="'dflt'"/><n><xsl:value-of select="$n * 2"/>-<xsl:value-of select="$d"/></n></xsl:template>"#;
    assert_eq!(
        ok(body, "<a><i>x</i><i>y</i></a>"),
        "<r>x!y!<n>6-dflt</n></r>"
    );
}

#[test]
fn for_each_sort_choose_and_position() {
    let body = r#"<xsl:template match="/"><r><xsl:for-each select="l/i"><xsl:sort select="@n" data-type="number" order="descending"/><xsl:choose><xsl:when test="position() = 1">[<xsl:value-of select="."/>]</xsl:when><xsl:when test="position() = last()">(<xsl:value-of select="."/>)</xsl:when><xsl:otherwise><xsl:value-of select="."/></xsl:otherwise></xsl:choose><xsl:if test="position() != last()">,</xsl:if></xsl:for-each></r></xsl:template>"#;
    assert_eq!(
        ok(
            body,
            r#"<l><i n="2">b</i><i n="10">a</i><i n="1">c</i></l>"#
        ),
        "<r>[a],b,(c)</r>"
    );
    let text_sort = r#"<xsl:template match="/"><r><xsl:for-each select="l/i"><xsl:sort select="."/><xsl:value-of select="."/></xsl:for-each></r></xsl:template>"#;
    assert_eq!(
        ok(text_sort, "<l><i>b</i><i>c</i><i>a</i></l>"),
        "<r>abc</r>"
    );
}

#[test]
fn variables_fragments_and_current() {
    let body = r#"<xsl:variable name="g" select="count(//i)"/>
        <xsl:param name="outside" select="'default'"/>
        <xsl:template match="/"><r total="{$g}" o="{$outside}"><xsl:variable name="frag"><x>1</x><x>2</x></xsl:variable><xsl:copy-of select="$frag"/><s><xsl:value-of select="$frag"/></s><xsl:apply-templates select="l/i"/></r></xsl:template>
        <xsl:template match="i"><xsl:variable name="me" select="."/><m><xsl:value-of select="count(../i[. = current()])"/><xsl:value-of select="$me"/></m></xsl:template>"#;
    assert_eq!(
        transform(
            &sheet(body),
            "<l><i>a</i><i>a</i></l>",
            &[("outside", "given")]
        )
        .unwrap(),
        r#"<r total="2" o="given"><x>1</x><x>2</x><s>12</s><m>2a</m><m>2a</m></r>"#
    );
}

#[test]
fn computed_elements_attributes_and_namespaces() {
    let body = r#"<xsl:template match="/" xmlns:p="urn:p"><p:r a="{name(*)}-{{lit}}"><xsl:element name="p:e"><xsl:attribute name="k"><xsl:value-of select="*/@v"/></xsl:attribute></xsl:element><xsl:element name="n" namespace="urn:n"/><xsl:text> keep </xsl:text><xsl:comment>c</xsl:comment></p:r></xsl:template>"#;
    let out = ok(body, r#"<src v="1"/>"#);
    let doc = parse(out.as_bytes()).unwrap();
    let r = doc.document_element().unwrap();
    assert!(doc.name(r).unwrap().is("urn:p", "r"));
    assert_eq!(doc.attribute(r, "", "a"), Some("src-{lit}"));
    let children: Vec<_> = doc.children(r).collect();
    assert!(doc.name(children[0]).unwrap().is("urn:p", "e"));
    assert_eq!(doc.attribute(children[0], "", "k"), Some("1"));
    assert!(doc.name(children[1]).unwrap().is("urn:n", "n"));
    assert_eq!(doc.text(children[2]), Some(" keep "));
}

#[test]
fn copy_of_keeps_subtrees_and_attributes() {
    let body = r#"<xsl:template match="/"><r><xsl:copy-of select="a/@*"/><xsl:copy-of select="a/b"/><xsl:copy-of select="string(a)"/></r></xsl:template>"#;
    assert_eq!(
        ok(body, r#"<a x="1"><b><c>t</c></b></a>"#),
        r#"<r x="1"><b><c>t</c></b>t</r>"#
    );
}

#[test]
fn simplified_stylesheet_is_a_template_for_the_root() {
    let text = format!(r#"<out xsl:version="1.0" {XSL}><xsl:value-of select="/a"/></out>"#);
    assert_eq!(transform(&text, "<a>v</a>", &[]).unwrap(), "<out>v</out>");
}

#[test]
fn errors() {
    assert!(matches!(Stylesheet::compile("<x"), Err(Error::Xml(_))));
    let unsupported = sheet(r#"<xsl:key name="k" match="a" use="."/>"#);
    assert!(matches!(
        Stylesheet::compile(&unsupported),
        Err(Error::Stylesheet { .. })
    ));
    let bad_xpath = sheet(r#"<xsl:template match="/"><xsl:value-of select="(("/></xsl:template>"#);
    assert!(matches!(
        Stylesheet::compile(&bad_xpath),
        Err(Error::Stylesheet { line: 1, .. })
    ));
    let terminate = sheet(
        r#"<xsl:template match="/"><xsl:message terminate="yes">stop</xsl:message></xsl:template>"#,
    );
    assert!(
        matches!(transform(&terminate, "<a/>", &[]), Err(Error::Runtime(m)) if m.contains("stop"))
    );
    let recursion = sheet(
        r#"<xsl:template name="loop"><xsl:call-template name="loop"/></xsl:template><xsl:template match="/"><xsl:call-template name="loop"/></xsl:template>"#,
    );
    assert!(matches!(
        transform(&recursion, "<a/>", &[]),
        Err(Error::Runtime(_))
    ));
}

#[test]
fn the_root_template_matches_the_document_node_of_an_element_given_as_source() {
    let body = r#"<xsl:template match="/"><root><xsl:apply-templates/></root></xsl:template>
        <xsl:template match="a"><seen><xsl:value-of select="."/></seen></xsl:template>"#;
    let sheet = Stylesheet::compile(&sheet(body)).unwrap();
    let doc = parse(b"<a>x</a>").unwrap();
    let element = doc.document_element().unwrap();
    let trees = ResultTrees::new();
    let out = sheet
        .transform(Node::new(&doc, element), &[], &trees)
        .unwrap();
    assert_eq!(out.to_xml(out.root()), "<root><seen>x</seen></root>");
}
