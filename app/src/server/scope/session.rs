//! Server-side sessions: the cookie carries 256 random bits, the database keeps only
//! their SHA-256, so a leaked database does not leak live sessions.

use super::Member;
use crate::domain::{Role, SessionUser, TenantId, UserId};
use crate::server::{now, AppState, Db, Settings};
use crate::error::AppError;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use sqlx::Row;

pub const COOKIE_NAME: &str = "pb_session";
/// Touch `last_seen_at` at most this often, so reads do not turn into writes.
const TOUCH_EVERY_SECS: i64 = 60;

fn hash_token(token: &str) -> String {
    crate::server::secrets::sha256_hex(token)
}

/// Starts a session for the user and returns the cookie value.
pub async fn create(db: &Db, user: UserId) -> Result<String, sqlx::Error> {
    let token = crate::server::secrets::random_hex(32);
    let t = now();
    sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)")
        .bind(hash_token(&token))
        .bind(user.0)
        .bind(t)
        .execute(db.pool())
        .await?;
    Ok(token)
}

pub async fn delete(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(hash_token(token))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The user behind a session token, if the session is still valid.
pub async fn resolve(db: &Db, settings: &Settings, token: &str) -> Result<Option<Member>, sqlx::Error> {
    let id_hash = hash_token(token);
    let row = sqlx::query(
        "SELECT s.created_at, s.last_seen_at, u.id, u.tenant_id, u.email, u.display_name, u.role, u.is_developer, u.is_staff, t.name AS tenant_name
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = u.tenant_id
         WHERE s.id_hash = $1",
    )
    .bind(&id_hash)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let t = now();
    let created_at: i64 = row.try_get("created_at")?;
    let last_seen_at: i64 = row.try_get("last_seen_at")?;
    if t - last_seen_at > settings.session_idle_secs || t - created_at > settings.session_absolute_secs {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(&id_hash).execute(db.pool()).await?;
        return Ok(None);
    }
    if t - last_seen_at >= TOUCH_EVERY_SECS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(t)
            .bind(&id_hash)
            .execute(db.pool())
            .await?;
    }
    let role: String = row.try_get("role")?;
    Ok(Some(Member::new(SessionUser {
        id: UserId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        tenant_name: row.try_get("tenant_name")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        is_developer: row.try_get::<i64, _>("is_developer")? == 1,
        is_staff: row.try_get::<i64, _>("is_staff")? == 1,
    })))
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
pub async fn user_of_request(state: &AppState, headers: &HeaderMap) -> Result<Option<Member>, sqlx::Error> {
    Ok(session_of_request(state, headers).await?.map(|(user, _)| user))
}

/// The signed-in user of a plain request and the stored hash of their session, for
/// binding a flow (such as Connect) to the browser session that started it.
pub async fn session_of_request(state: &AppState, headers: &HeaderMap) -> Result<Option<(Member, String)>, sqlx::Error> {
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
