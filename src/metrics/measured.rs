//! The engine as one transport sees it: every inbound message the transport hands over is
//! timed, from its dispatch to the engine's answer, and counted by that transport and how it
//! ended. `baton serve` gives each serving transport its own [`Measured`]; messages between
//! processes of this server are timed where they arrive ([`crate::engine::peer`]).

use std::time::Instant;

use baton_transports::{Dispatcher, Request, Response};
use bytes::Bytes;

use super::{Outcome, Transport};
use crate::engine::Engine;

/// The engine, for the transport `transport`.
#[derive(Clone)]
pub struct Measured {
    engine: Engine,
    transport: Transport,
}

impl Measured {
    pub fn new(engine: Engine, transport: Transport) -> Self {
        Self { engine, transport }
    }
}

impl Dispatcher for Measured {
    async fn dispatch(&self, request: Request) -> Response {
        let started = Instant::now();
        let response = self.engine.dispatch(request).await;
        let outcome = Outcome::of_response(&response);
        let metrics = &self.engine.services().metrics;
        metrics.received(self.transport, outcome, started.elapsed());
        response
    }

    fn describe(&self, address: &str, base_url: &str) -> Option<Bytes> {
        self.engine.describe(address, base_url)
    }

    fn ready(&self) -> bool {
        self.engine.ready()
    }

    fn understands_header(&self, address: &str, namespace: &str, local: &str) -> bool {
        self.engine.understands_header(address, namespace, local)
    }
}
