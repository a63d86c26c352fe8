//! Finding deployment units in the deploy directory: every folder holding a `deploy.xml`
//! and every `.zip` file, named after the folder or the file without its extension.
//! Folders and files whose names start with '.' are skipped. A unit's fingerprint (the
//! names, sizes and modification times of its files) tells cheaply, without reading it,
//! whether it may have changed.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::compiler::{SourceError, SourceLimits, UnitSource};

/// A unit found in the directory, not read yet.
#[derive(Debug, Clone)]
pub struct FoundUnit {
    pub name: String,
    pub path: PathBuf,
    pub zipped: bool,
}

impl FoundUnit {
    /// Reads the unit's files within `limits`.
    pub fn read(&self, limits: &SourceLimits) -> Result<UnitSource, SourceError> {
        if self.zipped {
            UnitSource::from_zip_with(&self.path, limits)
        } else {
            UnitSource::from_dir_with(&self.path, limits)
        }
    }

    /// The unit's fingerprint: a hash of the paths, sizes and modification times of its
    /// folders and files (of the .zip file), up to the first file past `max_files` (a unit
    /// with more is refused whatever they hold); None when they cannot be listed.
    pub fn fingerprint(&self, max_files: usize) -> Option<u64> {
        let mut hasher = DefaultHasher::new();
        let mut pending = vec![self.path.clone()];
        let mut seen = 0usize;
        while let Some(path) = pending.pop() {
            let metadata = std::fs::symlink_metadata(&path).ok()?;
            path.hash(&mut hasher);
            metadata.len().hash(&mut hasher);
            metadata.modified().ok().hash(&mut hasher);
            if metadata.is_dir() {
                let mut entries = std::fs::read_dir(&path)
                    .ok()?
                    .map(|entry| entry.map(|entry| entry.path()))
                    .collect::<std::io::Result<Vec<_>>>()
                    .ok()?;
                entries.sort();
                pending.extend(entries);
            } else {
                seen += 1;
                if seen > max_files {
                    break;
                }
            }
        }
        Some(hasher.finish())
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
