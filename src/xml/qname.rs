//! Qualified names: a namespace URI plus a local name, as used for elements, attributes,
//! XPath functions and variables throughout the engine.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A namespace-qualified name. An empty `ns` means "no namespace".
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct QName {
    /// Namespace URI; empty when the name is in no namespace.
    pub ns: String,
    /// Local part of the name.
    pub local: String,
}

impl QName {
    /// Builds a name from a namespace URI (empty for none) and a local name.
    pub fn new(ns: impl Into<String>, local: impl Into<String>) -> Self {
        QName {
            ns: ns.into(),
            local: local.into(),
        }
    }

    /// Builds a name in no namespace.
    pub fn local(local: impl Into<String>) -> Self {
        QName::new(String::new(), local)
    }

    /// True when this name has exactly the given namespace URI and local name.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ns.is_empty() {
            f.write_str(&self.local)
        } else {
            write!(f, "{{{}}}{}", self.ns, self.local)
        }
    }
}

/// Something a child element's name can be matched against: a `&QName` or an
/// `(ns, local)` pair of string slices.
pub trait NameMatch {
    /// True when `name` is the name described by `self`.
    fn matches(&self, name: &QName) -> bool;
}

impl NameMatch for &QName {
    fn matches(&self, name: &QName) -> bool {
        *self == name
    }
}

impl NameMatch for (&str, &str) {
    fn matches(&self, name: &QName) -> bool {
        name.is(self.0, self.1)
    }
}

/// True when `name` is an XML NCName (a name without ':').
pub fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{b7}'))
}
