//! Peer-to-peer: every service a process of this server offers is registered in the
//! transports' in-memory [`PeerRegistry`] under its path. An invoke of it from another
//! process is a call through the registry: the message travels as a parsed document, actor to
//! actor, without the HTTP stack, with its message id, and is routed on arrival like any
//! inbound message. The caller's answer comes once the receiving step is committed.

use std::sync::Arc;

use baton_transports::peer::PeerRegistry;
use tokio::sync::mpsc;

use super::outbox::MessageId;
use super::{ServiceEndpoint, Services};
use crate::interceptor::Message;
use crate::runtime::step::ReplyOutcome;
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
                    )
                    .await
                    .map_err(|error| PeerError {
                        refused: error.refuses_message(),
                        reason: error.to_string(),
                    });
                let _ = reply.send(outcome);
            });
        }
    });
}
