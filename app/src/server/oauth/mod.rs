//! Plugboard as OAuth 2.0 authorization server: installing a plugin is an
//! authorization code grant with PKCE (DESIGN.md §4).
//!
//! - `authorize`: the consent screen (front channel) and the Install button's launch;
//! - `endpoints`: token, revocation, introspection and metadata (back channel);
//! - `grants`: codes, grants and tokens, free of HTTP;
//! - `client_auth`, `params`, `pkce`, `redirect_uri`, `error`, `pages`: their parts.

mod authorize;
mod client_auth;
mod endpoints;
mod error;
pub mod grants;
pub mod pages;
mod params;
pub mod pkce;
pub mod redirect_uri;

pub use authorize::{is_waiting, resume_after_settings, ResumeError};
pub use error::OAuthError;

use super::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/authorize", get(authorize::show_consent).post(authorize::answer_consent))
        .route("/oauth/token", post(endpoints::token))
        .route("/oauth/revoke", post(endpoints::revoke))
        .route("/oauth/introspect", post(endpoints::introspect))
        .route("/.well-known/oauth-authorization-server", get(endpoints::metadata))
        .route("/marketplace/{slug}/install", get(authorize::launch_install))
}
