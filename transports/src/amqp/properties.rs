//! The AMQP message properties and headers the transport reads and writes, and their names.
//!
//! Requests are SOAP envelopes (1.1 or 1.2, told apart by the envelope namespace). The action
//! travels in the `SOAPJMS_soapAction` header, as in the SOAP over JMS binding; the content
//! type, when set, must be the SOAP media type of the envelope. A reply goes to the request's
//! `reply_to` queue with the request's `correlation_id`, or with its `message_id` when it has
//! no correlation id, as JMS clients expect.

use lapin::types::{AMQPValue, ShortString};
use lapin::BasicProperties;

/// The header carrying the SOAP action.
pub const ACTION_HEADER: &str = "SOAPJMS_soapAction";
/// The header RabbitMQ quorum queues count earlier deliveries in.
pub const DELIVERY_COUNT_HEADER: &str = "x-delivery-count";
/// The header saying why a message was dead-lettered.
pub const DEAD_LETTER_REASON_HEADER: &str = "x-baton-dead-letter-reason";
/// The header naming the queue a dead-lettered message came from.
pub const DEAD_LETTER_QUEUE_HEADER: &str = "x-baton-dead-letter-queue";

/// AMQP delivery mode 2: the broker writes the message to disk.
pub(crate) const PERSISTENT: u8 = 2;

/// A string property, if set.
pub(crate) fn text(value: &Option<ShortString>) -> Option<&str> {
    value.as_ref().map(ShortString::as_str)
}

/// A string header, if present and a string.
pub(crate) fn header_text<'p>(properties: &'p BasicProperties, name: &str) -> Option<&'p str> {
    match properties.headers().as_ref()?.inner().get(name)? {
        AMQPValue::LongString(value) => std::str::from_utf8(value.as_bytes()).ok(),
        AMQPValue::ShortString(value) => Some(value.as_str()),
        _ => None,
    }
}

/// The number of times a delivered message was delivered before, as the queue counted them.
pub(crate) fn earlier_deliveries(properties: &BasicProperties) -> u64 {
    let Some(value) = properties
        .headers()
        .as_ref()
        .and_then(|headers| headers.inner().get(DELIVERY_COUNT_HEADER))
    else {
        return 0;
    };
    let count = match value {
        AMQPValue::ShortShortInt(n) => i64::from(*n),
        AMQPValue::ShortShortUInt(n) => i64::from(*n),
        AMQPValue::ShortInt(n) => i64::from(*n),
        AMQPValue::ShortUInt(n) => i64::from(*n),
        AMQPValue::LongInt(n) => i64::from(*n),
        AMQPValue::LongUInt(n) => i64::from(*n),
        AMQPValue::LongLongInt(n) => *n,
        _ => 0,
    };
    u64::try_from(count).unwrap_or(0)
}

/// The id a reply to a request with these properties correlates with.
pub(crate) fn reply_correlation(properties: &BasicProperties) -> Option<ShortString> {
    properties
        .correlation_id()
        .clone()
        .or_else(|| properties.message_id().clone())
}

/// The request's properties with a string header added.
pub(crate) fn with_header(
    properties: &BasicProperties,
    name: &str,
    value: &str,
) -> BasicProperties {
    let mut headers = properties.headers().clone().unwrap_or_default();
    headers.insert(name.into(), AMQPValue::LongString(value.into()));
    properties.clone().with_headers(headers)
}

#[cfg(test)]
mod tests {
    use lapin::types::FieldTable;

    use super::*;

    #[test]
    fn delivery_count_reads_any_integer_width_and_defaults_to_zero() {
        assert_eq!(earlier_deliveries(&BasicProperties::default()), 0);
        for value in [
            AMQPValue::LongLongInt(3),
            AMQPValue::LongInt(3),
            AMQPValue::ShortUInt(3),
        ] {
            let mut headers = FieldTable::default();
            headers.insert(DELIVERY_COUNT_HEADER.into(), value);
            let properties = BasicProperties::default().with_headers(headers);
            assert_eq!(earlier_deliveries(&properties), 3);
        }
        let mut headers = FieldTable::default();
        headers.insert(DELIVERY_COUNT_HEADER.into(), AMQPValue::LongLongInt(-1));
        let properties = BasicProperties::default().with_headers(headers);
        assert_eq!(earlier_deliveries(&properties), 0);
    }

    #[test]
    fn replies_correlate_with_the_correlation_id_else_the_message_id() {
        let both = BasicProperties::default()
            .with_message_id("m".into())
            .with_correlation_id("c".into());
        assert_eq!(reply_correlation(&both).unwrap().as_str(), "c");
        let message_only = BasicProperties::default().with_message_id("m".into());
        assert_eq!(reply_correlation(&message_only).unwrap().as_str(), "m");
        assert_eq!(reply_correlation(&BasicProperties::default()), None);
    }

    #[test]
    fn added_headers_keep_the_others() {
        let properties = with_header(&BasicProperties::default(), ACTION_HEADER, "urn:a");
        let properties = with_header(&properties, DEAD_LETTER_REASON_HEADER, "why");
        assert_eq!(header_text(&properties, ACTION_HEADER), Some("urn:a"));
        assert_eq!(
            header_text(&properties, DEAD_LETTER_REASON_HEADER),
            Some("why")
        );
        assert_eq!(header_text(&properties, "absent"), None);
    }
}
