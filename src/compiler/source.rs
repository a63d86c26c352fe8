//! [`UnitSource`]: the files of a deployment unit held in memory, read from a folder or a
//! .zip archive. Reading enforces the unit's safety rules (no path traversal, no symbolic
//! links, bounded file sizes) so that the compiler only ever sees relative, '/'-separated
//! paths that stay inside the unit.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Limits applied while reading a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLimits {
    /// Largest accepted file, in bytes.
    pub max_file_size: u64,
    /// Largest accepted number of files.
    pub max_files: usize,
}

impl Default for SourceLimits {
    fn default() -> Self {
        SourceLimits {
            max_file_size: 16 * 1024 * 1024,
            max_files: 10_000,
        }
    }
}

/// Why a unit could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a valid zip archive: {source}")]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("{0}: path leaves the unit or is not a plain relative path")]
    UnsafePath(String),
    #[error("{0}: symbolic links are not allowed in a unit")]
    SymbolicLink(String),
    #[error("{path}: {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("the unit has more than {0} files")]
    TooManyFiles(usize),
    #[error("{0}: the file appears twice")]
    Duplicate(String),
}

/// The files of one deployment unit, keyed by their path relative to the unit's root
/// ('/'-separated, no `.` or `..` components).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitSource {
    /// The unit's name: its folder or archive name without extension.
    pub name: String,
    pub files: BTreeMap<String, Vec<u8>>,
}

impl UnitSource {
    /// A unit from files already in memory; every path must be a safe relative path.
    pub fn new(
        name: impl Into<String>,
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> Result<Self, SourceError> {
        let mut unit = UnitSource {
            name: name.into(),
            files: BTreeMap::new(),
        };
        for (path, content) in files {
            unit.insert(&path, content)?;
        }
        Ok(unit)
    }

    /// Reads every file under `dir`, recursively, with the default limits.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, SourceError> {
        Self::from_dir_with(dir, &SourceLimits::default())
    }

