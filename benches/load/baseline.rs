//! The baseline: a bare actix-web server answering HelloWorld's request with HelloWorld's
//! reply, doing the parsing Baton does before its engine (the SOAP envelope with
//! `baton_transports::soap::parse_envelope`, the Body forest with `baton::xml::parse_fragment`)
//! and writing the reply with Baton's XML writer and envelope, but nothing else: no process,
//! no instance, no store. It runs in a process of its own, as the real server does, so that
//! its CPU time is measured alone.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::{ensure, Context};
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

/// The argument that makes the bench binary serve the baseline instead of running the bench.
pub(crate) const SERVE_ARG: &str = "--serve-baseline";

/// A running baseline server: a process of its own (this bench binary, run with
/// [`SERVE_ARG`]), as the real server is; killed when dropped.
pub(crate) struct Baseline {
    child: Child,
    /// `http://host:port`.
    pub address: String,
}

impl Baseline {
    /// Starts the server on 127.0.0.1 with `workers` worker threads.
    pub(crate) fn start(workers: usize) -> anyhow::Result<Baseline> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg(SERVE_ARG)
            .arg(workers.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the baseline server")?;
        let stdout = child
            .stdout
            .take()
            .context("the baseline server's stdout")?;
        let mut address = String::new();
        BufReader::new(stdout).read_line(&mut address)?;
        let baseline = Baseline {
            child,
            address: address.trim_end().to_owned(),
        };
        ensure!(
            baseline.address.starts_with("http://"),
            "the baseline server did not start"
        );
        Ok(baseline)
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves the baseline with `workers` worker threads until the process is killed, once its
/// address (`http://host:port`) is printed on stdout.
pub(crate) fn serve(workers: usize) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("http://{}", listener.local_addr()?);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| App::new().default_service(web::to(hello)))
            .workers(workers)
            .listen(listener)?
            .run()
            .await
    })?;
    Ok(())
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
