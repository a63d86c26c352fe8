//! The 2004 working draft of WS-BPEL 2.0, in which many deployed processes and their WSDL
//! documents are still written: its namespaces are read as the standard's. A process in the
//! draft's namespace is compiled as WS-BPEL 2.0 (with the draft's few differences handled
//! where the elements are compiled); in a WSDL document, the draft's process namespace holds
//! `<property>` and `<propertyAlias>`, and its partner link namespace `<partnerLinkType>`.
//!
//! The rewrite happens on the parsed tree: namespace declarations binding a draft URI are
//! bound to the standard URI instead, and elements in a draft namespace are renamed, so
//! QName-valued attributes and XPath prefixes resolve to the standard names too.

use super::bpel::BPEL_NS;
use super::diagnostics::Diagnostics;
use super::wsdl::{PLNK_NS, VPROP_NS};
use super::xmlutil::XmlFile;
use crate::xml::{Document, NodeKind, QName};

/// The draft's namespace of processes (and of properties in WSDL documents).
pub(super) const DRAFT_PROCESS_NS: &str = "http://schemas.xmlsoap.org/ws/2004/03/business-process/";
/// The draft's namespace of partner link types.
pub(super) const DRAFT_PLNK_NS: &str = "http://schemas.xmlsoap.org/ws/2004/03/partner-link/";

/// What a document is, which decides where the draft's process namespace maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Process,
    Wsdl,
}

/// Parses `bytes` and reads the draft's namespaces as the standard's.
pub(crate) fn parse(
    path: &str,
    bytes: &[u8],
    role: Role,
    diagnostics: &mut Diagnostics,
) -> Option<XmlFile> {
    let mut file = XmlFile::parse(path, bytes, diagnostics)?;
    file.draft = standardise(&mut file.doc, role);
    Some(file)
}

/// The standard namespace a draft namespace stands for in a document of `role`.
fn standard(uri: &str, role: Role) -> Option<&'static str> {
    match (uri, role) {
        (DRAFT_PROCESS_NS, Role::Process) => Some(BPEL_NS),
        (DRAFT_PROCESS_NS, Role::Wsdl) => Some(VPROP_NS),
        (DRAFT_PLNK_NS, _) => Some(PLNK_NS),
        _ => None,
    }
}

/// Rewrites the draft namespaces of `doc`; true when the document element was in one.
fn standardise(doc: &mut Document, role: Role) -> bool {
    let draft = doc
        .document_element()
        .and_then(|root| doc.name(root))
        .is_some_and(|name| standard(&name.ns, role).is_some());
    let elements: Vec<_> = doc
        .descendants(doc.root())
        .filter(|&node| doc.is_element(node))
        .collect();
    for &element in &elements {
        let NodeKind::Element { namespaces, .. } = doc.kind(element) else {
            continue;
        };
        let rebound: Vec<(Option<String>, &str)> = namespaces
            .iter()
            .filter_map(|(prefix, uri)| Some((prefix.clone(), standard(uri, role)?)))
            .collect();
        for (prefix, uri) in rebound {
            doc.declare_namespace(element, prefix.as_deref(), uri);
        }
    }
    for element in elements {
        let renamed = doc
            .name(element)
            .and_then(|name| Some(QName::new(standard(&name.ns, role)?, name.local.clone())));
        if let Some(name) = renamed {
            doc.rename(element, name);
        }
    }
    draft
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_draft_process_as_ws_bpel_2_0() {
        let source = format!(
            r#"<process xmlns="{DRAFT_PROCESS_NS}" xmlns:bpws="{DRAFT_PROCESS_NS}" name="p">
                 <bpws:sequence/></process>"#
        );
        let mut diagnostics = Diagnostics::default();
        let file = parse("p.bpel", source.as_bytes(), Role::Process, &mut diagnostics).unwrap();
        assert!(file.draft);
        let root = file.root();
        assert!(file.is(root, BPEL_NS, "process"));
        let sequence = file.elements(root).next().unwrap();
        assert!(file.is(sequence, BPEL_NS, "sequence"));
        assert_eq!(
            file.resolve_qname(root, "bpws:getVariableProperty"),
            Ok(QName::new(BPEL_NS, "getVariableProperty"))
        );
    }

    #[test]
    fn reads_draft_wsdl_extensions_as_the_standard_ones() {
        let source = format!(
            r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:bpws="{DRAFT_PROCESS_NS}"
                 xmlns:plnk="{DRAFT_PLNK_NS}"><bpws:property name="p" type="x"/>
                 <plnk:partnerLinkType name="t"/></definitions>"#
        );
        let mut diagnostics = Diagnostics::default();
        let file = parse("a.wsdl", source.as_bytes(), Role::Wsdl, &mut diagnostics).unwrap();
        assert!(!file.draft);
        let mut children = file.elements(file.root());
        assert!(file.is(children.next().unwrap(), VPROP_NS, "property"));
        assert!(file.is(children.next().unwrap(), PLNK_NS, "partnerLinkType"));
    }
}
