//! The authorization server's state machine, free of HTTP: codes, grants and tokens
//! (DESIGN.md §4). A code exchange starts a grant; every token descends from one grant,
//! so revoking the grant (replayed code, reused refresh token, uninstall) kills the
//! whole family at once.

use super::pkce;
use crate::domain::{InstallationId, PluginId, ScopeSet, TenantId, TokenFailure};
use crate::server::store::installations::InstallStatus;
use crate::server::secrets::{random_token, sha256_hex};
use crate::server::store::grants::{self as store, CodeRequest, NewToken, TokenKind};
use crate::server::store::{self as stores, Conn};
use crate::server::webhooks::{self, Data, GrantRevokedData, Recipient, RevokedFor};
use crate::server::Db;

pub const CODE_TTL_SECS: i64 = 5 * 60;
pub const ACCESS_TOKEN_TTL_SECS: i64 = 3600;
/// A refresh token unused for this long expires; every use rotates it.
pub const REFRESH_TOKEN_TTL_SECS: i64 = 90 * 86_400;

pub const ACCESS_PREFIX: &str = "pba_";
pub const REFRESH_PREFIX: &str = "pbr_";
const CODE_PREFIX: &str = "pbac_";

/// A plugin whose client credentials were verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub plugin_id: PluginId,
    pub client_id: String,
}

/// What the token endpoint answers with.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub scopes: ScopeSet,
}

#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// Unknown, expired, used, revoked, or issued to another client or redirect URI.
    /// One variant for all of these, so that failures cannot be told apart.
    #[error("invalid grant")]
    InvalidGrant,
    /// The client's own code or refresh token, of a grant that reuse detection revoked
    /// (now or before): the plugin is told why, so that it can ask for a reconnect.
    #[error("the grant was revoked for reuse")]
    RevokedForReuse(RevokedFor),
    #[error("the requested scope is wider than the grant")]
    InvalidScope,
    #[error("{0}")]
    InvalidRequest(&'static str),
    /// The grant refreshed more often than its budget allows; nothing was rotated.
    #[error("too many refreshes of this grant")]
    RateLimited { retry_after: i64 },
    #[error(transparent)]
    Db(#[from] stores::Error),
}

/// How often one grant may refresh: a plugin refreshes about hourly per installation, so
/// a grant refreshing in a loop is a bug (or a stolen token) and waits. Counted per
/// grant, never per plugin, so a plugin's size is no ceiling.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub per_grant_per_minute: i64,
}

/// Issues a single-use code (inside the consent's transaction) and returns it.
pub async fn issue_code(conn: &mut Conn, request: &CodeRequest<'_>, now: i64) -> Result<String, stores::Error> {
    let code = random_token(CODE_PREFIX);
    store::insert_code(conn, &sha256_hex(&code), request, now + CODE_TTL_SECS, now).await?;
    Ok(code)
}

