//! Baton: a WS-BPEL 2.0 process server.

pub mod store;
