//! A partner service for the Relay test unit: a small HTTP/1.1 server on 127.0.0.1 that
//! hands each request to the test, which reads the envelope it received and answers it (or
//! leaves it unanswered).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::PATIENCE;

/// The running partner.
pub(crate) struct Partner {
    /// Where it listens, as the Relay unit's partner address.
    pub url: String,
    requests: Arc<AtomicUsize>,
    received: tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Request>>,
}

/// One request, whose connection stays open until it is answered or dropped.
pub(crate) struct Request {
    /// The SOAP envelope that was posted.
    pub envelope: String,
    stream: TcpStream,
}

impl Partner {
    /// Listens on a free port; every request is queued for [`Partner::next_request`].
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/partner", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let (sender, received) = tokio::sync::mpsc::unbounded_channel();
        let counted = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                counted.fetch_add(1, Ordering::SeqCst);
                let sender = sender.clone();
                std::thread::spawn(move || {
                    if let Some(request) = read_request(stream) {
                        let _ = sender.send(request);
                    }
                });
            }
        });
        Self {
            url,
            requests,
            received: tokio::sync::Mutex::new(received),
        }
    }

    /// How many connections were opened to the partner.
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The next request, waited for at most [`PATIENCE`].
    pub(crate) async fn next_request(&self) -> Request {
        let mut received = self.received.lock().await;
        tokio::time::timeout(PATIENCE, received.recv())
            .await
            .expect("the partner was called")
            .expect("the partner listens")
    }

    /// Answers `request` with `text` as the Relay partner's `answer`.
    pub(crate) fn answer(&self, request: &Request, text: &str) {
        let envelope = format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><r:answer xmlns:r="urn:baton:test:relay">{text}</r:answer></s:Body></s:Envelope>"#
        );
        let mut stream = &request.stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
            envelope.len()
        )
        .unwrap();
    }
}

/// Reads one HTTP request with a Content-Length body.
fn read_request(stream: TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        envelope: String::from_utf8_lossy(&body).into_owned(),
        stream: reader.into_inner(),
    })
}
