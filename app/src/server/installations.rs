//! Installations: one row per (plugin, tenant), `pending` from consent until the plugin
//! exchanges its code, then `active`, `uninstalled` after Uninstall (DESIGN.md §3, §4).

use crate::server::scope::TenantScope;
use super::webhooks::{self, Event, EventType};
use super::{now, Db};
use crate::domain::{InstallationId, InstalledPlugin, PluginId, PluginSlug, ScopeSet, TenantId, UserId};
use sqlx::{AnyConnection, Row};

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("that plugin is not installed")]
    NotInstalled,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// An admin approved the consent screen: the installation exists as `pending` (or keeps
/// its `active` state and current grant until the plugin exchanges the new code).
pub async fn record_consent(
    conn: &mut AnyConnection,
    plugin: PluginId,
    tenant: TenantId,
    user: UserId,
    scopes: &ScopeSet,
    now: i64,
) -> Result<InstallationId, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO installations (plugin_id, tenant_id, granted_scopes, status, installed_by, installed_at, updated_at) \
         VALUES ($1, $2, $3, 'pending', $4, $5, $5) \
         ON CONFLICT (plugin_id, tenant_id) DO UPDATE SET \
             granted_scopes = CASE WHEN installations.status = 'active' THEN installations.granted_scopes ELSE excluded.granted_scopes END, \
             installed_by = CASE WHEN installations.status = 'active' THEN installations.installed_by ELSE excluded.installed_by END, \
             status = CASE WHEN installations.status = 'active' THEN 'active' ELSE 'pending' END, \
             updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(plugin.0)
    .bind(tenant.0)
    .bind(scopes.to_json())
    .bind(user.0)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(InstallationId(id))
}

/// What the first code exchange of a consent changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Pending became active: installs count up and `plugin.installed` is queued.
    Installed,
    /// Already active with other scopes: `installation.scopes_updated` is queued.
    ScopesUpdated,
    /// Already active with the same scopes.
    Unchanged,
    /// Uninstalled since the consent: nothing may be issued.
    Gone,
}

/// Makes the installation active with `scopes`, inside the exchange's transaction.
pub async fn activate(
    conn: &mut AnyConnection,
    installation: InstallationId,
    scopes: &ScopeSet,
    now: i64,
) -> Result<Activation, sqlx::Error> {
    let row = sqlx::query("SELECT plugin_id, tenant_id, status, granted_scopes FROM installations WHERE id = $1")
        .bind(installation.0)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(Activation::Gone) };
    let plugin_id: i64 = row.try_get("plugin_id")?;
    let tenant_id: i64 = row.try_get("tenant_id")?;
    let status: String = row.try_get("status")?;
    let granted = ScopeSet::from_json(&row.try_get::<String, _>("granted_scopes")?);
    let outcome = match status.as_str() {
        "pending" => Activation::Installed,
        "active" if &granted != scopes => Activation::ScopesUpdated,
        "active" => Activation::Unchanged,
        _ => return Ok(Activation::Gone),
    };
    if outcome == Activation::Unchanged {
        return Ok(outcome);
    }
    sqlx::query(
        "UPDATE installations SET status = 'active', granted_scopes = $1, updated_at = $2, \
             installed_at = CASE WHEN status = 'active' THEN installed_at ELSE $2 END \
         WHERE id = $3",
    )
    .bind(scopes.to_json())
    .bind(now)
    .bind(installation.0)
    .execute(&mut *conn)
    .await?;
    let mut extra = serde_json::Map::new();
    extra.insert("scopes".into(), serde_json::to_value(scopes).unwrap_or_default());
    let kind = if outcome == Activation::Installed {
        sqlx::query("UPDATE plugins SET install_count = install_count + 1 WHERE id = $1")
            .bind(plugin_id)
            .execute(&mut *conn)
            .await?;
        record_history(conn, plugin_id, tenant_id, "installed", now).await?;
        EventType::PluginInstalled
    } else {
        extra.insert("previous_scopes".into(), serde_json::to_value(&granted).unwrap_or_default());
        EventType::ScopesUpdated
    };
    let event = Event { kind, plugin_id, installation_id: installation.0, tenant_id, extra };
    webhooks::enqueue(conn, &event, now).await?;
    Ok(outcome)
}

