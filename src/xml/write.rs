//! Serialisation of nodes as self-contained XML fragments.
//!
//! The output of [`Document::to_xml`] declares every namespace it needs: each element's own
//! declarations, whatever the names of elements and attributes require, and those of the
//! namespaces in scope at the serialised node whose prefix its text or attribute values
//! mention as `prefix:` (so QName-valued content keeps resolving). Source prefixes are
//! reused when possible; otherwise `ns0`, `ns1`, … are invented.

use std::borrow::Cow;

use super::document::{Document, NodeId, NodeKind};

impl Document {
    /// Serialises a node (an element, text, comment, PI, attribute value, or the root meaning
    /// all its children) as a standalone XML fragment.
    pub fn to_xml(&self, id: NodeId) -> String {
        let mut out = String::new();
        self.write_to(id, &mut out);
        out
    }

    /// Like [`Document::to_xml`], appending to `out`.
    pub fn write_to(&self, id: NodeId, out: &mut String) {
        let mut writer = Writer {
            doc: self,
            out,
            scope: Vec::new(),
            invented: 0,
        };
        if let Some((_, attr)) = self.attribute_of(id) {
            escape_text(&attr.value, writer.out);
            return;
        }
        match self.kind(id) {
            NodeKind::Root => {
                for child in self.children(id) {
                    writer.node(child, true);
                }
            }
            _ => writer.node(id, true),
        }
    }
}

/// A namespace binding visible in the output: `(prefix, uri)`, `None` = default namespace.
type Binding<'d> = (Option<Cow<'d, str>>, Cow<'d, str>);

struct Writer<'d, 'o> {
    doc: &'d Document,
    out: &'o mut String,
    /// Bindings declared so far on the open elements, innermost last.
    scope: Vec<Binding<'d>>,
    invented: usize,
}

