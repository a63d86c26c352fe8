//! placeholder

pub mod compiler;
pub mod model;
