//! The engine's replies, on an engine over a memory store: when each caller gets the reply
//! of a step that is durable only later.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::*;
use crate::interceptor::Interceptors;
use crate::runtime::message;

fn engine() -> Engine {
    Engine::new(
        Configuration::default(),
        Arc::new(MemoryStore::new()),
        Extensions::none(),
        ServerInterceptors::new(Interceptors::none(), &[]).unwrap(),
    )
    .unwrap()
}

/// The replies to a caller outside the server and to one answered early, made by one step
/// durable once the returned signal says so.
fn replies_of_one_step(
    services: &Arc<Services>,
) -> (
    oneshot::Sender<Result<(), String>>,
    oneshot::Receiver<exchanges::Answer>,
    oneshot::Receiver<exchanges::Answer>,
) {
    let (outside, outside_answer) = services.exchanges.open(false);
    let (peer, peer_answer) = services.exchanges.open(true);
    let (signal, durable) = Durable::pending();
    let replies = [(outside, message::empty()), (peer, message::empty())]
        .map(|(exchange, reply)| (exchange, ReplyOutcome::Message(reply)));
    services.send_replies(1, replies, &durable);
    (signal, outside_answer, peer_answer)
}

#[test]
fn a_reply_leaves_once_its_step_is_durable_unless_its_caller_is_answered_early() {
    actix::System::new().block_on(async {
        let engine = engine();
        let (signal, mut outside, mut peer) = replies_of_one_step(engine.services());
        assert!(matches!(peer.try_recv(), Ok(Ok(ReplyOutcome::Message(_)))));
        assert!(
            outside.try_recv().is_err(),
            "not before the step is durable"
        );
        signal.send(Ok(())).unwrap();
        assert!(matches!(outside.await, Ok(Ok(ReplyOutcome::Message(_)))));
    });
}

#[test]
fn a_reply_whose_step_never_becomes_durable_never_leaves() {
    actix::System::new().block_on(async {
        let engine = engine();
        let (signal, outside, _) = replies_of_one_step(engine.services());
        signal.send(Err("the disk is gone".into())).unwrap();
        let answer = outside.await.unwrap();
        assert!(
            matches!(&answer, Err(Abandoned::NotDurable(reason)) if reason.contains("the disk is gone")),
            "{answer:?}"
        );
    });
}
