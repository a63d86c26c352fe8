//! XPath 1.0, the default expression language of WS-BPEL 2.0.
//!
//! An expression is compiled once at deployment with [`XPath::compile`], which resolves every
//! prefix (name tests, variables, functions) through a [`NamespaceResolver`], and then
//! evaluated many times against a [`Context`] that supplies variables and extension
//! functions. Nodes are [`Node`]s of [`crate::xml::Document`]s; each BPEL variable is its own
//! document, so node-sets may span documents.
//!
//! Implemented: the full XPath 1.0 grammar, all axes, all core functions, the §3.4 comparison
//! and conversion rules, plus the XPath 2.0 functions BPEL processes commonly use (see
//! `xpath2.rs`). Expressions compiled as [`Language::XPath2`] also accept the 2.0 syntax
//! processes use: `if`/`then`/`else`, `some`/`every`, value comparisons, `idiv`, `cast as`,
//! `castable as`, `instance of` and `xs:*` constructors, with typed dates, times and durations
//! ([`Temporal`]) and their arithmetic; 2.0 sequences of atomic values are not modelled
//! (`,` sequences, `to`, `for`). BPEL's `$variable.part` syntax lexes as a single variable whose local name
//! contains the dot; the context splits it.
//!
//! Limitations:
//! * The namespace axis always selects nothing (namespace nodes are not modelled), and `id()`
//!   always returns an empty node-set (there are no DTDs, hence no ID attributes).
//! * Values borrow the documents they point into, so an extension function can only return
//!   nodes of documents that outlive the evaluation: documents it builds go into a
//!   [`ResultTrees`] arena owned by the caller of the evaluation.

mod ast;
mod eval;
mod functions;
mod inspect;
mod lexer;
mod named_path;
mod parser;
mod result_trees;
mod temporal;
mod types;
mod value;
mod xpath2;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests2;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use crate::xml::{Document, NodeId, QName};

pub use functions::FN_NS;
pub use inspect::Argument;
pub use named_path::{NamedPath, NamedStep, PathStart};
pub use result_trees::ResultTrees;
pub use temporal::{Duration, Moment, Temporal, TemporalType};
pub use types::XS_NS;
pub use value::{format_number, parse_number, Node, Value};

/// The language an expression is written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Language {
    /// XPath 1.0: BPEL's default.
    #[default]
    XPath1,
    /// XPath 2.0 (`urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0`), as far as described above.
    XPath2,
}

impl Language {
    /// The language a BPEL expression-language URI names; unknown URIs read as XPath 1.0.
    pub fn from_uri(uri: &str) -> Language {
        if uri == "urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0" {
            Language::XPath2
        } else {
            Language::XPath1
        }
    }
}

/// Why an expression could not be compiled or evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The expression is not valid XPath; `position` is a byte offset into the source.
    #[error("XPath syntax error at offset {position}: {message}")]
    Syntax {
        /// Byte offset of the offending token.
        position: usize,
        /// What is wrong.
        message: String,
    },
    /// A prefix with no namespace binding.
    #[error("XPath namespace prefix '{0}' is not declared")]
    UnknownPrefix(String),
    /// A function that is neither built in nor provided by the context.
    #[error("unknown XPath function {0}")]
    UnknownFunction(QName),
    /// A variable the context does not know.
    #[error("unknown XPath variable ${0}")]
    UnknownVariable(QName),
    /// A function called with the wrong number or kind of arguments.
    #[error("wrong arguments to XPath function {function}(): {message}")]
    WrongArguments {
        /// Function name.
        function: String,
        /// What is wrong.
        message: String,
    },
    /// A value of the wrong type, such as a path step over a string.
    #[error("XPath type error: {0}")]
    Type(String),
    /// An error raised by a context-provided function or variable lookup.
    #[error("{0}")]
    Extension(String),
    /// The step evaluating the expression exceeded its budget (see [`crate::budget`]).
    #[error(transparent)]
    Budget(#[from] crate::budget::Exceeded),
}

/// Resolves namespace prefixes at compile time.
pub trait NamespaceResolver {
    /// The namespace URI bound to `prefix`, if any.
    fn resolve(&self, prefix: &str) -> Option<String>;
}

