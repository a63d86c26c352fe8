//! The arena tree behind every XML value in the engine: node storage, node kinds and the
//! read-only navigation API. Mutation lives in `mutate.rs`, parsing in `parse.rs` and
//! serialisation in `write.rs`.
//!
//! Nodes live in a `Vec` and are linked by parent / first child / last child / sibling
//! indices, so navigation never allocates. Attributes are stored inline on their element;
//! XPath still needs an identity for them, so every attribute also has an *attribute handle*
//! [`NodeId`] (see [`Document::attribute_nodes`]) that the navigation methods understand.

use std::cmp::Ordering;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::qname::{NameMatch, QName};

/// Namespace URI permanently bound to the `xml` prefix.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Top bit of a [`NodeId`] marks an attribute handle rather than a tree node.
const ATTRIBUTE_BIT: u32 = 1 << 31;

/// Identifies a node inside one [`Document`]. Ids are only meaningful for the document that
/// issued them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct NodeId(u32);

impl NodeId {
    /// True when this id is an attribute handle (an XPath attribute node).
    pub fn is_attribute(self) -> bool {
        self.0 & ATTRIBUTE_BIT != 0
    }

    pub(super) fn index(self) -> usize {
        (self.0 & !ATTRIBUTE_BIT) as usize
    }
}

/// An attribute of an element.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Attribute {
    /// Expanded name of the attribute.
    pub name: QName,
    /// Prefix used in the source, if any; a hint for serialisation.
    pub prefix: Option<String>,
    /// Attribute value with entities resolved.
    pub value: String,
}

/// What a node is.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum NodeKind {
    /// The document node; always [`Document::root`].
    Root,
    /// An element.
    Element {
        /// Expanded name.
        name: QName,
        /// Prefix used in the source, if any; a hint for serialisation.
        prefix: Option<String>,
        /// Attributes in source order (namespace declarations excluded).
        attributes: Vec<Attribute>,
        /// Namespace declarations made on this element: `(None, uri)` is a default
        /// namespace declaration, an empty uri undeclares the default namespace.
        namespaces: Vec<(Option<String>, String)>,
    },
    /// Character data (CDATA sections are merged into text).
    Text(String),
    /// A comment.
    Comment(String),
    /// A processing instruction.
    ProcessingInstruction {
        /// PI target.
        target: String,
        /// Everything after the target, leading whitespace removed.
        data: String,
    },
    /// Reported by [`Document::kind`] for attribute handles; the attribute itself is
    /// reached with [`Document::attribute_of`].
    Attribute,
}

static ATTRIBUTE_KIND: NodeKind = NodeKind::Attribute;

/// A node in the arena; stored as `stored.rs` says.
#[derive(Clone, Debug)]
pub(super) struct NodeRecord {
    pub(super) kind: NodeKind,
    pub(super) parent: Option<NodeId>,
    pub(super) first_child: Option<NodeId>,
    pub(super) last_child: Option<NodeId>,
    pub(super) prev_sibling: Option<NodeId>,
    pub(super) next_sibling: Option<NodeId>,
    pub(super) line: u32,
    /// Index in `attr_owners` of this element's first attribute handle.
    pub(super) attr_base: u32,
}

/// An XML document or a forest of detached nodes, stored as an arena.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Document {
    pub(super) nodes: Vec<NodeRecord>,
    /// Owner element of every attribute handle; an element's handles are contiguous.
    pub(super) attr_owners: Vec<NodeId>,
    /// True while node ids are known to follow document order (true after parsing).
    pub(super) ids_in_order: bool,
    /// Lazily computed document-order rank of every node, used once ids stop being ordered.
    #[serde(skip)]
    pub(super) order: OnceLock<Vec<u32>>,
}

impl Default for Document {
    fn default() -> Self {
        Document::new()
    }
}

impl Document {
    /// Creates an empty document: just the root node.
    pub fn new() -> Self {
        Document {
            nodes: vec![NodeRecord::new(NodeKind::Root, 0)],
            attr_owners: Vec::new(),
            ids_in_order: true,
            order: OnceLock::new(),
        }
    }

    /// The bytes the document holds: the names, text, attribute values, comments and
    /// processing instructions of all its nodes, detached ones included. What a limit on the
    /// size of a value measures.
    pub fn content_bytes(&self) -> usize {
        let name = |name: &QName| name.ns.len() + name.local.len();
        self.nodes
            .iter()
            .map(|node| match &node.kind {
                NodeKind::Element {
                    name: element,
                    attributes,
                    namespaces,
                    ..
                } => {
                    name(element)
                        + attributes
                            .iter()
                            .map(|a| name(&a.name) + a.value.len())
                            .sum::<usize>()
                        + namespaces.iter().map(|(_, uri)| uri.len()).sum::<usize>()
                }
                NodeKind::Text(text) | NodeKind::Comment(text) => text.len(),
                NodeKind::ProcessingInstruction { target, data } => target.len() + data.len(),
                NodeKind::Root | NodeKind::Attribute => 0,
            })
            .sum()
    }

    pub(super) fn record(&self, id: NodeId) -> &NodeRecord {
        &self.nodes[id.index()]
    }

