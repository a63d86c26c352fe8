//! The XPath 2.0 functions real BPEL processes use even with 1.0 syntax (most declare the
//! xpath2.0 expression language): current date/time, case mapping, `ends-with`,
//! `string-join`, `abs`, `exists` and `empty`. They operate on 1.0 values (sequences are
//! node-sets); this file is where further 2.0 functions belong.

use std::time::{SystemTime, UNIX_EPOCH};

use super::functions::Builtin;
use super::value::Value;

/// Calls one of the XPath 2.0 built-ins with arity-checked arguments.
pub(super) fn call(f: Builtin, args: Vec<Value<'_>>) -> Value<'_> {
    match f {
        Builtin::CurrentDateTime => {
            let (date, time) = now_utc();
            Value::String(format!("{date}T{time}Z"))
        }
        Builtin::CurrentDate => Value::String(format!("{}Z", now_utc().0)),
        Builtin::CurrentTime => Value::String(format!("{}Z", now_utc().1)),
        Builtin::UpperCase => Value::String(args[0].to_xpath_string().to_uppercase()),
        Builtin::LowerCase => Value::String(args[0].to_xpath_string().to_lowercase()),
        Builtin::EndsWith => Value::Boolean(
            args[0]
                .to_xpath_string()
                .ends_with(&args[1].to_xpath_string()),
        ),
        Builtin::StringJoin => {
            let separator = args.get(1).map(Value::to_xpath_string).unwrap_or_default();
            let items: Vec<String> = match &args[0] {
                Value::NodeSet(nodes) => nodes.iter().map(|n| n.string_value()).collect(),
                single => vec![single.to_xpath_string()],
            };
            Value::String(items.join(&separator))
        }
        Builtin::Abs => Value::Number(args[0].to_number().abs()),
        Builtin::Exists => Value::Boolean(!is_empty_sequence(&args[0])),
        Builtin::Empty => Value::Boolean(is_empty_sequence(&args[0])),
        other => unreachable!("{other:?} is an XPath 1.0 core function"),
    }
}

/// A node-set is a sequence of its nodes; any other value is a one-item sequence.
fn is_empty_sequence(value: &Value<'_>) -> bool {
    matches!(value, Value::NodeSet(nodes) if nodes.is_empty())
}

/// The current UTC date (`YYYY-MM-DD`) and time (`hh:mm:ss.sss`).
fn now_utc() -> (String, String) {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let of_day = secs % 86_400;
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60,
            since_epoch.subsec_millis()
        ),
    )
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day)
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_414), (2025, 11, 22));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
