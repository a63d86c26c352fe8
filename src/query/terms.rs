//! The terms of a filter: `key op value` after one another, separated by spaces, all of
//! which must hold. Spaces may stand around the operator; a value holds no space and none of
//! `= < >`, and `|` separates the values a key may have. Keys are case-insensitive and `_`
//! stands for `-` (`last_active` is `last-active`); a key that names a property (`$…`) is
//! kept as written.

use super::FilterError;

/// How a term compares its key with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    /// The operators, longest first, as they are written.
    const WRITTEN: [(&'static str, Op); 6] = [
        ("<>", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<", Op::Lt),
        (">", Op::Gt),
        ("=", Op::Eq),
    ];

    pub(super) fn as_str(self) -> &'static str {
        Op::WRITTEN
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("=", |(text, _)| text)
    }
}

/// One term of a filter, with where it stands in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Term<'a> {
    /// The key, normalised.
    pub(super) key: String,
    pub(super) op: Op,
    /// The value as written, `|` alternatives included.
    pub(super) value: &'a str,
    /// The whole term as written.
    text: &'a str,
    /// The character the term begins at (from 1).
    at: usize,
    /// The character its value begins at.
    value_at: usize,
}

impl<'a> Term<'a> {
    /// The values of the term: its `|` alternatives.
    pub(super) fn values(&self) -> impl Iterator<Item = &'a str> {
        self.value.split('|')
    }

    /// Refuses the term unless its operator is one of `allowed`.
    pub(super) fn only(&self, allowed: &[Op]) -> Result<(), FilterError> {
        if allowed.contains(&self.op) {
            return Ok(());
        }
        let allowed: Vec<&str> = allowed.iter().map(|op| op.as_str()).collect();
        Err(self.refused(format!(
            "{} does not apply to {}; use {}",
            self.op.as_str(),
            self.key,
            allowed.join(" or ")
        )))
    }

    /// The term refused for `problem`.
    pub(super) fn refused(&self, problem: impl Into<String>) -> FilterError {
        FilterError::new(self.at, self.text, problem)
    }

    /// One of the term's values, `value`, refused for `problem`.
    pub(super) fn value_refused(&self, value: &str, problem: impl Into<String>) -> FilterError {
        let offset = value.as_ptr() as usize - self.value.as_ptr() as usize;
        let at = self.value_at + self.value[..offset].chars().count();
        FilterError::new(at, value, problem)
    }
}

/// The terms of `filter`, in order; an empty filter has none.
pub(super) fn parse(filter: &str) -> Result<Vec<Term<'_>>, FilterError> {
    let mut scanner = Scanner {
        text: filter,
        at: 0,
    };
    let mut terms = Vec::new();
    while scanner.skip_spaces() {
        let start = scanner.at;
        let key = scanner.word();
        scanner.skip_spaces();
        let op_at = scanner.at;
        let op = scanner.operator().ok_or_else(|| {
            let word = if key.is_empty() {
                scanner.rest_word()
            } else {
                key
            };
            FilterError::new(
                scanner.position(start),
                word,
                "expected a key followed by one of = <> < <= > >=",
            )
        })?;
        if key.is_empty() {
            return Err(FilterError::new(
                scanner.position(op_at),
                op.as_str(),
                "expected a key before the operator",
            ));
        }
        scanner.skip_spaces();
        let value_start = scanner.at;
        let value = scanner.word();
        let text = filter[start..scanner.at].trim_end();
        if value.is_empty() {
            return Err(FilterError::new(
                scanner.position(start),
                text,
                "expected a value after the operator",
            ));
        }
        terms.push(Term {
            key: normalised(key),
            op,
            value,
            text,
            at: scanner.position(start),
            value_at: scanner.position(value_start),
        });
    }
    Ok(terms)
}

/// `key` as the languages name it: lower case with `-`, a property name as written.
pub(super) fn normalised(key: &str) -> String {
    if key.starts_with('$') {
        key.to_owned()
    } else {
        key.to_ascii_lowercase().replace('_', "-")
    }
}

/// Reads a filter's text from left to right.
struct Scanner<'a> {
    text: &'a str,
    /// The byte it has reached.
    at: usize,
}

impl<'a> Scanner<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    /// Skips spaces; whether anything follows them.
    fn skip_spaces(&mut self) -> bool {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
        self.at < self.text.len()
    }

    /// The word that begins here (up to a space or an operator), taken.
    fn word(&mut self) -> &'a str {
        let word = self.rest_word();
        self.at += word.len();
        word
    }

    /// The word that begins here, not taken; the next character when that is an operator.
    fn rest_word(&self) -> &'a str {
        let rest = self.rest();
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '=' | '<' | '>'))
            .unwrap_or(rest.len());
        &rest[..end]
    }

    /// The operator that begins here, taken.
    fn operator(&mut self) -> Option<Op> {
        let (text, op) = Op::WRITTEN
            .into_iter()
            .find(|(text, _)| self.rest().starts_with(text))?;
        self.at += text.len();
        Some(op)
    }

    /// The character (from 1) at byte `byte`.
    fn position(&self, byte: usize) -> usize {
        self.text[..byte].chars().count() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_ops_values(filter: &str) -> Vec<(String, Op, &str)> {
        let terms = parse(filter).unwrap();
        terms.into_iter().map(|t| (t.key, t.op, t.value)).collect()
    }

    #[test]
    fn terms_are_split_at_spaces_with_spaces_allowed_around_operators() {
        assert_eq!(
            keys_ops_values("  name=dtc*  Last_Active < -30d pid<>a|b ${urn:x}Id = 7 "),
            [
                ("name".to_owned(), Op::Eq, "dtc*"),
                ("last-active".to_owned(), Op::Lt, "-30d"),
                ("pid".to_owned(), Op::Ne, "a|b"),
                ("${urn:x}Id".to_owned(), Op::Eq, "7"),
            ]
        );
        assert_eq!(
            keys_ops_values("a<=1 b>=2 c>3"),
            [
                ("a".to_owned(), Op::Le, "1"),
                ("b".to_owned(), Op::Ge, "2"),
                ("c".to_owned(), Op::Gt, "3"),
            ]
        );
        assert!(parse("   ").unwrap().is_empty());
    }

    #[test]
    fn a_malformed_term_is_refused_where_it_stands() {
        let refused = |filter: &str| {
            let error = parse(filter).unwrap_err();
            (error.at, error.token)
        };
        assert_eq!(refused("status=active name"), (15, "name".to_owned()));
        assert_eq!(refused("status=active =x"), (15, "=".to_owned()));
        assert_eq!(refused("status= "), (1, "status=".to_owned()));
        assert_eq!(refused("a=b=c"), (4, "=".to_owned()));
        assert_eq!(refused("ü=1 é"), (5, "é".to_owned()));
    }

    #[test]
    fn a_refused_value_is_placed_within_its_term() {
        let terms = parse("iid = 1|x").unwrap();
        let term = &terms[0];
        let x = term.values().nth(1).unwrap();
        let error = term.value_refused(x, "not a number");
        assert_eq!((error.at, error.token.as_str()), (9, "x"));
    }
}
