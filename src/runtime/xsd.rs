//! The XML Schema date and duration values `<wait>` needs: xsd:duration (`P1DT2H`,
//! `-PT0.5S`), xsd:dateTime and xsd:date, as milliseconds since the Unix epoch.

/// An xsd:duration: months and milliseconds kept apart, as months have no fixed length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    pub months: i64,
    pub millis: i64,
}

impl Duration {
    /// Parses `[-]PnYnMnDTnHnMnS` (seconds may have a fraction).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("'{text}' is not an xsd:duration");
        let text_trimmed = text.trim();
        let (negative, rest) = match text_trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text_trimmed),
        };
        let rest = rest.strip_prefix('P').ok_or_else(bad)?;
        let (date, time) = match rest.split_once('T') {
            Some((date, time)) if !time.is_empty() => (date, Some(time)),
            Some(_) => return Err(bad()),
            None => (rest, None),
        };
        if date.is_empty() && time.is_none() {
            return Err(bad());
        }
        let mut months = 0i64;
        let mut millis = 0i64;
        for (number, unit) in components(date).ok_or_else(bad)? {
            let whole: i64 = number.parse().map_err(|_| bad())?;
            match unit {
                'Y' => months += whole * 12,
                'M' => months += whole,
                'D' => millis += whole * 86_400_000,
                _ => return Err(bad()),
            }
        }
        for (number, unit) in time
            .map(components)
            .unwrap_or(Some(Vec::new()))
            .ok_or_else(bad)?
        {
            match unit {
                'H' => millis += number.parse::<i64>().map_err(|_| bad())? * 3_600_000,
                'M' => millis += number.parse::<i64>().map_err(|_| bad())? * 60_000,
                'S' => {
                    let seconds: f64 = number.parse().map_err(|_| bad())?;
                    millis += (seconds * 1000.0).round() as i64;
                }
                _ => return Err(bad()),
            }
        }
        let sign = if negative { -1 } else { 1 };
        Ok(Self {
            months: sign * months,
            millis: sign * millis,
        })
    }

    /// The instant this duration after `epoch_ms`.
    pub fn add_to(self, epoch_ms: i64) -> i64 {
        if self.months == 0 {
            return epoch_ms + self.millis;
        }
        let days = epoch_ms.div_euclid(86_400_000);
        let time_of_day = epoch_ms.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        let total = year * 12 + (month - 1) + self.months;
        let (year, month) = (total.div_euclid(12), total.rem_euclid(12) + 1);
        let day = day.min(days_in_month(year, month));
        days_from_civil(year, month, day) * 86_400_000 + time_of_day + self.millis
    }
}

/// Splits `1Y2M` into (number, unit) pairs; None when malformed.
fn components(text: &str) -> Option<Vec<(&str, char)>> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (index, character) in text.char_indices() {
        if character.is_ascii_alphabetic() {
            let number = &text[start..index];
            if number.is_empty() {
                return None;
            }
            parts.push((number, character));
            start = index + 1;
        }
    }
    (start == text.len()).then_some(parts)
}

/// Parses an xsd:dateTime (`2026-01-02T03:04:05.678+01:00`) or xsd:date; no zone = UTC.
pub fn parse_date_time(text: &str) -> Result<i64, String> {
    let bad = || format!("'{text}' is not an xsd:dateTime or xsd:date");
    let text = text.trim();
    let (date, rest) = match text.split_once('T') {
        Some((date, rest)) => (date, rest),
        None => (text.get(..10).ok_or_else(bad)?, ""),
    };
    let zone_text = if rest.is_empty() {
        &text[date.len()..]
    } else {
        rest
    };
    let (negative_year, date) = match date.strip_prefix('-') {
        Some(date) => (true, date),
        None => (false, date),
    };
    let mut fields = date.splitn(3, '-');
    let mut next = || {
        fields
            .next()
            .and_then(|f| f.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (year, month, day) = (next()?, next()?, next()?);
    let year = if negative_year { -year } else { year };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(bad());
    }
    let (time, zone) = split_zone(zone_text);
    let mut millis = 0i64;
    if !time.is_empty() {
        let mut parts = time.splitn(3, ':');
        let hour: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minute: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let second: f64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if hour > 24 || minute > 59 || !(0.0..61.0).contains(&second) {
            return Err(bad());
        }
        millis = hour * 3_600_000 + minute * 60_000 + (second * 1000.0).round() as i64;
    }
    let offset = match zone {
        "" | "Z" => 0,
        zone => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (hours, minutes) = zone[1..].split_once(':').ok_or_else(bad)?;
            let hours: i64 = hours.parse().map_err(|_| bad())?;
            let minutes: i64 = minutes.parse().map_err(|_| bad())?;
            sign * (hours * 60 + minutes) * 60_000
        }
    };
    Ok(days_from_civil(year, month, day) * 86_400_000 + millis - offset)
}

fn split_zone(text: &str) -> (&str, &str) {
    if let Some(time) = text.strip_suffix('Z') {
        return (time, "Z");
    }
    match text.rfind(['+', '-']) {
        Some(index) if text.len() - index == 6 => (&text[..index], &text[index..]),
        _ => (text, ""),
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The instant `epoch_ms` (ms since the Unix epoch) as an XPath 2.0 xs:dateTime in UTC.
pub fn date_time(epoch_ms: i64) -> crate::xpath::Temporal {
    let days = epoch_ms.div_euclid(86_400_000);
    let millis = epoch_ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    crate::xpath::Temporal::DateTime(crate::xpath::Moment {
        year,
        month: month as u32,
        day: day as u32,
        hour: (millis / 3_600_000) as u32,
        minute: (millis / 60_000 % 60) as u32,
        second: (millis % 60_000) as f64 / 1000.0,
        timezone: Some(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        assert_eq!(Duration::parse("PT1S").unwrap().millis, 1000);
        assert_eq!(Duration::parse("PT0.25S").unwrap().millis, 250);
        assert_eq!(
            Duration::parse("P1DT2H3M").unwrap().millis,
            86_400_000 + 7_380_000
        );
        assert_eq!(Duration::parse("-PT5M").unwrap().millis, -300_000);
        assert_eq!(Duration::parse("P1Y2M").unwrap().months, 14);
        for bad in ["", "P", "PT", "1S", "PT1X", "P1H", "PTS"] {
            assert!(Duration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_date_times_with_zones() {
        assert_eq!(parse_date_time("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(parse_date_time("1970-01-01T01:00:00+01:00").unwrap(), 0);
        assert_eq!(parse_date_time("1970-01-02").unwrap(), 86_400_000);
        assert_eq!(
            parse_date_time("2000-03-01T00:00:00.5").unwrap(),
            951_868_800_500
        );
        assert!(parse_date_time("2001-02-29T00:00:00Z").is_err());
        assert!(parse_date_time("tomorrow").is_err());
    }

    #[test]
    fn month_durations_clamp_to_the_end_of_the_month() {
        let january_31 = parse_date_time("2001-01-31T10:00:00Z").unwrap();
        let plus_month = Duration::parse("P1M").unwrap().add_to(january_31);
        assert_eq!(plus_month, parse_date_time("2001-02-28T10:00:00Z").unwrap());
        for days in [-800_000, -1, 0, 59, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
