//! The XML Schema atomic types of XPath 2.0 that expressions name: the `xs:type(value)`
//! constructor functions, `cast as`, `castable as` and `instance of`. Values stay XPath 1.0
//! values (numbers are doubles) plus [`Temporal`]s, so integer types are doubles with no
//! fraction.

use crate::xml::NodeKind;

use super::temporal::{Temporal, TemporalType};
use super::value::{parse_number, Value};

/// Namespace of the XML Schema types.
pub const XS_NS: &str = "http://www.w3.org/2001/XMLSchema";

/// An atomic type a value can be cast to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum XsType {
    String,
    Boolean,
    Double,
    Decimal,
    Integer,
    AnyUri,
    UntypedAtomic,
    Temporal(TemporalType),
}

impl XsType {
    /// The type with local name `local` in [`XS_NS`].
    pub(super) fn by_local_name(local: &str) -> Option<XsType> {
        Some(match local {
            "string" | "normalizedString" | "token" | "NCName" | "Name" | "language" => {
                XsType::String
            }
            "boolean" => XsType::Boolean,
            "double" | "float" => XsType::Double,
            "decimal" => XsType::Decimal,
            "integer" | "int" | "long" | "short" | "byte" | "nonNegativeInteger"
            | "positiveInteger" | "nonPositiveInteger" | "negativeInteger" | "unsignedInt"
            | "unsignedLong" | "unsignedShort" | "unsignedByte" => XsType::Integer,
            "anyURI" => XsType::AnyUri,
            "untypedAtomic" | "anyAtomicType" => XsType::UntypedAtomic,
            "dateTime" => XsType::Temporal(TemporalType::DateTime),
            "date" => XsType::Temporal(TemporalType::Date),
            "time" => XsType::Temporal(TemporalType::Time),
            "duration" => XsType::Temporal(TemporalType::Duration),
            "dayTimeDuration" => XsType::Temporal(TemporalType::DayTimeDuration),
            "yearMonthDuration" => XsType::Temporal(TemporalType::YearMonthDuration),
            _ => return None,
        })
    }

    /// Casts an atomized value; `None` when its lexical form is not valid for the type.
    pub(super) fn cast<'a>(self, value: &Value<'a>) -> Option<Value<'a>> {
        let text = value.to_xpath_string();
        let trimmed = text.trim();
        Some(match self {
            XsType::String | XsType::AnyUri | XsType::UntypedAtomic => Value::String(text),
            XsType::Boolean => Value::Boolean(match value {
                Value::Number(n) => *n != 0.0 && !n.is_nan(),
                Value::Boolean(b) => *b,
                _ => match trimmed {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return None,
                },
            }),
            XsType::Double | XsType::Decimal | XsType::Integer => {
                let number = match value {
                    Value::Number(n) => *n,
                    Value::Boolean(b) => f64::from(u8::from(*b)),
                    _ => parse_schema_number(trimmed, self)?,
                };
                if self == XsType::Integer {
                    if !number.is_finite() {
                        return None;
                    }
                    Value::Number(number.trunc())
                } else {
                    Value::Number(number)
                }
            }
            XsType::Temporal(ty) => Value::Temporal(match value {
                Value::Temporal(t) => t.cast(ty)?,
                _ => Temporal::parse(ty, trimmed)?,
            }),
        })
    }

    /// True when an atomic value is an instance of the type.
    fn has_instance(self, value: &Value<'_>) -> bool {
        match (self, value) {
            (XsType::UntypedAtomic, _) => !matches!(value, Value::NodeSet(_)),
            (XsType::String, Value::String(_)) => true,
            (XsType::Boolean, Value::Boolean(_)) => true,
            (XsType::Double, Value::Number(_)) => true,
            (XsType::Decimal | XsType::Integer, Value::Number(n)) => {
                n.is_finite() && n.fract() == 0.0
            }
            (XsType::Temporal(ty), Value::Temporal(t)) => match (ty, t) {
                (TemporalType::DateTime, Temporal::DateTime(_))
                | (TemporalType::Date, Temporal::Date(_))
                | (TemporalType::Time, Temporal::Time(_))
                | (TemporalType::Duration, Temporal::Duration(_)) => true,
                (TemporalType::DayTimeDuration, Temporal::Duration(d)) => d.months == 0,
                (TemporalType::YearMonthDuration, Temporal::Duration(d)) => d.seconds == 0.0,
                _ => false,
            },
            _ => false,
        }
    }
}

/// `xs:double` and friends accept exponents and `INF`/`NaN`, unlike XPath 1.0 `number()`.
fn parse_schema_number(text: &str, ty: XsType) -> Option<f64> {
    match (ty, text) {
        (XsType::Double, "INF") => return Some(f64::INFINITY),
        (XsType::Double, "-INF") => return Some(f64::NEG_INFINITY),
        (XsType::Double, "NaN") => return Some(f64::NAN),
        _ => {}
    }
    let allowed = |b: u8| {
        b.is_ascii_digit()
            || matches!(b, b'+' | b'-')
            || (ty != XsType::Integer && b == b'.')
            || (ty == XsType::Double && matches!(b, b'e' | b'E'))
    };
    if text.is_empty() || !text.bytes().all(allowed) {
        return None;
    }
    text.parse().ok().or_else(|| {
        let n = parse_number(text);
        (!n.is_nan()).then_some(n)
    })
}

/// What an `instance of` tests for.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct SequenceType {
    pub item: ItemType,
    /// `?` or `*`: the empty sequence matches.
    pub allows_empty: bool,
    /// `*` or `+`: several items match.
    pub allows_many: bool,
}

/// The item part of a [`SequenceType`].
#[derive(Clone, Debug, PartialEq)]
pub(super) enum ItemType {
    /// `item()`.
    Item,
    /// `node()`.
    Node,
    /// `element()`.
    Element,
    /// `attribute()`.
    Attribute,
    /// `text()`.
    Text,
    /// An atomic type.
    Atomic(XsType),
}

impl SequenceType {
    /// True when `value` matches the type.
    pub(super) fn matches(&self, value: &Value<'_>) -> bool {
        let Value::NodeSet(nodes) = value else {
            return match self.item {
                ItemType::Item => true,
                ItemType::Atomic(ty) => ty.has_instance(value),
                _ => false,
            };
        };
        let count_ok = match nodes.len() {
            0 => self.allows_empty,
            1 => true,
            _ => self.allows_many,
        };
        count_ok
            && nodes.iter().all(|n| {
                let kind = n.doc.kind(n.id);
                match self.item {
                    ItemType::Item | ItemType::Node => true,
                    ItemType::Element => matches!(kind, NodeKind::Element { .. }),
                    ItemType::Attribute => matches!(kind, NodeKind::Attribute),
                    ItemType::Text => matches!(kind, NodeKind::Text(_)),
                    ItemType::Atomic(_) => false,
                }
            })
    }
}