impl NamespaceResolver for HashMap<String, String> {
    fn resolve(&self, prefix: &str) -> Option<String> {
        self.get(prefix).cloned()
    }
}

impl NamespaceResolver for BTreeMap<String, String> {
    fn resolve(&self, prefix: &str) -> Option<String> {
        self.get(prefix).cloned()
    }
}

/// Resolves prefixes with the namespace declarations in scope at a node of a document, as
/// BPEL does for expressions written in a process definition.
#[derive(Clone, Copy, Debug)]
pub struct InScopeNamespaces<'d> {
    /// The document holding the node.
    pub doc: &'d Document,
    /// The node whose in-scope declarations apply.
    pub node: NodeId,
}

impl NamespaceResolver for InScopeNamespaces<'_> {
    fn resolve(&self, prefix: &str) -> Option<String> {
        self.doc
            .lookup_namespace(self.node, Some(prefix))
            .map(str::to_owned)
    }
}

/// The dynamic environment of an evaluation: variables and extension functions.
pub trait Context<'a> {
    /// The value of a variable. BPEL's `$var.part` arrives as local name `var.part`.
    fn variable(&self, name: &QName) -> Result<Value<'a>, Error>;

    /// Calls an extension function; `None` means the function is unknown.
    fn function(&self, name: &QName, args: &[Value<'a>]) -> Option<Result<Value<'a>, Error>> {
        let _ = (name, args);
        None
    }
}

/// A [`Context`] backed by a map of variables, without extension functions.
#[derive(Clone, Debug, Default)]
pub struct MapContext<'a> {
    /// Variable values by name.
    pub variables: HashMap<QName, Value<'a>>,
}

impl<'a> MapContext<'a> {
    /// An empty context.
    pub fn new() -> Self {
        MapContext::default()
    }

    /// Adds a variable in no namespace and returns the context, for chaining.
    pub fn with(mut self, name: &str, value: Value<'a>) -> Self {
        self.variables.insert(QName::local(name), value);
        self
    }
}

impl<'a> Context<'a> for MapContext<'a> {
    fn variable(&self, name: &QName) -> Result<Value<'a>, Error> {
        self.variables
            .get(name)
            .cloned()
            .ok_or_else(|| Error::UnknownVariable(name.clone()))
    }
}

/// A compiled XPath expression.
#[derive(Clone)]
pub struct XPath {
    source: Arc<str>,
    expr: Arc<ast::Expr>,
}

impl fmt::Debug for XPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("XPath").field(&self.source).finish()
    }
}

impl XPath {
    /// Compiles an XPath 1.0 expression, resolving prefixes through `namespaces`.
    pub fn compile(expr: &str, namespaces: &dyn NamespaceResolver) -> Result<XPath, Error> {
        XPath::compile_in(expr, namespaces, Language::XPath1)
    }

    /// Compiles an expression of `language`, resolving prefixes through `namespaces`.
    pub fn compile_in(
        expr: &str,
        namespaces: &dyn NamespaceResolver,
        language: Language,
    ) -> Result<XPath, Error> {
        let tokens = lexer::tokenize(expr, language)?;
        if tokens.is_empty() {
            return Err(Error::Syntax {
                position: 0,
                message: "empty expression".into(),
            });
        }
        let compiled = parser::parse(expr, tokens, namespaces, language)?;
        Ok(XPath {
            source: expr.into(),
            expr: Arc::new(compiled),
        })
    }

    /// This expression, an absolute location path read as if the context node were its
    /// document's element: `/a/b` becomes `self::a/b` and `//a/b` becomes
    /// `descendant-or-self::a/b`, so that it selects from the context node. ODE evaluates
    /// property alias queries so, against the part's element as a document of its own. Any
    /// other expression (and `//a[1]`, whose position means something else from there) is
    /// answered unchanged.
    pub fn rooted_at_context(self) -> XPath {
        let ast::Expr::Path {
            absolute: true,
            steps,
        } = &*self.expr
        else {
            return self;
        };
        let anywhere = |step: &ast::Step| {
            step.axis == ast::Axis::DescendantOrSelf
                && step.test == ast::NodeTest::Node
                && step.predicates.is_empty()
        };
        let (first, rest) = match steps.as_slice() {
            [first, rest @ ..] if first.axis == ast::Axis::Child => (
                ast::Step {
                    axis: ast::Axis::SelfNode,
                    ..first.clone()
                },
                rest,
            ),
            [any, first, rest @ ..]
                if anywhere(any)
                    && first.axis == ast::Axis::Child
                    && first.predicates.is_empty() =>
            {
                let first = ast::Step {
                    axis: ast::Axis::DescendantOrSelf,
                    ..first.clone()
                };
                (first, rest)
            }
            _ => return self,
        };
        let steps = std::iter::once(first).chain(rest.iter().cloned()).collect();
        XPath {
            source: self.source.clone(),
            expr: Arc::new(ast::Expr::Path {
                absolute: false,
                steps,
            }),
        }
    }

