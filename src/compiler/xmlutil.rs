//! Small helpers over the XML tree shared by the deploy.xml, WSDL and BPEL readers: parsing
//! with diagnostics, locations, child element iteration by name, attributes, QName-valued
//! attributes resolved against the element's in-scope namespaces, and content serialisation.

use std::collections::BTreeMap;

use super::diagnostics::Diagnostics;
use crate::model::Location;
use crate::xml::{self, Document, NodeId, NodeKind, QName};

/// One parsed XML file of the unit.
pub(crate) struct XmlFile {
    pub path: String,
    pub doc: Document,
    /// Written in the 2004 draft's namespaces, read as WS-BPEL 2.0 (see `dialect`).
    pub draft: bool,
}

impl XmlFile {
    /// Parses `bytes`; a malformed document is reported with rule `XML`.
    pub(super) fn parse(
        path: &str,
        bytes: &[u8],
        diagnostics: &mut Diagnostics,
    ) -> Option<XmlFile> {
        match xml::parse(bytes) {
            Ok(doc) => Some(XmlFile {
                path: path.to_owned(),
                doc,
                draft: false,
            }),
            Err(error) => {
                let at = Location {
                    file: path.to_owned(),
                    line: error.line(),
                };
                diagnostics.error(&at, "XML", error.to_string());
                None
            }
        }
    }

    /// The document element.
    pub(super) fn root(&self) -> NodeId {
        self.doc
            .document_element()
            .expect("a parsed document has a document element")
    }

    pub(super) fn location(&self, node: NodeId) -> Location {
        Location {
            file: self.path.clone(),
            line: self.doc.line(node),
        }
    }

    /// True when `node` is the element `{ns}local`.
    pub(super) fn is(&self, node: NodeId, ns: &str, local: &str) -> bool {
        self.doc.name(node).is_some_and(|name| name.is(ns, local))
    }

    /// The element's local name ("" for other nodes).
    pub(super) fn local_name(&self, node: NodeId) -> &str {
        self.doc.name(node).map_or("", |name| name.local.as_str())
    }

    /// The element's namespace URI ("" for none).
    pub(super) fn namespace(&self, node: NodeId) -> &str {
        self.doc.name(node).map_or("", |name| name.ns.as_str())
    }

    /// The child elements of `node`.
    pub(super) fn elements(&self, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.doc.child_elements(node)
    }

    /// The child elements of `node` named `{ns}local`.
    pub(super) fn elements_named<'a>(
        &'a self,
        node: NodeId,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        self.elements(node)
            .filter(move |&child| self.is(child, ns, local))
    }

    /// The first child element of `node` named `{ns}local`.
    pub(super) fn element_named(&self, node: NodeId, ns: &str, local: &str) -> Option<NodeId> {
        self.elements_named(node, ns, local).next()
    }

    /// The value of the unqualified attribute `local`.
    pub(super) fn attr(&self, node: NodeId, local: &str) -> Option<&str> {
        self.doc.attribute(node, "", local)
    }

    /// The unqualified attribute `local`, reporting its absence with `rule`.
    pub(super) fn required_attr(
        &self,
        node: NodeId,
        local: &str,
        rule: &'static str,
        diagnostics: &mut Diagnostics,
    ) -> Option<&str> {
        let value = self.attr(node, local);
        if value.is_none() {
            let element = self.local_name(node);
            let message = format!("<{element}> needs a {local} attribute");
            diagnostics.error(&self.location(node), rule, message);
        }
        value
    }

    /// Resolves a QName written in `node`'s content or attributes. An unprefixed name takes
    /// the default namespace, as for xsd:QName values.
    pub(super) fn resolve_qname(&self, node: NodeId, value: &str) -> Result<QName, String> {
        let value = value.trim();
        let (prefix, local) = match value.split_once(':') {
            Some((prefix, local)) => (Some(prefix), local),
            None => (None, value),
        };
        if !is_ncname(local) || prefix.is_some_and(|prefix| !is_ncname(prefix)) {
            return Err(format!("'{value}' is not a valid QName"));
        }
        match self.doc.lookup_namespace(node, prefix) {
            Some(ns) => Ok(QName::new(ns, local)),
            None if prefix.is_none() => Ok(QName::local(local)),
            None => Err(format!(
                "namespace prefix '{}' of '{value}' is not declared",
                prefix.unwrap_or_default()
            )),
        }
    }

    /// The QName-valued unqualified attribute `local`, if present; an unresolvable value is
    /// reported with `rule`.
    pub(super) fn qname_attr(
        &self,
        node: NodeId,
        local: &str,
        rule: &'static str,
        diagnostics: &mut Diagnostics,
    ) -> Option<QName> {
        let value = self.attr(node, local)?;
        match self.resolve_qname(node, value) {
            Ok(name) => Some(name),
            // ODE took any unprefixed text for a name (`FAILED-from#file2`).
            Err(message) if is_loose_name(value.trim()) => {
                let message = format!("{local}: {message}; it is read as that name");
                diagnostics.lenient(&self.location(node), rule, message);
                Some(QName::local(value.trim()))
            }
            Err(message) => {
                diagnostics.error(&self.location(node), rule, format!("{local}: {message}"));
                None
            }
        }
    }

    /// The required QName-valued attribute `local`.
    pub(super) fn required_qname_attr(
        &self,
        node: NodeId,
        local: &str,
        rule: &'static str,
        diagnostics: &mut Diagnostics,
    ) -> Option<QName> {
        self.required_attr(node, local, rule, diagnostics)?;
        self.qname_attr(node, local, rule, diagnostics)
    }

    /// A `yes`/`no` attribute; absent means `default`. `true` and `false`, which ODE took for
    /// `yes` and `no`, are accepted with a warning; anything else is reported.
    pub(super) fn yes_no_attr(
        &self,
        node: NodeId,
        local: &str,
        default: bool,
        diagnostics: &mut Diagnostics,
    ) -> bool {
        match self.attr(node, local).map(str::trim) {
            None => default,
            Some("yes") => true,
            Some("no") => false,
            Some(boolean @ ("true" | "false")) => {
                let meaning = if boolean == "true" { "yes" } else { "no" };
                let message =
                    format!("{local} must be 'yes' or 'no': '{boolean}' is read as '{meaning}'");
                diagnostics.lenient(&self.location(node), "XML-VALUE", message);
                boolean == "true"
            }
            Some(other) => {
                let message = format!("{local} must be 'yes' or 'no', not '{other}'");
                diagnostics.error(&self.location(node), "XML-VALUE", message);
                default
            }
        }
    }

    /// The trimmed string value of `node`.
    pub(super) fn trimmed_text(&self, node: NodeId) -> String {
        self.doc.string_value(node).trim().to_owned()
    }

    /// The namespace bindings in scope at `node`, prefix → URI; the default namespace is
    /// left out because XPath names never use it.
    pub(super) fn prefixes(&self, node: NodeId) -> BTreeMap<String, String> {
        self.doc
            .in_scope_namespaces(node)
            .into_iter()
            .filter_map(|(prefix, uri)| Some((prefix?, uri)))
            .collect()
    }

    /// The content of `node` as a standalone XML forest: elements serialised with the
    /// namespace declarations they need, text escaped. When the content has elements,
    /// whitespace-only text between them is dropped; comments and processing instructions
    /// are dropped.
    pub(super) fn content_forest(&self, node: NodeId) -> String {
        let has_elements = self.elements(node).next().is_some();
        let mut forest = String::new();
        for child in self.doc.children(node) {
            match self.doc.kind(child) {
                NodeKind::Element { .. } => forest.push_str(&self.doc.to_xml(child)),
                NodeKind::Text(text) if !(has_elements && text.trim().is_empty()) => {
                    self.doc.write_to(child, &mut forest);
                }
                _ => {}
            }
        }
        forest
    }
}

