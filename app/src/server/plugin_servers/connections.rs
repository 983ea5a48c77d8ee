//! Connect and Logout (DESIGN.md §6): a user's connection to a plugin's own service.
//!
//! Two ways, by the plugin's manifest:
//! - `show_authorization_button`: the plugin server keeps the connection. Plugboard asks
//!   it `checkAuth`, sends Connect to `generateAuthUrl`'s URL and calls `logout`.
//! - `oauth_config`: Plugboard is the OAuth client. Connect starts the authorization code
//!   flow with PKCE and a `state` bound to the browser session; `/marketplace/callback`
//!   exchanges the code; the tokens are stored sealed, refreshed shortly before they
//!   expire, and deleted at Logout and at uninstall.

use super::client::CallError;
use super::service_oauth::{self, ServiceTokens, TokenError};
use super::{PluginInstall, Which};
use crate::domain::{ConnectionView, InstallationId, UserId};
use crate::server::scope::{Member, TenantScope};
use crate::server::store::connections::{self as store, NewRequest, PendingRequest, SealedTokens, Stored};
use crate::server::store as stores;
use crate::server::secrets::{random_token, sha256_hex};
use crate::server::vault::Vault;
use crate::server::{AppState, Db};
use std::collections::HashMap;

/// How long an authorization may take between Connect and the callback.
const CONNECT_REQUEST_SECS: i64 = 10 * 60;
/// An access token this close to its expiry is refreshed before it is used.
pub const REFRESH_MARGIN_SECS: i64 = 120;

/// Why Connect, the callback or Logout did not work. `code()` is what the Installed
/// plugins page is told (it has the messages: `domain::connect_problem`).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the plugin is not installed in the user's organisation")]
    NotInstalled,
    #[error("the plugin offers no Connect")]
    NoConnect,
    #[error("the authorization is unknown, used or expired")]
    UnknownState,
    #[error("the authorization was started in another session")]
    OtherSession,
    #[error("the user declined")]
    Declined,
    #[error("plugin server: {0}")]
    Call(#[from] CallError),
    #[error("plugin service: {0}")]
    Token(#[from] TokenError),
    #[error(transparent)]
    Db(#[from] stores::Error),
}

/// As a server function (Logout) answers it; Connect and its callback redirect with
/// `code()` instead.
impl From<ConnectError> for crate::error::AppError {
    fn from(err: ConnectError) -> Self {
        use crate::error::AppError;
        match err {
            ConnectError::NotInstalled | ConnectError::NoConnect => AppError::NotFound("That plugin is not installed, or offers no connection.".into()),
            ConnectError::Call(e) => AppError::invalid("connection", format!("Could not log out: {e}")),
            e => {
                tracing::error!(error = %e, "logging out of a plugin's service failed");
                AppError::Internal
            }
        }
    }
}

impl ConnectError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotInstalled | Self::NoConnect => "not_installed",
            Self::UnknownState => "expired",
            Self::OtherSession => "session",
            Self::Declined => "declined",
            Self::Call(CallError::Unreachable | CallError::Timeout) => "server_down",
            Self::Call(_) => "server_error",
            Self::Token(TokenError::Refused) => "refused",
            Self::Token(TokenError::Failed(_)) => "service",
            Self::Db(_) => "internal",
        }
    }
}

fn access_context(installation: InstallationId, user: UserId) -> String {
    format!("service-access:{installation}:{user}")
}

fn refresh_context(installation: InstallationId, user: UserId) -> String {
    format!("service-refresh:{installation}:{user}")
}

fn verifier_context(state_hash: &str) -> String {
    format!("connect-verifier:{state_hash}")
}

/// The sealing context of a plugin's service client secret (the slug never changes).
pub fn client_secret_context(slug: &str) -> String {
    format!("service-client-secret:{slug}")
}

/// The plugin's service client secret, opened.
fn client_secret(vault: &Vault, install: &PluginInstall) -> Option<String> {
    let sealed = install.oauth_client_secret.as_deref()?;
    match vault.open(&client_secret_context(&install.slug), sealed) {
        Ok(secret) => Some(secret),
        Err(_) => {
            tracing::error!(plugin = %install.slug, "the plugin's service client secret cannot be opened (another PLUGBOARD_TOKEN_KEY?)");
            None
        }
    }
}

