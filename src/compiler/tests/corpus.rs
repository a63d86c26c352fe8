//! The external conformance corpus (Apache ODE's test processes), read from
//! `../shared/conformance/ode` when it is present: every process ODE expects to compile
//! must compile here, apart from descriptor problems of processes shipped without one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::compiler::xmlutil::XmlFile;
use crate::compiler::{bpel, compile, Diagnostics, UnitSource};

/// The corpus folder, if present beside the repository.
fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/ode");
    dir.is_dir().then_some(dir)
}

/// Every file under `dir`, keyed by its path relative to `dir` under `prefix`.
fn files_under(dir: &Path, prefix: &str, files: &mut BTreeMap<String, Vec<u8>>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus folders are readable")
        .map(|entry| entry.expect("readable entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let key = format!("{prefix}{name}");
        if path.is_dir() {
            files_under(&path, &format!("{key}/"), files);
        } else {
            files.insert(
                key,
                std::fs::read(&path).expect("corpus files are readable"),
            );
        }
    }
}

/// Compiles `files`, returning the problems other than descriptor ones.
fn problems(name: &str, files: BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let source = UnitSource::new(name, files).expect("corpus paths are safe");
    match compile(&source) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics
            .iter()
            .filter(|d| !d.rule.starts_with("DD"))
            .map(|d| format!("{name}: {d}"))
            .collect(),
    }
}

/// bpel-scripts' good processes in the WS-BPEL 2.0 namespace (most are written in the 2004
/// draft's) come without deploy.xml: each is compiled with a descriptor naming it, beside
/// the other files of its folder.
#[test]
fn ode_good_scripts_compile() {
    let Some(corpus) = corpus() else { return };
    let good = corpus.join("bpel-scripts/2.0/good");
    let mut failures = Vec::new();
    let mut count = 0;
    let mut folders: Vec<_> = std::fs::read_dir(&good).unwrap().flatten().collect();
    folders.sort_by_key(|entry| entry.path());
    for folder in folders
        .into_iter()
        .map(|entry| entry.path())
        .filter(|p| p.is_dir())
    {
        let mut files = BTreeMap::new();
        files_under(&folder, "", &mut files);
        let processes: Vec<String> = files
            .keys()
            .filter(|path| path.ends_with(".bpel"))
            .cloned()
            .collect();
        for process in processes {
            let text = String::from_utf8_lossy(&files[&process]).into_owned();
            let mut ignored = Diagnostics::default();
            let Some(name) = XmlFile::parse(&process, text.as_bytes(), &mut ignored)
                .and_then(|file| bpel::process_name(&file))
            else {
                continue;
            };
            let (namespace, name) = (name.ns, name.local);
            let descriptor = format!(
                "<deploy xmlns=\"http://www.apache.org/ode/schemas/dd/2007/03\" xmlns:p=\"{namespace}\">\
                 <process name=\"p:{name}\" fileName=\"{process}\"/></deploy>"
            );
            let mut unit = files.clone();
            unit.retain(|path, _| path == &process || !path.ends_with(".bpel"));
            unit.insert("deploy.xml".to_owned(), descriptor.into_bytes());
            count += 1;
            failures.extend(problems(&process, unit));
        }
    }
    assert!(count >= 1, "only {count} processes found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Units ODE deploys that break a rule of the specification or of WSDL, with the reason.
const REFUSED: [(&str, &str); 5] = [
    (
        "TestPostExtActWithWrongURL",
        "ODE's REST extension, declared mustUnderstand",
    ),
    (
        "TestAlarm",
        "a WSDL import whose namespace is not the imported document's",
    ),
    (
        "TestCorrelationMultiComplex",
        "request-response invoke correlations without pattern",
    ),
    (
        "TestIMA",
        "a property alias naming no messageType, element or type",
    ),
    (
        "TestIsolatedScopes1",
        "an <if> written with the 2004 draft's <then>",
    ),
];

/// bpel-test's units that ODE deploys (not Negative, not using ODE-only features), each
/// staged with the partner services' folders its imports reach with `../`.
#[test]
fn ode_test_units_compile() {
    let Some(corpus) = corpus() else { return };
    let tests = corpus.join("bpel-test/bpel/2.0");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(corpus.join("manifest/bpel-test.json")).unwrap())
            .unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for test in manifest["tests"].as_array().unwrap() {
        let dir = test["dir"].as_str().unwrap();
        if dir.contains("Negative")
            || !test["odeSpecific"].is_null()
            || REFUSED.iter().any(|(refused, _)| *refused == dir)
        {
            continue;
        }
        let mut files = BTreeMap::new();
        files_under(&tests.join(dir), "unit/", &mut files);
        let Some(descriptor) = files.remove("unit/deploy.xml") else {
            continue;
        };
        files.insert("deploy.xml".to_owned(), descriptor);
        for partner in ["ProbeService", "FaultService"] {
            files_under(&tests.join(partner), &format!("{partner}/"), &mut files);
        }
        files.retain(|path, _| {
            !(path.starts_with("ProbeService/") || path.starts_with("FaultService/"))
                || !path.ends_with("deploy.xml") && !path.ends_with(".bpel")
        });
        count += 1;
        failures.extend(problems(dir, files));
    }
    assert!(count > 30, "only {count} units found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
