//! The message exchanges a step records in the store, in the same transaction as the
//! instance's new state: every inbound request-response exchange (its request, then its reply
//! or fault) and every outbound request-response invoke (its request, then its outcome, a
//! time-out included). Operators read them to see what an instance received and sent, and a
//! request that comes again gets the reply its first copy got from here (see
//! [`super::outbox`]).

use std::collections::BTreeMap;

use crate::model::Process;
use crate::runtime::step::{Action, Ended, InvokeEnded, ReplyOutcome};
use crate::runtime::{Event, Fault};
use crate::store::{ExchangeDirection, ExchangeRecord, ExchangeStatus, ExchangeWrite};
use crate::xml::QName;

/// The exchange an inbound `event` opens: a request-response message, with its request.
pub fn opened(model: &Process, event: &Event) -> Option<ExchangeWrite> {
    let Event::Message(inbound) = event else {
        return None;
    };
    let exchange = inbound.exchange.as_ref()?;
    Some(ExchangeWrite {
        id: exchange.clone(),
        partner_link: model.partner_link(inbound.partner_link).name.clone(),
        operation: inbound.operation.clone(),
        direction: ExchangeDirection::In,
        status: ExchangeStatus::Pending,
        request: Some(inbound.message.to_xml(inbound.message.root()).into_bytes()),
        response: None,
    })
}

/// The exchange writes of a step: what its event `opened`, the invoke it `ended`, and what
/// its `actions` add (replies to inbound exchanges, request-response invokes sent).
pub fn writes(
    model: &Process,
    opened: Option<ExchangeWrite>,
    ended: Option<InvokeEnded>,
    actions: &[Action],
) -> Vec<ExchangeWrite> {
    let ended = ended.map(|ended| ended_write(model, ended));
    let mut writes: BTreeMap<String, ExchangeWrite> = opened
        .into_iter()
        .chain(ended)
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
                let write = writes
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

/// The write of an invoke's outcome.
fn ended_write(model: &Process, ended: InvokeEnded) -> ExchangeWrite {
    let (status, response) = match ended.outcome {
        Ended::Reply(xml) => (ExchangeStatus::Replied, xml),
        Ended::Fault { name, reason } => (ExchangeStatus::Faulted, format!("{name}: {reason}")),
        Ended::Failure(reason) => (ExchangeStatus::Failed, reason),
    };
    ExchangeWrite {
        id: ended.exchange,
        partner_link: model.partner_link(ended.partner_link).name.clone(),
        operation: ended.operation,
        direction: ExchangeDirection::Out,
        status,
        request: None,
        response: Some(response.into_bytes()),
    }
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