/// Connect: where to send the browser. `session_hash` is the hash of the session that
/// asks, which the callback must come back with.
pub async fn start(state: &AppState, user: &Member, session_hash: &str, slug: &str, now: i64) -> Result<String, ConnectError> {
    let install = PluginInstall::find(&state.db, &user.scope(), Which::Slug(slug)).await?.ok_or(ConnectError::NotInstalled)?;
    if let Some(config) = &install.oauth {
        // Abandoned attempts go as new ones come.
        store::prune_requests(&state.db, now).await?;
        let state_value = random_token("");
        let state_hash = sha256_hex(&state_value);
        let callback = service_oauth::callback_url(&state.settings.public_url, &install.slug);
        let (url, verifier) = service_oauth::authorization_request(config, &callback, &state_value)?;
        let sealed_verifier = state.vault.seal(&verifier_context(&state_hash), &verifier);
        let request = NewRequest {
            state_hash: &state_hash,
            session_hash,
            installation: install.installation,
            user: user.id,
            pkce_verifier: &sealed_verifier,
            expires_at: now + CONNECT_REQUEST_SECS,
        };
        store::insert_request(&state.db, &request).await?;
        return Ok(url);
    }
    match install.target(&state.vault, user).filter(|_| install.show_authorization_button) {
        Some(target) => Ok(state.plugin_servers.auth_url(&target, now).await?),
        None => Err(ConnectError::NoConnect),
    }
}

/// What the plugin's service sent the browser back with.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CallbackParams {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
}

/// The callback at `callback_slug`'s address: checks `state` (known, unused, unexpired,
/// this session's, for this plugin), exchanges the code with the PKCE verifier and
/// stores the tokens sealed. Answers the plugin's slug, which the error carries too
/// once the request is known.
pub async fn finish(
    state: &AppState,
    user: &Member,
    session_hash: &str,
    callback_slug: &str,
    params: &CallbackParams,
    now: i64,
) -> Result<String, (ConnectError, Option<String>)> {
    let fail = |e: ConnectError| (e, None);
    let state_value = params.state.as_deref().filter(|s| !s.is_empty()).ok_or(fail(ConnectError::UnknownState))?;
    let state_hash = sha256_hex(state_value);
    // Taken once: a replayed callback finds nothing.
    let request = store::take_request(&state.db, &state_hash).await.map_err(|e| fail(e.into()))?;
    let PendingRequest { session_hash: bound_session, installation_id: installation, user_id: requester, pkce_verifier: sealed_verifier, expires_at } =
        request.ok_or(fail(ConnectError::UnknownState))?;
    if expires_at <= now {
        return Err(fail(ConnectError::UnknownState));
    }
    if bound_session != session_hash || requester != user.id {
        return Err(fail(ConnectError::OtherSession));
    }
    let install = PluginInstall::find(&state.db, &user.scope(), Which::Installation(installation))
        .await
        .map_err(|e| fail(e.into()))?
        .ok_or(fail(ConnectError::NotInstalled))?;
    let slug = install.slug.clone();
    let with_slug = |e: ConnectError| (e, Some(slug.clone()));
    // An answer that came back to another plugin's address was not meant for this one.
    if callback_slug != slug {
        return Err(with_slug(ConnectError::UnknownState));
    }
    let config = install.oauth.as_ref().ok_or_else(|| with_slug(ConnectError::NoConnect))?;
    if let Some(error) = params.error.as_deref() {
        return Err(with_slug(if error == "access_denied" { ConnectError::Declined } else { TokenError::Refused.into() }));
    }
    let code = params.code.as_deref().filter(|c| !c.is_empty()).ok_or_else(|| with_slug(ConnectError::UnknownState))?;
    let verifier = state.vault.open(&verifier_context(&state_hash), &sealed_verifier).map_err(|_| with_slug(ConnectError::UnknownState))?;
    let secret = client_secret(&state.vault, &install);
    let tokens = service_oauth::exchange_code(
        state.plugin_servers.http(),
        &state.settings.outbound,
        config,
        secret.as_deref(),
        &service_oauth::callback_url(&state.settings.public_url, &slug),
        code,
        &verifier,
        now,
    )
    .await
    .map_err(|e| with_slug(e.into()))?;
    let stored = save(&state.db, &state.vault, &user.scope(), &install, user.id, &tokens, now).await.map_err(|e| with_slug(e.into()))?;
    if !stored {
        return Err(with_slug(ConnectError::NotInstalled));
    }
    Ok(slug)
}

