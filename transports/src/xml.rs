//! What keeps XML reading linear in its input, shared by the SOAP envelope reader of this
//! crate and the engine's document parser.
//!
//! [`XmlLimits`] bounds what one document may contain (attributes and namespace declarations
//! per element, declarations in scope, nesting depth, name and text lengths); the readers check
//! every start tag against it with [`XmlLimits::check_start`], which also finds duplicate
//! attributes with a hash set instead of quick-xml's pairwise comparison. [`Namespaces`]
//! resolves prefixes with one hash lookup however many declarations are in scope, where
//! quick-xml's resolver scans them all for every name.

use std::collections::{HashMap, HashSet};

use quick_xml::events::attributes::Attribute;
use quick_xml::events::BytesStart;
use quick_xml::name::{PrefixDeclaration, QName};
use serde::Deserialize;

/// The namespace bound to the `xml` prefix.
const XML_NAMESPACE: &[u8] = b"http://www.w3.org/XML/1998/namespace";
/// The namespace of namespace declarations.
const XMLNS_NAMESPACE: &[u8] = b"http://www.w3.org/2000/xmlns/";

/// Bounds on what one XML document may contain. Each is checked as the document is read, so
/// reading time stays proportional to the input's size.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct XmlLimits {
    /// The deepest element nesting.
    pub max_depth: usize,
    /// The most attributes on one element, namespace declarations not counted.
    pub max_attributes: usize,
    /// The most namespace declarations on one element.
    pub max_namespace_declarations: usize,
    /// The most namespace declarations in scope at once (on an element and its ancestors).
    pub max_namespaces_in_scope: usize,
    /// The longest element or attribute name, prefix included, in bytes.
    pub max_name_bytes: usize,
    /// The largest text node, attribute value or namespace name, in bytes.
    pub max_text_bytes: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        Self {
            max_depth: 256,
            max_attributes: 1024,
            max_namespace_declarations: 256,
            max_namespaces_in_scope: 1024,
            max_name_bytes: 1024,
            max_text_bytes: 4 * 1024 * 1024,
        }
    }
}

/// A document that goes beyond one of its [`XmlLimits`]; `limit` is the configuration key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} exceeds the limit xml.{limit} = {max}")]
pub struct LimitExceeded {
    /// The key of the limit in the `[xml]` configuration section.
    pub limit: &'static str,
    /// The configured maximum.
    pub max: usize,
    /// What went beyond it.
    pub what: String,
}

/// Why a start tag is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartTagError {
    /// A limit is exceeded.
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
    /// The attribute syntax is wrong, or a name appears twice.
    #[error("{0}")]
    Syntax(String),
}

/// A checked start tag: its attributes and namespace declarations, in document order.
#[derive(Debug, Default)]
pub struct StartTag<'a> {
    /// The attributes that are not namespace declarations.
    pub attributes: Vec<Attribute<'a>>,
    /// The namespace declarations: prefix (`None` for the default namespace) and raw value.
    pub declarations: Vec<(Option<&'a [u8]>, Attribute<'a>)>,
}

