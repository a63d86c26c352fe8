//! How every backend stores a time: milliseconds since the Unix epoch in a 64-bit integer
//! column, which all three databases hold alike and compare exactly.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `time` as stored: milliseconds since the Unix epoch, saturating.
pub(crate) fn to_millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// A stored timestamp as a time.
pub(crate) fn from_millis(millis: i64) -> SystemTime {
    let magnitude = Duration::from_millis(millis.unsigned_abs());
    if millis >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

/// The current time, as stored.
pub(crate) fn now_millis() -> i64 {
    to_millis(SystemTime::now())
}