/// Saves a user's first tokens, sealed, replacing any earlier ones, if the installation
/// is still active (an uninstall during the exchange keeps nothing). `false`: it is not.
async fn save(db: &Db, vault: &Vault, scope: &TenantScope, install: &PluginInstall, user: UserId, tokens: &ServiceTokens, now: i64) -> Result<bool, stores::Error> {
    let access = vault.seal(&access_context(install.installation, user), &tokens.access_token);
    let refresh = tokens.refresh_token.as_deref().map(|r| vault.seal(&refresh_context(install.installation, user), r));
    let sealed = SealedTokens { access_token: &access, refresh_token: refresh.as_deref(), expires_at: tokens.expires_at, scopes: &tokens.scopes };
    store::save(db, scope, install.installation, user, &sealed, now).await
}

/// How long a claimed refresh may take before another caller may claim it again.
const REFRESH_CLAIM_SECS: i64 = 30;
/// How often, and how many times, a caller that lost the claim looks for the new tokens.
const REFRESH_WAIT_STEP: std::time::Duration = std::time::Duration::from_millis(50);
const REFRESH_WAIT_STEPS: u32 = 200;

/// The user's access token for the plugin's service, refreshed first when it expires
/// within `REFRESH_MARGIN_SECS`. `None`: not connected, or no longer (the service refused
/// the refresh). One refresh at a time per connection, across instances: a caller claims
/// it in the database (on the stored refresh token); the others wait for its tokens
/// instead of presenting the same refresh token again, which a service that rotates
/// refresh tokens would refuse. Storing is still compare-and-swap on the refresh token,
/// so a Logout or uninstall meanwhile is not undone.
pub async fn service_token(state: &AppState, install: &PluginInstall, member: &Member, now: i64) -> Result<Option<String>, ConnectError> {
    let Some(config) = &install.oauth else { return Ok(None) };
    let (scope, user) = (&member.scope(), member.id);
    let (db, vault) = (&state.db, &state.vault);
    let open_access = |row: &Stored| vault.open(&access_context(install.installation, user), &row.access_token).ok();
    let Some(row) = store::find(db, scope, install.installation, user).await? else { return Ok(None) };
    let Some(access) = open_access(&row) else {
        // Sealed under another key: kept (the right key may come back), but unusable here.
        tracing::error!(plugin = %install.slug, "a service token cannot be opened (another PLUGBOARD_TOKEN_KEY?)");
        return Ok(None);
    };
    if row.expires_at.is_none_or(|at| at - now > REFRESH_MARGIN_SECS) {
        return Ok(Some(access));
    }
    let still_valid = row.expires_at.is_some_and(|at| at > now);
    let Some(sealed_refresh) = row.refresh_token.clone() else {
        // Nothing to refresh with: usable until it expires, then connect again.
        return Ok(still_valid.then_some(access));
    };
    let Ok(refresh_token) = vault.open(&refresh_context(install.installation, user), &sealed_refresh) else {
        return Ok(still_valid.then_some(access));
    };
    let claimed = store::claim_refresh(db, scope, install.installation, user, &sealed_refresh, now + REFRESH_CLAIM_SECS, now).await?;
    if !claimed {
        // Another caller is refreshing (or just did): use what it stores. If it gives up
        // (the service is down), the current token serves while it is valid.
        let gave_up = || -> Result<Option<String>, ConnectError> {
            if still_valid {
                Ok(Some(access.clone()))
            } else {
                Err(TokenError::Failed("the service did not answer the refresh".into()).into())
            }
        };
        for _ in 0..REFRESH_WAIT_STEPS {
            match store::find(db, scope, install.installation, user).await? {
                None => return Ok(None),
                Some(row) if row.refresh_token.as_deref() != Some(sealed_refresh.as_str()) => return Ok(open_access(&row)),
                Some(row) if row.refreshing_until.is_none_or(|until| until < now) => return gave_up(),
                Some(_) => tokio::time::sleep(REFRESH_WAIT_STEP).await,
            }
        }
        return gave_up();
    }
    let secret = client_secret(vault, install);
    let callback = service_oauth::callback_url(&state.settings.public_url, &install.slug);
    let refreshed = service_oauth::refresh(state.plugin_servers.http(), &state.settings.outbound, config, secret.as_deref(), &callback, &refresh_token, now).await;
    let swapped = match &refreshed {
        Ok(tokens) => {
            let access = vault.seal(&access_context(install.installation, user), &tokens.access_token);
            let refresh = tokens.refresh_token.as_deref().map(|r| vault.seal(&refresh_context(install.installation, user), r));
            let sealed = SealedTokens { access_token: &access, refresh_token: refresh.as_deref(), expires_at: tokens.expires_at, scopes: &tokens.scopes };
            store::swap_refreshed(db, scope, install.installation, user, &sealed_refresh, &sealed, now).await?
        }
        Err(TokenError::Refused) => store::drop_refused(db, scope, install.installation, user, &sealed_refresh).await?,
        Err(_) => {
            // The service is down: the claim goes, so that the next use tries again.
            store::release_refresh(db, scope, install.installation, user, &sealed_refresh).await?;
            false
        }
    };
    match refreshed {
        Ok(tokens) if swapped => Ok(Some(tokens.access_token)),
        Err(TokenError::Refused) if swapped => Ok(None),
        // The service is down: the current token still works until it expires.
        Err(TokenError::Failed(e)) => {
            tracing::warn!(plugin = %install.slug, error = %e, "refreshing a service token failed");
            if still_valid { Ok(Some(access)) } else { Err(TokenError::Failed(e).into()) }
        }
        // Another refresh, a Logout or an uninstall came first: what is stored now stands.
        _ => Ok(store::find(db, scope, install.installation, user).await?.as_ref().and_then(open_access)),
    }
}

