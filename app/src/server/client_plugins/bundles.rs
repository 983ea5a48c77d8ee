//! A plugin's client-side bundle: uploaded by its developer (a plain multipart form in the
//! console), checked, stored with its hashes, and served at `/bundles/{sha256}.js`. The
//! address is the content's hash, so a bundle is cached for good and a draft's code is
//! not found by guessing; the frame loads it with Subresource Integrity. A bundle belongs
//! to a version: an upload goes into the draft, and tenants run the live version's.

use crate::domain::PluginSlug;
use crate::server::scope::Member;
use crate::server::publishing::{self, versions::Saved, PublishingError};
use crate::server::store::{self as stores, versions, Conn};
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

const IN_REVIEW: &str = "Staff are reviewing this plugin as submitted: upload new code once they decide.";

/// Stores the developer's bundle and puts it in their plugin's draft version (started
/// from the newest version when there is none). A plugin in review keeps the code it was
/// submitted with; a live plugin's tenants keep the reviewed code until staff publish.
pub async fn upload(db: &Db, member: &Member, slug: &PluginSlug, bytes: &[u8], now: i64) -> Result<Saved, BundleError> {
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
    let standing = versions::standing(&mut tx, plugin.id()).await?;
    let draft = publishing::versions::open_draft(&mut tx, plugin, &standing, now, IN_REVIEW).await?;
    let sha256 = store(&mut tx, bytes, now).await?;
    if !versions::set_draft_file(&mut tx, plugin, draft.id, versions::DraftFile::Bundle(&sha256), now).await? {
        return Err(PublishingError::Conflict(IN_REVIEW).into());
    }
    let uploaded = draft.saved(&mut tx, plugin, now).await?;
    tx.commit().await?;
    Ok(uploaded)
}

/// Stores the bundle by its address with its integrity hash (once: the same bytes are
/// the same bundle); its address, the lower-case hex SHA-256.
pub async fn store(conn: &mut Conn, bytes: &[u8], now: i64) -> Result<String, stores::Error> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let integrity = format!("sha384-{}", STANDARD.encode(Sha384::digest(bytes)));
    versions::store_bundle(conn, &sha256, &integrity, bytes, now).await?;
    Ok(sha256)
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
        Ok(Saved::Draft(n)) => Redirect::to(&format!("{page}?bundle=draft-{n}")).into_response(),
        Ok(Saved::Running | Saved::Unchanged) => Redirect::to(&format!("{page}?bundle=uploaded")).into_response(),
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
    match versions::bundle(&state.db, &sha256.to_ascii_lowercase()).await {
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
