//! `baton import-config DIR`: reads the configuration folder of an Apache ODE or WSO2 BPS
//! server and writes the equivalent `baton.toml`, with a line for every setting that cannot
//! be carried over and why.
//!
//! Each input is looked for in the folder itself and in its `conf/`, `repository/conf/` and
//! `repository/conf/datasources/` (see [`files`]); any subset may be present. One reader per
//! format writes the Baton keys it can into one [`Settings`] and what it cannot into one
//! [`Report`], in this order (a later reader wins where two set the same key):
//! - [`datasources`]: WSO2 Carbon datasources, looked up by the name bps.xml (or ODE's
//!   `db.ext.dataSource`) gives;
//! - [`bps`]: WSO2 BPS's `bps.xml`;
//! - [`ode_properties`]: ODE's `ode-axis2.properties`;
//! - [`schedules`]: ODE's `schedules.xml` (bps.xml's `<Schedules>` have the same shape);
//! - [`endpoints`]: ODE's `*.endpoint` files, which Baton reads as they are from its
//!   configuration directory: they are copied beside the written `baton.toml`, and the
//!   properties Baton does not apply are reported.
//!
//! [`store`] turns a JDBC datasource into `[store]`. The result is loaded as a
//! [`Configuration`] and validated before anything is written, so what `import-config`
//! writes is what `baton serve` reads.

mod bps;
mod datasources;
mod endpoints;
mod error;
mod files;
mod ode_properties;
mod properties;
mod report;
mod schedules;
mod settings;
mod store;
mod xml_file;

use std::io::Write as _;
use std::path::{Path, PathBuf};

pub use error::ImportError;
pub use report::{NotCarried, Report};
pub use settings::Settings;

use crate::config::Configuration;

/// What was read from an ODE or BPS folder.
#[derive(Debug)]
pub struct Imported {
    /// The Baton settings, as the keys of `baton.toml`.
    pub settings: Settings,
    /// The settings that were not carried over, each with its reason.
    pub report: Report,
    /// The endpoint property files to place beside `baton.toml`.
    pub endpoint_files: Vec<PathBuf>,
}

/// Reads the ODE or BPS configuration folder `dir`.
pub fn import(dir: &Path) -> Result<Imported, ImportError> {
    if !dir.is_dir() {
        return Err(ImportError::NotAFolder(dir.to_owned()));
    }
    let found = files::Found::in_folder(dir)?;
    if found.is_empty() {
        return Err(ImportError::NothingToImport(dir.to_owned()));
    }
    let mut settings = Settings::default();
    let mut report = Report::default();
    let datasources = datasources::read_all(&found.datasources)?;
    if let Some(file) = &found.bps {
        bps::read(file, &datasources, &mut settings, &mut report)?;
    }
    if let Some(file) = &found.ode_properties {
        ode_properties::read(file, &datasources, &mut settings, &mut report)?;
    }
    if let Some(file) = &found.schedules {
        schedules::read_file(file, &mut settings, &mut report)?;
    }
    for file in &found.endpoints {
        endpoints::read(file, &mut settings, &mut report)?;
    }
    let imported = Imported {
        settings,
        report,
        endpoint_files: found
            .endpoints
            .iter()
            .map(|file| file.path.clone())
            .collect(),
    };
    imported.configuration()?;
    Ok(imported)
}

impl Imported {
    /// The configuration Baton reads from what was imported, validated.
    pub fn configuration(&self) -> Result<Configuration, ImportError> {
        let configuration: Configuration = toml::Value::Table(self.settings.table().clone())
            .try_into()
            .map_err(|error: toml::de::Error| ImportError::Unreadable(error.to_string()))?;
        configuration.validate().map_err(ImportError::Invalid)?;
        Ok(configuration)
    }

