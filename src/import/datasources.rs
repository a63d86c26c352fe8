//! WSO2 Carbon's datasource files (`master-datasources.xml`, `bps-datasources.xml`): the
//! RDBMS datasources they define, by name and by JNDI name (bps.xml names its datasource by
//! either), as [`JdbcSource`]s with what of their configuration Baton has no setting for.

use std::collections::BTreeMap;

use super::files::Input;
use super::report::Report;
use super::settings::Settings;
use super::store::{self, JdbcSource};
use super::xml_file::XmlFile;
use super::ImportError;
use crate::xml::NodeId;

/// The configuration elements of an RDBMS datasource that become [`JdbcSource`] fields, and
/// `driverClassName`, which Baton does not need (its URL chooses the driver).
const READ: [&str; 9] = [
    "url",
    "username",
    "password",
    "driverClassName",
    "maxActive",
    "maxIdle",
    "maxWait",
    "testOnBorrow",
    "validationQuery",
];

/// A datasource of a Carbon datasource file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Datasource {
    /// The file that defines it, as reports name it.
    pub(super) file: String,
    /// Its `<name>`.
    pub(super) name: String,
    /// Its definition, when an RDBMS one; else the definition's type.
    pub(super) definition: Result<JdbcSource, String>,
    /// What of its configuration was not read, as (setting, reason).
    pub(super) not_read: Vec<(String, String)>,
}

impl Datasource {
    /// Carries this datasource into `[store]`, and reports what of it is not carried.
    pub(super) fn carry(&self, settings: &mut Settings, report: &mut Report) {
        let setting = format!("datasource {}", self.name);
        match &self.definition {
            Ok(source) => store::carry(source, &self.file, &setting, settings, report),
            Err(kind) => report.add(
                &self.file,
                &setting,
                &format!("a {kind} datasource, not RDBMS: kept Baton's embedded SQLite database"),
            ),
        }
        for (item, reason) in &self.not_read {
            report.add(&self.file, &format!("{setting} {item}"), reason);
        }
    }
}

/// The datasources of the files, by name and by JNDI name; a later file's wins.
#[derive(Debug, Default)]
pub(super) struct Datasources {
    by_name: BTreeMap<String, Datasource>,
    /// The files read, as reports name them.
    pub(super) files: Vec<String>,
}

impl Datasources {
    /// The datasource called `name`, or whose JNDI name is `name`.
    pub(super) fn get(&self, name: &str) -> Option<&Datasource> {
        self.by_name.get(name)
    }
}

/// Reads every datasource file.
pub(super) fn read_all(inputs: &[Input]) -> Result<Datasources, ImportError> {
    let mut datasources = Datasources::default();
    for input in inputs {
        let file = XmlFile::read(input)?;
        let root = file.root(None, "datasources-configuration")?;
        datasources.files.push(file.shown.clone());
        for list in file.children(root, "datasources") {
            for node in file.children(list, "datasource") {
                let (datasource, jndi) = read_datasource(&file, node)?;
                if let Some(jndi) = jndi {
                    datasources.by_name.insert(jndi, datasource.clone());
                }
                datasources
                    .by_name
                    .insert(datasource.name.clone(), datasource);
            }
        }
    }
    Ok(datasources)
}

/// The datasource of element `node`, and its JNDI name.
fn read_datasource(
    file: &XmlFile,
    node: NodeId,
) -> Result<(Datasource, Option<String>), ImportError> {
    let line = file.document.line(node);
    let name = file
        .child(node, "name")
        .map(|name| file.text(name))
        .filter(|name| !name.is_empty())
        .ok_or_else(|| file.malformed(line, "a <datasource> without a <name>".into()))?;
    let jndi = file
        .child(node, "jndiConfig")
        .and_then(|config| file.child(config, "name"))
        .map(|name| file.text(name));
    let definition = file.child(node, "definition").ok_or_else(|| {
        file.malformed(line, format!("the datasource {name} has no <definition>"))
    })?;
    let kind = file.attribute(definition, "type").unwrap_or("RDBMS");
    let mut datasource = Datasource {
        file: file.shown.clone(),
        name,
        definition: Err(kind.to_owned()),
        not_read: Vec::new(),
    };
    if kind != "RDBMS" {
        return Ok((datasource, jndi));
    }
    let Some(configuration) = file.child(definition, "configuration") else {
        return Err(file.malformed(
            file.document.line(definition),
            format!("the datasource {} has no <configuration>", datasource.name),
        ));
    };
    datasource.definition = Ok(jdbc_source(file, configuration, &mut datasource.not_read)?);
    Ok((datasource, jndi))
}

