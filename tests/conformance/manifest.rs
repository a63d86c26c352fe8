//! The corpus's manifest (`manifest/bpel-test.json`): every bpel-test unit described as
//! data — its folder, the requests its test*.properties send and the reply patterns they
//! expect, which mock partners it calls, and whether the upstream suite still runs it.

use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
pub(crate) struct Manifest {
    pub tests: Vec<UnitTest>,
}

/// One bpel-test folder.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UnitTest {
    /// The folder under bpel-test/bpel/2.0, '/'-separated.
    pub dir: String,
    #[serde(default)]
    pub property_files: Vec<PropertyFile>,
    pub status: String,
    #[serde(default)]
    pub programmatic_invocations: Vec<serde_json::Value>,
    #[serde(default)]
    pub java_refs: Vec<JavaRef>,
}

/// An upstream test method that used the folder.
#[derive(Debug, Deserialize)]
pub(crate) struct JavaRef {
    /// properties, programmatic, negative or deployment-expected-exception.
    pub mode: String,
}

/// One test*.properties file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PropertyFile {
    pub file: String,
    pub namespace: String,
    pub service: String,
    pub operation: String,
    #[serde(default)]
    pub sequential: bool,
    pub invocations: Vec<Invocation>,
}

/// requestN and, for request-response, responseN.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Invocation {
    pub request: String,
    pub response_pattern: Option<String>,
    /// What the upstream test expected where it was not a reply: `FAULT (…)`.
    #[serde(default)]
    pub expect: Option<String>,
}

impl Manifest {
    pub(crate) fn read(corpus: &Path) -> Result<Self, String> {
        let path = corpus.join("manifest/bpel-test.json");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl UnitTest {
    /// The test's name in reports.
    pub(crate) fn name(&self) -> String {
        format!("bpel-test/{}", self.dir)
    }

    /// Why the runner does not run this unit, if it does not.
    pub(crate) fn skip_reason(&self) -> Option<String> {
        let dir = self.dir.as_str();
        if dir.starts_with("ExtVar") {
            return Some("ODE external variables are not supported yet".into());
        }
        if dir == "TestXQueryExpression" {
            return Some("XQuery expressions are not supported yet".into());
        }
        if self.status != "active upstream" {
            return Some(format!("not run upstream ({})", self.status));
        }
        None
    }

    /// Whether the upstream test sent its requests from code rather than from its
    /// test*.properties.
    pub(crate) fn programmatic(&self) -> bool {
        !self.java_refs.is_empty() && self.java_refs.iter().all(|r| r.mode == "programmatic")
    }

    /// Whether the unit must be refused at deployment: every upstream test of it expects the
    /// deployment to fail (a unit without recorded tests: when its name says `Negative`).
    /// A `Negative` unit run with its test*.properties (a negative correlation case, say)
    /// must deploy.
    pub(crate) fn negative(&self) -> bool {
        if self.java_refs.is_empty() {
            return self.dir.contains("Negative");
        }
        self.java_refs.iter().all(|r| {
            matches!(
                r.mode.as_str(),
                "negative" | "deployment-expected-exception"
            )
        })
    }
}
