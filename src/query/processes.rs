//! ODE's process filter and order keys, applied to the deployed process versions (a server
//! has few of them, so they are filtered where they are listed).
//!
//! | key | operators | values |
//! |---|---|---|
//! | `name`, `namespace` | `=` | the process's local name or namespace, case-insensitive; a trailing `*` matches any rest |
//! | `status` | `=` | `activated` (or `active`), `retired`, `disabled` |
//! | `deployed` | `=`, `<`, `<=`, `>`, `>=` | a date ([`dates`](super::dates)); repeat the key for a range |
//!
//! Order keys: `name`, `namespace`, `version`, `status`, `deployed`.

use std::cmp::Ordering;
use std::time::SystemTime;

use super::names::{patterns, split_qname, Pattern};
use super::terms::{self, Op};
use super::{dates, order, FilterError};
use crate::store::{ProcessRecord, ProcessState, TimeBound};

/// A process version as the process filter sees it.
#[derive(Debug, Clone, Copy)]
pub struct ProcessView<'a> {
    pub record: &'a ProcessRecord,
    /// When its deployment was deployed.
    pub deployed_at: SystemTime,
}

/// A process filter, read: every condition must hold.
pub(super) struct ProcessFilter {
    names: Vec<Vec<Pattern>>,
    namespaces: Vec<Vec<Pattern>>,
    states: Vec<Vec<ProcessState>>,
    deployed: Vec<TimeBound>,
}

impl ProcessFilter {
    /// Reads `filter`, with `now` the time relative dates count from.
    pub(super) fn parse(filter: &str, now: SystemTime) -> Result<ProcessFilter, FilterError> {
        let mut chosen = ProcessFilter {
            names: Vec::new(),
            namespaces: Vec::new(),
            states: Vec::new(),
            deployed: Vec::new(),
        };
        for term in terms::parse(filter)? {
            match term.key.as_str() {
                "name" | "namespace" => {
                    term.only(&[Op::Eq])?;
                    let patterns = patterns(&term)?;
                    match term.key.as_str() {
                        "name" => chosen.names.push(patterns),
                        _ => chosen.namespaces.push(patterns),
                    }
                }
                "status" => {
                    term.only(&[Op::Eq])?;
                    let states = term.values().map(|value| {
                        state(value).ok_or_else(|| {
                            term.value_refused(
                                value,
                                "not a status: activated, retired or disabled",
                            )
                        })
                    });
                    chosen.states.push(states.collect::<Result<_, _>>()?);
                }
                "deployed" => {
                    let bounds = dates::bounds(term.op, term.value, now)
                        .map_err(|problem| term.refused(problem))?;
                    chosen.deployed.extend(bounds);
                }
                _ => {
                    return Err(term
                        .refused("unknown key; the keys are name, namespace, status and deployed"))
                }
            }
        }
        Ok(chosen)
    }

    /// Whether `process` is one the filter selects.
    pub(super) fn selects(&self, process: &ProcessView<'_>) -> bool {
        let (namespace, name) = split_qname(&process.record.process);
        let any = |patterns: &Vec<Pattern>, text: &str| patterns.iter().any(|p| p.matches(text));
        self.names.iter().all(|patterns| any(patterns, name))
            && self
                .namespaces
                .iter()
                .all(|patterns| any(patterns, namespace))
            && self
                .states
                .iter()
                .all(|states| states.contains(&process.record.state))
            && self
                .deployed
                .iter()
                .all(|bound| bound.holds(process.deployed_at))
    }
}

/// What process versions are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Name,
    Namespace,
    Version,
    Status,
    Deployed,
}

