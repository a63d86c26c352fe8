//! XPath values and the XPath 1.0 conversion rules between them (§4.2–4.4): string-values of
//! node-sets, number formatting and parsing, and effective boolean values. Node-sets may hold
//! nodes of several documents; they are ordered by document, then document order.

use std::cmp::Ordering;
use std::fmt;

use crate::xml::{Document, NodeId};

use super::temporal::Temporal;

/// A node of some document.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    /// The document the node belongs to.
    pub doc: &'a Document,
    /// The node (or attribute handle) inside `doc`.
    pub id: NodeId,
}

impl<'a> Node<'a> {
    /// Pairs a document with one of its nodes.
    pub fn new(doc: &'a Document, id: NodeId) -> Self {
        Node { doc, id }
    }

    /// The XPath string-value of the node.
    pub fn string_value(&self) -> String {
        self.doc.string_value(self.id)
    }

    /// Compares two nodes in document order; nodes of different documents are ordered by the
    /// documents' addresses, which is stable for one evaluation.
    pub fn document_order(&self, other: &Node<'_>) -> Ordering {
        let a = self.doc as *const Document as usize;
        let b = other.doc as *const Document as usize;
        a.cmp(&b)
            .then_with(|| self.doc.compare_order(self.id, other.id))
    }
}

impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.doc, other.doc) && self.id == other.id
    }
}

impl Eq for Node<'_> {}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node({:p}, {:?})", self.doc, self.id)
    }
}

/// The result of an XPath expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// Distinct nodes in document order.
    NodeSet(Vec<Node<'a>>),
    /// A boolean.
    Boolean(bool),
    /// An IEEE double.
    Number(f64),
    /// A string.
    String(String),
    /// An XPath 2.0 date, time or duration.
    Temporal(Temporal),
}

impl<'a> Value<'a> {
    /// A node-set value from nodes in any order, possibly with duplicates.
    pub fn node_set(mut nodes: Vec<Node<'a>>) -> Self {
        sort_document_order(&mut nodes);
        Value::NodeSet(nodes)
    }

    /// XPath `string()` of this value.
    pub fn to_xpath_string(&self) -> String {
        match self {
            Value::NodeSet(nodes) => nodes.first().map(Node::string_value).unwrap_or_default(),
            Value::Boolean(b) => b.to_string(),
            Value::Number(n) => format_number(*n),
            Value::String(s) => s.clone(),
            Value::Temporal(t) => t.to_string(),
        }
    }

    /// XPath `number()` of this value.
    pub fn to_number(&self) -> f64 {
        match self {
            Value::NodeSet(_) => parse_number(&self.to_xpath_string()),
            Value::Boolean(b) => f64::from(u8::from(*b)),
            Value::Number(n) => *n,
            Value::String(s) => parse_number(s),
            Value::Temporal(_) => f64::NAN,
        }
    }

    /// XPath `boolean()` of this value.
    pub fn to_boolean(&self) -> bool {
        match self {
            Value::NodeSet(nodes) => !nodes.is_empty(),
            Value::Boolean(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::String(s) => !s.is_empty(),
            Value::Temporal(_) => true,
        }
    }

    /// Name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::NodeSet(_) => "node-set",
            Value::Boolean(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Temporal(t) => t.type_name(),
        }
    }
}

/// Sorts nodes in document order and removes duplicates.
pub(super) fn sort_document_order(nodes: &mut Vec<Node<'_>>) {
    if nodes.len() > 1 {
        nodes.sort_by(|a, b| a.document_order(b));
        nodes.dedup();
    }
}

/// Formats a number as XPath 1.0 `string()` does: integers without a decimal point, no
/// exponent, `NaN`, `Infinity`, `-Infinity`, and `0` for negative zero.
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n == 0.0 {
        "0".into()
    } else {
        n.to_string()
    }
}

/// Parses a string as XPath 1.0 `number()` does: optional whitespace, optional minus, digits
/// with an optional fraction; anything else (exponents, `+`, `Infinity`) is NaN.
pub fn parse_number(s: &str) -> f64 {
    let t = s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    let digits = t.strip_prefix('-').unwrap_or(t);
    let mut parts = digits.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let valid = all_digits(int)
        && frac.is_none_or(all_digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    if valid {
        t.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}
