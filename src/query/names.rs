//! Names as filters match them: a process's local name or namespace, in any case, with a
//! trailing `*` matching any rest.

use super::terms::Term;
use super::FilterError;

/// One value of a `name` or `namespace` term.
pub(super) struct Pattern {
    lower: String,
    prefix: bool,
}

impl Pattern {
    pub(super) fn matches(&self, text: &str) -> bool {
        let text = text.to_lowercase();
        match self.prefix {
            true => text.starts_with(&self.lower),
            false => text == self.lower,
        }
    }
}

/// The patterns of `term`'s values.
pub(super) fn patterns(term: &Term<'_>) -> Result<Vec<Pattern>, FilterError> {
    term.values()
        .map(|value| {
            let (stem, prefix) = match value.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (value, false),
            };
            if stem.contains('*') {
                return Err(term.value_refused(value, "only a trailing * is a wildcard"));
            }
            Ok(Pattern {
                lower: stem.to_lowercase(),
                prefix,
            })
        })
        .collect()
}

/// The namespace and local name of a QName written `{namespace}local`.
pub(super) fn split_qname(qname: &str) -> (&str, &str) {
    qname
        .strip_prefix('{')
        .and_then(|rest| rest.split_once('}'))
        .unwrap_or(("", qname))
}
