//! The Baton settings an import builds: the tables and keys of `baton.toml`, as TOML values,
//! written with the `toml` crate.

use toml::{Table, Value};

/// The sections of `baton.toml`, in the order `conf/baton.toml` documents them.
const SECTIONS: [&str; 13] = [
    "server",
    "xml",
    "engine",
    "compiler",
    "deploy",
    "store",
    "http-client",
    "amqp",
    "dehydration",
    "header-propagation",
    "auth",
    "events",
    "cleanup",
];

/// The keys of `baton.toml` set so far, by section.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Settings {
    table: Table,
}

impl Settings {
    /// Sets `key` of `[section]` (a dotted section names a nested table, as `events.jsonl`).
    pub fn set(&mut self, section: &str, key: &str, value: impl Into<Value>) {
        self.section(section).insert(key.to_owned(), value.into());
    }

    /// Appends `value` to the array `key` of `[section]`, unless it holds it already.
    pub fn push(&mut self, section: &str, key: &str, value: impl Into<Value>) {
        let value = value.into();
        let entry = self
            .section(section)
            .entry(key.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(values) = entry {
            if !values.contains(&value) {
                values.push(value);
            }
        }
    }

    /// The value of `key` in `[section]`, when set.
    pub fn get(&self, section: &str, key: &str) -> Option<&Value> {
        let mut table = &self.table;
        for name in section.split('.') {
            table = table.get(name)?.as_table()?;
        }
        table.get(key)
    }

    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The settings as the text of a TOML file, the sections in the order of
    /// `conf/baton.toml`.
    pub fn to_toml(&self) -> String {
        let rank = |name: &str| SECTIONS.iter().position(|&section| section == name);
        let mut sections: Vec<(&String, &Value)> = self.table.iter().collect();
        sections.sort_by_key(|(name, _)| rank(name).unwrap_or(SECTIONS.len()));
        let texts: Vec<String> = sections
            .into_iter()
            .map(|(name, value)| {
                let section = Table::from_iter([(name.clone(), value.clone())]);
                toml::to_string(&section).expect("a TOML table always serialises")
            })
            .collect();
        let mut text = texts.join("\n");
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }

    fn section(&mut self, section: &str) -> &mut Table {
        let mut table = &mut self.table;
        for name in section.split('.') {
            let entry = table
                .entry(name.to_owned())
                .or_insert_with(|| Value::Table(Table::new()));
            if !entry.is_table() {
                *entry = Value::Table(Table::new());
            }
            table = entry.as_table_mut().expect("made a table just above");
        }
        table
    }
}

/// A count or a duration as a TOML integer (TOML integers are signed 64-bit).
pub(super) fn integer(value: u64) -> Value {
    Value::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_land_in_their_sections_and_arrays_keep_one_of_each() {
        let mut settings = Settings::default();
        settings.set("server", "reply-timeout-ms", integer(5000));
        settings.push("events", "listeners", "log");
        settings.push("events", "listeners", "log");
        settings.set("events.jsonl", "keep", integer(2));
        settings.set("cleanup", "batch", integer(10));
        assert_eq!(
            settings.to_toml(),
            "[server]\nreply-timeout-ms = 5000\n\n[events]\nlisteners = [\"log\"]\n\n[events.jsonl]\nkeep = 2\n\n[cleanup]\nbatch = 10\n"
        );
        assert_eq!(
            settings.get("events.jsonl", "keep"),
            Some(&Value::Integer(2))
        );
        assert_eq!(settings.get("server", "port"), None);
    }
}
