//! The shape of a location path whose leading steps each name one child element or one
//! attribute: what a process may ask the engine to create when such a path selects nothing
//! (ODE's `insertMissingToData`). See [`XPath::named_path`].

use crate::xml::QName;

use super::ast::{Axis, Expr, NodeTest, Step};
use super::XPath;

/// Where a location path starts.
#[derive(Debug, Clone, PartialEq)]
pub enum PathStart {
    /// A relative path: the context node.
    Context,
    /// An absolute path: the root of the context node's tree.
    Root,
    /// `$name/…`.
    Variable(QName),
}

/// One step that names exactly what it selects.
#[derive(Debug, Clone, PartialEq)]
pub enum NamedStep {
    /// `name` or `child::name`, without predicates.
    Element(QName),
    /// `@name` or `attribute::name`, without predicates.
    Attribute(QName),
}

/// A location path's start and its leading named steps; the steps after the first one that
/// is not a [`NamedStep`] (a predicate, another axis, a wildcard) are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPath {
    pub start: PathStart,
    pub steps: Vec<NamedStep>,
}

impl XPath {
    /// The expression as a [`NamedPath`], when it is a location path or a variable reference
    /// followed by one.
    pub fn named_path(&self) -> Option<NamedPath> {
        let (start, steps) = match &*self.expr {
            Expr::Path { absolute, steps } => {
                let start = if *absolute {
                    PathStart::Root
                } else {
                    PathStart::Context
                };
                (start, steps.as_slice())
            }
            Expr::Filter {
                primary,
                predicates,
                steps,
            } if predicates.is_empty() => match &**primary {
                Expr::Variable(name) => (PathStart::Variable(name.clone()), steps.as_slice()),
                _ => return None,
            },
            Expr::Variable(name) => (PathStart::Variable(name.clone()), &[][..]),
            _ => return None,
        };
        Some(NamedPath {
            start,
            steps: named_steps(steps),
        })
    }
}

fn named_steps(steps: &[Step]) -> Vec<NamedStep> {
    let mut named = Vec::new();
    for step in steps {
        let NodeTest::Name(name) = &step.test else {
            break;
        };
        if !step.predicates.is_empty() {
            break;
        }
        match step.axis {
            Axis::Child => named.push(NamedStep::Element(name.clone())),
            Axis::Attribute => {
                named.push(NamedStep::Attribute(name.clone()));
                break;
            }
            _ => break,
        }
    }
    named
}
