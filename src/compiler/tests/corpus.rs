//! The external conformance corpus (Apache ODE's test processes), read from
//! `../shared/conformance/ode` when it is present: every process ODE expects to compile
//! must compile here, apart from descriptor problems of processes shipped without one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::compiler::dialect::{self, Role};
use crate::compiler::xmlutil::XmlFile;
use crate::compiler::{bpel, compile_for, Compatibility, Diagnostics, Severity, UnitSource};
use crate::runtime::extension::Extensions;

/// The corpus folder, if present beside the repository; under CI (`CI=true`), where it must
/// be, its absence fails the test.
fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/ode");
    if !dir.is_dir() && std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{} is missing: CI compiles ODE's corpus", dir.display());
    }
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

/// Compiles one of ODE's units as ODE read them (`[compiler] compatibility = "ode"`).
fn compile_as_ode(source: &UnitSource) -> Result<crate::model::Unit, Diagnostics> {
    compile_for(source, &Extensions::none(), None, Compatibility::Ode)
}

/// Compiles `files`, returning the problems other than descriptor ones.
fn problems(name: &str, files: BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let source = UnitSource::new(name, files).expect("corpus paths are safe");
    match compile_as_ode(&source) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && !d.rule.starts_with("DD"))
            .map(|d| format!("{name}: {d}"))
            .collect(),
    }
}

/// The namespace of the services the bpel-scripts descriptors provide.
const SCRIPT_SERVICES_NS: &str = "urn:baton:corpus:services";

/// A deploy.xml deploying the process `file` declares, providing each of its myRole
/// partner links at a service of `services.wsdl` (see [`script_services`]).
fn script_descriptor(file: &XmlFile, process: &str, my_roles: &[String]) -> String {
    let name = bpel::process_name(file).expect("a process document");
    let provides: String = my_roles
        .iter()
        .map(|link| {
            format!("<provide partnerLink=\"{link}\"><service name=\"s:{link}\" port=\"port\"/></provide>")
        })
        .collect();
    format!(
        "<deploy xmlns=\"http://www.apache.org/ode/schemas/dd/2007/03\" xmlns:p=\"{}\" \
         xmlns:s=\"{SCRIPT_SERVICES_NS}\"><process name=\"p:{}\" fileName=\"{process}\">\
         {provides}</process></deploy>",
        name.ns, name.local
    )
}

/// A WSDL document defining one service per partner link, bound to no protocol.
fn script_services(my_roles: &[String]) -> String {
    let services: String = my_roles
        .iter()
        .map(|link| {
            format!("<service name=\"{link}\"><port name=\"port\" binding=\"s:none\"/></service>")
        })
        .collect();
    format!(
        "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\" xmlns:s=\"{SCRIPT_SERVICES_NS}\" \
         targetNamespace=\"{SCRIPT_SERVICES_NS}\"><binding name=\"none\" type=\"s:none\"/>\
         {services}</definitions>"
    )
}

/// The documents `process` imports, directly or through WSDL imports: bpel-scripts' folders
/// hold documents of several processes that define the same names differently.
fn imported_documents(process: &XmlFile, files: &BTreeMap<String, Vec<u8>>) -> BTreeSet<String> {
    let imports = |file: &XmlFile| -> Vec<String> {
        file.elements(file.root())
            .filter(|&node| file.local_name(node) == "import")
            .filter_map(|node| UnitSource::resolve(&file.path, file.attr(node, "location")?))
            .collect()
    };
    let mut found = BTreeSet::new();
    let mut pending = imports(process);
    while let Some(path) = pending.pop() {
        let Some(bytes) = files.get(&path) else {
            continue;
        };
        if found.insert(path.clone()) && path.ends_with(".wsdl") {
            let mut ignored = Diagnostics::default();
            if let Some(file) = XmlFile::parse(&path, bytes, &mut ignored) {
                pending.extend(imports(&file));
            }
        }
    }
    found
}

/// The myRole partner links a process declares, anywhere in it.
fn my_role_partner_links(file: &XmlFile) -> Vec<String> {
    let mut links: Vec<String> = file
        .doc
        .descendants(file.root())
        .filter(|&node| file.is(node, bpel::BPEL_NS, "partnerLink"))
        .filter(|&node| file.attr(node, "myRole").is_some())
        .filter_map(|node| file.attr(node, "name").map(str::to_owned))
        .collect();
    links.sort();
    links.dedup();
    links
}

/// bpel-scripts' good processes (all but one written in the 2004 draft of WS-BPEL 2.0) come
/// without deploy.xml: each is compiled with a descriptor providing its myRole partner
/// links, beside the other files of its folder and, when the folder has no WSDL document
/// of its own, the shared ones of the parent folder its processes import.
#[test]
fn ode_good_scripts_compile() {
    let Some(corpus) = corpus() else { return };
    let good = corpus.join("bpel-scripts/2.0/good");
    let mut shared = BTreeMap::new();
    for entry in std::fs::read_dir(&good).unwrap().flatten() {
        let path = entry.path();
        if path.is_file() {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            shared.insert(name, std::fs::read(&path).unwrap());
        }
    }
    let mut failures = Vec::new();
    let mut count = 0;
    let mut folders: Vec<_> = std::fs::read_dir(&good).unwrap().flatten().collect();
    folders.sort_by_key(|entry| entry.path());
    for folder in folders
        .into_iter()
        .map(|entry| entry.path())
        .filter(|p| p.is_dir())
    {
        let dir = folder.file_name().unwrap().to_string_lossy().into_owned();
        let mut files = BTreeMap::new();
        files_under(&folder, &format!("{dir}/"), &mut files);
        if !files.keys().any(|path| path.ends_with(".wsdl")) {
            files.extend(shared.clone());
        }
        let processes: Vec<String> = files
            .keys()
            .filter(|path| path.ends_with(".bpel"))
            .cloned()
            .collect();
        for process in processes {
            let mut ignored = Diagnostics::default();
            let file = dialect::parse(&process, &files[&process], Role::Process, &mut ignored)
                .expect("corpus processes are well-formed");
            let my_roles = my_role_partner_links(&file);
            let imported = imported_documents(&file, &files);
            let mut unit = files.clone();
            unit.retain(|path, _| {
                path == &process
                    || !(path.ends_with(".bpel") || path.ends_with(".wsdl"))
                    || imported.contains(path)
            });
            let descriptor = script_descriptor(&file, &process, &my_roles);
            unit.insert("deploy.xml".to_owned(), descriptor.into_bytes());
            unit.insert(
                "services.wsdl".to_owned(),
                script_services(&my_roles).into_bytes(),
            );
            count += 1;
            failures.extend(all_problems(&process, unit));
        }
    }
    assert_eq!(count, 52, "bpel-scripts processes found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Compiles `files`, returning every error.
fn all_problems(name: &str, files: BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let source = UnitSource::new(name, files).expect("corpus paths are safe");
    match compile_as_ode(&source) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{name}: {d}"))
            .collect(),
    }
}

/// Units ODE deploys that this server refuses, with the reason.
const REFUSED: [(&str, &str); 1] = [(
    "TestPostExtActWithWrongURL",
    "ODE's REST extension, declared mustUnderstand (SA00009): ODE ran it and faulted",
)];

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
