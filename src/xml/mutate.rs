//! Building and editing documents: creating nodes, linking and unlinking them, copying
//! subtrees between documents. BPEL `<assign>` is implemented on top of these operations.
//!
//! Detached and replaced nodes stay in the arena until the document is dropped or
//! [`Document::compact`]ed; node ids are never reused.

use super::document::{Attribute, Document, NodeId, NodeKind, NodeRecord};
use super::qname::QName;

/// Mutable views of an element's name, prefix, attributes and namespace declarations.
type ElementParts<'a> = (
    &'a mut QName,
    &'a mut Option<String>,
    &'a mut Vec<Attribute>,
    &'a mut Vec<(Option<String>, String)>,
);

impl Document {
    /// Creates a document whose document element is a new element called `name`.
    pub fn with_element(name: QName) -> (Document, NodeId) {
        let mut doc = Document::new();
        let element = doc.new_element(name);
        doc.append_child(doc.root(), element);
        (doc, element)
    }

    fn push_record(&mut self, kind: NodeKind, line: u32) -> NodeId {
        let id = NodeId::from_index(self.nodes.len());
        self.nodes.push(NodeRecord::new(kind, line));
        id
    }

    fn touch_order(&mut self) {
        self.ids_in_order = false;
        self.order.take();
    }

    /// Creates a detached element in no particular prefix.
    pub fn new_element(&mut self, name: QName) -> NodeId {
        self.push_record(
            NodeKind::Element {
                name,
                prefix: None,
                attributes: Vec::new(),
                namespaces: Vec::new(),
            },
            0,
        )
    }

    /// Creates a detached text node.
    pub fn new_text(&mut self, text: &str) -> NodeId {
        self.push_record(NodeKind::Text(text.to_owned()), 0)
    }

    /// Creates a detached comment.
    pub fn new_comment(&mut self, text: &str) -> NodeId {
        self.push_record(NodeKind::Comment(text.to_owned()), 0)
    }

    /// Creates an element child of `parent` while parsing, keeping ids in document order.
    pub(super) fn push_child(&mut self, parent: NodeId, kind: NodeKind, line: u32) -> NodeId {
        let id = self.push_record(kind, line);
        self.link_last(parent, id);
        id
    }

    /// Registers attribute handles for all current attributes of `element`.
    pub(super) fn register_attributes(&mut self, element: NodeId) {
        let count = self.attributes(element).len();
        let base = self.attr_owners.len();
        self.attr_owners.extend(std::iter::repeat_n(element, count));
        self.nodes[element.index()].attr_base = base as u32;
    }

    fn link_last(&mut self, parent: NodeId, child: NodeId) {
        let prev = self.nodes[parent.index()].last_child;
        {
            let rec = &mut self.nodes[child.index()];
            rec.parent = Some(parent);
            rec.prev_sibling = prev;
            rec.next_sibling = None;
        }
        match prev {
            Some(p) => self.nodes[p.index()].next_sibling = Some(child),
            None => self.nodes[parent.index()].first_child = Some(child),
        }
        self.nodes[parent.index()].last_child = Some(child);
    }

    fn assert_can_adopt(&self, parent: NodeId, child: NodeId) {
        assert!(
            !child.is_attribute() && !parent.is_attribute(),
            "attribute handles cannot be linked into the tree"
        );
        assert!(
            !matches!(self.kind(child), NodeKind::Root),
            "the root node cannot become a child"
        );
        let mut cur = Some(parent);
        while let Some(n) = cur {
            assert!(n != child, "a node cannot become its own descendant");
            cur = self.parent(n);
        }
    }

    /// Moves `child` (detaching it first if needed) to be the last child of `parent`.
    ///
    /// # Panics
    /// When `child` is the root, an attribute handle, or an ancestor of `parent`.
    pub fn append_child(&mut self, parent: NodeId, child: NodeId) {
        self.assert_can_adopt(parent, child);
        self.detach(child);
        self.link_last(parent, child);
        self.touch_order();
    }

    /// Moves `child` (detaching it first if needed) right before `reference`, which must have
    /// a parent.
    ///
    /// # Panics
    /// As [`Document::append_child`], or when `reference` is detached.
    pub fn insert_before(&mut self, reference: NodeId, child: NodeId) {
        let parent = self
            .parent(reference)
            .expect("insert_before: reference node has no parent");
        self.assert_can_adopt(parent, child);
        self.detach(child);
        let prev = self.nodes[reference.index()].prev_sibling;
        {
            let rec = &mut self.nodes[child.index()];
            rec.parent = Some(parent);
            rec.prev_sibling = prev;
            rec.next_sibling = Some(reference);
        }
        self.nodes[reference.index()].prev_sibling = Some(child);
        match prev {
            Some(p) => self.nodes[p.index()].next_sibling = Some(child),
            None => self.nodes[parent.index()].first_child = Some(child),
        }
        self.touch_order();
    }

