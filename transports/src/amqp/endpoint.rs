//! AMQP endpoint URLs: which broker to reach and which queue to send to.
//!
//! The form is `amqp[s]://[user[:password]@]host[:port]/[vhost/]queue[?query]`. The last path
//! segment is the queue; a segment before it is the virtual host (percent-encoded, so the
//! default vhost `/` is `%2f`), and without one the default vhost is used. The query (for
//! instance `heartbeat=30`) is passed on to the broker connection.

use std::fmt;

use reqwest::Url;

use crate::error::Error;

/// The longest queue name AMQP 0-9-1 allows, in bytes.
const MAX_QUEUE_NAME: usize = 255;

/// A parsed AMQP endpoint: a broker and a queue on it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AmqpEndpoint {
    broker: String,
    queue: String,
    display: String,
}

impl AmqpEndpoint {
    /// Parses an `amqp://` or `amqps://` endpoint URL.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidUrl {
            url: redact(url),
            reason: reason.to_owned(),
        };
        let parsed = Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(parsed.scheme(), "amqp" | "amqps") {
            return Err(invalid("the scheme must be amqp or amqps"));
        }
        let host = match parsed.host_str() {
            Some(host) if !host.is_empty() => host,
            _ => return Err(invalid("it names no broker host")),
        };
        if parsed.fragment().is_some() {
            return Err(invalid("a fragment has no meaning here"));
        }
        let segments: Vec<&str> = parsed
            .path()
            .trim_start_matches('/')
            .split('/')
            .filter(|segment| !segment.is_empty())
            .collect();
        let (vhost, queue) = match segments.as_slice() {
            [queue] => ("%2f", *queue),
            [vhost, queue] => (*vhost, *queue),
            [] => return Err(invalid("it names no queue (the last path segment)")),
            _ => return Err(invalid("the path must be [vhost/]queue")),
        };
        let queue = percent_decode(queue).ok_or_else(|| invalid("the queue is not UTF-8"))?;
        if queue.len() > MAX_QUEUE_NAME {
            return Err(invalid("the queue name is longer than 255 bytes"));
        }
        if queue.chars().any(char::is_control) {
            return Err(invalid("the queue name has control characters"));
        }
        let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
        let user = match (parsed.username(), parsed.password()) {
            ("", _) => String::new(),
            (user, Some(password)) => format!("{user}:{password}@"),
            (user, None) => format!("{user}@"),
        };
        let query = parsed.query().map(|q| format!("?{q}")).unwrap_or_default();
        let scheme = parsed.scheme();
        Ok(Self {
            broker: format!("{scheme}://{user}{host}{port}/{vhost}{query}"),
            display: format!("{scheme}://{host}{port}/{vhost}/{queue}"),
            queue,
        })
    }

    /// The AMQP URI of the broker (credentials included), to connect to.
    pub fn broker(&self) -> &str {
        &self.broker
    }

    /// The queue messages are sent to.
    pub fn queue(&self) -> &str {
        &self.queue
    }
}

/// Shows the endpoint without its credentials.
impl fmt::Display for AmqpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl fmt::Debug for AmqpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AmqpEndpoint").field(&self.display).finish()
    }
}

/// An AMQP URI with any password replaced, fit for logs and errors.
pub(crate) fn redact(uri: &str) -> String {
    match Url::parse(uri) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => uri.split('@').next_back().unwrap_or(uri).to_owned(),
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(url: &str) -> String {
        match AmqpEndpoint::parse(url) {
            Err(Error::InvalidUrl { reason, .. }) => reason,
            other => panic!("{url} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn queue_alone_uses_the_default_vhost() {
        let endpoint = AmqpEndpoint::parse("amqp://guest:pw@broker:5673/orders").unwrap();
        assert_eq!(endpoint.broker(), "amqp://guest:pw@broker:5673/%2f");
        assert_eq!(endpoint.queue(), "orders");
        assert_eq!(endpoint.to_string(), "amqp://broker:5673/%2f/orders");
    }

    #[test]
    fn vhost_query_and_encoded_queue_names() {
        let endpoint =
            AmqpEndpoint::parse("amqps://broker/prod/baton%2Fhello%20world?heartbeat=30").unwrap();
        assert_eq!(endpoint.broker(), "amqps://broker/prod?heartbeat=30");
        assert_eq!(endpoint.queue(), "baton/hello world");
        let endpoint = AmqpEndpoint::parse("amqp://broker/%2f/q").unwrap();
        assert_eq!(endpoint.broker(), "amqp://broker/%2f");
    }

    #[test]
    fn bad_endpoints_are_refused_with_a_reason() {
        assert!(reason("http://broker/q").contains("scheme"));
        assert!(reason("amqp:///q").contains("host"));
        assert!(reason("amqp://broker").contains("no queue"));
        assert!(reason("amqp://broker/").contains("no queue"));
        assert!(reason("amqp://broker/a/b/c").contains("[vhost/]queue"));
        assert!(reason("amqp://broker/q#frag").contains("fragment"));
        assert!(reason("amqp://broker/%ff").contains("UTF-8"));
        assert!(reason("amqp://broker/%0a").contains("control"));
        assert!(reason(&format!("amqp://broker/{}", "q".repeat(256))).contains("255"));
        assert!(!reason("not a url").is_empty());
    }

    #[test]
    fn errors_and_display_never_show_the_password() {
        let err = AmqpEndpoint::parse("amqp://user:secret@broker").unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        let endpoint = AmqpEndpoint::parse("amqp://user:secret@broker/q").unwrap();
        assert!(!format!("{endpoint} {endpoint:?}").contains("secret"));
        assert_eq!(redact("amqp://u:secret@h/v"), "amqp://u:***@h/v");
    }
}
