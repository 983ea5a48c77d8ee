use super::outbound::OutboundPolicy;
use super::webhooks::worker::WorkerConfig;
use super::Db;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// Settings read once at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Mark cookies `Secure` (set when Plugboard is served over https).
    pub secure_cookies: bool,
    /// A session unused for this long ends.
    pub session_idle_secs: i64,
    /// A session ends this long after sign-in, however active.
    pub session_absolute_secs: i64,
    /// Failed sign-ins allowed per email, and per client address, within the window.
    pub login_failures_per_email: i64,
    pub login_failures_per_ip: i64,
    pub login_window_secs: i64,
    /// The address people and plugins reach Plugboard at: the OAuth issuer and the base
    /// of the endpoints in its metadata.
    pub public_url: String,
    /// Refreshes one grant may make per minute (counted per grant, never per plugin).
    pub grant_refreshes_per_minute: i64,
    /// Failed client authentications allowed within the window per client id and source
    /// address together, and per source address; past either, that source hears 429.
    /// Credentials that verify are never refused for them.
    pub client_auth_failures_per_window: i64,
    pub client_auth_failures_per_source: i64,
    pub client_auth_window_secs: i64,
    /// Sign-ups allowed per client address within `signup_window_secs`.
    pub signups_per_address: i64,
    pub signup_window_secs: i64,
    /// Proxies whose `X-Forwarded-For` names the client (`PLUGBOARD_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<super::outbound::IpRange>,
    /// REST API requests per installation and minute.
    pub api_requests_per_minute: i64,
    /// Addresses outbound requests may reach besides public ones (tests: 127.0.0.1).
    pub outbound: Arc<OutboundPolicy>,
    /// Connect and answer timeout of a call to a plugin server.
    pub plugin_server_timeout: std::time::Duration,
    /// The webhook worker's settings; `None` runs no worker in this process.
    pub webhook_worker: Option<WorkerConfig>,
    /// How long a plugin has to finish a job it accepted (202).
    pub job_timeout_secs: i64,
    /// Every request is answered within this (503 past it).
    pub request_time_limit: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_idle_secs: 12 * 3600,
            session_absolute_secs: 30 * 24 * 3600,
            login_failures_per_email: 5,
            login_failures_per_ip: 30,
            login_window_secs: 15 * 60,
            public_url: "http://127.0.0.1:3000".into(),
            grant_refreshes_per_minute: 30,
            client_auth_failures_per_window: 10,
            client_auth_failures_per_source: 30,
            signups_per_address: 10,
            signup_window_secs: 3600,
            trusted_proxies: Vec::new(),
            client_auth_window_secs: 5 * 60,
            api_requests_per_minute: 600,
            outbound: Arc::new(OutboundPolicy::default()),
            webhook_worker: Some(WorkerConfig::default()),
            plugin_server_timeout: super::plugin_servers::client::TIMEOUT,
            job_timeout_secs: super::plugin_servers::jobs::DEFAULT_DEADLINE_SECS,
            request_time_limit: std::time::Duration::from_secs(30),
        }
    }
}

/// What every handler and server function can reach. Server functions get it
/// through Leptos context (leptos_axum provides the router state).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub settings: Arc<Settings>,
    /// Wakes this process's webhook worker when an event was queued.
    pub webhook_wakeup: Arc<tokio::sync::Notify>,
    /// Calls to plugin servers, and the licenses they reported lately.
    pub plugin_servers: super::plugin_servers::client::PluginServers,
    pub licenses: super::plugin_servers::license::LicenseCache,
    /// Seals what Plugboard must read back: tokens it holds for plugins' services.
    pub vault: Arc<super::vault::Vault>,
    /// Requests per installation in the current window, REST API and bridge calls alike.
    pub api_requests: Arc<super::rate_limit::BatchedCounter>,
    /// The published catalog in memory, for the marketplace grid.
    pub catalog: Arc<super::catalog::index::CatalogIndex>,
}

impl AppState {
    /// The state inside a server function or a server-rendered component.
    pub fn from_context() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            crate::error::AppError::Internal
        })
    }
}
