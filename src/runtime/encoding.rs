//! How an instance's state is kept as bytes in a store, between steps.
//!
//! The state is written as MessagePack with its fields named: smaller than JSON and cheaper
//! to write (no text escaping, numbers as bytes), which every durable step pays. Fields stay named, as in JSON, so that a field added later with `#[serde(default)]`
//! still reads the states stored before it. States stored as JSON by earlier versions read
//! as they are: a JSON state begins with `{`, which never begins a MessagePack map.

use super::state::InstanceState;

/// Why a state could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum EncodingError {
    #[error("{0}")]
    Write(#[from] rmp_serde::encode::Error),
    #[error("{0}")]
    Read(#[from] rmp_serde::decode::Error),
    #[error("{0}")]
    ReadJson(#[from] serde_json::Error),
}

impl InstanceState {
    /// The state as a store keeps it.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodingError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    /// A state as a store keeps it, written by [`InstanceState::to_bytes`] or, before, as
    /// JSON.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        match bytes.first() {
            Some(b'{') => Ok(serde_json::from_slice(bytes)?),
            _ => Ok(rmp_serde::from_slice(bytes)?),
        }
    }
}
