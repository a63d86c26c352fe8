//! A message as interceptors see it: the SOAP header blocks it came or goes with, and its
//! parts in the engine's normalised form (`<message><Part>…</Part></message>`, see
//! [`crate::runtime::message`]).

use crate::xml::{self, Document, NodeId, QName};

/// One message of an exchange.
#[derive(Debug, Clone)]
pub struct Message {
    /// The SOAP header blocks, as a forest: the document root's element children.
    pub headers: Document,
    /// The parts, normalised.
    pub parts: Document,
}

impl Message {
    /// A message of `parts` without headers.
    pub fn new(parts: Document) -> Self {
        Self {
            headers: Document::new(),
            parts,
        }
    }

    /// A message of `parts` with the header blocks of the forest `headers` (the children of
    /// a soap:Header, as standalone XML).
    pub fn with_header_forest(headers: &[u8], parts: Document) -> Result<Self, xml::Error> {
        Ok(Self {
            headers: xml::parse_fragment(headers)?,
            parts,
        })
    }

    /// The header blocks, in order.
    pub fn header_blocks(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.headers.child_elements(self.headers.root())
    }

    /// The first header block named `name`.
    pub fn header(&self, name: &QName) -> Option<NodeId> {
        self.header_blocks()
            .find(|&block| self.headers.name(block) == Some(name))
    }

    /// The first header block named `name`, serialised.
    pub fn header_xml(&self, name: &QName) -> Option<String> {
        self.header(name).map(|block| self.headers.to_xml(block))
    }

    /// Removes every header block named `name`; whether there was one.
    pub fn remove_header(&mut self, name: &QName) -> bool {
        let blocks: Vec<NodeId> = self
            .header_blocks()
            .filter(|&block| self.headers.name(block) == Some(name))
            .collect();
        for &block in &blocks {
            self.headers.detach(block);
        }
        !blocks.is_empty()
    }

    /// Adds a copy of the element `block` of `source` as a header block, in place of the
    /// blocks of the same name.
    pub fn set_header(&mut self, source: &Document, block: NodeId) {
        if let Some(name) = source.name(block) {
            self.remove_header(&name.clone());
        }
        let copy = self.headers.import(source, block);
        let root = self.headers.root();
        self.headers.append_child(root, copy);
    }

    /// Adds the header block written in `text` (one element), in place of the blocks of the
    /// same name.
    pub fn set_header_xml(&mut self, text: &str) -> Result<(), xml::Error> {
        let parsed = xml::parse(text.as_bytes())?;
        if let Some(block) = parsed.document_element() {
            self.set_header(&parsed, block);
        }
        Ok(())
    }

    /// The header blocks serialised as a forest, as a soap:Header's content.
    pub fn header_forest(&self) -> String {
        self.headers.to_xml(self.headers.root())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_blocks_are_found_replaced_and_removed_by_name() {
        let forest = br#"<a:token xmlns:a="urn:a">1</a:token><b:trace xmlns:b="urn:b">x</b:trace>"#;
        let mut message =
            Message::with_header_forest(forest, crate::runtime::message::empty()).unwrap();
        let token = QName::new("urn:a", "token");
        assert_eq!(message.header_blocks().count(), 2);
        message
            .set_header_xml(r#"<t:token xmlns:t="urn:a">2</t:token>"#)
            .unwrap();
        let block = message.header(&token).unwrap();
        assert_eq!(message.headers.string_value(block), "2");
        assert_eq!(message.header_blocks().count(), 2);
        assert!(message.remove_header(&token));
        assert!(!message.remove_header(&token));
        let reparsed = xml::parse_fragment(message.header_forest().as_bytes()).unwrap();
        let names: Vec<_> = reparsed
            .child_elements(reparsed.root())
            .filter_map(|n| reparsed.name(n).cloned())
            .collect();
        assert_eq!(names, [QName::new("urn:b", "trace")]);
    }
}
