//! An XSLT 1.0 processor over the engine's XML arena and XPath, for BPEL's
//! `bpel:doXslTransform`.
//!
//! A [`Stylesheet`] is compiled once (at deployment) from its text: `compile.rs` turns the
//! `xsl:stylesheet` into templates, global variables and parameters and an instruction tree
//! with every XPath expression, pattern and attribute value template compiled. `pattern.rs`
//! matches nodes against template patterns and computes default priorities; `execute.rs`
//! runs a transformation, building the result in a new [`Document`].
//!
//! Supported: template rules with patterns, priorities and modes, named templates,
//! `apply-templates` (select, mode, sort, with-param), `call-template`, `value-of`, `copy-of`,
//! `copy`, `element`, `attribute`, `text`, `comment`, `for-each` (with sort), `if`,
//! `choose`/`when`/`otherwise`, global and local `variable`/`param`, `message`, literal result
//! elements with attribute value templates, the built-in template rules, and `current()`.
//! Not supported: `xsl:import`/`xsl:include`, keys, `document()`, `xsl:number`,
//! `format-number()`, processing-instruction output and output methods other than xml (the
//! result is a tree either way).

mod compile;
mod execute;
mod pattern;

#[cfg(test)]
mod tests;

use crate::xml::{Document, QName};
use crate::xpath::{Node, ResultTrees, Value};

pub use compile::Stylesheet;

/// Namespace of XSLT instructions.
pub const XSL_NS: &str = "http://www.w3.org/1999/XSL/Transform";

/// Why a stylesheet did not compile or a transformation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The stylesheet is not well-formed XML.
    #[error("stylesheet is not well-formed: {0}")]
    Xml(#[from] crate::xml::Error),
    /// The stylesheet is not valid XSLT (line of the offending element).
    #[error("line {line}: {message}")]
    Stylesheet {
        /// 1-based line in the stylesheet.
        line: u32,
        /// What is wrong.
        message: String,
    },
    /// The transformation failed at run time.
    #[error("transformation failed: {0}")]
    Runtime(String),
}

impl Stylesheet {
    /// Transforms the document of `source` with global parameters `params`: processing
    /// starts at its root node, which `match="/"` matches (XSLT 1.0 §5.1), whatever node of
    /// it `source` is. Result tree fragments built on the way live in `trees`.
    pub fn transform<'a>(
        &self,
        source: Node<'a>,
        params: &[(QName, Value<'a>)],
        trees: &'a ResultTrees,
    ) -> Result<Document, Error> {
        execute::run(self, source, params, trees)
    }
}
