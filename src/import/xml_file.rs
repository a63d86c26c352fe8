//! An XML input of an import, parsed, with the lookups its readers need: children by local
//! name (ODE and BPS files are written with and without prefixes), trimmed texts and
//! attributes, and numbers whose errors name the file and line.

use std::path::PathBuf;

use super::files::Input;
use super::ImportError;
use crate::xml::{Document, NodeId};

/// A parsed XML input.
pub(super) struct XmlFile {
    pub(super) document: Document,
    pub(super) path: PathBuf,
    /// How reports name the file.
    pub(super) shown: String,
}

impl XmlFile {
    /// Reads and parses `input`.
    pub(super) fn read(input: &Input) -> Result<Self, ImportError> {
        let bytes = std::fs::read(&input.path).map_err(|problem| ImportError::Read {
            path: input.path.clone(),
            problem,
        })?;
        let document = crate::xml::parse(&bytes).map_err(|problem| ImportError::Xml {
            path: input.path.clone(),
            problem,
        })?;
        Ok(Self {
            document,
            path: input.path.clone(),
            shown: input.shown.clone(),
        })
    }

    /// The document element, which must be `{namespace}local` (`namespace` `None`: any).
    pub(super) fn root(&self, namespace: Option<&str>, local: &str) -> Result<NodeId, ImportError> {
        let root = self
            .document
            .document_element()
            .ok_or_else(|| self.malformed(1, "no document element".into()))?;
        let name = self.document.name(root).expect("an element has a name");
        if name.local != local || namespace.is_some_and(|namespace| name.ns != namespace) {
            let expected = match namespace {
                Some(namespace) => format!("{{{namespace}}}{local}"),
                None => local.to_owned(),
            };
            return Err(self.malformed(
                self.document.line(root),
                format!("the document element is {name}, not {expected}"),
            ));
        }
        Ok(root)
    }

    /// The local name of element `node`.
    pub(super) fn local(&self, node: NodeId) -> &str {
        self.document
            .name(node)
            .map_or("", |name| name.local.as_str())
    }

    /// The child elements of `node` named `local`, in any namespace.
    pub(super) fn children<'a>(
        &'a self,
        node: NodeId,
        local: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        self.document
            .child_elements(node)
            .filter(move |&child| self.local(child) == local)
    }

    /// The first child element of `node` named `local`.
    pub(super) fn child(&self, node: NodeId, local: &str) -> Option<NodeId> {
        self.children(node, local).next()
    }

    /// The text of `node`, trimmed.
    pub(super) fn text(&self, node: NodeId) -> String {
        self.document.string_value(node).trim().to_owned()
    }

    /// The attribute `name` (in no namespace) of `node`, trimmed.
    pub(super) fn attribute(&self, node: NodeId, name: &str) -> Option<&str> {
        self.document.attribute(node, "", name).map(str::trim)
    }

    /// `text`, a number met at `node` as `what`.
    pub(super) fn number(&self, node: NodeId, what: &str, text: &str) -> Result<i64, ImportError> {
        text.parse().map_err(|_| {
            self.malformed(
                self.document.line(node),
                format!("{what} '{text}' is not a whole number"),
            )
        })
    }

    /// `text`, a boolean met at `node` as `what`.
    pub(super) fn boolean(
        &self,
        node: NodeId,
        what: &str,
        text: &str,
    ) -> Result<bool, ImportError> {
        match text.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self.malformed(
                self.document.line(node),
                format!("{what} '{text}' is neither true nor false"),
            )),
        }
    }

    /// The error for what is wrong at `line`.
    pub(super) fn malformed(&self, line: u32, message: String) -> ImportError {
        ImportError::Malformed {
            path: self.path.clone(),
            line,
            message,
        }
    }
}
