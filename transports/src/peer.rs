//! Peer-to-peer delivery: calls between processes of one server, in memory.
//!
//! A receiver registers an mpsc [`PeerHandler`] under an address; callers send a message with a
//! oneshot channel for the reply. The registry is generic over the message and reply types, so
//! the engine passes its own parsed messages and nothing is serialised.

use std::fmt;
use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::{mpsc, oneshot};

use crate::error::Error;

/// Where a peer receives its messages, each with the channel for its reply.
pub type PeerHandler<M, R> = mpsc::Sender<(M, oneshot::Sender<R>)>;

/// The peers of one server by address. Cloning is cheap and shares the registry.
pub struct PeerRegistry<M, R> {
    peers: Arc<DashMap<String, PeerHandler<M, R>>>,
}

impl<M, R> PeerRegistry<M, R> {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            peers: Arc::new(DashMap::new()),
        }
    }

    /// Makes `handler` receive the messages for `address`, replacing any previous one.
    pub fn register(&self, address: String, handler: PeerHandler<M, R>) {
        self.peers.insert(address, handler);
    }

    /// Stops delivering to `address`; tells whether something was registered there.
    pub fn unregister(&self, address: &str) -> bool {
        self.peers.remove(address).is_some()
    }

    /// Whether something is registered at `address`.
    pub fn contains(&self, address: &str) -> bool {
        self.peers.contains_key(address)
    }

    /// Sends `msg` to the peer at `address` and waits for its reply. Waits too while the peer's
    /// queue is full.
    pub async fn call(&self, address: &str, msg: M) -> Result<R, Error> {
        // Clone the sender out so that no map guard is held across an await.
        let handler = self
            .peers
            .get(address)
            .map(|entry| entry.value().clone())
            .ok_or_else(|| Error::NoPeer(address.to_owned()))?;
        let (reply_to, reply) = oneshot::channel();
        let gone = || Error::PeerGone(address.to_owned());
        handler.send((msg, reply_to)).await.map_err(|_| gone())?;
        reply.await.map_err(|_| gone())
    }
}

impl<M, R> Clone for PeerRegistry<M, R> {
    fn clone(&self) -> Self {
        Self {
            peers: Arc::clone(&self.peers),
        }
    }
}

impl<M, R> Default for PeerRegistry<M, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M, R> fmt::Debug for PeerRegistry<M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerRegistry")
            .field("peers", &self.peers.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo_peer(registry: &PeerRegistry<String, String>, address: &str) {
        let (tx, mut rx) = mpsc::channel::<(String, oneshot::Sender<String>)>(4);
        registry.register(address.to_owned(), tx);
        tokio::spawn(async move {
            while let Some((msg, reply)) = rx.recv().await {
                let _ = reply.send(format!("echo: {msg}"));
            }
        });
    }

    #[tokio::test]
    async fn call_reaches_the_registered_peer() {
        let registry = PeerRegistry::new();
        echo_peer(&registry, "p1");
        assert!(registry.contains("p1"));
        let reply = registry.clone().call("p1", "hi".to_owned()).await.unwrap();
        assert_eq!(reply, "echo: hi");
    }

    #[tokio::test]
    async fn unknown_and_unregistered_addresses_have_no_peer() {
        let registry = PeerRegistry::<String, String>::new();
        echo_peer(&registry, "p1");
        assert!(registry.unregister("p1"));
        assert!(!registry.unregister("p1"));
        assert!(!registry.contains("p1"));
        let err = registry.call("p1", "hi".to_owned()).await.unwrap_err();
        assert!(matches!(err, Error::NoPeer(a) if a == "p1"));
    }

    #[tokio::test]
    async fn dropped_receiver_or_reply_is_peer_gone() {
        let registry = PeerRegistry::<String, String>::new();
        let (tx, rx) = mpsc::channel(1);
        registry.register("closed".to_owned(), tx);
        drop(rx);
        let err = registry.call("closed", "hi".to_owned()).await.unwrap_err();
        assert!(matches!(err, Error::PeerGone(a) if a == "closed"));

        let (tx, mut rx) = mpsc::channel::<(String, oneshot::Sender<String>)>(1);
        registry.register("mute".to_owned(), tx);
        tokio::spawn(async move {
            while let Some((_msg, reply)) = rx.recv().await {
                drop(reply);
            }
        });
        let err = registry.call("mute", "hi".to_owned()).await.unwrap_err();
        assert!(matches!(err, Error::PeerGone(a) if a == "mute"));
    }
}