pub(crate) use crate::xml::is_ncname;

/// Whether `value` is unprefixed text a name could be taken from: not empty, no colon, no
/// white space.
fn is_loose_name(value: &str) -> bool {
    !value.is_empty() && !value.contains(':') && !value.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::Compatibility;

    #[test]
    fn recognises_ncnames() {
        assert!(is_ncname("a.b-c_1"));
        assert!(is_ncname("_x"));
        assert!(!is_ncname("1a"));
        assert!(!is_ncname("a:b"));
        assert!(!is_ncname(""));
    }

    #[test]
    fn resolves_qnames_and_serialises_content() {
        let mut diagnostics = Diagnostics::default();
        let source = br#"<a xmlns="urn:d" xmlns:p="urn:p"><b>x &amp; y</b> <c/> </a>"#;
        let file = XmlFile::parse("a.xml", source, &mut diagnostics).unwrap();
        let root = file.root();
        assert_eq!(
            file.resolve_qname(root, "p:n"),
            Ok(QName::new("urn:p", "n"))
        );
        assert_eq!(file.resolve_qname(root, "n"), Ok(QName::new("urn:d", "n")));
        assert!(file.resolve_qname(root, "q:n").is_err());
        let forest = file.content_forest(root);
        assert!(forest.starts_with("<b"), "{forest}");
        assert!(forest.contains("x &amp; y"), "{forest}");
        assert_eq!(
            file.prefixes(root).get("p").map(String::as_str),
            Some("urn:p")
        );
    }

    #[test]
    fn reads_true_and_false_as_yes_and_no_refused_unless_in_ode_mode() {
        let mut standard = Diagnostics::default();
        let source = br#"<a on="true"/>"#;
        let file = XmlFile::parse("a.xml", source, &mut standard).unwrap();
        assert!(file.yes_no_attr(file.root(), "on", false, &mut standard));
        assert!(
            standard.has_errors() && standard.refused_for_ode_leniency(),
            "{standard}"
        );
        let mut diagnostics = Diagnostics::reading(Compatibility::Ode);
        let source = br#"<a on="true" off="false" yes="yes" bad="1"/>"#;
        let file = XmlFile::parse("a.xml", source, &mut diagnostics).unwrap();
        let root = file.root();
        assert!(file.yes_no_attr(root, "on", false, &mut diagnostics));
        assert!(!file.yes_no_attr(root, "off", true, &mut diagnostics));
        assert!(file.yes_no_attr(root, "yes", false, &mut diagnostics));
        assert_eq!(diagnostics.warnings().len(), 2, "{diagnostics}");
        assert!(diagnostics.iter().all(|d| d.rule == "XML-VALUE"));
        assert!(!file.yes_no_attr(root, "bad", false, &mut diagnostics));
        assert_eq!(diagnostics.len(), 3);
        assert_eq!(diagnostics.warnings().len(), 2, "{diagnostics}");
    }

    #[test]
    fn reports_malformed_xml_with_its_line() {
        let mut diagnostics = Diagnostics::default();
        assert!(XmlFile::parse("bad.xml", b"<a>\n<b>\n</a>", &mut diagnostics).is_none());
        let diagnostic = &diagnostics.0[0];
        assert_eq!(
            (diagnostic.rule.as_ref(), diagnostic.file.as_str()),
            ("XML", "bad.xml")
        );
        assert!(diagnostic.line >= 2, "{diagnostic}");
    }
}
