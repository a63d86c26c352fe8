//! XML Schema date, time and duration values for XPath 2.0: their lexical forms, ordering,
//! component accessors and the arithmetic BPEL processes do with them (a dateTime plus a
//! duration, the difference of two dateTimes).

use std::cmp::Ordering;
use std::fmt;

/// A typed date/time or duration value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Temporal {
    /// `xs:dateTime`.
    DateTime(Moment),
    /// `xs:date` (the time fields are zero).
    Date(Moment),
    /// `xs:time` (the date is 1972-01-01 internally).
    Time(Moment),
    /// `xs:duration`, `xs:dayTimeDuration`, `xs:yearMonthDuration`.
    Duration(Duration),
}

/// A point on the proleptic Gregorian calendar with an optional timezone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moment {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: f64,
    /// Offset from UTC in minutes; `None` when no timezone was given.
    pub timezone: Option<i32>,
}

/// A duration as months plus seconds, the two independent components of `xs:duration`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duration {
    pub months: i64,
    pub seconds: f64,
}

/// The kind of date/time a lexical form is parsed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemporalType {
    DateTime,
    Date,
    Time,
    Duration,
    DayTimeDuration,
    YearMonthDuration,
}

impl Temporal {
    /// Parses `text` (surrounding whitespace allowed) as a value of type `ty`.
    pub fn parse(ty: TemporalType, text: &str) -> Option<Temporal> {
        let text = text.trim();
        match ty {
            TemporalType::DateTime => {
                let (date, time) = text.split_once('T')?;
                let (y, mo, d) = parse_date(date)?;
                let (h, mi, s, tz) = parse_time(time)?;
                let moment = Moment::new(y, mo, d, h, mi, s, tz)?;
                Some(Temporal::DateTime(moment.normalized_midnight()))
            }
            TemporalType::Date => {
                let (body, tz) = split_timezone(text)?;
                let (y, mo, d) = parse_date(body)?;
                Some(Temporal::Date(Moment::new(y, mo, d, 0, 0, 0.0, tz)?))
            }
            TemporalType::Time => {
                let (h, mi, s, tz) = parse_time(text)?;
                Some(Temporal::Time(Moment::new(1972, 1, 1, h, mi, s, tz)?))
            }
            TemporalType::Duration => parse_duration(text).map(Temporal::Duration),
            TemporalType::DayTimeDuration => parse_duration(text)
                .filter(|d| d.months == 0 && !text.contains('Y') && !before_t(text, 'M'))
                .map(Temporal::Duration),
            TemporalType::YearMonthDuration => parse_duration(text)
                .filter(|d| d.seconds == 0.0 && !text.contains('D') && !text.contains('T'))
                .map(Temporal::Duration),
        }
    }

    /// Parses a lexical form of unknown type: a duration, dateTime, date or time.
    pub fn guess(text: &str) -> Option<Temporal> {
        [
            TemporalType::Duration,
            TemporalType::DateTime,
            TemporalType::Date,
            TemporalType::Time,
        ]
        .into_iter()
        .find_map(|ty| Temporal::parse(ty, text))
    }

    /// `self + other` or `self - other` when defined for the two types.
    pub fn add(self, other: Temporal, subtract: bool) -> Option<Temporal> {
        let sign = if subtract { -1 } else { 1 };
        match (self, other) {
            (Temporal::Duration(a), Temporal::Duration(b)) => Some(Temporal::Duration(Duration {
                months: a.months + sign * b.months,
                seconds: a.seconds + sign as f64 * b.seconds,
            })),
            (Temporal::DateTime(m), Temporal::Duration(d)) => {
                Some(Temporal::DateTime(m.plus(d, sign)))
            }
            (Temporal::Date(m), Temporal::Duration(d)) => {
                let mut sum = m.plus(d, sign);
                (sum.hour, sum.minute, sum.second) = (0, 0, 0.0);
                Some(Temporal::Date(sum))
            }
            (Temporal::Time(m), Temporal::Duration(d)) => {
                let mut sum = m.plus(Duration { months: 0, ..d }, sign);
                (sum.year, sum.month, sum.day) = (1972, 1, 1);
                Some(Temporal::Time(sum))
            }
            (Temporal::Duration(d), Temporal::DateTime(_) | Temporal::Date(_)) if !subtract => {
                other.add(Temporal::Duration(d), false)
            }
            (Temporal::DateTime(a), Temporal::DateTime(b))
            | (Temporal::Date(a), Temporal::Date(b))
            | (Temporal::Time(a), Temporal::Time(b))
                if subtract =>
            {
                Some(Temporal::Duration(Duration {
                    months: 0,
                    seconds: a.epoch_seconds() - b.epoch_seconds(),
                }))
            }
            _ => None,
        }
    }

