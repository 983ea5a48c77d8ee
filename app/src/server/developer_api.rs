//! The developer API (`/api/developer/v1`, issue 20): what `server plugins
//! validate|diff|deploy` calls with a developer token. Thin handlers over
//! `publishing::deploy`; every answer is JSON, a failure `{"error": {"code", "message",
//! "fields"?}}` with its status. The console's export of `plugboard.toml` is here too,
//! with the session instead of a token.

use super::client_plugins::bundles::{self, BundleError, MAX_BUNDLE_BYTES};
use super::publishing::{deploy, PublishingError};
use super::scope::developer_token::{self, TokenDeveloper};
use super::{now, session, AppState};
use crate::domain::PluginSlug;
use crate::error::AppError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

/// The largest manifest the API reads.
const MAX_MANIFEST_BYTES: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/developer/v1/validate", post(validate))
        .route("/api/developer/v1/diff", post(diff))
        .route("/api/developer/v1/deploy", post(deploy_route))
        .route("/api/developer/v1/plugins/{slug}/submit", post(submit))
        .route("/api/developer/v1/plugins/{slug}/manifest", get(manifest))
        .route("/api/developer/v1/plugins/{slug}/bundle", put(bundle).layer(DefaultBodyLimit::max(MAX_BUNDLE_BYTES + 1024)))
        .route("/developer/plugins/{slug}/plugboard.toml", get(export))
        .layer(DefaultBodyLimit::max(MAX_MANIFEST_BYTES))
}

/// A failure as the developer API answers it.
enum ApiFailure {
    App(AppError),
    /// The body is over the limit (axum's own answer would be plain text).
    TooLarge,
}

impl From<AppError> for ApiFailure {
    fn from(err: AppError) -> Self {
        ApiFailure::App(err)
    }
}

impl From<PublishingError> for ApiFailure {
    fn from(err: PublishingError) -> Self {
        ApiFailure::App(err.into())
    }
}

impl From<BytesRejection> for ApiFailure {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiFailure::TooLarge
        } else {
            ApiFailure::App(AppError::BadRequest(rejection.body_text()))
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let err = match self {
            ApiFailure::App(err) => err,
            ApiFailure::TooLarge => {
                let error = serde_json::json!({ "code": "payload_too_large", "message": "The body is over the limit: a manifest of at most 256 KiB, a bundle of at most 512 KiB." });
                return (StatusCode::PAYLOAD_TOO_LARGE, Json(serde_json::json!({ "error": error }))).into_response();
            }
        };
        let status = StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = match status.as_u16() {
            401 => "invalid_token",
            403 => "forbidden",
            404 => "not_found",
            409 => "conflict",
            422 => "validation_failed",
            _ if status.is_server_error() => "server_error",
            _ => "bad_request",
        };
        let message = match &err {
            AppError::NotSignedIn => "Send a developer token in the Authorization header: Bearer pbd_… (make one in the developer console).".to_owned(),
            other => other.to_string(),
        };
        let mut error = serde_json::json!({ "code": code, "message": message });
        if let AppError::InvalidFields(fields) = &err {
            error["fields"] = serde_json::to_value(fields).unwrap_or_default();
        }
        let mut response = (status, Json(serde_json::json!({ "error": error }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer realm=\"Plugboard developer API\""));
        }
        response
    }
}

type Answer<T> = Result<T, ApiFailure>;

async fn developer(state: &AppState, headers: &HeaderMap) -> Answer<TokenDeveloper> {
    match developer_token::of_request(&state.db, headers).await {
        Ok(Some(developer)) => Ok(developer),
        Ok(None) => Err(ApiFailure::App(AppError::NotSignedIn)),
        Err(e) => Err(ApiFailure::App(super::internal("reading a developer token failed")(e))),
    }
}