impl XmlLimits {
    /// Checks the start tag `start` nested at `depth` (0 for a top-level element): its name
    /// length, its attribute count, names and values, and duplicate names. Each attribute is
    /// parsed once and returned, split into attributes and namespace declarations.
    pub fn check_start<'a>(
        &self,
        start: &'a BytesStart<'a>,
        depth: usize,
    ) -> Result<StartTag<'a>, StartTagError> {
        if depth >= self.max_depth {
            return Err(self
                .exceeded(
                    "max-depth",
                    self.max_depth,
                    "the element nesting".to_owned(),
                )
                .into());
        }
        self.check_name(start.name())?;
        let mut tag = StartTag::default();
        let mut seen = HashSet::new();
        for attribute in start.attributes().with_checks(false) {
            let attribute = attribute.map_err(|e| StartTagError::Syntax(e.to_string()))?;
            let key = attribute.key;
            self.check_name(key)?;
            if attribute.value.len() > self.max_text_bytes {
                let what = format!("the value of attribute '{}'", lossy(key.as_ref()));
                return Err(self
                    .exceeded("max-text-bytes", self.max_text_bytes, what)
                    .into());
            }
            if !seen.insert(key.into_inner()) {
                return Err(StartTagError::Syntax(format!(
                    "attribute '{}' appears twice",
                    lossy(key.as_ref())
                )));
            }
            match key.as_namespace_binding() {
                Some(declaration) => {
                    if tag.declarations.len() == self.max_namespace_declarations {
                        let what = element_what(start, "namespace declarations");
                        return Err(self
                            .exceeded(
                                "max-namespace-declarations",
                                self.max_namespace_declarations,
                                what,
                            )
                            .into());
                    }
                    let prefix = match declaration {
                        PrefixDeclaration::Default => None,
                        PrefixDeclaration::Named(prefix) => Some(prefix),
                    };
                    tag.declarations.push((prefix, attribute));
                }
                None => {
                    if tag.attributes.len() == self.max_attributes {
                        let what = element_what(start, "attributes");
                        return Err(self
                            .exceeded("max-attributes", self.max_attributes, what)
                            .into());
                    }
                    tag.attributes.push(attribute);
                }
            }
        }
        Ok(tag)
    }

    /// Checks the length of a text node or other character data.
    pub fn check_text(&self, length: usize) -> Result<(), LimitExceeded> {
        if length > self.max_text_bytes {
            let what = format!("a text of {length} bytes");
            return Err(self.exceeded("max-text-bytes", self.max_text_bytes, what));
        }
        Ok(())
    }

    fn check_name(&self, name: QName<'_>) -> Result<(), LimitExceeded> {
        if name.as_ref().len() > self.max_name_bytes {
            let shown: String = lossy(name.as_ref()).chars().take(40).collect();
            let what = format!("the name '{shown}…'");
            return Err(self.exceeded("max-name-bytes", self.max_name_bytes, what));
        }
        Ok(())
    }

    fn exceeded(&self, limit: &'static str, max: usize, what: String) -> LimitExceeded {
        LimitExceeded { limit, max, what }
    }

    /// Checks the settings themselves; returns what is wrong.
    pub fn problems(&self) -> Vec<String> {
        let fields = [
            ("max-depth", self.max_depth),
            ("max-attributes", self.max_attributes),
            (
                "max-namespace-declarations",
                self.max_namespace_declarations,
            ),
            ("max-namespaces-in-scope", self.max_namespaces_in_scope),
            ("max-name-bytes", self.max_name_bytes),
            ("max-text-bytes", self.max_text_bytes),
        ];
        fields
            .iter()
            .filter(|(_, value)| *value == 0)
            .map(|(key, _)| format!("xml.{key} must be at least 1"))
            .collect()
    }
}

fn element_what(start: &BytesStart<'_>, what: &str) -> String {
    let shown: String = lossy(start.name().as_ref()).chars().take(40).collect();
    format!("the number of {what} on element '{shown}'")
}

fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// What a namespace prefix resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved<'n> {
    /// Bound to this namespace name (raw, as written in the declaration).
    Bound(&'n [u8]),
    /// No namespace: an unprefixed name with no default namespace in scope.
    Unbound,
    /// A prefix with no declaration in scope.
    Unknown,
}

/// Why a namespace declaration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamespaceError {
    /// Too many declarations in scope.
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
    /// A declaration the Namespaces in XML recommendation forbids.
    #[error("{0}")]
    Reserved(String),
}

/// One namespace declaration in scope.
#[derive(Debug)]
struct Binding {
    prefix: Option<Box<[u8]>>,
    namespace: Box<[u8]>,
}

/// The namespace declarations in scope while a document is read, resolved by hash lookup.
///
/// [`Namespaces::push`] opens an element's scope with its declarations and
/// [`Namespaces::pop`] closes it; each costs time proportional to the element's own
/// declarations, whatever is in scope.
#[derive(Debug, Default)]
pub struct Namespaces {
    /// Every declaration in scope, in document order.
    bindings: Vec<Binding>,
    /// For each prefix (`None`: the default namespace), the indices in `bindings` of its
    /// declarations, the innermost last.
    by_prefix: HashMap<Option<Box<[u8]>>, Vec<usize>>,
    /// For each open element, where its declarations start in `bindings`.
    scopes: Vec<usize>,
}

