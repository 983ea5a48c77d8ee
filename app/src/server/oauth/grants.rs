//! The authorization server's state machine, free of HTTP: codes, grants and tokens
//! (DESIGN.md §4). A code exchange starts a grant; every token descends from one grant,
//! so revoking the grant (replayed code, reused refresh token, uninstall) kills the
//! whole family at once.

use super::pkce;
use crate::domain::{InstallationId, PluginId, ScopeSet, TenantId, UserId};
use crate::server::installations::{self, Activation};
use crate::server::secrets::{random_token, sha256_hex};
use crate::server::Db;
use sqlx::{AnyConnection, Row};

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
    #[error("the requested scope is wider than the grant")]
    InvalidScope,
    #[error("{0}")]
    InvalidRequest(&'static str),
    /// The grant refreshed more often than its budget allows; nothing was rotated.
    #[error("too many refreshes of this grant")]
    RateLimited { retry_after: i64 },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// How often one grant may refresh: a plugin refreshes about hourly per installation, so
/// a grant refreshing in a loop is a bug (or a stolen token) and waits. Counted per
/// grant, never per plugin, so a plugin's size is no ceiling.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub per_grant_per_minute: i64,
}

/// What an approved consent binds a code to.
pub struct CodeRequest<'a> {
    pub plugin: PluginId,
    pub installation: InstallationId,
    pub tenant: TenantId,
    pub user: UserId,
    pub redirect_uri: &'a str,
    pub scopes: &'a ScopeSet,
    pub code_challenge: &'a str,
}

