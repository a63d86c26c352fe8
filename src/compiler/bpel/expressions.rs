//! Expressions, conditions and queries: each becomes an [`Expression`] of the process with
//! its source text, language, in-scope namespace bindings, usage and location, and gets an
//! [`ExprId`] the activities refer to. XPath expressions are also compiled here so that
//! syntax errors and undeclared prefixes are reported at deployment; the engine compiles
//! them again when it loads the unit. Expressions of processes written in the 2004 draft
//! are made WS-BPEL 2.0 ones first (`draft`). One leniency: a stray quote after a complete
//! XPath 1.0 expression is dropped with a warning (see [`without_trailing_quote`]).

use super::ProcessCompiler;
use crate::model::{ExprId, Expression, ExpressionUse, XPATH_1_0, XPATH_2_0};
use crate::xml::NodeId;
use crate::xpath::{self, Language, XPath};

/// True for the expression languages the engine evaluates.
fn is_xpath(language: &str) -> bool {
    language == XPATH_1_0 || language == XPATH_2_0
}

/// An XPath 1.0 expression whose only fault is an unterminated string literal after a
/// complete expression (`concat($a, 'b')"`): XPath 1.0 engines that read an unterminated
/// literal as the end of the input accept it as the complete expression, which is then
/// returned. Anything else stays an error.
fn without_trailing_quote(
    source: &str,
    error: &xpath::Error,
    language: &str,
    namespaces: &std::collections::BTreeMap<String, String>,
) -> Option<String> {
    let xpath::Error::Syntax { position, .. } = error else {
        return None;
    };
    let rest = source.get(*position..)?;
    let quote = rest.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    if language != XPATH_1_0 || rest[1..].contains(quote) {
        return None;
    }
    let complete = source[..*position].trim_end();
    XPath::compile(complete, namespaces).ok()?;
    Some(complete.to_owned())
}

impl ProcessCompiler<'_> {
    /// Creates the expression written as the text of `node`. Queries take their language
    /// from `queryLanguage`, other expressions from `expressionLanguage`, else from the
    /// process's default.
    pub(super) fn expression(&mut self, node: NodeId, usage: ExpressionUse) -> ExprId {
        let (attribute, default) = match usage {
            ExpressionUse::Query => ("queryLanguage", &self.query_language),
            _ => ("expressionLanguage", &self.expression_language),
        };
        let mut language = default.clone();
        if let Some(own) = self.file.attr(node, attribute) {
            language = own.trim().to_owned();
            self.check_language(node, &language);
        }
        let mut source = self.file.trimmed_text(node);
        let mut namespaces = self.file.prefixes(node);
        if source.is_empty() {
            let element = self.file.local_name(node);
            let message = format!("<{element}> holds no expression");
            self.error(node, "BPEL-EXPRESSION", message);
        } else if is_xpath(&language) && self.file.draft {
            source = self.draft_functions(node, &source, &namespaces);
            (source, namespaces) = self.tolerant_xpath(node, source, namespaces);
        } else if is_xpath(&language) {
            let compiled = XPath::compile_in(&source, &namespaces, Language::from_uri(&language));
            if let Err(error) = compiled {
                match without_trailing_quote(&source, &error, &language, &namespaces) {
                    Some(complete) => {
                        let message = format!(
                            "the unterminated string literal ending '{source}' is ignored; \
                             the expression is '{complete}'"
                        );
                        self.diagnostics
                            .warning(&self.file.location(node), "XPATH", message);
                        source = complete;
                    }
                    None => self.error(node, "XPATH", format!("{error} in '{source}'")),
                }
            }
        }
        let id = ExprId(self.expressions.len() as u32);
        self.expressions.push(Expression {
            source,
            language,
            namespaces,
            usage,
            location: self.file.location(node),
        });
        id
    }

    /// SA00004: only XPath expression languages are supported.
    pub(super) fn check_language(&mut self, node: NodeId, language: &str) {
        if !is_xpath(language) {
            let message = format!("expression language '{language}' is not supported");
            self.error(node, "SA00004", message);
        }
    }
}
