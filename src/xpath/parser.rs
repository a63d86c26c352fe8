//! Recursive-descent parser from tokens to the compiled [`Expr`] tree, following the XPath 1.0
//! grammar and operator precedence, plus in XPath 2.0 mode the 2.0 constructs processes use:
//! `if`, `some`/`every`, value comparisons, `idiv`, `cast as`, `castable as`, `instance of`
//! and the `xs:type(value)` constructor functions. Prefixes are resolved here through the caller's
//! [`NamespaceResolver`], and core function calls are bound and arity-checked.

use crate::xml::{QName, XML_NS};

use super::ast::{ArithOp, Axis, CompareOp, Expr, NodeTest, Step};
use super::functions::Builtin;
use super::lexer::{Tok, Token};
use super::types::{ItemType, SequenceType, XsType, XS_NS};
use super::{Error, Language, NamespaceResolver};

/// Deepest nesting of sub-expressions accepted, to bound recursion.
const MAX_NESTING: usize = 64;

pub(super) fn parse(
    source: &str,
    tokens: Vec<Token>,
    namespaces: &dyn NamespaceResolver,
    language: Language,
) -> Result<Expr, Error> {
    let mut parser = Parser {
        source_len: source.len(),
        tokens,
        pos: 0,
        namespaces,
        depth: 0,
        language,
    };
    let expr = parser.expr()?;
    match parser.peek() {
        None => Ok(expr),
        Some(_) => Err(parser.error("unexpected token after the end of the expression")),
    }
}

