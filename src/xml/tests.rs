//! Tests for parsing, navigation, mutation and serialisation.

use super::*;

fn doc(xml: &str) -> Document {
    parse(xml.as_bytes()).unwrap()
}

fn round_trip(xml: &str) {
    let d = doc(xml);
    let out = d.to_xml(d.root());
    let again = parse(out.as_bytes()).unwrap_or_else(|e| panic!("{out}: {e}"));
    assert!(
        d.structurally_equal(d.root(), &again, again.root()),
        "{xml} -> {out}"
    );
}

#[test]
fn parses_names_and_namespaces() {
    let d = doc(r#"<p:a xmlns:p="urn:p" xmlns="urn:d"><b x="1" p:y="2"/><c xmlns=""/></p:a>"#);
    let a = d.document_element().unwrap();
    assert_eq!(d.name(a), Some(&QName::new("urn:p", "a")));
    assert_eq!(d.prefix(a), Some("p"));
    let kids: Vec<_> = d.child_elements(a).collect();
    assert_eq!(d.name(kids[0]).unwrap().to_string(), "{urn:d}b");
    assert_eq!(d.name(kids[1]).unwrap().to_string(), "c");
    assert_eq!(d.attribute(kids[0], "", "x"), Some("1"));
    assert_eq!(d.attribute(kids[0], "urn:p", "y"), Some("2"));
    assert_eq!(d.lookup_namespace(kids[0], Some("p")), Some("urn:p"));
    assert_eq!(d.lookup_namespace(kids[0], None), Some("urn:d"));
    assert_eq!(d.lookup_namespace(kids[1], None), None);
    assert_eq!(d.lookup_namespace(kids[1], Some("xml")), Some(XML_NS));
    assert_eq!(d.in_scope_namespaces(kids[1]).len(), 1);
    assert_eq!(d.first_child_element(a, ("urn:d", "b")), Some(kids[0]));
    assert_eq!(d.first_child_element(a, &QName::local("c")), Some(kids[1]));
}

#[test]
fn unbound_prefix_is_an_error() {
    let err = parse(b"<a>\n<q:b/></a>").unwrap_err();
    assert!(matches!(err, Error::UnboundPrefix { line: 2, ref prefix } if prefix == "q"));
    let err = parse(b"<a q:x='1'/>").unwrap_err();
    assert!(matches!(err, Error::UnboundPrefix { .. }), "{err}");
}

#[test]
fn records_lines() {
    let d = doc("<a>\n  <b/>\n\n  <c>\n</c></a>");
    let a = d.document_element().unwrap();
    let lines: Vec<_> = d.child_elements(a).map(|c| d.line(c)).collect();
    assert_eq!(d.line(a), 1);
    assert_eq!(lines, vec![2, 4]);
}

#[test]
fn refuses_doctype_and_unknown_entities() {
    let err =
        parse(b"<?xml version='1.0'?>\n<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>").unwrap_err();
    assert_eq!(err, Error::DtdNotAllowed { line: 2 });
    assert!(err.to_string().contains("DTDs are not allowed"));
    let err = parse(b"<a>\n&foo;</a>").unwrap_err();
    assert!(
        matches!(err, Error::UnknownEntity { ref name, .. } if name == "foo"),
        "{err}"
    );
    let err = parse(b"<a b='&foo;'/>").unwrap_err();
    assert!(matches!(err, Error::UnknownEntity { .. }), "{err}");
}

#[test]
fn resolves_predefined_entities_and_char_refs() {
    let d = doc("<a t='&quot;&#x41;'>&lt;&amp;&gt;&apos;&#65;<![CDATA[<x>]]></a>");
    let a = d.document_element().unwrap();
    assert_eq!(d.string_value(a), "<&>'A<x>");
    assert_eq!(d.children(a).count(), 1);
    assert_eq!(d.attribute(a, "", "t"), Some("\"A"));
}

#[test]
fn malformed_xml_reports_line() {
    for bad in [
        "<a>\n<b></a>",
        "<a>\n\n<b>",
        "<a/><b/>",
        "",
        "text<a/>",
        "<a x='1' x='2'/>",
    ] {
        let err = parse(bad.as_bytes()).unwrap_err();
        assert!(matches!(err, Error::Syntax { .. }), "{bad}: {err}");
        assert!(err.line() >= 1);
    }
    assert_eq!(parse(b"<a>\n<b></a>").unwrap_err().line(), 2);
}

#[test]
fn depth_limit() {
    let deep = "<a>".repeat(10) + &"</a>".repeat(10);
    let opts = ParseOptions {
        limits: baton_transports::xml::XmlLimits {
            max_depth: 5,
            ..Default::default()
        },
        ..ParseOptions::default()
    };
    assert!(matches!(
        parse_with(deep.as_bytes(), &opts),
        Err(Error::Limit { ref source, .. }) if source.limit == "max-depth" && source.max == 5
    ));
    assert!(parse(deep.as_bytes()).is_ok());
}

#[test]
fn whitespace_handling() {
    let d = doc("<a>\n  <b> </b>\n  <c>x</c>\n</a>");
    let a = d.document_element().unwrap();
    assert_eq!(d.children(a).count(), 2);
    let b = d.first_child(a).unwrap();
    assert_eq!(d.string_value(b), " ");
    let opts = ParseOptions {
        keep_whitespace_text: true,
        ..ParseOptions::default()
    };
    let d = parse_with(b"<a>\n  <b/>\n</a>", &opts).unwrap();
    assert_eq!(d.children(d.document_element().unwrap()).count(), 3);
    let d = doc("<a>x\r\ny</a>");
    assert_eq!(d.string_value(d.root()), "x\ny");
}

#[test]
fn fragments() {
    let d = parse_fragment(b"<a/>text<b/>").unwrap();
    assert_eq!(d.children(d.root()).count(), 3);
    assert_eq!(d.to_xml(d.root()), "<a/>text<b/>");
}

#[test]
fn comments_and_pis() {
    let d = doc("<?xml version='1.0'?><!--top--><a><?pi some data?><!-- c --></a>");
    assert_eq!(d.children(d.root()).count(), 2);
    let a = d.document_element().unwrap();
    let pi = d.first_child(a).unwrap();
    assert_eq!(
        d.kind(pi),
        &NodeKind::ProcessingInstruction {
            target: "pi".into(),
            data: "some data".into()
        }
    );
    round_trip("<!--top--><a><?pi some data?><!-- c --></a>");
}

#[test]
fn serialises_with_namespaces() {
    round_trip(r#"<p:a xmlns:p="urn:p" xmlns="urn:d"><b x="1" p:y="2"/><c xmlns=""/></p:a>"#);
    round_trip(r#"<a t="&lt;&amp;&quot;&#10;&#9;'">&lt;&amp;&gt;"'</a>"#);
    let d = doc(r#"<r xmlns:p="urn:p" xmlns:q="urn:q"><p:a><b/></p:a></r>"#);
    let a = d
        .child_elements(d.document_element().unwrap())
        .next()
        .unwrap();
    let xml = d.to_xml(a);
    assert_eq!(xml, r#"<p:a xmlns:p="urn:p"><b/></p:a>"#);
    // A prefix in scope that QName-valued content mentions keeps its declaration.
    let d = doc(r#"<r xmlns:p="urn:p" xmlns:q="urn:q"><a t="q:x">p:y</a></r>"#);
    let a = d
        .child_elements(d.document_element().unwrap())
        .next()
        .unwrap();
    assert_eq!(
        d.to_xml(a),
        r#"<a xmlns:p="urn:p" xmlns:q="urn:q" t="q:x">p:y</a>"#
    );
}

#[test]
fn serialises_built_trees() {
    let (mut d, root) = Document::with_element(QName::new("urn:a", "root"));
    let child = d.new_element(QName::new("urn:b", "child"));
    d.append_child(root, child);
    d.set_attribute(child, QName::new("urn:c", "att"), "v");
    d.set_attribute(child, QName::local("plain"), "w");
    let inner = d.new_element(QName::local("none"));
    d.append_child(child, inner);
    d.set_text_content(inner, "a<b");
    let xml = d.to_xml(d.root());
    assert_eq!(
        xml,
        "<root xmlns=\"urn:a\"><child xmlns=\"urn:b\" xmlns:ns0=\"urn:c\" ns0:att=\"v\" \
         plain=\"w\"><none xmlns=\"\">a&lt;b</none></child></root>"
    );
    let back = parse(xml.as_bytes()).unwrap();
    assert!(d.structurally_equal(d.root(), &back, back.root()));
    assert_eq!(d.to_xml(inner), "<none>a&lt;b</none>");
}

#[test]
fn prefix_conflicts_are_renamed() {
    let (mut d, root) = Document::with_element(QName::new("urn:a", "root"));
    d.declare_namespace(root, Some("p"), "urn:a");
    let c = d.new_element(QName::new("urn:x", "c"));
    d.append_child(root, c);
    d.set_attribute(c, QName::new("urn:a", "att"), "1");
    let xml = d.to_xml(root);
    let back = parse(xml.as_bytes()).unwrap();
    assert!(
        d.structurally_equal(root, &back, back.document_element().unwrap()),
        "{xml}"
    );
}

#[test]
fn mutation() {
    let mut d = doc("<a><b/><c/><d/></a>");
    let a = d.document_element().unwrap();
    let kids: Vec<_> = d.children(a).collect();
    d.detach(kids[1]);
    assert_eq!(d.to_xml(a), "<a><b/><d/></a>");
    d.insert_before(kids[0], kids[1]);
    assert_eq!(d.to_xml(a), "<a><c/><b/><d/></a>");
    d.append_child(kids[2], kids[1]);
    assert_eq!(d.to_xml(a), "<a><b/><d><c/></d></a>");
    assert_eq!(
        d.compare_order(kids[1], kids[2]),
        std::cmp::Ordering::Greater
    );
    d.rename(kids[0], QName::local("bb"));
    d.set_attribute(kids[0], QName::local("x"), "1");
    d.set_attribute(kids[0], QName::local("x"), "2");
    assert_eq!(d.attributes(kids[0]).len(), 1);
    assert_eq!(d.remove_attribute(kids[0], "", "x").as_deref(), Some("2"));
    d.set_text_content(kids[0], "hi");
    assert_eq!(d.to_xml(a), "<a><bb>hi</bb><d><c/></d></a>");
    d.remove_children(a);
    assert_eq!(d.to_xml(d.root()), "<a/>");
    assert_eq!(d.compact().to_xml(d.root()), "<a/>");
}

#[test]
fn import_and_copy() {
    let src =
        doc(r#"<s:r xmlns:s="urn:s" xmlns:t="urn:t"><s:v a="1" type="t:x">text<i/></s:v></s:r>"#);
    let v = src
        .child_elements(src.document_element().unwrap())
        .next()
        .unwrap();
    let (mut dst, root) = Document::with_element(QName::local("dst"));
    let copy = dst.import(&src, v);
    assert_eq!(dst.parent(copy), None);
    dst.append_child(root, copy);
    assert!(dst.structurally_equal(copy, &src, v));
    assert_eq!(dst.lookup_namespace(copy, Some("t")), Some("urn:t"));

    let (mut target, t) = Document::with_element(QName::local("target"));
    target.set_attribute(t, QName::local("old"), "x");
    target.set_text_content(t, "old");
    target.replace_children_with_copy(t, &src, v);
    assert_eq!(target.attribute(t, "", "a"), Some("1"));
    assert_eq!(target.attribute(t, "", "old"), None);
    assert_eq!(target.string_value(t), "text");
    assert_eq!(target.lookup_namespace(t, Some("t")), Some("urn:t"));
    assert_eq!(target.attribute_nodes(t).count(), 2);
}

#[test]
fn attribute_handles() {
    let d = doc("<a x='1' y='2'><b/></a>");
    let a = d.document_element().unwrap();
    let handles: Vec<_> = d.attribute_nodes(a).collect();
    assert_eq!(handles.len(), 2);
    assert_eq!(d.kind(handles[0]), &NodeKind::Attribute);
    assert_eq!(d.parent(handles[1]), Some(a));
    assert_eq!(d.string_value(handles[1]), "2");
    assert_eq!(d.name(handles[0]), Some(&QName::local("x")));
    let b = d.first_child(a).unwrap();
    assert_eq!(d.compare_order(handles[1], b), std::cmp::Ordering::Less);
    assert_eq!(d.compare_order(a, handles[0]), std::cmp::Ordering::Less);
}

#[test]
fn serde_round_trip() {
    let d = doc("<a x='1'><b>t</b></a>");
    let json = serde_json::to_string(&d).unwrap();
    let back: Document = serde_json::from_str(&json).unwrap();
    assert!(d.structurally_equal(d.root(), &back, back.root()));
}

#[test]
fn serialiser_edge_cases() {
    let (mut d, root) = Document::with_element(QName::local("plain"));
    d.declare_namespace(root, None, "urn:stale");
    d.set_attribute(root, QName::new(XML_NS, "lang"), "en");
    let xml = d.to_xml(root);
    assert_eq!(xml, r#"<plain xmlns="" xml:lang="en"/>"#);
    let back = parse(xml.as_bytes()).unwrap();
    assert!(d.structurally_equal(root, &back, back.document_element().unwrap()));
    let text = d.new_text("a & b");
    assert_eq!(d.to_xml(text), "a &amp; b");
}

#[test]
fn in_scope_namespaces_come_outermost_first_with_the_nearest_winning() {
    let d = doc(
        r#"<a xmlns:e="urn:e" xmlns:s="urn:old"><b xmlns:f="urn:f" xmlns:s="urn:s"><c/></b></a>"#,
    );
    let a = d.document_element().unwrap();
    let b = d.child_elements(a).next().unwrap();
    let c = d.child_elements(b).next().unwrap();
    let binding = |p: &str, uri: &str| (Some(p.to_owned()), uri.to_owned());
    assert_eq!(
        d.in_scope_namespaces(c),
        [
            binding("e", "urn:e"),
            binding("f", "urn:f"),
            binding("s", "urn:s")
        ]
    );
}

#[test]
fn a_value_rewritten_again_and_again_keeps_a_bounded_arena() {
    let mut d = parse(b"<counter>0</counter>").unwrap();
    for i in 1..=10_000 {
        let counter = d.document_element().unwrap();
        d.set_text_content(counter, &i.to_string());
        d.compact_if_sparse();
    }
    assert!(d.nodes.len() < 200, "{} nodes kept", d.nodes.len());
    assert_eq!(d.to_xml(d.root()), "<counter>10000</counter>");
}

#[test]
fn a_stored_document_reads_back_and_so_does_one_stored_with_named_nodes() {
    let original = doc(r#"<a xmlns="urn:a" n="1"><b>x</b><!--c--><?p d?></a>"#);
    let stored = rmp_serde::to_vec_named(&original).unwrap();
    let read: Document = rmp_serde::from_slice(&stored).unwrap();
    assert_eq!(read.to_xml(read.root()), original.to_xml(original.root()));
    let json: Document = serde_json::from_str(&serde_json::to_string(&original).unwrap()).unwrap();
    assert_eq!(json.to_xml(json.root()), original.to_xml(original.root()));

    let node = |kind: &str, parent: &str, child: &str| {
        format!(
            r#"{{"kind":{kind},"parent":{parent},"first_child":{child},"last_child":{child},"prev_sibling":null,"next_sibling":null,"line":1,"attr_base":0}}"#
        )
    };
    let element = r#"{"Element":{"name":{"ns":"","local":"a"},"prefix":null,"attributes":[],"namespaces":[]}}"#;
    let named = format!(
        r#"{{"nodes":[{},{},{}],"attr_owners":[],"ids_in_order":true}}"#,
        node(r#""Root""#, "null", "1"),
        node(element, "0", "2"),
        node(r#"{"Text":"x"}"#, "1", "null"),
    );
    let earlier: Document = serde_json::from_str(&named).unwrap();
    assert_eq!(earlier.to_xml(earlier.root()), "<a>x</a>");
}