    /// Unlinks a node from its parent; it stays valid as a detached subtree.
    pub fn detach(&mut self, id: NodeId) {
        if id.is_attribute() {
            return;
        }
        let rec = &self.nodes[id.index()];
        let Some(parent) = rec.parent else { return };
        let (prev, next) = (rec.prev_sibling, rec.next_sibling);
        match prev {
            Some(p) => self.nodes[p.index()].next_sibling = next,
            None => self.nodes[parent.index()].first_child = next,
        }
        match next {
            Some(n) => self.nodes[n.index()].prev_sibling = prev,
            None => self.nodes[parent.index()].last_child = prev,
        }
        let rec = &mut self.nodes[id.index()];
        rec.parent = None;
        rec.prev_sibling = None;
        rec.next_sibling = None;
        self.touch_order();
    }

    /// Detaches every child of a node.
    pub fn remove_children(&mut self, id: NodeId) {
        while let Some(c) = self.first_child(id) {
            self.detach(c);
        }
    }

    /// Replaces all children of a node with a single text node (none for an empty string).
    pub fn set_text_content(&mut self, id: NodeId, text: &str) {
        self.remove_children(id);
        if !text.is_empty() {
            let t = self.new_text(text);
            self.append_child(id, t);
        }
    }

    fn element_parts(&mut self, id: NodeId) -> Option<ElementParts<'_>> {
        if id.is_attribute() {
            return None;
        }
        match &mut self.nodes[id.index()].kind {
            NodeKind::Element {
                name,
                prefix,
                attributes,
                namespaces,
            } => Some((name, prefix, attributes, namespaces)),
            _ => None,
        }
    }

    /// Sets (adds or replaces) an attribute of an element; ignored for other nodes.
    pub fn set_attribute(&mut self, id: NodeId, name: QName, value: impl Into<String>) {
        let value = value.into();
        let Some((_, _, attributes, _)) = self.element_parts(id) else {
            return;
        };
        if let Some(a) = attributes.iter_mut().find(|a| a.name == name) {
            a.value = value;
            return;
        }
        attributes.push(Attribute {
            name,
            prefix: None,
            value,
        });
        self.register_attributes(id);
    }

    /// Removes an attribute from an element, returning its value.
    pub fn remove_attribute(&mut self, id: NodeId, ns: &str, local: &str) -> Option<String> {
        let (_, _, attributes, _) = self.element_parts(id)?;
        let pos = attributes.iter().position(|a| a.name.is(ns, local))?;
        let removed = attributes.remove(pos);
        self.register_attributes(id);
        Some(removed.value)
    }

    /// Declares a namespace prefix (`None` = default namespace) on an element, replacing an
    /// earlier declaration of the same prefix there.
    pub fn declare_namespace(&mut self, id: NodeId, prefix: Option<&str>, uri: &str) {
        let Some((_, _, _, namespaces)) = self.element_parts(id) else {
            return;
        };
        match namespaces.iter_mut().find(|(p, _)| p.as_deref() == prefix) {
            Some(decl) => decl.1 = uri.to_owned(),
            None => namespaces.push((prefix.map(str::to_owned), uri.to_owned())),
        }
    }

    /// Renames an element. Its prefix is kept only if it is bound to the new namespace.
    pub fn rename(&mut self, id: NodeId, name: QName) {
        let keep_prefix = match self.prefix(id) {
            Some(p) => self.lookup_namespace(id, Some(p)) == Some(name.ns.as_str()),
            None => false,
        };
        if let Some((old, prefix, _, _)) = self.element_parts(id) {
            *old = name;
            if !keep_prefix {
                *prefix = None;
            }
        }
    }

    /// Deep-copies a node of `src` into this document as a detached subtree and returns it.
    /// An element copy also declares every namespace in scope at the source element, so
    /// QName-valued content keeps resolving.
    ///
    /// # Panics
    /// When `src_node` is a root or an attribute handle.
    pub fn import(&mut self, src: &Document, src_node: NodeId) -> NodeId {
        assert!(
            !src_node.is_attribute() && !matches!(src.kind(src_node), NodeKind::Root),
            "import: only elements, text, comments and processing instructions can be copied"
        );
        let copy = self.copy_node(src, src_node);
        if let NodeKind::Element { .. } = src.kind(src_node) {
            for (prefix, uri) in src.in_scope_namespaces(src_node) {
                if !self
                    .namespace_declarations(copy)
                    .iter()
                    .any(|(p, _)| *p == prefix)
                {
                    self.declare_namespace(copy, prefix.as_deref(), &uri);
                }
            }
        }
        copy
    }

    fn copy_node(&mut self, src: &Document, src_node: NodeId) -> NodeId {
        let record = src.record(src_node);
        let copy = self.push_record(record.kind.clone(), record.line);
        if src.is_element(src_node) {
            self.register_attributes(copy);
        }
        for child in src.children(src_node) {
            let c = self.copy_node(src, child);
            self.link_last(copy, c);
        }
        self.touch_order();
        copy
    }

    /// BPEL element-to-element copy: replaces the children and attributes of `target` with
    /// copies of those of `src_node` (an element or root of `src`). Namespaces in scope at the
    /// source are declared on `target` where that does not rebind a prefix. A text, comment
    /// or attribute source replaces the content of `target` with its string-value.
    pub fn replace_children_with_copy(&mut self, target: NodeId, src: &Document, src_node: NodeId) {
        self.remove_children(target);
        match src.kind(src_node) {
            NodeKind::Element { .. } | NodeKind::Root => {
                let attributes = src.attributes(src_node).to_vec();
                if let Some((_, _, attrs, _)) = self.element_parts(target) {
                    *attrs = attributes;
                    self.register_attributes(target);
                }
                for (prefix, uri) in src.in_scope_namespaces(src_node) {
                    if self.lookup_namespace(target, prefix.as_deref()).is_none() {
                        self.declare_namespace(target, prefix.as_deref(), &uri);
                    }
                }
                for child in src.children(src_node) {
                    let c = self.copy_node(src, child);
                    self.link_last(target, c);
                }
                self.touch_order();
            }
            _ => self.set_text_content(target, &src.string_value(src_node)),
        }
    }

    /// Returns a copy of this document without detached or replaced nodes. Node ids of the
    /// copy differ from the original's.
    pub fn compact(&self) -> Document {
        let mut out = Document::new();
        let root = out.root();
        for child in self.children(self.root()) {
            let c = out.copy_node(self, child);
            out.link_last(root, c);
        }
        out.ids_in_order = true;
        out
    }

    /// Compacts the document in place once detached and replaced nodes outnumber the live
    /// ones, so that a value rewritten again and again (a loop's counter) keeps a size, and a
    /// cost to copy, in proportion to its content. Node ids change when it does.
    pub fn compact_if_sparse(&mut self) {
        const SMALL: usize = 64;
        if self.nodes.len() <= SMALL {
            return;
        }
        let live = 1 + self.descendants(self.root()).count();
        if self.nodes.len() > 2 * live + SMALL {
            *self = self.compact();
        }
    }

    /// Compares node `a` of this document with node `b` of `other`: same kinds, names,
    /// attributes (in any order), text and children. Prefixes and namespace declarations are
    /// ignored.
    pub fn structurally_equal(&self, a: NodeId, other: &Document, b: NodeId) -> bool {
        if let (Some((_, x)), Some((_, y))) = (self.attribute_of(a), other.attribute_of(b)) {
            return x.name == y.name && x.value == y.value;
        }
        let same_node = match (self.kind(a), other.kind(b)) {
            (NodeKind::Root, NodeKind::Root) => true,
            (
                NodeKind::Element {
                    name: n1,
                    attributes: a1,
                    ..
                },
                NodeKind::Element {
                    name: n2,
                    attributes: a2,
                    ..
                },
            ) => {
                n1 == n2
                    && a1.len() == a2.len()
                    && a1
                        .iter()
                        .all(|x| a2.iter().any(|y| y.name == x.name && y.value == x.value))
            }
            (k1, k2) => k1 == k2,
        };
        same_node && {
            let mut c1 = self.children(a);
            let mut c2 = other.children(b);
            loop {
                match (c1.next(), c2.next()) {
                    (None, None) => break true,
                    (Some(x), Some(y)) if self.structurally_equal(x, other, y) => {}
                    _ => break false,
                }
            }
        }
    }
}
