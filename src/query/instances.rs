//! ODE's instance filter and order keys, made a store's [`InstanceFilter`].
//!
//! | key | operators | values |
//! |---|---|---|
//! | `iid` | `=` | instance ids |
//! | `pid` | `=`, `<>` | process version ids, `{urn:example}Order-3` |
//! | `name`, `namespace` | `=` | the process's local name or namespace, case-insensitive; a trailing `*` matches any rest |
//! | `status` | `=` | `active`, `suspended`, `error`, `completed`, `terminated`, `failed`, `faulted` |
//! | `started`, `last-active` | `=`, `<`, `<=`, `>`, `>=` | a date ([`dates`](super::dates)); repeat the key for a range |
//! | `$name`, `${namespace}name` | `=` | values of the correlation property, as initiated by a correlation set of the process; `$name` in any namespace |
//!
//! Every key but the dates takes `|` alternatives. ODE's status names map onto Baton's:
//! `active` (or `running`) is running; `failed` is what ODE listed as failed, an instance
//! ended by a fault, and also one Baton stopped for an error (status `failed`); `faulted` is
//! one ended by a fault only; `error` is one stopped for an error only (ODE matched nothing
//! for `faulted` and `error`).
//!
//! The process keys (`pid`, `name`, `namespace`) are resolved against the process versions
//! here, so that the store filters by a list of pids; order keys of the process
//! (`name`, `namespace`, `version`) become a rank of pids the same way.

use std::time::SystemTime;

use super::names::{patterns, split_qname};
use super::terms::{self, Op};
use super::{dates, order, FilterError};
use crate::store::{
    CorrelationFilter, InstanceFilter, InstanceOrder, InstanceOrderKey, InstanceStatus,
    ProcessRecord,
};

/// The keys an instance filter knows, for the message that refuses another.
const KEYS: &str = "iid, pid, name, namespace, status, started and last-active";

/// The store filter that `filter` writes, with `processes` the process versions the store
/// knows and `now` the time relative dates count from.
pub(super) fn instance_filter(
    filter: &str,
    processes: &[ProcessRecord],
    now: SystemTime,
) -> Result<InstanceFilter, FilterError> {
    let mut chosen = InstanceFilter::default();
    let mut versions: Option<Vec<&ProcessRecord>> = None;
    for term in terms::parse(filter)? {
        let mut of_processes = |keep: &dyn Fn(&ProcessRecord) -> bool| {
            versions
                .get_or_insert_with(|| processes.iter().collect())
                .retain(|process| keep(process));
        };
        match term.key.as_str() {
            "iid" => {
                term.only(&[Op::Eq])?;
                for value in term.values() {
                    let id = value
                        .parse()
                        .map_err(|_| term.value_refused(value, "not an instance id"))?;
                    chosen.ids.push(id);
                }
            }
            "pid" => {
                term.only(&[Op::Eq, Op::Ne])?;
                let pids: Vec<&str> = term.values().collect();
                let wanted = term.op == Op::Eq;
                of_processes(&|process| pids.contains(&process.pid.as_str()) == wanted);
            }
            "name" | "namespace" => {
                term.only(&[Op::Eq])?;
                let patterns = patterns(&term)?;
                let of_name = term.key == "name";
                of_processes(&|process| {
                    let (namespace, name) = split_qname(&process.process);
                    let part = if of_name { name } else { namespace };
                    patterns.iter().any(|pattern| pattern.matches(part))
                });
            }
            "status" => {
                term.only(&[Op::Eq])?;
                for value in term.values() {
                    let statuses = statuses(value).ok_or_else(|| {
                        term.value_refused(
                            value,
                            "not a status: active, suspended, error, completed, terminated, \
                             failed or faulted",
                        )
                    })?;
                    chosen.statuses.extend(statuses);
                }
            }
            "started" | "last-active" => {
                let bounds = dates::bounds(term.op, term.value, now)
                    .map_err(|problem| term.refused(problem))?;
                match term.key.as_str() {
                    "started" => chosen.created.extend(bounds),
                    _ => chosen.updated.extend(bounds),
                }
            }
            key if key.starts_with('$') => {
                term.only(&[Op::Eq])?;
                let (namespace, name) = match &key[1..] {
                    property if property.starts_with('{') => {
                        let (namespace, name) = split_qname(property);
                        (Some(namespace.to_owned()), name)
                    }
                    name => (None, name),
                };
                if name.is_empty() || name.contains(['{', '}']) {
                    return Err(
                        term.refused("a correlation property is written $name or ${namespace}name")
                    );
                }
                chosen.correlations.push(CorrelationFilter {
                    namespace,
                    name: name.to_owned(),
                    values: term.values().map(str::to_owned).collect(),
                });
            }
            _ => return Err(term.refused(format!("unknown key; the keys are {KEYS}"))),
        }
    }
    chosen.pids = versions.map(|kept| kept.iter().map(|p| p.pid.clone()).collect());
    Ok(chosen)
}

