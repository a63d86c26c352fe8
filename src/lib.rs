//! Baton: a WS-BPEL 2.0 process server.
//!
//! The BPEL engine lives in this crate: the XML tree that holds variables and messages
//! ([`xml`]), the XPath 1.0 expression language evaluated over it ([`xpath`]), the compiled
//! process model ([`model`]) and the compiler that produces it from a deployment unit
//! ([`compiler`]).

pub mod compiler;
pub mod model;
pub mod xml;
pub mod xpath;
