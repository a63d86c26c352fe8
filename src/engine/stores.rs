//! Where instances live: in the durable store, or, for the versions of in-memory processes
//! (deploy.xml `<in-memory>true</in-memory>`), in a [`MemoryStore`]. The engine picks the
//! store of each process version, or for an instance id alone the store whose ids it
//! carries, and then does the same for both: step commits, loads, routes and exchanges go
//! through the store's commit path ([`Instances`]). Deployments and process versions are
//! always durable.
//!
//! Instance ids are taken from blocks reserved in each store, so a new instance costs no
//! round trip to the database; the memory store's ids are negative and never collide with a
//! database's.

use std::ops::{Deref, Range};
use std::sync::Arc;

use super::process::ProcessRuntime;
use crate::store::{self, Instances, MemoryStore, Store};

/// How many instance ids are reserved at a time. Each reservation is a write of its own,
/// which new instances wait for; a restart skips what is left of a block.
const ID_BLOCK: u32 = 4096;

/// A store instances live in, with the instance ids reserved there and not handed out yet.
pub struct InstanceStore {
    store: Arc<dyn Instances>,
    ids: tokio::sync::Mutex<Range<i64>>,
    keeps_ended: bool,
}

impl InstanceStore {
    fn new(store: Arc<dyn Instances>, keeps_ended: bool) -> Self {
        Self {
            store,
            ids: tokio::sync::Mutex::new(0..0),
            keeps_ended,
        }
    }

    /// Whether the store keeps an instance that ended, with its last state: the durable
    /// store does (until a cleanup deletes it); the memory store drops it with the step
    /// that ends it, so that step's state need not be written at all.
    pub fn keeps_ended(&self) -> bool {
        self.keeps_ended
    }

    /// A fresh instance id, from the block reserved in the store.
    pub async fn next_id(&self) -> store::Result<i64> {
        let mut ids = self.ids.lock().await;
        if ids.is_empty() {
            let first = self.store.reserve_instance_ids(ID_BLOCK).await?;
            *ids = first..first + i64::from(ID_BLOCK);
        }
        Ok(ids.next().expect("the block was just filled"))
    }
}

impl Deref for InstanceStore {
    type Target = dyn Instances;

    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

/// The durable store and the memory store, as stores of instances.
pub struct InstanceStores {
    durable: InstanceStore,
    memory: InstanceStore,
    in_memory: Arc<MemoryStore>,
}

impl InstanceStores {
    /// The stores of instances of durable processes (`durable`) and of in-memory ones (a new,
    /// empty memory store).
    pub fn new(durable: Arc<dyn Store>) -> Self {
        let in_memory = Arc::new(MemoryStore::new());
        Self {
            durable: InstanceStore::new(durable, true),
            memory: InstanceStore::new(in_memory.clone(), false),
            in_memory,
        }
    }

    /// Where the instances of `process` live.
    pub fn of(&self, process: &ProcessRuntime) -> &InstanceStore {
        match process.in_memory() {
            true => &self.memory,
            false => &self.durable,
        }
    }

    /// Where instance `id` lives.
    pub fn of_instance(&self, id: i64) -> &InstanceStore {
        match MemoryStore::holds(id) {
            true => &self.memory,
            false => &self.durable,
        }
    }

    /// Where the instances of `versions` (the versions of one process) live, in-memory ones
    /// first: each store once, and no store that none of them uses.
    pub fn of_versions(&self, versions: &[Arc<ProcessRuntime>]) -> Vec<&InstanceStore> {
        let in_memory = versions.iter().any(|version| version.in_memory());
        let durable = versions.iter().any(|version| !version.in_memory());
        [(in_memory, &self.memory), (durable, &self.durable)]
            .into_iter()
            .filter_map(|(used, store)| used.then_some(store))
            .collect()
    }

    /// The memory store of in-memory processes' instances.
    pub fn memory(&self) -> &MemoryStore {
        &self.in_memory
    }
}
