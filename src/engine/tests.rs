//! What the engine sends for a step that is durable only later, on an engine over a memory
//! store: when each caller gets its reply, and when a call leaves for a partner outside the
//! server.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

use actix::Actor;
use tokio::sync::{mpsc, oneshot};

use super::partner::{Call, PartnerLinkActor};
use super::routing::LinkRoute;
use super::*;
use crate::interceptor::Interceptors;
use crate::model::{PartnerLinkId, Unit};
use crate::runtime::message;
use crate::runtime::session::Sessions;

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

/// A partner outside the server, over HTTP: tells the path of each request it takes, in the
/// order they arrive, and accepts each with a 202.
fn partner() -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (paths, taken) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let paths = paths.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        break;
                    }
                    let mut length = 0;
                    loop {
                        let mut header = String::new();
                        reader.read_line(&mut header).unwrap();
                        if header.trim().is_empty() {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':') {
                            if name.eq_ignore_ascii_case("content-length") {
                                length = value.trim().parse().unwrap();
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    std::io::Read::read_exact(&mut reader, &mut body).unwrap();
                    let path = request_line.split(' ').nth(1).unwrap_or_default();
                    let _ = paths.send(path.to_owned());
                    stream
                        .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                        .unwrap();
                }
            });
        }
    });
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
