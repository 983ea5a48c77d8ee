//! Who calls: a Bearer access token resolved to one active installation (its tenant and
//! the scopes it still grants), with the installation's rate limit counted in the
//! database so every server instance shares it (in batches: see `BatchedCounter`).

use super::error::ApiError;
use crate::domain::{InstallationId, PluginId, Scope, ScopeSet};
use crate::server::scope::{bearer, TenantScope};
use crate::server::{now, AppState};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The installation a request acts for.
#[derive(Debug, Clone)]
pub struct Caller {
    pub installation: InstallationId,
    /// The installation's tenant, acting as the installation.
    pub scope: TenantScope,
    pub plugin: PluginId,
    /// What this token may do: the installation's grant, or less for a token a refresh
    /// narrowed.
    pub scopes: ScopeSet,
    /// What the installation grants.
    pub granted: ScopeSet,
    pub plugin_slug: String,
    pub tenant_name: String,
    pub installed_at: i64,
}

impl Caller {
    /// Refuses the call unless one of the token's scopes covers `needed` (`write:X`
    /// covers `read:X`), saying whether the installation lacks it or only this token.
    pub fn require(&self, needed: Scope) -> Result<(), ApiError> {
        if self.scopes.allows(needed) {
            Ok(())
        } else if self.granted.allows(needed) {
            Err(ApiError::TokenLacksScope(needed))
        } else {
            Err(ApiError::InsufficientScope(needed))
        }
    }
}

pub const WINDOW_SECS: i64 = 60;

/// The rate-limit key of an installation's API and bridge calls.
pub fn rate_key(installation: InstallationId) -> String {
    format!("api:{installation}")
}

/// One call counted on an installation's budget (REST API, bridge and introspection calls
/// alike) in this window.
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    pub limit: i64,
    /// The window's calls so far, this one included.
    pub hits: i64,
    /// Seconds until the window ends.
    pub reset: i64,
}

impl Spent {
    pub fn over(&self) -> bool {
        self.hits > self.limit
    }
}

/// Counts one call of `installation` (in memory at once; see `BatchedCounter`).
pub fn spend(state: &AppState, installation: InstallationId, t: i64) -> Spent {
    let hits = state.api_requests.record(&rate_key(installation), t);
    Spent { limit: state.settings.api_requests_per_minute, hits, reset: WINDOW_SECS - t.rem_euclid(WINDOW_SECS) }
}

/// Middleware on every `/api/v1` route that needs a token.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let query = request.uri().query().map(str::to_owned);
    let authorization = request.headers().get(header::AUTHORIZATION).cloned();
    let caller = match resolve(&state, query.as_deref(), authorization.as_ref()).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let spent = spend(&state, caller.installation, now());
    let mut response = if spent.over() {
        ApiError::RateLimited { retry_after: spent.reset }.into_response()
    } else {
        request.extensions_mut().insert(caller);
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(spent.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from((spent.limit - spent.hits).max(0)));
    headers.insert("ratelimit-reset", HeaderValue::from(spent.reset));
    response
}

async fn resolve(state: &AppState, query: Option<&str>, authorization: Option<&HeaderValue>) -> Result<Caller, ApiError> {
    // RFC 6750 §2.3 allows tokens in the query; DESIGN.md §5 does not (they end up in logs).
    if query.is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "access_token")) {
        return Err(ApiError::BadAuthorization("Send the token in the Authorization header, never in the URL."));
    }
    let Some(value) = authorization else {
        return Err(ApiError::MissingToken);
    };
    let value = value.to_str().map_err(|_| ApiError::BadAuthorization("The Authorization header is not valid text."))?;
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(ApiError::BadAuthorization("Use Authorization: Bearer <token>.")),
    };
    let (scope, live) = bearer::authenticate(&state.db, token, now()).await?.ok_or(ApiError::InvalidToken)?;
    Ok(Caller {
        installation: live.info.installation_id,
        scope,
        plugin: live.plugin_id,
        scopes: live.info.scopes,
        granted: live.granted,
        plugin_slug: live.plugin_slug,
        tenant_name: live.tenant_name,
        installed_at: live.installed_at,
    })
}
