//! The document a client-side plugin runs in, and the scripts it loads.
//!
//! The host page frames `/plugins/{slug}/frame` with `sandbox="allow-scripts"` (no
//! `allow-same-origin`), and the document's own CSP carries `sandbox allow-scripts` too, so
//! it has an opaque origin even when opened on its own: no cookies, no storage, no access
//! to Plugboard's pages. The CSP allows exactly two scripts (the bridge helper and the
//! plugin's bundle, each with its integrity hash) and, for the network, only the origins
//! the plugin declared.

use crate::server::plugin_servers::{Bundle, PluginInstall, Which};
use crate::server::{session, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha384};
use std::sync::LazyLock;

/// The bridge helper plugins call Plugboard through (documented at `/docs/api#client-plugins`).
pub const BRIDGE_SCRIPT: &str = include_str!("plugboard-bridge.js");
pub const BRIDGE_PATH: &str = "/bridge/v1.js";
static BRIDGE_INTEGRITY: LazyLock<String> = LazyLock::new(|| format!("sha384-{}", STANDARD.encode(Sha384::digest(BRIDGE_SCRIPT.as_bytes()))));

pub fn router() -> Router<AppState> {
    Router::new().route("/plugins/{slug}/frame", get(frame)).route(BRIDGE_PATH, get(bridge_script))
}

pub fn frame_path(slug: &str) -> String {
    format!("/plugins/{slug}/frame")
}

/// Plugboard's origin, as people's browsers reach it.
fn origin(state: &AppState) -> String {
    url::Url::parse(&state.settings.public_url).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
}

/// The frame document's policy.
pub fn content_security_policy(origin: &str, bundle: &Bundle, client_origins: &[String]) -> String {
    let network = if client_origins.is_empty() { "'none'".to_owned() } else { client_origins.join(" ") };
    format!(
        "default-src 'none'; script-src {origin}{BRIDGE_PATH} {origin}/bundles/{sha}.js; connect-src {network}; img-src data: {images}; \
         style-src 'unsafe-inline'; font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors {origin}; sandbox allow-scripts",
        sha = bundle.sha256,
        images = client_origins.join(" "),
    )
}

/// `GET /plugins/{slug}/frame`: for people whose organisation has the plugin installed.
async fn frame(State(state): State<AppState>, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let user = match session::user_of_request(&state, &headers).await {
        Ok(Some(user)) => user,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let install = match PluginInstall::find(&state.db, &user.scope(), Which::Slug(&slug)).await {
        Ok(install) => install,
        Err(e) => {
            tracing::error!(error = %e, "loading a plugin frame failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let Some((install, bundle)) = install.and_then(|i| i.bundle.clone().map(|b| (i, b))) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let origin = origin(&state);
    let csp = content_security_policy(&origin, &bundle, &install.client_origins);
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <style>body{{margin:0;padding:.75rem;font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",sans-serif;color:#1f2433;background:#fff}}</style>\
         <script src=\"{origin}{BRIDGE_PATH}\" integrity=\"{bridge}\" crossorigin=\"anonymous\" defer></script>\
         <script src=\"{origin}/bundles/{sha}.js\" integrity=\"{integrity}\" crossorigin=\"anonymous\" defer></script>\
         </head><body></body></html>",
        bridge = *BRIDGE_INTEGRITY,
        sha = bundle.sha256,
        integrity = bundle.integrity,
    );
    let mut response = Html(html).into_response();
    let h = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// `GET /bridge/v1.js`, loaded cross-origin by the sandboxed frames (hence CORS).
async fn bridge_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
        ],
        BRIDGE_SCRIPT,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_two_scripts_and_only_the_declared_origins() {
        let bundle = Bundle { sha256: "ab".repeat(32), integrity: "sha384-x".into() };
        let csp = content_security_policy("https://plugboard.example.com", &bundle, &[]);
        assert!(csp.contains(&format!("script-src https://plugboard.example.com/bridge/v1.js https://plugboard.example.com/bundles/{}.js;", "ab".repeat(32))));
        assert!(csp.contains("connect-src 'none';") && csp.contains("default-src 'none'") && csp.ends_with("sandbox allow-scripts"));
        assert!(!csp.contains("unsafe-eval") && !csp.contains("allow-same-origin"));
        let csp = content_security_policy("https://plugboard.example.com", &bundle, &["https://api.tasks.example".to_owned()]);
        assert!(csp.contains("connect-src https://api.tasks.example;"));
        assert!(BRIDGE_INTEGRITY.starts_with("sha384-"));
    }
}
