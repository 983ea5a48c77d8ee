//! The back-channel endpoints plugins call: token, revocation, introspection, and the
//! metadata document that lists them (RFC 6749, 7009, 7662, 8414).

use super::client_auth::authenticate;
use super::error::{no_store, OAuthError};
use super::grants::{self, IssuedTokens};
use super::params::Params;
use crate::domain::{Scope, ScopeSet};
use crate::server::client_addr::ClientAddr;
use crate::server::{now, AppState};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[tracing::instrument(skip_all)]
pub async fn token(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let params = Params::from_body(&headers, &body)?;
    let client = authenticate(&state, &headers, &params, source).await?;
    let tokens = match params.require("grant_type")? {
        "authorization_code" => {
            let code = params.require("code")?;
            let redirect_uri = params.require("redirect_uri")?;
            let verifier = params.require("code_verifier")?;
            crate::server::installations::exchange_code(&state.db, &client, code, redirect_uri, verifier, now()).await?
        }
        "refresh_token" => {
            let refresh_token = params.require("refresh_token")?;
            let scope = match params.get("scope") {
                Some(raw) => Some(ScopeSet::parse_oauth(raw).map_err(|_| OAuthError::InvalidScope)?),
                None => None,
            };
            let budget = grants::Budget { per_grant_per_minute: state.settings.grant_refreshes_per_minute };
            grants::refresh(&state.db, &client, refresh_token, scope.as_ref(), &budget, now()).await?
        }
        _ => return Err(OAuthError::UnsupportedGrantType),
    };
    state.webhook_wakeup.notify_one();
    Ok(token_response(&tokens))
}

fn token_response(tokens: &IssuedTokens) -> Response {
    no_store(
        Json(serde_json::json!({
            "access_token": tokens.access_token,
            "token_type": "Bearer",
            "expires_in": tokens.expires_in,
            "refresh_token": tokens.refresh_token,
            "scope": tokens.scopes.to_oauth(),
        }))
        .into_response(),
    )
}

#[tracing::instrument(skip_all)]
pub async fn revoke(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let params = Params::from_body(&headers, &body)?;
    let client = authenticate(&state, &headers, &params, source).await?;
    let token = params.require("token")?;
    grants::revoke(&state.db, &client, token, now()).await?;
    Ok(no_store(().into_response()))
}

#[tracing::instrument(skip_all)]
pub async fn introspect(
    State(state): State<AppState>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let params = Params::from_body(&headers, &body)?;
    let client = authenticate(&state, &headers, &params, source).await?;
    let token = params.require("token")?;
    let t = now();
    let body = match grants::introspect(&state.db, &client, token, t).await? {
        None => serde_json::json!({ "active": false }),
        Some(info) => {
            // Asking about a token spends its installation's API budget, as using it would.
            let spent = crate::server::api::spend(&state, info.installation_id, t);
            if spent.over() {
                return Err(OAuthError::RateLimited { retry_after: spent.reset });
            }
            serde_json::json!({
            "active": true,
            "scope": info.scopes.to_oauth(),
            "client_id": client.client_id,
            "token_type": info.kind,
            "exp": info.expires_at,
            "iat": info.issued_at,
            "sub": format!("installation:{}", info.installation_id),
            "iss": state.settings.public_url,
            "installation_id": info.installation_id,
            "tenant_id": info.tenant_id,
            })
        }
    };
    Ok(no_store(Json(body).into_response()))
}

/// RFC 8414 metadata.
pub async fn metadata(State(state): State<AppState>) -> Response {
    let issuer = state.settings.public_url.trim_end_matches('/');
    Json(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "introspection_endpoint": format!("{issuer}/oauth/introspect"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "authorization_response_iss_parameter_supported": true,
    }))
    .into_response()
}