/// Uninstalls a tenant's plugin: every token and unused code dies at once, installs
/// count down and `plugin.uninstalled` is queued, all in one transaction.
pub async fn uninstall(db: &Db, scope: &TenantScope, installation: InstallationId) -> Result<(), InstallError> {
    let t = now();
    let mut tx = db.begin_write().await?;
    let current: Option<(i64, String)> = sqlx::query_as(
        "SELECT plugin_id, status FROM installations WHERE id = $1 AND tenant_id = $2 AND status <> 'uninstalled'",
    )
    .bind(installation.0)
    .bind(scope.tenant().0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((plugin_id, status)) = current else { return Err(InstallError::NotInstalled) };
    let changed = sqlx::query("UPDATE installations SET status = 'uninstalled', updated_at = $1 WHERE id = $2 AND status <> 'uninstalled'")
        .bind(t)
        .bind(installation.0)
        .execute(&mut *tx)
        .await?;
    if changed.rows_affected() == 0 {
        return Err(InstallError::NotInstalled);
    }
    super::oauth::grants::revoke_installation(&mut tx, installation, t).await?;
    // Tokens Plugboard held for the plugin's service go too, and the plugin can no
    // longer finish the Runs it accepted.
    for sql in [
        "DELETE FROM service_connections WHERE installation_id = $1",
        "DELETE FROM service_connect_requests WHERE installation_id = $1",
    ] {
        sqlx::query(sql).bind(installation.0).execute(&mut *tx).await?;
    }
    sqlx::query(
        "UPDATE plugin_jobs SET status = CASE WHEN deadline_at <= $1 THEN 'timed_out' ELSE 'failed' END, \
             error = CASE WHEN deadline_at <= $1 THEN NULL ELSE 'The plugin was uninstalled.' END, finished_at = $1 \
         WHERE installation_id = $2 AND status = 'pending'",
    )
        .bind(t)
        .bind(installation.0)
        .execute(&mut *tx)
        .await?;
    // Only an active installation was counted and announced; a pending one never was.
    if status == "active" {
        sqlx::query("UPDATE plugins SET install_count = CASE WHEN install_count > 0 THEN install_count - 1 ELSE 0 END WHERE id = $1")
            .bind(plugin_id)
            .execute(&mut *tx)
            .await?;
        record_history(&mut tx, plugin_id, scope.tenant().0, "uninstalled", t).await?;
        let event = Event {
            kind: EventType::PluginUninstalled,
            plugin_id,
            installation_id: installation.0,
            tenant_id: scope.tenant().0,
            extra: serde_json::Map::new(),
        };
        webhooks::enqueue(&mut tx, &event, t).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Adds an install or an uninstall to the plugin's history (its developer's charts).
async fn record_history(conn: &mut AnyConnection, plugin_id: i64, tenant_id: i64, kind: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO install_events (plugin_id, tenant_id, kind, happened_at) VALUES ($1, $2, $3, $4)")
        .bind(plugin_id)
        .bind(tenant_id)
        .bind(kind)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The tenant's active installations, newest first.
pub async fn list_for_tenant(db: &Db, scope: &TenantScope) -> Result<Vec<InstalledPlugin>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT i.id, i.granted_scopes, i.installed_at, p.slug, p.name, p.author, p.icon_url, p.is_verified, \
                u.display_name, u.email \
         FROM installations i JOIN plugins p ON p.id = i.plugin_id LEFT JOIN users u ON u.id = i.installed_by \
         WHERE i.tenant_id = $1 AND i.status = 'active' ORDER BY i.installed_at DESC, i.id DESC",
    )
    .bind(scope.tenant().0)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let slug: String = row.try_get("slug")?;
            let display_name: Option<String> = row.try_get("display_name")?;
            let email: Option<String> = row.try_get("email")?;
            Ok(InstalledPlugin {
                installation_id: InstallationId(row.try_get("id")?),
                slug: PluginSlug::parse(&slug).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                name: row.try_get("name")?,
                author: row.try_get("author")?,
                icon_url: row.try_get("icon_url")?,
                is_verified: row.try_get::<i64, _>("is_verified")? == 1,
                scopes: ScopeSet::from_json(&row.try_get::<String, _>("granted_scopes")?),
                installed_at: row.try_get("installed_at")?,
                installed_by: display_name.filter(|n| !n.is_empty()).or(email),
                license: None,
                connection: None,
            })
        })
        .collect()
}
