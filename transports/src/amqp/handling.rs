//! What becomes of one delivered message: dispatched, answered, acknowledged, retried or
//! dead-lettered.
//!
//! - The dispatcher answered (a reply, an acceptance, or a fault the caller can be told of):
//!   the answer goes to `reply_to` if the message has one, then the message is acknowledged.
//! - The dispatcher failed (a Receiver fault without a subcode: no application fault, and the
//!   engine could not process a valid message): the message is returned to its queue to be
//!   tried again, until it has been delivered `max_deliveries` times. A Receiver fault with a
//!   subcode (an application's fault, or the engine saying it took the message but has no
//!   reply) is an answer like any other.
//! - The message carries a header block marked mustUnderstand that the service does not
//!   understand: it is not dispatched; the caller gets the MustUnderstand fault and the
//!   message is dead-lettered, as below.
//! - The message cannot be read (not XML, beyond the `[xml]` limits, not a SOAP envelope), was
//!   delivered too often, or faulted with nobody to tell: it is
//!   published to the dead-letter exchange with the reason in the
//!   [`DEAD_LETTER_REASON_HEADER`] header (after a fault to `reply_to`, if it has one), and
//!   acknowledged once the broker has confirmed the dead letter.
//!
//! Nothing is acknowledged before what it depends on is done, so whatever fails midway leaves
//! the message to be delivered again.

use bytes::Bytes;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicNackOptions, BasicPublishOptions};
use lapin::{BasicProperties, Channel};

use crate::amqp::dedup::Settled;
use crate::amqp::properties::{
    earlier_deliveries, header_text, reply_correlation, text, with_header, ACTION_HEADER,
    DEAD_LETTER_QUEUE_HEADER, DEAD_LETTER_REASON_HEADER, PERSISTENT,
};
use crate::amqp::AmqpService;
use crate::error::Error;
use crate::message::{Dispatcher, Response};
use crate::soap::{self, FaultCode, SoapFault, SoapVersion};
use crate::xml::XmlLimits;

/// What a serving session shares among the messages in hand.
pub(crate) struct Handler<D> {
    pub(crate) dispatcher: D,
    /// The channel replies and dead letters are published on, with publisher confirms.
    pub(crate) publisher: Channel,
    /// The broker, for errors and logs (no password).
    pub(crate) broker: String,
    pub(crate) dead_letter_exchange: String,
    pub(crate) max_deliveries: u64,
    /// What an inbound message may contain.
    pub(crate) xml_limits: XmlLimits,
}

/// An envelope to send back to the caller.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    version: SoapVersion,
    envelope: Bytes,
}

/// The decision about one message.
enum Outcome {
    /// Settled: send the reply, if any, and acknowledge.
    Done(Option<Reply>),
    /// Dispatch failed: return the message to its queue.
    Retry(String),
    /// Give up: tell the caller, dead-letter and acknowledge.
    DeadLetter {
        reason: String,
        fault: Option<Reply>,
    },
}

/// Handles one delivery from `service`'s queue to its end; failures to talk to the broker are
/// logged, and the broker delivers the message again.
pub(crate) async fn handle<D: Dispatcher>(
    handler: &Handler<D>,
    service: &AmqpService,
    settled: &Settled<Option<Reply>>,
    delivery: Delivery,
) {
    let id = text(delivery.properties.message_id());
    let remembered = settled
        .once(id, || async {
            match decide(handler, service, &delivery).await {
                Outcome::Done(reply) => Ok(reply),
                other => Err(other),
            }
        })
        .await;
    let outcome = match remembered {
        Ok(reply) => Outcome::Done(reply),
        Err(outcome) => outcome,
    };
    if let Err(error) = settle(handler, service, &delivery, outcome).await {
        tracing::warn!(%error, queue = %service.queue, "a message was left to be delivered again");
    }
}

