//! The dates of filters: an ISO 8601 date or date and time (`2026-12-07`, `20261207`,
//! `2026-12-07T10:30:00`, with a zone or in UTC), or one relative to now (`-30d`, `-1d12h`:
//! a minus and amounts in units `y` (365 days), `M` (30 days), `w`, `d`, `h`, `m`, `s`).
//!
//! A date names the span of its last unit: `2026-12-07` the whole day, `…T10:30:00` that
//! second, `-2h` the hour that began two hours ago. So `started=2026-12-07` is every
//! instance started that day, `started<=2026-12-07` one started that day or before, and
//! `started>2026-12-07` one started from the next day on.

use std::time::{Duration, SystemTime};

use super::terms::Op;
use crate::runtime::xsd;
use crate::store::TimeBound;

const SECOND: Duration = Duration::from_secs(1);
const DAY: Duration = Duration::from_secs(86_400);

/// The span a date names: from `start`, `length` long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: SystemTime,
    length: Duration,
}

/// The bounds a term `op date` sets on a time, `now` being now; an error says why the date
/// or the operator is refused.
pub(super) fn bounds(op: Op, date: &str, now: SystemTime) -> Result<Vec<TimeBound>, String> {
    let span = span(date, now)?;
    let end = span.start + span.length;
    Ok(match op {
        Op::Eq => vec![TimeBound::AtOrAfter(span.start), TimeBound::Before(end)],
        Op::Lt => vec![TimeBound::Before(span.start)],
        Op::Le => vec![TimeBound::Before(end)],
        Op::Gt => vec![TimeBound::AtOrAfter(end)],
        Op::Ge => vec![TimeBound::AtOrAfter(span.start)],
        Op::Ne => return Err("a date is compared with =, <, <=, > or >=".to_owned()),
    })
}

/// The span `date` names.
fn span(date: &str, now: SystemTime) -> Result<Span, String> {
    match date.strip_prefix('-') {
        Some(amounts) if amounts.starts_with(|c: char| c.is_ascii_digit()) => {
            relative(amounts, now)
        }
        _ => absolute(date),
    }
}

/// A date as ISO 8601 writes it.
fn absolute(date: &str) -> Result<Span, String> {
    let refused = || {
        "not a date: write 2026-12-07, 20261207, 2026-12-07T10:30:00 (with a zone or in UTC) \
         or one relative to now such as -30d"
            .to_owned()
    };
    let basic;
    let date = if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) {
        basic = format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]);
        basic.as_str()
    } else {
        date
    };
    let millis = xsd::parse_date_time(date).map_err(|_| refused())?;
    let length = match date.split_once('T') {
        None => DAY,
        Some((_, time)) if time.contains('.') => Duration::from_millis(1),
        Some(_) => SECOND,
    };
    Ok(Span {
        start: crate::store::time::from_millis(millis),
        length,
    })
}