/// `grant_type=authorization_code`, for the install lifecycle
/// (`installations::exchange_code`), which passes the step that makes the code's
/// installation active: it runs in the exchange's transaction, after the code is claimed
/// and before the grant starts, and answers `false` when the installation is gone (no
/// token is issued then).
pub(crate) async fn exchange_code(
    db: &Db,
    client: &Client,
    code: &str,
    redirect_uri: &str,
    code_verifier: &str,
    now: i64,
    activate: impl AsyncFnOnce(&mut Conn, InstallationId, &ScopeSet) -> Result<bool, stores::Error>,
) -> Result<IssuedTokens, GrantError> {
    if !pkce::is_valid_verifier(code_verifier) {
        return Err(GrantError::InvalidRequest(
            "code_verifier must be 43 to 128 characters from A-Z, a-z, 0-9 and - . _ ~",
        ));
    }
    let code_hash = sha256_hex(code);
    let mut tx = db.begin_write().await?;
    let Some(row) = store::code(&mut tx, &code_hash).await? else { return Err(GrantError::InvalidGrant) };
    let family_of = |grant| Family { grant, plugin: row.plugin_id, installation: row.installation_id, tenant: row.tenant_id };
    if row.used_at.is_some() {
        // A second use: whoever holds the code now, the first exchange's tokens die too.
        if let Some(grant) = row.grant_id {
            let reuse = revoke_for_reuse(&mut tx, &family_of(grant), RevokedFor::AuthorizationCodeReused, now).await?;
            tx.commit().await?;
            if row.plugin_id == client.plugin_id {
                return Err(reuse.map_or(GrantError::InvalidGrant, GrantError::RevokedForReuse));
            }
        }
        return Err(GrantError::InvalidGrant);
    }
    if row.plugin_id != client.plugin_id
        || row.expires_at <= now
        || row.redirect_uri != redirect_uri
        || !pkce::verifier_matches(code_verifier, &row.code_challenge)
    {
        return Err(GrantError::InvalidGrant);
    }
    // Lock order: installation, then code, grant and tokens (uninstall takes the
    // installation first too), so concurrent exchanges and uninstalls cannot deadlock.
    store::lock_installation(&mut tx, row.installation_id).await?;
    // Claim the code; under a race only one transaction gets the row.
    if !store::claim_code(&mut tx, &code_hash, now).await? {
        if let Some(grant) = store::code_grant(&mut tx, &code_hash).await? {
            let reuse = revoke_for_reuse(&mut tx, &family_of(grant), RevokedFor::AuthorizationCodeReused, now).await?;
            tx.commit().await?;
            return Err(reuse.map_or(GrantError::InvalidGrant, GrantError::RevokedForReuse));
        }
        return Err(GrantError::InvalidGrant);
    }
    let installation = row.installation_id;
    let scopes = row.scopes.0;
    if !activate(&mut tx, installation, &scopes).await? {
        return Err(GrantError::InvalidGrant);
    }
    let grant = store::insert_grant(&mut tx, &code_hash, client.plugin_id, installation, row.tenant_id, &scopes, now).await?;
    let family = Family { grant, plugin: client.plugin_id, installation, tenant: row.tenant_id };
    let tokens = issue_pair(&mut tx, &family, &scopes, now).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// `grant_type=refresh_token`: rotates the refresh token. Presenting one that was
/// already used revokes the grant (someone else has a copy). A refusal of the client's
/// own token is recorded for its console's token health.
pub async fn refresh(
    db: &Db,
    client: &Client,
    refresh_token: &str,
    requested: Option<&ScopeSet>,
    budget: &Budget,
    now: i64,
) -> Result<IssuedTokens, GrantError> {
    match rotate(db, client, refresh_token, requested, budget, now).await {
        Ok(tokens) => Ok(tokens),
        Err(Refused { error, record }) => {
            if let Some((installation, kind)) = record {
                // Its own write, after the refusal rolled back; losing it loses a console
                // line, never the answer.
                let recorded = async {
                    let mut tx = db.begin_write().await?;
                    store::record_failure(&mut tx, client.plugin_id, installation, kind, now).await?;
                    tx.commit().await
                };
                if let Err(e) = recorded.await {
                    tracing::warn!(error = %e, "could not record a refused refresh token");
                }
            }
            Err(error)
        }
    }
}

/// A refused refresh, and what to record of it after the transaction rolled back.
struct Refused {
    error: GrantError,
    record: Option<(InstallationId, TokenFailure)>,
}

impl<E: Into<GrantError>> From<E> for Refused {
    fn from(error: E) -> Self {
        Refused { error: error.into(), record: None }
    }
}

async fn rotate(
    db: &Db,
    client: &Client,
    refresh_token: &str,
    requested: Option<&ScopeSet>,
    budget: &Budget,
    now: i64,
) -> Result<IssuedTokens, Refused> {
    let token_hash = sha256_hex(refresh_token);
    let mut tx = db.begin_write().await?;
    let Some(row) = store::refresh_token(&mut tx, &token_hash).await? else { return Err(GrantError::InvalidGrant.into()) };
    let family = Family { grant: row.grant_id, plugin: row.plugin_id, installation: row.installation_id, tenant: row.tenant_id };
    let refuse = |error, kind| Refused { error, record: Some((family.installation, kind)) };
    // Lock order: grant, then its tokens (as `revoke_grant` takes them). Racing
    // refreshes of one token would otherwise deadlock on PostgreSQL.
    store::lock_grant(&mut tx, family.grant).await?;
    if family.plugin != client.plugin_id || row.status.0 != InstallStatus::Active {
        return Err(GrantError::InvalidGrant.into());
    }
    if row.grant_revoked_at.is_some() {
        let error = match row.grant_revoked_for.0.and_then(RevokedFor::of) {
            Some(reuse) => GrantError::RevokedForReuse(reuse),
            None => GrantError::InvalidGrant,
        };
        return Err(refuse(error, TokenFailure::GrantRevoked));
    }
    if row.revoked_at.is_some() {
        return Err(GrantError::InvalidGrant.into());
    }
    if row.used_at.is_some() {
        revoke_for_reuse(&mut tx, &family, RevokedFor::RefreshTokenReused, now).await?;
        tx.commit().await?;
        return Err(GrantError::RevokedForReuse(RevokedFor::RefreshTokenReused).into());
    }
    if row.expires_at <= now {
        return Err(refuse(GrantError::InvalidGrant, TokenFailure::Expired));
    }
    // The grant's scopes as they stand now: an approved update widened them, a narrower
    // live version narrowed them (RFC 6749 §6: no `scope` means all the grant has).
    let granted = row.grant_scopes.0;
    let scopes = match requested {
        Some(asked) if !asked.is_subset_of(&granted) => return Err(refuse(GrantError::InvalidScope, TokenFailure::ScopeTooWide)),
        Some(asked) => asked.clone(),
        None => granted,
    };
    // Counted in this transaction: a refused refresh rolls its own count back, so the
    // window's count stays at the budget and the grant keeps what it had.
    let refreshes = crate::server::rate_limit::record_in(&mut tx, &format!("grant-refresh:{}", family.grant), 60, now).await?;
    if let crate::server::rate_limit::Verdict::Limited { retry_after } =
        crate::server::rate_limit::verdict(refreshes, budget.per_grant_per_minute, 60, now)
    {
        return Err(refuse(GrantError::RateLimited { retry_after }, TokenFailure::RateLimited));
    }
    if !store::claim_token(&mut tx, &token_hash, now).await? {
        // Another request rotated it first: the same token twice means a copy exists.
        revoke_for_reuse(&mut tx, &family, RevokedFor::RefreshTokenReused, now).await?;
        tx.commit().await?;
        return Err(GrantError::RevokedForReuse(RevokedFor::RefreshTokenReused).into());
    }
    let tokens = issue_pair(&mut tx, &family, &scopes, now).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// RFC 7009: revokes `token` if it is this client's. A refresh token takes its whole
/// grant with it; an access token goes alone. Unknown tokens are not an error.
pub async fn revoke(db: &Db, client: &Client, token: &str, now: i64) -> Result<(), stores::Error> {
    let token_hash = sha256_hex(token);
    let mut tx = db.begin_write().await?;
    match store::token_of_plugin(&mut tx, &token_hash, client.plugin_id).await? {
        Some((TokenKind::Refresh, grant)) => {
            store::revoke_grant(&mut tx, grant, None, now).await?;
        }
        Some((TokenKind::Access, _)) => store::revoke_token(&mut tx, &token_hash, now).await?,
        None => {}
    }
    tx.commit().await?;
    Ok(())
}

/// A live token as RFC 7662 describes it.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub kind: &'static str,
    pub scopes: ScopeSet,
    pub issued_at: i64,
    pub expires_at: i64,
    pub installation_id: InstallationId,
    pub tenant_id: TenantId,
}

/// RFC 7662: what this client's `token` is, if it is live. Another client's token,
/// like an unknown one, is simply not active.
pub async fn introspect(db: &Db, client: &Client, token: &str, now: i64) -> Result<Option<TokenInfo>, stores::Error> {
    let Some(live) = live_token(db, &sha256_hex(token), now).await? else { return Ok(None) };
    Ok((live.plugin_id == client.plugin_id).then_some(live.info))
}

/// A live token and the installation it acts for.
#[derive(Debug, Clone)]
pub struct LiveToken {
    pub info: TokenInfo,
    /// What the installation grants (the token's scopes are at most these).
    pub granted: ScopeSet,
    pub plugin_id: PluginId,
    pub plugin_slug: String,
    pub tenant_name: String,
    pub installed_at: i64,
}

/// A token that is live now: not expired, not revoked, not used (refresh), its grant
/// not revoked and its installation active, with its installation's plugin and tenant.
/// The scopes are those of the token narrowed to what the installation still grants.
pub async fn live_token(db: &Db, token_hash: &str, now: i64) -> Result<Option<LiveToken>, stores::Error> {
    let Some(row) = store::live_token(db, token_hash, now).await? else { return Ok(None) };
    let granted = row.granted_scopes.0;
    let info = TokenInfo {
        kind: match row.kind.0 {
            TokenKind::Access => "access_token",
            TokenKind::Refresh => "refresh_token",
        },
        scopes: ScopeSet::new(row.scopes.0.iter().filter(|s| granted.contains(*s))),
        issued_at: row.issued_at,
        expires_at: row.expires_at,
        installation_id: row.installation_id,
        tenant_id: row.tenant_id,
    };
    Ok(Some(LiveToken { info, granted, plugin_id: row.plugin_id, plugin_slug: row.slug, tenant_name: row.tenant_name, installed_at: row.installed_at }))
}

/// Uninstall: every grant, token and unused code of the installation dies.
pub async fn revoke_installation(conn: &mut Conn, uninstalled: &crate::server::store::installations::Uninstalled, now: i64) -> Result<(), stores::Error> {
    store::revoke_installation(conn, uninstalled, now).await
}

/// Reuse detection: the grant and its tokens die, in the caller's transaction, with
/// why; the first time, the console records it and the plugin hears `grant.revoked`.
/// The answer is why the grant is revoked: `reason`, or the reuse that revoked it
/// before; `None` when it had ended otherwise (an uninstall, the plugin's own revocation).
async fn revoke_for_reuse(conn: &mut Conn, family: &Family, reason: RevokedFor, now: i64) -> Result<Option<RevokedFor>, stores::Error> {
    let failure = reason.failure();
    if !store::revoke_grant(conn, family.grant, Some(failure), now).await? {
        return Ok(store::revoked_for(conn, family.grant).await?.and_then(RevokedFor::of));
    }
    tracing::warn!(grant = family.grant, installation = %family.installation, reason = failure.as_str(), "OAuth grant revoked after a code or refresh token was presented twice");
    store::record_failure(&mut *conn, family.plugin, family.installation, failure, now).await?;
    let recipient = Recipient { installation_id: family.installation, tenant_id: family.tenant, plugin_id: family.plugin };
    webhooks::enqueue(conn, &Data::GrantRevoked(GrantRevokedData { recipient, reason }), now).await?;
    Ok(Some(reason))
}

struct Family {
    grant: i64,
    plugin: PluginId,
    installation: InstallationId,
    tenant: TenantId,
}

async fn issue_pair(conn: &mut Conn, family: &Family, scopes: &ScopeSet, now: i64) -> Result<IssuedTokens, stores::Error> {
    let access_token = random_token(ACCESS_PREFIX);
    let refresh_token = random_token(REFRESH_PREFIX);
    for (token, kind, ttl) in [(&access_token, TokenKind::Access, ACCESS_TOKEN_TTL_SECS), (&refresh_token, TokenKind::Refresh, REFRESH_TOKEN_TTL_SECS)] {
        let row = NewToken {
            token_hash: &sha256_hex(token),
            kind,
            grant_id: family.grant,
            plugin_id: family.plugin,
            installation_id: family.installation,
            tenant_id: family.tenant,
            scopes,
            expires_at: now + ttl,
        };
        store::insert_token(&mut *conn, &row, now).await?;
    }
    Ok(IssuedTokens { access_token, refresh_token, expires_in: ACCESS_TOKEN_TTL_SECS, scopes: scopes.clone() })
}
