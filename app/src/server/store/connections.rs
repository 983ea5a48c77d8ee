//! Connections to plugins' own services, where Plugboard is the OAuth client: the
//! pending authorization requests (bound to the browser session that started them) and
//! each person's tokens, sealed by the caller before they get here.

use crate::domain::{InstallationId, PluginId, UserId};
use crate::server::scope::TenantScope;
use crate::server::Db;

/// Forgets the authorization requests nobody finished in time.
pub async fn prune_requests(db: &Db, now: i64) -> Result<(), super::Error> {
    sqlx::query("DELETE FROM service_connect_requests WHERE expires_at <= $1").bind(now).execute(db.pool()).await?;
    Ok(())
}

/// A Connect under way: the browser went to the service with `state`.
pub struct NewRequest<'a> {
    pub state_hash: &'a str,
    pub session_hash: &'a str,
    pub installation: InstallationId,
    pub user: UserId,
    /// Sealed.
    pub pkce_verifier: &'a str,
    pub expires_at: i64,
}

pub async fn insert_request(db: &Db, request: &NewRequest<'_>) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO service_connect_requests (state_hash, session_hash, installation_id, user_id, pkce_verifier, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(request.state_hash)
    .bind(request.session_hash)
    .bind(request.installation)
    .bind(request.user)
    .bind(request.pkce_verifier)
    .bind(request.expires_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A Connect request as the callback finds it.
#[derive(sqlx::FromRow)]
pub struct PendingRequest {
    pub session_hash: String,
    pub installation_id: InstallationId,
    pub user_id: UserId,
    /// Sealed.
    pub pkce_verifier: String,
    pub expires_at: i64,
}

/// Takes the request of `state_hash` once: a replayed callback finds nothing.
pub async fn take_request(db: &Db, state_hash: &str) -> Result<Option<PendingRequest>, super::Error> {
    sqlx::query_as(
        "DELETE FROM service_connect_requests WHERE state_hash = $1 \
         RETURNING session_hash, installation_id, user_id, pkce_verifier, expires_at",
    )
    .bind(state_hash)
    .fetch_optional(db.pool())
    .await
}

/// A person's tokens for a plugin's service, sealed.
pub struct SealedTokens<'a> {
    pub access_token: &'a str,
    pub refresh_token: Option<&'a str>,
    pub expires_at: Option<i64>,
    pub scopes: &'a str,
}

/// Saves a person's first tokens, replacing any earlier ones, if the scope's
/// installation is still active; false when it is not.
pub async fn save(db: &Db, scope: &TenantScope, installation: InstallationId, user: UserId, tokens: &SealedTokens<'_>, now: i64) -> Result<bool, super::Error> {
    let stored = sqlx::query(
        "INSERT INTO service_connections (installation_id, user_id, tenant_id, access_token, refresh_token, expires_at, scopes, created_at, updated_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $8 WHERE EXISTS (SELECT 1 FROM installations WHERE id = $1 AND tenant_id = $3 AND status = 'active') \
         ON CONFLICT (installation_id, user_id) DO UPDATE SET access_token = excluded.access_token, \
             refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, scopes = excluded.scopes, updated_at = excluded.updated_at",
    )
    .bind(installation)
    .bind(user)
    .bind(scope.tenant())
    .bind(tokens.access_token)
    .bind(tokens.refresh_token)
    .bind(tokens.expires_at)
    .bind(tokens.scopes)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(stored.rows_affected() == 1)
}

/// A person's connection as stored (sealed).
#[derive(sqlx::FromRow)]
pub struct Stored {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<i64>,
    /// Until when a caller holds the claim to refresh it (`None`: nobody does).
    pub refreshing_until: Option<i64>,
}

/// The connection of `user` (in the scope's tenant) to the installation's service.
pub async fn find(db: &Db, scope: &TenantScope, installation: InstallationId, user: UserId) -> Result<Option<Stored>, super::Error> {
    sqlx::query_as(
        "SELECT access_token, refresh_token, expires_at, refreshing_until FROM service_connections \
         WHERE installation_id = $1 AND user_id = $2 AND tenant_id = $3",
    )
    .bind(installation)
    .bind(user)
    .bind(scope.tenant())
    .fetch_optional(db.pool())
        .await
}

pub async fn forget(db: &Db, scope: &TenantScope, installation: InstallationId, user: UserId) -> Result<(), super::Error> {
    sqlx::query("DELETE FROM service_connections WHERE installation_id = $1 AND user_id = $2 AND tenant_id = $3")
        .bind(installation)
        .bind(user)
        .bind(scope.tenant())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Claims the refresh of the connection that holds `sealed_refresh` until `until`, unless
/// another caller holds an unexpired claim; true when this caller has it.
#[allow(clippy::too_many_arguments)]
pub async fn claim_refresh(db: &Db, scope: &TenantScope, installation: InstallationId, user: UserId, sealed_refresh: &str, until: i64, now: i64) -> Result<bool, super::Error> {
    let claimed = sqlx::query(
        "UPDATE service_connections SET refreshing_until = $1 \
         WHERE installation_id = $2 AND user_id = $3 AND refresh_token = $4 AND (refreshing_until IS NULL OR refreshing_until < $5) AND tenant_id = $6",
    )
    .bind(until)
    .bind(installation)
    .bind(user)
    .bind(sealed_refresh)
    .bind(now)
    .bind(scope.tenant())
    .execute(db.pool())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Swaps in refreshed tokens if the connection still holds `sealed_refresh` (an empty
/// `scopes` keeps the old ones); false when a Logout or another refresh came first.
#[allow(clippy::too_many_arguments)]
pub async fn swap_refreshed(db: &Db, scope: &TenantScope, installation: InstallationId, user: UserId, sealed_refresh: &str, tokens: &SealedTokens<'_>, now: i64) -> Result<bool, super::Error> {
    let swapped = sqlx::query(
        "UPDATE service_connections SET access_token = $1, refresh_token = $2, expires_at = $3, \
             scopes = CASE WHEN $4 = '' THEN scopes ELSE $4 END, updated_at = $5, refreshing_until = NULL \
         WHERE installation_id = $6 AND user_id = $7 AND refresh_token = $8 AND tenant_id = $9",
    )
    .bind(tokens.access_token)
    .bind(tokens.refresh_token)
    .bind(tokens.expires_at)
    .bind(tokens.scopes)
    .bind(now)
    .bind(installation)
    .bind(user)
    .bind(sealed_refresh)
    .bind(scope.tenant())
    .execute(db.pool())
    .await?;
    Ok(swapped.rows_affected() == 1)
}

/// The service refused the refresh: the connection that holds `sealed_refresh` goes.
pub async fn drop_refused(db: &Db, scope: &TenantScope, installation: InstallationId, user: UserId, sealed_refresh: &str) -> Result<bool, super::Error> {
    let dropped = sqlx::query("DELETE FROM service_connections WHERE installation_id = $1 AND user_id = $2 AND refresh_token = $3 AND tenant_id = $4")
        .bind(installation)
        .bind(user)
        .bind(sealed_refresh)
        .bind(scope.tenant())
        .execute(db.pool())
        .await?;
    Ok(dropped.rows_affected() == 1)
}

/// Gives up the refresh claim on the connection that holds `sealed_refresh`.
pub async fn release_refresh(db: &Db, scope: &TenantScope, installation: InstallationId, user: UserId, sealed_refresh: &str) -> Result<(), super::Error> {
    sqlx::query("UPDATE service_connections SET refreshing_until = NULL WHERE installation_id = $1 AND user_id = $2 AND refresh_token = $3 AND tenant_id = $4")
        .bind(installation)
        .bind(user)
        .bind(sealed_refresh)
        .bind(scope.tenant())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The installations of the scope's tenant that `user` is connected to.
pub async fn connected_installations(db: &Db, scope: &TenantScope, user: UserId) -> Result<Vec<InstallationId>, super::Error> {
    sqlx::query_scalar("SELECT installation_id FROM service_connections WHERE tenant_id = $1 AND user_id = $2")
        .bind(scope.tenant())
        .bind(user)
        .fetch_all(db.pool())
        .await
}

/// Ends every tenant's connection to the plugin's service, and the connects under way
/// (inside the caller's transaction): its OAuth client changed, so the tokens held must
/// not be sent to the new one.
pub async fn end_all_for_plugin(conn: &mut super::Conn, plugin: super::plugins::OwnedPlugin) -> Result<(), super::Error> {
    end_all(conn, plugin.id()).await
}

/// The same, as staff make a version with another OAuth client live.
pub async fn end_all_for_plugin_by_staff(conn: &mut super::Conn, _staff: &crate::server::scope::StaffScope, plugin: PluginId) -> Result<(), super::Error> {
    end_all(conn, plugin).await
}

async fn end_all(conn: &mut super::Conn, plugin_id: PluginId) -> Result<(), super::Error> {
    for sql in [
        "DELETE FROM service_connections WHERE installation_id IN (SELECT id FROM installations WHERE plugin_id = $1)",
        "DELETE FROM service_connect_requests WHERE installation_id IN (SELECT id FROM installations WHERE plugin_id = $1)",
    ] {
        sqlx::query(sql).bind(plugin_id).execute(&mut *conn).await?;
    }
    Ok(())
}
