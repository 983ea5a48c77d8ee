//! Wires Plugboard together: configuration from the environment, the database,
//! the router, and a server that shuts down cleanly.

pub mod assets;
pub mod developer_cli;
pub mod fixtures;
pub mod scratch;
pub mod seed;

use app::server::outbound::{parse_allowlist, IpRange, OutboundPolicy};
use app::server::plugin_servers::client::PluginServers;
use app::server::plugin_servers::license::LicenseCache;
use app::server::vault::Vault;
use app::server::webhooks::worker::{Worker, WorkerConfig};
use app::server::{http, AppState, Db, Settings};
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Where the SQLite file lives when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/plugboard.db";

/// Everything read from the environment, each with its default.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` (default 10).
    pub max_connections: u32,
    /// `LEPTOS_SITE_ADDR` (default 127.0.0.1:3000), as cargo-leptos sets it.
    pub site_addr: SocketAddr,
    /// `LEPTOS_SITE_ROOT` (default `target/site`): the built WASM, CSS and public files.
    pub site_root: String,
    /// `LEPTOS_OUTPUT_NAME` (default `plugboard`).
    pub output_name: String,
    /// `LEPTOS_HASH_FILES`: the built assets carry a hash in their names, listed in
    /// `hash.txt` beside the binary (cargo-leptos writes it). Default: whether that file
    /// is there, so a binary rebuilt by plain cargo (a bench) still names the same files.
    pub hash_files: bool,
    /// `PLUGBOARD_SECURE_COOKIES=1` when served over https.
    pub secure_cookies: bool,
    /// `PLUGBOARD_PUBLIC_URL` (default `http://` + the listen address): the OAuth issuer.
    pub public_url: Option<String>,
    /// `PLUGBOARD_OUTBOUND_ALLOWLIST`: non-public addresses or CIDR blocks that webhooks
    /// may reach, comma-separated (e.g. `127.0.0.1` for local plugins). Default: none.
    pub outbound_allowlist: Vec<IpRange>,
    /// `PLUGBOARD_WEBHOOK_TIMEOUT_SECS` (default 15) per delivery attempt.
    pub webhook_timeout_secs: u64,
    /// `PLUGBOARD_WEBHOOK_LEASE_SECS` (default 60): after this, an event whose worker
    /// died is delivered by another.
    pub webhook_lease_secs: i64,
    /// `PLUGBOARD_WEBHOOK_RETENTION_DAYS` (default 30): finished deliveries older than
    /// this are deleted by the worker, with their attempts.
    pub webhook_retention_days: i64,
    /// `PLUGBOARD_WEBHOOK_WORKER=0` runs no webhook worker in this process.
    pub webhook_worker: bool,
    /// `PLUGBOARD_GRANT_REFRESHES_PER_MINUTE` (default 30): refreshes per grant and minute.
    pub grant_refreshes_per_minute: i64,
    /// `PLUGBOARD_TRUSTED_PROXIES`: addresses or CIDR blocks of reverse proxies whose
    /// `X-Forwarded-For` names the client. Default: none (the socket's peer is the client).
    pub trusted_proxies: Vec<IpRange>,
    /// `PLUGBOARD_REQUEST_TIMEOUT_SECS` (default 30): every request is answered within it.
    pub request_timeout_secs: u64,
    /// `PLUGBOARD_API_REQUESTS_PER_MINUTE` (default 600): REST API calls per installation.
    pub api_requests_per_minute: i64,
    /// `PLUGBOARD_JOB_TIMEOUT_SECS` (default 600): how long a plugin has to finish a Run it accepted.
    pub job_timeout_secs: i64,
    /// `PLUGBOARD_ENV=production`: refuse to start without the settings production needs.
    pub production: bool,
    /// From `PLUGBOARD_TOKEN_KEY` (32 bytes, base64): seals the tokens Plugboard holds for
    /// plugins' services. Required in production; in development a key for this process only.
    pub vault: Vault,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {value:?}")]
    Invalid { name: &'static str, value: String },
    #[error(transparent)]
    Vault(#[from] app::server::vault::VaultError),
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| default.to_owned())
}

fn parse_env<T: std::str::FromStr>(name: &'static str, default: &str) -> Result<T, ConfigError> {
    let value = env_or(name, default);
    value.trim().parse().map_err(|_| ConfigError::Invalid { name, value })
}

