//! XML documents for the BPEL engine: variables, messages and deployment descriptors are all
//! held as [`Document`]s.
//!
//! * [`parse`] / [`parse_with`] / [`parse_fragment`] read UTF-8 XML in a single pass with
//!   namespaces resolved, refusing DTDs (which blocks XXE and entity-expansion attacks) and
//!   recording the source line of every element for deployment diagnostics.
//! * [`Document`] is an arena tree with a read API, a mutation API for BPEL `<assign>`, and
//!   [`Document::to_xml`] to serialise any node as a self-contained fragment.

mod document;
mod encoding;
mod mutate;
mod parse;
mod qname;
mod stored;
mod write;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use document::{Attribute, Children, Descendants, Document, NodeId, NodeKind, XML_NS};
pub use encoding::decode;
pub use parse::{parse, parse_fragment, parse_text, parse_with, ParseOptions};
pub use qname::{is_ncname, NameMatch, QName};

/// Why a document could not be parsed. Every variant carries the 1-based source line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input is not well-formed XML.
    #[error("line {line}, column {column}: malformed XML: {message}")]
    Syntax {
        /// 1-based line.
        line: u32,
        /// 1-based column (in bytes).
        column: u32,
        /// What is wrong.
        message: String,
    },
    /// The input contains a DOCTYPE declaration.
    #[error("line {line}: DTDs are not allowed (DOCTYPE declarations are refused)")]
    DtdNotAllowed {
        /// 1-based line.
        line: u32,
    },
    /// An entity reference other than the five predefined ones.
    #[error("line {line}: unknown entity reference '&{name};'")]
    UnknownEntity {
        /// 1-based line.
        line: u32,
        /// Entity name.
        name: String,
    },
    /// A prefix used without a namespace declaration in scope.
    #[error("line {line}: namespace prefix '{prefix}' is not bound")]
    UnboundPrefix {
        /// 1-based line.
        line: u32,
        /// The prefix.
        prefix: String,
    },
    /// The document goes beyond one of [`ParseOptions::limits`].
    #[error("line {line}: {source}")]
    Limit {
        /// 1-based line.
        line: u32,
        /// Which limit, and what went beyond it.
        source: baton_transports::xml::LimitExceeded,
    },
}

impl Error {
    /// The 1-based source line the error refers to.
    pub fn line(&self) -> u32 {
        match self {
            Error::Syntax { line, .. }
            | Error::DtdNotAllowed { line }
            | Error::UnknownEntity { line, .. }
            | Error::UnboundPrefix { line, .. }
            | Error::Limit { line, .. } => *line,
        }
    }
}
