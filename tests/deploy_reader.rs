//! Property tests of the deployment reader: random bytes and mutated archives read as a
//! `.zip` unit, and mutated deploy.xml texts compiled with the HelloWorld sample, never
//! panic. Each is read or refused with an error, and what is read stays within the unit
//! limits whatever the archive declares. Reading and compiling a unit takes time in proportion
//! to its size.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use baton::compiler::{compile, SourceLimits, UnitSource};
use proptest::prelude::*;
use proptest::sample::Index;

/// Small limits, so that a mutated archive can reach them.
const LIMITS: SourceLimits = SourceLimits {
    max_file_size: 64 * 1024,
    max_files: 16,
    max_unit_size: 128 * 1024,
};

/// The files of the HelloWorld sample.
fn sample() -> Vec<(String, Vec<u8>)> {
    ["deploy.xml", "HelloWorld.bpel", "HelloWorld.wsdl"]
        .into_iter()
        .map(|file| {
            let path = common::repo().join("samples/HelloWorld").join(file);
            (file.to_owned(), std::fs::read(path).unwrap())
        })
        .collect()
}

/// The bytes of a .zip holding `files`.
fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in files {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Reads `bytes` as the unit `Unit.zip`, and compiles what it reads.
fn read_zip(bytes: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Unit.zip");
    std::fs::write(&path, bytes).unwrap();
    let unit = UnitSource::from_zip_with(&path, &LIMITS).map_err(|e| e.to_string())?;
    let total: usize = unit.files.values().map(Vec::len).sum();
    assert!(total as u64 <= LIMITS.max_unit_size, "{total} bytes read");
    assert!(unit.files.len() <= LIMITS.max_files);
    compile(&unit).map(|_| ()).map_err(|d| d.to_string())
}

/// `bytes` with each `(at, value)` written over it and cut at `cut`.
fn mutated(mut bytes: Vec<u8>, edits: &[(Index, u8)], cut: Option<Index>) -> Vec<u8> {
    for (at, value) in edits {
        let at = at.index(bytes.len());
        bytes[at] = *value;
    }
    if let Some(cut) = cut {
        bytes.truncate(cut.index(bytes.len() + 1));
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_bytes_are_refused_or_read(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_zip(&bytes);
    }

    #[test]
    fn a_mutated_archive_is_refused_or_read(
        edits in proptest::collection::vec((any::<Index>(), any::<u8>()), 1..12),
        cut in proptest::option::of(any::<Index>()),
    ) {
        let _ = read_zip(&mutated(zip_of(&sample()), &edits, cut));
    }

    #[test]
    fn a_mutated_deploy_xml_compiles_or_is_refused(
        edits in proptest::collection::vec((any::<Index>(), any::<u8>()), 1..12),
        cut in proptest::option::of(any::<Index>()),
    ) {
        let mut files = sample();
        files[0].1 = mutated(files[0].1.clone(), &edits, cut);
        let unit = UnitSource::new("Unit", files).unwrap();
        let _ = compile(&unit);
    }

    #[test]
    fn an_archive_of_many_compressible_entries_is_bounded_by_the_limits(
        entries in 1usize..40,
        size in 1usize..(32 * 1024),
    ) {
        let files: Vec<(String, Vec<u8>)> =
            (0..entries).map(|n| (format!("f{n}.xml"), vec![b' '; size])).collect();
        let total = (entries * size) as u64;
        let read = read_zip(&zip_of(&files));
        if entries > LIMITS.max_files || total > LIMITS.max_unit_size {
            let error = read.unwrap_err();
            prop_assert!(error.contains("limit"), "{}", error);
        }
    }
}

/// The HelloWorld sample as a .zip, with `n` more assigns before its reply.
fn hello_with_assigns(n: usize) -> Vec<u8> {
    let mut files = sample();
    let bpel = String::from_utf8(files[1].1.clone()).unwrap();
    let assigns: String = (0..n)
        .map(|i| {
            format!(
                r#"<assign name="again{i}"><copy><from>concat('Hello, ', $request.payload/tns:name, '{i}')</from><to>$response.payload/tns:text</to></copy></assign>"#
            )
        })
        .collect();
    let reply = r#"<reply name="answer""#;
    assert!(bpel.contains(reply));
    files[1].1 = bpel
        .replace(reply, &format!("{assigns}{reply}"))
        .into_bytes();
    zip_of(&files)
}

#[test]
fn reading_and_compiling_time_grows_linearly_with_the_unit() {
    let dir = tempfile::tempdir().unwrap();
    let time = |n: usize, bytes: &[u8]| {
        let path = dir.path().join(format!("Unit{n}.zip"));
        std::fs::write(&path, bytes).unwrap();
        let started = Instant::now();
        let unit = UnitSource::from_zip_with(&path, &SourceLimits::default()).unwrap();
        compile(&unit).expect("it compiles");
        started.elapsed()
    };
    let (small, large) = (hello_with_assigns(250), hello_with_assigns(2000));
    // The shortest of several readings of each, taken in turn so that a busy machine slows
    // both alike.
    let (small, large) = (0..5)
        .map(|_| (time(250, &small), time(2000, &large)))
        .fold((Duration::MAX, Duration::MAX), |(s, l), (ts, tl)| {
            (s.min(ts), l.min(tl))
        });
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
    assert!(
        ratio < 32.0,
        "8x the unit took {ratio:.1}x the time ({small:?} → {large:?})"
    );
}
