//! The compiled form of an expression: names are already resolved to namespace URIs and
//! core function calls to [`Builtin`]s, so evaluation never consults prefixes.

use crate::xml::QName;

use super::functions::Builtin;
use super::types::{SequenceType, XsType};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Compare(CompareOp, Box<Expr>, Box<Expr>),
    Arithmetic(ArithOp, Box<Expr>, Box<Expr>),
    Negate(Box<Expr>),
    Union(Box<Expr>, Box<Expr>),
    Literal(String),
    Number(f64),
    Variable(QName),
    Builtin(Builtin, Vec<Expr>),
    Extension(QName, Vec<Expr>),
    /// A location path, from the context node or (absolute) from its root.
    Path {
        absolute: bool,
        steps: Vec<Step>,
    },
    /// XPath 2.0 value comparison (`eq`, `ne`, `lt`, `le`, `gt`, `ge`).
    ValueCompare(CompareOp, Box<Expr>, Box<Expr>),
    /// XPath 2.0 `if (c) then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// XPath 2.0 `some`/`every $v in s, … satisfies c`.
    Quantified {
        every: bool,
        bindings: Vec<(QName, Expr)>,
        condition: Box<Expr>,
    },
    /// XPath 2.0 `cast as`, `castable as` and the `xs:type(value)` constructor functions.
    Cast {
        operand: Box<Expr>,
        target: XsType,
        optional: bool,
        test_only: bool,
    },
    /// XPath 2.0 `instance of`.
    InstanceOf(Box<Expr>, SequenceType),
    /// A primary expression with predicates, optionally followed by a relative path.
    Filter {
        primary: Box<Expr>,
        predicates: Vec<Expr>,
        steps: Vec<Step>,
    },
}

impl Expr {
    /// Calls `visit` on this expression and every sub-expression, predicates included.
    pub(super) fn walk(&self, visit: &mut dyn FnMut(&Expr)) {
        visit(self);
        let steps_predicates = |steps: &[Step], visit: &mut dyn FnMut(&Expr)| {
            for step in steps {
                step.predicates.iter().for_each(|p| p.walk(visit));
            }
        };
        match self {
            Expr::Or(a, b)
            | Expr::And(a, b)
            | Expr::Compare(_, a, b)
            | Expr::ValueCompare(_, a, b)
            | Expr::Arithmetic(_, a, b)
            | Expr::Union(a, b) => {
                a.walk(visit);
                b.walk(visit);
            }
            Expr::Negate(a) | Expr::InstanceOf(a, _) => a.walk(visit),
            Expr::Cast { operand, .. } => operand.walk(visit),
            Expr::If(c, a, b) => {
                c.walk(visit);
                a.walk(visit);
                b.walk(visit);
            }
            Expr::Quantified {
                bindings,
                condition,
                ..
            } => {
                bindings.iter().for_each(|(_, e)| e.walk(visit));
                condition.walk(visit);
            }
            Expr::Builtin(_, args) | Expr::Extension(_, args) => {
                args.iter().for_each(|a| a.walk(visit))
            }
            Expr::Path { steps, .. } => steps_predicates(steps, visit),
            Expr::Filter {
                primary,
                predicates,
                steps,
            } => {
                primary.walk(visit);
                predicates.iter().for_each(|p| p.walk(visit));
                steps_predicates(steps, visit);
            }
            Expr::Literal(_) | Expr::Number(_) | Expr::Variable(_) => {}
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    IntegerDiv,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Step {
    pub(super) axis: Axis,
    pub(super) test: NodeTest,
    pub(super) predicates: Vec<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Axis {
    Ancestor,
    AncestorOrSelf,
    Attribute,
    Child,
    Descendant,
    DescendantOrSelf,
    Following,
    FollowingSibling,
    Namespace,
    Parent,
    Preceding,
    PrecedingSibling,
    SelfNode,
}

impl Axis {
    pub(super) fn from_name(name: &str) -> Option<Axis> {
        Some(match name {
            "ancestor" => Axis::Ancestor,
            "ancestor-or-self" => Axis::AncestorOrSelf,
            "attribute" => Axis::Attribute,
            "child" => Axis::Child,
            "descendant" => Axis::Descendant,
            "descendant-or-self" => Axis::DescendantOrSelf,
            "following" => Axis::Following,
            "following-sibling" => Axis::FollowingSibling,
            "namespace" => Axis::Namespace,
            "parent" => Axis::Parent,
            "preceding" => Axis::Preceding,
            "preceding-sibling" => Axis::PrecedingSibling,
            "self" => Axis::SelfNode,
            _ => return None,
        })
    }

    /// Reverse axes number their nodes in reverse document order for predicates.
    pub(super) fn is_reverse(self) -> bool {
        matches!(
            self,
            Axis::Ancestor | Axis::AncestorOrSelf | Axis::Preceding | Axis::PrecedingSibling
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum NodeTest {
    /// `*`: any node of the axis's principal type.
    Any,
    /// `prefix:*`, resolved to its namespace URI.
    Namespace(String),
    /// A (resolved) name of the principal node type.
    Name(QName),
    /// `node()`.
    Node,
    /// `text()`.
    Text,
    /// `comment()`.
    Comment,
    /// `processing-instruction()` with an optional target literal.
    ProcessingInstruction(Option<String>),
}
