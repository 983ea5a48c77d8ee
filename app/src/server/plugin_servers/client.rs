//! Calls to a plugin server (DESIGN.md §6). Each carries a fresh JWT, goes only where the
//! outbound policy allows, and has a timeout; every failure becomes a `CallError` whose
//! message a page can show as it is (no internals, no secrets).

use super::jwt::{self, HostClaims};
use crate::server::outbound::{self, OutboundPolicy};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// The default for connecting and answering together (DESIGN.md §6).
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// How much of an answer is read; more is a bad answer.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Which plugin server to call, as whom.
#[derive(Debug, Clone)]
pub struct Target {
    pub server_url: String,
    /// The `{pluginId}` of the contract's paths.
    pub slug: String,
    pub client_id: String,
    /// The plugin's `whsec_…` secret, which signs the JWT.
    pub signing_secret: String,
    pub user_id: i64,
    pub tenant_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("The plugin's server cannot be reached.")]
    Unreachable,
    #[error("The plugin's server did not answer in time.")]
    Timeout,
    #[error("The plugin's server refused the request ({0}).")]
    Status(u16),
    #[error("The plugin's server gave an answer Plugboard cannot read.")]
    BadAnswer,
    #[error("The plugin's server address is not allowed: {0}")]
    NotAllowed(String),
    #[error("The plugin cannot sign requests: its signing secret is missing or malformed.")]
    CannotSign,
}

/// `GET /plugins/licenseStatus/{pluginId}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseStatus {
    pub license_status: bool,
    #[serde(default)]
    pub license_status_description: String,
    #[serde(default)]
    pub error_message: Option<String>,
}

#[derive(Deserialize)]
struct AuthCheck {
    successful: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthUrl {
    auth_url: String,
}

/// A request that got no answer: too slow, or nobody there.
fn transport(err: reqwest::Error) -> CallError {
    if err.is_timeout() { CallError::Timeout } else { CallError::Unreachable }
}

#[derive(Clone)]
pub struct PluginServers {
    http: reqwest::Client,
    policy: Arc<OutboundPolicy>,
}

impl PluginServers {
    pub fn new(policy: Arc<OutboundPolicy>, timeout: Duration) -> Self {
        Self { http: outbound::client(policy.clone(), timeout), policy }
    }

    fn url(&self, target: &Target, path: &str) -> Result<url::Url, CallError> {
        let base = target.server_url.trim_end_matches('/');
        self.policy.check_url(&format!("{base}{path}")).map_err(CallError::NotAllowed)
    }

    fn token(target: &Target, now: i64) -> Result<String, CallError> {
        let claims = HostClaims::new(&target.client_id, target.user_id, target.tenant_id, now);
        jwt::mint(&target.signing_secret, &claims).map_err(|_| CallError::CannotSign)
    }

    /// The HTTP client every outbound call to a plugin uses (the OAuth client's token
    /// requests too): permitted addresses only, no redirects, the timeout.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// An answer's status and body (at most `MAX_ANSWER_BYTES`).
    async fn exchange(&self, request: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), CallError> {
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if body.len() > MAX_ANSWER_BYTES {
                        return Err(CallError::BadAnswer);
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(transport(e)),
            }
        }
        Ok((status, body))
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, CallError> {
        match self.exchange(request).await? {
            (200..=299, body) => serde_json::from_slice(&body).map_err(|_| CallError::BadAnswer),
            (status, _) => Err(CallError::Status(status)),
        }
    }

    async fn get<T: DeserializeOwned>(&self, target: &Target, path: &str, now: i64) -> Result<T, CallError> {
        let url = self.url(target, &format!("{path}/{}", target.slug))?;
        self.send(self.http.get(url).bearer_auth(Self::token(target, now)?)).await
    }

    pub async fn license_status(&self, target: &Target, now: i64) -> Result<LicenseStatus, CallError> {
        self.get(target, "/plugins/licenseStatus", now).await
    }

    pub async fn check_auth(&self, target: &Target, now: i64) -> Result<bool, CallError> {
        self.get::<AuthCheck>(target, "/plugins/checkAuth", now).await.map(|a| a.successful)
    }

    /// Where Connect sends the user: an absolute https URL (http only on loopback).
    pub async fn auth_url(&self, target: &Target, now: i64) -> Result<String, CallError> {
        let answer: AuthUrl = self.get(target, "/plugins/generateAuthUrl", now).await?;
        crate::server::outbound::parse_link(&answer.auth_url).map_err(|_| CallError::BadAnswer)
    }

    /// `POST /plugins/logout/{pluginId}` with `{"jwtToken": …}`.
    pub async fn logout(&self, target: &Target, now: i64) -> Result<(), CallError> {
        let url = self.url(target, &format!("/plugins/logout/{}", target.slug))?;
        let token = Self::token(target, now)?;
        let request = self.http.post(url).bearer_auth(&token).json(&serde_json::json!({ "jwtToken": token }));
        // The answer's body, if any, is not needed.
        match self.exchange(request).await? {
            (200..=299, _) => Ok(()),
            (status, _) => Err(CallError::Status(status)),
        }
    }

    /// `POST /plugin/{pluginId}` with content: a 200 answers at once, a 202 accepts it as
    /// the job `job_id`, which the plugin finishes later through the REST API.
    pub async fn process(&self, target: &Target, body: &serde_json::Value, job_id: &str, now: i64) -> Result<Processed, CallError> {
        let url = self.url(target, &format!("/plugin/{}", target.slug))?;
        let request = self.http.post(url).bearer_auth(Self::token(target, now)?).json(body);
        match self.exchange(request).await? {
            (202, body) => {
                // The plugin may name the job back; it must be the one it was given.
                let named = serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|v| v["jobId"].as_str().map(str::to_owned));
                match named {
                    Some(other) if other != job_id => Err(CallError::BadAnswer),
                    _ => Ok(Processed::Accepted),
                }
            }
            (204, _) => Ok(Processed::Done(serde_json::Value::Null)),
            (200..=299, body) => serde_json::from_slice(&body).map(Processed::Done).map_err(|_| CallError::BadAnswer),
            (status, _) => Err(CallError::Status(status)),
        }
    }
}

/// A plugin's answer to content.
#[derive(Debug, Clone, PartialEq)]
pub enum Processed {
    /// Done: the plugin's answer.
    Done(serde_json::Value),
    /// Working on it: the answer comes to `/api/v1/jobs/{jobId}`.
    Accepted,
}
