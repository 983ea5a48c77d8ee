//! The browser's side of Connect: plain routes (they hand the browser to another site,
//! which a Leptos route cannot), each answering with a redirect.
//! - `POST /marketplace/{slug}/connect` (a form on Installed plugins; cross-origin posts are
//!   refused by the router) → the plugin's authorization page.
//! - `GET /marketplace/callback/{slug}` → back to Installed plugins, connected or told why not.
//!   Each plugin's service answers at its own address, so an answer cannot be passed off
//!   as another plugin's (the OAuth "mix-up" attack, RFC 9700 §4.4).

use super::connections::{self, CallbackParams};
use crate::server::{now, session, AppState};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/marketplace/{slug}/connect", post(connect))
        .route("/marketplace/callback/{slug}", get(callback))
}

/// Back to Installed plugins with what happened: a code the page has a message for,
/// never text from the request.
fn back_to_installed(outcome: &str, slug: Option<&str>) -> Response {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if outcome == "connected" {
        query.append_pair("connected", "1");
    } else {
        query.append_pair("connect_error", outcome);
    }
    if let Some(slug) = slug {
        query.append_pair("plugin", slug);
    }
    Redirect::to(&format!("/installed?{}", query.finish())).into_response()
}

/// The signed-in user and the hash of their session (which the flow is bound to); else
/// the answer to give: sign in first, or a server error.
async fn who(state: &AppState, headers: &HeaderMap) -> Result<(crate::server::scope::Member, String), Response> {
    match session::session_of_request(state, headers).await {
        Ok(Some(session)) => Ok(session),
        Ok(None) => Err(session::sign_in_first("/installed")),
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            Err(axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

async fn connect(State(state): State<AppState>, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let (user, session_hash) = match who(&state, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match connections::start(&state, &user, &session_hash, &slug, now()).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => {
            tracing::info!(plugin = %slug, error = %e, "Connect did not start");
            back_to_installed(e.code(), Some(&slug))
        }
    }
}

async fn callback(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Query<CallbackParams>,
    headers: HeaderMap,
) -> Response {
    let (user, session_hash) = match who(&state, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match connections::finish(&state, &user, &session_hash, &slug, &params, now()).await {
        Ok(slug) => back_to_installed("connected", Some(&slug)),
        Err((e, slug)) => {
            tracing::info!(error = %e, "a Connect callback was refused");
            back_to_installed(e.code(), slug.as_deref())
        }
    }
}