    /// The text of `baton.toml`: the lines of the report as a comment block, then the
    /// settings.
    pub fn to_toml(&self, dir: &Path) -> String {
        let mut text = format!(
            "# Baton's configuration, imported by `baton import-config` from {}.\n",
            dir.display()
        );
        if !self.report.is_empty() {
            text.push_str("#\n# Not carried over:\n");
            for line in self.report.lines() {
                text.push_str(&format!("# - {line}\n"));
            }
        }
        text.push('\n');
        text.push_str(&self.settings.to_toml());
        text
    }

    /// Writes `baton.toml` to `out` and copies the endpoint property files beside it,
    /// where Baton reads them (its configuration directory).
    pub fn write(&self, dir: &Path, out: &Path) -> Result<(), ImportError> {
        std::fs::write(out, self.to_toml(dir)).map_err(|problem| ImportError::Write {
            path: out.to_owned(),
            problem,
        })?;
        let folder = out.parent().unwrap_or(Path::new(""));
        for file in &self.endpoint_files {
            let Some(name) = file.file_name() else {
                continue;
            };
            let copy = folder.join(name);
            if copy.exists() && copy.canonicalize().ok() == file.canonicalize().ok() {
                continue;
            }
            std::fs::copy(file, &copy).map_err(|problem| ImportError::Write {
                path: copy.clone(),
                problem,
            })?;
        }
        Ok(())
    }
}

