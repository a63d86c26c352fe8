//! Tests of the whole compiler over the project's own units in `tests/data/units/`: each
//! must compile ([`units`] checks the models in detail), and variants of them broken on
//! purpose must be refused with the right file, line and rule ([`errors`]).

mod corpus;
mod defaults;
mod draft;
mod endpoints;
mod errors;
mod rules;
mod stylesheets;
mod units;

use std::path::PathBuf;

use super::{compile, Compatibility, Diagnostics, UnitSource};
use crate::model::Unit;
use crate::runtime::extension::Extensions;

/// The folder of the project's test units.
fn units_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/units")
}

/// Reads one of the project's test units.
fn read_unit(name: &str) -> UnitSource {
    UnitSource::from_dir(units_dir().join(name)).expect("test units are readable")
}

/// Compiles a unit that must compile.
fn compile_ok(source: &UnitSource) -> Unit {
    compile(source).unwrap_or_else(|diagnostics| panic!("{}:\n{diagnostics}", source.name))
}

/// Compiles a unit that must compile as ODE read it (`[compiler] compatibility = "ode"`).
fn compile_ode(source: &UnitSource) -> Unit {
    let compiled = super::compile_for(source, &Extensions::none(), None, Compatibility::Ode);
    compiled.unwrap_or_else(|diagnostics| panic!("{}:\n{diagnostics}", source.name))
}

/// Compiles a unit that must be refused.
fn compile_err(source: &UnitSource) -> Diagnostics {
    match compile(source) {
        Ok(_) => panic!("{} compiled but should not have", source.name),
        Err(diagnostics) => diagnostics,
    }
}

/// A copy of test unit `name` with `old` replaced by `new` in its file `path`.
fn edited(name: &str, path: &str, old: &str, new: &str) -> UnitSource {
    edited_all(name, &[(path, old, new)])
}

/// A copy of test unit `name` with each `(path, old, new)` edit made, in order.
fn edited_all(name: &str, edits: &[(&str, &str, &str)]) -> UnitSource {
    let mut source = read_unit(name);
    for &(path, old, new) in edits {
        let text = String::from_utf8(source.files[path].clone()).expect("test files are UTF-8");
        assert!(text.contains(old), "{path} of {name} has no {old:?}");
        source
            .files
            .insert(path.to_owned(), text.replacen(old, new, 1).into_bytes());
    }
    source
}

/// The 1-based line of the first line of `path` in `source` that contains `needle`.
fn line_of(source: &UnitSource, path: &str, needle: &str) -> u32 {
    let text = std::str::from_utf8(&source.files[path]).expect("test files are UTF-8");
    let index = text
        .lines()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("{path} has no line with {needle:?}"));
    index as u32 + 1
}

/// Asserts that `diagnostics` has one with this file, line and rule.
fn assert_reported(diagnostics: &Diagnostics, file: &str, line: u32, rule: &str) {
    let found = diagnostics
        .iter()
        .any(|d| d.file == file && d.line == line && d.rule == rule);
    assert!(found, "expected {file}:{line}: [{rule}] in:\n{diagnostics}");
}

#[test]
fn every_project_unit_compiles() {
    let mut names: Vec<_> = std::fs::read_dir(units_dir())
        .expect("tests/data/units exists")
        .map(|entry| entry.expect("readable entry").file_name())
        .collect();
    names.sort();
    assert!(names.len() >= 3);
    for name in names {
        compile_ok(&read_unit(name.to_str().expect("UTF-8 name")));
    }
}
