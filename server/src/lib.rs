//! Wires Plugboard together: configuration from the environment, the database,
//! the router, and a server that shuts down cleanly.

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
    /// `PLUGBOARD_SECURE_COOKIES=1` when served over https.
    pub secure_cookies: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {value:?}")]
    Invalid { name: &'static str, value: String },
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| default.to_owned())
}

fn parse_env<T: std::str::FromStr>(name: &'static str, default: &str) -> Result<T, ConfigError> {
    let value = env_or(name, default);
    value.trim().parse().map_err(|_| ConfigError::Invalid { name, value })
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            database_url: env_or("DATABASE_URL", DEFAULT_DATABASE_URL),
            max_connections: parse_env("DATABASE_MAX_CONNECTIONS", "10")?,
            site_addr: parse_env("LEPTOS_SITE_ADDR", "127.0.0.1:3000")?,
            site_root: env_or("LEPTOS_SITE_ROOT", "target/site"),
            output_name: env_or("LEPTOS_OUTPUT_NAME", "plugboard"),
            secure_cookies: matches!(env_or("PLUGBOARD_SECURE_COOKIES", "0").as_str(), "1" | "true" | "yes"),
        })
    }

    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name(self.output_name.as_str())
            .site_root(self.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(self.site_addr)
            .build()
    }

    pub fn settings(&self) -> Settings {
        Settings { secure_cookies: self.secure_cookies, ..Settings::default() }
    }
}

/// Connects and brings the schema up to date.
pub async fn open_database(config: &Config) -> Result<Db, app::server::db::DbError> {
    let db = Db::connect(&config.database_url, config.max_connections).await?;
    db.migrate().await?;
    Ok(db)
}

pub fn app_state(config: &Config, db: Db) -> AppState {
    AppState { leptos_options: config.leptos_options(), db, settings: Arc::new(config.settings()) }
}

/// Serves on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = http::router(state);
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
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
