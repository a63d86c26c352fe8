//! Failed logins, counted per client address and per user within a sliding window: once
//! either has reached the limit, further attempts are refused without being checked until
//! the oldest failure leaves the window. Only users that exist are counted by name, and
//! addresses whose failures have all left the window are forgotten, so the table stays
//! small whatever names an attacker tries.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use super::{Denied, LoginLimit};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client(IpAddr),
    User(String),
}

/// The failed logins of the last window.
pub struct FailedLogins {
    limit: LoginLimit,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl FailedLogins {
    pub fn new(limit: LoginLimit) -> Self {
        Self {
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses when `client` or `user` has failed too often lately.
    pub fn check(&self, client: Option<IpAddr>, user: Option<&str>) -> Result<(), Denied> {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("failed logins lock");
        for key in keys(client, user) {
            let Some(times) = failures.get_mut(&key) else {
                continue;
            };
            self.forget_old(times, now);
            if times.len() >= self.limit.max_failures as usize {
                let oldest = *times.front().expect("at least one failure");
                let retry_after = self.limit.window.saturating_sub(now - oldest);
                return Err(Denied::TooManyFailures { retry_after });
            }
        }
        Ok(())
    }

    /// Counts a failure of `client`, and of `user` (a user that exists).
    pub fn record(&self, client: Option<IpAddr>, user: Option<&str>) {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("failed logins lock");
        failures.retain(|_, times| {
            self.forget_old(times, now);
            !times.is_empty()
        });
        for key in keys(client, user) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    fn forget_old(&self, times: &mut VecDeque<Instant>, now: Instant) {
        while times
            .front()
            .is_some_and(|&time| now - time >= self.limit.window)
        {
            times.pop_front();
        }
    }
}

fn keys(client: Option<IpAddr>, user: Option<&str>) -> impl Iterator<Item = Key> {
    client
        .map(Key::Client)
        .into_iter()
        .chain(user.map(|user| Key::User(user.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_limit_applies_per_address_and_per_user() {
        let limiter = FailedLogins::new(LoginLimit {
            max_failures: 2,
            window: Duration::from_secs(60),
        });
        let (one, two) = ("10.0.0.1".parse().ok(), "10.0.0.2".parse().ok());
        limiter.record(one, Some("ann"));
        assert_eq!(limiter.check(one, Some("ann")), Ok(()));
        limiter.record(one, None);
        assert!(matches!(
            limiter.check(one, None),
            Err(Denied::TooManyFailures { .. })
        ));
        assert_eq!(limiter.check(two, Some("bob")), Ok(()));
        limiter.record(two, Some("ann"));
        assert!(limiter.check(two, Some("ann")).is_err());
        assert_eq!(limiter.check(two, Some("bob")), Ok(()));
    }

    #[test]
    fn failures_leave_the_window_and_the_table() {
        let limiter = FailedLogins::new(LoginLimit {
            max_failures: 1,
            window: Duration::ZERO,
        });
        let client = "10.0.0.1".parse().ok();
        limiter.record(client, None);
        assert_eq!(limiter.check(client, None), Ok(()));
        limiter.record(client, None);
        let failures = limiter.failures.lock().unwrap();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[&Key::Client(client.unwrap())].len(), 1);
    }
}
