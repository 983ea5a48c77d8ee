//! RFC 6749 §5.2 errors of the token, revocation and introspection endpoints. The
//! descriptions are fixed per code: a failure tells a caller what kind of thing went
//! wrong, never which credential or which check, with one exception: a client told its
//! own grant was revoked for reuse, so that it asks its installation to reconnect.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("Client authentication failed.")]
    InvalidClient,
    #[error("The authorization code or refresh token is invalid, expired, revoked, or was issued to another client.")]
    InvalidGrant,
    /// Told only to the client whose token it was (authenticated): reuse detection
    /// revoked its grant, and only the installation's admins can bring a new one.
    #[error("{}", revoked_for_reuse(*.0))]
    RevokedForReuse(crate::server::webhooks::RevokedFor),
    #[error("The requested scope is invalid or wider than what was granted.")]
    InvalidScope,
    #[error("grant_type must be authorization_code or refresh_token.")]
    UnsupportedGrantType,
    #[error("Too many requests for this client. Retry after {retry_after} seconds.")]
    RateLimited { retry_after: i64 },
    #[error("The authorization server could not complete the request.")]
    ServerError,
}

impl OAuthError {
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::InvalidRequest(message.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant | Self::RevokedForReuse(_) => "invalid_grant",
            Self::InvalidScope => "invalid_scope",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::RateLimited { .. } => "rate_limited",
            Self::ServerError => "server_error",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::InvalidClient => StatusCode::UNAUTHORIZED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<crate::server::store::Error> for OAuthError {
    fn from(err: crate::server::store::Error) -> Self {
        tracing::error!(error = %err, "OAuth endpoint failed on the database");
        Self::ServerError
    }
}

impl From<super::grants::GrantError> for OAuthError {
    fn from(err: super::grants::GrantError) -> Self {
        use super::grants::GrantError;
        match err {
            GrantError::InvalidGrant => Self::InvalidGrant,
            GrantError::RevokedForReuse(reason) => Self::RevokedForReuse(reason),
            GrantError::InvalidScope => Self::InvalidScope,
            GrantError::InvalidRequest(m) => Self::InvalidRequest(m.into()),
            GrantError::RateLimited { retry_after } => Self::RateLimited { retry_after },
            GrantError::Db(e) => e.into(),
        }
    }
}

fn revoked_for_reuse(reason: crate::server::webhooks::RevokedFor) -> &'static str {
    use crate::server::webhooks::RevokedFor;
    match reason {
        RevokedFor::RefreshTokenReused => {
            "The grant was revoked because one of its refresh tokens was presented after it had been used (reuse detection: someone may hold a copy). \
             Its tokens no longer work; the organisation's owners and admins are asked to reconnect the plugin, which brings a new authorization code."
        }
        RevokedFor::AuthorizationCodeReused => {
            "The grant was revoked because its authorization code was presented a second time (reuse detection: someone may hold a copy). \
             Its tokens no longer work; the organisation's owners and admins are asked to reconnect the plugin, which brings a new authorization code."
        }
    }
}

/// Token responses must never be cached (RFC 6749 §5.1).
pub fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code(), "error_description": self.to_string() });
        let mut response = (self.status(), Json(body)).into_response();
        match &self {
            Self::InvalidClient => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Plugboard\""));
            }
            Self::RateLimited { retry_after } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        no_store(response)
    }
}
