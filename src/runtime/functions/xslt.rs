//! `bpel:doXslTransform(stylesheet, source, (name, value)*)`: runs one of the process's
//! stylesheets (compiled once with the process) over a copy of a single element, with global
//! parameters, and returns the result's document element (or its text when the result has
//! no element). A source that is not one element is `bpel:xsltInvalidSource`; a stylesheet
//! the process does not have is `bpel:xsltStylesheetNotFound`; a failing transformation is
//! `bpel:subLanguageExecutionFault`.

use super::Call;
use crate::runtime::fault::Fault;
use crate::xml::Document;
use crate::xpath::{Node, Value};

const FUNCTION: &str = "bpel:doXslTransform";

pub(super) fn do_xsl_transform<'a>(
    call: &Call<'a>,
    args: &[Value<'a>],
) -> Result<Value<'a>, Fault> {
    let [uri, source, params @ ..] = args else {
        return Err(Fault::sub_language_execution(format!(
            "{FUNCTION} takes a stylesheet URI and a source node"
        )));
    };
    if params.len() % 2 != 0 {
        return Err(Fault::sub_language_execution(format!(
            "{FUNCTION}: parameters come in name/value pairs"
        )));
    }
    let uri = uri.to_xpath_string();
    let stylesheet = call.process.stylesheets.get(&uri).ok_or_else(|| {
        Fault::standard(
            "xsltStylesheetNotFound",
            format!("{FUNCTION}: no stylesheet '{uri}'"),
        )
    })?;
    let source = match source {
        Value::NodeSet(nodes) if nodes.len() == 1 && nodes[0].doc.is_element(nodes[0].id) => {
            nodes[0]
        }
        other => {
            return Err(Fault::standard(
                "xsltInvalidSource",
                format!(
                    "{FUNCTION}: the source must be one element, not {}",
                    describe(other)
                ),
            ))
        }
    };
    let env = call.env(FUNCTION)?;
    let mut input = Document::new();
    let element = input.import(source.doc, source.id);
    let root = input.root();
    input.append_child(root, element);
    let input = env.result_trees.adopt(input);
    let params = params
        .chunks(2)
        .map(|pair| {
            Ok((
                call.qname(&pair[0].to_xpath_string(), FUNCTION)?,
                pair[1].clone(),
            ))
        })
        .collect::<Result<Vec<_>, Fault>>()?;
    let result = stylesheet
        .transform(Node::new(input, element), &params, &env.result_trees)
        .map_err(|error| Fault::sub_language_execution(format!("{FUNCTION} '{uri}': {error}")))?;
    let result = env.result_trees.adopt(result);
    Ok(match result.document_element() {
        Some(element) => Value::NodeSet(vec![Node::new(result, element)]),
        None => Value::String(result.string_value(result.root())),
    })
}

fn describe(value: &Value<'_>) -> String {
    match value {
        Value::NodeSet(nodes) if nodes.len() == 1 => "a node that is not an element".into(),
        Value::NodeSet(nodes) => format!("{} nodes", nodes.len()),
        other => format!("a {}", other.type_name()),
    }
}
