//! The browser's side of Connect: plain routes (they hand the browser to another site,
//! which a Leptos route cannot), each answering with a redirect.
//! - `POST /marketplace/{slug}/connect` (a form on Installed plugins; cross-origin posts are
//!   refused by the router) → the plugin's authorization page.
//! - `GET /marketplace/callback` → back to Installed plugins, connected or told why not.

use super::connections::{self, CallbackParams};
use super::service_oauth::CALLBACK_PATH;
use crate::server::secrets::sha256_hex;
use crate::server::{now, session, AppState};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/marketplace/{slug}/connect", post(connect))
        .route(CALLBACK_PATH, get(callback))
}

/// Back to Installed plugins with what happened: a code the page has a message for,
/// never text from the request.
fn back_to_installed(outcome: &str, slug: Option<&str>) -> Response {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair(if outcome == "connected" { "connected" } else { "connect_error" }, outcome);
    if let Some(slug) = slug {
        query.append_pair("plugin", slug);
    }
    Redirect::to(&format!("/installed?{}", query.finish())).into_response()
}

/// The signed-in user and the hash of their session, which the flow is bound to.
async fn who(state: &AppState, headers: &HeaderMap) -> Option<(crate::domain::SessionUser, String)> {
    let token = session::token_from_headers(headers)?;
    match session::resolve(&state.db, &state.settings, &token).await {
        Ok(user) => user.map(|u| (u, sha256_hex(&token))),
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            None
        }
    }
}

async fn connect(State(state): State<AppState>, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let Some((user, session_hash)) = who(&state, &headers).await else {
        return session::sign_in_first("/installed");
    };
    match connections::start(&state, &user, &session_hash, &slug, now()).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => {
            tracing::info!(plugin = %slug, error = %e, "Connect did not start");
            back_to_installed(e.code(), Some(&slug))
        }
    }
}

async fn callback(State(state): State<AppState>, Query(params): Query<CallbackParams>, headers: HeaderMap) -> Response {
    let Some((user, session_hash)) = who(&state, &headers).await else {
        return session::sign_in_first("/installed");
    };
    match connections::finish(&state, &user, &session_hash, &params, now()).await {
        Ok(slug) => back_to_installed("connected", Some(&slug)),
        Err((e, slug)) => {
            tracing::info!(error = %e, "a Connect callback was refused");
            back_to_installed(e.code(), slug.as_deref())
        }
    }
}
