//! Messages in and out, by how they travel ([`Transport`]) and how they ended
//! ([`Outcome`]): a histogram of their times for each pair, whose count is the number of
//! messages. Each pair's histogram is resolved the first time it is used, and read without a
//! lock after that.

use std::sync::OnceLock;
use std::time::Duration;

use baton_transports::{Endpoint, Response};
use prometheus::{Histogram, HistogramVec};

use crate::runtime::InvokeOutcome;

/// How many [`Transport`]s there are.
const TRANSPORTS: usize = 4;
/// How many [`Outcome`]s there are.
const OUTCOMES: usize = 4;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// SOAP over HTTP.
    Http,
    /// SOAP over AMQP.
    Amqp,
    /// In memory, between processes of this server.
    Peer,
    /// To a `local:` endpoint that is not a service of this server.
    Local,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Amqp => "amqp",
            Self::Peer => "peer",
            Self::Local => "local",
        }
    }

    /// The transport a call to `endpoint` goes over.
    pub fn of(endpoint: &Endpoint) -> Self {
        match endpoint {
            Endpoint::Http(_) => Self::Http,
            Endpoint::Amqp(_) => Self::Amqp,
            Endpoint::Local(_) => Self::Local,
        }
    }
}

/// How a message exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// With a reply (for a partner call, one-way calls taken included).
    Reply,
    /// A one-way message taken.
    Accepted,
    /// With a fault.
    Fault,
    /// A partner call that got no answer: its partner could not be reached, timed out, or
    /// answered what the call cannot take.
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::Accepted => "accepted",
            Self::Fault => "fault",
            Self::Failure => "failure",
        }
    }

    /// How an inbound message that got `response` ended.
    pub fn of_response(response: &Response) -> Self {
        match response {
            Response::Reply { .. } => Self::Reply,
            Response::Accepted => Self::Accepted,
            Response::Fault(_) => Self::Fault,
        }
    }

    /// How a partner call that got `outcome` ended.
    pub fn of_invoke(outcome: &InvokeOutcome) -> Self {
        match outcome {
            InvokeOutcome::Reply(_) => Self::Reply,
            InvokeOutcome::Fault { .. } => Self::Fault,
            InvokeOutcome::Failure(_) => Self::Failure,
        }
    }
}

/// The histograms of one direction, by transport and outcome.
pub(super) struct Exchanges {
    family: HistogramVec,
    cells: [OnceLock<Histogram>; TRANSPORTS * OUTCOMES],
}

impl Exchanges {
    /// The histograms of `family`, whose labels are `transport` and `outcome`.
    pub(super) fn new(family: HistogramVec) -> Self {
        Self {
            family,
            cells: Default::default(),
        }
    }

    /// Counts an exchange over `transport` that ended with `outcome` after `took`.
    pub(super) fn observe(&self, transport: Transport, outcome: Outcome, took: Duration) {
        let index = transport as usize * OUTCOMES + outcome as usize;
        self.cells[index]
            .get_or_init(|| {
                self.family
                    .with_label_values(&[transport.as_str(), outcome.as_str()])
            })
            .observe(took.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::HistogramOpts;

    #[test]
    fn each_pair_counts_apart() {
        let family = HistogramVec::new(
            HistogramOpts::new("exchanges", "Exchanges."),
            &["transport", "outcome"],
        )
        .unwrap();
        let exchanges = Exchanges::new(family.clone());
        let transports = [
            Transport::Http,
            Transport::Amqp,
            Transport::Peer,
            Transport::Local,
        ];
        let outcomes = [
            Outcome::Reply,
            Outcome::Accepted,
            Outcome::Fault,
            Outcome::Failure,
        ];
        assert_eq!((transports.len(), outcomes.len()), (TRANSPORTS, OUTCOMES));
        for transport in transports {
            for outcome in outcomes {
                exchanges.observe(transport, outcome, Duration::from_millis(1));
            }
        }
        exchanges.observe(Transport::Peer, Outcome::Fault, Duration::from_millis(1));
        let count = |transport: Transport, outcome: Outcome| {
            family
                .with_label_values(&[transport.as_str(), outcome.as_str()])
                .get_sample_count()
        };
        assert_eq!(count(Transport::Peer, Outcome::Fault), 2);
        assert_eq!(count(Transport::Http, Outcome::Reply), 1);
        assert_eq!(count(Transport::Local, Outcome::Failure), 1);
    }
}
