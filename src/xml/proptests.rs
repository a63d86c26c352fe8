//! Property tests of the parser: random and mutated documents never make it panic, documents
//! at each limit parse while one step beyond is refused naming the limit, and parsing time
//! grows in proportion to the input for the shapes that used to grow quadratically.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Timings are taken one test at a time, so that they do not slow each other down.
static TIMING: Mutex<()> = Mutex::new(());

use baton_transports::xml::XmlLimits;
use proptest::prelude::*;

use super::{parse_with, Error, ParseOptions};

/// A random element: a name (maybe prefixed), attributes (maybe prefixed), namespace
/// declarations, and children that are elements or text.
fn element() -> impl Strategy<Value = String> {
    let name = "(p[0-9]:)?[a-z][a-z0-9]{0,6}";
    let attribute = (
        "(p[0-9]:|xmlns:p[0-9]|xmlns)?[a-z]{1,4}",
        "[a-z0-9&;<\"' ]{0,8}",
    )
        .prop_map(|(key, value)| format!(r#" {key}="{value}""#));
    let leaf = (name, prop::collection::vec(attribute.clone(), 0..4))
        .prop_map(|(name, attributes)| format!("<{name}{}/>", attributes.concat()));
    leaf.prop_recursive(6, 64, 6, move |inner| {
        let child = prop_oneof![inner, "[a-z <>&;#x0-9]{0,12}".prop_map(|text| text)];
        (
            name,
            prop::collection::vec(attribute.clone(), 0..4),
            prop::collection::vec(child, 0..6),
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

/// A document, its namespaces declared at the root for some of the prefixes in use.
fn document() -> impl Strategy<Value = String> {
    (element(), 0..10usize).prop_map(|(body, declared)| {
        let declarations: String = (0..declared)
            .map(|i| format!(r#" xmlns:p{i}="urn:p{i}""#))
            .collect();
        format!("<root{declarations}>{body}</root>")
    })
}

/// Byte-level edits: insertions of XML-significant bytes, deletions and replacements.
fn mutated(document: String) -> impl Strategy<Value = Vec<u8>> {
    let length = document.len().max(1);
    let edit = (
        0..length,
        0..3u8,
        prop::sample::select(&b"<>/&;:=\"' xmlns!?[]-\xef\xbb\xbf\xff"[..]),
    );
    prop::collection::vec(edit, 1..8).prop_map(move |edits| {
        let mut bytes = document.clone().into_bytes();
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

fn small_limits() -> ParseOptions {
    ParseOptions {
        limits: XmlLimits {
            max_depth: 8,
            max_attributes: 3,
            max_namespace_declarations: 3,
            max_namespaces_in_scope: 6,
            max_name_bytes: 6,
            max_text_bytes: 10,
        },
        ..ParseOptions::default()
    }
}

proptest! {
    #[test]
    fn random_documents_never_panic(doc in document()) {
        let _ = parse_with(doc.as_bytes(), &ParseOptions::default());
        let _ = parse_with(doc.as_bytes(), &small_limits());
        let _ = parse_with(
            doc.as_bytes(),
            &ParseOptions { fragment: true, keep_whitespace_text: true, ..ParseOptions::default() },
        );
    }

    #[test]
    fn mutated_documents_never_panic(bytes in document().prop_flat_map(mutated)) {
        let _ = parse_with(&bytes, &ParseOptions::default());
        let _ = parse_with(&bytes, &small_limits());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_with(&bytes, &ParseOptions::default());
    }
}

/// The limit a parse was refused on.
fn refused_on(text: &str, options: &ParseOptions) -> &'static str {
    match parse_with(text.as_bytes(), options) {
        Err(Error::Limit { source, .. }) => source.limit,
        other => panic!("{}…: {other:?}", &text[..text.len().min(80)]),
    }
}

fn with_attributes(count: usize) -> String {
    let attributes: String = (0..count).map(|i| format!(r#" a{i}="v""#)).collect();
    format!("<e{attributes}/>")
}

fn with_declarations(count: usize) -> String {
    let declarations: String = (0..count)
        .map(|i| format!(r#" xmlns:p{i}="urn:p{i}""#))
        .collect();
    format!("<e{declarations}/>")
}

fn nested(depth: usize) -> String {
    "<e>".repeat(depth) + &"</e>".repeat(depth)
}

/// `levels` nested elements each declaring `each` prefixes.
fn declarations_in_scope(levels: usize, each: usize) -> String {
    let open: String = (0..levels)
        .map(|level| {
            let declarations: String = (0..each)
                .map(|i| format!(r#" xmlns:p{level}x{i}="urn:{i}""#))
                .collect();
            format!("<e{declarations}>")
        })
        .collect();
    open + &"</e>".repeat(levels)
}

#[test]
fn documents_at_each_default_limit_parse_and_one_beyond_is_refused() {
    let options = ParseOptions::default();
    let limits = &options.limits;
    assert!(parse_with(with_attributes(limits.max_attributes).as_bytes(), &options).is_ok());
    let beyond = with_attributes(limits.max_attributes + 1);
    assert_eq!(refused_on(&beyond, &options), "max-attributes");

    let at = with_declarations(limits.max_namespace_declarations);
    assert!(parse_with(at.as_bytes(), &options).is_ok());
    let beyond = with_declarations(limits.max_namespace_declarations + 1);
    assert_eq!(refused_on(&beyond, &options), "max-namespace-declarations");

    let each = limits.max_namespace_declarations;
    let levels = limits.max_namespaces_in_scope / each;
    let at = declarations_in_scope(levels, each);
    assert!(parse_with(at.as_bytes(), &options).is_ok());
    let beyond = declarations_in_scope(levels + 1, each);
    assert_eq!(refused_on(&beyond, &options), "max-namespaces-in-scope");

    assert!(parse_with(nested(limits.max_depth).as_bytes(), &options).is_ok());
    assert_eq!(
        refused_on(&nested(limits.max_depth + 1), &options),
        "max-depth"
    );

    let name = "n".repeat(limits.max_name_bytes);
    assert!(parse_with(format!("<{name}/>").as_bytes(), &options).is_ok());
    let beyond = format!("<{name}n/>");
    assert_eq!(refused_on(&beyond, &options), "max-name-bytes");

    let text = "t".repeat(limits.max_text_bytes);
    assert!(parse_with(format!("<e>{text}</e>").as_bytes(), &options).is_ok());
    assert!(parse_with(format!(r#"<e a="{text}"/>"#).as_bytes(), &options).is_ok());
    let beyond = format!("<e>{text}t</e>");
    assert_eq!(refused_on(&beyond, &options), "max-text-bytes");
}

/// The shortest of several parses of `small` and of `large`, taken in turn so that a busy
/// machine slows both alike; both must parse.
fn parse_times(small: &str, large: &str, options: &ParseOptions) -> (Duration, Duration) {
    let time = |text: &str| {
        let started = Instant::now();
        parse_with(text.as_bytes(), options).expect("the document parses");
        started.elapsed()
    };
    (0..9)
        .map(|_| (time(small), time(large)))
        .fold((Duration::MAX, Duration::MAX), |(s, l), (ts, tl)| {
            (s.min(ts), l.min(tl))
        })
}

/// Parsing the shape at 8 times the size takes at most half the 64 times a quadratic parser
/// would need (limits lifted, so that the parser itself is measured, not the limits).
fn assert_linear(shape: impl Fn(usize) -> String, base: usize) {
    let _one_at_a_time = TIMING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let options = ParseOptions {
        limits: XmlLimits {
            max_depth: usize::MAX,
            max_attributes: usize::MAX,
            max_namespace_declarations: usize::MAX,
            max_namespaces_in_scope: usize::MAX,
            max_name_bytes: usize::MAX,
            max_text_bytes: usize::MAX,
        },
        ..ParseOptions::default()
    };
    let (small, large) = parse_times(&shape(base), &shape(8 * base), &options);
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
    assert!(
        ratio < 32.0,
        "8x the input took {ratio:.1}x the time ({small:?} → {large:?})"
    );
}

#[test]
fn parsing_time_grows_linearly_with_attributes() {
    assert_linear(with_attributes, 4000);
}

#[test]
fn parsing_time_grows_linearly_with_namespace_declarations() {
    // Each declaration also prefixes an attribute, which is resolved in the full scope.
    assert_linear(
        |count| {
            let declarations: String = (0..count)
                .map(|i| format!(r#" xmlns:p{i}="urn:p{i}" p{i}:a="v""#))
                .collect();
            format!("<e{declarations}><p0:child/></e>")
        },
        2000,
    );
}

#[test]
fn parsing_time_grows_linearly_with_declarations_in_scope() {
    assert_linear(|levels| declarations_in_scope(levels, 20), 100);
}