struct Parser<'r> {
    source_len: usize,
    tokens: Vec<Token>,
    pos: usize,
    namespaces: &'r dyn NamespaceResolver,
    depth: usize,
    language: Language,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.kind)
    }

    fn peek_at(&self, offset: usize) -> Option<&Tok> {
        self.tokens.get(self.pos + offset).map(|t| &t.kind)
    }

    fn advance(&mut self) -> Option<Tok> {
        let tok = self.tokens.get(self.pos).map(|t| t.kind.clone());
        self.pos += 1;
        tok
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::Syntax {
            position: self
                .tokens
                .get(self.pos)
                .map_or(self.source_len, |t| t.position),
            message: message.into(),
        }
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), Error> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.error(format!("expected {what}")))
        }
    }

    /// The namespace of a prefix; `xml` is bound even when the resolver does not know it.
    fn namespace(&self, prefix: String) -> Result<String, Error> {
        match self.namespaces.resolve(&prefix) {
            Some(ns) => Ok(ns),
            None if prefix == "xml" => Ok(XML_NS.to_owned()),
            None => Err(Error::UnknownPrefix(prefix)),
        }
    }

    fn resolve(&self, prefix: Option<String>, local: String) -> Result<QName, Error> {
        match prefix {
            None => Ok(QName::local(local)),
            Some(p) => Ok(QName::new(self.namespace(p)?, local)),
        }
    }

    fn expr(&mut self) -> Result<Expr, Error> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error("expression is nested too deeply"));
        }
        let result = self.expr_single();
        self.depth -= 1;
        result
    }

    fn xpath2(&self) -> bool {
        self.language == Language::XPath2
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if *w == word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<(), Error> {
        let found = match self.peek() {
            Some(Tok::Word(w)) => *w == word,
            Some(Tok::Name(None, local)) => local == word,
            _ => false,
        };
        if found {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected '{word}'")))
        }
    }

    /// XPath 2.0 ExprSingle: `if`, `some`, `every`, or an or-expression.
    fn expr_single(&mut self) -> Result<Expr, Error> {
        if self.xpath2() {
            match (self.peek(), self.peek_at(1)) {
                (Some(Tok::Name(None, w)), Some(Tok::LParen)) if w == "if" => {
                    self.pos += 2;
                    let condition = self.expr()?;
                    self.expect(&Tok::RParen, "')' after the if condition")?;
                    self.expect_word("then")?;
                    let then = self.expr()?;
                    self.expect_word("else")?;
                    let otherwise = self.expr()?;
                    return Ok(Expr::If(
                        Box::new(condition),
                        Box::new(then),
                        Box::new(otherwise),
                    ));
                }
                (Some(Tok::Name(None, w)), Some(Tok::Variable(..)))
                    if w == "some" || w == "every" =>
                {
                    let every = w == "every";
                    self.pos += 1;
                    let mut bindings = Vec::new();
                    loop {
                        let Some(Tok::Variable(prefix, local)) = self.advance() else {
                            self.pos -= 1;
                            return Err(self.error("expected a variable"));
                        };
                        let name = self.resolve(prefix, local)?;
                        self.expect_word("in")?;
                        bindings.push((name, self.expr()?));
                        if !self.eat(&Tok::Comma) {
                            break;
                        }
                    }
                    self.expect_word("satisfies")?;
                    let condition = self.expr()?;
                    return Ok(Expr::Quantified {
                        every,
                        bindings,
                        condition: Box::new(condition),
                    });
                }
                _ => {}
            }
        }
        self.or_expr()
    }

    fn or_expr(&mut self) -> Result<Expr, Error> {
        let mut left = self.and_expr()?;
        while self.eat(&Tok::Or) {
            left = Expr::Or(Box::new(left), Box::new(self.and_expr()?));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, Error> {
        let mut left = self.equality_expr()?;
        while self.eat(&Tok::And) {
            left = Expr::And(Box::new(left), Box::new(self.equality_expr()?));
        }
        Ok(left)
    }

    fn equality_expr(&mut self) -> Result<Expr, Error> {
        let mut left = self.relational_expr()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Eq) => CompareOp::Eq,
                Some(Tok::Ne) => CompareOp::Ne,
                _ => return Ok(left),
            };
            self.pos += 1;
            left = Expr::Compare(op, Box::new(left), Box::new(self.relational_expr()?));
        }
    }

    fn relational_expr(&mut self) -> Result<Expr, Error> {
        let mut left = self.additive_expr()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Lt) => CompareOp::Lt,
                Some(Tok::Le) => CompareOp::Le,
                Some(Tok::Gt) => CompareOp::Gt,
                Some(Tok::Ge) => CompareOp::Ge,
                Some(Tok::Word(word)) => match value_comparison(word) {
                    Some(op) => {
                        self.pos += 1;
                        let right = self.additive_expr()?;
                        left = Expr::ValueCompare(op, Box::new(left), Box::new(right));
                        continue;
                    }
                    None => return Ok(left),
                },
                _ => return Ok(left),
            };
            self.pos += 1;
            left = Expr::Compare(op, Box::new(left), Box::new(self.additive_expr()?));
        }
    }

    fn additive_expr(&mut self) -> Result<Expr, Error> {
        let mut left = self.multiplicative_expr()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Plus) => ArithOp::Add,
                Some(Tok::Minus) => ArithOp::Sub,
                _ => return Ok(left),
            };
            self.pos += 1;
            left = Expr::Arithmetic(op, Box::new(left), Box::new(self.multiplicative_expr()?));
        }
    }

    fn multiplicative_expr(&mut self) -> Result<Expr, Error> {
        let mut left = self.typed_expr()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Multiply) => ArithOp::Mul,
                Some(Tok::Div) => ArithOp::Div,
                Some(Tok::Mod) => ArithOp::Mod,
                Some(Tok::Word("idiv")) => ArithOp::IntegerDiv,
                _ => return Ok(left),
            };
            self.pos += 1;
            left = Expr::Arithmetic(op, Box::new(left), Box::new(self.typed_expr()?));
        }
    }

    fn unary_expr(&mut self) -> Result<Expr, Error> {
        if self.eat(&Tok::Minus) {
            self.depth += 1;
            if self.depth > MAX_NESTING {
                return Err(self.error("expression is nested too deeply"));
            }
            let operand = self.unary_expr();
            self.depth -= 1;
            return Ok(Expr::Negate(Box::new(operand?)));
        }
        self.union_expr()
    }

    /// A unary expression with the XPath 2.0 suffixes `cast as`, `castable as` and
    /// `instance of`, in that order of binding.
    fn typed_expr(&mut self) -> Result<Expr, Error> {
        let mut expr = self.unary_expr()?;
        for test_only in [false, true] {
            if self.eat_word(if test_only { "castable" } else { "cast" }) {
                self.expect_word("as")?;
                let (target, optional) = self.single_type()?;
                expr = Expr::Cast {
                    operand: Box::new(expr),
                    target,
                    optional,
                    test_only,
                };
            }
        }
        if self.eat_word("instance") {
            self.expect_word("of")?;
            expr = Expr::InstanceOf(Box::new(expr), self.sequence_type()?);
        }
        Ok(expr)
    }

    fn single_type(&mut self) -> Result<(XsType, bool), Error> {
        let Some(Tok::Name(prefix, local)) = self.advance() else {
            self.pos -= 1;
            return Err(self.error("expected an atomic type name"));
        };
        let name = self.resolve(prefix, local)?;
        let ty = atomic_type(&name).ok_or_else(|| {
            self.error(format!("unknown atomic type {{{}}}{}", name.ns, name.local))
        })?;
        Ok((ty, self.eat(&Tok::Question)))
    }

    fn sequence_type(&mut self) -> Result<SequenceType, Error> {
        let Some(Tok::Name(prefix, local)) = self.advance() else {
            self.pos -= 1;
            return Err(self.error("expected a sequence type"));
        };
        let item = if prefix.is_none() && self.eat(&Tok::LParen) {
            self.expect(&Tok::RParen, "')' in the kind test")?;
            match local.as_str() {
                "item" => ItemType::Item,
                "node" => ItemType::Node,
                "element" => ItemType::Element,
                "attribute" => ItemType::Attribute,
                "text" => ItemType::Text,
                other => return Err(self.error(format!("unsupported kind test {other}()"))),
            }
        } else {
            let name = self.resolve(prefix, local)?;
            ItemType::Atomic(atomic_type(&name).ok_or_else(|| {
                self.error(format!("unknown atomic type {{{}}}{}", name.ns, name.local))
            })?)
        };
        let (allows_empty, allows_many) = match self.peek() {
            Some(Tok::Question) => (true, false),
            Some(Tok::Multiply | Tok::Star) => (true, true),
            Some(Tok::Plus) => (false, true),
            _ => (false, false),
        };
        if allows_empty || allows_many {
            self.pos += 1;
        }
        Ok(SequenceType {
            item,
            allows_empty,
            allows_many,
        })
    }

    fn union_expr(&mut self) -> Result<Expr, Error> {
        let mut left = self.path_expr()?;
        while self.eat(&Tok::Pipe) {
            left = Expr::Union(Box::new(left), Box::new(self.path_expr()?));
        }
        Ok(left)
    }

    fn starts_filter_expr(&self) -> bool {
        match self.peek() {
            Some(Tok::Variable(..) | Tok::LParen | Tok::Literal(_) | Tok::Number(_)) => true,
            Some(Tok::Name(prefix, local)) => {
                self.peek_at(1) == Some(&Tok::LParen)
                    && (prefix.is_some() || node_type(local).is_none())
            }
            _ => false,
        }
    }

    fn path_expr(&mut self) -> Result<Expr, Error> {
        if !self.starts_filter_expr() {
            return self.location_path();
        }
        let primary = self.primary_expr()?;
        let predicates = self.predicates()?;
        let mut steps = Vec::new();
        match self.peek() {
            Some(Tok::Slash) => {
                self.pos += 1;
                self.relative_path(&mut steps)?;
            }
            Some(Tok::DoubleSlash) => {
                self.pos += 1;
                steps.push(descendant_or_self());
                self.relative_path(&mut steps)?;
            }
            _ => {}
        }
        if predicates.is_empty() && steps.is_empty() {
            return Ok(primary);
        }
        Ok(Expr::Filter {
            primary: Box::new(primary),
            predicates,
            steps,
        })
    }

    fn primary_expr(&mut self) -> Result<Expr, Error> {
        match self.advance() {
            Some(Tok::Variable(prefix, local)) => Ok(Expr::Variable(self.resolve(prefix, local)?)),
            Some(Tok::LParen) => {
                let inner = self.expr()?;
                self.expect(&Tok::RParen, "')'")?;
                Ok(inner)
            }
            Some(Tok::Literal(s)) => Ok(Expr::Literal(s)),
            Some(Tok::Number(n)) => Ok(Expr::Number(n)),
            Some(Tok::Name(prefix, local)) => self.function_call(prefix, local),
            _ => {
                self.pos -= 1;
                Err(self.error("expected an expression"))
            }
        }
    }

    fn function_call(&mut self, prefix: Option<String>, local: String) -> Result<Expr, Error> {
        let name = self.resolve(prefix, local)?;
        self.expect(&Tok::LParen, "'('")?;
        let mut args = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                args.push(self.expr()?);
                if self.eat(&Tok::RParen) {
                    break;
                }
                self.expect(&Tok::Comma, "',' or ')' in the argument list")?;
            }
        }
        if self.xpath2() && name.ns == XS_NS {
            let target = atomic_type(&name).ok_or_else(|| {
                self.error(format!("unknown constructor function xs:{}", name.local))
            })?;
            let [operand] = <[Expr; 1]>::try_from(args).map_err(|_| Error::WrongArguments {
                function: format!("xs:{}", name.local),
                message: "a constructor function takes one argument".into(),
            })?;
            return Ok(Expr::Cast {
                operand: Box::new(operand),
                target,
                optional: true,
                test_only: false,
            });
        }
        match Builtin::lookup(&name) {
            Some(builtin) => {
                builtin.check_arity(args.len())?;
                Ok(Expr::Builtin(builtin, args))
            }
            None => Ok(Expr::Extension(name, args)),
        }
    }

    fn predicates(&mut self) -> Result<Vec<Expr>, Error> {
        let mut predicates = Vec::new();
        while self.eat(&Tok::LBracket) {
            predicates.push(self.expr()?);
            self.expect(&Tok::RBracket, "']'")?;
        }
        Ok(predicates)
    }

    fn location_path(&mut self) -> Result<Expr, Error> {
        let mut steps = Vec::new();
        let absolute = match self.peek() {
            Some(Tok::Slash) => {
                self.pos += 1;
                if self.starts_step() {
                    self.relative_path(&mut steps)?;
                }
                true
            }
            Some(Tok::DoubleSlash) => {
                self.pos += 1;
                steps.push(descendant_or_self());
                self.relative_path(&mut steps)?;
                true
            }
            _ => {
                self.relative_path(&mut steps)?;
                false
            }
        };
        Ok(Expr::Path { absolute, steps })
    }

    fn starts_step(&self) -> bool {
        matches!(
            self.peek(),
            Some(
                Tok::Name(..)
                    | Tok::Star
                    | Tok::PrefixWildcard(_)
                    | Tok::At
                    | Tok::Dot
                    | Tok::DotDot
            )
        )
    }

    fn relative_path(&mut self, steps: &mut Vec<Step>) -> Result<(), Error> {
        loop {
            steps.push(self.step()?);
            match self.peek() {
                Some(Tok::Slash) => self.pos += 1,
                Some(Tok::DoubleSlash) => {
                    self.pos += 1;
                    steps.push(descendant_or_self());
                }
                _ => return Ok(()),
            }
        }
    }

    fn step(&mut self) -> Result<Step, Error> {
        if self.eat(&Tok::Dot) {
            return Ok(simple_step(Axis::SelfNode));
        }
        if self.eat(&Tok::DotDot) {
            return Ok(simple_step(Axis::Parent));
        }
        let axis = if self.eat(&Tok::At) {
            Axis::Attribute
        } else if let (Some(Tok::Name(None, name)), Some(Tok::ColonColon)) =
            (self.peek(), self.peek_at(1))
        {
            let axis = Axis::from_name(name)
                .ok_or_else(|| self.error(format!("unknown axis '{name}'")))?;
            self.pos += 2;
            axis
        } else {
            Axis::Child
        };
        let test = self.node_test()?;
        let predicates = self.predicates()?;
        Ok(Step {
            axis,
            test,
            predicates,
        })
    }

    fn node_test(&mut self) -> Result<NodeTest, Error> {
        match self.advance() {
            Some(Tok::Star) => Ok(NodeTest::Any),
            Some(Tok::PrefixWildcard(prefix)) => Ok(NodeTest::Namespace(self.namespace(prefix)?)),
            Some(Tok::Name(None, local))
                if self.peek() == Some(&Tok::LParen) && node_type(&local).is_some() =>
            {
                self.pos += 1;
                let test = match node_type(&local).expect("checked above") {
                    NodeTest::ProcessingInstruction(_) => match self.peek() {
                        Some(Tok::Literal(target)) => {
                            let target = target.clone();
                            self.pos += 1;
                            NodeTest::ProcessingInstruction(Some(target))
                        }
                        _ => NodeTest::ProcessingInstruction(None),
                    },
                    other => other,
                };
                self.expect(&Tok::RParen, "')' after the node type test")?;
                Ok(test)
            }
            Some(Tok::Name(prefix, local)) => Ok(NodeTest::Name(self.resolve(prefix, local)?)),
            _ => {
                self.pos -= 1;
                Err(self.error("expected a location step"))
            }
        }
    }
}

fn value_comparison(word: &str) -> Option<CompareOp> {
    Some(match word {
        "eq" => CompareOp::Eq,
        "ne" => CompareOp::Ne,
        "lt" => CompareOp::Lt,
        "le" => CompareOp::Le,
        "gt" => CompareOp::Gt,
        "ge" => CompareOp::Ge,
        _ => return None,
    })
}

fn atomic_type(name: &QName) -> Option<XsType> {
    (name.ns == XS_NS)
        .then(|| XsType::by_local_name(&name.local))
        .flatten()
}

fn node_type(name: &str) -> Option<NodeTest> {
    Some(match name {
        "node" => NodeTest::Node,
        "text" => NodeTest::Text,
        "comment" => NodeTest::Comment,
        "processing-instruction" => NodeTest::ProcessingInstruction(None),
        _ => return None,
    })
}

fn simple_step(axis: Axis) -> Step {
    Step {
        axis,
        test: NodeTest::Node,
        predicates: Vec::new(),
    }
}

fn descendant_or_self() -> Step {
    simple_step(Axis::DescendantOrSelf)
}
