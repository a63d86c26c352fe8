//! How what the engine stores between steps is kept as bytes: an instance's state, and the
//! calls its outbox holds.
//!
//! Values are written as MessagePack with their fields named: smaller than JSON and cheaper
//! to write (no text escaping, numbers as bytes), which every durable step pays. Fields stay
//! named, as in JSON, so that a field added later with `#[serde(default)]` still reads the
//! values stored before it. Values stored as JSON by earlier versions read as they are: JSON
//! for a struct begins with `{`, which never begins a MessagePack map.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::state::InstanceState;

/// Why a value could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum EncodingError {
    #[error("{0}")]
    Write(#[from] rmp_serde::encode::Error),
    #[error("{0}")]
    Read(#[from] rmp_serde::decode::Error),
    #[error("{0}")]
    ReadJson(#[from] serde_json::Error),
}

/// `value` as a store keeps it.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, EncodingError> {
    Ok(rmp_serde::to_vec_named(value)?)
}

/// A value as a store keeps it, written by [`encode`] or, before, as JSON.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, EncodingError> {
    match bytes.first() {
        Some(b'{') => Ok(serde_json::from_slice(bytes)?),
        _ => Ok(rmp_serde::from_slice(bytes)?),
    }
}

impl InstanceState {
    /// The state as a store keeps it.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodingError> {
        encode(self)
    }

    /// A state as a store keeps it (see [`decode`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        decode(bytes)
    }
}
