//! Finding deployment units in the deploy directory: every folder holding a `deploy.xml`
//! and every `.zip` file, named after the folder or the file without its extension.
//! Folders and files whose names start with '.' are skipped.

use std::path::{Path, PathBuf};

use crate::compiler::{SourceError, UnitSource};

/// A unit found in the directory, not read yet.
#[derive(Debug, Clone)]
pub struct FoundUnit {
    pub name: String,
    pub path: PathBuf,
    pub zipped: bool,
}

impl FoundUnit {
    /// Reads the unit's files.
    pub fn read(&self) -> Result<UnitSource, SourceError> {
        if self.zipped {
            UnitSource::from_zip(&self.path)
        } else {
            UnitSource::from_dir(&self.path)
        }
    }
}

/// The units in `dir`, sorted by name.
pub fn units(dir: &Path) -> std::io::Result<Vec<FoundUnit>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file_name.starts_with('.') {
            continue;
        }
        if path.is_dir() && path.join("deploy.xml").is_file() {
            found.push(FoundUnit {
                name: file_name.to_owned(),
                path,
                zipped: false,
            });
        } else if let Some(stem) = file_name.strip_suffix(".zip").filter(|_| path.is_file()) {
            found.push(FoundUnit {
                name: stem.to_owned(),
                path,
                zipped: true,
            });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}
