//! Expressions of processes written in the 2004 draft of WS-BPEL 2.0 (see
//! `compiler::dialect`), made WS-BPEL 2.0 expressions:
//!
//! - the draft's functions `getVariableData(variable[, part[, query]])` and
//!   `getLinkStatus(link)`, which take names as string literals, become the variable
//!   references WS-BPEL 2.0 writes instead: `$variable`, `$variable.part`, the draft's query
//!   (an absolute path from the part, whose first step names an element part's element)
//!   appended as a relative path, and `$link` in a join condition;
//! - a prefix the process does not declare is bound to a namespace of its own, so the names
//!   it qualifies match nothing and their selection fails when evaluated;
//! - an expression that does not parse is kept, with a warning, as a call to the unknown
//!   function `unparsable-expression()`: evaluating it raises subLanguageExecutionFault.
//!
//! Processes in the draft's namespace were deployed on servers that accepted the last two
//! at deployment and failed only when the expression ran.

use std::collections::BTreeMap;

use super::{ProcessCompiler, BPEL_NS};
use crate::model::{PartContent, VariableKind};
use crate::xml::NodeId;
use crate::xpath::{self, XPath};

/// The namespace an undeclared prefix `prefix` is bound to.
fn undeclared(prefix: &str) -> String {
    format!("urn:baton:undeclared-prefix:{prefix}")
}

/// What an unparsable expression is replaced with.
const UNPARSABLE: &str = "unparsable-expression()";

/// A call of a draft function found in an expression: its byte range and literal arguments.
struct Call {
    start: usize,
    end: usize,
    function: &'static str,
    arguments: Vec<String>,
}

impl ProcessCompiler<'_> {
    /// Rewrites the draft functions of `source`, an expression written at `node`.
    pub(super) fn draft_functions(
        &mut self,
        node: NodeId,
        source: &str,
        namespaces: &BTreeMap<String, String>,
    ) -> String {
        let mut rewritten = String::new();
        let mut copied = 0;
        for call in draft_calls(source, namespaces) {
            let replacement = match (call.function, call.arguments.as_slice()) {
                ("getLinkStatus", [link]) => Some(format!("${link}")),
                ("getVariableData", [variable]) => Some(format!("${variable}")),
                ("getVariableData", [variable, part]) => Some(format!("${variable}.{part}")),
                ("getVariableData", [variable, part, query]) => {
                    self.variable_data_query(variable, part, query)
                }
                _ => None,
            };
            let Some(replacement) = replacement else {
                let message = format!(
                    "{} needs literal names as arguments in '{source}'",
                    call.function
                );
                self.error(node, "XPATH", message);
                continue;
            };
            rewritten.push_str(&source[copied..call.start]);
            rewritten.push_str(&replacement);
            copied = call.end;
        }
        rewritten.push_str(&source[copied..]);
        rewritten
    }

    /// `getVariableData(variable, part, query)`: the query is an absolute path whose root
    /// is the part; for an element part, its first step is the part's element.
    fn variable_data_query(&self, variable: &str, part: &str, query: &str) -> Option<String> {
        let query = query.trim();
        let Some(absolute) = query.strip_prefix('/') else {
            return Some(format!("(${variable}.{part}/{query})"));
        };
        let element_part = self
            .lookup_variable(variable)
            .and_then(|id| match &self.variables[id.index()].kind {
                VariableKind::Message(message) => self.defs.messages.get(message),
                _ => None,
            })
            .and_then(|message| message.parts.iter().find(|p| p.name == part))
            .is_some_and(|part| matches!(part.content, PartContent::Element(_)));
        let relative = match element_part {
            true => absolute.split_once('/').map_or("", |(_, rest)| rest),
            false => absolute,
        };
        Some(match relative {
            "" => format!("${variable}.{part}"),
            relative => format!("(${variable}.{part}/{relative})"),
        })
    }

    /// Compiles `source` as a draft process's expression may be: undeclared prefixes bound
    /// to namespaces of their own, and an unparsable expression replaced, each with a
    /// warning. Returns the source and bindings to keep.
    pub(super) fn tolerant_xpath(
        &mut self,
        node: NodeId,
        source: String,
        mut namespaces: BTreeMap<String, String>,
    ) -> (String, BTreeMap<String, String>) {
        loop {
            match XPath::compile(&source, &namespaces) {
                Ok(_) => return (source, namespaces),
                Err(xpath::Error::UnknownPrefix(prefix)) if !namespaces.contains_key(&prefix) => {
                    let message = format!(
                        "prefix '{prefix}' is not declared in '{source}': the names it \
                         qualifies match nothing"
                    );
                    self.warning(node, "XPATH", message);
                    namespaces.insert(prefix.clone(), undeclared(&prefix));
                }
                Err(error) => {
                    let message = format!(
                        "{error} in '{source}': evaluating it raises subLanguageExecutionFault"
                    );
                    self.warning(node, "XPATH", message);
                    return (UNPARSABLE.to_owned(), namespaces);
                }
            }
        }
    }
}

