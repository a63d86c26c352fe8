//! [`UnitSource`]: the files of a deployment unit held in memory, read from a folder or a
//! .zip archive. Reading enforces the unit's safety rules (no path traversal, no symbolic
//! links, bounded file sizes) so that the compiler only ever sees relative, '/'-separated
//! paths that stay inside the unit.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Limits applied while reading a unit, checked as the bytes come in: a zip entry is never
/// inflated past them, whatever sizes the archive declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLimits {
    /// Largest accepted file, in bytes.
    pub max_file_size: u64,
    /// Largest accepted number of files (of entries, for a .zip archive).
    pub max_files: usize,
    /// Largest accepted total of the unit's files, in bytes (uncompressed, for a .zip).
    pub max_unit_size: u64,
}

impl Default for SourceLimits {
    fn default() -> Self {
        SourceLimits {
            max_file_size: 16 * 1024 * 1024,
            max_files: 10_000,
            max_unit_size: 64 * 1024 * 1024,
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
    #[error(
        "{path}: {size} bytes exceeds the file size limit of {limit} bytes (deploy.max-file-bytes)"
    )]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("the unit has more than {0} files, its limit (deploy.max-unit-files)")]
    TooManyFiles(usize),
    #[error(
        "the unit's files (uncompressed) exceed the unit size limit of {limit} bytes \
         (deploy.max-unit-bytes)"
    )]
    UnitTooLarge { limit: u64 },
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
        let mut total = 0;
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
                check_total(total, size, limits)?;
                // The file may grow after its size was taken: read at most what is left.
                let allowed = limits.max_file_size.min(limits.max_unit_size - total);
                let mut content = Vec::new();
                fs::File::open(entry.path())
                    .and_then(|file| file.take(allowed + 1).read_to_end(&mut content))
                    .map_err(|source| io_error(&entry.path(), source))?;
                let size = content.len() as u64;
                unit.check_limits(&relative, size, limits)?;
                total = check_total(total, size, limits)?;
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
        if archive.len() > limits.max_files {
            return Err(SourceError::TooManyFiles(limits.max_files));
        }
        let mut total = 0;
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
            // The declared size may lie: inflate at most one byte more than what is left.
            let allowed = limits
                .max_file_size
                .min(limits.max_unit_size.saturating_sub(total));
            let mut content = Vec::new();
            entry
                .take(allowed + 1)
                .read_to_end(&mut content)
                .map_err(|source| io_error(path, source))?;
            let size = content.len() as u64;
            unit.check_limits(&name, size, limits)?;
            total = check_total(total, size, limits)?;
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

/// The unit's total once a file of `size` bytes joins the `total` read so far, or
/// [`SourceError::UnitTooLarge`] when that passes the limit.
fn check_total(total: u64, size: u64, limits: &SourceLimits) -> Result<u64, SourceError> {
    match total.checked_add(size) {
        Some(total) if total <= limits.max_unit_size => Ok(total),
        _ => Err(SourceError::UnitTooLarge {
            limit: limits.max_unit_size,
        }),
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
    fn a_zip_bomb_is_refused_once_its_content_passes_the_unit_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.zip");
        let zeros = vec![0u8; 1024 * 1024];
        let names: Vec<String> = (0..64).map(|n| format!("f{n}.xml")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &zeros[..])).collect();
        write_zip(&path, &entries);
        assert!(
            fs::metadata(&path).unwrap().len() < 1024 * 1024,
            "it compresses"
        );
        let limits = SourceLimits {
            max_file_size: 2 * 1024 * 1024,
            max_files: 100,
            max_unit_size: 8 * 1024 * 1024,
        };
        let error = UnitSource::from_zip_with(&path, &limits).unwrap_err();
        assert!(
            matches!(error, SourceError::UnitTooLarge { limit: 0x80_0000 }),
            "{error}"
        );
        let message = error.to_string();
        assert!(
            message.contains("8388608 bytes") && message.contains("deploy.max-unit-bytes"),
            "{message}"
        );
        let few = SourceLimits {
            max_files: 10,
            ..SourceLimits::default()
        };
        let error = UnitSource::from_zip_with(&path, &few).unwrap_err();
        assert!(matches!(error, SourceError::TooManyFiles(10)), "{error}");
    }

    #[test]
    fn a_folder_is_refused_once_its_files_pass_the_unit_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        for n in 0..5 {
            fs::write(dir.path().join(format!("f{n}.xml")), vec![b' '; 100]).unwrap();
        }
        let limits = SourceLimits {
            max_file_size: 100,
            max_files: 10,
            max_unit_size: 450,
        };
        let error = UnitSource::from_dir_with(dir.path(), &limits).unwrap_err();
        assert!(
            matches!(error, SourceError::UnitTooLarge { limit: 450 }),
            "{error}"
        );
        let limits = SourceLimits {
            max_unit_size: 500,
            ..limits
        };
        assert_eq!(
            UnitSource::from_dir_with(dir.path(), &limits)
                .unwrap()
                .files
                .len(),
            5
        );
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
