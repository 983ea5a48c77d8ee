//! Client authentication at the token, revocation and introspection endpoints: HTTP
//! Basic or `client_secret_post`, never both. Every failure answers the same
//! `invalid_client`; failures are throttled per source address.

use super::error::OAuthError;
use super::grants::Client;
use super::params::Params;
use crate::server::rate_limit::{self, Verdict};
use crate::server::secrets::{constant_time_eq, sha256_hex};
use crate::server::{now, AppState};
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::net::IpAddr;

struct Credentials {
    client_id: String,
    secret: String,
}

fn credentials(headers: &HeaderMap, params: &Params) -> Result<Credentials, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    let posted = params.get("client_secret");
    match (basic, posted) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request("use one client authentication method, not two")),
        (Some(encoded), None) => {
            let decoded = STANDARD.decode(encoded.trim()).map_err(|_| OAuthError::InvalidClient)?;
            let decoded = String::from_utf8(decoded).map_err(|_| OAuthError::InvalidClient)?;
            let (id, secret) = decoded.split_once(':').ok_or(OAuthError::InvalidClient)?;
            // RFC 6749 §2.3.1: both halves are form-encoded before joining.
            let decode = |s: &str| form_urlencoded::parse(format!("v={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
            let client_id = decode(id).ok_or(OAuthError::InvalidClient)?;
            if params.get("client_id").is_some_and(|posted| posted != client_id) {
                return Err(OAuthError::invalid_request("client_id differs from the Authorization header"));
            }
            Ok(Credentials { client_id, secret: decode(secret).ok_or(OAuthError::InvalidClient)? })
        }
        (None, Some(secret)) => Ok(Credentials {
            client_id: params.get("client_id").ok_or(OAuthError::InvalidClient)?.to_owned(),
            secret: secret.to_owned(),
        }),
        (None, None) => Err(OAuthError::InvalidClient),
    }
}

/// The plugin behind the request's client credentials. Credentials that verify are
/// never refused for anybody else's failures: failures are counted by source address
/// (and by client and source together), and only a source past its allowance hears
/// `429` instead of `invalid_client`. Client secrets are 256 random bits, so what the
/// count guards against is exhaustion, not guessing.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
    source: Option<IpAddr>,
) -> Result<Client, OAuthError> {
    let creds = credentials(headers, params)?;
    let row = crate::server::store::plugins::client_secret_hash(&state.db, &creds.client_id).await?;
    // Unknown clients cost the same comparison as known ones.
    let (plugin_id, stored) = match row {
        Some((id, hash)) => (Some(id), hash),
        None => (None, "0".repeat(64)),
    };
    let presented = sha256_hex(&creds.secret);
    let matches = constant_time_eq(presented.as_bytes(), stored.as_bytes());
    if let (Some(plugin_id), true) = (plugin_id, matches) {
        return Ok(Client { plugin_id, client_id: creds.client_id });
    }
    Err(count_failure(state, &creds.client_id, source).await?)
}

/// Records a failed authentication from `source`; the error to answer with.
async fn count_failure(state: &AppState, client_id: &str, source: Option<IpAddr>) -> Result<OAuthError, crate::server::store::Error> {
    let settings = &state.settings;
    let (t, window) = (now(), settings.client_auth_window_secs);
    let source = source.map_or_else(|| "unknown".to_owned(), crate::server::client_addr::throttle_key);
    let id_key: String = client_id.chars().take(100).collect();
    let by_source = rate_limit::hit(
        &state.db,
        &format!("client-auth-failed-from:{source}"),
        settings.client_auth_failures_per_source,
        window,
        t,
    )
    .await?;
    let by_client_and_source = rate_limit::hit(
        &state.db,
        &format!("client-auth-failed:{id_key}:{source}"),
        settings.client_auth_failures_per_window,
        window,
        t,
    )
    .await?;
    Ok(match (by_source, by_client_and_source) {
        (Verdict::Limited { retry_after }, _) | (_, Verdict::Limited { retry_after }) => OAuthError::RateLimited { retry_after },
        _ => OAuthError::InvalidClient,
    })
}