/// The calls of `getVariableData` and `getLinkStatus` in the BPEL namespace in `source`,
/// outside string literals, in order. A call whose arguments are not all string literals
/// is returned without arguments.
fn draft_calls(source: &str, namespaces: &BTreeMap<String, String>) -> Vec<Call> {
    let bytes = source.as_bytes();
    let mut calls = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            quote @ (b'\'' | b'"') => {
                index = source[index + 1..]
                    .find(quote as char)
                    .map_or(bytes.len(), |end| index + end + 2);
            }
            byte if is_name_byte(byte) => {
                let start = index;
                while index < bytes.len() && (is_name_byte(bytes[index]) || bytes[index] == b':') {
                    index += 1;
                }
                let name = &source[start..index];
                let function = name.split_once(':').and_then(|(prefix, local)| {
                    let in_bpel = namespaces.get(prefix).is_some_and(|ns| ns == BPEL_NS);
                    ["getVariableData", "getLinkStatus"]
                        .into_iter()
                        .find(|&known| in_bpel && known == local)
                });
                let opens = source[index..].trim_start().starts_with('(');
                if let (Some(function), true) = (function, opens) {
                    let open = index + source[index..].find('(').unwrap_or(0);
                    let (arguments, end) = literal_arguments(source, open + 1);
                    calls.push(Call {
                        start,
                        end,
                        function,
                        arguments,
                    });
                    index = end;
                }
            }
            _ => index += 1,
        }
    }
    calls
}

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.') || byte >= 0x80
}

/// The string literal arguments of a call whose arguments start at `from`, and the byte
/// after its closing parenthesis. Arguments that are not all literals give no arguments.
fn literal_arguments(source: &str, from: usize) -> (Vec<String>, usize) {
    let mut arguments = Vec::new();
    let mut rest = source[from..].trim_start();
    loop {
        let position = source.len() - rest.len();
        let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else {
            if rest.starts_with(')') && arguments.is_empty() {
                return (arguments, position + 1);
            }
            let end = source[position..]
                .find(')')
                .map_or(source.len(), |end| position + end + 1);
            return (Vec::new(), end);
        };
        let Some(length) = rest[1..].find(quote) else {
            return (Vec::new(), source.len());
        };
        arguments.push(rest[1..1 + length].to_owned());
        rest = rest[length + 2..].trim_start();
        match rest.chars().next() {
            Some(',') => rest = rest[1..].trim_start(),
            Some(')') => return (arguments, source.len() - rest.len() + 1),
            _ => {
                let position = source.len() - rest.len();
                let end = source[position..]
                    .find(')')
                    .map_or(source.len(), |end| position + end + 1);
                return (Vec::new(), end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(source: &str) -> Vec<(&'static str, Vec<String>, String)> {
        let namespaces = BTreeMap::from([("bpws".to_owned(), BPEL_NS.to_owned())]);
        draft_calls(source, &namespaces)
            .into_iter()
            .map(|call| {
                let text = source[call.start..call.end].to_owned();
                (call.function, call.arguments, text)
            })
            .collect()
    }

    #[test]
    fn finds_draft_function_calls_with_literal_arguments() {
        let found = calls("bpws:getVariableData('a') <= bpws:getVariableData(\"b\", 'p', '/x')");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].1, ["a"]);
        assert_eq!(found[0].2, "bpws:getVariableData('a')");
        assert_eq!(found[1].1, ["b", "p", "/x"]);
        assert_eq!(calls("bpws:getLinkStatus( 'l' )")[0].1, ["l"]);
    }

    #[test]
    fn skips_literals_other_functions_and_other_namespaces() {
        assert!(calls("'bpws:getVariableData(\"a\")'").is_empty());
        assert!(calls("x:getVariableData('a') + bpws:getVariableProperty('a', 'b')").is_empty());
        let found = calls("bpws:getVariableData($name)");
        assert!(found[0].1.is_empty());
        assert_eq!(found[0].2, "bpws:getVariableData($name)");
    }
}
