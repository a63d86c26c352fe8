//! The evaluator: walks a compiled [`Expr`] against a [`Context`] and a focus (context node,
//! position and size), implementing location steps over all axes, predicates, and the
//! XPath 1.0 comparison rules of §3.4, and the XPath 2.0 expressions of the AST (value
//! comparisons, conditionals, quantifiers, casts, date/duration arithmetic). Every expression
//! evaluated and every node an axis visits is charged to the running step's budget
//! ([`crate::budget`]); past it, evaluation fails with [`Error::Budget`].

use std::cell::RefCell;
use std::cmp::Ordering;

use crate::budget;
use crate::xml::{NodeKind, QName};

use super::ast::{ArithOp, Axis, CompareOp, Expr, NodeTest, Step};
use super::functions;
use super::temporal::Temporal;
use super::value::{sort_document_order, Node, Value};
use super::{Context, Error};

/// The dynamic focus of an evaluation.
#[derive(Clone, Copy)]
pub(super) struct Focus<'a> {
    pub(super) node: Option<Node<'a>>,
    pub(super) position: usize,
    pub(super) size: usize,
}

impl<'a> Focus<'a> {
    pub(super) fn context_node(&self, what: &str) -> Result<Node<'a>, Error> {
        self.node
            .ok_or_else(|| Error::Type(format!("{what} needs a context node, and there is none")))
    }
}

pub(super) struct Evaluator<'c, 'a> {
    ctx: &'c dyn Context<'a>,
    /// Range variables bound by `some`/`every`, innermost last.
    locals: RefCell<Vec<(QName, Value<'a>)>>,
}

impl<'c, 'a> Evaluator<'c, 'a> {
    pub(super) fn new(ctx: &'c dyn Context<'a>) -> Self {
        Evaluator {
            ctx,
            locals: RefCell::new(Vec::new()),
        }
    }

    fn variable(&self, name: &QName) -> Result<Value<'a>, Error> {
        let locals = self.locals.borrow();
        match locals.iter().rev().find(|(n, _)| n == name) {
            Some((_, value)) => Ok(value.clone()),
            None => Ok(normalize(self.ctx.variable(name)?)),
        }
    }

    /// `some`/`every`: tries every combination of the bindings' items.
    fn quantified(
        &self,
        every: bool,
        bindings: &[(QName, Expr)],
        condition: &Expr,
        focus: &Focus<'a>,
    ) -> Result<bool, Error> {
        let Some(((name, domain), rest)) = bindings.split_first() else {
            return Ok(self.eval(condition, focus)?.to_boolean());
        };
        let items = match self.eval(domain, focus)? {
            Value::NodeSet(nodes) => nodes.into_iter().map(|n| Value::NodeSet(vec![n])).collect(),
            atomic => vec![atomic],
        };
        for item in items {
            self.locals.borrow_mut().push((name.clone(), item));
            let result = self.quantified(every, rest, condition, focus);
            self.locals.borrow_mut().pop();
            if result? != every {
                return Ok(!every);
            }
        }
        Ok(every)
    }

