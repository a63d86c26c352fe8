//! Baton: a WS-BPEL 2.0 process server.
//!
//! The BPEL engine lives in this crate: the XML tree that holds variables and messages
//! ([`xml`]) and the XPath 1.0 expression language evaluated over it ([`xpath`]).

pub mod xml;
pub mod xpath;
