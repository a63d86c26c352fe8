//! XPath evaluation over an instance's variables: resolves `$var` and `$var.part` (a variable
//! of an XML Schema simple type is read as its boolean, number or string), provides
//! BPEL's functions (`bpel:getVariableProperty`), and turns evaluation problems into the
//! standard faults the spec names (uninitializedVariable, subLanguageExecutionFault, …).

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::compiled::CompiledProcess;
use super::correlation;
use super::fault::{Fault, BPEL_NS};
use super::functions::{self, EvaluationEnv};
use super::message;
use super::state::{InstanceState, ScopeRef};
use crate::model::{ExprId, VariableId, VariableKind, XPATH_1_0};
use crate::xml::{Document, QName};
use crate::xpath::{self, Node, Value};

const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";

/// The variables an expression sees: those of a scope instance and of the instances that
/// enclose it.
#[derive(Clone, Copy)]
pub struct Visible<'a> {
    pub state: &'a InstanceState,
    pub scope: ScopeRef,
    /// The step's environment for extension functions; without one, the functions that
    /// need it raise subLanguageExecutionFault.
    pub env: Option<&'a EvaluationEnv>,
}

impl<'a> Visible<'a> {
    pub fn new(state: &'a InstanceState, scope: ScopeRef, env: Option<&'a EvaluationEnv>) -> Self {
        Self { state, scope, env }
    }

    /// The value of `variable`, if initialised.
    pub fn get(&self, process: &CompiledProcess, variable: VariableId) -> Option<&'a Document> {
        self.state.variable(&process.model, self.scope, variable)
    }

    /// The variable called `name` here: the innermost declaration wins.
    pub fn named(&self, process: &CompiledProcess, name: &str) -> Option<VariableId> {
        self.state.chain(self.scope).find_map(|id| {
            let declared = process.model.scope(self.state.scope(id).scope);
            declared
                .variables
                .iter()
                .copied()
                .find(|&variable| process.model.variable(variable).name == name)
        })
    }
}

/// The evaluation context of one expression.
struct Scope<'a> {
    process: &'a CompiledProcess,
    variables: Visible<'a>,
    namespaces: &'a BTreeMap<String, String>,
    /// The instance's environment for extension functions, when the caller has one.
    env: Option<&'a EvaluationEnv>,
    /// In an expression whose value is read (not a to-spec), how a variable of an XML
    /// Schema built-in simple type is an atomic value rather than its node.
    simple_values: Option<SimpleValues>,
    /// A fault found while resolving a variable or function, reported instead of the
    /// XPath error that carried it out of the evaluator.
    fault: RefCell<Option<Fault>>,
}

impl<'a> Scope<'a> {
    fn fail(&self, fault: Fault) -> xpath::Error {
        let message = fault.reason.clone();
        *self.fault.borrow_mut() = Some(fault);
        xpath::Error::Extension(message)
    }

    fn call(&self) -> functions::Call<'a> {
        functions::Call {
            process: self.process,
            env: self.env,
            namespaces: self.namespaces,
        }
    }
}

impl<'a> xpath::Context<'a> for Scope<'a> {
    fn variable(&self, name: &QName) -> Result<Value<'a>, xpath::Error> {
        if let Some(result) = functions::variable(&self.call(), name) {
            return result.map_err(|fault| self.fail(fault));
        }
        let (variable, part) = match name.local.split_once('.') {
            Some((variable, part)) => (variable, Some(part)),
            None => (name.local.as_str(), None),
        };
        let Some(id) = self.variables.named(self.process, variable) else {
            return Err(xpath::Error::UnknownVariable(name.clone()));
        };
        let node = variable_node(self.process, self.variables, id, part)
            .map_err(|fault| self.fail(fault))?;
        match &self.process.model.variable(id).kind {
            VariableKind::Type(type_name) if part.is_none() => {
                let value = self.simple_values.and_then(|reading| {
                    simple_value(reading, type_name, node.doc.string_value(node.id))
                });
                Ok(value.unwrap_or(Value::NodeSet(vec![node])))
            }
            _ => Ok(Value::NodeSet(vec![node])),
        }
    }

    fn function(
        &self,
        name: &QName,
        args: &[Value<'a>],
    ) -> Option<Result<Value<'a>, xpath::Error>> {
        if name.ns != BPEL_NS || name.local != "getVariableProperty" {
            let result = functions::function(&self.call(), name, args)?;
            return Some(result.map_err(|fault| self.fail(fault)));
        }
        Some(self.get_variable_property(args))
    }
}

