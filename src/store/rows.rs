//! The stored records decoded from rows of any backend: each backend says, through
//! [`StoredRow`], how its rows give integers, flags, text and bytes, and the records are
//! decoded once, here, from those.

use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::time::from_millis;
use super::{
    DeploymentSummary, Error, ExchangeRecord, InstanceRecord, InstanceSummary, Job, JobKey,
    OutboxEntry, ProcessRecord, Received, Result,
};

/// A row of one of the store's databases, read column by column. (`pub` only because a
/// [`Dialect`](super::Dialect) names it; the module keeps it private.)
#[doc(hidden)]
pub trait StoredRow {
    fn integer(&self, column: &str) -> Result<i64>;
    fn flag(&self, column: &str) -> Result<bool>;
    fn optional_text(&self, column: &str) -> Result<Option<String>>;
    fn optional_bytes(&self, column: &str) -> Result<Option<Vec<u8>>>;

    fn text(&self, column: &str) -> Result<String> {
        self.optional_text(column)?.ok_or_else(|| Error::Corrupt {
            entity: "text column",
            detail: format!("{column} is null"),
        })
    }

    fn bytes(&self, column: &str) -> Result<Vec<u8>> {
        self.optional_bytes(column)?.ok_or_else(|| Error::Corrupt {
            entity: "binary column",
            detail: format!("{column} is null"),
        })
    }
}

/// Rows whose driver decodes integers, flags and bytes directly, and text too unless
/// `optional_text` is given.
macro_rules! stored_row {
    ($row:ty) => {
        stored_row!($row, fn optional_text(&self, column: &str) -> Result<Option<String>> {
            Ok(self.try_get(column)?)
        });
    };
    ($row:ty, $optional_text:item) => {
        impl StoredRow for $row {
            fn integer(&self, column: &str) -> Result<i64> {
                Ok(self.try_get(column)?)
            }

            fn flag(&self, column: &str) -> Result<bool> {
                Ok(self.try_get(column)?)
            }

            $optional_text

            fn optional_bytes(&self, column: &str) -> Result<Option<Vec<u8>>> {
                Ok(self.try_get(column)?)
            }
        }
    };
}

stored_row!(SqliteRow);
stored_row!(PgRow);

// MySQL gives text of the binary collation (which makes it compare by its bytes, as in the
// other databases) flagged as binary, so it is read as bytes.
stored_row!(
    MySqlRow,
    fn optional_text(&self, column: &str) -> Result<Option<String>> {
        self.optional_bytes(column)?
            .map(String::from_utf8)
            .transpose()
            .map_err(|error| Error::Corrupt {
                entity: "text column",
                detail: format!("{column} is not UTF-8: {error}"),
            })
    }
);

/// The summary columns of a deployment row.
pub(super) fn deployment_summary(row: &impl StoredRow) -> Result<DeploymentSummary> {
    Ok(DeploymentSummary {
        name: row.text("name")?,
        version: row.integer("version")?,
        checksum: row.text("checksum")?,
        deployed_at: from_millis(row.integer("deployed_at")?),
        undeployed: row.flag("undeployed")?,
    })
}

/// A process row.
pub(super) fn process(row: &impl StoredRow) -> Result<ProcessRecord> {
    Ok(ProcessRecord {
        pid: row.text("pid")?,
        process: row.text("process_name")?,
        deployment: row.text("deployment_name")?,
        version: row.integer("version")?,
        state: row.text("state")?.parse()?,
    })
}

/// The summary columns of an instance row.
pub(super) fn instance_summary(row: &impl StoredRow) -> Result<InstanceSummary> {
    Ok(InstanceSummary {
        id: row.integer("id")?,
        pid: row.text("pid")?,
        status: row.text("status")?.parse()?,
        failure: row.optional_text("failure")?,
        revision: row.integer("revision")?,
        created_at: from_millis(row.integer("created_at")?),
        updated_at: from_millis(row.integer("updated_at")?),
    })
}

/// An instance row with its state.
pub(super) fn instance(row: &impl StoredRow) -> Result<InstanceRecord> {
    let summary = instance_summary(row)?;
    Ok(InstanceRecord {
        id: summary.id,
        pid: summary.pid,
        status: summary.status,
        state: row.bytes("state")?,
        failure: summary.failure,
        revision: summary.revision,
        created_at: summary.created_at,
        updated_at: summary.updated_at,
    })
}

/// An exchange row.
pub(super) fn exchange(row: &impl StoredRow) -> Result<ExchangeRecord> {
    Ok(ExchangeRecord {
        id: row.text("id")?,
        instance_id: row.integer("instance_id")?,
        partner_link: row.text("partner_link")?,
        operation: row.text("operation")?,
        direction: row.text("direction")?.parse()?,
        status: row.text("status")?.parse()?,
        request: row.optional_bytes("request")?,
        response: row.optional_bytes("response")?,
        created_at: from_millis(row.integer("created_at")?),
    })
}

/// A job row.
pub(super) fn job(row: &impl StoredRow) -> Result<Job> {
    Ok(Job {
        instance_id: row.integer("instance_id")?,
        pid: row.text("pid")?,
        job: JobKey::new(row.text("kind")?.parse()?, row.text("job_key")?),
        due_ms: row.integer("due_ms")?,
    })
}

pub(super) fn outbox_entry(row: &impl StoredRow) -> Result<OutboxEntry> {
    Ok(OutboxEntry {
        message_id: row.text("message_id")?,
        instance_id: row.integer("instance_id")?,
        pid: row.text("pid")?,
        exchange: row.text("exchange_id")?,
        call: row.bytes("payload")?,
    })
}

pub(super) fn received(row: &impl StoredRow) -> Result<Received> {
    Ok(Received {
        message_id: row.text("message_id")?,
        instance_id: row.integer("instance_id")?,
        exchange: row.optional_text("exchange_id")?,
    })
}