impl<'d> Writer<'d, '_> {
    fn lookup(&self, prefix: Option<&str>) -> Option<&str> {
        if prefix == Some("xml") {
            return Some(super::XML_NS);
        }
        self.scope
            .iter()
            .rev()
            .find(|(p, _)| p.as_deref() == prefix)
            .map(|(_, uri)| uri.as_ref())
    }

    fn prefix_for(&self, uri: &str) -> Option<&str> {
        self.scope
            .iter()
            .rev()
            .filter_map(|(p, u)| Some((p.as_deref()?, u)))
            .find(|(p, u)| u.as_ref() == uri && self.lookup(Some(p)) == Some(uri))
            .map(|(p, _)| p)
    }

    fn declared_here(&self, frame: usize, prefix: Option<&str>) -> bool {
        self.scope[frame..]
            .iter()
            .any(|(p, _)| p.as_deref() == prefix)
    }

    fn declare(&mut self, prefix: Option<Cow<'d, str>>, uri: Cow<'d, str>) {
        self.scope.push((prefix, uri));
    }

    fn invent_prefix(&mut self) -> String {
        loop {
            let candidate = format!("ns{}", self.invented);
            self.invented += 1;
            if self.lookup(Some(&candidate)).is_none() {
                return candidate;
            }
        }
    }

    /// Chooses the prefix for a name in `uri`, declaring it in the current frame if needed.
    /// Attributes (`allow_default == false`) always get a non-empty prefix.
    fn bind(
        &mut self,
        frame: usize,
        uri: &'d str,
        hint: Option<&'d str>,
        allow_default: bool,
    ) -> Option<Cow<'d, str>> {
        if uri.is_empty() {
            if allow_default && self.lookup(None).is_some_and(|u| !u.is_empty()) {
                // A no-namespace element cannot keep a default namespace declared on itself.
                match self.scope[frame..].iter_mut().find(|(p, _)| p.is_none()) {
                    Some(decl) => decl.1 = Cow::Borrowed(""),
                    None => self.declare(None, Cow::Borrowed("")),
                }
            }
            return None;
        }
        if uri == super::XML_NS {
            return Some(Cow::Borrowed("xml"));
        }
        if allow_default && hint.is_none() {
            if self.lookup(None) == Some(uri) {
                return None;
            }
            if !self.declared_here(frame, None) {
                self.declare(None, Cow::Borrowed(uri));
                return None;
            }
        }
        if let Some(p) = hint {
            if self.lookup(Some(p)) == Some(uri) {
                return Some(Cow::Borrowed(p));
            }
            if p != "xml" && p != "xmlns" && !self.declared_here(frame, Some(p)) {
                self.declare(Some(Cow::Borrowed(p)), Cow::Borrowed(uri));
                return Some(Cow::Borrowed(p));
            }
        }
        if let Some(p) = self.prefix_for(uri) {
            return Some(Cow::Owned(p.to_owned()));
        }
        if allow_default && self.lookup(None) == Some(uri) {
            return None;
        }
        let p = self.invent_prefix();
        self.declare(Some(Cow::Owned(p.clone())), Cow::Borrowed(uri));
        Some(Cow::Owned(p))
    }

    fn node(&mut self, id: NodeId, top: bool) {
        let doc = self.doc;
        match doc.kind(id) {
            NodeKind::Element {
                name,
                prefix,
                attributes,
                namespaces,
            } => {
                let frame = self.scope.len();
                let inherited = if top {
                    let values = doc.values_below(id);
                    doc.parent(id)
                        .map(|p| doc.in_scope_namespaces(p))
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|(p, _)| {
                            p.as_deref()
                                .is_some_and(|p| values.iter().any(|v| mentions(v, p)))
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                for (p, uri) in namespaces {
                    if self.lookup(p.as_deref()).unwrap_or("") != uri.as_str() {
                        self.declare(p.as_deref().map(Cow::Borrowed), Cow::Borrowed(uri));
                    }
                }
                for (p, uri) in inherited {
                    if !self.declared_here(frame, p.as_deref()) {
                        self.declare(p.map(Cow::Owned), Cow::Owned(uri));
                    }
                }
                let element_prefix = self.bind(frame, &name.ns, prefix.as_deref(), true);
                let attr_prefixes: Vec<_> = attributes
                    .iter()
                    .map(|a| self.bind(frame, &a.name.ns, a.prefix.as_deref(), false))
                    .collect();
                self.out.push('<');
                push_qname(self.out, element_prefix.as_deref(), &name.local);
                for (p, uri) in &self.scope[frame..] {
                    self.out.push_str(" xmlns");
                    if let Some(p) = p {
                        self.out.push(':');
                        self.out.push_str(p);
                    }
                    self.out.push_str("=\"");
                    escape_attribute(uri, self.out);
                    self.out.push('"');
                }
                for (attr, p) in attributes.iter().zip(&attr_prefixes) {
                    self.out.push(' ');
                    push_qname(self.out, p.as_deref(), &attr.name.local);
                    self.out.push_str("=\"");
                    escape_attribute(&attr.value, self.out);
                    self.out.push('"');
                }
                if doc.first_child(id).is_none() {
                    self.out.push_str("/>");
                } else {
                    self.out.push('>');
                    for child in doc.children(id) {
                        self.node(child, false);
                    }
                    self.out.push_str("</");
                    push_qname(self.out, element_prefix.as_deref(), &name.local);
                    self.out.push('>');
                }
                self.scope.truncate(frame);
            }
            NodeKind::Text(t) => escape_text(t, self.out),
            NodeKind::Comment(c) => {
                self.out.push_str("<!--");
                self.out.push_str(c);
                self.out.push_str("-->");
            }
            NodeKind::ProcessingInstruction { target, data } => {
                self.out.push_str("<?");
                self.out.push_str(target);
                if !data.is_empty() {
                    self.out.push(' ');
                    self.out.push_str(data);
                }
                self.out.push_str("?>");
            }
            NodeKind::Root | NodeKind::Attribute => {}
        }
    }
}

fn push_qname(out: &mut String, prefix: Option<&str>, local: &str) {
    if let Some(p) = prefix {
        out.push_str(p);
        out.push(':');
    }
    out.push_str(local);
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

fn escape_attribute(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

impl Document {
    /// The text and attribute values in the subtree of element `id`.
    fn values_below(&self, id: NodeId) -> Vec<&str> {
        let mut values = Vec::new();
        for node in std::iter::once(id).chain(self.descendants(id)) {
            match self.kind(node) {
                NodeKind::Element { attributes, .. } => {
                    values.extend(attributes.iter().map(|a| a.value.as_str()));
                }
                NodeKind::Text(text) => values.push(text.as_str()),
                _ => {}
            }
        }
        values
    }
}

/// Whether `text` has `prefix:` where a name may start.
fn mentions(text: &str, prefix: &str) -> bool {
    text.match_indices(prefix).any(|(at, _)| {
        text[at + prefix.len()..].starts_with(':')
            && text[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
    })
}
