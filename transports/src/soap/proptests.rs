//! Property tests of the SOAP envelope reader: random and mutated envelopes never make it
//! panic, and reading time grows in proportion to the input for the shapes that used to grow
//! quadratically (many attributes, many namespace declarations used by the body).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Timings are taken one test at a time, so that they do not slow each other down.
static TIMING: Mutex<()> = Mutex::new(());

use proptest::prelude::*;

use crate::soap::{parse_envelope, parse_envelope_with, parse_response, SoapVersion};
use crate::xml::XmlLimits;

const ENVELOPE_11: &str = r#"xmlns:s="http://schemas.xmlsoap.org/soap/envelope/""#;

/// A random payload element with attributes, declarations and children.
fn payload() -> impl Strategy<Value = String> {
    let name = "(p[0-9]:)?[a-z][a-z0-9]{0,5}";
    let attribute = (
        "(p[0-9]:|xmlns:p[0-9]|xmlns)?[a-z]{1,3}",
        "[a-z0-9&;<:' ]{0,6}",
    )
        .prop_map(|(key, value)| format!(r#" {key}="{value}""#));
    let leaf = (name, prop::collection::vec(attribute.clone(), 0..3))
        .prop_map(|(name, attributes)| format!("<{name}{}/>", attributes.concat()));
    leaf.prop_recursive(5, 48, 5, move |inner| {
        let child = prop_oneof![inner, "[a-z <>&;:0-9]{0,10}".prop_map(|text| text)];
        (
            name,
            prop::collection::vec(attribute.clone(), 0..3),
            prop::collection::vec(child, 0..5),
        )
            .prop_map(|(name, attributes, children)| {
                format!(
                    "<{name}{}>{}</{name}>",
                    attributes.concat(),
                    children.concat()
                )
            })
    })
}

/// An envelope of either version with a random header and body; some prefixes declared on the
/// Envelope.
fn envelope() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        0..10usize,
        prop::collection::vec(payload(), 0..2),
        prop::collection::vec(payload(), 0..3),
    )
        .prop_map(|(soap12, declared, headers, body)| {
            let ns = if soap12 {
                SoapVersion::Soap12.namespace()
            } else {
                SoapVersion::Soap11.namespace()
            };
            let declarations: String = (0..declared)
                .map(|i| format!(r#" xmlns:p{i}="urn:p{i}""#))
                .collect();
            format!(
                r#"<s:Envelope xmlns:s="{ns}"{declarations}><s:Header>{}</s:Header><s:Body>{}</s:Body></s:Envelope>"#,
                headers.concat(),
                body.concat()
            )
        })
}

fn mutated(text: String) -> impl Strategy<Value = Vec<u8>> {
    let length = text.len().max(1);
    let edit = (
        0..length,
        0..3u8,
        prop::sample::select(&b"<>/&;:=\"' xmlns!?[]-\xef\xbb\xbf\xff"[..]),
    );
    prop::collection::vec(edit, 1..8).prop_map(move |edits| {
        let mut bytes = text.clone().into_bytes();
        for (at, kind, byte) in edits {
            let at = at.min(bytes.len());
            match kind {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ if at < bytes.len() => bytes[at] = byte,
                _ => bytes.push(byte),
            }
        }
        bytes
    })
}

fn read_all_ways(bytes: &[u8]) {
    let _ = parse_envelope(None, None, bytes);
    let _ = parse_envelope(Some("text/xml; charset=utf-8"), Some("\"urn:a\""), bytes);
    let _ = parse_response(SoapVersion::Soap11, bytes);
    let _ = parse_response(SoapVersion::Soap12, bytes);
}

proptest! {
    #[test]
    fn random_envelopes_never_panic(text in envelope()) {
        read_all_ways(text.as_bytes());
    }

    #[test]
    fn mutated_envelopes_never_panic(bytes in envelope().prop_flat_map(mutated)) {
        read_all_ways(&bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        read_all_ways(&bytes);
    }
}

/// The shortest of several reads of `small` and of `large`, taken in turn so that a busy
/// machine slows both alike; both must read.
fn read_times(small: &str, large: &str, limits: &XmlLimits) -> (Duration, Duration) {
    let time = |text: &str| {
        let started = Instant::now();
        parse_envelope_with(limits, None, None, text.as_bytes()).expect("it reads");
        started.elapsed()
    };
    (0..9)
        .map(|_| (time(small), time(large)))
        .fold((Duration::MAX, Duration::MAX), |(s, l), (ts, tl)| {
            (s.min(ts), l.min(tl))
        })
}

/// Reading the shape at 8 times the size takes at most half the 64 times a quadratic reader
/// would need (limits lifted, so that the reader itself is measured).
fn assert_linear(shape: impl Fn(usize) -> String, base: usize) {
    let _one_at_a_time = TIMING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let limits = XmlLimits {
        max_depth: usize::MAX,
        max_attributes: usize::MAX,
        max_namespace_declarations: usize::MAX,
        max_namespaces_in_scope: usize::MAX,
        max_name_bytes: usize::MAX,
        max_text_bytes: usize::MAX,
    };
    let (small, large) = read_times(&shape(base), &shape(8 * base), &limits);
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
    assert!(
        ratio < 32.0,
        "8x the input took {ratio:.1}x the time ({small:?} → {large:?})"
    );
}

fn envelope_around(declarations: &str, body: &str) -> String {
    format!("<s:Envelope {ENVELOPE_11}{declarations}><s:Body>{body}</s:Body></s:Envelope>")
}

#[test]
fn reading_time_grows_linearly_with_attributes() {
    assert_linear(
        |count| {
            let attributes: String = (0..count).map(|i| format!(r#" a{i}="v""#)).collect();
            envelope_around("", &format!("<x{attributes}/>"))
        },
        4000,
    );
}

#[test]
fn reading_time_grows_linearly_with_declarations_used_by_the_body() {
    assert_linear(
        |count| {
            let declarations: String = (0..count)
                .map(|i| format!(r#" xmlns:p{i}="urn:p{i}""#))
                .collect();
            let uses: String = (0..count).map(|i| format!(r#" p{i}:a="v""#)).collect();
            envelope_around(&declarations, &format!("<x{uses}/><y/>"))
        },
        2000,
    );
}

#[test]
fn the_default_limits_refuse_what_goes_beyond_them_naming_the_limit() {
    let limits = XmlLimits::default();
    let attributes = |count: usize| -> String {
        let attributes: String = (0..count).map(|i| format!(r#" a{i}="v""#)).collect();
        envelope_around("", &format!("<x{attributes}/>"))
    };
    assert!(parse_envelope(None, None, attributes(limits.max_attributes).as_bytes()).is_ok());
    let refused = parse_envelope(None, None, attributes(limits.max_attributes + 1).as_bytes());
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("xml.max-attributes = 1024"), "{message}");
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let text = format!("\u{feff}{}", envelope_around("", "<x/>"));
    let envelope = parse_envelope(None, None, text.as_bytes()).unwrap();
    assert_eq!(&envelope.body[..], b"<x/>");
}
