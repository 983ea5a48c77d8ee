//! Consent screens shown and not yet answered.

use crate::domain::{PluginId, PluginSlug, TenantId, UserId};
use crate::server::Db;

/// Forgets consent screens nobody answered in time.
pub async fn prune_consent_requests(db: &Db, now: i64) -> Result<(), super::Error> {
    sqlx::query("DELETE FROM consent_requests WHERE expires_at < $1").bind(now).execute(db.pool()).await?;
    Ok(())
}

/// A consent screen shown to a member, bound to them by the hash of its one-time id.
pub struct NewConsent<'a> {
    pub id_hash: &'a str,
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub plugin_id: PluginId,
    pub redirect_uri: &'a str,
    pub scopes: &'a crate::domain::ScopeSet,
    pub state: Option<&'a str>,
    pub code_challenge: &'a str,
    pub expires_at: i64,
}

pub async fn insert(db: &Db, consent: &NewConsent<'_>) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO consent_requests (id_hash, user_id, tenant_id, plugin_id, redirect_uri, scopes, state, code_challenge, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(consent.id_hash)
    .bind(consent.user_id)
    .bind(consent.tenant_id)
    .bind(consent.plugin_id)
    .bind(consent.redirect_uri)
    .bind(consent.scopes.to_json())
    .bind(consent.state)
    .bind(consent.code_challenge)
    .bind(consent.expires_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A consent screen as its answer finds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consent {
    pub tenant_id: TenantId,
    pub plugin_id: PluginId,
    pub redirect_uri: String,
    #[sqlx(try_from = "String")]
    pub scopes: super::StoredScopes,
    pub state: Option<String>,
    pub code_challenge: String,
    pub expires_at: i64,
}

/// Takes the user's consent screen `id_hash` once: a second answer finds nothing.
pub async fn take(db: &Db, id_hash: &str, user_id: UserId) -> Result<Option<Consent>, super::Error> {
    sqlx::query_as(
        "DELETE FROM consent_requests WHERE id_hash = $1 AND user_id = $2 AND stage = 'consent' \
         RETURNING tenant_id, plugin_id, redirect_uri, scopes, state, code_challenge, expires_at",
    )
    .bind(id_hash)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await
}

/// The consent `consent` was allowed, and the plugin's required settings wait for the
/// admin: the same request waits as `settings` under a new one-time id until
/// `expires_at`, in the transaction that recorded the consent.
pub async fn await_settings(conn: &mut super::Conn, id_hash: &str, user: UserId, consent: &Consent, expires_at: i64) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO consent_requests (id_hash, user_id, tenant_id, plugin_id, redirect_uri, scopes, state, code_challenge, expires_at, stage) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'settings')",
    )
    .bind(id_hash)
    .bind(user)
    .bind(consent.tenant_id)
    .bind(consent.plugin_id)
    .bind(&consent.redirect_uri)
    .bind(consent.scopes.0.to_json())
    .bind(consent.state.as_deref())
    .bind(&consent.code_challenge)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the user's consent to the plugin `slug` waiting for settings `id_hash`, once.
pub async fn take_awaiting(db: &Db, id_hash: &str, user_id: UserId, slug: &PluginSlug) -> Result<Option<Consent>, super::Error> {
    sqlx::query_as(
        "DELETE FROM consent_requests WHERE id_hash = $1 AND user_id = $2 AND stage = 'settings' \
             AND plugin_id = (SELECT id FROM plugins WHERE slug = $3) \
         RETURNING tenant_id, plugin_id, redirect_uri, scopes, state, code_challenge, expires_at",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(slug.as_str())
    .fetch_optional(db.pool())
    .await
}

/// Whether the user's consent to the plugin `slug` waiting for settings `id_hash` is still
/// there (the Settings page offers to continue only then).
pub async fn is_awaiting(db: &Db, id_hash: &str, user_id: UserId, slug: &PluginSlug, now: i64) -> Result<bool, super::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM consent_requests WHERE id_hash = $1 AND user_id = $2 AND stage = 'settings' AND expires_at > $3 \
             AND plugin_id = (SELECT id FROM plugins WHERE slug = $4)",
    )
        .bind(id_hash)
        .bind(user_id)
        .bind(now)
        .bind(slug.as_str())
        .fetch_optional(db.pool())
        .await?;
    Ok(found.is_some())
}

/// Staff suspended the plugin: consent screens shown for it can no longer be answered.
pub async fn drop_for_plugin(conn: &mut super::Conn, _staff: &crate::server::scope::StaffScope, plugin: crate::domain::PluginId) -> Result<(), super::Error> {
    sqlx::query("DELETE FROM consent_requests WHERE plugin_id = $1").bind(plugin).execute(conn).await?;
    Ok(())
}
