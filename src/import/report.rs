//! The settings an import could not carry over, each with the file it was read from and
//! the reason, in the order they were met.

use std::fmt;

/// One setting that was not carried over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCarried {
    /// The file it was read from, as a path inside the imported folder.
    pub file: String,
    /// The setting, as that file names it.
    pub setting: String,
    /// Why Baton has no equivalent, or what to do instead.
    pub reason: String,
}

impl fmt::Display for NotCarried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.setting, self.reason)
    }
}

/// Every setting not carried over.
#[derive(Debug, Default)]
pub struct Report {
    entries: Vec<NotCarried>,
}

impl Report {
    /// Records that `setting` of `file` was not carried over, and why.
    pub fn add(&mut self, file: &str, setting: &str, reason: &str) {
        self.entries.push(NotCarried {
            file: file.to_owned(),
            setting: setting.to_owned(),
            reason: reason.to_owned(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, one line each.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.entries.iter().map(ToString::to_string)
    }
}