/// Whether cargo-leptos left `hash.txt` (the built assets' hashes) beside this binary,
/// where Leptos reads it.
fn hash_file_beside_binary() -> bool {
    std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").exists())).unwrap_or(false)
}

fn flag(name: &str, default: bool) -> bool {
    match std::env::var(name).map(|v| v.trim().to_ascii_lowercase()) {
        Ok(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => true,
        Ok(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => false,
        _ => default,
    }
}

impl Config {
    /// Settings a test or a benchmark starts from: no environment read.
    pub fn for_database(database_url: String) -> Self {
        Self {
            database_url,
            max_connections: 5,
            site_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            site_root: "target/site".into(),
            output_name: "plugboard".into(),
            hash_files: false,
            secure_cookies: false,
            public_url: None,
            outbound_allowlist: Vec::new(),
            webhook_timeout_secs: 15,
            webhook_lease_secs: 60,
            webhook_retention_days: 30,
            webhook_worker: true,
            grant_refreshes_per_minute: 30,
            trusted_proxies: Vec::new(),
            request_timeout_secs: 30,
            api_requests_per_minute: 600,
            job_timeout_secs: app::server::plugin_servers::jobs::DEFAULT_DEADLINE_SECS,
            production: false,
            vault: Vault::ephemeral(),
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        let production = match env_or("PLUGBOARD_ENV", "development").trim().to_ascii_lowercase().as_str() {
            "production" | "prod" => true,
            "development" | "dev" | "test" => false,
            other => return Err(ConfigError::Invalid { name: "PLUGBOARD_ENV", value: other.to_owned() }),
        };
        let vault = Vault::from_config(std::env::var("PLUGBOARD_TOKEN_KEY").ok().as_deref(), production)?;
        Ok(Self {
            database_url: env_or("DATABASE_URL", DEFAULT_DATABASE_URL),
            max_connections: parse_env("DATABASE_MAX_CONNECTIONS", "10")?,
            site_addr: parse_env("LEPTOS_SITE_ADDR", "127.0.0.1:3000")?,
            site_root: env_or("LEPTOS_SITE_ROOT", "target/site"),
            output_name: env_or("LEPTOS_OUTPUT_NAME", "plugboard"),
            hash_files: match std::env::var("LEPTOS_HASH_FILES") {
                Ok(_) => flag("LEPTOS_HASH_FILES", false),
                Err(_) => hash_file_beside_binary(),
            },
            // Production is served over https: its cookies are Secure whatever the flag says.
            secure_cookies: production || flag("PLUGBOARD_SECURE_COOKIES", false),
            public_url: std::env::var("PLUGBOARD_PUBLIC_URL").ok().filter(|v| !v.trim().is_empty()),
            outbound_allowlist: {
                let raw = env_or("PLUGBOARD_OUTBOUND_ALLOWLIST", "");
                parse_allowlist(&raw).map_err(|_| ConfigError::Invalid { name: "PLUGBOARD_OUTBOUND_ALLOWLIST", value: raw })?
            },
            webhook_timeout_secs: parse_env("PLUGBOARD_WEBHOOK_TIMEOUT_SECS", "15")?,
            webhook_lease_secs: parse_env("PLUGBOARD_WEBHOOK_LEASE_SECS", "60")?,
            webhook_retention_days: parse_env("PLUGBOARD_WEBHOOK_RETENTION_DAYS", "30")?,
            webhook_worker: flag("PLUGBOARD_WEBHOOK_WORKER", true),
            grant_refreshes_per_minute: parse_env("PLUGBOARD_GRANT_REFRESHES_PER_MINUTE", "30")?,
            trusted_proxies: {
                let raw = env_or("PLUGBOARD_TRUSTED_PROXIES", "");
                parse_allowlist(&raw).map_err(|_| ConfigError::Invalid { name: "PLUGBOARD_TRUSTED_PROXIES", value: raw })?
            },
            request_timeout_secs: parse_env("PLUGBOARD_REQUEST_TIMEOUT_SECS", "30")?,
            api_requests_per_minute: parse_env("PLUGBOARD_API_REQUESTS_PER_MINUTE", "600")?,
            job_timeout_secs: parse_env("PLUGBOARD_JOB_TIMEOUT_SECS", "600")?,
            production,
            vault,
        })
    }

    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name(self.output_name.as_str())
            .site_root(self.site_root.as_str())
            .site_pkg_dir("pkg")
            .hash_files(self.hash_files)
            .site_addr(self.site_addr)
            .build()
    }

    /// Where outbound requests may go: public addresses and the allowlist.
    pub fn outbound_policy(&self) -> OutboundPolicy {
        OutboundPolicy { allowlist: self.outbound_allowlist.clone() }
    }

    pub fn settings(&self) -> Settings {
        let worker = WorkerConfig {
            timeout: std::time::Duration::from_secs(self.webhook_timeout_secs),
            lease_secs: self.webhook_lease_secs,
            retention_secs: self.webhook_retention_days.max(1) * 86_400,
            ..WorkerConfig::default()
        };
        Settings {
            secure_cookies: self.secure_cookies,
            public_url: self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.site_addr)),
            outbound: Arc::new(self.outbound_policy()),
            webhook_worker: self.webhook_worker.then_some(worker),
            grant_refreshes_per_minute: self.grant_refreshes_per_minute,
            trusted_proxies: self.trusted_proxies.clone(),
            request_time_limit: std::time::Duration::from_secs(self.request_timeout_secs),
            api_requests_per_minute: self.api_requests_per_minute,
            job_timeout_secs: self.job_timeout_secs,
            ..Settings::default()
        }
    }
}

