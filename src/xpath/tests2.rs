//! Tests for the XPath 2.0 syntax, typed date/time values and 2.0 functions.

use std::collections::HashMap;

use super::*;
use crate::xml::{parse, Document};

fn namespaces() -> HashMap<String, String> {
    HashMap::from([
        ("xs".to_owned(), XS_NS.to_owned()),
        ("fn".to_owned(), FN_NS.to_owned()),
    ])
}

fn compile2(expr: &str) -> XPath {
    XPath::compile_in(expr, &namespaces(), Language::XPath2)
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
}

fn eval2<'a>(doc: &'a Document, expr: &str) -> Value<'a> {
    let ctx = MapContext::new().with(
        "d",
        Value::NodeSet(vec![Node::new(doc, doc.document_element().unwrap())]),
    );
    compile2(expr)
        .evaluate(&ctx, Some(Node::new(doc, doc.root())))
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
}

fn doc() -> Document {
    parse(br#"<r><a>5</a><a>7</a><s>abc</s><when>2008-01-01T00:00:00Z</when><t><x y="1">v</x></t><t><x y="1">v</x></t></r>"#).unwrap()
}

fn s2(expr: &str) -> String {
    eval2(&doc(), expr).to_xpath_string()
}

fn b2(expr: &str) -> bool {
    eval2(&doc(), expr).to_boolean()
}

fn fails2(expr: &str) -> Error {
    let d = doc();
    compile2(expr)
        .evaluate(&MapContext::new(), Some(Node::new(&d, d.root())))
        .expect_err(expr)
}

#[test]
fn value_comparisons() {
    assert!(b2("/r/s eq 'abc'"));
    assert!(b2("/r/s ne 'abd'"));
    assert!(b2("/r/a[1] lt 6"));
    assert!(b2("/r/a[2] ge 7"));
    assert!(b2("'abc' lt 'abd'"));
    assert!(!b2("/r/missing eq 'x'"));
    assert!(b2("1 + 1 eq 2 and 3 gt 2"));
    assert!(matches!(fails2("/r/a eq 5"), Error::Type(_)));
}

#[test]
fn conditionals_and_quantifiers() {
    assert_eq!(s2("if (/r/a[1] = 5) then 'five' else 'other'"), "five");
    assert_eq!(s2("if (/r/nothing) then 'yes' else 'no'"), "no");
    assert!(b2("some $x in /r/a satisfies $x = 7"));
    assert!(!b2("every $x in /r/a satisfies $x = 7"));
    assert!(b2(
        "every $x in /r/a, $y in /r/s satisfies $x < 10 and $y = 'abc'"
    ));
    assert!(b2("some $x in /r/a satisfies $x eq '5'"));
}

#[test]
fn comments_and_integer_division() {
    assert_eq!(s2("7 idiv 2 (: a comment (: nested :) :)"), "3");
    assert!(matches!(fails2("1 idiv 0"), Error::Type(_)));
}

#[test]
fn casts_constructors_and_instance_of() {
    assert_eq!(s2("xs:integer('42') + 1"), "43");
    assert_eq!(s2("xs:double('1.5E1')"), "15");
    assert_eq!(s2("xs:string(12)"), "12");
    assert!(b2("xs:boolean('true')"));
    assert!(b2("'12' castable as xs:integer"));
    assert!(!b2("'x' castable as xs:integer"));
    assert_eq!(s2("'3' cast as xs:integer"), "3");
    assert!(b2("5 instance of xs:integer"));
    assert!(b2("'a' instance of xs:string"));
    assert!(!b2("'a' instance of xs:integer"));
    assert!(b2("/r/a[1] instance of element()"));
    assert!(!b2("/r/a instance of element()"));
    assert!(b2("/r/a instance of element()+"));
    assert!(b2("/r/nothing instance of node()?"));
    assert!(b2(
        "xs:dateTime('2008-01-01T00:00:00Z') instance of xs:dateTime"
    ));
    assert!(matches!(fails2("xs:double('')"), Error::Type(_)));
    assert!(matches!(fails2("xs:dateTime('yesterday')"), Error::Type(_)));
}

#[test]
fn date_time_arithmetic() {
    assert_eq!(
        s2("xs:dateTime('2008-01-01T00:00:00Z')"),
        "2008-01-01T00:00:00Z"
    );
    assert_eq!(
        s2("xs:dateTime('2008-01-01T00:00:00Z') + xs:dayTimeDuration('P1D')"),
        "2008-01-02T00:00:00Z"
    );
    assert_eq!(
        s2("/r/when + xs:dayTimeDuration ('P1D')"),
        "2008-01-02T00:00:00Z"
    );
    assert_eq!(
        s2("xs:dateTime('2008-01-31T10:00:00+02:00') + xs:yearMonthDuration('P1M')"),
        "2008-02-29T10:00:00+02:00"
    );
    assert_eq!(
        s2("xs:date('2008-03-01') - xs:dayTimeDuration('P1D')"),
        "2008-02-29"
    );
    assert_eq!(
        s2("xs:dateTime('2008-01-02T01:30:00Z') - xs:dateTime('2008-01-01T00:00:00Z')"),
        "P1DT1H30M"
    );
    assert_eq!(s2("xs:dayTimeDuration('PT2S')"), "PT2S");
    assert_eq!(s2("xs:duration('P1Y2M3DT4H5M6.5S')"), "P1Y2M3DT4H5M6.5S");
    assert!(b2(
        "xs:dateTime('2008-01-01T01:00:00+01:00') eq xs:dateTime('2008-01-01T00:00:00Z')"
    ));
    assert!(b2("xs:dateTime('2008-01-02T00:00:00Z') gt /r/when"));
    assert!(b2(
        "xs:dayTimeDuration('PT90S') = xs:dayTimeDuration('PT1M30S')"
    ));
    assert!(matches!(
        fails2("xs:dayTimeDuration('P1Y')"),
        Error::Type(_)
    ));
}

#[test]
fn date_time_functions() {
    assert_eq!(
        s2("seconds-from-dateTime(xs:dateTime('2008-01-01T00:01:02.5Z'))"),
        "2.5"
    );
    assert_eq!(s2("year-from-dateTime(/r/when)"), "2008");
    assert_eq!(s2("month-from-date(xs:date('2008-05-04'))"), "5");
    assert_eq!(s2("hours-from-time(xs:time('13:14:15'))"), "13");
    let now = s2("current-dateTime()");
    let parsed = Temporal::parse(TemporalType::DateTime, &now).unwrap();
    assert_eq!(parsed.to_string(), now);
    let seconds = eval2(&doc(), "round(seconds-from-dateTime(current-dateTime()))").to_number();
    assert!((0.0..=60.0).contains(&seconds));
    assert!(b2("current-date() instance of xs:date"));
}

#[test]
fn string_and_sequence_functions() {
    assert_eq!(s2("compare('a', 'b')"), "-1");
    assert_eq!(s2("compare(/r/s, 'abc')"), "0");
    assert!(b2("matches('hello world', '^h.*d$')"));
    assert!(b2("matches('HELLO', 'hello', 'i')"));
    assert_eq!(s2("replace('a-b-c', '-', '+')"), "a+b+c");
    assert_eq!(s2("replace('abc', '(b)', '[$1]')"), "a[b]c");
    assert_eq!(s2("upper-case(/r/s)"), "ABC");
    assert_eq!(s2("string-join(/r/a, ',')"), "5,7");
    assert_eq!(s2("encode-for-uri('a b/c')"), "a%20b%2Fc");
    assert_eq!(s2("max(/r/a)"), "7");
    assert_eq!(s2("avg(/r/a)"), "6");
    assert!(b2("fn:deep-equal(/r/t[1], /r/t[2])"));
    assert!(!b2("fn:deep-equal(/r/t[1], /r/a[1])"));
    assert!(b2("exists(/r/a) and empty(/r/b)"));
    assert_eq!(s2("QName('urn:x', 'p:local')"), "{urn:x}local");
    assert!(matches!(
        fails2("matches('a', '(')"),
        Error::WrongArguments { .. }
    ));
}

#[test]
fn xpath1_mode_keeps_1_0_syntax() {
    let ns = namespaces();
    assert!(XPath::compile("1 eq 1", &ns).is_err());
    assert!(XPath::compile("if (1) then 2 else 3", &ns).is_err());
    let d = doc();
    let eq = XPath::compile("/r/eq", &ns).unwrap();
    assert_eq!(
        eq.evaluate(&MapContext::new(), Some(Node::new(&d, d.root())))
            .unwrap(),
        Value::NodeSet(vec![])
    );
    let in_2 = compile2("/r/eq");
    assert_eq!(
        in_2.evaluate(&MapContext::new(), Some(Node::new(&d, d.root())))
            .unwrap(),
        Value::NodeSet(vec![])
    );
}

#[test]
fn variables_still_resolve_in_2_0() {
    assert_eq!(s2("$d/s"), "abc");
    assert!(b2("some $d in /r/a satisfies $d = 5"));
}