/// The [`JdbcSource`] of a `<configuration>` element; what is not read goes to `not_read`.
fn jdbc_source(
    file: &XmlFile,
    configuration: NodeId,
    not_read: &mut Vec<(String, String)>,
) -> Result<JdbcSource, ImportError> {
    let text = |local: &str| {
        file.child(configuration, local)
            .map(|node| (node, file.text(node)))
    };
    let number = |local: &str| {
        text(local)
            .map(|(node, value)| file.number(node, local, &value))
            .transpose()
    };
    let url = text("url").map(|(_, url)| url).ok_or_else(|| {
        file.malformed(
            file.document.line(configuration),
            "an RDBMS datasource without a <url>".into(),
        )
    })?;
    let mut password = text("password").map(|(_, password)| password);
    if let Some((node, _)) = text("password") {
        let protected = file.document.attributes(node).iter().any(|attribute| {
            attribute.name.local == "secretAlias"
                || (attribute.name.local == "encrypted" && attribute.value.trim() == "true")
        });
        if protected {
            password = None;
            not_read.push((
                "password".into(),
                "protected by WSO2's secure vault, which Baton cannot open: set [store] \
                 password, or BATON_STORE__PASSWORD in the server's environment"
                    .into(),
            ));
        }
    }
    let source = JdbcSource {
        url,
        user: text("username").map(|(_, user)| user),
        password,
        max_active: number("maxActive")?,
        max_idle: number("maxIdle")?,
        max_wait_ms: number("maxWait")?,
        test_on_borrow: text("testOnBorrow")
            .map(|(node, value)| file.boolean(node, "testOnBorrow", &value))
            .transpose()?,
        validation_query: text("validationQuery").map(|(_, query)| query),
    };
    for node in file.document.child_elements(configuration) {
        let local = file.local(node);
        if !READ.contains(&local) {
            not_read.push((
                format!("{local} {}", file.text(node)),
                "Baton's connection pool has no such setting".into(),
            ));
        }
    }
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Datasources, ImportError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master-datasources.xml");
        std::fs::write(&path, text).unwrap();
        read_all(&[Input {
            path,
            shown: "master-datasources.xml".into(),
        }])
    }

    #[test]
    fn a_datasource_is_found_by_name_and_by_jndi_name() {
        let datasources = read(
            "<datasources-configuration><datasources><datasource><name>BPS_DS</name>\
             <jndiConfig><name>bpsds</name></jndiConfig><definition type='RDBMS'><configuration>\
             <url>jdbc:mysql://db/bps</url><password svns:secretAlias='x' \
             xmlns:svns='http://org.wso2.securevault/configuration'>pw</password>\
             <maxActive>5</maxActive><minIdle>1</minIdle></configuration></definition>\
             </datasource></datasources></datasources-configuration>",
        )
        .unwrap();
        let by_jndi = datasources.get("bpsds").unwrap();
        assert_eq!(datasources.get("BPS_DS"), Some(by_jndi));
        let source = by_jndi.definition.as_ref().unwrap();
        assert_eq!((source.max_active, &source.password), (Some(5), &None));
        let settings: Vec<&str> = by_jndi.not_read.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(settings, ["password", "minIdle 1"]);
    }

    #[test]
    fn a_bad_number_or_a_missing_url_names_the_file_and_line() {
        let error = read(
            "<datasources-configuration><datasources>\n<datasource><name>D</name>\
             <definition><configuration>\n<url>jdbc:h2:x</url><maxWait>soon</maxWait>\
             </configuration></definition></datasource></datasources></datasources-configuration>",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.ends_with("master-datasources.xml, line 3: maxWait 'soon' is not a whole number"),
            "{error}"
        );
        let error = read(
            "<datasources-configuration><datasources><datasource><name>D</name>\
             <definition><configuration/></definition></datasource></datasources>\
             </datasources-configuration>",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("line 1: an RDBMS datasource without a <url>"),
            "{error}"
        );
        let error = read("<datasources-configuration><datasources>").unwrap_err();
        assert!(matches!(error, ImportError::Xml { .. }), "{error}");
    }
}
