//! What a compiled expression refers to, for static analysis before it is ever evaluated:
//! the extension functions it calls and with which literal arguments, the variables it
//! reads, and whether it reads the context node. The WS-BPEL compiler uses these to apply
//! the specification's rules on expressions (no context node in expressions, no WS-BPEL
//! functions in join conditions, literal arguments of `bpel:getVariableProperty` and
//! `bpel:doXslTransform`).

use super::ast::Expr;
use super::XPath;
use crate::xml::QName;

/// One argument of a function call as far as static analysis can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Argument {
    /// A string literal.
    Literal(String),
    /// Anything else: its value is known only when evaluated.
    Computed,
}

impl XPath {
    /// Every call of an extension function (one outside the XPath function library), in
    /// source order, with its arguments.
    pub fn extension_calls(&self) -> Vec<(QName, Vec<Argument>)> {
        let mut found = Vec::new();
        self.expr.walk(&mut |expr| {
            if let Expr::Extension(called, args) = expr {
                let arguments = args
                    .iter()
                    .map(|arg| match arg {
                        Expr::Literal(text) => Argument::Literal(text.clone()),
                        _ => Argument::Computed,
                    })
                    .collect();
                found.push((called.clone(), arguments));
            }
        });
        found
    }

    /// The names of the variables the expression reads, in source order.
    pub fn variable_references(&self) -> Vec<QName> {
        let mut found = Vec::new();
        self.expr.walk(&mut |expr| {
            if let Expr::Variable(name) = expr {
                found.push(name.clone());
            }
        });
        found
    }

    /// True when the expression is a variable reference alone (`$name`).
    pub fn is_variable_reference(&self) -> bool {
        matches!(&*self.expr, Expr::Variable(_))
    }

    /// True when the expression contains a location path evaluated from the context node
    /// or its root, outside predicates (whose context is the node being filtered).
    pub fn reads_context_node(&self) -> bool {
        reads_context(&self.expr)
    }
}

fn reads_context(expr: &Expr) -> bool {
    match expr {
        Expr::Path { .. } => true,
        Expr::Or(a, b)
        | Expr::And(a, b)
        | Expr::Compare(_, a, b)
        | Expr::ValueCompare(_, a, b)
        | Expr::Arithmetic(_, a, b)
        | Expr::Union(a, b) => reads_context(a) || reads_context(b),
        Expr::Negate(a) | Expr::InstanceOf(a, _) => reads_context(a),
        Expr::Cast { operand, .. } => reads_context(operand),
        Expr::If(c, a, b) => reads_context(c) || reads_context(a) || reads_context(b),
        Expr::Quantified {
            bindings,
            condition,
            ..
        } => bindings.iter().any(|(_, e)| reads_context(e)) || reads_context(condition),
        Expr::Builtin(_, args) | Expr::Extension(_, args) => args.iter().any(reads_context),
        Expr::Filter { primary, .. } => reads_context(primary),
        Expr::Literal(_) | Expr::Number(_) | Expr::Variable(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn compile(source: &str) -> XPath {
        let namespaces = BTreeMap::from([("b".to_owned(), "urn:b".to_owned())]);
        XPath::compile(source, &namespaces).expect("a valid expression")
    }

    #[test]
    fn extension_calls_list_literal_and_computed_arguments() {
        let calls = compile("b:f('x', $v) + count(b:g())").extension_calls();
        assert_eq!(
            calls,
            [
                (
                    QName::new("urn:b", "f"),
                    vec![Argument::Literal("x".into()), Argument::Computed]
                ),
                (QName::new("urn:b", "g"), vec![]),
            ]
        );
    }

    #[test]
    fn variables_are_listed() {
        let names = compile("$a/x[$b] = $c").variable_references();
        let locals: Vec<_> = names.iter().map(|name| name.local.as_str()).collect();
        assert_eq!(locals, ["a", "b", "c"]);
    }

    #[test]
    fn only_paths_outside_predicates_read_the_context_node() {
        assert!(compile("count(item) > 1").reads_context_node());
        assert!(compile("/root").reads_context_node());
        assert!(!compile("$v/item[name = 'x']").reads_context_node());
        assert!(!compile("concat($a, 'b')").reads_context_node());
    }
}