    /// Reads every file under `dir`, recursively.
    pub fn from_dir_with(
        dir: impl AsRef<Path>,
        limits: &SourceLimits,
    ) -> Result<Self, SourceError> {
        let dir = dir.as_ref();
        let name = dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned());
        let mut unit = UnitSource {
            name: name.unwrap_or_default(),
            files: BTreeMap::new(),
        };
        let mut pending = vec![(dir.to_path_buf(), String::new())];
        while let Some((path, prefix)) = pending.pop() {
            let entries = fs::read_dir(&path).map_err(|source| io_error(&path, source))?;
            for entry in entries {
                let entry = entry.map_err(|source| io_error(&path, source))?;
                let file_name = entry.file_name();
                let name = file_name
                    .to_str()
                    .ok_or_else(|| SourceError::UnsafePath(file_name.to_string_lossy().into()))?;
                let relative = format!("{prefix}{name}");
                let kind = entry
                    .file_type()
                    .map_err(|source| io_error(&entry.path(), source))?;
                if kind.is_symlink() {
                    return Err(SourceError::SymbolicLink(relative));
                }
                if kind.is_dir() {
                    pending.push((entry.path(), format!("{relative}/")));
                    continue;
                }
                let size = entry
                    .metadata()
                    .map_err(|source| io_error(&entry.path(), source))?
                    .len();
                unit.check_limits(&relative, size, limits)?;
                let content =
                    fs::read(entry.path()).map_err(|source| io_error(&entry.path(), source))?;
                unit.insert(&relative, content)?;
            }
        }
        Ok(unit)
    }

    /// Reads every file of a .zip archive with the default limits.
    pub fn from_zip(path: impl AsRef<Path>) -> Result<Self, SourceError> {
        Self::from_zip_with(path, &SourceLimits::default())
    }

    /// Reads every file of a .zip archive; directories entries are skipped.
    pub fn from_zip_with(
        path: impl AsRef<Path>,
        limits: &SourceLimits,
    ) -> Result<Self, SourceError> {
        let path = path.as_ref();
        let file = fs::File::open(path).map_err(|source| io_error(path, source))?;
        let zip_error = |source| SourceError::Zip {
            path: path.to_path_buf(),
            source,
        };
        let mut archive = zip::ZipArchive::new(file).map_err(zip_error)?;
        let mut unit = UnitSource {
            name: file_stem(path),
            files: BTreeMap::new(),
        };
        for index in 0..archive.len() {
            let entry = archive.by_index(index).map_err(zip_error)?;
            if entry.is_dir() {
                continue;
            }
            let name = entry.name().to_owned();
            if entry.is_symlink() {
                return Err(SourceError::SymbolicLink(name));
            }
            unit.check_limits(&name, entry.size(), limits)?;
            // The declared size may lie: read at most one byte more than the limit.
            let mut content = Vec::new();
            entry
                .take(limits.max_file_size + 1)
                .read_to_end(&mut content)
                .map_err(|source| io_error(path, source))?;
            unit.check_limits(&name, content.len() as u64, limits)?;
            unit.insert(&name, content)?;
        }
        Ok(unit)
    }

    /// The content of the file at `path`, if the unit has it.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Resolves `location`, written in the file `base`, to a path of the unit; None when it
    /// is absolute (a URL) or climbs above the unit's root.
    pub fn resolve(base: &str, location: &str) -> Option<String> {
        if location.contains("://") || location.starts_with('/') || location.contains('\\') {
            return None;
        }
        let mut parts: Vec<&str> = base.split('/').collect();
        parts.pop();
        for part in location.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                part => parts.push(part),
            }
        }
        Some(parts.join("/"))
    }

    fn check_limits(
        &self,
        path: &str,
        size: u64,
        limits: &SourceLimits,
    ) -> Result<(), SourceError> {
        if size > limits.max_file_size {
            return Err(SourceError::TooLarge {
                path: path.to_owned(),
                size,
                limit: limits.max_file_size,
            });
        }
        if self.files.len() >= limits.max_files {
            return Err(SourceError::TooManyFiles(limits.max_files));
        }
        Ok(())
    }

    fn insert(&mut self, path: &str, content: Vec<u8>) -> Result<(), SourceError> {
        let safe = !path.is_empty()
            && !path.starts_with('/')
            && !path.contains('\\')
            && !path.contains(':')
            && path.split('/').all(|part| !matches!(part, "" | "." | ".."));
        if !safe {
            return Err(SourceError::UnsafePath(path.to_owned()));
        }
        if self.files.insert(path.to_owned(), content).is_some() {
            return Err(SourceError::Duplicate(path.to_owned()));
        }
        Ok(())
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn io_error(path: &Path, source: std::io::Error) -> SourceError {
    SourceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn resolves_relative_locations() {
        assert_eq!(
            UnitSource::resolve("a.bpel", "b.wsdl").as_deref(),
            Some("b.wsdl")
        );
        assert_eq!(
            UnitSource::resolve("p/a.bpel", "../w/b.wsdl").as_deref(),
            Some("w/b.wsdl")
        );
        assert_eq!(
            UnitSource::resolve("p/a.bpel", "./b.wsdl").as_deref(),
            Some("p/b.wsdl")
        );
        assert_eq!(UnitSource::resolve("a.bpel", "../b.wsdl"), None);
        assert_eq!(UnitSource::resolve("a.bpel", "http://x/b.wsdl"), None);
    }

    #[test]
    fn reads_a_folder_recursively() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("deploy.xml"), b"<deploy/>").unwrap();
        fs::write(dir.path().join("sub/a.wsdl"), b"<definitions/>").unwrap();
        let unit = UnitSource::from_dir(dir.path()).unwrap();
        let paths: Vec<&str> = unit.files.keys().map(String::as_str).collect();
        assert_eq!(paths, ["deploy.xml", "sub/a.wsdl"]);
    }

    #[test]
    fn refuses_large_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("big.xml"), vec![b' '; 100]).unwrap();
        let limits = SourceLimits {
            max_file_size: 10,
            ..SourceLimits::default()
        };
        let error = UnitSource::from_dir_with(dir.path(), &limits).unwrap_err();
        assert!(
            matches!(error, SourceError::TooLarge { size: 100, .. }),
            "{error}"
        );
    }

    fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
        let mut writer = zip::ZipWriter::new(fs::File::create(path).unwrap());
        for (name, content) in entries {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap();
    }

    #[test]
    fn reads_a_zip_archive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Hello.zip");
        write_zip(
            &path,
            &[("deploy.xml", b"<deploy/>"), ("w/a.wsdl", b"<x/>")],
        );
        let unit = UnitSource::from_zip(&path).unwrap();
        assert_eq!(unit.name, "Hello");
        assert_eq!(unit.file("w/a.wsdl"), Some(&b"<x/>"[..]));
    }

    #[test]
    fn refuses_path_traversal_in_a_zip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evil.zip");
        write_zip(&path, &[("../evil.xml", b"<x/>")]);
        let error = UnitSource::from_zip(&path).unwrap_err();
        assert!(matches!(error, SourceError::UnsafePath(_)), "{error}");
    }
}
