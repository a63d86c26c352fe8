//! Peer-to-peer: every service a process of this server offers is registered in the
//! transports' in-memory [`PeerRegistry`] under its path. An invoke of it from another
//! process is a call through the registry: the message travels as a parsed document, actor to
//! actor, without the HTTP stack, with its message id, and is routed on arrival like any
//! inbound message. The caller's answer comes once the receiving step is committed.
//!
//! Where both processes keep their instances in the durable store, a call and its answer
//! need not wait for the disk: the caller sends once its step is committed, and the receiver
//! answers once its own is ([`Origin`]). Each later step lands after them in the store's log,
//! and whatever the two do that is seen outside the server (a reply to a client, a call to a
//! remote partner) waits until the step doing it is durable, and with it every step before.
//! So a crash that loses a step loses every step that depended on it, and nothing outside
//! saw any of them. A process kept in memory outlives no crash: a message from a durable
//! process reaches it once the sending step is durable, and it is answered as a client is.

use std::sync::Arc;
use std::time::Instant;

use baton_transports::peer::PeerRegistry;
use tokio::sync::mpsc;

use super::outbox::MessageId;
use super::{ServiceEndpoint, Services};
use crate::interceptor::Message;
use crate::metrics::{Outcome, Transport};
use crate::runtime::step::ReplyOutcome;
use crate::store::Durable;
use crate::xml::Document;

/// A message for a peer's service.
pub struct PeerCall {
    pub operation: String,
    pub message: Document,
    /// The SOAP header blocks, as a forest.
    pub headers: Document,
    pub expects_reply: bool,
    /// The message's id, by which the receiver recognises it when it comes again.
    pub message_id: MessageId,
    pub origin: Origin,
}

/// Who sends an inbound message, which says how soon its receiving step may answer.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A client outside the server, or a process kept in memory: answered once the
    /// receiving step is durable.
    Outside,
    /// A step of an instance in the durable store, with when it is durable: a receiver
    /// in the same store answers once its step is committed.
    DurableStep(Durable),
}

/// Why a peer did not take a message.
#[derive(Debug, Clone)]
pub struct PeerError {
    pub reason: String,
    /// The peer refused the message itself (no instance takes it, an interceptor refused
    /// it, ...): sending it again changes nothing. Otherwise it may take it another time.
    pub refused: bool,
}

/// The peer's reply (None for one-way operations), or why the message was not taken.
pub type PeerReply = Result<Option<ReplyOutcome>, PeerError>;

/// The services of this server, by path.
pub type Peers = PeerRegistry<PeerCall, PeerReply>;

/// How many calls may wait for one service before callers wait to hand theirs over.
const QUEUE: usize = 1024;

/// Offers `endpoint` to peers, replacing whatever was offered at its path; the offer ends when
/// the path is unregistered or taken over.
pub fn offer(services: &Arc<Services>, endpoint: ServiceEndpoint) {
    let (sender, mut calls) =
        mpsc::channel::<(PeerCall, tokio::sync::oneshot::Sender<PeerReply>)>(QUEUE);
    services.peers.register(endpoint.path.clone(), sender);
    let services = services.clone();
    actix::spawn(async move {
        while let Some((call, reply)) = calls.recv().await {
            let (services, endpoint) = (services.clone(), endpoint.clone());
            actix::spawn(async move {
                let started = Instant::now();
                let outcome = services
                    .invoke_service(
                        &endpoint,
                        &call.operation,
                        Message {
                            headers: call.headers,
                            parts: call.message,
                        },
                        call.expects_reply,
                        Some(call.message_id),
                        call.origin,
                    )
                    .await
                    .map_err(|error| PeerError {
                        refused: error.refuses_message(),
                        reason: error.to_string(),
                    });
                let answered = match &outcome {
                    Ok(None) => Outcome::Accepted,
                    Ok(Some(ReplyOutcome::Message(_))) => Outcome::Reply,
                    Ok(Some(ReplyOutcome::Fault(_))) | Err(_) => Outcome::Fault,
                };
                let took = started.elapsed();
                services.metrics.received(Transport::Peer, answered, took);
                let _ = reply.send(outcome);
            });
        }
    });
}
