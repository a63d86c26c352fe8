//! # Who may read the metrics: `[server] metrics`
//!
//! `GET /metrics` answers the server's metrics in Prometheus' text format (see
//! [`crate::metrics`]). Scrapers seldom present credentials, so it is open by default; it
//! can require the management API's role viewer instead, or be turned off.

use serde::Deserialize;

/// `[server] metrics`.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MetricsAccess {
    /// Anyone may read them.
    #[default]
    Open,
    /// Only the users and tokens of `[auth]` with the role viewer or above.
    Viewer,
    /// Not served: `GET /metrics` answers 404.
    Off,
}

#[cfg(test)]
mod tests {
    use crate::config::Configuration;

    use super::MetricsAccess;

    fn read(text: &str) -> Result<MetricsAccess, toml::de::Error> {
        toml::from_str::<Configuration>(text).map(|configuration| configuration.server.metrics)
    }

    #[test]
    fn each_access_is_named_in_lower_case() {
        assert_eq!(read("").unwrap(), MetricsAccess::Open);
        assert_eq!(
            read("[server]\nmetrics = \"open\"").unwrap(),
            MetricsAccess::Open
        );
        assert_eq!(
            read("[server]\nmetrics = \"viewer\"").unwrap(),
            MetricsAccess::Viewer
        );
        assert_eq!(
            read("[server]\nmetrics = \"off\"").unwrap(),
            MetricsAccess::Off
        );
        assert!(read("[server]\nmetrics = \"Viewer\"").is_err());
        assert!(read("[server]\nmetrics = true").is_err());
    }
}
