//! The `log` listener: each event as a line of the server's log (target `baton::events`, level
//! info), as ODE's debug listener wrote them.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::{EventListener, ListenerError, StepEvents};

/// Writes events to the log.
#[derive(Debug, Default)]
pub struct LogListener;

impl EventListener for LogListener {
    fn deliver<'a>(
        &'a self,
        batch: &'a [Arc<StepEvents>],
    ) -> BoxFuture<'a, Result<(), ListenerError>> {
        for record in batch.iter().flat_map(|step| step.records()) {
            let event = record.event;
            tracing::info!(
                target: "baton::events",
                pid = %record.pid,
                instance = record.instance,
                at_ms = record.at_ms,
                scope = event.scope_name.as_deref(),
                activity = event.activity_name.as_deref().or(event.activity_type.as_deref()),
                detail = event.detail.as_deref(),
                "{}",
                event.kind.as_str()
            );
        }
        Box::pin(futures::future::ready(Ok(())))
    }
}
