//! Why an import failed: the folder, a file that cannot be read, or an input that is not
//! what its format says, with the file and the position.

use std::path::PathBuf;

/// Why `import-config` wrote nothing. The message of each says everything (the underlying
/// error included), so none is given as a separate cause.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    #[error(
        "{0} holds no ODE or BPS configuration: none of bps.xml, master-datasources.xml, \
         bps-datasources.xml, ode-axis2.properties, schedules.xml or *.endpoint files in it, \
         its conf/, repository/conf/ or repository/conf/datasources/"
    )]
    NothingToImport(PathBuf),
    #[error("cannot read {path}: {problem}")]
    Read {
        path: PathBuf,
        problem: std::io::Error,
    },
    #[error("{path}: {problem}")]
    Xml {
        path: PathBuf,
        problem: crate::xml::Error,
    },
    #[error("{path}, line {line}: {message}")]
    Malformed {
        path: PathBuf,
        line: u32,
        message: String,
    },
    #[error("the imported settings do not read as Baton's configuration: {0}")]
    Unreadable(String),
    #[error("the imported settings are refused: {0}")]
    Invalid(crate::config::Error),
    #[error("cannot write {path}: {problem}")]
    Write {
        path: PathBuf,
        problem: std::io::Error,
    },
}