    fn tree_node(&self, id: NodeId) -> Option<&NodeRecord> {
        (!id.is_attribute()).then(|| self.record(id))
    }

    /// The document (root) node.
    pub fn root(&self) -> NodeId {
        NodeId(0)
    }

    /// The first element child of the root, if any.
    pub fn document_element(&self) -> Option<NodeId> {
        self.child_elements(self.root()).next()
    }

    /// The kind of a node ([`NodeKind::Attribute`] for attribute handles).
    pub fn kind(&self, id: NodeId) -> &NodeKind {
        match self.tree_node(id) {
            Some(rec) => &rec.kind,
            None => &ATTRIBUTE_KIND,
        }
    }

    /// True when `id` is an element.
    pub fn is_element(&self, id: NodeId) -> bool {
        matches!(self.kind(id), NodeKind::Element { .. })
    }

    /// Name of an element or attribute.
    pub fn name(&self, id: NodeId) -> Option<&QName> {
        if let Some((_, attr)) = self.attribute_of(id) {
            return Some(&attr.name);
        }
        match self.kind(id) {
            NodeKind::Element { name, .. } => Some(name),
            _ => None,
        }
    }

    /// Source prefix of an element or attribute.
    pub fn prefix(&self, id: NodeId) -> Option<&str> {
        if let Some((_, attr)) = self.attribute_of(id) {
            return attr.prefix.as_deref();
        }
        match self.kind(id) {
            NodeKind::Element { prefix, .. } => prefix.as_deref(),
            _ => None,
        }
    }

    /// 1-based source line of a node (0 for nodes built in memory). Attribute handles report
    /// their element's line.
    pub fn line(&self, id: NodeId) -> u32 {
        match self.attribute_of(id) {
            Some((owner, _)) => self.record(owner).line,
            None => self.record(id).line,
        }
    }