/// Connects and brings the schema up to date.
pub async fn open_database(config: &Config) -> Result<Db, app::server::db::DbError> {
    let db = Db::connect(&config.database_url, config.max_connections).await?;
    db.migrate().await?;
    let sealed = app::server::registry::seal_legacy_signing_secrets(&db, &config.vault).await.map_err(app::server::db::DbError::SealSecrets)?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed plugins' signing secrets stored in plain by an earlier version");
    }
    Ok(db)
}

pub fn app_state(config: &Config, db: Db) -> AppState {
    let settings = config.settings();
    let plugin_servers = PluginServers::new(settings.outbound.clone(), settings.plugin_server_timeout);
    AppState {
        leptos_options: config.leptos_options(),
        db: db.clone(),
        settings: Arc::new(settings),
        webhook_wakeup: Arc::new(tokio::sync::Notify::new()),
        plugin_servers,
        licenses: LicenseCache::default(),
        vault: Arc::new(config.vault.clone()),
        api_requests: app::server::rate_limit::BatchedCounter::new(db.clone(), app::server::api::WINDOW_SECS),
        catalog: Arc::default(),
    }
}

/// Serves on `listener` until `shutdown` resolves, with this process's webhook worker
/// running beside the router (stopped with it; its leased events go to the next worker).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Aborted when serving ends, or when this future is dropped.
    let _worker = state.settings.webhook_worker.clone().map(|config| {
        let worker = Worker::new(state.db.clone(), state.settings.outbound.clone(), state.vault.clone(), config);
        AbortOnDrop(tokio::spawn(worker.run(state.webhook_wakeup.clone())))
    });
    // The marketplace's index is loaded before the first visitor, not by them.
    if let Err(err) = app::server::catalog::catch_up(&state.db, &state.catalog).await {
        tracing::error!(error = %err, "loading the catalog index failed; the first marketplace request loads it");
    }
    let router = http::router(state);
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `PLUGBOARD_ENV=production` is served over https: its cookies are `Secure` even when
    /// `PLUGBOARD_SECURE_COOKIES` says otherwise. (nextest runs each test in a process of
    /// its own, so the environment set here is this test's alone.)
    #[test]
    fn production_implies_secure_cookies() {
        std::env::set_var("PLUGBOARD_ENV", "production");
        std::env::set_var("PLUGBOARD_TOKEN_KEY", "dGVzdC1vbmx5LWtleS0zMi1ieXRlcy1sb25nLW9rISE=");
        std::env::set_var("PLUGBOARD_SECURE_COOKIES", "0");
        let config = Config::from_env().expect("config");
        assert!(config.production && config.secure_cookies);
        std::env::set_var("PLUGBOARD_ENV", "development");
        assert!(!Config::from_env().expect("config").secure_cookies);
    }
}
