//! When to evict idle entities from memory. The policy is pure: given when each entity was
//! last used, it names the ones to evict. Supervisors apply it on a timer; what eviction
//! means (the entity's state is already in storage) is the engine's business.
//!
//! It follows ODE's count-and-age LRU policy: first every entity idle for longer than
//! `max_age`, then the least recently used beyond `max_count`.

use std::time::{Duration, Instant};

/// Eviction limits; `None` disables a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DehydrationPolicy {
    /// How many entities a supervisor keeps in memory at most.
    pub max_count: Option<usize>,
    /// How long an entity may stay idle in memory.
    pub max_age: Option<Duration>,
    /// How often the supervisor applies the policy.
    pub interval: Duration,
}

impl DehydrationPolicy {
    /// A policy that never evicts.
    pub fn disabled() -> Self {
        Self {
            max_count: None,
            max_age: None,
            interval: Duration::from_secs(10),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.max_count.is_some() || self.max_age.is_some()
    }

    /// The keys to evict among `entries` (key, last used).
    pub fn select<K: Clone>(&self, now: Instant, entries: &[(K, Instant)]) -> Vec<K> {
        let mut victims = Vec::new();
        let mut kept: Vec<&(K, Instant)> = Vec::with_capacity(entries.len());
        for entry in entries {
            let idle = now.saturating_duration_since(entry.1);
            match self.max_age {
                Some(max_age) if idle > max_age => victims.push(entry.0.clone()),
                _ => kept.push(entry),
            }
        }
        if let Some(max_count) = self.max_count {
            if kept.len() > max_count {
                kept.sort_by_key(|entry| entry.1);
                let excess = kept.len() - max_count;
                victims.extend(kept[..excess].iter().map(|entry| entry.0.clone()));
            }
        }
        victims
    }
}

impl Default for DehydrationPolicy {
    fn default() -> Self {
        Self::disabled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_count: Option<usize>, max_age: Option<u64>) -> DehydrationPolicy {
        DehydrationPolicy {
            max_count,
            max_age: max_age.map(Duration::from_secs),
            interval: Duration::from_secs(1),
        }
    }

    #[test]
    fn disabled_policy_evicts_nothing() {
        let now = Instant::now();
        let entries = vec![(1, now - Duration::from_secs(3600))];
        assert!(DehydrationPolicy::disabled()
            .select(now, &entries)
            .is_empty());
        assert!(!DehydrationPolicy::disabled().is_enabled());
    }

    #[test]
    fn evicts_entities_idle_beyond_max_age() {
        let now = Instant::now() + Duration::from_secs(100);
        let entries = vec![
            (1, now - Duration::from_secs(30)),
            (2, now - Duration::from_secs(5)),
        ];
        assert_eq!(policy(None, Some(10)).select(now, &entries), vec![1]);
    }

    #[test]
    fn evicts_least_recently_used_beyond_max_count() {
        let now = Instant::now() + Duration::from_secs(100);
        let entries = vec![
            (1, now - Duration::from_secs(3)),
            (2, now - Duration::from_secs(9)),
            (3, now - Duration::from_secs(1)),
            (4, now - Duration::from_secs(7)),
        ];
        let mut victims = policy(Some(2), None).select(now, &entries);
        victims.sort();
        assert_eq!(victims, vec![2, 4]);
    }

    #[test]
    fn age_and_count_combine() {
        let now = Instant::now() + Duration::from_secs(100);
        let entries = vec![
            (1, now - Duration::from_secs(50)),
            (2, now - Duration::from_secs(4)),
            (3, now - Duration::from_secs(2)),
            (4, now - Duration::from_secs(1)),
        ];
        let mut victims = policy(Some(2), Some(20)).select(now, &entries);
        victims.sort();
        assert_eq!(victims, vec![1, 2]);
    }
}
