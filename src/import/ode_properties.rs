//! ODE's `ode-axis2.properties` (keys prefixed `ode-axis2.`): its database (`db.mode` and the
//! `db.*` keys), event listeners, interceptors, in-memory lifetime, dehydration and deploy
//! directory carried into Baton's settings; its Java, JTA, JCA, cluster and scheduler
//! settings reported as not carried.

use std::collections::BTreeMap;

use super::bps::{DEBUG_LISTENER, JAVA_INTERCEPTOR, JAVA_LISTENER, SCHEDULER};
use super::datasources::Datasources;
use super::files::Input;
use super::properties::{self, Property};
use super::report::Report;
use super::settings::{integer, Settings};
use super::store::{self, JdbcSource};
use super::ImportError;

/// The prefix of every key.
const PREFIX: &str = "ode-axis2.";

/// Why a key with no Baton equivalent is not carried over.
fn not_carried(key: &str) -> Option<&'static str> {
    Some(match key {
        "db.logging" => "Baton logs its store's errors; RUST_LOG=sqlx=debug logs its statements",
        "dao.factory" | "dao.factory.store" => {
            "Baton has no ORM: its store is written with its own SQL (dbscripts/)"
        }
        "tx.factory.class" | "migration.transaction.timeout" => {
            "Baton has no JTA transaction manager: each step of an instance commits in one \
             transaction of its store"
        }
        "jca.port" => "Baton has no JCA connector: the management API is served over HTTP",
        "working.dir" => "Baton keeps its data in [store] data-dir",
        "extension.bundles" => {
            "Java extension bundles do not run in Baton: extension activities and assign \
             operations are Rust code registered by a program running Baton"
        }
        "threads.pool.size" => SCHEDULER,
        "db.pool.min" => "Baton's pool opens connections as they are needed and has no minimum",
        "db.pool.blocking" => {
            "Baton's pool always blocks a request for at most [store] max-wait-ms"
        }
        key if key.starts_with("clustering.") => {
            "Baton has no cluster mode: one server owns its store"
        }
        key if key.starts_with("process.hydration.")
            || key.starts_with("process.instance.throttled.") =>
        {
            "Baton loads a process version when it is deployed and bounds the instances in \
             memory with [dehydration]"
        }
        _ => return None,
    })
}

/// Reads ode-axis2.properties into `settings`.
pub(super) fn read(
    input: &Input,
    datasources: &Datasources,
    settings: &mut Settings,
    report: &mut Report,
) -> Result<(), ImportError> {
    let mut by_key = BTreeMap::new();
    for property in properties::read(input)? {
        match property.key.strip_prefix(PREFIX) {
            Some(key) => {
                by_key.insert(key.to_owned(), property);
            }
            None => report.add(
                &input.shown,
                &property.key,
                "not an ode-axis2. key, which ODE would not read either",
            ),
        }
    }
    database(input, &mut by_key, datasources, settings, report)?;
    for (key, property) in &by_key {
        let value = property.value.as_str();
        let number = || property.positive(input);
        match key.as_str() {
            "event.listeners" => {
                for class in classes(value) {
                    if class == DEBUG_LISTENER {
                        settings.push("events", "listeners", "log");
                    } else {
                        let setting = format!("{} {class}", property.key);
                        report.add(&input.shown, &setting, JAVA_LISTENER);
                    }
                }
            }
            "mex.interceptors" => {
                for class in classes(value) {
                    let setting = format!("{} {class}", property.key);
                    report.add(&input.shown, &setting, JAVA_INTERCEPTOR);
                }
            }
            "mex.inmem.ttl" => {
                settings.set("engine", "in-memory-instance-ttl-ms", integer(number()?));
            }
            "process.dehydration" => {
                settings.set("dehydration", "enabled", value.eq_ignore_ascii_case("true"));
            }
            "process.dehydration.maximum.age" => {
                settings.set("dehydration", "max-age-ms", integer(number()?));
            }
            "process.dehydration.maximum.count" => {
                settings.set("dehydration", "max-count", integer(number()?));
            }
            "deploy.dir" => settings.set("deploy", "dir", value),
            _ => {
                let reason = not_carried(key)
                    .unwrap_or("not a setting import-config knows: check whether Baton needs it");
                report.add(&input.shown, &property.key, reason);
            }
        }
    }
    Ok(())
}

/// The comma-separated class names of `value`.
fn classes(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|class| !class.is_empty())
}

/// `db.mode` and the keys of the database it chooses: into `[store]`, removed from `by_key`.
/// An external datasource is looked up by its JNDI name in the datasource files found.
fn database(
    input: &Input,
    by_key: &mut BTreeMap<String, Property>,
    datasources: &Datasources,
    settings: &mut Settings,
    report: &mut Report,
) -> Result<(), ImportError> {
    let mode = by_key
        .remove("db.mode")
        .map_or("EMBEDDED".to_owned(), |mode| {
            mode.value.to_ascii_uppercase()
        });
    let database_keys: Vec<String> = by_key
        .keys()
        .filter(|key| {
            key.starts_with("db.emb.") || key.starts_with("db.int.") || key.starts_with("db.ext.")
        })
        .cloned()
        .collect();
    let mut take = |key: &str| by_key.remove(key);
    let shown = &input.shown;
    match mode.as_str() {
        "INTERNAL" => {
            if let Some(url) = take("db.int.jdbcurl") {
                take("db.int.driver");
                let max_active = match take("db.pool.max") {
                    Some(property) => Some(property.whole(input)?),
                    None => None,
                };
                let source = JdbcSource {
                    url: url.value,
                    user: take("db.int.username").map(|property| property.value),
                    password: take("db.int.password").map(|property| property.value),
                    max_active,
                    ..JdbcSource::default()
                };
                store::carry(&source, shown, "ode-axis2.db.int.jdbcurl", settings, report);
            } else {
                report.add(
                    shown,
                    "ode-axis2.db.mode INTERNAL",
                    "no ode-axis2.db.int.jdbcurl: kept Baton's embedded SQLite database",
                );
            }
        }
        "EXTERNAL" => {
            let name = take("db.ext.dataSource").map_or(String::new(), |property| property.value);
            let jndi = name.strip_prefix("java:comp/env/").unwrap_or(&name);
            match datasources.get(jndi) {
                Some(datasource) => datasource.carry(settings, report),
                None => report.add(
                    shown,
                    &format!("ode-axis2.db.ext.dataSource {name}"),
                    "a JNDI datasource of the application server, which no datasource file \
                     beside it defines: kept Baton's embedded SQLite database; set [store] url",
                ),
            }
        }
        _ => {
            let kind = take("db.emb.type").map_or("h2".to_owned(), |property| property.value);
            report.add(
                shown,
                &format!("ode-axis2.db.mode {mode} ({kind})"),
                "an embedded database: Baton uses its own embedded SQLite database instead \
                 (data/baton.db); the instances and processes in the old one are not migrated",
            );
        }
    }
    let embedded = !matches!(mode.as_str(), "INTERNAL" | "EXTERNAL");
    for key in database_keys {
        if let Some(property) = by_key.remove(&key) {
            let reason = if embedded && key.starts_with("db.emb.") {
                "a setting of the embedded database, which Baton's SQLite replaces".to_owned()
            } else {
                format!("not used with ode-axis2.db.mode {mode}")
            };
            report.add(shown, &property.key, &reason);
        }
    }
    Ok(())
}