/// Issues a single-use code (inside the consent's transaction) and returns it.
pub async fn issue_code(conn: &mut AnyConnection, request: &CodeRequest<'_>, now: i64) -> Result<String, sqlx::Error> {
    let code = random_token(CODE_PREFIX);
    sqlx::query(
        "INSERT INTO oauth_codes (code_hash, plugin_id, installation_id, tenant_id, user_id, redirect_uri, scopes, \
             code_challenge, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(sha256_hex(&code))
    .bind(request.plugin.0)
    .bind(request.installation.0)
    .bind(request.tenant.0)
    .bind(request.user.0)
    .bind(request.redirect_uri)
    .bind(request.scopes.to_json())
    .bind(request.code_challenge)
    .bind(now)
    .bind(now + CODE_TTL_SECS)
    .execute(conn)
    .await?;
    Ok(code)
}

/// `grant_type=authorization_code`.
pub async fn exchange_code(
    db: &Db,
    client: &Client,
    code: &str,
    redirect_uri: &str,
    code_verifier: &str,
    now: i64,
) -> Result<IssuedTokens, GrantError> {
    if !pkce::is_valid_verifier(code_verifier) {
        return Err(GrantError::InvalidRequest(
            "code_verifier must be 43 to 128 characters from A-Z, a-z, 0-9 and - . _ ~",
        ));
    }
    let code_hash = sha256_hex(code);
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT plugin_id, installation_id, tenant_id, redirect_uri, scopes, code_challenge, expires_at, used_at, grant_id \
         FROM oauth_codes WHERE code_hash = $1",
    )
    .bind(&code_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Err(GrantError::InvalidGrant) };
    if row.try_get::<Option<i64>, _>("used_at")?.is_some() {
        // A second use: whoever holds the code now, the first exchange's tokens die too.
        if let Some(grant) = row.try_get::<Option<i64>, _>("grant_id")? {
            revoke_grant(&mut tx, grant, now).await?;
            tx.commit().await?;
        }
        return Err(GrantError::InvalidGrant);
    }
    let bound_plugin: i64 = row.try_get("plugin_id")?;
    let bound_uri: String = row.try_get("redirect_uri")?;
    let challenge: String = row.try_get("code_challenge")?;
    if bound_plugin != client.plugin_id.0
        || row.try_get::<i64, _>("expires_at")? <= now
        || bound_uri != redirect_uri
        || !pkce::verifier_matches(code_verifier, &challenge)
    {
        return Err(GrantError::InvalidGrant);
    }
    // Lock order: installation, then code, grant and tokens (uninstall takes the
    // installation first too), so concurrent exchanges and uninstalls cannot deadlock.
    sqlx::query("UPDATE installations SET updated_at = updated_at WHERE id = $1")
        .bind(row.try_get::<i64, _>("installation_id")?)
        .execute(&mut *tx)
        .await?;
    // Claim the code; under a race only one transaction gets the row.
    let claimed = sqlx::query("UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL")
        .bind(now)
        .bind(&code_hash)
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() == 0 {
        let grant: Option<i64> = sqlx::query_scalar("SELECT grant_id FROM oauth_codes WHERE code_hash = $1")
            .bind(&code_hash)
            .fetch_one(&mut *tx)
            .await?;
        if let Some(grant) = grant {
            revoke_grant(&mut tx, grant, now).await?;
            tx.commit().await?;
        }
        return Err(GrantError::InvalidGrant);
    }
    let installation = InstallationId(row.try_get("installation_id")?);
    let tenant: i64 = row.try_get("tenant_id")?;
    let scopes = ScopeSet::from_json(&row.try_get::<String, _>("scopes")?);
    if installations::activate(&mut tx, installation, &scopes, now).await? == Activation::Gone {
        return Err(GrantError::InvalidGrant);
    }
    let grant: i64 = sqlx::query_scalar(
        "INSERT INTO oauth_grants (plugin_id, installation_id, tenant_id, scopes, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(client.plugin_id.0)
    .bind(installation.0)
    .bind(tenant)
    .bind(scopes.to_json())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE oauth_codes SET grant_id = $1 WHERE code_hash = $2")
        .bind(grant)
        .bind(&code_hash)
        .execute(&mut *tx)
        .await?;
    let family = Family { grant, plugin: client.plugin_id.0, installation: installation.0, tenant };
    let tokens = issue_pair(&mut tx, &family, &scopes, now).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// `grant_type=refresh_token`: rotates the refresh token. Presenting one that was
/// already used revokes the grant (someone else has a copy).
pub async fn refresh(
    db: &Db,
    client: &Client,
    refresh_token: &str,
    requested: Option<&ScopeSet>,
    budget: &Budget,
    now: i64,
) -> Result<IssuedTokens, GrantError> {
    let token_hash = sha256_hex(refresh_token);
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT t.grant_id, t.plugin_id, t.installation_id, t.tenant_id, t.scopes, t.expires_at, t.used_at, t.revoked_at, \
                g.revoked_at AS grant_revoked_at, g.scopes AS grant_scopes, i.status \
         FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id JOIN installations i ON i.id = t.installation_id \
         WHERE t.token_hash = $1 AND t.kind = 'refresh'",
    )
    .bind(&token_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Err(GrantError::InvalidGrant) };
    let family = Family {
        grant: row.try_get("grant_id")?,
        plugin: row.try_get("plugin_id")?,
        installation: row.try_get("installation_id")?,
        tenant: row.try_get("tenant_id")?,
    };
    // Lock order: grant, then its tokens (as `revoke_grant` takes them). Racing
    // refreshes of one token would otherwise deadlock on PostgreSQL.
    lock_grant(&mut tx, family.grant).await?;
    if family.plugin != client.plugin_id.0
        || row.try_get::<Option<i64>, _>("revoked_at")?.is_some()
        || row.try_get::<Option<i64>, _>("grant_revoked_at")?.is_some()
        || row.try_get::<String, _>("status")? != "active"
    {
        return Err(GrantError::InvalidGrant);
    }
    if row.try_get::<Option<i64>, _>("used_at")?.is_some() {
        revoke_grant(&mut tx, family.grant, now).await?;
        tx.commit().await?;
        return Err(GrantError::InvalidGrant);
    }
    if row.try_get::<i64, _>("expires_at")? <= now {
        return Err(GrantError::InvalidGrant);
    }
    let granted = ScopeSet::from_json(&row.try_get::<String, _>("grant_scopes")?);
    let scopes = match requested {
        Some(asked) if !asked.is_subset_of(&granted) => return Err(GrantError::InvalidScope),
        Some(asked) => asked.clone(),
        None => ScopeSet::from_json(&row.try_get::<String, _>("scopes")?),
    };
    // Counted in this transaction: a refused refresh rolls its own count back, so the
    // window's count stays at the budget and the grant keeps what it had.
    let refreshes = crate::server::rate_limit::record_in(&mut tx, &format!("grant-refresh:{}", family.grant), 60, now).await?;
    if let crate::server::rate_limit::Verdict::Limited { retry_after } =
        crate::server::rate_limit::verdict(refreshes, budget.per_grant_per_minute, 60, now)
    {
        return Err(GrantError::RateLimited { retry_after });
    }
    let claimed = sqlx::query("UPDATE oauth_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(&token_hash)
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() == 0 {
        // Another request rotated it first: the same token twice means a copy exists.
        revoke_grant(&mut tx, family.grant, now).await?;
        tx.commit().await?;
        return Err(GrantError::InvalidGrant);
    }
    let tokens = issue_pair(&mut tx, &family, &scopes, now).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// RFC 7009: revokes `token` if it is this client's. A refresh token takes its whole
/// grant with it; an access token goes alone. Unknown tokens are not an error.
pub async fn revoke(db: &Db, client: &Client, token: &str, now: i64) -> Result<(), sqlx::Error> {
    let token_hash = sha256_hex(token);
    let mut tx = db.begin_write().await?;
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT kind, grant_id FROM oauth_tokens WHERE token_hash = $1 AND plugin_id = $2")
            .bind(&token_hash)
            .bind(client.plugin_id.0)
            .fetch_optional(&mut *tx)
            .await?;
    match row {
        Some((kind, grant)) if kind == "refresh" => revoke_grant(&mut tx, grant, now).await?,
        Some(_) => {
            sqlx::query("UPDATE oauth_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(&token_hash)
                .execute(&mut *tx)
                .await?;
        }
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
    pub installation_id: i64,
    pub tenant_id: i64,
}

/// RFC 7662: what this client's `token` is, if it is live. Another client's token,
/// like an unknown one, is simply not active.
pub async fn introspect(db: &Db, client: &Client, token: &str, now: i64) -> Result<Option<TokenInfo>, sqlx::Error> {
    let Some(live) = live_token(db, &sha256_hex(token), now).await? else { return Ok(None) };
    Ok((live.plugin_id == client.plugin_id.0).then_some(live.info))
}

/// A live token and the installation it acts for.
#[derive(Debug, Clone)]
pub struct LiveToken {
    pub info: TokenInfo,
    pub plugin_id: i64,
    pub plugin_slug: String,
    pub tenant_name: String,
    pub installed_at: i64,
}

/// A token that is live now: not expired, not revoked, not used (refresh), its grant
/// not revoked and its installation active, with its installation's plugin and tenant
/// (one query: the REST API runs it on every request). The scopes are those of the
/// token narrowed to what the installation still grants.
pub async fn live_token(db: &Db, token_hash: &str, now: i64) -> Result<Option<LiveToken>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT t.kind, t.scopes, t.issued_at, t.expires_at, t.installation_id, t.tenant_id, t.plugin_id, i.granted_scopes, \
                i.installed_at, p.slug, tn.name AS tenant_name \
         FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id JOIN installations i ON i.id = t.installation_id \
              JOIN plugins p ON p.id = t.plugin_id JOIN tenants tn ON tn.id = t.tenant_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.used_at IS NULL AND g.revoked_at IS NULL \
           AND t.expires_at > $2 AND i.status = 'active'",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let kind: String = row.try_get("kind")?;
    let token_scopes = ScopeSet::from_json(&row.try_get::<String, _>("scopes")?);
    let granted = ScopeSet::from_json(&row.try_get::<String, _>("granted_scopes")?);
    let info = TokenInfo {
        kind: if kind == "access" { "access_token" } else { "refresh_token" },
        scopes: ScopeSet::new(token_scopes.iter().filter(|s| granted.contains(*s))),
        issued_at: row.try_get("issued_at")?,
        expires_at: row.try_get("expires_at")?,
        installation_id: row.try_get("installation_id")?,
        tenant_id: row.try_get("tenant_id")?,
    };
    Ok(Some(LiveToken {
        info,
        plugin_id: row.try_get("plugin_id")?,
        plugin_slug: row.try_get("slug")?,
        tenant_name: row.try_get("tenant_name")?,
        installed_at: row.try_get("installed_at")?,
    }))
}

/// Uninstall: every grant, token and unused code of the installation dies.
pub async fn revoke_installation(conn: &mut AnyConnection, installation: InstallationId, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE oauth_grants SET revoked_at = $1 WHERE installation_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(installation.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE oauth_tokens SET revoked_at = $1 WHERE installation_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(installation.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE oauth_codes SET used_at = $1 WHERE installation_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(installation.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes the grant's row lock (a no-op write, as SQLite has no `FOR UPDATE`).
async fn lock_grant(conn: &mut AnyConnection, grant: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE oauth_grants SET created_at = created_at WHERE id = $1").bind(grant).execute(conn).await?;
    Ok(())
}

async fn revoke_grant(conn: &mut AnyConnection, grant: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE oauth_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(grant)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE oauth_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(grant)
        .execute(&mut *conn)
        .await?;
    tracing::warn!(grant, "OAuth grant revoked after a code or refresh token was presented twice");
    Ok(())
}

struct Family {
    grant: i64,
    plugin: i64,
    installation: i64,
    tenant: i64,
}

async fn issue_pair(conn: &mut AnyConnection, family: &Family, scopes: &ScopeSet, now: i64) -> Result<IssuedTokens, sqlx::Error> {
    let access_token = random_token(ACCESS_PREFIX);
    let refresh_token = random_token(REFRESH_PREFIX);
    for (token, kind, ttl) in [(&access_token, "access", ACCESS_TOKEN_TTL_SECS), (&refresh_token, "refresh", REFRESH_TOKEN_TTL_SECS)] {
        sqlx::query(
            "INSERT INTO oauth_tokens (token_hash, kind, grant_id, plugin_id, installation_id, tenant_id, scopes, issued_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(sha256_hex(token))
        .bind(kind)
        .bind(family.grant)
        .bind(family.plugin)
        .bind(family.installation)
        .bind(family.tenant)
        .bind(scopes.to_json())
        .bind(now)
        .bind(now + ttl)
        .execute(&mut *conn)
        .await?;
    }
    Ok(IssuedTokens { access_token, refresh_token, expires_in: ACCESS_TOKEN_TTL_SECS, scopes: scopes.clone() })
}
