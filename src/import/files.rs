//! Finds the inputs of an import in the folder given: in it, or in the places ODE and WSO2
//! BPS keep them (`conf/`, `repository/conf/`, `repository/conf/datasources/`).

use std::path::{Path, PathBuf};

use super::ImportError;

/// The folders, inside the one given, where inputs are looked for, in this order.
const PLACES: [&str; 4] = ["", "conf", "repository/conf", "repository/conf/datasources"];

/// The datasource files of WSO2 Carbon, read in this order.
const DATASOURCE_FILES: [&str; 2] = ["master-datasources.xml", "bps-datasources.xml"];

/// An input file: where it is, and how reports name it (its path inside the folder).
#[derive(Debug, Clone)]
pub(super) struct Input {
    pub(super) path: PathBuf,
    pub(super) shown: String,
}

/// The inputs found in a folder.
#[derive(Debug, Default)]
pub(super) struct Found {
    pub(super) datasources: Vec<Input>,
    pub(super) bps: Option<Input>,
    pub(super) ode_properties: Option<Input>,
    pub(super) schedules: Option<Input>,
    /// `*.endpoint` and `endpoint-configuration.properties` files, in name order per folder.
    pub(super) endpoints: Vec<Input>,
}

impl Found {
    /// Looks for every input in `dir`.
    pub(super) fn in_folder(dir: &Path) -> Result<Self, ImportError> {
        let input = |path: PathBuf| Input {
            shown: path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string(),
            path,
        };
        let find = |name: &str| {
            PLACES
                .iter()
                .map(|place| dir.join(place).join(name))
                .find(|path| path.is_file())
                .map(input)
        };
        let mut endpoints = Vec::new();
        for place in PLACES {
            let folder = dir.join(place);
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            let mut names = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|problem| ImportError::Read {
                    path: folder.clone(),
                    problem,
                })?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let endpoint =
                    name.ends_with(".endpoint") || name == "endpoint-configuration.properties";
                if endpoint && entry.path().is_file() {
                    names.push(entry.path());
                }
            }
            names.sort();
            endpoints.extend(names.into_iter().map(input));
        }
        Ok(Self {
            datasources: DATASOURCE_FILES
                .iter()
                .filter_map(|name| find(name))
                .collect(),
            bps: find("bps.xml"),
            ode_properties: find("ode-axis2.properties"),
            schedules: find("schedules.xml"),
            endpoints,
        })
    }

    /// Whether no input was found.
    pub(super) fn is_empty(&self) -> bool {
        self.datasources.is_empty()
            && self.bps.is_none()
            && self.ode_properties.is_none()
            && self.schedules.is_none()
            && self.endpoints.is_empty()
    }
}
