//! The API's one error shape: `{"error": {"code", "message", "field"?}}` with the right
//! status, and RFC 6750 `WWW-Authenticate` answers for token problems. Internal causes
//! are logged, never sent.

use crate::domain::Scope;
use crate::server::work::WorkError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

#[derive(Debug)]
pub enum ApiError {
    /// No `Authorization: Bearer` header.
    MissingToken,
    /// Unknown, expired, revoked, or its installation is gone.
    InvalidToken,
    /// A token in the query string, or a malformed `Authorization` header.
    BadAuthorization(&'static str),
    /// The installation did not grant the scope.
    InsufficientScope(Scope),
    /// The installation granted it, but this token was narrowed without it.
    TokenLacksScope(Scope),
    NotFound,
    MethodNotAllowed,
    /// The request's syntax: unknown fields, wrong types, bad JSON, bad parameters.
    BadRequest { field: Option<String>, message: String },
    /// A well-formed request that breaks a rule.
    Invalid { field: String, message: String },
    /// The resource is not in a state that allows the request.
    Conflict(String),
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited { retry_after: i64 },
    Internal,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid_token`, `insufficient_scope`, `not_found`, `bad_request`,
    /// `validation_failed`, `payload_too_large`, `rate_limited`, …
    pub code: &'static str,
    pub message: String,
    /// The request field the error is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn bad_request(field: Option<String>, message: impl Into<String>) -> Self {
        Self::BadRequest { field, message: message.into() }
    }

    fn parts(&self) -> (StatusCode, &'static str, String, Option<String>) {
        match self {
            Self::MissingToken => (StatusCode::UNAUTHORIZED, "invalid_token", "Send an access token in the Authorization header: Bearer pba_…".into(), None),
            Self::InvalidToken => (StatusCode::UNAUTHORIZED, "invalid_token", "The access token is invalid, expired or revoked, or the plugin was uninstalled.".into(), None),
            Self::BadAuthorization(m) => (StatusCode::BAD_REQUEST, "invalid_request", (*m).into(), None),
            Self::InsufficientScope(s) => (StatusCode::FORBIDDEN, "insufficient_scope", format!("This call needs the {s} scope, which the installation did not grant."), None),
            Self::TokenLacksScope(s) => (
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("This call needs the {s} scope: the installation grants it, but this access token was narrowed without it. Refresh without `scope` for a token with the whole grant."),
                None,
            ),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found", "No such resource.".into(), None),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "This resource does not support that method.".into(), None),
            Self::BadRequest { field, message } => (StatusCode::BAD_REQUEST, "bad_request", message.clone(), field.clone()),
            Self::Invalid { field, message } => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", format!("{field} {message}"), Some(field.clone())),
            Self::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone(), None),
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "The request body is larger than 64 KiB.".into(), None),
            Self::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Send JSON with Content-Type: application/json.".into(), None),
            Self::RateLimited { retry_after } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", format!("Too many requests for this installation. Retry after {retry_after} seconds."), None),
            Self::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong on our side.".into(), None),
        }
    }
}

impl ApiError {
    /// The same answer for a client-side plugin's bridge call: `{code, message, field?}`.
    pub fn to_bridge(&self) -> crate::domain::BridgeError {
        let (_, code, message, field) = self.parts();
        crate::domain::BridgeError { code: code.to_owned(), message, field }
    }
}

impl From<crate::server::store::Error> for ApiError {
    fn from(err: crate::server::store::Error) -> Self {
        tracing::error!(error = %err, "API request failed on the database");
        Self::Internal
    }
}

impl From<crate::server::settings::SettingsError> for ApiError {
    fn from(err: crate::server::settings::SettingsError) -> Self {
        use crate::server::settings::SettingsError;
        match err {
            // The token's installation was uninstalled in the meantime.
            SettingsError::NotInstalled | SettingsError::NoSettings => ApiError::NotFound,
            SettingsError::Invalid(_) | SettingsError::NotAllowed => ApiError::Internal,
            SettingsError::Sealed => {
                tracing::error!("a stored setting does not open with this server's key");
                ApiError::Internal
            }
            SettingsError::Db(e) => e.into(),
        }
    }
}

impl From<WorkError> for ApiError {
    fn from(err: WorkError) -> Self {
        match err {
            WorkError::Invalid { field, message } => Self::Invalid { field: field.into(), message },
            WorkError::NotFound => Self::NotFound,
            WorkError::Db(e) => e.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field) = self.parts();
        let mut response = (status, Json(ErrorBody { error: ErrorDetail { code, message, field } })).into_response();
        let challenge = match &self {
            Self::MissingToken => Some("Bearer realm=\"Plugboard\"".to_owned()),
            Self::InvalidToken => Some("Bearer realm=\"Plugboard\", error=\"invalid_token\"".to_owned()),
            Self::BadAuthorization(_) => Some("Bearer realm=\"Plugboard\", error=\"invalid_request\"".to_owned()),
            Self::InsufficientScope(s) | Self::TokenLacksScope(s) => Some(format!("Bearer realm=\"Plugboard\", error=\"insufficient_scope\", scope=\"{s}\"")),
            _ => None,
        };
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        if let Self::RateLimited { retry_after } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}
