//! Scheduled cleanups: ODE's `schedules.xml` (namespace
//! `http://www.apache.org/ode/schemas/schedules/2009/05`) and the `<Schedules>` of bps.xml,
//! both a cron expression with `<cleanup>`s of categories and instance filters, become
//! `[[cleanup.schedules]]`, one per cleanup.

use toml::{Table, Value};

use super::files::Input;
use super::report::Report;
use super::settings::Settings;
use super::xml_file::XmlFile;
use super::ImportError;
use crate::xml::NodeId;

/// schedules.xml's namespace.
const NAMESPACE: &str = "http://www.apache.org/ode/schemas/schedules/2009/05";

/// The categories of data a cleanup deletes, as ODE and Baton name them.
const CATEGORIES: [&str; 6] = [
    "instance",
    "variables",
    "messages",
    "correlations",
    "events",
    "all",
];

/// Reads schedules.xml into `[[cleanup.schedules]]`.
pub(super) fn read_file(
    input: &Input,
    settings: &mut Settings,
    report: &mut Report,
) -> Result<(), ImportError> {
    let file = XmlFile::read(input)?;
    let root = file.root(Some(NAMESPACE), "schedules")?;
    for schedule in file.children(root, "schedule") {
        read_schedule(&file, schedule, settings, report)?;
    }
    Ok(())
}

/// Reads one `<schedule when>` (or bps.xml's `<Schedule when>`) of `file`: one Baton
/// schedule per `<cleanup>`.
pub(super) fn read_schedule(
    file: &XmlFile,
    schedule: NodeId,
    settings: &mut Settings,
    report: &mut Report,
) -> Result<(), ImportError> {
    let line = file.document.line(schedule);
    let when = file
        .attribute(schedule, "when")
        .filter(|when| !when.is_empty())
        .ok_or_else(|| file.malformed(line, "a schedule without a when (cron) attribute".into()))?;
    for cleanup in file.children(schedule, "cleanup") {
        let mut categories = Vec::new();
        for node in file.children(cleanup, "category") {
            let category = file.text(node);
            if CATEGORIES.contains(&category.as_str()) {
                categories.push(Value::from(category));
            } else {
                report.add(
                    &file.shown,
                    &format!("schedule {when} category {category}"),
                    "not a category of data: instance, variables, messages, correlations, \
                     events or all",
                );
            }
        }
        let filters: Vec<Value> = file
            .children(cleanup, "filter")
            .map(|node| Value::from(file.text(node)))
            .collect();
        let mut entry = Table::new();
        entry.insert("when".into(), Value::from(when));
        entry.insert("filters".into(), Value::Array(filters));
        entry.insert("categories".into(), Value::Array(categories));
        settings.push("cleanup", "schedules", Value::Table(entry));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<(Settings, Report), ImportError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("schedules.xml");
        std::fs::write(&path, text).unwrap();
        let (mut settings, mut report) = (Settings::default(), Report::default());
        let input = Input {
            path,
            shown: "conf/schedules.xml".into(),
        };
        read_file(&input, &mut settings, &mut report)?;
        Ok((settings, report))
    }

    #[test]
    fn each_cleanup_of_a_schedule_is_a_schedule() {
        let (settings, report) = read(&format!(
            "<schedules xmlns='{NAMESPACE}'><schedule when='0 0 1 * * ?'>\
             <cleanup><category>events</category><category>everything</category>\
             <filter>status=completed</filter></cleanup><cleanup/></schedule></schedules>"
        ))
        .unwrap();
        assert_eq!(
            settings.to_toml(),
            "[[cleanup.schedules]]\ncategories = [\"events\"]\nfilters = [\"status=completed\"]\n\
             when = \"0 0 1 * * ?\"\n\n[[cleanup.schedules]]\ncategories = []\nfilters = []\n\
             when = \"0 0 1 * * ?\"\n"
        );
        let lines: Vec<String> = report.lines().collect();
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].starts_with("conf/schedules.xml: schedule 0 0 1 * * ? category everything"),
            "{lines:?}"
        );
    }

    #[test]
    fn a_schedule_without_when_or_in_another_namespace_is_refused_with_its_line() {
        let error = read(&format!(
            "<schedules xmlns='{NAMESPACE}'>\n\n<schedule><cleanup/></schedule></schedules>"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            error.ends_with("schedules.xml, line 3: a schedule without a when (cron) attribute"),
            "{error}"
        );
        let error = read("<schedules><schedule when='x'/></schedules>")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!("not {{{NAMESPACE}}}schedules")),
            "{error}"
        );
    }
}
