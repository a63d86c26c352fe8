//! bpel-scripts' test definitions (`.tdef`), read as the script harness they were written
//! for read them: a Java properties file whose keys split on '.' (empty pieces dropped, so
//! `.postCondition` is a post-condition like `postCondition`), with
//! - `bpel`, `wsdl`: the process and its WSDL, relative to the .tdef (without `wsdl`, the
//!   process's name with `.wsdl`);
//! - `request.N.partnerLink`, `.operation`, `.msg` (a normalised message file, relative to
//!   the .tdef), `.delay` (seconds to wait before sending it): the requests, by number;
//! - `invoke.N.…`: canned replies of partners the process invokes;
//! - `postConditionNamespace` (`prefix=uri`) and `postCondition`: XPath 1.0 assertions.
//!
//! In a message file, `!!duration!!` stands for the moment it is sent plus that xsd
//! duration, as an xsd:dateTime.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use baton::runtime::xsd::{parse_date_time, Duration};

/// One request of a test definition.
#[derive(Debug, Default, Clone)]
pub(crate) struct Request {
    pub partner_link: String,
    pub operation: String,
    pub message: PathBuf,
    pub delay_seconds: Option<u64>,
}

/// A parsed .tdef.
#[derive(Debug)]
pub(crate) struct TestDefinition {
    pub bpel: PathBuf,
    pub wsdl: PathBuf,
    /// In request-number order.
    pub requests: Vec<Request>,
    /// How many canned partner replies it defines.
    pub canned_replies: usize,
    pub namespaces: BTreeMap<String, String>,
    pub post_conditions: Vec<String>,
}

impl TestDefinition {
    /// Reads the .tdef at `path`.
    pub(crate) fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let folder = path.parent().unwrap_or(Path::new("."));
        let mut bpel = None;
        let mut wsdl = None;
        let mut requests: BTreeMap<u32, Request> = BTreeMap::new();
        let mut canned = BTreeSet::new();
        let mut namespaces = BTreeMap::new();
        let mut post_conditions = Vec::new();
        for (key, value) in properties(&text) {
            let keys: Vec<&str> = key.split('.').filter(|k| !k.is_empty()).collect();
            let setting = keys.first().copied().unwrap_or_default();
            let number = || -> Result<u32, String> {
                keys.get(1)
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("{key}: no request number"))
            };
            if setting.eq_ignore_ascii_case("bpel") {
                bpel = Some(folder.join(&value));
            } else if setting.eq_ignore_ascii_case("wsdl") {
                wsdl = Some(folder.join(&value));
            } else if setting.starts_with("request") {
                let request = requests.entry(number()?).or_default();
                let field = keys.get(2).copied().unwrap_or_default();
                match field.to_ascii_lowercase().as_str() {
                    "partnerlink" => request.partner_link = value,
                    "operation" => request.operation = value,
                    "msg" => request.message = folder.join(&value),
                    "delay" => {
                        let seconds = value
                            .trim()
                            .parse()
                            .map_err(|_| format!("{key}: '{value}' is not a number of seconds"))?;
                        request.delay_seconds = Some(seconds);
                    }
                    "fault" => {}
                    _ => return Err(format!("unknown message setting {key}")),
                }
            } else if setting.starts_with("invoke") {
                canned.insert(number()?);
            } else if setting.starts_with("postConditionNamespace") {
                let (prefix, uri) = value
                    .split_once('=')
                    .ok_or_else(|| format!("{key}: '{value}' is not prefix=uri"))?;
                namespaces.insert(prefix.to_owned(), uri.to_owned());
            } else if setting.starts_with("postCondition") {
                post_conditions.push(value);
            } else {
                return Err(format!("unknown setting {key}"));
            }
        }
        let bpel = bpel.ok_or("no bpel setting")?;
        let wsdl = wsdl.unwrap_or_else(|| bpel.with_extension("wsdl"));
        if requests.is_empty() {
            return Err("no request".into());
        }
        Ok(TestDefinition {
            bpel,
            wsdl,
            requests: requests.into_values().collect(),
            canned_replies: canned.len(),
            namespaces,
            post_conditions,
        })
    }
}

/// The key/value pairs of a Java properties text (`key=value` or `key:value` lines; `#` and
/// `!` comments; lines ending in an odd number of backslashes continue on the next).
fn properties(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut logical = String::new();
    for line in text.lines() {
        let line = line.trim_start();
        if logical.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with('!'))
        {
            continue;
        }
        let trailing = line.len() - line.trim_end_matches('\\').len();
        if trailing % 2 == 1 {
            logical.push_str(&line[..line.len() - 1]);
            continue;
        }
        logical.push_str(line);
        let entry = std::mem::take(&mut logical);
        let split = entry.find(['=', ':']).unwrap_or(entry.len());
        let key = entry[..split].trim().to_owned();
        let value = entry.get(split + 1..).unwrap_or_default().trim().to_owned();
        pairs.push((key, value));
    }
    pairs
}

/// `message` with every `!!duration!!` replaced by now plus the duration.
pub(crate) fn substitute_times(message: &str) -> Result<String, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_millis() as i64;
    let mut out = String::new();
    let mut rest = message;
    while let Some(start) = rest.find("!!") {
        let Some(length) = rest[start + 2..].find("!!") else {
            break;
        };
        let duration = rest[start + 2..start + 2 + length].trim();
        let at = Duration::parse(duration)
            .map_err(|e| format!("'{duration}' is not an xsd duration: {e}"))?
            .add_to(now);
        let formatted = date_time(at);
        assert_eq!(
            parse_date_time(&formatted),
            Ok(at),
            "{formatted} misformatted"
        );
        out.push_str(&rest[..start]);
        out.push_str(&formatted);
        rest = &rest[start + 2 + length + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Milliseconds since the epoch as an xsd:dateTime in UTC.
fn date_time(epoch_ms: i64) -> String {
    let days = epoch_ms.div_euclid(86_400_000);
    let ms_of_day = epoch_ms.rem_euclid(86_400_000);
    // Days since 1970-01-01 to the proleptic Gregorian calendar (Howard Hinnant's method).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}
