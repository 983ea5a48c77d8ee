//! Uploaded plugin icons: what an upload may be, the developer console's upload form (a
//! plain multipart POST, so it needs no script) and the route that serves them.

use super::publishing::{owned, versions, PublishingError};
use super::scope::Member;
use super::store::{catalog::Viewer, icons, versions as store_versions};
use super::{now, session, AppState, Db};
use crate::domain::PluginSlug;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

/// The largest icon a developer may upload.
pub const MAX_ICON_BYTES: usize = 256 * 1024;

/// The image type of an upload, from its first bytes (never from its name or its
/// declared type): PNG, JPEG or WebP. SVG is refused: it can carry script.
pub fn sniff_icon(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IconError {
    #[error("the icon is larger than 256 KiB")]
    TooLarge,
    #[error("the icon is not a PNG, JPEG or WebP image")]
    NotAnImage,
    #[error(transparent)]
    Console(#[from] PublishingError),
}

/// Stores an uploaded icon and points the plugin at it; returns its address.
pub async fn upload_icon(db: &Db, member: &Member, slug: &PluginSlug, bytes: &[u8]) -> Result<String, IconError> {
    let id = owned(db, member, slug).await?;
    if bytes.len() > MAX_ICON_BYTES {
        return Err(IconError::TooLarge);
    }
    let content_type = sniff_icon(bytes).ok_or(IconError::NotAnImage)?;
    let t = now();
    // Each upload has its own address, which a version names: milliseconds, so two
    // uploads never share one.
    let v = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(t * 1000, |d| d.as_millis() as i64);
    let url = slug.uploaded_icon_url(v);
    let in_review = "Staff are reviewing this plugin as submitted: upload a new icon once they decide.";
    let mut tx = db.begin_write().await.map_err(PublishingError::from)?;
    let standing = store_versions::standing(&mut tx, id.id()).await.map_err(PublishingError::from)?;
    let draft = versions::open_draft(&mut tx, id, &standing, t, in_review).await?;
    icons::store(&mut tx, id, v, content_type, bytes, t).await.map_err(PublishingError::from)?;
    if !store_versions::set_draft_file(&mut tx, id, draft.id, store_versions::DraftFile::Icon(&url), t).await.map_err(PublishingError::from)? {
        return Err(PublishingError::Conflict(in_review).into());
    }
    draft.saved(&mut tx, id, t).await.map_err(PublishingError::from)?;
    tx.commit().await.map_err(PublishingError::from)?;
    Ok(url)
}

/// Requests past this are refused before they are read; the icon's own limit is smaller,
/// and answered with a message on the page.
const UPLOAD_BODY_LIMIT: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/developer/plugins/{slug}/icon", post(upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)))
        .route("/icons/{slug}", get(serve))
}

/// `POST /developer/plugins/{slug}/icon` (multipart, field `icon`): back to the plugin's
/// console page, with `?icon_error=` when the upload was refused.
async fn upload(State(state): State<AppState>, Path(slug): Path<String>, headers: HeaderMap, mut form: Multipart) -> Response {
    let page = format!("/developer/plugins/{slug}");
    let back_with = |problem: &str| Redirect::to(&format!("{page}?icon_error={problem}")).into_response();
    let user = match session::user_of_request(&state, &headers).await {
        Ok(Some(user)) => user,
        Ok(None) => return session::sign_in_first(&page),
        Err(e) => return server_error(e),
    };
    let Ok(slug) = PluginSlug::parse(&slug) else { return StatusCode::NOT_FOUND.into_response() };
    let bytes = match file_field(&mut form, "icon").await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return back_with("missing"),
        Err(()) => return back_with("unreadable"),
    };
    match upload_icon(&state.db, &user, &slug, &bytes).await {
        Ok(_) => Redirect::to(&page).into_response(),
        Err(IconError::TooLarge) => back_with("too-large"),
        Err(IconError::NotAnImage) => back_with("type"),
        Err(IconError::Console(PublishingError::Conflict(_))) => back_with("in-review"),
        Err(IconError::Console(PublishingError::NotFound | PublishingError::NotDeveloper)) => StatusCode::NOT_FOUND.into_response(),
        Err(IconError::Console(PublishingError::Db(e))) => server_error(e),
        Err(IconError::Console(other)) => {
            tracing::error!(error = %other, "icon upload failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The bytes of the multipart form's file field `name`; `None` when it is missing or
/// empty, `Err` when the form cannot be read.
pub(crate) async fn file_field(form: &mut Multipart, name: &str) -> Result<Option<axum::body::Bytes>, ()> {
    let mut bytes = None;
    while let Some(field) = form.next_field().await.map_err(|_| ())? {
        if field.name() == Some(name) {
            bytes = Some(field.bytes().await.map_err(|_| ())?);
        }
    }
    Ok(bytes.filter(|b| !b.is_empty()))
}

/// Which upload `/icons/{slug}?v=` names (any text: a bad one is a 404, not a 400).
#[derive(serde::Deserialize)]
struct IconQuery {
    v: Option<String>,
}

/// `GET /icons/{slug}?v=…`: the uploaded image, with its sniffed type, in a sandbox. An
/// unpublished plugin's icon, and a draft's, is only for its developer and staff, like
/// its page.
async fn serve(State(state): State<AppState>, Path(slug): Path<String>, Query(query): Query<IconQuery>, headers: HeaderMap) -> Response {
    let (Ok(plugin), Some(v)) = (PluginSlug::parse(&slug), query.v.as_deref().and_then(|v| v.parse::<i64>().ok())) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let viewer = match session::user_of_request(&state, &headers).await {
        Ok(viewer) => viewer,
        Err(e) => return server_error(e),
    };
    // Everybody sees a published plugin's live icon; its developer and staff every upload.
    match icons::visible(&state.db, &slug, v, &plugin.uploaded_icon_url(v), viewer.as_ref().map(Viewer::of)).await {
        Ok(Some((content_type, bytes))) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"))),
                // The address carries the upload's version, so it can be kept; private,
                // since a draft's icon is not for shared caches.
                (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable")),
                (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => server_error(e),
    }
}

fn server_error(err: crate::server::store::Error) -> Response {
    tracing::error!(error = %err, "icon storage failed");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icons_are_sniffed_not_trusted() {
        assert_eq!(sniff_icon(b"\x89PNG\r\n\x1a\n rest"), Some("image/png"));
        assert_eq!(sniff_icon(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_icon(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_icon(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"), None);
        assert_eq!(sniff_icon(b""), None);
    }
}