    /// Orders two values of the same kind; durations only when both components agree.
    pub fn compare(&self, other: &Temporal) -> Option<Ordering> {
        match (self, other) {
            (Temporal::DateTime(a), Temporal::DateTime(b))
            | (Temporal::Date(a), Temporal::Date(b))
            | (Temporal::Time(a), Temporal::Time(b)) => {
                a.epoch_seconds().partial_cmp(&b.epoch_seconds())
            }
            (Temporal::Duration(a), Temporal::Duration(b)) => {
                let months = a.months.cmp(&b.months);
                let seconds = a.seconds.partial_cmp(&b.seconds)?;
                match (months, seconds) {
                    (m, s) if m == s => Some(m),
                    (Ordering::Equal, s) if a.months == 0 => Some(s),
                    (m, Ordering::Equal) if a.seconds == 0.0 && b.seconds == 0.0 => Some(m),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The value re-parsed as `ty`, for constructor functions applied to typed values.
    pub fn cast(self, ty: TemporalType) -> Option<Temporal> {
        match (self, ty) {
            (Temporal::DateTime(m), TemporalType::Date) => Some(Temporal::Date(Moment {
                hour: 0,
                minute: 0,
                second: 0.0,
                ..m
            })),
            (Temporal::DateTime(m), TemporalType::Time) => Some(Temporal::Time(Moment {
                year: 1972,
                month: 1,
                day: 1,
                ..m
            })),
            (Temporal::Date(m), TemporalType::DateTime) => Some(Temporal::DateTime(m)),
            (Temporal::Duration(d), TemporalType::DayTimeDuration) => {
                Some(Temporal::Duration(Duration { months: 0, ..d }))
            }
            (Temporal::Duration(d), TemporalType::YearMonthDuration) => {
                Some(Temporal::Duration(Duration { seconds: 0.0, ..d }))
            }
            (Temporal::Duration(_), TemporalType::Duration) => Some(self),
            _ => Temporal::parse(ty, &self.to_string()),
        }
    }

    /// The moment of a date/time value.
    pub fn moment(&self) -> Option<&Moment> {
        match self {
            Temporal::DateTime(m) | Temporal::Date(m) | Temporal::Time(m) => Some(m),
            Temporal::Duration(_) => None,
        }
    }

    /// The schema type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Temporal::DateTime(_) => "xs:dateTime",
            Temporal::Date(_) => "xs:date",
            Temporal::Time(_) => "xs:time",
            Temporal::Duration(_) => "xs:duration",
        }
    }
}

impl fmt::Display for Temporal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Temporal::DateTime(m) => {
                write_date(f, m)?;
                f.write_str("T")?;
                write_time(f, m)?;
                write_timezone(f, m.timezone)
            }
            Temporal::Date(m) => {
                write_date(f, m)?;
                write_timezone(f, m.timezone)
            }
            Temporal::Time(m) => {
                write_time(f, m)?;
                write_timezone(f, m.timezone)
            }
            Temporal::Duration(d) => write_duration(f, d),
        }
    }
}