impl<'a> Scope<'a> {
    fn get_variable_property(&self, args: &[Value<'a>]) -> Result<Value<'a>, xpath::Error> {
        let [variable, property] = args else {
            return Err(xpath::Error::WrongArguments {
                function: "bpel:getVariableProperty".into(),
                message: "takes a variable name and a property QName".into(),
            });
        };
        let variable = variable.to_xpath_string();
        let property = property.to_xpath_string();
        let Some(id) = self.variables.named(self.process, &variable) else {
            return Err(self.fail(Fault::sub_language_execution(format!(
                "bpel:getVariableProperty: no variable '{variable}'"
            ))));
        };
        let property = match property.split_once(':') {
            Some((prefix, local)) => match self.namespaces.get(prefix) {
                Some(ns) => QName::new(ns.as_str(), local),
                None => {
                    return Err(self.fail(Fault::sub_language_execution(format!(
                        "bpel:getVariableProperty: unbound prefix '{prefix}'"
                    ))))
                }
            },
            None => QName::new("", property.as_str()),
        };
        let document = self
            .variables
            .get(self.process, id)
            .ok_or_else(|| self.fail(Fault::uninitialized_variable(&variable)))?;
        let kind = &self.process.model.variable(id).kind;
        correlation::values(
            self.process,
            kind,
            document,
            std::slice::from_ref(&property),
        )
        .map(|mut values| Value::String(values.remove(0)))
        .map_err(|fault| self.fail(fault))
    }
}

/// The node a variable reference denotes: the message, the part (see [`message`]), the
/// element of an element variable, or the value wrapper of a type variable.
pub fn variable_node<'a>(
    process: &CompiledProcess,
    variables: Visible<'a>,
    variable: VariableId,
    part: Option<&str>,
) -> Result<Node<'a>, Fault> {
    let declaration = process.model.variable(variable);
    let document = variables
        .get(process, variable)
        .ok_or_else(|| Fault::uninitialized_variable(&declaration.name))?;
    let node = match (part, &declaration.kind) {
        (Some(part), VariableKind::Message(message_type)) => {
            let definition = process.definitions.messages.get(message_type);
            message::part_node(document, definition, part).ok_or_else(|| {
                Fault::uninitialized_variable(&format!("{}.{part}", declaration.name))
            })?
        }
        (Some(part), _) => {
            return Err(Fault::selection_failure(format!(
                "variable '{}' is not a message and has no part '{part}'",
                declaration.name
            )))
        }
        (None, _) => document
            .document_element()
            .ok_or_else(|| Fault::uninitialized_variable(&declaration.name))?,
    };
    Ok(Node {
        doc: document,
        id: node,
    })
}

/// The element of the SOAP header `header` the message variable `variable` carries (see
/// [`message`]); None when it carries none.
pub fn header_node<'a>(
    process: &CompiledProcess,
    variables: Visible<'a>,
    variable: VariableId,
    header: &str,
) -> Result<Option<Node<'a>>, Fault> {
    let declaration = process.model.variable(variable);
    let document = variables
        .get(process, variable)
        .ok_or_else(|| Fault::uninitialized_variable(&declaration.name))?;
    Ok(message::header_node(document, header).map(|id| Node { doc: document, id }))
}

/// How an expression language reads a variable of an XML Schema built-in simple type.
#[derive(Clone, Copy)]
enum SimpleValues {
    /// XPath 1.0: every built-in simple type is an XPath boolean, number or string
    /// (WS-BPEL 2.0 §8.2.2).
    XPath1,
    /// XPath 2.0: the value of the variable's type (its typed value, as a schema-aware
    /// processor reads it) where this evaluator has that type: booleans, numbers and
    /// strings. Other types stay nodes, whose untyped value casts as the context needs.
    XPath2,
}