impl Namespaces {
    /// Opens the scope of an element with its namespace declarations (prefix, namespace name
    /// as written); refuses reserved bindings and more declarations in scope than `limits`
    /// allow.
    pub fn push<'a>(
        &mut self,
        declarations: impl IntoIterator<Item = (Option<&'a [u8]>, &'a [u8])>,
        limits: &XmlLimits,
    ) -> Result<(), NamespaceError> {
        self.scopes.push(self.bindings.len());
        for (prefix, namespace) in declarations {
            check_reserved(prefix, namespace)?;
            if prefix == Some(b"xml") {
                continue;
            }
            if self.bindings.len() == limits.max_namespaces_in_scope {
                return Err(LimitExceeded {
                    limit: "max-namespaces-in-scope",
                    max: limits.max_namespaces_in_scope,
                    what: "the number of namespace declarations in scope".to_owned(),
                }
                .into());
            }
            let prefix: Option<Box<[u8]>> = prefix.map(Box::from);
            self.by_prefix
                .entry(prefix.clone())
                .or_default()
                .push(self.bindings.len());
            self.bindings.push(Binding {
                prefix,
                namespace: namespace.into(),
            });
        }
        Ok(())
    }

    /// Closes the innermost open scope.
    pub fn pop(&mut self) {
        let Some(start) = self.scopes.pop() else {
            return;
        };
        for binding in self.bindings.drain(start..).rev() {
            if let Some(indices) = self.by_prefix.get_mut(&binding.prefix) {
                indices.pop();
                if indices.is_empty() {
                    self.by_prefix.remove(&binding.prefix);
                }
            }
        }
    }

    /// The number of open scopes.
    pub fn depth(&self) -> usize {
        self.scopes.len()
    }

    /// Resolves a prefix (`None`: no prefix); the default namespace applies to unprefixed
    /// element names only, so pass `use_default` false for attributes.
    pub fn resolve(&self, prefix: Option<&[u8]>, use_default: bool) -> Resolved<'_> {
        match prefix {
            Some(b"xml") => return Resolved::Bound(XML_NAMESPACE),
            Some(b"xmlns") => return Resolved::Bound(XMLNS_NAMESPACE),
            None if !use_default => return Resolved::Unbound,
            _ => {}
        }
        let innermost = self
            .by_prefix
            .get(&prefix.map(Box::from))
            .and_then(|indices| indices.last())
            .map(|&index| &self.bindings[index]);
        match (innermost, prefix) {
            (Some(binding), _) if !binding.namespace.is_empty() => {
                Resolved::Bound(&binding.namespace)
            }
            (_, None) => Resolved::Unbound,
            (_, Some(_)) => Resolved::Unknown,
        }
    }

    /// Resolves the prefix of a qualified name; see [`Namespaces::resolve`].
    pub fn resolve_name(&self, name: QName<'_>, use_default: bool) -> Resolved<'_> {
        self.resolve(name.prefix().map(|p| p.into_inner()), use_default)
    }

    /// The bindings in scope, in document order, each prefix once (its innermost declaration)
    /// and undeclarations (`xmlns=""`, `xmlns:p=""`) left out.
    pub fn in_scope(&self) -> impl Iterator<Item = (Option<&[u8]>, &[u8])> {
        self.bindings
            .iter()
            .enumerate()
            .filter(|(index, binding)| {
                !binding.namespace.is_empty()
                    && self.by_prefix.get(&binding.prefix).and_then(|i| i.last()) == Some(index)
            })
            .map(|(_, binding)| (binding.prefix.as_deref(), &*binding.namespace))
    }
}

