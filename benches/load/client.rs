//! The load generator: keep-alive HTTP/1.1 clients posting one SOAP envelope (or AsyncPair
//! orders, each with an id of its own), or AMQP callers sending it to a queue and awaiting the
//! reply on their reply queue.
//!
//! * [`saturate`]: a closed loop, `concurrency` clients each sending its next request as soon
//!   as the previous one is answered, for a fixed time. Its rate is the throughput.
//! * [`open_loop`]: requests due on a fixed schedule whatever the answers do, at a given rate,
//!   taken by the same number of clients. Each latency runs from the request's *scheduled*
//!   send time, so a stalled server is charged for the requests it delayed (no coordinated
//!   omission).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_transports::amqp::{AmqpClient, AmqpEndpoint};
use baton_transports::{Outbound, Response, SoapVersion};
use bytes::Bytes;
use reqwest::header::{HeaderValue, CONTENT_TYPE};

/// What every request of a run sends, where, and what a good answer contains.
pub(crate) struct Target {
    pub via: Via,
    pub soap_action: &'static str,
    /// Text every successful reply contains.
    pub expect: &'static str,
}

/// How requests reach the server, and what they carry.
pub(crate) enum Via {
    /// A SOAP envelope posted to `url`.
    Http {
        client: reqwest::Client,
        url: String,
        envelope: Bytes,
    },
    /// AsyncPair orders posted to `url`, numbered from `next`: a good answer also carries its
    /// order's id.
    Orders {
        client: reqwest::Client,
        url: String,
        next: AtomicU64,
    },
    /// The body of a SOAP 1.1 envelope sent to a queue, the reply awaited.
    Amqp {
        client: AmqpClient,
        endpoint: AmqpEndpoint,
        body: Bytes,
    },
}

/// The outcome of one run.
pub(crate) struct Measurement {
    /// Latencies of the successful requests, in microseconds, sorted.
    latencies: Vec<u64>,
    pub errors: u64,
    /// The first error seen, to show what went wrong.
    pub first_error: Option<String>,
    pub elapsed: Duration,
}

impl Measurement {
    /// The number of successful requests.
    pub(crate) fn good(&self) -> usize {
        self.latencies.len()
    }

    /// Successful requests per second.
    pub(crate) fn rate(&self) -> f64 {
        self.good() as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at percentile `p` (0–100), in milliseconds.
    pub(crate) fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = (p / 100.0 * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1] as f64 / 1000.0
    }

    fn from_samples(samples: Vec<Sample>, elapsed: Duration) -> Self {
        let mut measurement = Measurement {
            latencies: Vec::with_capacity(samples.len()),
            errors: 0,
            first_error: None,
            elapsed,
        };
        for sample in samples {
            match sample {
                Ok(latency) => measurement.latencies.push(latency.as_micros() as u64),
                Err(error) => {
                    measurement.errors += 1;
                    measurement.first_error.get_or_insert(error);
                }
            }
        }
        measurement.latencies.sort_unstable();
        measurement
    }
}

/// One request: its latency, or why it failed.
type Sample = Result<Duration, String>;

/// A client with its own pool of keep-alive connections.
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .http1_only()
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("the HTTP client builds")
}

/// An AsyncPair order with the id `id`.
fn order(id: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a:order xmlns:a="urn:baton:samples:async"><a:id>{id}</a:id><a:item>book</a:item></a:order></s:Body></s:Envelope>"#
    )
}

/// Posts `envelope` to `url` and returns the text of a successful answer.
async fn post(
    client: &reqwest::Client,
    url: &str,
    soap_action: &'static str,
    envelope: impl Into<reqwest::Body>,
) -> Result<String, String> {
    let response = client
        .post(url)
        .header(
            CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        )
        .header("SOAPAction", soap_action)
        .body(envelope)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&body).into_owned();
    if !status.is_success() {
        return Err(format!("{status}: {text}"));
    }
    Ok(text)
}

/// Sends the target's request once; the latency counts from `since`.
async fn send(target: &Target, since: Instant) -> Sample {
    let text = match &target.via {
        Via::Http {
            client,
            url,
            envelope,
        } => post(client, url, target.soap_action, envelope.clone()).await?,
        Via::Orders { client, url, next } => {
            let id = format!("order-{}", next.fetch_add(1, Ordering::Relaxed));
            let text = post(client, url, target.soap_action, order(&id)).await?;
            if !text.contains(&format!(">{id}<")) {
                return Err(text);
            }
            text
        }
        Via::Amqp {
            client,
            endpoint,
            body,
        } => {
            let response = client
                .call(
                    endpoint,
                    Outbound {
                        version: SoapVersion::Soap11,
                        action: Some(target.soap_action.to_owned()),
                        headers: Bytes::new(),
                        body: body.clone(),
                        expect_reply: true,
                        timeout: None,
                        message_id: None,
                        authorization: None,
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
            match response {
                Response::Reply { body, .. } => String::from_utf8_lossy(&body).into_owned(),
                other => return Err(format!("{other:?}")),
            }
        }
    };
    let latency = since.elapsed();
    if text.contains(target.expect) {
        Ok(latency)
    } else {
        Err(text)
    }
}

/// `concurrency` clients in a closed loop for `duration`.
pub(crate) async fn saturate(
    target: &Arc<Target>,
    concurrency: usize,
    duration: Duration,
) -> Measurement {
    let start = Instant::now();
    let end = start + duration;
    let clients: Vec<_> = (0..concurrency)
        .map(|_| {
            let target = target.clone();
            tokio::spawn(async move {
                let mut samples = Vec::new();
                while Instant::now() < end {
                    samples.push(send(&target, Instant::now()).await);
                }
                samples
            })
        })
        .collect();
    let mut samples = Vec::new();
    for handle in clients {
        samples.extend(handle.await.expect("a client task does not panic"));
    }
    Measurement::from_samples(samples, start.elapsed())
}

/// Requests at a fixed `rate` per second for `duration`, each due at its scheduled time
/// whether or not earlier ones were answered. As in wrk2, `concurrency` clients on keep-alive
/// connections take the requests as they fall due; when all are busy, due requests wait, and
/// that wait counts in their latency.
pub(crate) async fn open_loop(
    target: &Arc<Target>,
    concurrency: usize,
    rate: f64,
    duration: Duration,
) -> Measurement {
    let count = (rate * duration.as_secs_f64()).round().max(1.0) as u32;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let (due, schedule) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let schedule = Arc::new(tokio::sync::Mutex::new(schedule));
    let clients: Vec<_> = (0..concurrency)
        .map(|_| {
            let (target, schedule) = (target.clone(), schedule.clone());
            tokio::spawn(async move {
                let mut samples = Vec::new();
                loop {
                    let next = schedule.lock().await.recv().await;
                    let Some(scheduled) = next else { break };
                    samples.push(send(&target, scheduled).await);
                }
                samples
            })
        })
        .collect();
    // The schedule runs on a thread of its own: a thread sleep wakes within tens of
    // microseconds, where the runtime's timer has a millisecond's granularity.
    let start = Instant::now();
    tokio::task::spawn_blocking(move || {
        for i in 0..count {
            let scheduled = start + interval * i;
            std::thread::sleep(scheduled.saturating_duration_since(Instant::now()));
            let _ = due.send(scheduled);
        }
    })
    .await
    .expect("the scheduler does not panic");
    let mut samples = Vec::with_capacity(count as usize);
    for handle in clients {
        samples.extend(handle.await.expect("a client task does not panic"));
    }
    Measurement::from_samples(samples, start.elapsed())
}
