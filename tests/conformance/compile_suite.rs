//! The corpus's compile-only checks, through Baton's compiler (`baton::compiler::compile`):
//! every process of bpel-scripts/2.0 must compile, every process of bpel-compiler's static
//! checks (org/apache/ode/bpel/compiler) must be refused, and the processes of its xslt
//! folder (stylesheet encodings) must compile.
//!
//! A process is staged as a unit of its own: the .bpel one folder down, the files it names
//! in `location` attributes (followed transitively, `../` included) and its same-named
//! .wsdl, plus a synthesised deploy.xml naming just the process. That descriptor provides
//! and invokes nothing, so complaints about the descriptor (rules `DD…`) are not counted:
//! "compiles" means no other error (warnings never refuse a unit). The staging is shared
//! with the bpel-scripts cases (see `scripts`), which add `<provide>`s. Most of bpel-compiler's processes are BPEL 1.1
//! documents, which Baton refuses as a whole (only WS-BPEL 2.0 is supported); that counts
//! as refused.

use std::path::{Path, PathBuf};

use baton::compiler::Severity;

use crate::stage::compile_dir;
use crate::Outcome;

/// The .bpel files under `dir`, sorted.
pub(crate) fn processes(dir: &Path) -> Vec<PathBuf> {
    files_with_extension(dir, "bpel")
}

/// The .tdef test cases under `dir`, sorted.
pub(crate) fn cases(dir: &Path) -> Vec<PathBuf> {
    files_with_extension(dir, "tdef")
}

fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Checks that the process at `bpel` compiles (or, with `refused`, that it does not).
pub(crate) fn check(bpel: &Path, refused: bool) -> Outcome {
    let staging = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => return Outcome::Fail(error.to_string()),
    };
    let label = crate::stage::label(bpel);
    let result = stage(bpel, staging.path()).and_then(|()| compile_dir(staging.path(), &label));
    let diagnostics = match result {
        Err(reason) => return Outcome::Fail(reason),
        Ok(Ok(_)) => Vec::new(),
        Ok(Err(diagnostics)) => diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && !d.rule.starts_with("DD"))
            .map(ToString::to_string)
            .collect(),
    };
    match (diagnostics.first(), refused) {
        (None, false) | (Some(_), true) => Outcome::Pass,
        (None, true) => Outcome::Fail("compiled, but must be refused".into()),
        (Some(first), false) => Outcome::Fail(format!("refused: {first}")),
    }
}

/// Stages the process at `bpel` and what it references as a unit in `to`, with a
/// descriptor that provides and invokes nothing.
fn stage(bpel: &Path, to: &Path) -> Result<(), String> {
    let process = copy_process(bpel, &[], to)?;
    write_descriptor(to, &process, "")
}

/// A process copied into a staged unit.
pub(crate) struct StagedProcess {
    name: String,
    namespace: String,
    /// Its path inside the unit.
    file: String,
}

/// Copies the process at `bpel`, the files it references and `extra` files into the unit
/// folder `to`: the process's folder goes to `process/`, files of the folder above it to
/// the unit's root.
pub(crate) fn copy_process(
    bpel: &Path,
    extra: &[PathBuf],
    to: &Path,
) -> Result<StagedProcess, String> {
    let text = std::fs::read_to_string(bpel).map_err(|e| format!("{}: {e}", bpel.display()))?;
    let document =
        baton::xml::parse(text.as_bytes()).map_err(|e| format!("{}: {e}", bpel.display()))?;
    let root = document
        .document_element()
        .ok_or("the process has no root element")?;
    let file = bpel.file_name().unwrap_or_default().to_string_lossy();
    let process = StagedProcess {
        name: document
            .attribute(root, "", "name")
            .unwrap_or_default()
            .to_owned(),
        namespace: document
            .attribute(root, "", "targetNamespace")
            .unwrap_or_default()
            .to_owned(),
        file: format!("process/{file}"),
    };
    let folder = bpel.parent().ok_or("the process has no folder")?;
    let inner = to.join("process");
    let mut pending = vec![bpel.to_path_buf()];
    let sibling = bpel.with_extension("wsdl");
    if sibling.is_file() {
        pending.push(sibling);
    }
    pending.extend(extra.iter().map(|path| normalise(path)));
    let location = regex::Regex::new(
        r#"(?:location|schemaLocation)="([^"]+)"|doXslTransform\(\s*["']([^"']+)["']"#,
    )
    .expect("a valid pattern");
    let mut copied = Vec::new();
    while let Some(source) = pending.pop() {
        let outer = folder.parent().unwrap_or(folder);
        let target = match (source.strip_prefix(folder), source.strip_prefix(outer)) {
            (Ok(relative), _) => inner.join(relative),
            (_, Ok(relative)) => to.join(relative),
            _ => continue,
        };
        if copied.contains(&target) {
            continue;
        }
        let content = std::fs::read(&source).map_err(|e| format!("{}: {e}", source.display()))?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&target, &content).map_err(|e| e.to_string())?;
        copied.push(target);
        let text = String::from_utf8_lossy(&content);
        for reference in location.captures_iter(&text) {
            let Some(reference) = reference.get(1).or_else(|| reference.get(2)) else {
                continue;
            };
            let reference = reference.as_str();
            if reference.contains("://") {
                continue;
            }
            let referenced = normalise(&source.parent().unwrap_or(folder).join(reference));
            if referenced.is_file() {
                pending.push(referenced);
            }
        }
    }
    Ok(process)
}

/// Writes the unit's deploy.xml: `process`, active, with `provides` (`<provide>` elements
/// in the descriptor's namespace).
pub(crate) fn write_descriptor(
    to: &Path,
    process: &StagedProcess,
    provides: &str,
) -> Result<(), String> {
    let descriptor = format!(
        r#"<deploy xmlns="http://www.apache.org/ode/schemas/dd/2007/03" xmlns:p="{}"><process name="p:{}" fileName="{}"><active>true</active>{provides}</process></deploy>"#,
        process.namespace, process.name, process.file
    );
    std::fs::write(to.join("deploy.xml"), descriptor).map_err(|e| e.to_string())
}

/// `path` with `.` and `..` components resolved lexically.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
