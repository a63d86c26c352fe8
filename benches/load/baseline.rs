//! The baseline: a bare actix-web server answering HelloWorld's request with HelloWorld's
//! reply, doing the parsing Baton does before its engine (the SOAP envelope with
//! `baton_transports::soap::parse_envelope`, the Body forest with `baton::xml::parse_fragment`)
//! and writing the reply with Baton's XML writer and envelope, but nothing else: no process,
//! no instance, no store.

use std::net::TcpListener;
use std::sync::LazyLock;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context;
use baton::xml::{self, Document, NodeId};
use baton_transports::soap;
use bytes::Bytes;

const HELLO_NS: &str = "urn:baton:samples:hello";

/// The reply HelloWorld's `<assign>` starts from, and its `text` element, written as Baton
/// writes it.
static GREETING: LazyLock<(Document, NodeId)> = LazyLock::new(|| {
    let template =
        format!(r#"<greeting xmlns:tns="{HELLO_NS}" xmlns="{HELLO_NS}"><tns:text/></greeting>"#);
    let doc = xml::parse_fragment(template.as_bytes()).expect("the template parses");
    let text = doc
        .descendants(doc.root())
        .find(|&node| doc.name(node).is_some_and(|name| name.is(HELLO_NS, "text")))
        .expect("the template has a text element");
    (doc, text)
});

/// A running baseline server.
pub(crate) struct Baseline {
    /// `http://host:port`.
    pub address: String,
    handle: ServerHandle,
    thread: JoinHandle<std::io::Result<()>>,
}

impl Baseline {
    /// Starts the server on 127.0.0.1 with `workers` worker threads.
    pub(crate) fn start(workers: usize) -> anyhow::Result<Baseline> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = format!("http://{}", listener.local_addr()?);
        let (handles, handle) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(|| App::new().default_service(web::to(hello)))
                    .workers(workers)
                    .listen(listener)?
                    .run();
                let _ = handles.send(server.handle());
                server.await
            })
        });
        let handle = handle.recv().context("the baseline server did not start")?;
        Ok(Baseline {
            address,
            handle,
            thread,
        })
    }

    /// Stops the server and waits for it.
    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        self.handle.stop(true).await;
        tokio::task::spawn_blocking(move || self.thread.join())
            .await?
            .map_err(|_| anyhow::anyhow!("the baseline server panicked"))??;
        Ok(())
    }
}

/// Parses the envelope and the body forest, then answers `Hello, <name>!`.
async fn hello(request: HttpRequest, body: Bytes) -> HttpResponse {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let envelope =
        match soap::parse_envelope(header(CONTENT_TYPE.as_str()), header("SOAPAction"), &body) {
            Ok(envelope) => envelope,
            Err(error) => return HttpResponse::BadRequest().body(error.to_string()),
        };
    let forest = match xml::parse_fragment(&envelope.body) {
        Ok(forest) => forest,
        Err(error) => return HttpResponse::BadRequest().body(error.to_string()),
    };
    let name = forest
        .first_child_element(forest.root(), (HELLO_NS, "hello"))
        .and_then(|hello| forest.first_child_element(hello, (HELLO_NS, "name")))
        .map(|name| forest.string_value(name))
        .unwrap_or_default();
    let (mut reply, text) = GREETING.clone();
    reply.set_text_content(text, &format!("Hello, {name}!"));
    let greeting = reply.to_xml(reply.document_element().expect("the greeting element"));
    HttpResponse::Ok()
        .content_type(envelope.version.content_type())
        .body(soap::write_envelope(
            envelope.version,
            b"",
            greeting.as_bytes(),
        ))
}
