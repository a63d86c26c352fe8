//! Exactly-once messages between processes, across crashes: every message an instance sends
//! a partner is kept in the store's outbox from the step that sends it until its partner has
//! taken it, and every message an instance takes is remembered by its id, so that the same
//! message sent again has no second effect.
//!
//! # Sending
//! A step's invokes become [`Outgoing`] calls before the step is committed: the partner
//! interceptors run on them then, and each call gets its message id, [`message_id`] of its
//! exchange, which is unique in the store and the same on every sending (`wsa:MessageID` over
//! SOAP/HTTP and AMQP, carried with the call peer-to-peer). Each call is an outbox entry of
//! the step's commit: if the commit fails nothing is sent, and once it holds a crash cannot
//! lose the message. Only then are the calls sent. An entry goes
//! - for a one-way message, once the partner has taken it: a peer of this server has
//!   committed the step that took it (or refused the message itself, which sending it again
//!   would not change), a SOAP/HTTP partner has answered (2xx or a SOAP fault, but for a
//!   Receiver fault without a subcode: a server that failed before taking it), the AMQP
//!   broker has confirmed that it holds the message. A one-way message whose sending failed
//!   otherwise stays in the outbox and is sent again after a pause that doubles from
//!   `[engine] outbox-retry-initial-ms` up to `outbox-retry-max-ms`, and at the next start;
//! - for a request, with the step of the sending instance that takes its outcome (a reply, a
//!   fault, a failure or the invoke's time-out) or no longer awaits it: until that step
//!   commits, a crash loses nothing, and the request is sent again at the next start under the
//!   same exchange and message id, bounded by the invoke's time-out job as before.
//!
//! At start, [`resend_all`] sends every outbox entry again.
//!
//! # Receiving
//! The step that takes a message carrying a message id (a peer's call, or a SOAP message with
//! `wsa:MessageID`, over HTTP or AMQP) records the id in the store's received table in its own
//! transaction; the step that creates an instance does too. A message whose id is recorded
//! already is not routed again: [`super::Services::invoke_service`] answers a one-way message
//! as taken, and a request with the reply its first copy got, from the journal of the
//! instance that took it (waiting for it if the instance has not replied yet). A peer's call
//! sent for the first time, by the step that made it, is not looked up: no instance can have
//! taken the id that step has just made ([`MessageId::first_sending`]). Two copies
//! arriving at once cannot both commit: the second step fails on the recorded id and its
//! sender tries again later.
//!
//! So whatever point a crash hits, a message committed by its sender reaches its receiver
//! (sent again until taken) and takes effect there once.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::partner::Call;
use super::process::ProcessRuntime;
use super::{session, Services};
use crate::interceptor::{self, Message, PartnerContext, Refusal};
use crate::model::PartnerLinkId;
use crate::runtime::encoding::{self, EncodingError};
use crate::runtime::session::Sessions;
use crate::runtime::state::InterceptorValues;
use crate::runtime::step::Action;
use crate::runtime::ExchangeId;
use crate::store::{self, Durable, OutboxEntry};
use crate::xml::Document;

/// The id of an inbound message, by which its receiver recognises it when it comes again.
pub struct MessageId {
    pub id: String,
    /// Sent by a process of this server for the first time, after the step that made it:
    /// no instance can have taken it, and it is not looked up among the messages taken.
    /// False for every message sent again, and for every message from a client.
    pub first_sending: bool,
}

impl MessageId {
    /// The id of a message from a client, which may have sent it before.
    pub fn from_client(id: String) -> Self {
        MessageId {
            id,
            first_sending: false,
        }
    }
}

/// How many outbox entries are sent again at once at start.
const RESEND_CONCURRENCY: usize = 64;

/// A message id unique to one exchange of this server's store: the start time of the server
/// process that first sent it, and the exchange (instance and sequence number).
pub fn message_id(exchange: &str) -> String {
    static STARTED: OnceLock<u128> = OnceLock::new();
    let started = STARTED.get_or_init(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos())
    });
    format!("urn:baton:message:{started:x}:{exchange}")
}

/// A call of a partner link, as the outbox keeps it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Outgoing {
    pub partner_link: PartnerLinkId,
    pub call: Call,
}

/// An invoke a partner interceptor refused: it is not sent.
pub struct Refused {
    pub exchange: ExchangeId,
    pub one_way: bool,
    pub refusal: Refusal,
}

/// The partner calls of a step, ready to commit and send.
#[derive(Default)]
pub struct Calls {
    pub outgoing: Vec<Outgoing>,
    pub refused: Vec<Refused>,
}

