//! ODE's filter languages, with which operators of ODE and WSO2 BPS picked out instances,
//! made queries of Baton's store: `name=order* status=active|suspended started>=-7d` lists
//! the matching instances in one query.
//!
//! A filter is terms `key op value`, all of which must hold ([`terms`]); dates are absolute
//! or relative to now ([`dates`]); order keys are names with `-` for descending ([`order`]).
//! `instance_filter` and `instance_order` read instance filters and their order keys
//! ([`instances`] lists the keys); `ProcessFilter` and `sort_processes` process filters and
//! theirs ([`processes`]). [`instance_listing`] and [`process_listing`] read a filter with its
//! order keys as callers ask for a listing. A filter that cannot be read is refused with a
//! [`FilterError`] that names the offending token and where it begins.

mod dates;
mod instances;
mod listing;
mod names;
mod order;
mod processes;
mod terms;

use instances::{instance_filter, instance_order};
pub use listing::{instance_listing, process_listing, ListingError};
pub use processes::ProcessView;

/// Why a filter was refused: `problem`, at the token `token`, which begins at character
/// `at` of the filter (from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {at}, '{token}': {problem}")]
pub struct FilterError {
    pub at: usize,
    pub token: String,
    pub problem: String,
}

impl FilterError {
    fn new(at: usize, token: &str, problem: impl Into<String>) -> Self {
        FilterError {
            at,
            token: token.to_owned(),
            problem: problem.into(),
        }
    }
}
