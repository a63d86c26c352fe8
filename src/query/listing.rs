//! A listing as the command line and the management API ask for one: a filter and its order
//! keys read together, each refusal saying which of the two it is about.

use std::time::SystemTime;

use super::processes::{sort_processes, ProcessFilter, ProcessView};
use super::{instance_filter, instance_order, FilterError};
use crate::store::{DeploymentSummary, InstanceFilter, ProcessRecord};

/// Why a listing was refused: its filter or its order cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    #[error("filter {text:?}: {error}")]
    Filter { text: String, error: FilterError },
    #[error("order {text:?}: {error}")]
    Order { text: String, error: FilterError },
}

impl ListingError {
    fn filter(text: &str) -> impl FnOnce(FilterError) -> ListingError + '_ {
        move |error| ListingError::Filter {
            text: text.to_owned(),
            error,
        }
    }

    fn order(text: &str) -> impl FnOnce(FilterError) -> ListingError + '_ {
        move |error| ListingError::Order {
            text: text.to_owned(),
            error,
        }
    }
}

/// The store filter of the instance filter `filter` in the order `order`, with `processes`
/// the process versions the store knows and `now` the time relative dates count from.
pub fn instance_listing(
    filter: &str,
    order: &str,
    processes: &[ProcessRecord],
    now: SystemTime,
) -> Result<InstanceFilter, ListingError> {
    let chosen = instance_filter(filter, processes, now).map_err(ListingError::filter(filter))?;
    Ok(InstanceFilter {
        order: instance_order(order, processes).map_err(ListingError::order(order))?,
        ..chosen
    })
}

/// The process versions of `records` still deployed (by `deployments`) that the process
/// filter `filter` selects, in the order `order`.
pub fn process_listing<'a>(
    filter: &str,
    order: &str,
    records: &'a [ProcessRecord],
    deployments: &[DeploymentSummary],
    now: SystemTime,
) -> Result<Vec<ProcessView<'a>>, ListingError> {
    let chosen = ProcessFilter::parse(filter, now).map_err(ListingError::filter(filter))?;
    let mut views: Vec<ProcessView<'a>> = records
        .iter()
        .filter_map(|record| {
            let deployment = deployments.iter().find(|d| {
                !d.undeployed && d.name == record.deployment && d.version == record.version
            })?;
            Some(ProcessView {
                record,
                deployed_at: deployment.deployed_at,
            })
        })
        .filter(|view| chosen.selects(view))
        .collect();
    sort_processes(&mut views, order).map_err(ListingError::order(order))?;
    Ok(views)
}
