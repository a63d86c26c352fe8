//! Runs bpel-scripts' test definitions (`.tdef`, see `tdef`) the way the script harness
//! they were written for ran them, over SOAP/HTTP against a real `baton serve`:
//!
//! - the process, the definition's WSDL and the files they reference are staged as a unit
//!   (see `compile_suite::copy_process`) whose myRole partner links are provided with
//!   synthesised services (see `endpoints`), and deployed into a server of its own;
//! - the requests are sent in number order, each once the previous one has been taken in
//!   (the harness sent each without waiting for its reply), after its `delay` if it has
//!   one, with `!!duration!!` in its message replaced (see `tdef::substitute_times`);
//! - the harness awaited the reply to request 1 only, so request 1 must be
//!   request-response; every post-condition is evaluated, as an XPath 1.0 boolean with
//!   Baton's own XPath, against that reply in normalised form
//!   (`<message><Part>…</Part></message>`) as the context document. A reply with one of the
//!   operation's WSDL faults (`<reply faultName>`) is a reply too, its fault message being
//!   what the post-conditions see (throw/4 expects that); any other fault fails the case.
//!   What later requests are answered is not looked at, as the harness did not.
//!
//! Definitions with canned partner replies (`invoke.N`) are skipped: the runner offers no
//! partner for processes to invoke (bpel-scripts has none).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use baton::model::Unit;
use baton::xpath::{MapContext, Node, XPath};
use tokio::sync::watch;

use crate::bpel_test::{await_taken_in, start, DEPLOY_PATIENCE, UNIT};
use crate::common::Dirs;
use crate::compile_suite::{copy_process, write_descriptor};
use crate::endpoints::{self, Provided};
use crate::progress::Progress;
use crate::soap::{self, shorten, Answer, Call};
use crate::stage::{compile_dir, first_error};
use crate::tdef::{substitute_times, Request, TestDefinition};
use crate::Outcome;

/// Runs the .tdef at `path`.
pub(crate) async fn run(path: &Path) -> Outcome {
    let definition = match TestDefinition::read(path) {
        Ok(definition) => definition,
        Err(reason) => return Outcome::Fail(format!("unreadable test definition: {reason}")),
    };
    if definition.canned_replies > 0 {
        let reason = "canned partner replies (invoke.N) are not offered by the runner";
        return Outcome::Skip(reason.into());
    }
    match drive(&definition).await {
        Ok(()) => Outcome::Pass,
        Err(reason) => Outcome::Fail(reason),
    }
}

async fn drive(definition: &TestDefinition) -> Result<(), String> {
    let staging = tempfile::tempdir().map_err(|e| e.to_string())?;
    let staged = staging.path().join(UNIT);
    let (unit, provided) = stage(definition, &staged)?;
    let conditions = definition
        .post_conditions
        .iter()
        .map(|source| {
            XPath::compile(source, &definition.namespaces)
                .map_err(|e| format!("post-condition {source}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let dirs = Dirs::new();
    dirs.place_unit(&staged, UNIT, &|text| text);
    let server = start(&dirs).await?;
    match server.await_log_any(&[&["Unit deployed"], &["refused"]], DEPLOY_PATIENCE) {
        Some(line) if line.contains("Unit deployed") => {}
        Some(line) => return Err(format!("server refused the unit: {line}")),
        None => return Err("the server never deployed the unit".into()),
    }
    let progress = Arc::new(Progress::open(&dirs).await?);
    let reply = send_all(definition, &unit, &provided, &server.address, &progress).await?;
    check(&reply, &conditions)
}

/// Stages the definition's process as the unit folder `to`, with its myRole partner links
/// provided, and compiles it; checks that request 1 can be answered.
fn stage(definition: &TestDefinition, to: &Path) -> Result<(Arc<Unit>, Vec<Provided>), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    let process = copy_process(&definition.bpel, std::slice::from_ref(&definition.wsdl), to)?;
    let provided = endpoints::provide_my_roles(to)?;
    write_descriptor(to, &process, &endpoints::provide_elements(&provided))?;
    let unit = match compile_dir(to, &crate::stage::label(&definition.bpel))? {
        Ok(unit) => Arc::new(unit),
        Err(diagnostics) => return Err(format!("deploy refused: {}", first_error(&diagnostics))),
    };
    let first = &definition.requests[0];
    let two_way = service_of(&provided, first)?
        .operations
        .iter()
        .any(|op| op.name == first.operation && op.two_way);
    if !two_way {
        return Err(format!(
            "request 1 ({}) is one-way, but the post-conditions apply to its reply",
            first.operation
        ));
    }
    Ok((unit, provided))
}

/// Sends the requests in order, each once the previous one was taken in, and returns the
/// normalised reply to request 1 (or its WSDL fault message).
async fn send_all(
    definition: &TestDefinition,
    unit: &Arc<Unit>,
    provided: &[Provided],
    address: &str,
    progress: &Arc<Progress>,
) -> Result<String, String> {
    let mut answers = Vec::new();
    for (index, request) in definition.requests.iter().enumerate() {
        if let Some(seconds) = request.delay_seconds {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
        }
        let fail = |reason: String| format!("request {}: {reason}", index + 1);
        let message = std::fs::read_to_string(&request.message)
            .map_err(|e| fail(format!("{}: {e}", request.message.display())))?;
        let message = substitute_times(&message).map_err(fail)?;
        let service = service_of(provided, request).map_err(fail)?.service.clone();
        let before = progress.exchange_count().await;
        let (answered, mut watched) = watch::channel(false);
        let (unit, address, watching) = (unit.clone(), address.to_owned(), progress.clone());
        let operation = request.operation.clone();
        answers.push(tokio::spawn(async move {
            let call = Call::new(&unit, endpoints::NAMESPACE, &service, &operation)?;
            let answer = soap::send(&call, &address, &message, &watching).await;
            let _ = answered.send(true);
            call.answer(&answer?.1)
        }));
        await_taken_in(progress, before, &mut watched).await;
    }
    let mut answers = answers.into_iter();
    let first = answers.next().expect("a definition has a request");
    let outcome = first.await;
    for later in answers {
        later.abort();
    }
    match outcome.map_err(|e| format!("request 1: {e}"))? {
        Err(reason) => Err(format!("request 1: {reason}")),
        Ok(Answer::Reply(reply)) => Ok(reply),
        Ok(Answer::Fault {
            message: Some(message),
            ..
        }) => Ok(message),
        Ok(Answer::Fault { summary, .. }) => Err(format!(
            "request 1: fault instead of a reply: {}",
            shorten(&summary)
        )),
    }
}

/// Checks that every post-condition holds for `reply`.
fn check(reply: &str, conditions: &[XPath]) -> Result<(), String> {
    let document = baton::xml::parse(reply.as_bytes())
        .map_err(|e| format!("the normalised reply is not XML: {e}"))?;
    let context = Node::new(&document, document.root());
    for condition in conditions {
        let holds = condition
            .evaluate_boolean(&MapContext::new(), Some(context))
            .map_err(|e| format!("post-condition {}: {e}", condition.source()))?;
        if !holds {
            return Err(format!(
                "post-condition {} does not hold for the reply {}",
                condition.source(),
                shorten(reply)
            ));
        }
    }
    Ok(())
}

/// The service providing the partner link `request` is sent to.
fn service_of<'p>(provided: &'p [Provided], request: &Request) -> Result<&'p Provided, String> {
    provided
        .iter()
        .find(|p| p.partner_link == request.partner_link)
        .ok_or_else(|| {
            format!(
                "the process offers no partner link '{}' (a myRole link)",
                request.partner_link
            )
        })
}
