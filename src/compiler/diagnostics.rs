//! Compiler diagnostics: every problem found in a unit, each with the file and line it was
//! found at and the rule it breaks (a WS-BPEL static analysis code such as `SA00023`, or a
//! project rule such as `DD-PROVIDE`, `WSDL-IMPORT`, `XML`, `XPATH`, `UNSUPPORTED`).
//! An error refuses the unit; a warning reports something the compiler accepted on a
//! documented default or leniency, and is logged when the unit is deployed.

use std::borrow::Cow;
use std::fmt;

use crate::model::Location;

/// One problem found in a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File relative to the unit's root.
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole file or unit.
    pub line: u32,
    pub rule: Cow<'static, str>,
    pub message: String,
    pub severity: Severity,
}

/// Whether a diagnostic refuses the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(
            f,
            "{}:{}: {severity}[{}] {}",
            self.file, self.line, self.rule, self.message
        )
    }
}

/// Every problem found in a unit, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Records a problem at `location`.
    pub fn error(
        &mut self,
        location: &Location,
        rule: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) {
        self.push(location, rule.into(), message.into(), Severity::Error);
    }

    /// Records something accepted on a default or leniency at `location`.
    pub fn warn(
        &mut self,
        location: &Location,
        rule: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) {
        self.push(location, rule.into(), message.into(), Severity::Warning);
    }

    fn push(
        &mut self,
        location: &Location,
        rule: Cow<'static, str>,
        message: String,
        severity: Severity,
    ) {
        self.0.push(Diagnostic {
            file: location.file.clone(),
            line: location.line,
            rule,
            message,
            severity,
        });
    }

    /// True when some diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// The warnings, in the order found.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Warning)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// True when some diagnostic has this rule.
    pub fn has_rule(&self, rule: &str) -> bool {
        self.0.iter().any(|d| d.rule == rule)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_file_line_rule_and_message() {
        let mut diagnostics = Diagnostics::default();
        let at = Location {
            file: "p.bpel".into(),
            line: 7,
        };
        diagnostics.error(&at, "SA00023", "duplicate variable x");
        diagnostics.error(&at, "XML", "bad");
        assert_eq!(
            diagnostics.to_string(),
            "p.bpel:7: [SA00023] duplicate variable x\np.bpel:7: [XML] bad"
        );
    }

    #[test]
    fn warnings_are_marked_and_are_not_errors() {
        let mut diagnostics = Diagnostics::default();
        let at = Location {
            file: "deploy.xml".into(),
            line: 3,
        };
        diagnostics.warn(&at, "DD-PROVIDE", "default binding");
        assert!(!diagnostics.has_errors());
        assert_eq!(
            diagnostics.to_string(),
            "deploy.xml:3: warning: [DD-PROVIDE] default binding"
        );
        assert_eq!(diagnostics.warnings().count(), 1);
        diagnostics.error(&at, "DD", "bad");
        assert!(diagnostics.has_errors());
        assert_eq!(diagnostics.warnings().count(), 1);
    }
}