    fn arithmetic(&self, op: ArithOp, x: Value<'a>, y: Value<'a>) -> Result<Value<'a>, Error> {
        if matches!(x, Value::Temporal(_)) || matches!(y, Value::Temporal(_)) {
            let (a, b) = (temporal_operand(&x)?, temporal_operand(&y)?);
            let sum = match op {
                ArithOp::Add => a.add(b, false),
                ArithOp::Sub => a.add(b, true),
                _ => None,
            };
            return sum.map(Value::Temporal).ok_or_else(|| {
                Error::Type(format!(
                    "no arithmetic between {} and {}",
                    a.type_name(),
                    b.type_name()
                ))
            });
        }
        let (x, y) = (x.to_number(), y.to_number());
        Ok(Value::Number(match op {
            ArithOp::Add => x + y,
            ArithOp::Sub => x - y,
            ArithOp::Mul => x * y,
            ArithOp::Div => x / y,
            ArithOp::Mod => x % y,
            ArithOp::IntegerDiv => {
                if y == 0.0 {
                    return Err(Error::Type("integer division by zero".into()));
                }
                (x / y).trunc()
            }
        }))
    }

    /// An XPath 2.0 value comparison: both operands atomized to at most one item; an empty
    /// operand makes the comparison false.
    fn value_compare(
        &self,
        op: CompareOp,
        a: &Expr,
        b: &Expr,
        focus: &Focus<'a>,
    ) -> Result<bool, Error> {
        let (Some(x), Some(y)) = (
            atomize_single(self.eval(a, focus)?)?,
            atomize_single(self.eval(b, focus)?)?,
        ) else {
            return Ok(false);
        };
        let ordering = match (&x, &y) {
            (Value::Temporal(_), _) | (_, Value::Temporal(_)) => {
                temporal_operand(&x)?.compare(&temporal_operand(&y)?)
            }
            (Value::Number(_), _) | (_, Value::Number(_)) => {
                x.to_number().partial_cmp(&y.to_number())
            }
            (Value::Boolean(_), _) | (_, Value::Boolean(_)) => {
                Some(x.to_boolean().cmp(&y.to_boolean()))
            }
            _ => Some(x.to_xpath_string().cmp(&y.to_xpath_string())),
        };
        Ok(ordering_satisfies(op, ordering))
    }

    pub(super) fn eval(&self, expr: &Expr, focus: &Focus<'a>) -> Result<Value<'a>, Error> {
        budget::charge_evaluation(1)?;
        Ok(match expr {
            Expr::Or(a, b) => Value::Boolean(
                self.eval(a, focus)?.to_boolean() || self.eval(b, focus)?.to_boolean(),
            ),
            Expr::And(a, b) => Value::Boolean(
                self.eval(a, focus)?.to_boolean() && self.eval(b, focus)?.to_boolean(),
            ),
            Expr::Compare(op, a, b) => {
                Value::Boolean(compare(*op, &self.eval(a, focus)?, &self.eval(b, focus)?))
            }
            Expr::Arithmetic(op, a, b) => {
                self.arithmetic(*op, self.eval(a, focus)?, self.eval(b, focus)?)?
            }
            Expr::ValueCompare(op, a, b) => Value::Boolean(self.value_compare(*op, a, b, focus)?),
            Expr::If(condition, then, otherwise) => {
                if self.eval(condition, focus)?.to_boolean() {
                    self.eval(then, focus)?
                } else {
                    self.eval(otherwise, focus)?
                }
            }
            Expr::Quantified {
                every,
                bindings,
                condition,
            } => Value::Boolean(self.quantified(*every, bindings, condition, focus)?),
            Expr::Cast {
                operand,
                target,
                optional,
                test_only,
            } => {
                let value = atomize_single(self.eval(operand, focus)?)?;
                let cast = match &value {
                    Some(v) => target.cast(v),
                    None if *optional => Some(Value::NodeSet(Vec::new())),
                    None => None,
                };
                match (cast, test_only) {
                    (cast, true) => Value::Boolean(cast.is_some()),
                    (Some(v), false) => v,
                    (None, false) => {
                        return Err(Error::Type(format!(
                            "cannot cast '{}' to {target:?}",
                            value.map(|v| v.to_xpath_string()).unwrap_or_default()
                        )))
                    }
                }
            }
            Expr::InstanceOf(operand, ty) => {
                Value::Boolean(ty.matches(&self.eval(operand, focus)?))
            }
            Expr::Negate(a) => Value::Number(-self.eval(a, focus)?.to_number()),
            Expr::Union(a, b) => {
                let mut nodes = self.node_set(a, focus, "the operands of '|'")?;
                nodes.extend(self.node_set(b, focus, "the operands of '|'")?);
                Value::node_set(nodes)
            }
            Expr::Literal(s) => Value::String(s.clone()),
            Expr::Number(n) => Value::Number(*n),
            Expr::Variable(name) => self.variable(name)?,
            Expr::Builtin(builtin, args) => {
                let args = self.eval_args(args, focus)?;
                functions::call(*builtin, args, focus)?
            }
            Expr::Extension(name, args) => {
                let args = self.eval_args(args, focus)?;
                match self.ctx.function(name, &args) {
                    Some(result) => normalize(result?),
                    None => return Err(Error::UnknownFunction(name.clone())),
                }
            }
            Expr::Path { absolute, steps } => {
                let node = focus.context_node("a location path")?;
                let start = if *absolute {
                    Node::new(node.doc, node.doc.root())
                } else {
                    node
                };
                Value::NodeSet(self.steps(vec![start], steps)?)
            }
            Expr::Filter {
                primary,
                predicates,
                steps,
            } => {
                let mut nodes = self.node_set(primary, focus, "a predicate or path step")?;
                for predicate in predicates {
                    nodes = self.filter(nodes, predicate)?;
                }
                Value::NodeSet(self.steps(nodes, steps)?)
            }
        })
    }

    fn eval_args(&self, args: &[Expr], focus: &Focus<'a>) -> Result<Vec<Value<'a>>, Error> {
        args.iter().map(|a| self.eval(a, focus)).collect()
    }

    fn node_set(&self, expr: &Expr, focus: &Focus<'a>, what: &str) -> Result<Vec<Node<'a>>, Error> {
        match self.eval(expr, focus)? {
            Value::NodeSet(nodes) => Ok(nodes),
            other => Err(Error::Type(format!(
                "{what} must be a node-set, not a {}",
                other.type_name()
            ))),
        }
    }

    /// Keeps the nodes (in their current order) for which the predicate holds; a number
    /// predicate selects by position.
    fn filter(&self, nodes: Vec<Node<'a>>, predicate: &Expr) -> Result<Vec<Node<'a>>, Error> {
        let size = nodes.len();
        let mut kept = Vec::with_capacity(size);
        for (i, node) in nodes.into_iter().enumerate() {
            let focus = Focus {
                node: Some(node),
                position: i + 1,
                size,
            };
            let keep = match self.eval(predicate, &focus)? {
                Value::Number(n) => n == (i + 1) as f64,
                other => other.to_boolean(),
            };
            if keep {
                kept.push(node);
            }
        }
        Ok(kept)
    }

    fn steps(&self, mut nodes: Vec<Node<'a>>, steps: &[Step]) -> Result<Vec<Node<'a>>, Error> {
        for step in steps {
            let mut out = Vec::new();
            for node in &nodes {
                let (mut selected, visited) = axis(*node, step.axis, &step.test);
                budget::charge_evaluation(visited)?;
                for predicate in &step.predicates {
                    selected = self.filter(selected, predicate)?;
                }
                if step.axis.is_reverse() {
                    selected.reverse();
                }
                out.extend(selected);
            }
            if nodes.len() > 1 {
                sort_document_order(&mut out);
            }
            nodes = out;
        }
        Ok(nodes)
    }
}

/// The single item of a value: `None` for an empty node-set, the string-value of a single
/// node, an error for several nodes.
fn atomize_single(value: Value<'_>) -> Result<Option<Value<'_>>, Error> {
    match value {
        Value::NodeSet(nodes) => match nodes.as_slice() {
            [] => Ok(None),
            [node] => Ok(Some(Value::String(node.string_value()))),
            _ => Err(Error::Type(format!(
                "expected at most one item, got {} nodes",
                nodes.len()
            ))),
        },
        atomic => Ok(Some(atomic)),
    }
}

/// A date/time operand: typed already, or the lexical form of a node or string.
fn temporal_operand(value: &Value<'_>) -> Result<Temporal, Error> {
    match value {
        Value::Temporal(t) => Ok(*t),
        other => {
            let text = other.to_xpath_string();
            Temporal::guess(&text)
                .ok_or_else(|| Error::Type(format!("'{text}' is not a date, time or duration")))
        }
    }
}

fn ordering_satisfies(op: CompareOp, ordering: Option<Ordering>) -> bool {
    match (op, ordering) {
        (CompareOp::Ne, None) => true,
        (_, None) => false,
        (CompareOp::Eq, Some(o)) => o.is_eq(),
        (CompareOp::Ne, Some(o)) => o.is_ne(),
        (CompareOp::Lt, Some(o)) => o.is_lt(),
        (CompareOp::Le, Some(o)) => o.is_le(),
        (CompareOp::Gt, Some(o)) => o.is_gt(),
        (CompareOp::Ge, Some(o)) => o.is_ge(),
    }
}

/// Puts a node-set supplied by the context into document order without duplicates.
fn normalize(value: Value<'_>) -> Value<'_> {
    match value {
        Value::NodeSet(nodes) => Value::node_set(nodes),
        other => other,
    }
}

/// The nodes of `axis` from `node` that pass `test`, in axis order (reverse document order
/// for reverse axes).
/// The nodes of `axis` from `node` that pass `test`, and how many nodes the axis visited.
fn axis<'a>(node: Node<'a>, axis: Axis, test: &NodeTest) -> (Vec<Node<'a>>, u64) {
    let doc = node.doc;
    let id = node.id;
    let mut out = Vec::new();
    let mut visited = 0;
    let mut push = |n| {
        visited += 1;
        let candidate = Node::new(doc, n);
        if matches(candidate, axis, test) {
            out.push(candidate);
        }
    };
    match axis {
        Axis::Child => doc.children(id).for_each(push),
        Axis::Descendant => doc.descendants(id).for_each(push),
        Axis::DescendantOrSelf => {
            push(id);
            doc.descendants(id).for_each(push);
        }
        Axis::Parent => doc.parent(id).into_iter().for_each(push),
        Axis::Ancestor | Axis::AncestorOrSelf => {
            if axis == Axis::AncestorOrSelf {
                push(id);
            }
            let mut cur = doc.parent(id);
            while let Some(n) = cur {
                push(n);
                cur = doc.parent(n);
            }
        }
        Axis::FollowingSibling => {
            let mut cur = doc.next_sibling(id);
            while let Some(n) = cur {
                push(n);
                cur = doc.next_sibling(n);
            }
        }
        Axis::PrecedingSibling => {
            let mut cur = doc.prev_sibling(id);
            while let Some(n) = cur {
                push(n);
                cur = doc.prev_sibling(n);
            }
        }
        Axis::Following => {
            let mut cur = Some(id);
            if let Some((owner, _)) = doc.attribute_of(id) {
                doc.descendants(owner).for_each(&mut push);
                cur = Some(owner);
            }
            while let Some(n) = cur {
                let mut sib = doc.next_sibling(n);
                while let Some(s) = sib {
                    push(s);
                    doc.descendants(s).for_each(&mut push);
                    sib = doc.next_sibling(s);
                }
                cur = doc.parent(n);
            }
        }
        Axis::Preceding => {
            let mut cur = Some(doc.attribute_of(id).map_or(id, |(owner, _)| owner));
            while let Some(n) = cur {
                let mut sib = doc.prev_sibling(n);
                while let Some(s) = sib {
                    let subtree: Vec<_> = std::iter::once(s).chain(doc.descendants(s)).collect();
                    subtree.into_iter().rev().for_each(&mut push);
                    sib = doc.prev_sibling(s);
                }
                cur = doc.parent(n);
            }
        }
        Axis::Attribute => doc.attribute_nodes(id).for_each(push),
        Axis::Namespace => {}
        Axis::SelfNode => push(id),
    }
    (out, visited)
}

fn matches(node: Node<'_>, axis: Axis, test: &NodeTest) -> bool {
    let kind = node.doc.kind(node.id);
    let principal = match axis {
        Axis::Attribute => matches!(kind, NodeKind::Attribute),
        _ => matches!(kind, NodeKind::Element { .. }),
    };
    match test {
        NodeTest::Any => principal,
        NodeTest::Name(name) => principal && node.doc.name(node.id) == Some(name),
        NodeTest::Namespace(ns) => principal && node.doc.name(node.id).is_some_and(|n| n.ns == *ns),
        NodeTest::Node => true,
        NodeTest::Text => matches!(kind, NodeKind::Text(_)),
        NodeTest::Comment => matches!(kind, NodeKind::Comment(_)),
        NodeTest::ProcessingInstruction(wanted) => match kind {
            NodeKind::ProcessingInstruction { target, .. } => {
                wanted.as_ref().is_none_or(|w| w == target)
            }
            _ => false,
        },
    }
}

/// XPath 1.0 §3.4 comparison of two values.
pub(super) fn compare(op: CompareOp, a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::NodeSet(x), Value::NodeSet(y)) => {
            let ys: Vec<String> = y.iter().map(Node::string_value).collect();
            x.iter().any(|n| {
                let s = n.string_value();
                ys.iter().any(|t| compare_strings(op, &s, t))
            })
        }
        (Value::NodeSet(nodes), other) => compare_node_set(op, nodes, other, false),
        (other, Value::NodeSet(nodes)) => compare_node_set(op, nodes, other, true),
        _ => compare_atomic(op, a, b),
    }
}

/// Compares a node-set with a non-node-set value; `swapped` when the node-set is on the right.
fn compare_node_set(op: CompareOp, nodes: &[Node<'_>], other: &Value<'_>, swapped: bool) -> bool {
    if let Value::Boolean(_) = other {
        let set = Value::Boolean(!nodes.is_empty());
        return if swapped {
            compare_atomic(op, other, &set)
        } else {
            compare_atomic(op, &set, other)
        };
    }
    nodes.iter().any(|n| {
        let value = match other {
            Value::Number(_) => Value::Number(super::value::parse_number(&n.string_value())),
            _ => Value::String(n.string_value()),
        };
        if swapped {
            compare_atomic(op, other, &value)
        } else {
            compare_atomic(op, &value, other)
        }
    })
}

fn compare_strings(op: CompareOp, a: &str, b: &str) -> bool {
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Ne => a != b,
        _ => compare_numbers(
            op,
            super::value::parse_number(a),
            super::value::parse_number(b),
        ),
    }
}

fn compare_numbers(op: CompareOp, a: f64, b: f64) -> bool {
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Ne => a != b,
        CompareOp::Lt => a < b,
        CompareOp::Le => a <= b,
        CompareOp::Gt => a > b,
        CompareOp::Ge => a >= b,
    }
}

fn compare_atomic(op: CompareOp, a: &Value<'_>, b: &Value<'_>) -> bool {
    if matches!(a, Value::Temporal(_)) || matches!(b, Value::Temporal(_)) {
        let ordering = match (temporal_operand(a), temporal_operand(b)) {
            (Ok(x), Ok(y)) => x.compare(&y),
            _ => None,
        };
        return ordering_satisfies(op, ordering);
    }
    match op {
        CompareOp::Eq | CompareOp::Ne => {
            let equal = match (a, b) {
                (Value::Boolean(_), _) | (_, Value::Boolean(_)) => a.to_boolean() == b.to_boolean(),
                (Value::Number(_), _) | (_, Value::Number(_)) => a.to_number() == b.to_number(),
                _ => a.to_xpath_string() == b.to_xpath_string(),
            };
            equal == (op == CompareOp::Eq)
        }
        _ => compare_numbers(op, a.to_number(), b.to_number()),
    }
}