/// Dispatches the message, unless it cannot or should not be.
async fn decide<D: Dispatcher>(
    handler: &Handler<D>,
    service: &AmqpService,
    delivery: &Delivery,
) -> Outcome {
    let properties = &delivery.properties;
    let deliveries = earlier_deliveries(properties) + 1;
    if deliveries > handler.max_deliveries {
        let reason = format!(
            "delivered {deliveries} times, more than the {} allowed, without being settled",
            handler.max_deliveries
        );
        return dead_letter(SoapVersion::Soap11, FaultCode::Receiver, reason);
    }
    let envelope = match soap::parse_envelope_with(
        &handler.xml_limits,
        text(properties.content_type()),
        header_text(properties, ACTION_HEADER),
        &delivery.data,
    ) {
        Ok(envelope) => envelope,
        Err(error) => {
            let reason = format!("unreadable message: {error}");
            return dead_letter(SoapVersion::Soap11, error.to_fault().code, reason);
        }
    };
    let version = envelope.version;
    let understood = |ns: &str, local: &str| {
        handler
            .dispatcher
            .understands_header(&service.address, ns, local)
    };
    match soap::not_understood(&envelope, understood) {
        Ok(not_understood) if not_understood.is_empty() => {}
        Ok(not_understood) => {
            return Outcome::DeadLetter {
                reason: soap::not_understood_reason(&not_understood),
                fault: Some(Reply {
                    version,
                    envelope: soap::write_must_understand_fault(version, &not_understood),
                }),
            };
        }
        Err(error) => {
            let reason = format!("unreadable message: {error}");
            return dead_letter(version, error.to_fault().code, reason);
        }
    }
    let expects_answer = properties.reply_to().is_some();
    match handler
        .dispatcher
        .dispatch(envelope.into_request(&service.address))
        .await
    {
        Response::Reply { body, headers } => Outcome::Done(Some(Reply {
            version,
            envelope: soap::write_envelope(version, &headers, &body),
        })),
        Response::Accepted => Outcome::Done(None),
        Response::Fault(fault) if fault.code == FaultCode::Receiver && fault.subcode.is_none() => {
            if deliveries >= handler.max_deliveries {
                let reason = format!(
                    "dispatch failed on each of {deliveries} deliveries, last: {}",
                    fault.reason
                );
                dead_letter(version, FaultCode::Receiver, reason)
            } else {
                Outcome::Retry(fault.reason)
            }
        }
        Response::Fault(fault) if expects_answer => {
            Outcome::Done(Some(fault_reply(version, &fault)))
        }
        Response::Fault(fault) => Outcome::DeadLetter {
            reason: format!("a fault with nobody to tell: {}", fault.reason),
            fault: None,
        },
    }
}

fn dead_letter(version: SoapVersion, code: FaultCode, reason: String) -> Outcome {
    let fault = fault_reply(version, &SoapFault::new(code, reason.clone()));
    Outcome::DeadLetter {
        reason,
        fault: Some(fault),
    }
}

fn fault_reply(version: SoapVersion, fault: &SoapFault) -> Reply {
    Reply {
        version,
        envelope: soap::write_fault(version, fault),
    }
}

/// Carries out the decision; an error leaves the message unacknowledged.
async fn settle<D: Dispatcher>(
    handler: &Handler<D>,
    service: &AmqpService,
    delivery: &Delivery,
    outcome: Outcome,
) -> Result<(), Error> {
    let broker_error = |during| {
        let broker = handler.broker.clone();
        move |source| Error::Broker {
            broker,
            during,
            source,
        }
    };
    match outcome {
        Outcome::Done(reply) => {
            if let Some(reply) = reply {
                send_reply(handler, delivery, reply).await?;
            }
        }
        Outcome::Retry(reason) => {
            tracing::debug!(queue = %service.queue, %reason, "dispatch failed; the message goes back");
            let requeue = BasicNackOptions {
                requeue: true,
                ..BasicNackOptions::default()
            };
            delivery
                .nack(requeue)
                .await
                .map_err(broker_error("returning a message"))?;
            return Ok(());
        }
        Outcome::DeadLetter { reason, fault } => {
            tracing::warn!(queue = %service.queue, %reason, "dead-lettering a message");
            if let Some(fault) = fault {
                send_reply(handler, delivery, fault).await?;
            }
            let properties = with_header(&delivery.properties, DEAD_LETTER_REASON_HEADER, &reason);
            let properties = with_header(&properties, DEAD_LETTER_QUEUE_HEADER, &service.queue)
                .with_delivery_mode(PERSISTENT);
            publish(
                handler,
                &handler.dead_letter_exchange,
                &service.queue,
                &delivery.data,
                properties,
            )
            .await?;
        }
    }
    delivery
        .ack(BasicAckOptions::default())
        .await
        .map_err(broker_error("acknowledging a message"))?;
    Ok(())
}

/// Sends `reply` to the message's `reply_to` queue, if it has one.
async fn send_reply<D: Dispatcher>(
    handler: &Handler<D>,
    delivery: &Delivery,
    reply: Reply,
) -> Result<(), Error> {
    let Some(reply_to) = text(delivery.properties.reply_to()) else {
        return Ok(());
    };
    let mut properties = BasicProperties::default()
        .with_content_type(reply.version.content_type().into())
        .with_delivery_mode(PERSISTENT);
    if let Some(correlation) = reply_correlation(&delivery.properties) {
        properties = properties.with_correlation_id(correlation);
    }
    publish(handler, "", reply_to, &reply.envelope, properties).await
}

/// Publishes and waits for the broker's confirm.
async fn publish<D: Dispatcher>(
    handler: &Handler<D>,
    exchange: &str,
    routing_key: &str,
    payload: &[u8],
    properties: BasicProperties,
) -> Result<(), Error> {
    let failed = |source| Error::Broker {
        broker: handler.broker.clone(),
        during: "publishing",
        source,
    };
    let confirmation = handler
        .publisher
        .basic_publish(
            exchange.into(),
            routing_key.into(),
            BasicPublishOptions::default(),
            payload,
            properties,
        )
        .await
        .map_err(failed)?
        .await
        .map_err(failed)?;
    if confirmation.is_nack() {
        return Err(Error::NotConfirmed {
            url: format!("{}/{exchange}/{routing_key}", handler.broker),
        });
    }
    Ok(())
}
