//! Compiler diagnostics: every problem found in a unit, each with the file and line it was
//! found at and the rule it breaks (a WS-BPEL static analysis code such as `SA00023`, or a
//! project rule such as `DD-PROVIDE`, `WSDL-IMPORT`, `XML`, `XPATH`, `UNSUPPORTED`).
//! A warning marks something the specification forbids but that deployed processes commonly
//! do and that has one clear meaning: it is reported at deployment without refusing the unit.
//! What breaks a rule of the specification but was accepted by Apache ODE is *lenient*
//! ([`Diagnostics::lenient`]): an error naming `[compiler] compatibility = "ode"` by default,
//! a warning in that mode ([`Compatibility::Ode`]).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;

use crate::model::Location;

/// How strictly units are read (`[compiler] compatibility`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compatibility {
    /// By the specification: what breaks one of its rules refuses the unit.
    #[default]
    Standard,
    /// As Apache ODE read them: what ODE accepted deploys with a warning.
    Ode,
}

/// The setting that accepts what ODE accepted, as refusals name it.
const ODE_SETTING: &str = "[compiler] compatibility = \"ode\"";

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
    /// Whether ODE accepted what this reports ([`Diagnostics::lenient`]).
    pub ode_accepts: bool,
}

/// Whether a diagnostic refuses the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let warning = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(
            f,
            "{}:{}: {warning}[{}] {}",
            self.file, self.line, self.rule, self.message
        )
    }
}

/// Every problem found in a unit, in the order found, and how strictly it is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>, Compatibility);

impl Diagnostics {
    /// No problem yet, for a unit read with `compatibility`.
    pub fn reading(compatibility: Compatibility) -> Self {
        Self(Vec::new(), compatibility)
    }

    /// Records what breaks `rule` of the specification but was accepted by ODE: an error
    /// naming the setting that accepts it, or in ODE mode a warning.
    pub fn lenient(
        &mut self,
        location: &Location,
        rule: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) {
        let message = message.into();
        let (message, severity) = match self.1 {
            Compatibility::Standard => (
                format!("{message} (ODE accepted this: {ODE_SETTING} deploys it with a warning)"),
                Severity::Error,
            ),
            Compatibility::Ode => (message, Severity::Warning),
        };
        self.push(location, rule.into(), message, severity);
        if let Some(last) = self.0.last_mut() {
            last.ode_accepts = true;
        }
    }

    /// True when the unit is refused, among other things or not, for something ODE accepted.
    pub fn refused_for_ode_leniency(&self) -> bool {
        self.0
            .iter()
            .any(|d| d.severity == Severity::Error && d.ode_accepts)
    }

    /// Records a problem at `location`.
    pub fn error(
        &mut self,
        location: &Location,
        rule: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) {
        self.push(location, rule.into(), message.into(), Severity::Error);
    }

    /// Records a tolerated deviation at `location`.
    pub fn warning(
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
            ode_accepts: false,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when some diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// The warnings, each displayed.
    pub fn warnings(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .map(ToString::to_string)
            .collect()
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
        diagnostics.warning(&at, "XML", "bad");
        assert_eq!(
            diagnostics.to_string(),
            "p.bpel:7: [SA00023] duplicate variable x\np.bpel:7: warning: [XML] bad"
        );
        assert!(diagnostics.has_errors());
        assert_eq!(diagnostics.warnings(), ["p.bpel:7: warning: [XML] bad"]);
    }
}
