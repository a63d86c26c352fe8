//! The command line's side of the management API: calls a running server over HTTP.

use super::{
    ErrorBody, FailureList, InstanceList, InstanceView, Operated, ProcessList, Settled, Timeline,
    PREFIX,
};
use crate::auth::Presented;
use crate::runtime::step::{OperatorAction, RecoveryAction};

/// Why a management call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the server at {url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error(
        "the server refused ({status}): {reason}; log in with BATON_TOKEN, or BATON_USER and \
         BATON_PASSWORD"
    )]
    Unauthorized { status: u16, reason: String },
    #[error("the server refused ({status}): {reason}")]
    Refused { status: u16, reason: String },
    #[error("the server's answer ({status}) is not what the management API answers: {reason}")]
    Unexpected { status: u16, reason: String },
}

/// A client of one server's management API.
pub struct AdminClient {
    base_url: String,
    http: reqwest::Client,
    credentials: Option<Presented>,
}

impl AdminClient {
    /// A client of the server at `base_url` (`http://host:port`) that presents `credentials`.
    pub fn new(base_url: &str, credentials: Option<Presented>) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            credentials,
        }
    }

    /// The failed activities of instance `instance`.
    pub async fn failures(&self, instance: i64) -> Result<FailureList, ClientError> {
        let url = format!("{}{PREFIX}/instances/{instance}/failures", self.base_url);
        self.answer(self.http.get(&url), &url).await
    }

    /// Settles the failed activity of `exchange` of instance `instance` with `action`.
    pub async fn settle(
        &self,
        instance: i64,
        exchange: &str,
        action: RecoveryAction,
    ) -> Result<Settled, ClientError> {
        let url = format!(
            "{}{PREFIX}/instances/{instance}/failures/{exchange}/{}",
            self.base_url,
            action.as_str()
        );
        self.answer(self.http.post(&url), &url).await
    }

    /// Instance `instance`: its status, and why it is suspended or failed.
    pub async fn instance(&self, instance: i64) -> Result<InstanceView, ClientError> {
        let url = format!("{}{PREFIX}/instances/{instance}", self.base_url);
        self.answer(self.http.get(&url), &url).await
    }

    /// Suspends, resumes or terminates instance `instance`.
    pub async fn operate(
        &self,
        instance: i64,
        action: OperatorAction,
    ) -> Result<Operated, ClientError> {
        let url = format!(
            "{}{PREFIX}/instances/{instance}/{}",
            self.base_url,
            action.as_str()
        );
        self.answer(self.http.post(&url), &url).await
    }

    /// A page of the instances the instance filter `filter` selects, in the order `order`:
    /// at most `limit`, going on after the page whose `next` was `cursor`.
    pub async fn instances(
        &self,
        filter: &str,
        order: &str,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<InstanceList, ClientError> {
        let limit = limit.to_string();
        let mut query = vec![
            ("filter", filter),
            ("order", order),
            ("limit", limit.as_str()),
        ];
        query.extend(cursor.map(|cursor| ("cursor", cursor)));
        let url = self.listing_url("/instances", &query);
        self.answer(self.http.get(&url), &url).await
    }

    /// The deployed process versions the process filter `filter` selects, in the order
    /// `order`.
    pub async fn processes(&self, filter: &str, order: &str) -> Result<ProcessList, ClientError> {
        let url = self.listing_url("/processes", &[("filter", filter), ("order", order)]);
        self.answer(self.http.get(&url), &url).await
    }

    /// A page of instance `instance`'s events, oldest first: at most `limit`, going on after
    /// the page whose `next` was `after`.
    pub async fn timeline(
        &self,
        instance: i64,
        limit: u32,
        after: Option<i64>,
    ) -> Result<Timeline, ClientError> {
        let (limit, after) = (limit.to_string(), after.map(|after| after.to_string()));
        let mut query = vec![("limit", limit.as_str())];
        query.extend(after.as_deref().map(|after| ("after", after)));
        let url = self.listing_url(&format!("/instances/{instance}/events"), &query);
        self.answer(self.http.get(&url), &url).await
    }

    /// The URL of the API's `path` with the query string of `query`.
    fn listing_url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        format!("{}{PREFIX}{path}?{encoded}", self.base_url)
    }

    async fn answer<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<T, ClientError> {
        let unreachable = |source| ClientError::Unreachable {
            url: url.to_owned(),
            source,
        };
        let request = match &self.credentials {
            Some(credentials) => request.header("Authorization", credentials.header()),
            None => request,
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(unreachable)?;
        let unexpected = |reason: String| ClientError::Unexpected { status, reason };
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|error| unexpected(error.to_string()));
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(refusal) if status == 401 => Err(ClientError::Unauthorized {
                status,
                reason: refusal.error,
            }),
            Ok(refusal) => Err(ClientError::Refused {
                status,
                reason: refusal.error,
            }),
            Err(_) => Err(unexpected(String::from_utf8_lossy(&body).into_owned())),
        }
    }
}
