//! Template match patterns. A pattern is a union of location path alternatives; a node
//! matches an alternative when evaluating it from the node or one of its ancestors selects
//! the node (XSLT 1.0 §5.2). Each alternative has the default priority of §5.5.

use crate::xpath::{self, Context, Language, NamespaceResolver, Node, Value, XPath};

#[derive(Debug)]
pub(super) struct Pattern {
    pub(super) alternatives: Vec<(XPath, f64)>,
}

impl Pattern {
    pub(super) fn compile(
        text: &str,
        namespaces: &dyn NamespaceResolver,
        language: Language,
    ) -> Result<Pattern, xpath::Error> {
        let alternatives = split_alternatives(text)
            .into_iter()
            .map(|alternative| {
                let compiled = XPath::compile_in(alternative, namespaces, language)?;
                Ok((compiled, default_priority(alternative)))
            })
            .collect::<Result<_, xpath::Error>>()?;
        Ok(Pattern { alternatives })
    }

    /// The highest priority among the alternatives `node` matches, if any.
    pub(super) fn matches<'a>(
        &self,
        node: Node<'a>,
        ctx: &dyn Context<'a>,
    ) -> Result<Option<f64>, xpath::Error> {
        let mut best: Option<f64> = None;
        for (alternative, priority) in &self.alternatives {
            if best.is_some_and(|b| b >= *priority) {
                continue;
            }
            if selects_from_ancestor(alternative, node, ctx)? {
                best = Some(*priority);
            }
        }
        Ok(best)
    }
}

fn selects_from_ancestor<'a>(
    alternative: &XPath,
    node: Node<'a>,
    ctx: &dyn Context<'a>,
) -> Result<bool, xpath::Error> {
    let mut current = Some(node.id);
    while let Some(id) = current {
        let start = Node::new(node.doc, id);
        if let Value::NodeSet(selected) = alternative.evaluate(ctx, Some(start))? {
            if selected.contains(&node) {
                return Ok(true);
            }
        }
        current = node.doc.parent(id);
    }
    Ok(false)
}

/// Splits a pattern at its top-level `|`s (outside predicates, parentheses and strings).
fn split_alternatives(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth = depth.saturating_sub(1),
            (None, '|') if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts
}

/// XSLT 1.0 §5.5: a bare (attribute) name is 0, `prefix:*` is -0.25, a bare node test is
/// -0.5, anything more specific 0.5.
fn default_priority(alternative: &str) -> f64 {
    let step = alternative
        .strip_prefix("child::")
        .or_else(|| alternative.strip_prefix("attribute::"))
        .or_else(|| alternative.strip_prefix('@'))
        .unwrap_or(alternative);
    let is_name = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    };
    if matches!(
        step,
        "*" | "node()" | "text()" | "comment()" | "processing-instruction()"
    ) {
        -0.5
    } else if step.ends_with(":*") && is_name(&step[..step.len() - 2]) {
        -0.25
    } else if is_name(step) || step.starts_with("processing-instruction(") {
        0.0
    } else {
        0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_priorities() {
        assert_eq!(default_priority("content"), 0.0);
        assert_eq!(default_priority("@name"), 0.0);
        assert_eq!(default_priority("x:*"), -0.25);
        assert_eq!(default_priority("node()"), -0.5);
        assert_eq!(default_priority("@*"), -0.5);
        assert_eq!(default_priority("a/b"), 0.5);
        assert_eq!(default_priority("*[boolean(@x)]"), 0.5);
        assert_eq!(default_priority("/"), 0.5);
    }

    #[test]
    fn splits_alternatives_at_the_top_level() {
        assert_eq!(split_alternatives("node()|@*"), ["node()", "@*"]);
        assert_eq!(split_alternatives("a[b|c] | 'x|y'"), ["a[b|c]", "'x|y'"]);
    }
}
