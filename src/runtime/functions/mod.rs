//! The extension functions and variables processes call beyond `bpel:getVariableProperty`:
//! ODE's (namespace [`ODE_NS`], see `ode.rs` and `urls.rs`) and `bpel:doXslTransform`
//! (`xslt.rs`). The evaluation context in `evaluate.rs` dispatches to [`function`] and
//! [`variable`]; what they need from the running instance arrives in an [`EvaluationEnv`],
//! which also owns the documents they build.

mod ode;
mod urls;
mod xslt;

use std::collections::BTreeMap;
use std::sync::Arc;

use super::compiled::CompiledProcess;
use super::fault::{Fault, BPEL_NS};
use crate::xml::QName;
use crate::xpath::{ResultTrees, Temporal, Value};

/// Namespace of ODE's extension functions and variables.
pub const ODE_NS: &str = "http://www.apache.org/ode/type/extension";

/// What the extension functions need from the instance and the step being run.
#[derive(Debug)]
pub struct EvaluationEnv {
    /// The instance id (`$ode:pid`).
    pub instance_id: i64,
    /// When the event being handled arrived (`$ode:currentEventDateTime`).
    pub event_time: Temporal,
    /// The process's deploy.xml `<property>`s: name and content as an XML forest.
    pub properties: Arc<[(QName, String)]>,
    /// Documents built by functions during evaluations of this step.
    pub result_trees: ResultTrees,
}

impl EvaluationEnv {
    /// The environment of one step of instance `instance_id`.
    pub fn new(instance_id: i64, event_time: Temporal, properties: Arc<[(QName, String)]>) -> Self {
        EvaluationEnv {
            instance_id,
            event_time,
            properties,
            result_trees: ResultTrees::new(),
        }
    }
}

/// What a function call sees besides its arguments.
pub struct Call<'a> {
    pub process: &'a CompiledProcess,
    pub env: Option<&'a EvaluationEnv>,
    /// Namespace bindings of the expression, for QName-valued string arguments.
    pub namespaces: &'a BTreeMap<String, String>,
}

impl<'a> Call<'a> {
    /// The environment, or a fault naming the function that needed it.
    fn env(&self, function: &str) -> Result<&'a EvaluationEnv, Fault> {
        self.env.ok_or_else(|| {
            Fault::sub_language_execution(format!(
                "{function} is not available where this expression is evaluated"
            ))
        })
    }

    /// Resolves `prefix:local`, `{namespace}local` or `local` (no namespace).
    fn qname(&self, text: &str, function: &str) -> Result<QName, Fault> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix('{') {
            if let Some((ns, local)) = rest.split_once('}') {
                return Ok(QName::new(ns, local));
            }
        }
        match text.split_once(':') {
            Some((prefix, local)) => match self.namespaces.get(prefix) {
                Some(ns) => Ok(QName::new(ns.as_str(), local)),
                None => Err(Fault::sub_language_execution(format!(
                    "{function}: namespace prefix '{prefix}' is not declared"
                ))),
            },
            None => Ok(QName::local(text)),
        }
    }
}

/// Calls extension function `name`; `None` when no extension of that name exists.
pub fn function<'a>(
    call: &Call<'a>,
    name: &QName,
    args: &[Value<'a>],
) -> Option<Result<Value<'a>, Fault>> {
    match name.ns.as_str() {
        ODE_NS => ode::call(call, &name.local, args),
        BPEL_NS if name.local == "doXslTransform" => Some(xslt::do_xsl_transform(call, args)),
        _ => None,
    }
}

/// The value of extension variable `name`; `None` when no extension variable has that name.
pub fn variable<'a>(call: &Call<'a>, name: &QName) -> Option<Result<Value<'a>, Fault>> {
    if name.ns != ODE_NS {
        return None;
    }
    let env = match call.env(&format!("$ode:{}", name.local)) {
        Ok(env) => env,
        Err(fault) => return Some(Err(fault)),
    };
    Some(Ok(match name.local.as_str() {
        "pid" => Value::Number(env.instance_id as f64),
        "processQName" => Value::String(call.process.model.name.to_string()),
        "currentEventDateTime" => Value::Temporal(env.event_time),
        _ => return None,
    }))
}

#[cfg(test)]
mod tests;
