//! The accounts file: users and tokens kept in the data directory as TOML (the same
//! `[[users]]` and `[[tokens]]` entries as the configuration's `[auth]`), written by
//! `baton user`, `baton token` and a first start, read by the server whenever it changes.
//! Only hashes are written; the file is readable by its owner alone.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::Credentials;

/// The accounts file's name in the data directory.
pub const ACCOUNTS_FILE: &str = "users.toml";

/// Why the accounts file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Refused(String),
}

/// The accounts file of one data directory.
#[derive(Debug, Clone)]
pub struct AccountsFile {
    path: PathBuf,
}

impl AccountsFile {
    pub fn in_dir(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(ACCOUNTS_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// When the file was last changed, and its length; None when it does not exist.
    pub fn stamp(&self) -> Option<(SystemTime, u64)> {
        let metadata = std::fs::metadata(&self.path).ok()?;
        Some((metadata.modified().ok()?, metadata.len()))
    }

    /// The accounts in the file; none when there is no file.
    pub fn read(&self) -> Result<Credentials, FileError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Credentials::default())
            }
            Err(source) => {
                return Err(FileError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let parse = |message: String| FileError::Parse {
            path: self.path.clone(),
            message,
        };
        let credentials: Credentials = toml::from_str(&text).map_err(|e| parse(e.to_string()))?;
        let mut problems = Vec::new();
        credentials.problems("", &mut problems);
        if problems.is_empty() {
            Ok(credentials)
        } else {
            Err(parse(problems.join("; ")))
        }
    }

    /// Reads the file, applies `change` and writes the result in one step (a new file
    /// renamed over the old one), creating the data directory if needed.
    pub fn edit(
        &self,
        change: impl FnOnce(&mut Credentials) -> Result<(), FileError>,
    ) -> Result<(), FileError> {
        let mut credentials = self.read()?;
        change(&mut credentials)?;
        let text = toml::to_string(&credentials).expect("accounts serialise");
        let write = |source| FileError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(write)?;
        }
        let staged = self.path.with_extension("toml.new");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&staged).map_err(write)?;
        file.write_all(text.as_bytes()).map_err(write)?;
        file.sync_all().map_err(write)?;
        std::fs::rename(&staged, &self.path).map_err(write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Role, TokenEntry};

    #[test]
    fn edits_are_read_back_and_a_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = AccountsFile::in_dir(&dir.path().join("data"));
        assert!(file.read().unwrap().is_empty());
        assert_eq!(file.stamp(), None);
        let token = TokenEntry {
            name: "ci".into(),
            role: Role::Operator,
            hash: crate::auth::token_hash("secret"),
        };
        file.edit(|credentials| {
            credentials.tokens.push(token.clone());
            Ok(())
        })
        .unwrap();
        assert_eq!(file.read().unwrap().tokens, [token]);
        assert!(file.stamp().is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
    }
}