impl Moment {
    fn new(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: f64,
        timezone: Option<i32>,
    ) -> Option<Moment> {
        let valid = (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && (hour < 24 || (hour == 24 && minute == 0 && second == 0.0))
            && minute < 60
            && (0.0..60.0).contains(&second);
        valid.then_some(Moment {
            year,
            month,
            day,
            hour,
            minute,
            second,
            timezone,
        })
    }

    /// `24:00:00` is midnight at the start of the next day.
    fn normalized_midnight(self) -> Moment {
        if self.hour == 24 {
            Moment::from_epoch_seconds(self.local_seconds(), self.timezone)
        } else {
            self
        }
    }

    /// Seconds since 1970-01-01T00:00:00 in the moment's own (local) clock.
    fn local_seconds(&self) -> f64 {
        let days = days_from_civil(self.year, self.month, self.day);
        days as f64 * 86_400.0 + f64::from(self.hour * 3600 + self.minute * 60) + self.second
    }

    /// Seconds since the epoch in UTC; moments without a timezone count as UTC.
    pub fn epoch_seconds(&self) -> f64 {
        self.local_seconds() - f64::from(self.timezone.unwrap_or(0) * 60)
    }

    fn from_epoch_seconds(local: f64, timezone: Option<i32>) -> Moment {
        let days = (local / 86_400.0).floor();
        let of_day = local - days * 86_400.0;
        let (year, month, day) = civil_from_days(days as i64);
        let whole = of_day.floor() as u32;
        Moment {
            year,
            month,
            day,
            hour: whole / 3600,
            minute: whole / 60 % 60,
            second: f64::from(whole % 60) + (of_day - of_day.floor()),
            timezone,
        }
    }

    /// Adds months first (clamping the day to the month's length), then seconds.
    fn plus(self, d: Duration, sign: i64) -> Moment {
        let total_months = self.year * 12 + i64::from(self.month - 1) + sign * d.months;
        let year = total_months.div_euclid(12);
        let month = total_months.rem_euclid(12) as u32 + 1;
        let shifted = Moment {
            year,
            month,
            day: self.day.min(days_in_month(year, month)),
            ..self
        };
        let local = shifted.local_seconds() + sign as f64 * d.seconds;
        Moment::from_epoch_seconds(local, self.timezone)
    }
}

/// The current UTC dateTime.
pub(super) fn now() -> Temporal {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let millis = since_epoch.as_millis() as f64 / 1000.0;
    Temporal::DateTime(Moment::from_epoch_seconds(millis, Some(0)))
}

fn before_t(text: &str, designator: char) -> bool {
    text.split('T')
        .next()
        .is_some_and(|d| d.contains(designator))
}

fn parse_digits(s: &str, len: usize) -> Option<u32> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut parts = body.splitn(3, '-');
    let year_text = parts.next()?;
    if year_text.len() < 4 || !year_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i64 = year_text.parse().ok()?;
    let month = parse_digits(parts.next()?, 2)?;
    let day = parse_digits(parts.next()?, 2)?;
    Some((if negative { -year } else { year }, month, day))
}

fn split_timezone(s: &str) -> Option<(&str, Option<i32>)> {
    if let Some(body) = s.strip_suffix('Z') {
        return Some((body, Some(0)));
    }
    if s.len() > 6 {
        let (body, zone) = s.split_at(s.len() - 6);
        let sign = match zone.as_bytes()[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return Some((s, None)),
        };
        let Some((h, m)) = zone[1..].split_once(':') else {
            return Some((s, None));
        };
        let minutes = parse_digits(h, 2)? * 60 + parse_digits(m, 2)?;
        return Some((body, Some(sign * minutes as i32)));
    }
    Some((s, None))
}

fn parse_time(s: &str) -> Option<(u32, u32, f64, Option<i32>)> {
    let (body, tz) = split_timezone(s)?;
    let mut parts = body.splitn(3, ':');
    let hour = parse_digits(parts.next()?, 2)?;
    let minute = parse_digits(parts.next()?, 2)?;
    let seconds = parts.next()?;
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    parse_digits(whole, 2)?;
    if !fraction.bytes().all(|b| b.is_ascii_digit())
        || (seconds.contains('.') && fraction.is_empty())
    {
        return None;
    }
    Some((hour, minute, seconds.parse().ok()?, tz))
}

