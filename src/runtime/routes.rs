//! The keys a message finds its instance by. A receive, onMessage or onEvent that does not
//! create an instance names correlation sets; the message reaches the instance whose values
//! of *all* of them equal the message's (as ODE matched them), so two instances may share the
//! value of one set (the same customer) as long as the receive's sets together tell them
//! apart (the customer and the order).
//!
//! A receiver checking two or more sets (`initiate="no"`) is routed by the key of those sets
//! together; any other receiver by each set it checks or joins alone (a join may meet a set
//! not initiated yet). Once an instance has every set of a key initiated, the step that
//! initiated the last of them adds its route: the sets' names joined by `+` (names cannot
//! hold it) with their values in order (see [`super::step::Route`]). Each set initiated also
//! gets a route of its own, which keeps its values unique among the instances, but for a set
//! only keys of several sets hold: that route is shared, the first instance to initiate the
//! values keeps it, and a message none of its operation's keys finds goes there, as it did
//! before it was routed by keys. The engine looks a message up under each key of its
//! operation in [`lookup_order`].

use super::state::{InstanceState, ScopeRef};
use super::step::Route;
use crate::model::{CorrelationSetId, Initiate, Process, Receive};

/// The keys a receiver is routed by.
pub fn receiver_keys(receive: &Receive) -> Vec<Vec<CorrelationSetId>> {
    let with = |initiate: Initiate| -> Vec<CorrelationSetId> {
        let mut sets: Vec<_> = receive
            .correlations
            .iter()
            .filter(|usage| usage.initiate == initiate)
            .map(|usage| usage.set)
            .collect();
        sets.sort_unstable();
        sets.dedup();
        sets
    };
    let (checked, joined) = (with(Initiate::No), with(Initiate::Join));
    let mut keys = Vec::new();
    let alone = if checked.len() >= 2 {
        keys.push(checked);
        joined
    } else {
        checked.into_iter().chain(joined).collect()
    };
    for set in alone {
        if !keys.contains(&vec![set]) {
            keys.push(vec![set]);
        }
    }
    keys
}

/// Every distinct key of the process's receivers.
pub fn keys(model: &Process) -> Vec<Vec<CorrelationSetId>> {
    let mut keys: Vec<Vec<CorrelationSetId>> = Vec::new();
    for key in model.message_receivers().flat_map(receiver_keys) {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// The name routes under the key `sets` are stored by.
pub fn key_name(model: &Process, sets: &[CorrelationSetId]) -> String {
    let names: Vec<&str> = sets
        .iter()
        .map(|set| model.correlation_set(*set).name.as_str())
        .collect();
    names.join("+")
}

/// The routes that initiating `initiated` adds, seen from scope instance `scope`: one under
/// each key holding one of them whose sets are all initiated, and one for each of them alone,
/// shared where only keys of several sets hold it.
pub fn added(
    model: &Process,
    keys: &[Vec<CorrelationSetId>],
    state: &InstanceState,
    scope: ScopeRef,
    initiated: &[CorrelationSetId],
) -> Vec<Route> {
    let alone = initiated.iter().map(|set| {
        let keyed = keys.iter().filter(|key| key.contains(set));
        let shared = keyed.clone().count() > 0 && keyed.into_iter().all(|key| key.len() > 1);
        (vec![*set], shared)
    });
    let together = keys
        .iter()
        .filter(|key| key.len() > 1 && key.iter().any(|set| initiated.contains(set)))
        .map(|key| (key.clone(), false));
    alone
        .chain(together)
        .filter_map(|(key, shared)| {
            let mut values = Vec::new();
            for set in &key {
                values.extend(state.correlation(model, scope, *set)?.iter().cloned());
            }
            Some(Route {
                set: key_name(model, &key),
                values,
                shared,
            })
        })
        .collect()
}

/// The keys a message for an operation is looked up under, from the keys of its receivers:
/// those of several sets first, then each set alone (also those only keys of several sets
/// hold, under which the instances that initiated them first are found).
pub fn lookup_order(keys: &[Vec<CorrelationSetId>]) -> Vec<Vec<CorrelationSetId>> {
    let mut order: Vec<Vec<CorrelationSetId>> =
        keys.iter().filter(|key| key.len() > 1).cloned().collect();
    for set in keys.iter().flatten() {
        if !order.contains(&vec![*set]) {
            order.push(vec![*set]);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CorrelationUse, PartnerLinkId};

    fn receiver(correlations: &[(u32, Initiate)]) -> Receive {
        Receive {
            partner_link: PartnerLinkId(0),
            operation: "op".into(),
            variable: None,
            create_instance: false,
            correlations: correlations
                .iter()
                .map(|&(set, initiate)| CorrelationUse {
                    set: CorrelationSetId(set),
                    initiate,
                    pattern: None,
                })
                .collect(),
            message_exchange: None,
            from_parts: Vec::new(),
        }
    }

    fn sets(ids: &[u32]) -> Vec<CorrelationSetId> {
        ids.iter().copied().map(CorrelationSetId).collect()
    }

    #[test]
    fn a_receiver_checking_several_sets_is_routed_by_them_together() {
        use Initiate::{Join, No, Yes};
        let together = receiver(&[(2, No), (0, No), (1, Join), (3, Yes)]);
        assert_eq!(receiver_keys(&together), [sets(&[0, 2]), sets(&[1])]);
        let alone = receiver(&[(0, No), (1, Join), (3, Yes)]);
        assert_eq!(receiver_keys(&alone), [sets(&[0]), sets(&[1])]);
        assert!(receiver_keys(&receiver(&[(3, Yes)])).is_empty());
        assert_eq!(
            lookup_order(&[sets(&[1]), sets(&[0, 2])]),
            [sets(&[0, 2]), sets(&[1]), sets(&[0]), sets(&[2])],
            "keys of several sets first, then each set alone"
        );
    }
}
