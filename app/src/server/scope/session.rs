//! Server-side sessions: the cookie carries 256 random bits, the database keeps only
//! their SHA-256, so a leaked database does not leak live sessions.

use super::Member;
use crate::server::accounts::Authenticated;
use crate::server::store::{self, sessions};
use crate::server::{now, AppState, Db, Settings};
use crate::error::AppError;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

pub const COOKIE_NAME: &str = "pb_session";
/// Touch `last_seen_at` at most this often, so reads do not turn into writes.
const TOUCH_EVERY_SECS: i64 = 60;

fn hash_token(token: &str) -> String {
    crate::server::secrets::sha256_hex(token)
}

/// Starts a session for a person who just signed in or up, and returns the cookie value.
pub async fn create(db: &Db, person: Authenticated) -> Result<String, store::Error> {
    let token = crate::server::secrets::random_hex(32);
    sessions::insert(db, &hash_token(&token), person.user(), now()).await?;
    Ok(token)
}

pub async fn delete(db: &Db, token: &str) -> Result<(), store::Error> {
    sessions::delete(db, &hash_token(token)).await
}

/// The member a session token signs in, if the session is still valid (an expired one
/// is deleted).
pub async fn resolve(db: &Db, settings: &Settings, token: &str) -> Result<Option<Member>, store::Error> {
    let id_hash = hash_token(token);
    let Some(session) = sessions::find(db, &id_hash).await? else { return Ok(None) };
    let t = now();
    if t - session.last_seen_at > settings.session_idle_secs || t - session.created_at > settings.session_absolute_secs {
        sessions::delete(db, &id_hash).await?;
        return Ok(None);
    }
    if t - session.last_seen_at >= TOUCH_EVERY_SECS {
        sessions::touch(db, &id_hash, t).await?;
    }
    Ok(Some(Member::new(session.user)))
}

/// The session token in a request's cookies.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub fn set_cookie_header(settings: &Settings, token: &str) -> HeaderValue {
    let secure = if settings.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        settings.session_absolute_secs
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("pb_session=; Path=/; Max-Age=0"))
}

pub fn clear_cookie_header() -> HeaderValue {
    HeaderValue::from_static("pb_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Who is signed in, for a server function or a server-rendered page.
pub async fn current_user() -> Result<Option<Member>, AppError> {
    let state = AppState::from_context()?;
    let headers: HeaderMap = leptos_axum::extract().await.map_err(|e| {
        tracing::error!(error = %e, "could not read request headers");
        AppError::Internal
    })?;
    match token_from_headers(&headers) {
        None => Ok(None),
        Some(token) => resolve(&state.db, &state.settings, &token)
            .await
            .map_err(crate::server::internal("session lookup failed")),
    }
}

/// The signed-in user of a plain (non-Leptos) request.
pub async fn user_of_request(state: &AppState, headers: &HeaderMap) -> Result<Option<Member>, store::Error> {
    Ok(session_of_request(state, headers).await?.map(|(user, _)| user))
}

/// The signed-in user of a plain request and the stored hash of their session, for
/// binding a flow (such as Connect) to the browser session that started it.
pub async fn session_of_request(state: &AppState, headers: &HeaderMap) -> Result<Option<(Member, String)>, store::Error> {
    let Some(token) = token_from_headers(headers) else { return Ok(None) };
    Ok(resolve(&state.db, &state.settings, &token).await?.map(|user| (user, hash_token(&token))))
}

/// Sends a signed-out visitor of a plain route to sign in, and back to `next` after.
pub fn sign_in_first(next: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let query = form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish();
    axum::response::Redirect::to(&format!("/signin?{query}")).into_response()
}

/// Who is signed in, for a server function that needs somebody.
pub async fn require_user() -> Result<Member, AppError> {
    current_user().await?.ok_or(AppError::NotSignedIn)
}

/// The state and the signed-in user, for a server function that needs both.
pub async fn signed_in() -> Result<(AppState, Member), AppError> {
    Ok((AppState::from_context()?, require_user().await?))
}

/// Adds the session cookie to the response of the current server function.
pub fn send_cookie(value: HeaderValue) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.append_header(SET_COOKIE, value);
    }
}
