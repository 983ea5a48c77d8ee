//! A plugin's client-side bundle: uploaded by its developer (a plain multipart form in the
//! console), checked, stored with its hashes, and served at `/bundles/{sha256}.js`. The
//! address is the content's hash, so a bundle is cached for good and a draft's code is
//! not found by guessing; the frame loads it with Subresource Integrity.

use crate::domain::{DecisionKind, PluginSlug, ReviewState};
use crate::server::scope::Member;
use crate::server::publishing::{self, PublishingError};
use crate::server::store::{self as stores, plugins, Conn};
use crate::server::{session, AppState, Db};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256, Sha384};

/// The largest bundle a plugin may ship.
pub const MAX_BUNDLE_BYTES: usize = 512 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/developer/plugins/{slug}/bundle", post(upload_route).layer(DefaultBodyLimit::max(MAX_BUNDLE_BYTES + 64 * 1024)))
        .route("/bundles/{file}", get(serve))
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("the bundle is larger than 512 KiB")]
    TooLarge,
    #[error("the bundle is not JavaScript text")]
    NotJavaScript,
    #[error(transparent)]
    Console(#[from] PublishingError),
}

impl From<stores::Error> for BundleError {
    fn from(err: stores::Error) -> Self {
        Self::Console(PublishingError::Db(err))
    }
}

/// Stores the developer's bundle for their plugin and makes it a client-side plugin. A
/// published plugin's new code goes back to review (it would run in tenants' browsers at
/// once); a plugin in review keeps the code it was submitted with.
pub async fn upload(db: &Db, member: &Member, slug: &PluginSlug, bytes: &[u8], now: i64) -> Result<ReviewState, BundleError> {
    let plugin = publishing::owned(db, member, slug).await?;
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::TooLarge);
    }
    // JavaScript source: UTF-8 text, no NUL bytes, not a page.
    let text = std::str::from_utf8(bytes).map_err(|_| BundleError::NotJavaScript)?;
    if text.contains('\0') || text.trim_start().starts_with('<') || text.trim().is_empty() {
        return Err(BundleError::NotJavaScript);
    }
    let mut tx = db.begin_write().await?;
    let state = plugins::review_state(&mut tx, plugin).await?;
    if state == ReviewState::InReview {
        return Err(PublishingError::Conflict("Staff are reviewing this plugin as submitted: upload new code once they decide.").into());
    }
    store(&mut tx, plugin.id(), bytes, now).await?;
    let back_in_review = state == ReviewState::Published;
    plugins::mark_client_side(&mut tx, plugin, back_in_review, now).await?;
    if back_in_review {
        plugins::record_decision(&mut tx, plugin.id(), member.id, DecisionKind::Submitted, Some("Uploaded new client-side code while published."), now).await?;
    }
    tx.commit().await?;
    Ok(if back_in_review { ReviewState::InReview } else { state })
}

/// Stores (or replaces) plugin `plugin_id`'s bundle with its address and integrity hashes.
pub async fn store(conn: &mut Conn, plugin_id: crate::domain::PluginId, bytes: &[u8], now: i64) -> Result<(), stores::Error> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let integrity = format!("sha384-{}", STANDARD.encode(Sha384::digest(bytes)));
    plugins::store_bundle(conn, plugin_id, &sha256, &integrity, bytes, now).await
}

/// `POST /developer/plugins/{slug}/bundle` (multipart, field `bundle`): back to the
/// plugin's console page, with `?bundle_error=` when the upload was refused.
async fn upload_form(state: &AppState, slug: &str, headers: &HeaderMap, form: &mut Multipart) -> Response {
    let page = format!("/developer/plugins/{slug}");
    let back_with = |problem: &str| Redirect::to(&format!("{page}?bundle_error={problem}")).into_response();
    let user = match session::user_of_request(state, headers).await {
        Ok(Some(user)) => user,
        Ok(None) => return session::sign_in_first(&page),
        Err(e) => return server_error(e),
    };
    let Ok(slug) = PluginSlug::parse(slug) else { return StatusCode::NOT_FOUND.into_response() };
    let bytes = match crate::server::icons::file_field(form, "bundle").await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return back_with("missing"),
        Err(()) => return back_with("unreadable"),
    };
    match upload(&state.db, &user, &slug, &bytes, crate::server::now()).await {
        Ok(ReviewState::InReview) => Redirect::to(&format!("{page}?bundle=in-review")).into_response(),
        Ok(_) => Redirect::to(&format!("{page}?bundle=uploaded")).into_response(),
        Err(BundleError::TooLarge) => back_with("too-large"),
        Err(BundleError::NotJavaScript) => back_with("type"),
        Err(BundleError::Console(PublishingError::Conflict(_))) => back_with("in-review"),
        Err(BundleError::Console(PublishingError::NotFound | PublishingError::NotDeveloper)) => StatusCode::NOT_FOUND.into_response(),
        Err(BundleError::Console(PublishingError::Db(e))) => server_error(e),
        Err(BundleError::Console(other)) => {
            tracing::error!(error = %other, "bundle upload failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn upload_route(State(state): State<AppState>, Path(slug): Path<String>, headers: HeaderMap, mut form: Multipart) -> Response {
    upload_form(&state, &slug, &headers, &mut form).await
}

/// `GET /bundles/{sha256}.js`. The frame that loads it has an opaque origin (no
/// `allow-same-origin`), so this is a cross-origin load: CORS allows it, with no
/// credentials, for the integrity check.
async fn serve(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(sha256) = file.strip_suffix(".js").filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match plugins::bundle(&state.db, &sha256.to_ascii_lowercase()).await {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => server_error(e),
    }
}

fn server_error(err: stores::Error) -> Response {
    tracing::error!(error = %err, "bundle storage failed");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}
