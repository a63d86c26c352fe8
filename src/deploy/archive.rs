//! A unit's files as one blob for the store, and their checksum. The blob is a plain
//! length-prefixed list (path, content) so that any stored version can be compiled again
//! after a restart even when its folder has changed or gone.

use std::collections::BTreeMap;

/// Why a stored blob could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("the stored unit is truncated or corrupt")]
pub struct CorruptArchive;

/// Packs files into a blob.
pub fn pack(files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let size = files
        .iter()
        .map(|(path, content)| 8 + path.len() + content.len())
        .sum();
    let mut blob = Vec::with_capacity(size);
    for (path, content) in files {
        blob.extend_from_slice(&(path.len() as u32).to_le_bytes());
        blob.extend_from_slice(path.as_bytes());
        blob.extend_from_slice(&(content.len() as u32).to_le_bytes());
        blob.extend_from_slice(content);
    }
    blob
}

/// Unpacks a blob made by [`pack`].
pub fn unpack(mut blob: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, CorruptArchive> {
    fn take<'b>(blob: &mut &'b [u8], count: usize) -> Result<&'b [u8], CorruptArchive> {
        if blob.len() < count {
            return Err(CorruptArchive);
        }
        let (head, tail) = blob.split_at(count);
        *blob = tail;
        Ok(head)
    }
    fn length(blob: &mut &[u8]) -> Result<usize, CorruptArchive> {
        let bytes: [u8; 4] = take(blob, 4)?.try_into().map_err(|_| CorruptArchive)?;
        Ok(u32::from_le_bytes(bytes) as usize)
    }
    let mut files = BTreeMap::new();
    while !blob.is_empty() {
        let path_length = length(&mut blob)?;
        let path = String::from_utf8(take(&mut blob, path_length)?.to_vec())
            .map_err(|_| CorruptArchive)?;
        let content_length = length(&mut blob)?;
        files.insert(path, take(&mut blob, content_length)?.to_vec());
    }
    Ok(files)
}

/// A stable checksum of a unit's files (FNV-1a, 64 bits, over paths and contents).
pub fn checksum(files: &BTreeMap<String, Vec<u8>>) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut hash = OFFSET;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for (path, content) in files {
        feed(&(path.len() as u64).to_le_bytes());
        feed(path.as_bytes());
        feed(&(content.len() as u64).to_le_bytes());
        feed(content);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips_and_detects_truncation() {
        let files: BTreeMap<String, Vec<u8>> = [
            ("deploy.xml".to_string(), b"<deploy/>".to_vec()),
            ("a/b.bpel".to_string(), vec![0, 1, 2]),
        ]
        .into();
        let blob = pack(&files);
        assert_eq!(unpack(&blob).unwrap(), files);
        assert!(unpack(&blob[..blob.len() - 1]).is_err());
    }

    #[test]
    fn checksum_changes_with_any_byte_or_name() {
        let a: BTreeMap<String, Vec<u8>> = [("x".to_string(), b"1".to_vec())].into();
        let b: BTreeMap<String, Vec<u8>> = [("x".to_string(), b"2".to_vec())].into();
        let c: BTreeMap<String, Vec<u8>> = [("y".to_string(), b"1".to_vec())].into();
        assert_ne!(checksum(&a), checksum(&b));
        assert_ne!(checksum(&a), checksum(&c));
        assert_eq!(checksum(&a), checksum(&a.clone()));
    }
}
