//! `<validate>` and `<assign validate="yes">` (WS-BPEL 2.0 §8.4.3, §10.10): checks a
//! variable's value against its declared type, as far as the declarations Baton reads go.
//!
//! - A message variable must hold every part of its message type, and each element part
//!   the element the part names.
//! - An element variable must hold the element it is declared with.
//! - A variable of an XML Schema built-in simple type must hold a value of the type's
//!   lexical space (booleans, the numeric types with their ranges, dates, times and
//!   durations); string-like types accept any text.
//!
//! Complex types are checked by their element names only: Baton does not read XML Schema
//! content models. A value that fails is `bpel:invalidVariables`.

use super::compiled::CompiledProcess;
use super::fault::Fault;
use super::message;
use super::xsd;
use crate::model::{PartContent, VariableId, VariableKind};
use crate::xml::{Document, QName};

const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";

/// Checks the value `document` of `variable` against its declared type.
pub fn variable(
    process: &CompiledProcess,
    variable: VariableId,
    document: &Document,
) -> Result<(), Fault> {
    let declared = process.model.variable(variable);
    let problem = match &declared.kind {
        VariableKind::Message(name) => match process.definitions.messages.get(name) {
            Some(definition) => definition
                .parts
                .iter()
                .find_map(|part| part_problem(document, &part.name, &part.content)),
            None => None,
        },
        VariableKind::Element(name) => element_problem(document, document.document_element(), name),
        VariableKind::Type(name) => {
            let text = document.string_value(document.root());
            simple_problem(name, &text)
        }
    };
    match problem {
        Some(problem) => Err(Fault::standard(
            "invalidVariables",
            format!("variable '{}': {problem}", declared.name),
        )),
        None => Ok(()),
    }
}

fn part_problem(document: &Document, part: &str, content: &PartContent) -> Option<String> {
    let Some(accessor) = message::part_element(document, part) else {
        return Some(format!("part '{part}' is missing"));
    };
    match content {
        PartContent::Element(name) => {
            element_problem(document, document.child_elements(accessor).next(), name)
                .map(|problem| format!("part '{part}': {problem}"))
        }
        PartContent::Type(name) => simple_problem(name, &document.string_value(accessor))
            .map(|problem| format!("part '{part}': {problem}")),
    }
}

fn element_problem(
    document: &Document,
    element: Option<crate::xml::NodeId>,
    expected: &QName,
) -> Option<String> {
    match element.and_then(|element| document.name(element)) {
        Some(name) if name == expected => None,
        Some(name) => Some(format!("holds element {name}, not {expected}")),
        None => Some(format!("holds no element, not {expected}")),
    }
}

/// Why `text` is not a value of the XML Schema built-in simple type `type_name`, if it is
/// not; types that are not built-in simple types accept anything here.
fn simple_problem(type_name: &QName, text: &str) -> Option<String> {
    if type_name.ns != XSD_NS {
        return None;
    }
    let value = text.trim();
    let valid = match type_name.local.as_str() {
        "boolean" => matches!(value, "true" | "false" | "1" | "0"),
        "float" | "double" => {
            matches!(value, "INF" | "-INF" | "NaN")
                || (value.parse::<f64>().is_ok() && !value.contains(['i', 'I', 'n', 'N']))
        }
        "decimal" => is_decimal(value),
        "integer" => integer(value).is_some(),
        "long" => in_range(value, i64::MIN.into(), i64::MAX.into()),
        "int" => in_range(value, i32::MIN.into(), i32::MAX.into()),
        "short" => in_range(value, i16::MIN.into(), i16::MAX.into()),
        "byte" => in_range(value, i8::MIN.into(), i8::MAX.into()),
        "unsignedLong" => in_range(value, 0, u64::MAX.into()),
        "unsignedInt" => in_range(value, 0, u32::MAX.into()),
        "unsignedShort" => in_range(value, 0, u16::MAX.into()),
        "unsignedByte" => in_range(value, 0, u8::MAX.into()),
        "nonNegativeInteger" => integer(value).is_some_and(|n| n >= 0),
        "positiveInteger" => integer(value).is_some_and(|n| n > 0),
        "nonPositiveInteger" => integer(value).is_some_and(|n| n <= 0),
        "negativeInteger" => integer(value).is_some_and(|n| n < 0),
        "dateTime" | "date" => xsd::parse_date_time(value).is_ok(),
        "duration" | "dayTimeDuration" | "yearMonthDuration" => xsd::Duration::parse(value).is_ok(),
        _ => true,
    };
    (!valid).then(|| format!("'{value}' is not a valid xsd:{}", type_name.local))
}

fn integer(value: &str) -> Option<i128> {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.strip_prefix('+').unwrap_or(value).parse().ok()
}

fn in_range(value: &str, min: i128, max: i128) -> bool {
    integer(value).is_some_and(|n| (min..=max).contains(&n))
}

fn is_decimal(value: &str) -> bool {
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xsd(local: &str) -> QName {
        QName::new(XSD_NS, local)
    }

    #[test]
    fn built_in_simple_types_check_their_lexical_space() {
        for (local, good, bad) in [
            ("boolean", "true", "yes"),
            ("int", "-2147483648", "2147483648"),
            ("unsignedByte", "255", "-1"),
            ("positiveInteger", "+7", "0"),
            ("decimal", "-1.50", "1.5e3"),
            ("double", "1.5E3", "one"),
            ("dateTime", "2024-01-01T00:00:00Z", "yesterday"),
            ("duration", "P1DT2H", "1 day"),
        ] {
            assert_eq!(simple_problem(&xsd(local), good), None, "{local} {good}");
            assert!(simple_problem(&xsd(local), bad).is_some(), "{local} {bad}");
        }
        assert_eq!(simple_problem(&xsd("string"), "anything"), None);
        assert_eq!(simple_problem(&QName::new("urn:t", "mine"), "x"), None);
    }
}