fn slug_of(raw: &str) -> Answer<PluginSlug> {
    PluginSlug::parse(raw).map_err(|_| ApiFailure::App(AppError::NotFound("None of your plugins has this address.".into())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestBody {
    manifest: String,
    /// The SHA-256 (hex) of the bundle the CLI would upload, for `diff`.
    #[serde(default)]
    bundle_sha256: Option<String>,
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Answer<T> {
    serde_json::from_slice(bytes).map_err(|e| ApiFailure::App(AppError::BadRequest(format!("send JSON with a \"manifest\" string: {e}"))))
}

async fn validate(State(state): State<AppState>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Answer<Json<serde_json::Value>> {
    developer(&state, &headers).await?;
    let raw = raw?;
    let ManifestBody { manifest, .. } = body(&raw)?;
    let (manifest, _) = deploy::validate(&manifest, &state.settings.outbound).map_err(|fields| ApiFailure::App(AppError::InvalidFields(fields)))?;
    Ok(Json(serde_json::json!({ "valid": true, "slug": manifest.slug })))
}

async fn diff(State(state): State<AppState>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Answer<Json<deploy::Plan>> {
    let developer = developer(&state, &headers).await?;
    let ManifestBody { manifest, bundle_sha256 } = body(&raw?)?;
    let bundle = match bundle_sha256 {
        Some(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => Some(s.to_ascii_lowercase()),
        Some(_) => {
            let field = crate::error::FieldError::new("bundle_sha256", "Send the bundle's SHA-256 as 64 hexadecimal digits.");
            return Err(ApiFailure::App(AppError::InvalidFields(vec![field])));
        }
        None => None,
    };
    Ok(Json(deploy::plan(&state.db, developer.publisher(), &manifest, bundle, &state.settings.outbound).await?))
}

async fn deploy_route(State(state): State<AppState>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Answer<Json<deploy::Deployed>> {
    let developer = developer(&state, &headers).await?;
    let ManifestBody { manifest, .. } = body(&raw?)?;
    Ok(Json(deploy::deploy(&state.db, &state.vault, developer.publisher(), &manifest, &state.settings.outbound).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    release_notes: String,
}

async fn submit(State(state): State<AppState>, headers: HeaderMap, Path(slug): Path<String>, raw: Result<Bytes, BytesRejection>) -> Answer<Json<serde_json::Value>> {
    let developer = developer(&state, &headers).await?;
    let slug = slug_of(&slug)?;
    let raw = raw?;
    let SubmitBody { release_notes } = serde_json::from_slice(&raw)
        .map_err(|e| ApiFailure::App(AppError::BadRequest(format!("send JSON with a \"release_notes\" string: {e}"))))?;
    let version = deploy::submit(&state.db, developer.publisher(), &slug, &release_notes).await?;
    Ok(Json(serde_json::json!({ "submitted": version })))
}

async fn manifest(State(state): State<AppState>, headers: HeaderMap, Path(slug): Path<String>) -> Answer<Response> {
    let developer = developer(&state, &headers).await?;
    let slug = slug_of(&slug)?;
    let text = deploy::export(&state.db, developer.publisher(), &slug, &state.settings.public_url).await?;
    Ok(toml_file(text, false))
}

async fn bundle(State(state): State<AppState>, headers: HeaderMap, Path(slug): Path<String>, bytes: Result<Bytes, BytesRejection>) -> Answer<Json<serde_json::Value>> {
    let developer = developer(&state, &headers).await?;
    let slug = slug_of(&slug)?;
    let bytes = bytes?;
    let saved = bundles::upload(&state.db, developer.publisher(), &slug, &bytes, now()).await.map_err(|e| match e {
        BundleError::TooLarge => ApiFailure::App(AppError::invalid("client_bundle", "The bundle must be at most 512 KiB.")),
        BundleError::NotJavaScript => ApiFailure::App(AppError::invalid("client_bundle", "The bundle must be the plugin's JavaScript: one UTF-8 .js file (not a page).")),
        BundleError::Console(e) => e.into(),
    })?;
    let draft = match saved {
        super::publishing::versions::Saved::Draft(n) => Some(n),
        _ => None,
    };
    Ok(Json(serde_json::json!({ "draft": draft })))
}

/// `GET /developer/plugins/{slug}/plugboard.toml`: the console's export, as a download.
async fn export(State(state): State<AppState>, headers: HeaderMap, Path(slug): Path<String>) -> Response {
    let user = match session::user_of_request(&state, &headers).await {
        Ok(Some(user)) => user,
        Ok(None) => return session::sign_in_first(&format!("/developer/plugins/{slug}")),
        Err(e) => return ApiFailure::App(super::internal("reading the session failed")(e)).into_response(),
    };
    let answer: Answer<String> = async {
        let slug = slug_of(&slug)?;
        Ok(deploy::export(&state.db, &user, &slug, &state.settings.public_url).await?)
    }
    .await;
    match answer {
        Ok(text) => toml_file(text, true),
        Err(failure) => failure.into_response(),
    }
}

fn toml_file(text: String, download: bool) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "application/toml; charset=utf-8")], text).into_response();
    if download {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, header::HeaderValue::from_static("attachment; filename=\"plugboard.toml\""));
    }
    response
}