    /// This expression, an absolute location path starting with a child step, read from the
    /// context node instead of its root: `/a/b` becomes `a/b`. None for any other expression.
    /// ODE read some property alias queries so (`/corr` of the part's element's child).
    pub fn from_context(&self) -> Option<XPath> {
        let ast::Expr::Path {
            absolute: true,
            steps,
        } = &*self.expr
        else {
            return None;
        };
        let first = steps.first()?;
        (first.axis == ast::Axis::Child).then(|| XPath {
            source: self.source.clone(),
            expr: Arc::new(ast::Expr::Path {
                absolute: false,
                steps: steps.clone(),
            }),
        })
    }

    /// The source text of the expression.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// For each call of extension function `name` in the expression, its first argument
    /// when that is a string literal (`None` otherwise), in source order. BPEL uses this to
    /// find the stylesheets `bpel:doXslTransform` needs at deployment.
    pub fn literal_first_arguments(&self, name: &QName) -> Vec<Option<String>> {
        let mut found = Vec::new();
        self.expr.walk(&mut |expr| {
            if let ast::Expr::Extension(called, args) = expr {
                if called == name {
                    found.push(match args.first() {
                        Some(ast::Expr::Literal(text)) => Some(text.clone()),
                        _ => None,
                    });
                }
            }
        });
        found
    }

    /// Evaluates the expression with an optional context node (position and size 1).
    pub fn evaluate<'a>(
        &self,
        ctx: &dyn Context<'a>,
        context_node: Option<Node<'a>>,
    ) -> Result<Value<'a>, Error> {
        self.evaluate_at(ctx, context_node, 1, 1)
    }

    /// Evaluates the expression with a context node, position and size, as XSLT does
    /// inside `for-each` and `apply-templates`.
    pub fn evaluate_at<'a>(
        &self,
        ctx: &dyn Context<'a>,
        context_node: Option<Node<'a>>,
        position: usize,
        size: usize,
    ) -> Result<Value<'a>, Error> {
        let focus = eval::Focus {
            node: context_node,
            position,
            size,
        };
        eval::Evaluator::new(ctx).eval(&self.expr, &focus)
    }

    /// Evaluates and converts the result with `string()`.
    pub fn evaluate_string<'a>(
        &self,
        ctx: &dyn Context<'a>,
        context_node: Option<Node<'a>>,
    ) -> Result<String, Error> {
        Ok(self.evaluate(ctx, context_node)?.to_xpath_string())
    }

    /// Evaluates and converts the result with `number()`.
    pub fn evaluate_number<'a>(
        &self,
        ctx: &dyn Context<'a>,
        context_node: Option<Node<'a>>,
    ) -> Result<f64, Error> {
        Ok(self.evaluate(ctx, context_node)?.to_number())
    }

    /// Evaluates and converts the result with `boolean()`.
    pub fn evaluate_boolean<'a>(
        &self,
        ctx: &dyn Context<'a>,
        context_node: Option<Node<'a>>,
    ) -> Result<bool, Error> {
        Ok(self.evaluate(ctx, context_node)?.to_boolean())
    }

    /// Evaluates an expression that must produce a node-set.
    pub fn evaluate_nodes<'a>(
        &self,
        ctx: &dyn Context<'a>,
        context_node: Option<Node<'a>>,
    ) -> Result<Vec<Node<'a>>, Error> {
        match self.evaluate(ctx, context_node)? {
            Value::NodeSet(nodes) => Ok(nodes),
            other => Err(Error::Type(format!(
                "expression '{}' yields a {}, not a node-set",
                self.source,
                other.type_name()
            ))),
        }
    }
}