/// The order that `order` writes: keys separated by spaces, each ascending or with `-`
/// descending (`+` ascending too), of `iid`, `pid`, `name`, `namespace`, `version`,
/// `status`, `started` and `last-active`.
pub(super) fn instance_order(
    order: &str,
    processes: &[ProcessRecord],
) -> Result<Vec<InstanceOrder>, FilterError> {
    #[derive(Clone, Copy)]
    enum Key {
        Instance(fn() -> InstanceOrderKey),
        Process(fn(&ProcessRecord) -> (&str, i64)),
    }
    let known = [
        ("iid", Key::Instance(|| InstanceOrderKey::Id)),
        ("pid", Key::Instance(|| InstanceOrderKey::Pid)),
        ("name", Key::Process(|p| (split_qname(&p.process).1, 0))),
        (
            "namespace",
            Key::Process(|p| (split_qname(&p.process).0, 0)),
        ),
        ("version", Key::Process(|p| ("", p.version))),
        ("status", Key::Instance(|| InstanceOrderKey::Status)),
        ("started", Key::Instance(|| InstanceOrderKey::Created)),
        ("last-active", Key::Instance(|| InstanceOrderKey::Updated)),
    ];
    let names = "iid, pid, name, namespace, version, status, started and last-active";
    let keys = order::keys(order, &known, names)?;
    let instance_order = |(key, descending)| {
        let key = match key {
            Key::Instance(key) => key(),
            Key::Process(rank_by) => {
                let mut versions: Vec<&ProcessRecord> = processes.iter().collect();
                versions.sort_by(|a, b| rank_by(a).cmp(&rank_by(b)).then(a.pid.cmp(&b.pid)));
                InstanceOrderKey::ProcessRank(versions.iter().map(|p| p.pid.clone()).collect())
            }
        };
        InstanceOrder { key, descending }
    };
    Ok(keys.into_iter().map(instance_order).collect())
}

/// The statuses an instance filter's status name selects.
fn statuses(name: &str) -> Option<&'static [InstanceStatus]> {
    Some(match name.to_ascii_lowercase().as_str() {
        "active" | "running" => &[InstanceStatus::Running],
        "suspended" => &[InstanceStatus::Suspended],
        "completed" => &[InstanceStatus::Completed],
        "terminated" => &[InstanceStatus::Terminated],
        "failed" => &[InstanceStatus::Faulted, InstanceStatus::Failed],
        "faulted" => &[InstanceStatus::Faulted],
        "error" => &[InstanceStatus::Failed],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions() -> Vec<ProcessRecord> {
        vec![ProcessRecord {
            pid: "{urn:test}orders-1".to_owned(),
            process: "{urn:test}orders".to_owned(),
            deployment: "orders".to_owned(),
            version: 1,
            state: crate::store::ProcessState::Active,
        }]
    }

    #[test]
    fn a_filter_that_cannot_be_read_is_refused_at_its_offending_token() {
        let cases = [
            (
                "statu=active",
                1,
                "statu=active",
                "unknown key; the keys are iid, pid",
            ),
            (
                "status=actve",
                8,
                "actve",
                "not a status: active, suspended, error",
            ),
            ("status=active|", 15, "", "not a status"),
            ("iid=7|x", 7, "x", "not an instance id"),
            ("name<>x", 1, "name<>x", "<> does not apply to name; use ="),
            ("pid<x", 1, "pid<x", "< does not apply to pid; use = or <>"),
            ("iid>3", 1, "iid>3", "> does not apply to iid; use ="),
            ("name=a*b", 6, "a*b", "only a trailing * is a wildcard"),
            (
                "namespace=*urn",
                11,
                "*urn",
                "only a trailing * is a wildcard",
            ),
            (
                "started<>2026-01-01",
                1,
                "started<>2026-01-01",
                "a date is compared with",
            ),
            (
                "last-active<yesterday",
                1,
                "last-active<yesterday",
                "not a date",
            ),
            ("started>-3x", 1, "started>-3x", "'x' is not a unit"),
            (
                "$orderId<5",
                1,
                "$orderId<5",
                "< does not apply to $orderId; use =",
            ),
            (
                "${urn:x}=5",
                1,
                "${urn:x}=5",
                "a correlation property is written",
            ),
            (
                "${urn:x=5",
                1,
                "${urn:x=5",
                "a correlation property is written",
            ),
            ("$=5", 1, "$=5", "a correlation property is written"),
            (
                "status=active name",
                15,
                "name",
                "expected a key followed by one of",
            ),
            (
                "status=active =x",
                15,
                "=",
                "expected a key before the operator",
            ),
            ("name=", 1, "name=", "expected a value after the operator"),
        ];
        for (filter, at, token, problem) in cases {
            let error = instance_filter(filter, &versions(), SystemTime::now()).unwrap_err();
            assert_eq!((error.at, error.token.as_str()), (at, token), "{filter}");
            assert!(error.problem.starts_with(problem), "{filter}: {error}");
        }
        let error = instance_filter("status=actve", &versions(), SystemTime::now()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "at character 8, 'actve': not a status: active, suspended, error, completed, \
             terminated, failed or faulted"
        );
    }

    #[test]
    fn an_order_that_cannot_be_read_is_refused_at_its_key() {
        let error = instance_order("started  -nme", &versions()).unwrap_err();
        assert_eq!((error.at, error.token.as_str()), (10, "-nme"));
        assert!(error.problem.starts_with("unknown order key"), "{error}");
        assert_eq!(instance_order("  ", &versions()).unwrap(), []);
    }

    #[test]
    fn process_keys_resolve_to_the_pids_they_select() {
        let pids = |filter: &str| {
            instance_filter(filter, &versions(), SystemTime::now())
                .unwrap()
                .pids
        };
        assert_eq!(pids("status=active"), None);
        assert_eq!(
            pids("name=ord*"),
            Some(vec!["{urn:test}orders-1".to_owned()])
        );
        assert_eq!(pids("name=ord* pid<>{urn:test}orders-1"), Some(vec![]));
    }
}
