//! A JDBC datasource (a Carbon datasource, or ODE's own pool) carried into `[store]`: its
//! URL made one of Baton's (`mysql://`, `postgres://`; the embedded H2 and Derby give way
//! to Baton's embedded SQLite), its credentials and its pool settings.

use super::report::Report;
use super::settings::{integer, Settings};
use crate::store::PoolSettings;

/// A JDBC datasource as ODE or BPS configured it.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct JdbcSource {
    pub(super) url: String,
    pub(super) user: Option<String>,
    pub(super) password: Option<String>,
    pub(super) max_active: Option<i64>,
    pub(super) max_idle: Option<i64>,
    /// Milliseconds; negative waits for ever.
    pub(super) max_wait_ms: Option<i64>,
    pub(super) test_on_borrow: Option<bool>,
    pub(super) validation_query: Option<String>,
}

/// What the instances and processes of the old database become.
const DATA_NOT_MIGRATED: &str = "the process instances, deployed processes and jobs in \
     that database are not migrated: Baton keeps its own tables (baton_*) and does not read \
     ODE's; let the old server drain its instances, or let them finish there";

/// Carries `source`, read from `file` where it is called `setting`, into `[store]`.
pub(super) fn carry(
    source: &JdbcSource,
    file: &str,
    setting: &str,
    settings: &mut Settings,
    report: &mut Report,
) {
    let Some(url) = store_url(&source.url, file, setting, report) else {
        return;
    };
    settings.set("store", "url", url);
    report.add(file, setting, DATA_NOT_MIGRATED);
    for (key, value) in [("user", &source.user), ("password", &source.password)] {
        if let Some(value) = value.as_deref().filter(|value| !value.is_empty()) {
            settings.set("store", key, value);
        }
    }
    let defaults = PoolSettings::default();
    let mut max_active = u64::from(defaults.max_active);
    match source.max_active {
        Some(value) if value > 0 => {
            max_active = value.unsigned_abs();
            settings.set("store", "max-active", integer(max_active));
        }
        Some(value) => report.add(
            file,
            &format!("{setting} maxActive {value}"),
            "Baton's pool always has a bound: kept [store] max-active's default",
        ),
        None => {}
    }
    let max_idle = match source.max_idle {
        Some(value) if value >= 0 => value.unsigned_abs(),
        _ => u64::from(defaults.max_idle),
    };
    if source.max_idle.is_some() || max_idle > max_active {
        settings.set("store", "max-idle", integer(max_idle.min(max_active)));
    }
    match source.max_wait_ms {
        Some(value) if value > 0 => {
            settings.set("store", "max-wait-ms", integer(value.unsigned_abs()))
        }
        Some(value) => report.add(
            file,
            &format!("{setting} maxWait {value}"),
            "Baton never waits for ever for a connection: kept [store] max-wait-ms's default",
        ),
        None => {}
    }
    if let Some(test) = source.test_on_borrow {
        settings.set("store", "test-on-borrow", test);
    }
    if let Some(query) = source.validation_query.as_deref().filter(|q| !q.is_empty()) {
        if source.test_on_borrow.unwrap_or(defaults.test_on_borrow) {
            settings.set("store", "validation-query", query);
        } else {
            report.add(
                file,
                &format!("{setting} validationQuery"),
                "Baton runs the validation query only to test a connection before use, and \
                 testOnBorrow is false",
            );
        }
    }
}

/// Baton's URL for the JDBC URL `jdbc`, or `None` (reported) when Baton keeps its default.
fn store_url(jdbc: &str, file: &str, setting: &str, report: &mut Report) -> Option<String> {
    let Some((protocol, rest)) = jdbc
        .strip_prefix("jdbc:")
        .and_then(|rest| rest.split_once(':'))
    else {
        report.add(
            file,
            &format!("{setting} url {jdbc}"),
            "not a JDBC URL: kept Baton's embedded SQLite database",
        );
        return None;
    };
    let scheme = match protocol {
        "mysql" | "mariadb" => "mysql",
        "postgresql" => "postgres",
        "h2" | "derby" | "hsqldb" => {
            report.add(
                file,
                &format!("{setting} url {jdbc}"),
                "an embedded database: Baton uses its own embedded SQLite database instead \
                 (data/baton.db); the instances and processes in the old one are not migrated",
            );
            return None;
        }
        _ => {
            report.add(
                file,
                &format!("{setting} url {jdbc}"),
                "Baton stores in SQLite, PostgreSQL or MySQL/MariaDB: kept its embedded SQLite \
                 database",
            );
            return None;
        }
    };
    let address = match rest.strip_prefix("//") {
        Some(address) => address.to_owned(),
        None => format!("localhost/{rest}"),
    };
    let (address, parameters) = match address.split_once('?') {
        Some((address, parameters)) => (address.to_owned(), Some(parameters.to_owned())),
        None => (address, None),
    };
    if let Some(parameters) = parameters.filter(|p| !p.is_empty()) {
        report.add(
            file,
            &format!("{setting} url parameters {parameters}"),
            "JDBC driver parameters do not apply to Baton's drivers: left out of [store] url",
        );
    }
    Some(format!("{scheme}://{address}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carried(source: JdbcSource) -> (Settings, Vec<String>) {
        let mut settings = Settings::default();
        let mut report = Report::default();
        carry(&source, "f", "ds", &mut settings, &mut report);
        (settings, report.lines().collect())
    }

    #[test]
    fn server_urls_become_baton_urls_without_driver_parameters() {
        let (settings, lines) = carried(JdbcSource {
            url: "jdbc:mariadb://db:3306/bps?useSSL=false".into(),
            max_active: Some(4),
            ..JdbcSource::default()
        });
        assert_eq!(
            settings.to_toml(),
            "[store]\nmax-active = 4\nmax-idle = 4\nurl = \"mysql://db:3306/bps\"\n"
        );
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("useSSL=false"), "{lines:?}");
        let (settings, _) = carried(JdbcSource {
            url: "jdbc:postgresql:ode".into(),
            ..JdbcSource::default()
        });
        assert_eq!(
            settings.get("store", "url").and_then(|url| url.as_str()),
            Some("postgres://localhost/ode")
        );
    }

    #[test]
    fn embedded_and_unknown_databases_keep_sqlite_and_say_so() {
        for url in [
            "jdbc:h2:file:/var/ode/db",
            "jdbc:oracle:thin:@db:1521:ode",
            "ode",
        ] {
            let (settings, lines) = carried(JdbcSource {
                url: url.into(),
                user: Some("sa".into()),
                ..JdbcSource::default()
            });
            assert!(settings.table().is_empty(), "{url}: {settings:?}");
            assert_eq!(lines.len(), 1, "{url}: {lines:?}");
            assert!(lines[0].contains("SQLite"), "{lines:?}");
        }
    }

    #[test]
    fn unbounded_waits_and_pools_keep_the_defaults() {
        let (settings, lines) = carried(JdbcSource {
            url: "jdbc:mysql://db/bps".into(),
            max_active: Some(-1),
            max_wait_ms: Some(-1),
            test_on_borrow: Some(false),
            validation_query: Some("SELECT 1".into()),
            ..JdbcSource::default()
        });
        assert_eq!(
            settings.to_toml(),
            "[store]\ntest-on-borrow = false\nurl = \"mysql://db/bps\"\n"
        );
        assert_eq!(lines.len(), 4, "{lines:?}");
    }
}
