//! The authorization server's codes, grants and tokens, stored by the SHA-256 of their
//! values. Every token descends from one grant; revoking the grant kills the family.

use super::installations::InstallStatus;
use super::{Conn, Known, KnownOpt, Named, StoredScopes};
use crate::domain::{InstallationId, PluginId, ScopeSet, TenantId, TokenFailure, TokenFailureView, UserId};
use crate::server::Db;

/// An access or a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

impl Named for TokenKind {
    const WHAT: &'static str = "token kind";

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "access" => Some(TokenKind::Access),
            "refresh" => Some(TokenKind::Refresh),
            _ => None,
        }
    }
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

/// Stores a code issued for `request`, by its hash.
pub async fn insert_code(conn: &mut Conn, code_hash: &str, request: &CodeRequest<'_>, expires_at: i64, now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO oauth_codes (code_hash, plugin_id, installation_id, tenant_id, user_id, redirect_uri, scopes, \
             code_challenge, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(code_hash)
    .bind(request.plugin)
    .bind(request.installation)
    .bind(request.tenant)
    .bind(request.user)
    .bind(request.redirect_uri)
    .bind(request.scopes.to_json())
    .bind(request.code_challenge)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored code.
#[derive(sqlx::FromRow)]
pub struct Code {
    pub plugin_id: PluginId,
    pub installation_id: InstallationId,
    pub tenant_id: TenantId,
    pub redirect_uri: String,
    #[sqlx(try_from = "String")]
    pub scopes: StoredScopes,
    pub code_challenge: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub grant_id: Option<i64>,
}

pub async fn code(conn: &mut Conn, code_hash: &str) -> Result<Option<Code>, super::Error> {
    sqlx::query_as(
        "SELECT plugin_id, installation_id, tenant_id, redirect_uri, scopes, code_challenge, expires_at, used_at, grant_id \
         FROM oauth_codes WHERE code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(conn)
    .await
}

/// Takes the installation's row lock (a no-op write, as SQLite has no `FOR UPDATE`).
pub async fn lock_installation(conn: &mut Conn, installation: InstallationId) -> Result<(), super::Error> {
    sqlx::query("UPDATE installations SET updated_at = updated_at WHERE id = $1").bind(installation).execute(conn).await?;
    Ok(())
}

/// Marks the code used; under a race only one transaction gets it (true).
pub async fn claim_code(conn: &mut Conn, code_hash: &str, now: i64) -> Result<bool, super::Error> {
    let claimed = sqlx::query("UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL")
        .bind(now)
        .bind(code_hash)
        .execute(conn)
        .await?;
    Ok(claimed.rows_affected() == 1)
}

/// The grant the code's first exchange started, if any.
pub async fn code_grant(conn: &mut Conn, code_hash: &str) -> Result<Option<i64>, super::Error> {
    let grant: Option<Option<i64>> = sqlx::query_scalar("SELECT grant_id FROM oauth_codes WHERE code_hash = $1").bind(code_hash).fetch_optional(conn).await?;
    Ok(grant.flatten())
}

/// A new grant started by the code, which now names it.
pub async fn insert_grant(conn: &mut Conn, code_hash: &str, plugin_id: PluginId, installation_id: InstallationId, tenant_id: TenantId, scopes: &ScopeSet, now: i64) -> Result<i64, super::Error> {
    let grant: i64 = sqlx::query_scalar(
        "INSERT INTO oauth_grants (plugin_id, installation_id, tenant_id, scopes, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(plugin_id)
    .bind(installation_id)
    .bind(tenant_id)
    .bind(scopes.to_json())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE oauth_codes SET grant_id = $1 WHERE code_hash = $2").bind(grant).bind(code_hash).execute(&mut *conn).await?;
    Ok(grant)
}

/// A refresh token with its grant and installation.
#[derive(sqlx::FromRow)]
pub struct RefreshToken {
    pub grant_id: i64,
    pub plugin_id: PluginId,
    pub installation_id: InstallationId,
    pub tenant_id: TenantId,
    #[sqlx(try_from = "String")]
    pub scopes: StoredScopes,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub grant_revoked_at: Option<i64>,
    /// Why the grant was revoked, when reuse detection revoked it.
    #[sqlx(try_from = "Option<String>")]
    pub grant_revoked_for: KnownOpt<TokenFailure>,
    #[sqlx(try_from = "String")]
    pub grant_scopes: StoredScopes,
    #[sqlx(try_from = "String")]
    pub status: Known<InstallStatus>,
}

pub async fn refresh_token(conn: &mut Conn, token_hash: &str) -> Result<Option<RefreshToken>, super::Error> {
    sqlx::query_as(
        "SELECT t.grant_id, t.plugin_id, t.installation_id, t.tenant_id, t.scopes, t.expires_at, t.used_at, t.revoked_at, \
                g.revoked_at AS grant_revoked_at, g.revoked_for AS grant_revoked_for, g.scopes AS grant_scopes, i.status \
         FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id JOIN installations i ON i.id = t.installation_id \
         WHERE t.token_hash = $1 AND t.kind = 'refresh'",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// Marks the token used, unless it was used or revoked already (false).
pub async fn claim_token(conn: &mut Conn, token_hash: &str, now: i64) -> Result<bool, super::Error> {
    let claimed = sqlx::query("UPDATE oauth_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(claimed.rows_affected() == 1)
}

/// The kind and grant of the plugin's token with this hash.
pub async fn token_of_plugin(conn: &mut Conn, token_hash: &str, plugin_id: PluginId) -> Result<Option<(TokenKind, i64)>, super::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(try_from = "String")]
        kind: Known<TokenKind>,
        grant_id: i64,
    }
    let row: Option<Row> = sqlx::query_as("SELECT kind, grant_id FROM oauth_tokens WHERE token_hash = $1 AND plugin_id = $2")
        .bind(token_hash)
        .bind(plugin_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| (r.kind.0, r.grant_id)))
}

pub async fn revoke_token(conn: &mut Conn, token_hash: &str, now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE oauth_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL").bind(now).bind(token_hash).execute(conn).await?;
    Ok(())
}

/// A token that is live now, with its installation's plugin and tenant.
#[derive(sqlx::FromRow)]
pub struct LiveRow {
    #[sqlx(try_from = "String")]
    pub kind: Known<TokenKind>,
    #[sqlx(try_from = "String")]
    pub scopes: StoredScopes,
    pub issued_at: i64,
    pub expires_at: i64,
    pub installation_id: InstallationId,
    pub tenant_id: TenantId,
    pub plugin_id: PluginId,
    #[sqlx(try_from = "String")]
    pub granted_scopes: StoredScopes,
    pub installed_at: i64,
    pub slug: String,
    pub tenant_name: String,
}

/// The token if it is live now: not expired, not revoked, not used (refresh), its grant
/// not revoked and its installation active and the token's tenant's (one query: the REST
/// API runs it on every request). The tenant is the installation's.
pub async fn live_token(db: &Db, token_hash: &str, now: i64) -> Result<Option<LiveRow>, super::Error> {
    sqlx::query_as(
        "SELECT t.kind, t.scopes, t.issued_at, t.expires_at, t.installation_id, i.tenant_id, t.plugin_id, i.granted_scopes, \
                i.installed_at, p.slug, tn.name AS tenant_name \
         FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id \
              JOIN installations i ON i.id = t.installation_id AND i.tenant_id = t.tenant_id \
              JOIN plugins p ON p.id = t.plugin_id JOIN tenants tn ON tn.id = i.tenant_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.used_at IS NULL AND g.revoked_at IS NULL \
           AND t.expires_at > $2 AND i.status = 'active' AND i.suspended_at IS NULL AND p.suspended_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await
}

/// Every grant, token and unused code of the installation dies.
pub async fn revoke_installation(conn: &mut Conn, uninstalled: &super::installations::Uninstalled, now: i64) -> Result<(), super::Error> {
    let installation = uninstalled.id();
    for sql in [
        "UPDATE oauth_grants SET revoked_at = $1 WHERE installation_id = $2 AND revoked_at IS NULL",
        "UPDATE oauth_tokens SET revoked_at = $1 WHERE installation_id = $2 AND revoked_at IS NULL",
        "UPDATE oauth_codes SET used_at = $1 WHERE installation_id = $2 AND used_at IS NULL",
    ] {
        sqlx::query(sql).bind(now).bind(installation).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Staff suspended the plugin: every grant, token and unused code of every installation
/// of it dies.
pub async fn revoke_plugin(conn: &mut Conn, _staff: &crate::server::scope::StaffScope, plugin: PluginId, now: i64) -> Result<(), super::Error> {
    for sql in [
        "UPDATE oauth_grants SET revoked_at = $1 WHERE plugin_id = $2 AND revoked_at IS NULL",
        "UPDATE oauth_tokens SET revoked_at = $1 WHERE plugin_id = $2 AND revoked_at IS NULL",
        "UPDATE oauth_codes SET used_at = $1 WHERE plugin_id = $2 AND used_at IS NULL",
    ] {
        sqlx::query(sql).bind(now).bind(plugin).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Takes the grant's row lock (a no-op write, as SQLite has no `FOR UPDATE`).
pub async fn lock_grant(conn: &mut Conn, grant: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE oauth_grants SET created_at = created_at WHERE id = $1").bind(grant).execute(conn).await?;
    Ok(())
}

/// The grant and every token descended from it die; `reuse` says why when reuse
/// detection revoked it. False when it had been revoked before (nothing changes then).
pub async fn revoke_grant(conn: &mut Conn, grant: i64, reuse: Option<TokenFailure>, now: i64) -> Result<bool, super::Error> {
    let revoked = sqlx::query("UPDATE oauth_grants SET revoked_at = $1, revoked_for = $2 WHERE id = $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(reuse.map(TokenFailure::as_str))
        .bind(grant)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE oauth_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL").bind(now).bind(grant).execute(&mut *conn).await?;
    Ok(revoked.rows_affected() == 1)
}

/// Why the grant was revoked, when reuse detection revoked it.
pub async fn revoked_for(conn: &mut Conn, grant: i64) -> Result<Option<TokenFailure>, super::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(try_from = "Option<String>")]
        revoked_for: KnownOpt<TokenFailure>,
    }
    let row: Option<Row> = sqlx::query_as("SELECT revoked_for FROM oauth_grants WHERE id = $1").bind(grant).fetch_optional(conn).await?;
    Ok(row.and_then(|r| r.revoked_for.0))
}

/// Records a refused code or refresh token of the plugin's installation, at most one of
/// each kind per installation a minute (a plugin retrying in a loop writes one row).
pub async fn record_failure(conn: &mut Conn, plugin: PluginId, installation: InstallationId, kind: TokenFailure, now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO oauth_token_failures (plugin_id, installation_id, kind, at) SELECT $1, $2, $3, $4 \
         WHERE NOT EXISTS (SELECT 1 FROM oauth_token_failures WHERE installation_id = $2 AND kind = $3 AND at > $4 - 60)",
    )
    .bind(plugin)
    .bind(installation)
    .bind(kind.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The plugin's refused codes and refresh tokens since `since`: how many of each kind,
/// and the latest `limit`, newest first, with their installation's tenant.
pub async fn failures_since(db: &Db, plugin: super::plugins::OwnedPlugin, since: i64, limit: i64) -> Result<(Vec<(TokenFailure, i64)>, Vec<TokenFailureView>), super::Error> {
    #[derive(sqlx::FromRow)]
    struct Count {
        #[sqlx(try_from = "String")]
        kind: Known<TokenFailure>,
        n: i64,
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        at: i64,
        #[sqlx(try_from = "String")]
        kind: Known<TokenFailure>,
        installation_id: InstallationId,
        tenant_name: String,
    }
    let counts: Vec<Count> = sqlx::query_as("SELECT kind, COUNT(*) AS n FROM oauth_token_failures WHERE plugin_id = $1 AND at >= $2 GROUP BY kind")
        .bind(plugin.id())
        .bind(since)
        .fetch_all(db.pool())
        .await?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT f.at, f.kind, f.installation_id, t.name AS tenant_name FROM oauth_token_failures f \
         JOIN installations i ON i.id = f.installation_id JOIN tenants t ON t.id = i.tenant_id \
         WHERE f.plugin_id = $1 AND f.at >= $2 ORDER BY f.at DESC, f.id DESC LIMIT $3",
    )
    .bind(plugin.id())
    .bind(since)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok((
        counts.into_iter().map(|c| (c.kind.0, c.n)).collect(),
        rows.into_iter().map(|r| TokenFailureView { at: r.at, kind: r.kind.0, installation_id: r.installation_id, tenant_name: r.tenant_name }).collect(),
    ))
}

/// Forgets refused tokens recorded before `before`.
pub async fn prune_failures(db: &Db, before: i64) -> Result<u64, super::Error> {
    Ok(sqlx::query("DELETE FROM oauth_token_failures WHERE at < $1").bind(before).execute(db.pool()).await?.rows_affected())
}

/// A token of the grant's family to store, by its hash.
pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub kind: TokenKind,
    pub grant_id: i64,
    pub plugin_id: PluginId,
    pub installation_id: InstallationId,
    pub tenant_id: TenantId,
    pub scopes: &'a ScopeSet,
    pub expires_at: i64,
}

pub async fn insert_token(conn: &mut Conn, token: &NewToken<'_>, now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO oauth_tokens (token_hash, kind, grant_id, plugin_id, installation_id, tenant_id, scopes, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(token.token_hash)
    .bind(token.kind.as_str())
    .bind(token.grant_id)
    .bind(token.plugin_id)
    .bind(token.installation_id)
    .bind(token.tenant_id)
    .bind(token.scopes.to_json())
    .bind(now)
    .bind(token.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}