    /// Parent of a node; the owner element for attribute handles.
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        match self.attribute_of(id) {
            Some((owner, _)) => Some(owner),
            None => self.record(id).parent,
        }
    }

    /// First child of a node.
    pub fn first_child(&self, id: NodeId) -> Option<NodeId> {
        self.tree_node(id).and_then(|r| r.first_child)
    }

    /// Last child of a node.
    pub fn last_child(&self, id: NodeId) -> Option<NodeId> {
        self.tree_node(id).and_then(|r| r.last_child)
    }

    /// Next sibling of a node (attributes have none).
    pub fn next_sibling(&self, id: NodeId) -> Option<NodeId> {
        self.tree_node(id).and_then(|r| r.next_sibling)
    }

    /// Previous sibling of a node (attributes have none).
    pub fn prev_sibling(&self, id: NodeId) -> Option<NodeId> {
        self.tree_node(id).and_then(|r| r.prev_sibling)
    }

    /// Children of a node in document order.
    pub fn children(&self, id: NodeId) -> Children<'_> {
        Children {
            doc: self,
            next: self.first_child(id),
        }
    }

    /// Element children of a node.
    pub fn child_elements(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.children(id).filter(|&c| self.is_element(c))
    }

    /// First child element with the given name: a `&QName` or an `(ns, local)` pair.
    pub fn first_child_element(&self, id: NodeId, name: impl NameMatch) -> Option<NodeId> {
        self.child_elements(id)
            .find(|&c| self.name(c).is_some_and(|n| name.matches(n)))
    }

    /// Descendants of a node (excluding the node itself) in document order.
    pub fn descendants(&self, id: NodeId) -> Descendants<'_> {
        Descendants {
            doc: self,
            top: id,
            next: self.first_child(id),
        }
    }

    /// Attributes of an element (empty for other nodes).
    pub fn attributes(&self, id: NodeId) -> &[Attribute] {
        match self.kind(id) {
            NodeKind::Element { attributes, .. } => attributes,
            _ => &[],
        }
    }

    /// Value of the attribute `{ns}local` of an element.
    pub fn attribute(&self, id: NodeId, ns: &str, local: &str) -> Option<&str> {
        self.attributes(id)
            .iter()
            .find(|a| a.name.is(ns, local))
            .map(|a| a.value.as_str())
    }

    /// Attribute handles of an element, in attribute order.
    pub fn attribute_nodes(&self, id: NodeId) -> impl Iterator<Item = NodeId> {
        let count = self.attributes(id).len() as u32;
        let base = if count == 0 {
            0
        } else {
            self.record(id).attr_base
        };
        (base..base + count).map(|i| NodeId(i | ATTRIBUTE_BIT))
    }

    /// Resolves an attribute handle to its owner element and attribute.
    pub fn attribute_of(&self, id: NodeId) -> Option<(NodeId, &Attribute)> {
        if !id.is_attribute() {
            return None;
        }
        let owner = *self.attr_owners.get(id.index())?;
        let offset = id.index() - self.record(owner).attr_base as usize;
        self.attributes(owner).get(offset).map(|a| (owner, a))
    }

    /// Content of a text node.
    pub fn text(&self, id: NodeId) -> Option<&str> {
        match self.kind(id) {
            NodeKind::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The XPath string-value: concatenated descendant text for roots and elements, the value
    /// for attributes, the content for text, comments and processing instructions.
    pub fn string_value(&self, id: NodeId) -> String {
        if let Some((_, attr)) = self.attribute_of(id) {
            return attr.value.clone();
        }
        match self.kind(id) {
            NodeKind::Root | NodeKind::Element { .. } => {
                let mut out = String::new();
                for d in self.descendants(id) {
                    if let NodeKind::Text(t) = self.kind(d) {
                        out.push_str(t);
                    }
                }
                out
            }
            NodeKind::Text(t) | NodeKind::Comment(t) => t.clone(),
            NodeKind::ProcessingInstruction { data, .. } => data.clone(),
            NodeKind::Attribute => String::new(),
        }
    }

    /// Namespace declarations made on an element itself.
    pub fn namespace_declarations(&self, id: NodeId) -> &[(Option<String>, String)] {
        match self.kind(id) {
            NodeKind::Element { namespaces, .. } => namespaces,
            _ => &[],
        }
    }

    /// Resolves a prefix (`None` = default namespace) in the scope of a node, walking up the
    /// ancestors. The `xml` prefix is always bound. An undeclared default namespace gives
    /// `None`.
    pub fn lookup_namespace(&self, id: NodeId, prefix: Option<&str>) -> Option<&str> {
        if prefix == Some("xml") {
            return Some(XML_NS);
        }
        let mut cur = Some(id);
        while let Some(n) = cur {
            let found = self
                .namespace_declarations(n)
                .iter()
                .find(|(p, _)| p.as_deref() == prefix);
            if let Some((_, uri)) = found {
                return (!uri.is_empty()).then_some(uri.as_str());
            }
            cur = self.parent(n);
        }
        None
    }

    /// Every namespace binding in scope at a node, nearest declaration winning, excluding the
    /// implicit `xml` binding and undeclared default namespaces. Bindings come in document
    /// order of their declarations: those of the outermost ancestor first.
    pub fn in_scope_namespaces(&self, id: NodeId) -> Vec<(Option<String>, String)> {
        let mut seen: Vec<&Option<String>> = Vec::new();
        let mut levels = Vec::new();
        let mut cur = Some(id);
        while let Some(n) = cur {
            let mut level = Vec::new();
            for (p, uri) in self.namespace_declarations(n) {
                if !seen.contains(&p) {
                    seen.push(p);
                    if !uri.is_empty() {
                        level.push((p.clone(), uri.clone()));
                    }
                }
            }
            levels.push(level);
            cur = self.parent(n);
        }
        levels.into_iter().rev().flatten().collect()
    }

    /// Compares two nodes of this document in document order. Attribute handles sort after
    /// their element and before its children; detached subtrees sort after the tree.
    pub fn compare_order(&self, a: NodeId, b: NodeId) -> Ordering {
        self.order_key(a).cmp(&self.order_key(b))
    }

    fn order_key(&self, id: NodeId) -> (u32, u32) {
        let (tree, attr) = match self.attribute_of(id) {
            Some((owner, _)) => (owner, 1 + id.index() as u32),
            None => (id, 0),
        };
        let rank = if self.ids_in_order {
            tree.0
        } else {
            self.order.get_or_init(|| self.compute_order())[tree.index()]
        };
        (rank, attr)
    }

    fn compute_order(&self) -> Vec<u32> {
        let mut ranks = vec![0; self.nodes.len()];
        let mut next = 0;
        for (i, rec) in self.nodes.iter().enumerate() {
            if rec.parent.is_none() {
                let top = NodeId(i as u32);
                for n in std::iter::once(top).chain(self.descendants(top)) {
                    ranks[n.index()] = next;
                    next += 1;
                }
            }
        }
        ranks
    }
}

impl NodeRecord {
    pub(super) fn new(kind: NodeKind, line: u32) -> Self {
        NodeRecord {
            kind,
            parent: None,
            first_child: None,
            last_child: None,
            prev_sibling: None,
            next_sibling: None,
            line,
            attr_base: 0,
        }
    }
}

impl NodeId {
    pub(super) fn from_index(index: usize) -> Self {
        NodeId(index as u32)
    }
}

/// Iterator over the children of a node.
#[derive(Clone)]
pub struct Children<'d> {
    doc: &'d Document,
    next: Option<NodeId>,
}

impl Iterator for Children<'_> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        let cur = self.next?;
        self.next = self.doc.next_sibling(cur);
        Some(cur)
    }
}

/// Pre-order iterator over the descendants of a node.
#[derive(Clone)]
pub struct Descendants<'d> {
    doc: &'d Document,
    top: NodeId,
    next: Option<NodeId>,
}

impl Iterator for Descendants<'_> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        let cur = self.next?;
        self.next = self.doc.first_child(cur).or_else(|| {
            let mut n = cur;
            loop {
                if n == self.top {
                    return None;
                }
                if let Some(s) = self.doc.next_sibling(n) {
                    return Some(s);
                }
                n = self.doc.parent(n)?;
            }
        });
        Some(cur)
    }
}
