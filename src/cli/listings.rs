//! The listing commands `baton instances`, `baton processes` and `baton events`: each asks
//! a running server's management API ([`AdminClient`]), following its pages (the cursor of
//! an instance listing, the `next` of a timeline), and prints what it answered as a table
//! or as JSON ([`super::output`]).

use clap::Args;

use super::output::{or_dash, print_json, print_table, table};
use crate::admin::client::{AdminClient, ClientError};
use crate::admin::InstanceListed;
use crate::events::EventRecord;
use crate::runtime::xsd;

/// Where a listing comes from and how it is printed.
#[derive(Args)]
pub(super) struct Listing {
    /// The server's address (default: from the configuration's host and port).
    #[arg(long)]
    pub(super) server: Option<String>,
    /// Prints one JSON array of the listed items, each as the management API answers it,
    /// instead of a table.
    #[arg(long)]
    pub(super) json: bool,
}

/// Which instances `baton instances` asks for, and how many per request.
pub(super) struct InstanceQuery<'a> {
    pub(super) filter: &'a str,
    pub(super) order: &'a str,
    /// At most this many; every one the filter selects when none.
    pub(super) most: Option<usize>,
    /// How many each request asks for.
    pub(super) page: u32,
}

/// `baton instances`: the instances `query` selects, in its order.
pub(super) async fn instances(
    client: &AdminClient,
    query: &InstanceQuery<'_>,
    json: bool,
) -> anyhow::Result<()> {
    let listed = fetch_instances(client, query).await?;
    if json {
        return Ok(print_json(&listed)?);
    }
    let header = ["ID", "PID", "STATUS", "STARTED", "LAST-ACTIVE", "REASON"];
    let mut rows = table(&header, &[0]);
    for instance in &listed {
        rows.add_row(vec![
            instance.instance.to_string().as_str(),
            instance.pid.as_str(),
            instance.status.as_str(),
            instance.started.as_str(),
            instance.last_active.as_str(),
            or_dash(instance.reason.as_deref()),
        ]);
    }
    Ok(print_table(&rows)?)
}

/// The instances `query` selects, a page at a time, each page going on from the cursor of
/// the one before, until there are as many as it asks for or no more.
async fn fetch_instances(
    client: &AdminClient,
    query: &InstanceQuery<'_>,
) -> Result<Vec<InstanceListed>, ClientError> {
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let wanted = match query.most {
            Some(most) => {
                u32::try_from(most - listed.len()).map_or(query.page, |left| left.min(query.page))
            }
            None => query.page,
        };
        let answer = client
            .instances(query.filter, query.order, wanted, cursor.as_deref())
            .await?;
        listed.extend(answer.instances);
        let room = query.most.is_none_or(|most| listed.len() < most);
        match answer.next {
            Some(next) if room => cursor = Some(next),
            _ => return Ok(listed),
        }
    }
}

/// `baton processes`: the deployed process versions the process filter `filter` selects,
/// in the order `order`.
pub(super) async fn processes(
    client: &AdminClient,
    filter: &str,
    order: &str,
    json: bool,
) -> anyhow::Result<()> {
    let listed = client.processes(filter, order).await?.processes;
    if json {
        return Ok(print_json(&listed)?);
    }
    let mut rows = table(&["PID", "STATUS", "DEPLOYED"], &[]);
    for process in &listed {
        rows.add_row(vec![
            process.pid.as_str(),
            process.status.as_str(),
            process.deployed.as_str(),
        ]);
    }
    Ok(print_table(&rows)?)
}

/// `baton events`: instance `instance`'s events, oldest first, as the `store` listener kept
/// them, asked for `page` at a time.
pub(super) async fn events(
    client: &AdminClient,
    instance: i64,
    page: u32,
    json: bool,
) -> anyhow::Result<()> {
    let timeline = fetch_timeline(client, instance, page).await?;
    if json {
        return Ok(print_json(&timeline)?);
    }
    let header = [
        "TIME",
        "TYPE",
        "SCOPE",
        "ACTIVITY",
        "ACTIVITY-TYPE",
        "DETAIL",
    ];
    let mut rows = table(&header, &[]);
    for record in &timeline {
        let event = &record.event;
        rows.add_row(vec![
            xsd::date_time(record.at_ms).to_string().as_str(),
            event.kind.as_str(),
            or_dash(event.scope_name.as_deref()),
            or_dash(event.activity_name.as_deref()),
            or_dash(event.activity_type.as_deref()),
            or_dash(event.detail.as_deref()),
        ]);
    }
    print_table(&rows)?;
    if timeline.is_empty() {
        eprintln!(
            "no events are kept for instance {instance}: the server keeps them when \
             [events] listeners has \"store\", for the processes whose deploy.xml asks for them"
        );
    }
    Ok(())
}

/// Every event of instance `instance`, `page` at a time, each page going on from the `next`
/// of the one before.
async fn fetch_timeline(
    client: &AdminClient,
    instance: i64,
    page: u32,
) -> Result<Vec<EventRecord>, ClientError> {
    let mut events = Vec::new();
    let mut after = None;
    loop {
        let answer = client.timeline(instance, page, after).await?;
        events.extend(answer.events);
        match answer.next {
            Some(next) => after = Some(next),
            None => return Ok(events),
        }
    }
}
