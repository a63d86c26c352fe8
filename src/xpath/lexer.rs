//! Tokenizer for XPath 1.0 expressions, including the spec's lexical disambiguation rules
//! (§3.7): whether `*` and `and`/`or`/`mod`/`div` are operators or names depends on the
//! preceding token.
//!
//! In XPath 2.0 mode the operator words of 2.0 (`eq`, `idiv`, `then`, `instance`, …) are
//! read the same way, `?` is a token (occurrence indicators) and `(: comments :)` are skipped.
//!
//! Names follow XPath's QName grammar, where NCNames may contain `.` and `-`; BPEL relies on
//! this for `$variable.part` references, which lex as a single variable name.

use super::{Error, Language};

/// A token and the byte offset where it starts.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    pub(super) kind: Tok,
    pub(super) position: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Slash,
    DoubleSlash,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    DotDot,
    At,
    Comma,
    ColonColon,
    Pipe,
    Plus,
    Minus,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `*` as a name test.
    Star,
    /// `*` as the multiplication operator.
    Multiply,
    And,
    Or,
    Mod,
    Div,
    Literal(String),
    Number(f64),
    /// `$prefix:local`.
    Variable(Option<String>, String),
    /// `prefix:local` or `local`: a name test, function name, node type or axis name.
    Name(Option<String>, String),
    /// `prefix:*`.
    PrefixWildcard(String),
    /// An XPath 2.0 operator word in operator position (`eq`, `then`, `instance`, …).
    Word(&'static str),
    /// `?` (XPath 2.0 occurrence indicator).
    Question,
}

/// XPath 2.0 words that are operators when they follow an operand.
const WORDS_2_0: &[&str] = &[
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "idiv",
    "to",
    "then",
    "else",
    "return",
    "satisfies",
    "in",
    "instance",
    "cast",
    "castable",
    "treat",
    "intersect",
    "except",
    "union",
];

impl Tok {
    /// True when a following `*` or operator name must be read as an operator.
    fn ends_operand(&self) -> bool {
        !matches!(
            self,
            Tok::At
                | Tok::ColonColon
                | Tok::LParen
                | Tok::LBracket
                | Tok::Comma
                | Tok::Slash
                | Tok::DoubleSlash
                | Tok::Pipe
                | Tok::Plus
                | Tok::Minus
                | Tok::Eq
                | Tok::Ne
                | Tok::Lt
                | Tok::Le
                | Tok::Gt
                | Tok::Ge
                | Tok::Multiply
                | Tok::And
                | Tok::Or
                | Tok::Mod
                | Tok::Div
                | Tok::Word(_)
        )
    }
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || (!c.is_ascii() && !c.is_whitespace())
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '.' || c == '-'
}

