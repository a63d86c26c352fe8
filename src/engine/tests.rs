//! What the engine sends for a step that is durable only later, on an engine over a memory
//! store: when each caller gets its reply, and when a call leaves for a partner outside the
//! server.

use std::sync::Arc;

use actix::Actor;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use tokio::sync::{mpsc, oneshot};

use super::partner::{Call, PartnerLinkActor};
use super::routing::LinkRoute;
use super::*;
use crate::interceptor::Interceptors;
use crate::model::{PartnerLinkId, Unit};
use crate::runtime::message;
use crate::runtime::session::Sessions;

fn engine() -> Engine {
    engine_on(Configuration::default(), Arc::new(MemoryStore::new()))
}

/// An engine configured by `config` on `store`, with no plug-in and no event listener.
pub(super) fn engine_on(config: Configuration, store: Arc<dyn Store>) -> Engine {
    Engine::new(
        config,
        store,
        Extensions::none(),
        ServerInterceptors::new(Interceptors::none(), &[]).unwrap(),
        crate::events::EventBus::none(),
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

/// A partner outside the server, over HTTP: tells the path of each request it takes, in the
/// order they arrive, and accepts each with a 202.
fn partner() -> (String, mpsc::UnboundedReceiver<String>) {
    let (paths, taken) = mpsc::unbounded_channel::<String>();
    let server = HttpServer::new(move || {
        let paths = paths.clone();
        App::new().default_service(web::to(move |request: HttpRequest| {
            let _ = paths.send(request.path().to_owned());
            async { HttpResponse::Accepted().finish() }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = format!("http://{}", server.addrs()[0]);
    actix::spawn(server.run());
    (address, taken)
}

/// A one-way call of instance 1 (a durable store's) to `url`, made by a step durable when
/// `durable` says.
fn call_to(url: String, durable: Durable) -> Call {
    Call {
        pid: "{urn:test}caller-1".into(),
        instance: 1,
        exchange: "1.1".into(),
        message_id: format!("{url}-message"),
        first_sending: true,
        attempt: 0,
        operation: "notify".into(),
        message: message::empty(),
        headers: crate::xml::Document::new(),
        one_way: true,
        endpoint: Some(url),
        sessions: Sessions::default(),
        durable,
    }
}

#[test]
fn a_call_leaves_for_a_partner_outside_the_server_once_its_step_is_durable() {
    actix::System::new().block_on(async {
        let engine = engine();
        let (address, mut taken) = partner();
        let link = PartnerLinkActor {
            services: engine.services().clone(),
            partner_link: PartnerLinkId(0),
            name: "partner".into(),
            service: None,
            use_peer2peer: false,
            port_type: None,
            unit: Arc::new(Unit {
                name: "caller".into(),
                descriptor: Default::default(),
                definitions: Default::default(),
                processes: Vec::new(),
                warnings: Vec::new(),
            }),
            route: Arc::new(LinkRoute::new(None, None)),
        }
        .start();
        // A first call leaves a connection open, for the next call to take at once.
        link.do_send(call_to(format!("{address}/first"), Durable::default()));
        assert_eq!(taken.recv().await.unwrap(), "/first");
        let (signal, pending) = Durable::pending();
        link.do_send(call_to(format!("{address}/made-first"), pending));
        // Time for the first call to go as far as it may before the second is made.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        link.do_send(call_to(format!("{address}/durable"), Durable::default()));
        assert_eq!(taken.recv().await.unwrap(), "/durable");
        signal.send(Ok(())).unwrap();
        assert_eq!(taken.recv().await.unwrap(), "/made-first");
    });
}