/// The bindings the Namespaces in XML recommendation forbids.
fn check_reserved(prefix: Option<&[u8]>, namespace: &[u8]) -> Result<(), NamespaceError> {
    let refused = match prefix {
        Some(b"xml") if namespace != XML_NAMESPACE => {
            "the prefix 'xml' bound to another namespace than its own"
        }
        Some(b"xmlns") => "a declaration of the prefix 'xmlns'",
        _ if namespace == XML_NAMESPACE && prefix != Some(b"xml") => {
            "the XML namespace bound to another prefix than 'xml'"
        }
        _ if namespace == XMLNS_NAMESPACE => "the namespace of namespace declarations bound",
        _ => return Ok(()),
    };
    Err(NamespaceError::Reserved(refused.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(text: &str) -> BytesStart<'_> {
        BytesStart::from_content(text, text.find(' ').unwrap_or(text.len()))
    }

    #[test]
    fn inner_declarations_shadow_outer_ones_until_their_scope_closes() {
        let limits = XmlLimits::default();
        let mut ns = Namespaces::default();
        ns.push(
            [(Some(&b"a"[..]), &b"urn:1"[..]), (None, b"urn:d")],
            &limits,
        )
        .unwrap();
        ns.push([(Some(&b"a"[..]), &b"urn:2"[..]), (None, b"")], &limits)
            .unwrap();
        assert_eq!(ns.resolve(Some(b"a"), false), Resolved::Bound(b"urn:2"));
        assert_eq!(ns.resolve(None, true), Resolved::Unbound);
        assert_eq!(
            ns.in_scope().collect::<Vec<_>>(),
            [(Some(&b"a"[..]), &b"urn:2"[..])]
        );
        ns.pop();
        assert_eq!(ns.resolve(Some(b"a"), false), Resolved::Bound(b"urn:1"));
        assert_eq!(ns.resolve(None, true), Resolved::Bound(b"urn:d"));
        assert_eq!(ns.resolve(None, false), Resolved::Unbound);
        assert_eq!(ns.resolve(Some(b"b"), true), Resolved::Unknown);
        ns.pop();
        assert_eq!(ns.resolve(Some(b"a"), false), Resolved::Unknown);
        assert_eq!(ns.depth(), 0);
    }

    #[test]
    fn reserved_bindings_are_refused() {
        let limits = XmlLimits::default();
        let mut ns = Namespaces::default();
        assert!(ns
            .push([(Some(&b"xml"[..]), XML_NAMESPACE)], &limits)
            .is_ok());
        for (prefix, namespace) in [
            (Some(&b"xml"[..]), &b"urn:x"[..]),
            (Some(b"xmlns"), b"urn:x"),
            (Some(b"p"), XML_NAMESPACE),
            (None, XMLNS_NAMESPACE),
        ] {
            let refused = ns.push([(prefix, namespace)], &limits);
            assert!(matches!(refused, Err(NamespaceError::Reserved(_))));
        }
    }

    #[test]
    fn declarations_in_scope_are_bounded() {
        let limits = XmlLimits {
            max_namespaces_in_scope: 2,
            ..XmlLimits::default()
        };
        let mut ns = Namespaces::default();
        ns.push([(Some(&b"a"[..]), &b"urn:a"[..])], &limits)
            .unwrap();
        ns.push([(Some(&b"b"[..]), &b"urn:b"[..])], &limits)
            .unwrap();
        let refused = ns.push([(Some(&b"c"[..]), &b"urn:c"[..])], &limits);
        let limit = match refused {
            Err(NamespaceError::Limit(e)) => e.limit,
            other => panic!("{other:?}"),
        };
        assert_eq!(limit, "max-namespaces-in-scope");
    }

    #[test]
    fn start_tags_are_split_and_checked_against_each_limit() {
        let limits = XmlLimits {
            max_attributes: 2,
            max_namespace_declarations: 1,
            max_name_bytes: 8,
            max_text_bytes: 4,
            max_depth: 3,
            ..XmlLimits::default()
        };
        let ok = tag(r#"e a="1" xmlns:p="u" p:b="2""#);
        let checked = limits.check_start(&ok, 0).unwrap();
        assert_eq!(checked.attributes.len(), 2);
        assert_eq!(checked.declarations.len(), 1);
        let limit_of = |text: &str, depth| match limits.check_start(&tag(text), depth) {
            Err(StartTagError::Limit(e)) => e.limit,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(limit_of(r#"e a="1" b="2" c="3""#, 0), "max-attributes");
        assert_eq!(
            limit_of(r#"e xmlns:a="1" xmlns:b="2""#, 0),
            "max-namespace-declarations"
        );
        assert_eq!(limit_of("elementname", 0), "max-name-bytes");
        assert_eq!(limit_of(r#"e attribute="1""#, 0), "max-name-bytes");
        assert_eq!(limit_of(r#"e a="12345""#, 0), "max-text-bytes");
        assert_eq!(limit_of("e", 3), "max-depth");
        let twice = tag(r#"e a="1" a="2""#);
        let refused = limits.check_start(&twice, 0);
        assert!(matches!(refused, Err(StartTagError::Syntax(_))));
    }
}