/// Logout: Plugboard forgets the user's tokens, or the plugin server is told.
pub async fn logout(state: &AppState, user: &Member, installation: InstallationId, now: i64) -> Result<(), ConnectError> {
    let install = PluginInstall::find(&state.db, &user.scope(), Which::Installation(installation)).await?.ok_or(ConnectError::NotInstalled)?;
    if install.oauth.is_some() {
        store::forget(&state.db, &user.scope(), install.installation, user.id).await?;
        return Ok(());
    }
    match install.target(&state.vault, user).filter(|_| install.show_authorization_button) {
        Some(target) => Ok(state.plugin_servers.logout(&target, now).await?),
        None => Err(ConnectError::NoConnect),
    }
}

/// Whether the viewer is connected to each installed plugin that offers Connect, by
/// slug: from Plugboard's own tokens, or asked of every plugin server at once.
pub async fn status_for(state: &AppState, user: &Member, installs: &[PluginInstall], now: i64) -> Result<HashMap<String, ConnectionView>, stores::Error> {
    let mine = store::connected_installations(&state.db, &user.scope(), user.id).await?;
    let asks = installs.iter().filter(|i| i.offers_connect()).map(|install| {
        let mine = &mine;
        async move {
            let view = if install.oauth.is_some() {
                let connected = mine.contains(&install.installation);
                ConnectionView { connected: Some(connected), problem: None }
            } else {
                match install.target(&state.vault, user) {
                    Some(target) => match state.plugin_servers.check_auth(&target, now).await {
                        Ok(connected) => ConnectionView { connected: Some(connected), problem: None },
                        Err(e) => ConnectionView { connected: None, problem: Some(e.to_string()) },
                    },
                    None => ConnectionView { connected: None, problem: None },
                }
            };
            (install.slug.clone(), view)
        }
    });
    Ok(futures::future::join_all(asks).await.into_iter().collect())
}
