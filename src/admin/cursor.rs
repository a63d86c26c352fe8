//! The cursor of an instance listing: where its last page ended, for the next page to go on
//! from there ([`InstanceFilter::after`](crate::store::InstanceFilter)). To the caller it is
//! an opaque string; it holds the last instance's place in the order, with the order it was
//! listed in, so that it is refused with another order.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::store::time::{from_millis, to_millis};
use crate::store::{InstancePosition, InstanceSummary};

/// A cursor, as encoded.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    order: String,
    id: i64,
    pid: String,
    status: String,
    started_ms: i64,
    last_active_ms: i64,
}

/// The cursor of a page listed in `order` whose last instance is `last`.
pub(super) fn after(order: &str, last: &InstanceSummary) -> String {
    let cursor = Cursor {
        order: order.to_owned(),
        id: last.id,
        pid: last.pid.clone(),
        status: last.status.to_string(),
        started_ms: to_millis(last.created_at),
        last_active_ms: to_millis(last.updated_at),
    };
    let json = serde_json::to_vec(&cursor).expect("a cursor serialises");
    URL_SAFE_NO_PAD.encode(json)
}

/// Where the page before `cursor` ended, for a listing in `order`; why it cannot be used.
pub(super) fn position(cursor: &str, order: &str) -> Result<InstancePosition, String> {
    let unreadable = || format!("cursor {cursor:?} is not one a listing returned");
    let json = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| unreadable())?;
    let cursor: Cursor = serde_json::from_slice(&json).map_err(|_| unreadable())?;
    if cursor.order != order {
        return Err(format!(
            "the cursor continues a listing in order {:?}, not {order:?}",
            cursor.order
        ));
    }
    Ok(InstancePosition {
        id: cursor.id,
        pid: cursor.pid,
        status: cursor.status.parse().map_err(|_| unreadable())?,
        created_at: from_millis(cursor.started_ms),
        updated_at: from_millis(cursor.last_active_ms),
    })
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::store::InstanceStatus;

    #[test]
    fn a_cursor_gives_back_the_place_of_its_page_s_last_instance_in_its_order_only() {
        let now = from_millis(to_millis(SystemTime::now()));
        let last = InstanceSummary {
            id: 42,
            pid: "{urn:test}orders-1".to_owned(),
            status: InstanceStatus::Suspended,
            failure: None,
            revision: 3,
            created_at: now,
            updated_at: now,
        };
        let cursor = after("-started", &last);
        assert_eq!(
            position(&cursor, "-started").unwrap(),
            InstancePosition::of(&last)
        );
        let error = position(&cursor, "started").unwrap_err();
        assert!(
            error.contains("in order \"-started\", not \"started\""),
            "{error}"
        );
        assert!(position("garbage", "")
            .unwrap_err()
            .contains("is not one a listing returned"));
    }
}