impl Calls {
    /// The calls of the invokes among `actions` of a step of `instance`, after the process's
    /// partner interceptors, which see `kept`.
    pub fn of(
        process: &ProcessRuntime,
        instance: i64,
        actions: &[Action],
        kept: &InterceptorValues,
    ) -> Self {
        let mut calls = Calls::default();
        for action in actions {
            let Action::Invoke {
                exchange,
                partner_link,
                operation,
                message,
                one_way,
                endpoint,
                sessions,
            } = action
            else {
                continue;
            };
            let mut message = with_sessions(message, sessions);
            let call = interceptor::Call {
                pid: &process.pid,
                process: &process.name,
                instance,
                partner_link: &process.compiled.model.partner_link(*partner_link).name,
                operation,
                one_way: *one_way,
            };
            let intercepted =
                process
                    .interceptors
                    .partner(&mut PartnerContext::new(call, &mut message, kept));
            match intercepted {
                Ok(()) => calls.outgoing.push(Outgoing {
                    partner_link: *partner_link,
                    call: Call {
                        pid: process.pid.clone(),
                        instance,
                        exchange: exchange.clone(),
                        message_id: message_id(exchange),
                        first_sending: true,
                        attempt: 0,
                        operation: operation.clone(),
                        message: message.parts,
                        headers: message.headers,
                        one_way: *one_way,
                        endpoint: endpoint.clone(),
                        sessions: sessions.clone(),
                        durable: Durable::default(),
                    },
                }),
                Err(refusal) => calls.refused.push(Refused {
                    exchange: exchange.clone(),
                    one_way: *one_way,
                    refusal,
                }),
            }
        }
        calls
    }

    /// The outbox entries of the calls.
    pub fn entries(&self) -> Result<Vec<OutboxEntry>, EncodingError> {
        self.outgoing
            .iter()
            .map(|outgoing| {
                Ok(OutboxEntry {
                    message_id: outgoing.call.message_id.clone(),
                    instance_id: outgoing.call.instance,
                    pid: outgoing.call.pid.clone(),
                    exchange: outgoing.call.exchange.clone(),
                    call: encoding::encode(outgoing)?,
                })
            })
            .collect()
    }
}

/// The message of `parts` with the header blocks naming `sessions` (see [`super::session`]).
fn with_sessions(parts: &Document, sessions: &Sessions) -> Message {
    if sessions.is_empty() {
        return Message::new(parts.clone());
    }
    let blocks = session::header_blocks(sessions);
    Message::with_header_forest(blocks.as_bytes(), parts.clone()).unwrap_or_else(|error| {
        tracing::error!(%error, "Session headers not written");
        Message::new(parts.clone())
    })
}

/// Sends every entry of the durable store's outbox again, each under its message id, and
/// returns how many were sent and the instances that sent them.
pub async fn resend_all(services: &Arc<Services>) -> store::Result<(usize, BTreeSet<i64>)> {
    let entries = services.store.outbox().await?;
    let instances: BTreeSet<i64> = entries.iter().map(|entry| entry.instance_id).collect();
    let sent = futures::stream::iter(entries)
        .map(|entry| async move { resend(services, entry) })
        .buffer_unordered(RESEND_CONCURRENCY)
        .filter(|sent| futures::future::ready(*sent))
        .count()
        .await;
    Ok((sent, instances))
}

/// Sends `entry` again; false when it cannot be (logged).
fn resend(services: &Arc<Services>, entry: OutboxEntry) -> bool {
    let outgoing = match encoding::decode::<Outgoing>(&entry.call) {
        Ok(outgoing) => outgoing,
        Err(error) => {
            tracing::error!(message_id = %entry.message_id, %error, "Outbox entry unreadable; not sent");
            return false;
        }
    };
    let Some(process) = services.registry.process(&entry.pid) else {
        tracing::warn!(message_id = %entry.message_id, pid = %entry.pid, "Outbox entry of a process version not deployed; not sent");
        return false;
    };
    services.send_call(&process, outgoing);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_call_reads_back_and_so_does_one_stored_as_json() {
        let outgoing = Outgoing {
            partner_link: PartnerLinkId(1),
            call: Call {
                pid: "{urn:test}orders-1".into(),
                instance: 7,
                exchange: "7.1".into(),
                message_id: message_id("7.1"),
                first_sending: true,
                attempt: 2,
                operation: "order".into(),
                message: crate::xml::parse(
                    b"<message><payload><a:order xmlns:a='urn:a'>x</a:order></payload></message>",
                )
                .unwrap(),
                headers: Document::new(),
                one_way: true,
                endpoint: Some("http://partner.test/orders".into()),
                sessions: Sessions::default(),
                durable: Durable::default(),
            },
        };
        let stored = Calls {
            outgoing: vec![outgoing],
            refused: Vec::new(),
        }
        .entries()
        .unwrap();
        let call = &stored[0].call;
        let earlier = serde_json::to_vec(&encoding::decode::<Outgoing>(call).unwrap()).unwrap();
        assert_eq!(earlier.first(), Some(&b'{'));
        for bytes in [call, &earlier] {
            let read = encoding::decode::<Outgoing>(bytes).unwrap();
            assert_eq!(
                (read.partner_link, read.call.attempt),
                (PartnerLinkId(1), 2)
            );
            assert!(!read.call.first_sending, "sent again once read back");
            assert_eq!(read.call.message_id, stored[0].message_id);
            assert_eq!(
                read.call.message.to_xml(read.call.message.root()),
                "<message><payload><a:order xmlns:a=\"urn:a\">x</a:order></payload></message>"
            );
        }
    }

    #[test]
    fn message_ids_name_their_exchange() {
        let first = message_id("42.3");
        assert!(first.starts_with("urn:baton:message:") && first.ends_with(":42.3"));
        assert_eq!(first, message_id("42.3"));
        assert_ne!(first, message_id("42.4"));
    }
}