/// `baton import-config DIR [--out FILE]`: reads `dir`, prints every not-carried line on
/// standard error and writes `baton.toml` to `out` (with the endpoint files beside it), or
/// to standard output.
pub fn run(dir: &Path, out: Option<&Path>) -> Result<(), ImportError> {
    let mut imported = import(dir)?;
    if out.is_none() {
        for file in &imported.endpoint_files {
            let shown = file.strip_prefix(dir).unwrap_or(file);
            imported.report.add(
                &shown.display().to_string(),
                "the file",
                "not copied, as the configuration went to standard output: copy it beside \
                 baton.toml (or use --out), where Baton reads endpoint files",
            );
        }
    }
    for line in imported.report.lines() {
        eprintln!("not carried over: {line}");
    }
    match out {
        Some(out) => imported.write(dir, out),
        None => std::io::stdout()
            .lock()
            .write_all(imported.to_toml(dir).as_bytes())
            .map_err(|problem| ImportError::Write {
                path: PathBuf::from("standard output"),
                problem,
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder holding `bps.xml` with `text`.
    fn bps_folder(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bps.xml"), text).unwrap();
        dir
    }

    fn bps(body: &str) -> String {
        format!("<tns:WSO2BPS xmlns:tns=\"http://wso2.org/bps/config\">\n{body}\n</tns:WSO2BPS>")
    }

    #[test]
    fn a_folder_must_exist_and_hold_something_to_import() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let error = import(&missing).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("{} is not a folder", missing.display())
        );
        let error = import(dir.path()).unwrap_err();
        assert!(matches!(error, ImportError::NothingToImport(_)), "{error}");
    }

    #[test]
    fn malformed_xml_is_refused_with_the_file_line_and_column() {
        let dir = bps_folder("<tns:WSO2BPS xmlns:tns=\"http://wso2.org/bps/config\">\n<a></b>");
        let error = import(dir.path()).unwrap_err();
        let ImportError::Xml { path, problem } = &error else {
            panic!("{error}")
        };
        assert_eq!(path, &dir.path().join("bps.xml"));
        assert_eq!(problem.line(), 2, "{error}");
        assert!(error.to_string().contains("line 2, column"), "{error}");
    }

    #[test]
    fn a_bps_file_of_another_kind_or_with_bad_values_is_refused_with_the_line() {
        let dir = bps_folder("<WSO2BPS xmlns=\"urn:other\"/>");
        let error = import(dir.path()).unwrap_err().to_string();
        assert!(
            error.ends_with("bps.xml, line 1: the document element is {urn:other}WSO2BPS, not {http://wso2.org/bps/config}WSO2BPS"),
            "{error}"
        );
        for (body, message) in [
            (
                "<tns:MexTimeOut value=\"two minutes\"/>",
                "MexTimeOut 'two minutes' is not a whole number",
            ),
            (
                "<tns:ExternalServiceTimeOut value=\"0\"/>",
                "ExternalServiceTimeOut 0 is not positive",
            ),
            (
                "<tns:ProcessDehydration value=\"yes\"/>",
                "ProcessDehydration value 'yes' is neither true nor false",
            ),
            (
                "<tns:Schedules><tns:Schedule/></tns:Schedules>",
                "a schedule without a when (cron) attribute",
            ),
        ] {
            let dir = bps_folder(&bps(body));
            let error = import(dir.path()).unwrap_err().to_string();
            assert!(
                error.ends_with(&format!("bps.xml, line 2: {message}")),
                "{error}"
            );
        }
    }

    #[test]
    fn a_datasource_that_no_file_defines_keeps_sqlite_and_says_so() {
        let dir = bps_folder(&bps(
            "<tns:DataBaseConfig><tns:DataSource name=\"bpsds\"/></tns:DataBaseConfig>",
        ));
        let imported = import(dir.path()).unwrap();
        assert_eq!(imported.settings.get("store", "url"), None);
        let lines: Vec<String> = imported.report.lines().collect();
        assert_eq!(
            lines,
            [
                "bps.xml: DataSource bpsds: no datasource file was found: kept Baton's embedded \
              SQLite database; set [store] url"
            ]
        );
    }

    #[test]
    fn settings_that_baton_refuses_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ode-axis2.properties"),
            "ode-axis2.db.mode=INTERNAL\node-axis2.db.int.jdbcurl=jdbc:postgresql://db:port/ode\n",
        )
        .unwrap();
        let error = import(dir.path()).unwrap_err();
        assert!(matches!(error, ImportError::Invalid(_)), "{error}");
        assert!(error.to_string().contains("store.url"), "{error}");
    }

    /// A folder holding `ode-axis2.properties` with `text`.
    fn ode_folder(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ode-axis2.properties"), text).unwrap();
        dir
    }

    #[test]
    fn an_external_ode_datasource_is_read_from_the_datasource_files_beside_it() {
        let dir = ode_folder(
            "ode-axis2.db.mode=EXTERNAL\node-axis2.db.ext.dataSource=java:comp/env/jdbc/ode\n",
        );
        std::fs::write(
            dir.path().join("master-datasources.xml"),
            "<datasources-configuration><datasources><datasource><name>ODE</name>\
             <jndiConfig><name>jdbc/ode</name></jndiConfig><definition type='RDBMS'>\
             <configuration><url>jdbc:postgresql://db/ode</url></configuration></definition>\
             </datasource></datasources></datasources-configuration>",
        )
        .unwrap();
        let imported = import(dir.path()).unwrap();
        let url = imported
            .settings
            .get("store", "url")
            .and_then(|url| url.as_str());
        assert_eq!(url, Some("postgres://db/ode"));
    }

    #[test]
    fn an_embedded_ode_database_keeps_sqlite_and_a_bad_number_names_its_line() {
        let imported = import(ode_folder("ode-axis2.db.emb.name=ode\n").path()).unwrap();
        assert_eq!(imported.settings.get("store", "url"), None);
        let lines: Vec<String> = imported.report.lines().collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with(
                "ode-axis2.properties: ode-axis2.db.mode EMBEDDED (h2): an embedded database"
            ),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with(
                "ode-axis2.properties: ode-axis2.db.emb.name: a setting of the embedded database"
            ),
            "{lines:?}"
        );
        let dir = ode_folder("ode-axis2.db.emb.name=ode\node-axis2.mex.inmem.ttl=soon\n");
        let error = import(dir.path()).unwrap_err().to_string();
        assert!(
            error.ends_with("ode-axis2.properties, line 2: ode-axis2.mex.inmem.ttl 'soon' is not a positive whole number"),
            "{error}"
        );
    }
}