/// A date `amounts` before `now`, as in `30d` or `1d12h`.
fn relative(amounts: &str, now: SystemTime) -> Result<Span, String> {
    let refused = |problem: &str| {
        format!("{problem}: a relative date is a minus and amounts in y, M, w, d, h, m or s, as in -30d or -1d12h")
    };
    let mut before = Duration::ZERO;
    let mut length = SECOND;
    let mut rest = amounts;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(refused("an amount is missing"));
        }
        let amount: u32 = rest[..digits]
            .parse()
            .map_err(|_| refused("an amount is too large"))?;
        let unit = rest[digits..]
            .chars()
            .next()
            .ok_or_else(|| refused("a unit is missing"))?;
        length = match unit {
            'y' => DAY * 365,
            'M' => DAY * 30,
            'w' => DAY * 7,
            'd' => DAY,
            'h' => SECOND * 3600,
            'm' => SECOND * 60,
            's' => SECOND,
            _ => return Err(refused(&format!("'{unit}' is not a unit"))),
        };
        before = length
            .checked_mul(amount)
            .and_then(|amount| before.checked_add(amount))
            .ok_or_else(|| refused("the date is too far back"))?;
        rest = &rest[digits + unit.len_utf8()..];
    }
    let start = now
        .checked_sub(before)
        .ok_or_else(|| refused("the date is too far back"))?;
    Ok(Span { start, length })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::time::{from_millis, to_millis};

    /// 2026-12-07T10:30:00Z.
    const NOW: i64 = 1_796_639_400_000;

    fn bounds_ms(op: Op, date: &str) -> Vec<(&'static str, i64)> {
        bounds(op, date, from_millis(NOW))
            .unwrap()
            .into_iter()
            .map(|bound| bound.comparison())
            .collect()
    }

    #[test]
    fn a_date_names_its_whole_day_and_a_time_its_second() {
        let day = 1_796_601_600_000;
        assert_eq!(
            to_millis(span("2026-12-07", from_millis(NOW)).unwrap().start),
            day
        );
        assert_eq!(
            bounds_ms(Op::Eq, "2026-12-07"),
            [(">=", day), ("<", day + 86_400_000)]
        );
        assert_eq!(
            bounds_ms(Op::Eq, "20261207"),
            bounds_ms(Op::Eq, "2026-12-07")
        );
        assert_eq!(bounds_ms(Op::Lt, "2026-12-07"), [("<", day)]);
        assert_eq!(bounds_ms(Op::Le, "2026-12-07"), [("<", day + 86_400_000)]);
        assert_eq!(bounds_ms(Op::Gt, "2026-12-07"), [(">=", day + 86_400_000)]);
        assert_eq!(bounds_ms(Op::Ge, "2026-12-07"), [(">=", day)]);
        assert_eq!(
            bounds_ms(Op::Eq, "2026-12-07T10:30:00"),
            [(">=", NOW), ("<", NOW + 1000)]
        );
        assert_eq!(
            bounds_ms(Op::Le, "2026-12-07T11:30:00+01:00"),
            [("<", NOW + 1000)]
        );
        assert_eq!(
            bounds_ms(Op::Eq, "2026-12-07T10:30:00.250Z"),
            [(">=", NOW + 250), ("<", NOW + 251)]
        );
    }

    #[test]
    fn a_relative_date_counts_back_from_now_in_its_units() {
        let hour = 3_600_000;
        assert_eq!(bounds_ms(Op::Lt, "-30d"), [("<", NOW - 30 * 24 * hour)]);
        assert_eq!(bounds_ms(Op::Ge, "-1d12h"), [(">=", NOW - 36 * hour)]);
        assert_eq!(
            bounds_ms(Op::Eq, "-2h"),
            [(">=", NOW - 2 * hour), ("<", NOW - hour)]
        );
        assert_eq!(bounds_ms(Op::Lt, "-1y"), [("<", NOW - 365 * 24 * hour)]);
        assert_eq!(bounds_ms(Op::Lt, "-1M"), [("<", NOW - 30 * 24 * hour)]);
        assert_eq!(bounds_ms(Op::Lt, "-1w"), [("<", NOW - 7 * 24 * hour)]);
        assert_eq!(bounds_ms(Op::Lt, "-5m"), [("<", NOW - 300_000)]);
        assert_eq!(bounds_ms(Op::Lt, "-5s"), [("<", NOW - 5_000)]);
    }

    #[test]
    fn dates_that_are_not_are_refused() {
        let now = from_millis(NOW);
        for date in [
            "yesterday",
            "2026-13-01",
            "2026-12-07T25:00:00",
            "-",
            "-d",
            "-3",
            "-3x",
            "-99999999999d",
            "1207",
        ] {
            assert!(bounds(Op::Lt, date, now).is_err(), "{date} accepted");
        }
        assert!(bounds(Op::Ne, "2026-12-07", now).is_err());
    }
}