fn parse_duration(s: &str) -> Option<Duration> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let body = body.strip_prefix('P')?;
    let (date_part, time_part) = match body.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (body, None),
    };
    let mut months = 0i64;
    let mut seconds = 0f64;
    let mut any = false;
    for (part, designators) in [(date_part, "YMD"), (time_part.unwrap_or(""), "HMS")] {
        let mut rest = part;
        let mut allowed = designators;
        while !rest.is_empty() {
            let end = rest.find(|c: char| c.is_ascii_uppercase())?;
            let (number, designator) = (&rest[..end], rest.as_bytes()[end] as char);
            let position = allowed.find(designator)?;
            allowed = &allowed[position + 1..];
            let fractional = designators == "HMS" && designator == 'S';
            if number.is_empty()
                || !number
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (fractional && b == b'.'))
            {
                return None;
            }
            let value: f64 = number.parse().ok()?;
            match (designators, designator) {
                ("YMD", 'Y') => months += value as i64 * 12,
                ("YMD", 'M') => months += value as i64,
                ("YMD", _) => seconds += value * 86_400.0,
                (_, 'H') => seconds += value * 3600.0,
                (_, 'M') => seconds += value * 60.0,
                _ => seconds += value,
            }
            any = true;
            rest = &rest[end + 1..];
        }
    }
    any.then_some(if negative {
        Duration {
            months: -months,
            seconds: -seconds,
        }
    } else {
        Duration { months, seconds }
    })
}

fn write_date(f: &mut fmt::Formatter<'_>, m: &Moment) -> fmt::Result {
    if m.year < 0 {
        f.write_str("-")?;
    }
    write!(f, "{:04}-{:02}-{:02}", m.year.abs(), m.month, m.day)
}

fn write_time(f: &mut fmt::Formatter<'_>, m: &Moment) -> fmt::Result {
    write!(f, "{:02}:{:02}:", m.hour, m.minute)?;
    write_seconds(f, m.second, true)
}

fn write_seconds(f: &mut fmt::Formatter<'_>, seconds: f64, pad: bool) -> fmt::Result {
    let millis = (seconds * 1000.0).round() as u64;
    let (whole, fraction) = (millis / 1000, millis % 1000);
    if pad {
        write!(f, "{whole:02}")?;
    } else {
        write!(f, "{whole}")?;
    }
    if fraction != 0 {
        let digits = format!("{fraction:03}");
        write!(f, ".{}", digits.trim_end_matches('0'))?;
    }
    Ok(())
}

fn write_timezone(f: &mut fmt::Formatter<'_>, timezone: Option<i32>) -> fmt::Result {
    match timezone {
        None => Ok(()),
        Some(0) => f.write_str("Z"),
        Some(minutes) => {
            let sign = if minutes < 0 { '-' } else { '+' };
            let minutes = minutes.abs();
            write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
        }
    }
}

fn write_duration(f: &mut fmt::Formatter<'_>, d: &Duration) -> fmt::Result {
    if d.months < 0 || d.seconds < 0.0 {
        f.write_str("-")?;
    }
    f.write_str("P")?;
    let months = d.months.abs();
    let seconds = d.seconds.abs();
    if months == 0 && seconds == 0.0 {
        return f.write_str(if d.months == 0 { "T0S" } else { "0M" });
    }
    if months / 12 != 0 {
        write!(f, "{}Y", months / 12)?;
    }
    if months % 12 != 0 {
        write!(f, "{}M", months % 12)?;
    }
    let days = (seconds / 86_400.0).floor();
    let rest = seconds - days * 86_400.0;
    if days != 0.0 {
        write!(f, "{days}D")?;
    }
    if rest != 0.0 {
        f.write_str("T")?;
        let hours = (rest / 3600.0).floor();
        let minutes = ((rest - hours * 3600.0) / 60.0).floor();
        let secs = rest - hours * 3600.0 - minutes * 60.0;
        if hours != 0.0 {
            write!(f, "{hours}H")?;
        }
        if minutes != 0.0 {
            write!(f, "{minutes}M")?;
        }
        if secs != 0.0 {
            write_seconds(f, secs, false)?;
            f.write_str("S")?;
        }
    }
    Ok(())
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
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
