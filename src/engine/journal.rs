//! The message exchanges a step records in the store, in the same transaction as the
//! instance's new state: every inbound request-response exchange (its request, then its reply
//! or fault) and every outbound request-response invoke (its request, then its outcome, a
//! time-out included). Operators read them to see what an instance received and sent, and a
//! request that comes again gets the reply its first copy got from here (see
//! [`super::outbox`]).

use std::collections::BTreeMap;

use crate::model::{ActivityKind, Process};
use crate::runtime::step::{Action, ReplyOutcome};
use crate::runtime::{Event, Fault, InstanceState, InvokeOutcome};
use crate::store::{ExchangeDirection, ExchangeRecord, ExchangeStatus, ExchangeWrite};
use crate::xml::QName;

/// What the event of a step contributes to the journal, read before the step consumes it.
pub struct Opening(Option<ExchangeWrite>);

impl Opening {
    /// Reads `event` against the state it is about to be applied to.
    pub fn of(model: &Process, state: &InstanceState, event: &Event) -> Self {
        let write = match event {
            Event::Message(inbound) => inbound.exchange.as_ref().map(|exchange| ExchangeWrite {
                id: exchange.clone(),
                partner_link: model.partner_link(inbound.partner_link).name.clone(),
                operation: inbound.operation.clone(),
                direction: ExchangeDirection::In,
                status: ExchangeStatus::Pending,
                request: Some(inbound.message.to_xml(inbound.message.root()).into_bytes()),
                response: None,
            }),
            Event::InvokeDone { exchange, outcome } => outcome_of(model, state, exchange, outcome),
            Event::InvokeTimedOut { exchange, after_ms } => {
                outcome_of(model, state, exchange, &InvokeOutcome::timed_out(*after_ms))
            }
            Event::Recover
            | Event::TimerFired { .. }
            | Event::Recovery { .. }
            | Event::Operator(_) => None,
        };
        Self(write)
    }

    /// The exchange writes of the step: the opening, then what the step's actions add.
    pub fn with_actions(self, model: &Process, actions: &[Action]) -> Vec<ExchangeWrite> {
        let mut writes: BTreeMap<String, ExchangeWrite> = self
            .0
            .into_iter()
            .map(|write| (write.id.clone(), write))
            .collect();
        for action in actions {
            match action {
                Action::Reply { to, outcome } => {
                    let (status, response) = match outcome {
                        ReplyOutcome::Message(message) => {
                            (ExchangeStatus::Replied, message.to_xml(message.root()))
                        }
                        ReplyOutcome::Fault(fault) => (ExchangeStatus::Faulted, fault.to_string()),
                    };
                    let write =
                        writes
                            .entry(to.exchange.clone())
                            .or_insert_with(|| ExchangeWrite {
                                id: to.exchange.clone(),
                                partner_link: model.partner_link(to.partner_link).name.clone(),
                                operation: to.operation.clone(),
                                direction: ExchangeDirection::In,
                                status,
                                request: None,
                                response: None,
                            });
                    write.status = status;
                    write.response = Some(response.into_bytes());
                }
                Action::Invoke {
                    exchange,
                    partner_link,
                    operation,
                    message,
                    one_way: false,
                    ..
                } => {
                    writes.insert(
                        exchange.clone(),
                        ExchangeWrite {
                            id: exchange.clone(),
                            partner_link: model.partner_link(*partner_link).name.clone(),
                            operation: operation.clone(),
                            direction: ExchangeDirection::Out,
                            status: ExchangeStatus::Pending,
                            request: Some(message.to_xml(message.root()).into_bytes()),
                            response: None,
                        },
                    );
                }
                Action::Invoke { .. } | Action::Timer { .. } => {}
            }
        }
        writes.into_values().collect()
    }
}

/// The write of an invoke's outcome, if the invoke of `exchange` is awaited.
fn outcome_of(
    model: &Process,
    state: &InstanceState,
    exchange: &str,
    outcome: &InvokeOutcome,
) -> Option<ExchangeWrite> {
    let activity = state
        .awaited_invokes()
        .find(|(_, awaited)| *awaited == exchange)
        .map(|(activity, _)| activity)?;
    let ActivityKind::Invoke(invoke) = &model.activity(activity).kind else {
        return None;
    };
    let (status, response) = match outcome {
        InvokeOutcome::Reply(message) => (ExchangeStatus::Replied, message.to_xml(message.root())),
        InvokeOutcome::Fault { name, reason, .. } => {
            (ExchangeStatus::Faulted, format!("{name}: {reason}"))
        }
        InvokeOutcome::Failure(failure) => (ExchangeStatus::Failed, failure.reason.clone()),
    };
    Some(ExchangeWrite {
        id: exchange.to_owned(),
        partner_link: model.partner_link(invoke.partner_link).name.clone(),
        operation: invoke.operation.clone(),
        direction: ExchangeDirection::Out,
        status,
        request: None,
        response: Some(response.into_bytes()),
    })
}

/// The reply an inbound exchange recorded, once it has one: its message, or its fault (by
/// name and reason; the journal keeps no fault data).
pub fn answer_of(record: &ExchangeRecord) -> Option<ReplyOutcome> {
    let response = record.response.as_deref()?;
    match record.status {
        ExchangeStatus::Replied => crate::xml::parse(response).ok().map(ReplyOutcome::Message),
        ExchangeStatus::Faulted => {
            let text = String::from_utf8_lossy(response);
            let (name, reason) = text.split_once(": ").unwrap_or((&text, ""));
            let name = match name.strip_prefix('{').and_then(|rest| rest.split_once('}')) {
                Some((ns, local)) => QName::new(ns, local),
                None => QName::new("", name),
            };
            Some(ReplyOutcome::Fault(Fault {
                name,
                data: None,
                reason: reason.to_owned(),
            }))
        }
        ExchangeStatus::Pending | ExchangeStatus::Failed => None,
    }
}
