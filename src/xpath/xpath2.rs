//! The XPath 2.0 functions real BPEL processes use, available in both languages (most
//! processes declare the xpath2.0 expression language): current date/time and their
//! components, case mapping, `ends-with`, `string-join`, `compare`, regular expressions
//! (`matches`, `replace`), `deep-equal`, `QName`, `exists`/`empty` and numeric aggregates.
//! They operate on 1.0 values (sequences are node-sets); a `QName` value is the string
//! `{namespace}local`.

use regex::Regex;

use super::functions::Builtin;
use super::temporal::{self, Temporal, TemporalType};
use super::value::{parse_number, Value};
use super::Error;

/// Calls one of the XPath 2.0 built-ins with arity-checked arguments.
pub(super) fn call(f: Builtin, args: Vec<Value<'_>>) -> Result<Value<'_>, Error> {
    let string = |i: usize| args.get(i).map(Value::to_xpath_string).unwrap_or_default();
    Ok(match f {
        Builtin::CurrentDateTime => Value::Temporal(temporal::now()),
        Builtin::CurrentDate => Value::Temporal(
            temporal::now()
                .cast(TemporalType::Date)
                .expect("a dateTime has a date"),
        ),
        Builtin::CurrentTime => Value::Temporal(
            temporal::now()
                .cast(TemporalType::Time)
                .expect("a dateTime has a time"),
        ),
        Builtin::UpperCase => Value::String(string(0).to_uppercase()),
        Builtin::LowerCase => Value::String(string(0).to_lowercase()),
        Builtin::EndsWith => Value::Boolean(string(0).ends_with(&string(1))),
        Builtin::StringJoin => Value::String(items(&args[0]).join(&string(1))),
        Builtin::Abs => Value::Number(args[0].to_number().abs()),
        Builtin::Exists => Value::Boolean(!is_empty_sequence(&args[0])),
        Builtin::Empty => Value::Boolean(is_empty_sequence(&args[0])),
        Builtin::YearFromDateTime
        | Builtin::MonthFromDateTime
        | Builtin::DayFromDateTime
        | Builtin::HoursFromDateTime
        | Builtin::MinutesFromDateTime
        | Builtin::SecondsFromDateTime => component(f, &args[0], TemporalType::DateTime)?,
        Builtin::YearFromDate | Builtin::MonthFromDate | Builtin::DayFromDate => {
            component(f, &args[0], TemporalType::Date)?
        }
        Builtin::HoursFromTime | Builtin::MinutesFromTime | Builtin::SecondsFromTime => {
            component(f, &args[0], TemporalType::Time)?
        }
        Builtin::DeepEqual => Value::Boolean(deep_equal(&args[0], &args[1])),
        Builtin::Compare => {
            if is_empty_sequence(&args[0]) || is_empty_sequence(&args[1]) {
                Value::NodeSet(Vec::new())
            } else {
                Value::Number(match string(0).cmp(&string(1)) {
                    std::cmp::Ordering::Less => -1.0,
                    std::cmp::Ordering::Equal => 0.0,
                    std::cmp::Ordering::Greater => 1.0,
                })
            }
        }
        Builtin::QName => {
            let qualified = string(1);
            let local = qualified.rsplit(':').next().unwrap_or_default().to_owned();
            Value::String(format!("{{{}}}{local}", string(0)))
        }
        Builtin::Matches => Value::Boolean(regex(f, &string(1), args.get(2))?.is_match(&string(0))),
        Builtin::Replace => {
            let pattern = regex(f, &string(1), args.get(3))?;
            let replacement = xpath_replacement(&string(2));
            Value::String(
                pattern
                    .replace_all(&string(0), replacement.as_str())
                    .into_owned(),
            )
        }
        Builtin::EncodeForUri => Value::String(encode_for_uri(&string(0))),
        Builtin::Min | Builtin::Max | Builtin::Avg => aggregate(f, &args[0]),
        other => unreachable!("{other:?} is an XPath 1.0 core function"),
    })
}

/// The items of a sequence as strings: the string-values of a node-set's nodes, or the value.
fn items(value: &Value<'_>) -> Vec<String> {
    match value {
        Value::NodeSet(nodes) => nodes.iter().map(|n| n.string_value()).collect(),
        single => vec![single.to_xpath_string()],
    }
}

/// A node-set is a sequence of its nodes; any other value is a one-item sequence.
fn is_empty_sequence(value: &Value<'_>) -> bool {
    matches!(value, Value::NodeSet(nodes) if nodes.is_empty())
}

/// A component of a date/time argument (typed, or the lexical form of a node or string).
fn component<'a>(f: Builtin, value: &Value<'a>, ty: TemporalType) -> Result<Value<'a>, Error> {
    if is_empty_sequence(value) {
        return Ok(Value::NodeSet(Vec::new()));
    }
    let parsed = match value {
        Value::Temporal(t) => t.cast(ty),
        other => Temporal::parse(ty, &other.to_xpath_string()),
    };
    let moment = *parsed
        .as_ref()
        .and_then(Temporal::moment)
        .ok_or_else(|| f.wrong(format!("'{}' is not a {ty:?}", value.to_xpath_string())))?;
    Ok(Value::Number(match f {
        Builtin::YearFromDateTime | Builtin::YearFromDate => moment.year as f64,
        Builtin::MonthFromDateTime | Builtin::MonthFromDate => f64::from(moment.month),
        Builtin::DayFromDateTime | Builtin::DayFromDate => f64::from(moment.day),
        Builtin::HoursFromDateTime | Builtin::HoursFromTime => f64::from(moment.hour),
        Builtin::MinutesFromDateTime | Builtin::MinutesFromTime => f64::from(moment.minute),
        _ => moment.second,
    }))
}

