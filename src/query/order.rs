//! Order keys: names separated by spaces, each ascending, or descending with a leading `-`
//! (`+` says ascending too).

use super::terms::normalised;
use super::FilterError;

/// The keys `order` names, each with whether it is descending; `known` maps each name the
/// language knows to its key, and `names` lists them for the message that refuses another.
pub(super) fn keys<K: Clone>(
    order: &str,
    known: &[(&str, K)],
    names: &str,
) -> Result<Vec<(K, bool)>, FilterError> {
    let mut keys = Vec::new();
    let mut at = 1;
    for written in order.split(' ') {
        let here = at;
        at += written.chars().count() + 1;
        if written.is_empty() {
            continue;
        }
        let (descending, name) = match written.split_at(1) {
            ("-", name) => (true, name),
            ("+", name) => (false, name),
            _ => (false, written),
        };
        let name = normalised(name);
        let Some((_, key)) = known.iter().find(|(known, _)| *known == name) else {
            let problem =
                format!("unknown order key; the keys are {names}, each with - for descending");
            return Err(FilterError::new(here, written, problem));
        };
        keys.push((key.clone(), descending));
    }
    Ok(keys)
}