/// Splits an expression into tokens.
pub(super) fn tokenize(src: &str, language: Language) -> Result<Vec<Token>, Error> {
    let mut tokens: Vec<Token> = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < src.len() {
        let c = src[i..].chars().next().expect("in bounds");
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if language == Language::XPath2 && src[i..].starts_with("(:") {
            i += comment_len(src, i)?;
            continue;
        }
        let start = i;
        let operator_context = tokens.last().is_some_and(|t| t.kind.ends_operand());
        let next = bytes.get(i + 1).copied();
        let (kind, len) = match c {
            '/' if next == Some(b'/') => (Tok::DoubleSlash, 2),
            '/' => (Tok::Slash, 1),
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            '.' if next == Some(b'.') => (Tok::DotDot, 2),
            '.' if next.is_some_and(|b| b.is_ascii_digit()) => number(src, i)?,
            '.' => (Tok::Dot, 1),
            '@' => (Tok::At, 1),
            ',' => (Tok::Comma, 1),
            ':' if next == Some(b':') => (Tok::ColonColon, 2),
            '|' => (Tok::Pipe, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '=' => (Tok::Eq, 1),
            '!' if next == Some(b'=') => (Tok::Ne, 2),
            '<' if next == Some(b'=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if next == Some(b'=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '?' if language == Language::XPath2 => (Tok::Question, 1),
            '*' if operator_context => (Tok::Multiply, 1),
            '*' => (Tok::Star, 1),
            '"' | '\'' => {
                let end = src[i + 1..].find(c).ok_or_else(|| Error::Syntax {
                    position: i,
                    message: "unterminated string literal".into(),
                })?;
                (Tok::Literal(src[i + 1..i + 1 + end].to_owned()), end + 2)
            }
            '0'..='9' => number(src, i)?,
            '$' => {
                let (prefix, local, len) = qname(src, i + 1).ok_or_else(|| Error::Syntax {
                    position: i,
                    message: "expected a variable name after '$'".into(),
                })?;
                (Tok::Variable(prefix, local), len + 1)
            }
            c if is_name_start(c) => name_token(src, i, operator_context, language),
            c => {
                return Err(Error::Syntax {
                    position: i,
                    message: format!("unexpected character '{c}'"),
                })
            }
        };
        tokens.push(Token {
            kind,
            position: start,
        });
        i += len;
    }
    Ok(tokens)
}

fn number(src: &str, start: usize) -> Result<(Tok, usize), Error> {
    let rest = &src[start..];
    let mut len = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    if rest[len..].starts_with('.') && !rest[len..].starts_with("..") {
        len += 1;
        len += rest[len..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len() - len);
    }
    let value = rest[..len].parse::<f64>().map_err(|_| Error::Syntax {
        position: start,
        message: format!("invalid number '{}'", &rest[..len]),
    })?;
    Ok((Tok::Number(value), len))
}

fn ncname_len(src: &str, start: usize) -> usize {
    let rest = &src[start..];
    match rest.chars().next() {
        Some(c) if is_name_start(c) => rest.find(|c| !is_name_char(c)).unwrap_or(rest.len()),
        _ => 0,
    }
}

/// Reads `prefix:local` or `local` at `start`: (prefix, local, length).
fn qname(src: &str, start: usize) -> Option<(Option<String>, String, usize)> {
    let first = ncname_len(src, start);
    if first == 0 {
        return None;
    }
    let after = start + first;
    if src[after..].starts_with(':') && !src[after..].starts_with("::") {
        let second = ncname_len(src, after + 1);
        if second > 0 {
            return Some((
                Some(src[start..after].to_owned()),
                src[after + 1..after + 1 + second].to_owned(),
                first + 1 + second,
            ));
        }
    }
    Some((None, src[start..after].to_owned(), first))
}

/// Length of the (possibly nested) XPath 2.0 comment starting at `start`.
fn comment_len(src: &str, start: usize) -> Result<usize, Error> {
    let mut depth = 0;
    let mut i = start;
    while i < src.len() {
        if src[i..].starts_with("(:") {
            depth += 1;
            i += 2;
        } else if src[i..].starts_with(":)") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Ok(i - start);
            }
        } else {
            i += src[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    Err(Error::Syntax {
        position: start,
        message: "unterminated comment".into(),
    })
}

fn name_token(src: &str, start: usize, operator_context: bool, language: Language) -> (Tok, usize) {
    let first = ncname_len(src, start);
    let word = &src[start..start + first];
    let plain = !src[start + first..].starts_with(':') || src[start + first..].starts_with("::");
    if operator_context && language == Language::XPath2 && plain {
        if let Some(w) = WORDS_2_0.iter().find(|w| **w == word) {
            return (Tok::Word(w), first);
        }
    }
    if operator_context {
        let op = match word {
            "and" => Some(Tok::And),
            "or" => Some(Tok::Or),
            "mod" => Some(Tok::Mod),
            "div" => Some(Tok::Div),
            _ => None,
        };
        if let Some(op) = op {
            return (op, first);
        }
    }
    let after = start + first;
    if src[after..].starts_with(":*") {
        return (Tok::PrefixWildcard(word.to_owned()), first + 2);
    }
    let (prefix, local, len) = qname(src, start).expect("starts with a name character");
    (Tok::Name(prefix, local), len)
}