/// The value of a variable of the XML Schema built-in simple type `type_name` holding
/// `text`: booleans are booleans, numbers numbers, strings strings. None for types that are
/// not XML Schema built-ins (or that `reading` keeps as nodes), and for a boolean or number
/// that does not parse (the variable's node is used then).
fn simple_value(reading: SimpleValues, type_name: &QName, text: String) -> Option<Value<'static>> {
    const NUMERIC: [&str; 17] = [
        "decimal",
        "float",
        "double",
        "integer",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
        "positiveInteger",
        "precisionDecimal",
    ];
    if type_name.ns != XSD_NS || type_name.local == "anyType" {
        return None;
    }
    let trimmed = text.trim();
    if type_name.local == "boolean" {
        return match trimmed {
            "true" | "1" => Some(Value::Boolean(true)),
            "false" | "0" => Some(Value::Boolean(false)),
            _ => None,
        };
    }
    if NUMERIC.contains(&type_name.local.as_str()) {
        return trimmed.parse::<f64>().ok().map(Value::Number);
    }
    match reading {
        SimpleValues::XPath1 => Some(Value::String(text)),
        SimpleValues::XPath2 => (type_name.local == "string").then_some(Value::String(text)),
    }
}

/// Evaluates expression `expression` with an optional context node; documents built by
/// extension functions live in the environment's result trees, as long as the value.
pub fn value<'a>(
    process: &'a CompiledProcess,
    variables: Visible<'a>,
    expression: ExprId,
    context: Option<Node<'a>>,
) -> Result<Value<'a>, Fault> {
    let simple_values = match process.model.expression(expression).language.as_str() {
        XPATH_1_0 => SimpleValues::XPath1,
        _ => SimpleValues::XPath2,
    };
    evaluate(process, variables, expression, context, Some(simple_values))
}

/// Evaluates the expression of a to-spec, which must select a node: variables are their
/// nodes whatever their type.
pub fn location<'a>(
    process: &'a CompiledProcess,
    variables: Visible<'a>,
    expression: ExprId,
) -> Result<Value<'a>, Fault> {
    evaluate(process, variables, expression, None, None)
}

fn evaluate<'a>(
    process: &'a CompiledProcess,
    variables: Visible<'a>,
    expression: ExprId,
    context: Option<Node<'a>>,
    simple_values: Option<SimpleValues>,
) -> Result<Value<'a>, Fault> {
    let scope = Scope {
        process,
        variables,
        namespaces: &process.model.expression(expression).namespaces,
        env: variables.env,
        simple_values,
        fault: RefCell::new(None),
    };
    let result = process.expressions[expression.index()].evaluate(&scope, context);
    result.map_err(|error| {
        scope.fault.take().unwrap_or_else(|| {
            let source = &process.model.expression(expression);
            Fault::sub_language_execution(format!(
                "{}: evaluating '{}': {error}",
                source.location, source.source
            ))
        })
    })
}

/// Evaluates a condition as a boolean.
pub fn condition(
    process: &CompiledProcess,
    variables: Visible<'_>,
    expression: ExprId,
) -> Result<bool, Fault> {
    value(process, variables, expression, None).map(|value| value.to_boolean())
}

/// Evaluates an expression as a string.
pub fn string(
    process: &CompiledProcess,
    variables: Visible<'_>,
    expression: ExprId,
) -> Result<String, Fault> {
    value(process, variables, expression, None).map(|value| value.to_xpath_string())
}

/// Evaluates a `<joinCondition>`, whose variable references are the status of the
/// activity's incoming links.
pub fn join_condition(
    process: &CompiledProcess,
    expression: ExprId,
    links: &[(&str, bool)],
) -> Result<bool, Fault> {
    let context = Links { links };
    process.expressions[expression.index()]
        .evaluate(&context, None)
        .map(|value| value.to_boolean())
        .map_err(|error| {
            let source = process.model.expression(expression);
            Fault::sub_language_execution(format!(
                "{}: evaluating '{}': {error}",
                source.location, source.source
            ))
        })
}

/// The context of a join condition.
struct Links<'l> {
    links: &'l [(&'l str, bool)],
}

impl<'a> xpath::Context<'a> for Links<'_> {
    fn variable(&self, name: &QName) -> Result<Value<'a>, xpath::Error> {
        self.links
            .iter()
            .find(|(link, _)| *link == name.local)
            .map(|&(_, status)| Value::Boolean(status))
            .ok_or_else(|| xpath::Error::UnknownVariable(name.clone()))
    }
}
