//! The `jsonl` listener: each event as one JSON object on a line of a file, rotated by size.
//!
//! When a batch would take the file past `max-bytes`, the file becomes `<path>.1`, the
//! rotated ones shift up (`.1` to `.2`, …), the one past `keep` is deleted, and a new file
//! starts. It writes on its listener's own thread (see [`super::bus`]).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use super::{EventListener, ListenerError, StepEvents};

/// Writes events to a JSON-lines file.
#[derive(Debug)]
pub struct JsonLinesListener {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    /// The open file and its size.
    file: Mutex<Option<(File, u64)>>,
}

impl JsonLinesListener {
    /// Writes to `path`, rotating it at `max_bytes` and keeping `keep` rotated files.
    pub fn new(path: PathBuf, max_bytes: u64, keep: usize) -> Self {
        Self {
            path,
            max_bytes,
            keep,
            file: Mutex::new(None),
        }
    }

    fn write(&self, lines: &[u8]) -> std::io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if file.is_none() {
            *file = Some(open(&self.path)?);
        }
        let size = file.as_ref().map_or(0, |(_, size)| *size);
        if size > 0 && size + lines.len() as u64 > self.max_bytes {
            *file = None;
            rotate(&self.path, self.keep)?;
            *file = Some(open(&self.path)?);
        }
        let (open, size) = file.as_mut().expect("the file was opened");
        open.write_all(lines)?;
        open.flush()?;
        *size += lines.len() as u64;
        Ok(())
    }
}

/// Opens `path` for appending, with its size.
fn open(path: &Path) -> std::io::Result<(File, u64)> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let size = file.metadata()?.len();
    Ok((file, size))
}

/// `path` with `.n` appended.
fn rotated(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// Shifts the rotated files up, deleting the one past `keep`, and moves `path` to `.1`.
fn rotate(path: &Path, keep: usize) -> std::io::Result<()> {
    if keep == 0 {
        return std::fs::remove_file(path);
    }
    for n in (1..keep).rev() {
        let from = rotated(path, n);
        if from.exists() {
            std::fs::rename(&from, rotated(path, n + 1))?;
        }
    }
    std::fs::rename(path, rotated(path, 1))
}

impl EventListener for JsonLinesListener {
    fn deliver<'a>(
        &'a self,
        batch: &'a [Arc<StepEvents>],
    ) -> BoxFuture<'a, Result<(), ListenerError>> {
        let mut lines = Vec::new();
        for record in batch.iter().flat_map(|step| step.records()) {
            if let Err(error) = serde_json::to_writer(&mut lines, &record) {
                return Box::pin(futures::future::ready(Err(ListenerError(
                    error.to_string(),
                ))));
            }
            lines.push(b'\n');
        }
        let written = self
            .write(&lines)
            .map_err(|error| ListenerError(format!("writing {}: {error}", self.path.display())));
        Box::pin(futures::future::ready(written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::events::{Event, EventType};

    fn step(instance: i64) -> Arc<StepEvents> {
        Arc::new(StepEvents {
            pid: "{urn:t}P-1".into(),
            instance: Some(instance),
            at_ms: 1_000 + instance,
            events: vec![Event {
                kind: EventType::ActivityExecStart,
                scope_id: Some(0),
                scope_name: Some("P".into()),
                activity_id: Some(3),
                activity_name: None,
                activity_type: Some("empty".into()),
                detail: None,
            }],
        })
    }

    fn lines(path: &Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn each_event_is_a_json_line_and_the_file_rotates_by_size_keeping_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs").join("events.jsonl");
        let first = step(1);
        let record = first.records().next().unwrap();
        let line = serde_json::to_vec(&record).unwrap().len() as u64 + 1;
        let listener = JsonLinesListener::new(path.clone(), 2 * line, 2);
        for instance in 1..=7 {
            listener.deliver(&[step(instance)]).await.unwrap();
        }
        let first = &lines(&path)[0];
        assert_eq!(first["type"], "ActivityExecStartEvent");
        assert_eq!(first["pid"], "{urn:t}P-1");
        assert_eq!(first["activity_type"], "empty");
        let instances = |path: &Path| -> Vec<i64> {
            lines(path)
                .iter()
                .map(|line| line["instance"].as_i64().unwrap())
                .collect()
        };
        assert_eq!(instances(&path), vec![7]);
        assert_eq!(instances(&rotated(&path, 1)), vec![5, 6]);
        assert_eq!(instances(&rotated(&path, 2)), vec![3, 4]);
        assert!(!rotated(&path, 3).exists());
    }
}
