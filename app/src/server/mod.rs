//! Plugboard's server side: storage, accounts, the catalog, the OAuth authorization
//! server, installations, webhooks and the HTTP router.
//! Compiled only with the `ssr` feature; the WASM frontend never sees it.

pub mod accounts;
pub mod api;
pub mod catalog;
pub mod client_addr;
pub mod client_plugins;
pub mod publishing;
pub mod db;
pub mod developer_api;
pub mod http;
pub mod icons;
pub mod installations;
pub mod invites;
pub mod markdown;
pub mod members;
pub mod oauth;
pub mod outbound;
pub mod plugin_servers;
pub mod rate_limit;
pub mod registry;
pub mod reviews;
pub mod secrets;
pub mod settings;
pub mod scope;
pub mod staff;
pub mod state;
pub mod store;
pub mod upgrades;
pub mod vault;
pub mod webhooks;
pub mod work;

pub use scope::session;

pub use db::{Db, Dialect};
pub use state::{AppState, Settings};

/// Seconds since the Unix epoch: every stored time uses it.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A plugin address from a request: one that cannot be a slug names no plugin (404).
pub fn plugin_address(raw: &str) -> Result<crate::domain::PluginSlug, crate::error::AppError> {
    crate::domain::PluginSlug::parse(raw).map_err(|_| crate::error::AppError::NotFound("No plugin has this address.".into()))
}

/// Logs an internal failure with its context and gives the caller the safe error.
pub fn internal(context: &'static str) -> impl FnOnce(crate::server::store::Error) -> crate::error::AppError {
    move |err| {
        tracing::error!(error = %err, "{context}");
        crate::error::AppError::Internal
    }
}