/// `fn:deep-equal`: node-sets pairwise by structure, atomic values by value.
fn deep_equal(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::NodeSet(x), Value::NodeSet(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(m, n)| m.doc.structurally_equal(m.id, n.doc, n.id))
        }
        (Value::NodeSet(_), _) | (_, Value::NodeSet(_)) => false,
        (Value::Number(x), Value::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

/// Compiles an XPath regular expression with its flags (`i`, `m`, `s`, `x`).
fn regex(f: Builtin, pattern: &str, flags: Option<&Value<'_>>) -> Result<Regex, Error> {
    let flags = flags.map(Value::to_xpath_string).unwrap_or_default();
    if let Some(bad) = flags.chars().find(|c| !"imsx".contains(*c)) {
        return Err(f.wrong(format!("unknown regular expression flag '{bad}'")));
    }
    let prefix = if flags.is_empty() {
        String::new()
    } else {
        format!("(?{flags})")
    };
    Regex::new(&format!("{prefix}{pattern}"))
        .map_err(|e| f.wrong(format!("invalid regular expression '{pattern}': {e}")))
}

/// Turns an XPath replacement string (`$1`, `\$`) into the regex crate's syntax (`${1}`, `$$`).
fn xpath_replacement(replacement: &str) -> String {
    let mut out = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => {}
            },
            '$' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push_str(&format!("${{{digits}}}"));
            }
            other => out.push(other),
        }
    }
    out
}

fn encode_for_uri(s: &str) -> String {
    let mut out = String::new();
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn aggregate<'a>(f: Builtin, value: &Value<'a>) -> Value<'a> {
    let numbers: Vec<f64> = items(value).iter().map(|s| parse_number(s)).collect();
    if numbers.is_empty() {
        return Value::NodeSet(Vec::new());
    }
    Value::Number(match f {
        Builtin::Min => numbers.iter().copied().fold(f64::INFINITY, f64::min),
        Builtin::Max => numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        _ => numbers.iter().sum::<f64>() / numbers.len() as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::temporal::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_414), (2025, 11, 22));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
