//! The management API's look inside an instance: its scope instances with their variables,
//! correlation sets and partner links, and the requests it owes a reply to, as its stored
//! state holds them (for an in-memory instance, as its memory store does), read against its
//! process version's model.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

use super::access::{Allowed, Viewer};
use super::routes::{error, instance_id, internal, json};
use super::ErrorBody;
use crate::engine::Engine;
use crate::model::Process;
use crate::runtime::events::scope_name;
use crate::runtime::state::{InstanceState, Phase, ScopeInstance};

/// What an instance holds, as operators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InstanceData {
    pub instance: i64,
    pub pid: String,
    pub status: String,
    /// Its scope instances: the process's first, then inner ones, and those completed and
    /// kept for compensation.
    pub scopes: Vec<ScopeData>,
    /// The requests it took and owes a reply to.
    pub open_exchanges: Vec<OpenExchangeData>,
}

/// One scope instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScopeData {
    /// Its number in the instance.
    pub id: u32,
    /// The number of the scope instance it runs in, if any.
    pub parent: Option<u32>,
    /// The scope's name (the process's name for the process).
    pub name: Option<String>,
    /// `running`, `faulting`, `terminating`, `stopping`, `handling-fault`,
    /// `handling-termination`, `completed` or `compensating`.
    pub phase: String,
    /// Its variables: the value as XML, or none while uninitialised.
    pub variables: Vec<NamedValue>,
    /// Its correlation sets: their values, joined by spaces, once initiated.
    pub correlation_sets: Vec<NamedValue>,
    /// Its partner links: the partner's address, once assigned.
    pub partner_links: Vec<NamedValue>,
}

/// A name and its value, if it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NamedValue {
    pub name: String,
    pub value: Option<String>,
}

/// A request awaiting its reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenExchangeData {
    pub partner_link: String,
    pub operation: String,
    pub message_exchange: Option<String>,
}

/// What instance `instance` holds: its scopes, variables, correlation sets, partner links and
/// open requests.
#[utoipa::path(
    tag = "instances",
    params(("instance" = i64, Path, description = "The instance id (negative for in-memory)")),
    responses(
        (status = 200, body = InstanceData),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
#[get("/instances/{instance}/state")]
pub(super) async fn show_state(
    _: Allowed<Viewer>,
    engine: web::Data<Engine>,
    path: web::Path<String>,
) -> HttpResponse {
    let instance = match instance_id(&path) {
        Ok(instance) => instance,
        Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
    };
    let services = engine.services();
    let store = services.instances.of_instance(instance);
    let record = match store.load_instance(instance).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            return error(
                StatusCode::NOT_FOUND,
                format!("there is no instance {instance}"),
            )
        }
        Err(failure) => return internal(&failure),
    };
    let Some(process) = services.registry.process(&record.pid) else {
        let reason = format!(
            "instance {instance}'s process version {} is not deployed",
            record.pid
        );
        return error(StatusCode::NOT_FOUND, reason);
    };
    let state = match record.state.is_empty() {
        true => None,
        false => match InstanceState::from_bytes(&record.state) {
            Ok(state) => Some(state),
            Err(failure) => return internal(&format!("instance {instance}'s state: {failure}")),
        },
    };
    let model = &process.compiled.model;
    let data = InstanceData {
        instance,
        pid: record.pid,
        status: record.status.to_string(),
        scopes: state
            .iter()
            .flat_map(|state| scopes(model, state))
            .collect(),
        open_exchanges: state
            .iter()
            .flat_map(|state| &state.open_exchanges)
            .map(|open| OpenExchangeData {
                partner_link: model.partner_link(open.partner_link).name.clone(),
                operation: open.operation.clone(),
                message_exchange: open.message_exchange.clone(),
            })
            .collect(),
    };
    json(StatusCode::OK, &data)
}

/// The scope instances of `state`, in slab order (the process's first).
fn scopes(model: &Process, state: &InstanceState) -> Vec<ScopeData> {
    state
        .scopes
        .iter()
        .enumerate()
        .filter_map(|(id, scope)| Some((id as u32, scope.as_ref()?)))
        .map(|(id, scope)| scope_data(model, id, scope))
        .collect()
}

fn scope_data(model: &Process, id: u32, scope: &ScopeInstance) -> ScopeData {
    let declared = model.scope(scope.scope);
    let variables = declared.variables.iter().zip(&scope.variables);
    let sets = declared.correlation_sets.iter().zip(&scope.correlations);
    let links = declared.partner_links.iter().zip(&scope.endpoints);
    ScopeData {
        id,
        parent: scope.parent,
        name: scope_name(model, scope.scope).map(str::to_owned),
        phase: phase(&scope.phase).to_owned(),
        variables: variables
            .map(|(&variable, value)| NamedValue {
                name: model.variable(variable).name.clone(),
                value: value
                    .as_ref()
                    .map(|document| document.to_xml(document.root())),
            })
            .collect(),
        correlation_sets: sets
            .map(|(&set, values)| NamedValue {
                name: model.correlation_set(set).name.clone(),
                value: values.as_ref().map(|values| values.join(" ")),
            })
            .collect(),
        partner_links: links
            .map(|(&link, address)| NamedValue {
                name: model.partner_link(link).name.clone(),
                value: address.clone(),
            })
            .collect(),
    }
}

fn phase(phase: &Phase) -> &'static str {
    match phase {
        Phase::Running => "running",
        Phase::Faulting(_) => "faulting",
        Phase::Terminating => "terminating",
        Phase::Stopping => "stopping",
        Phase::HandlingFault(_) => "handling-fault",
        Phase::HandlingTermination => "handling-termination",
        Phase::Completed => "completed",
        Phase::Compensating => "compensating",
    }
}
