//! Property tests of the XPath compiler: random token soups, mutated expressions and arbitrary
//! text never make it panic, in either language, and compiling time grows in proportion to the
//! expression's length for long sums, argument lists, location paths and unions.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::{Language, XPath};

/// Pieces of XPath 1.0 and 2.0 syntax, to be strung together at random.
const PIECES: &[&str] = &[
    "/",
    "//",
    "..",
    ".",
    "@",
    "*",
    "p:",
    "a",
    "b",
    "$v",
    "$v.part",
    "(",
    ")",
    "[",
    "]",
    ",",
    "|",
    "+",
    "-",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    " and ",
    " or ",
    " div ",
    " mod ",
    " idiv ",
    "1",
    "2.5",
    "'s'",
    "\"t\"",
    "count(",
    "concat(",
    "bpel:getVariableProperty(",
    "fn:true()",
    "child::",
    "ancestor-or-self::",
    "preceding::",
    "node()",
    "text()",
    " if ",
    " then ",
    " else ",
    " some ",
    " every ",
    " in ",
    " satisfies ",
    " cast as ",
    " instance of ",
    "xs:integer",
    " eq ",
    "?",
    ":",
    "::",
    "#",
    "\u{e9}",
];

/// Expressions that compile, to be mutated.
const VALID: &[&str] = &[
    "count(//p:a[@b = 1]) + 2",
    "concat($v.part/p:a, 'x', string(1 div 3))",
    "/p:a/p:b[position() < last()]/@c | //a/text()",
    "if ($v > 1) then 'big' else 'small'",
    "some $x in //a satisfies $x = 2",
    "xs:integer('4') idiv 3 eq 1",
];

fn namespaces() -> HashMap<String, String> {
    HashMap::from([
        ("p".to_owned(), "urn:p".to_owned()),
        (
            "bpel".to_owned(),
            "http://docs.oasis-open.org/wsbpel/2.0/process/executable".to_owned(),
        ),
        (
            "fn".to_owned(),
            "http://www.w3.org/2005/xpath-functions".to_owned(),
        ),
        (
            "xs".to_owned(),
            "http://www.w3.org/2001/XMLSchema".to_owned(),
        ),
    ])
}

fn compile_both(expression: &str) {
    let namespaces = namespaces();
    for language in [Language::XPath1, Language::XPath2] {
        let _ = XPath::compile_in(expression, &namespaces, language);
    }
}

fn mutated() -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0..3u8,
        prop::sample::select(PIECES),
    );
    (
        prop::sample::select(VALID),
        prop::collection::vec(edit, 1..6),
    )
        .prop_map(|(valid, edits)| {
            let mut text = valid.to_owned();
            for (at, kind, piece) in edits {
                let boundaries: Vec<usize> = (0..=text.len())
                    .filter(|&i| text.is_char_boundary(i))
                    .collect();
                let at = boundaries[at.index(boundaries.len())];
                match kind {
                    0 => text.insert_str(at, piece),
                    1 => {
                        let end = boundaries.iter().copied().find(|&b| b > at).unwrap_or(at);
                        text.replace_range(at..end, "");
                    }
                    _ => text.truncate(at),
                }
            }
            text
        })
}

proptest! {
    #[test]
    fn token_soups_never_panic(pieces in prop::collection::vec(prop::sample::select(PIECES), 0..40)) {
        compile_both(&pieces.concat());
    }

    #[test]
    fn mutated_expressions_never_panic(expression in mutated()) {
        compile_both(&expression);
    }

    #[test]
    fn arbitrary_text_never_panics(expression in "\\PC{0,80}") {
        compile_both(&expression);
    }
}

/// The shortest of several compilations of `small` and of `large`, taken in turn so that a
/// busy machine slows both alike; both must compile.
fn compile_times(small: &str, large: &str) -> (Duration, Duration) {
    let namespaces = namespaces();
    let time = |expression: &str| {
        let started = Instant::now();
        XPath::compile_in(expression, &namespaces, Language::XPath2).expect("it compiles");
        started.elapsed()
    };
    (0..9)
        .map(|_| (time(small), time(large)))
        .fold((Duration::MAX, Duration::MAX), |(s, l), (ts, tl)| {
            (s.min(ts), l.min(tl))
        })
}

#[test]
fn compiling_time_grows_linearly_with_the_expression() {
    let shapes: [fn(usize) -> String; 4] = [
        |n| vec!["count(//p:a[@b = 1])"; n].join(" + "),
        |n| format!("concat({})", vec!["'x'"; n].join(", ")),
        |n| format!("/{}", vec!["p:a[1]"; n].join("/")),
        |n| vec!["$v/p:a"; n].join(" | "),
    ];
    for shape in shapes {
        let (small, large) = compile_times(&shape(1000), &shape(8000));
        let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
        assert!(
            ratio < 32.0,
            "8x the expression took {ratio:.1}x the time ({small:?} → {large:?}): {}",
            shape(2)
        );
    }
}