/// Sorts `processes` as the order keys `order` say, ties by pid; refuses an unknown key.
pub(super) fn sort_processes(
    processes: &mut [ProcessView<'_>],
    order: &str,
) -> Result<(), FilterError> {
    let known = [
        ("name", Key::Name),
        ("namespace", Key::Namespace),
        ("version", Key::Version),
        ("status", Key::Status),
        ("deployed", Key::Deployed),
    ];
    let keys = order::keys(
        order,
        &known,
        "name, namespace, version, status and deployed",
    )?;
    processes.sort_by(|a, b| {
        let by_keys = keys.iter().map(|&(key, descending)| {
            let ordering = compare(key, a, b);
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
        by_keys
            .fold(Ordering::Equal, Ordering::then)
            .then_with(|| a.record.pid.cmp(&b.record.pid))
    });
    Ok(())
}

fn compare(key: Key, a: &ProcessView<'_>, b: &ProcessView<'_>) -> Ordering {
    let (a_namespace, a_name) = split_qname(&a.record.process);
    let (b_namespace, b_name) = split_qname(&b.record.process);
    match key {
        Key::Name => a_name.cmp(b_name),
        Key::Namespace => a_namespace.cmp(b_namespace),
        Key::Version => a.record.version.cmp(&b.record.version),
        Key::Status => a.record.state.as_str().cmp(b.record.state.as_str()),
        Key::Deployed => a.deployed_at.cmp(&b.deployed_at),
    }
}

/// The process state a process filter's status name selects.
fn state(name: &str) -> Option<ProcessState> {
    match name.to_ascii_lowercase().as_str() {
        "activated" | "active" => Some(ProcessState::Active),
        "retired" => Some(ProcessState::Retired),
        "disabled" => Some(ProcessState::Disabled),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::time::from_millis;

    /// 2026-12-07T00:00:00Z.
    const DAY: i64 = 1_796_601_600_000;

    fn record(namespace: &str, name: &str, version: i64, state: ProcessState) -> ProcessRecord {
        ProcessRecord {
            pid: format!("{{{namespace}}}{name}-{version}"),
            process: format!("{{{namespace}}}{name}"),
            deployment: name.to_owned(),
            version,
            state,
        }
    }

    fn records() -> Vec<ProcessRecord> {
        vec![
            record("urn:test", "orders", 1, ProcessState::Retired),
            record("urn:test", "orders", 2, ProcessState::Active),
            record("urn:test", "orderLines", 3, ProcessState::Disabled),
            record("urn:other", "billing", 4, ProcessState::Active),
        ]
    }

    /// Deployed on consecutive days from 2026-12-05 on, in version order.
    fn views(records: &[ProcessRecord]) -> Vec<ProcessView<'_>> {
        let day = Duration::from_secs(86_400);
        records
            .iter()
            .map(|record| ProcessView {
                record,
                deployed_at: from_millis(DAY) - 2 * day + (record.version as u32 - 1) * day,
            })
            .collect()
    }

    fn versions(filter: &str, order: &str) -> Vec<i64> {
        let records = records();
        let now = from_millis(DAY + 3_600_000);
        let filter = ProcessFilter::parse(filter, now).unwrap_or_else(|e| panic!("{filter}: {e}"));
        let mut chosen: Vec<ProcessView<'_>> = views(&records)
            .into_iter()
            .filter(|view| filter.selects(view))
            .collect();
        sort_processes(&mut chosen, order).unwrap();
        chosen.iter().map(|view| view.record.version).collect()
    }

    #[test]
    fn every_key_operator_wildcard_alternative_and_date_selects_what_it_names() {
        let cases: [(&str, &[i64]); 16] = [
            ("", &[4, 3, 1, 2]),
            ("name=orders", &[1, 2]),
            ("name=ORDER*", &[3, 1, 2]),
            ("name=billing|orderlines", &[4, 3]),
            ("namespace=urn:oth*", &[4]),
            ("namespace=urn:test name=orders", &[1, 2]),
            ("status=activated", &[4, 2]),
            ("status=active|retired", &[4, 1, 2]),
            ("status=disabled", &[3]),
            ("deployed=2026-12-06", &[2]),
            ("deployed<2026-12-06", &[1]),
            ("deployed<=2026-12-06", &[1, 2]),
            ("deployed>2026-12-06", &[4, 3]),
            ("deployed>=2026-12-07 deployed<2026-12-08", &[3]),
            ("deployed>=-1d", &[4, 3]),
            ("name=orders status=activated", &[2]),
        ];
        for (filter, expected) in cases {
            assert_eq!(versions(filter, ""), expected, "{filter}");
        }
    }

    #[test]
    fn every_order_key_orders_ascending_or_descending_with_ties_by_pid() {
        let cases: [(&str, &[i64]); 7] = [
            ("name", &[4, 3, 1, 2]),
            ("-name -version", &[2, 1, 3, 4]),
            ("namespace", &[4, 3, 1, 2]),
            ("version", &[1, 2, 3, 4]),
            ("-version", &[4, 3, 2, 1]),
            ("status", &[4, 2, 3, 1]),
            ("-deployed", &[4, 3, 2, 1]),
        ];
        for (order, expected) in cases {
            assert_eq!(versions("", order), expected, "{order}");
        }
    }

    #[test]
    fn a_filter_or_order_that_cannot_be_read_is_refused_at_its_offending_token() {
        let now = SystemTime::now();
        let refused = |filter: &str| ProcessFilter::parse(filter, now).err().unwrap();
        let error = refused("status=running");
        assert_eq!((error.at, error.token.as_str()), (8, "running"));
        assert_eq!(
            error.problem,
            "not a status: activated, retired or disabled"
        );
        let error = refused("pid=x");
        assert!(
            error.problem.starts_with("unknown key; the keys are name"),
            "{error}"
        );
        assert!(refused("name<x")
            .problem
            .starts_with("< does not apply to name"));
        assert!(refused("deployed<>2026-01-01")
            .problem
            .starts_with("a date is compared"));
        let records = records();
        let mut views = views(&records);
        let error = sort_processes(&mut views, "name iid").unwrap_err();
        assert_eq!((error.at, error.token.as_str()), (6, "iid"));
    }
}
