//! Installations: one row per (plugin, tenant), `pending` from consent until the plugin
//! exchanges its code, then `active`, `uninstalled` after Uninstall; and the history of
//! installs and uninstalls behind a developer's charts.

use super::{Conn, Flag, Known, Named, StoredOrigins, StoredScopes, StoredServiceOAuth};
use crate::domain::{InstallationId, InstalledPlugin, PluginId, PluginSlug, ScopeSet, TenantId, UserId};
use crate::server::plugin_servers::{Bundle, PluginInstall, Which};
use crate::server::scope::{StaffScope, TenantScope};
use crate::server::Db;
use super::invites::NEVER_PUBLISHED;

/// Where an installation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallStatus {
    Pending,
    Active,
    Uninstalled,
}

impl Named for InstallStatus {
    const WHAT: &'static str = "installation status";

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "pending" => Some(InstallStatus::Pending),
            "active" => Some(InstallStatus::Active),
            "uninstalled" => Some(InstallStatus::Uninstalled),
            _ => None,
        }
    }
}

/// An admin of the scope's tenant approved the consent screen: the installation exists
/// as `pending` (or keeps its `active` state and current grant until the plugin exchanges
/// the new code).
pub async fn record_consent(conn: &mut Conn, scope: &TenantScope, plugin: PluginId, user: UserId, scopes: &ScopeSet, now: i64) -> Result<InstallationId, super::Error> {
    sqlx::query_scalar(
        "INSERT INTO installations (plugin_id, tenant_id, granted_scopes, status, installed_by, installed_at, updated_at) \
         VALUES ($1, $2, $3, 'pending', $4, $5, $5) \
         ON CONFLICT (plugin_id, tenant_id) DO UPDATE SET \
             granted_scopes = CASE WHEN installations.status = 'active' THEN installations.granted_scopes ELSE excluded.granted_scopes END, \
             installed_by = CASE WHEN installations.status = 'active' THEN installations.installed_by ELSE excluded.installed_by END, \
             status = CASE WHEN installations.status = 'active' THEN 'active' ELSE 'pending' END, \
             updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(plugin)
    .bind(scope.tenant())
    .bind(scopes.to_json())
    .bind(user)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// An installation as the code exchange sees it.
#[derive(sqlx::FromRow)]
pub struct InstallationState {
    pub plugin_id: PluginId,
    pub tenant_id: TenantId,
    #[sqlx(try_from = "String")]
    pub status: Known<InstallStatus>,
    #[sqlx(try_from = "String")]
    pub granted_scopes: StoredScopes,
    /// Stopped by its plugin's suspension, until this consent.
    pub suspended_at: Option<i64>,
    /// Staff suspended the plugin: nothing may be issued for it.
    pub plugin_suspended_at: Option<i64>,
}

/// The installation a code was issued for (the code itself names the tenant).
pub async fn state(conn: &mut Conn, installation: InstallationId) -> Result<Option<InstallationState>, super::Error> {
    sqlx::query_as(
        "SELECT i.plugin_id, i.tenant_id, i.status, i.granted_scopes, i.suspended_at, p.suspended_at AS plugin_suspended_at \
         FROM installations i JOIN plugins p ON p.id = i.plugin_id WHERE i.id = $1",
    )
        .bind(installation)
        .fetch_optional(conn)
        .await
}

/// Active with `scopes` (running again if a suspension stopped it; a declined update
/// request is answered by the consent); `installed_at` is now unless it was active already.
/// The caller releases the webhooks a suspension held (`webhooks::release_installation`).
pub async fn make_active(conn: &mut Conn, installation: InstallationId, scopes: &ScopeSet, now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "UPDATE installations SET status = 'active', granted_scopes = $1, updated_at = $2, suspended_at = NULL, declined_version = NULL, \
             installed_at = CASE WHEN status = 'active' THEN installed_at ELSE $2 END \
         WHERE id = $3",
    )
    .bind(scopes.to_json())
    .bind(now)
    .bind(installation)
    .execute(conn)
    .await?;
    Ok(())
}

/// One more install of the plugin, in its count and its history.
pub async fn count_install(conn: &mut Conn, plugin_id: PluginId, tenant_id: TenantId, now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE plugins SET install_count = install_count + 1 WHERE id = $1").bind(plugin_id).execute(&mut *conn).await?;
    record_history(conn, plugin_id, tenant_id, "installed", now).await
}

/// The scope's installation, unless it is uninstalled already: its plugin and status.
pub async fn current(conn: &mut Conn, scope: &TenantScope, installation: InstallationId) -> Result<Option<(PluginId, InstallStatus)>, super::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        plugin_id: PluginId,
        #[sqlx(try_from = "String")]
        status: Known<InstallStatus>,
    }
    let row: Option<Row> = sqlx::query_as("SELECT plugin_id, status FROM installations WHERE id = $1 AND tenant_id = $2 AND status <> 'uninstalled'")
        .bind(installation)
        .bind(scope.tenant())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| (r.plugin_id, r.status.0)))
}

/// An installation that a scoped Uninstall marked uninstalled (`mark_uninstalled`): the
/// steps that end what it held (`grants::revoke_installation`, `cut_off`) take it, so
/// they only ever reach an installation found through a scope. Neither `Clone` nor
/// `Copy`; the caller runs those steps in the transaction that marked it.
#[derive(Debug)]
pub struct Uninstalled {
    installation: InstallationId,
}

impl Uninstalled {
    pub(super) fn id(&self) -> InstallationId {
        self.installation
    }
}

/// Marks the scope's installation uninstalled, forgetting its settings (a reinstall
/// starts from nothing); `None` when it was uninstalled already (a
/// concurrent Uninstall).
pub async fn mark_uninstalled(conn: &mut Conn, scope: &TenantScope, installation: InstallationId, now: i64) -> Result<Option<Uninstalled>, super::Error> {
    mark(conn, installation, scope.tenant(), now).await
}

/// Marks the tenant's installation uninstalled and forgets its settings.
async fn mark(conn: &mut Conn, installation: InstallationId, tenant: TenantId, now: i64) -> Result<Option<Uninstalled>, super::Error> {
    let changed = sqlx::query("UPDATE installations SET status = 'uninstalled', config = '{}', config_secrets = '{}', updated_at = $1 WHERE id = $2 AND tenant_id = $3 AND status <> 'uninstalled'")
        .bind(now)
        .bind(installation)
        .bind(tenant)
        .execute(&mut *conn)
        .await?;
    Ok((changed.rows_affected() == 1).then_some(Uninstalled { installation }))
}

/// The developer revoked the invite a tenant had accepted: the tenant's installation of
/// the plugin (pending or active), if it has one, is marked uninstalled as Uninstall marks
/// it: the proof the steps after it take, its id, and its status before.
pub async fn end_test_install(
    conn: &mut Conn,
    revoked: &super::invites::RevokedInvite,
    now: i64,
) -> Result<Option<(Uninstalled, InstallationId, InstallStatus)>, super::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: InstallationId,
        #[sqlx(try_from = "String")]
        status: Known<InstallStatus>,
    }
    let Some(tenant) = revoked.tenant else { return Ok(None) };
    // The installation's row lock first (a no-op write, as the code exchange takes it):
    // its status is then the one it keeps until this transaction ends.
    sqlx::query("UPDATE installations SET updated_at = updated_at WHERE plugin_id = $1 AND tenant_id = $2 AND status <> 'uninstalled'")
        .bind(revoked.plugin)
        .bind(tenant)
        .execute(&mut *conn)
        .await?;
    let found: Option<Row> = sqlx::query_as("SELECT id, status FROM installations WHERE plugin_id = $1 AND tenant_id = $2 AND status <> 'uninstalled'")
        .bind(revoked.plugin)
        .bind(tenant)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = found else { return Ok(None) };
    Ok(mark(conn, row.id, tenant, now).await?.map(|uninstalled| (uninstalled, row.id, row.status.0)))
}

/// An uninstalled installation's service connections go, and its pending Runs fail.
pub async fn cut_off(conn: &mut Conn, uninstalled: &Uninstalled, now: i64) -> Result<(), super::Error> {
    let installation = uninstalled.id();
    // Tokens Plugboard held for the plugin's service go too, and the plugin can no
    // longer finish the Runs it accepted.
    for sql in [
        "DELETE FROM service_connections WHERE installation_id = $1",
        "DELETE FROM service_connect_requests WHERE installation_id = $1",
    ] {
        sqlx::query(sql).bind(installation).execute(&mut *conn).await?;
    }
    sqlx::query(
        "UPDATE plugin_jobs SET status = CASE WHEN deadline_at <= $1 THEN 'timed_out' ELSE 'failed' END, \
             error = CASE WHEN deadline_at <= $1 THEN NULL ELSE 'The plugin was uninstalled.' END, finished_at = $1 \
         WHERE installation_id = $2 AND status = 'pending'",
    )
    .bind(now)
    .bind(installation)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One install fewer of the plugin, in its count and its history.
pub async fn count_uninstall(conn: &mut Conn, plugin_id: PluginId, tenant_id: TenantId, now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE plugins SET install_count = CASE WHEN install_count > 0 THEN install_count - 1 ELSE 0 END WHERE id = $1")
        .bind(plugin_id)
        .execute(&mut *conn)
        .await?;
    record_history(conn, plugin_id, tenant_id, "uninstalled", now).await
}

/// Adds an install or an uninstall to the plugin's history (its developer's charts).
async fn record_history(conn: &mut Conn, plugin_id: PluginId, tenant_id: TenantId, kind: &str, now: i64) -> Result<(), super::Error> {
    sqlx::query("INSERT INTO install_events (plugin_id, tenant_id, kind, happened_at) VALUES ($1, $2, $3, $4)")
        .bind(plugin_id)
        .bind(tenant_id)
        .bind(kind)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct InstalledRow {
    id: InstallationId,
    #[sqlx(try_from = "String")]
    granted_scopes: StoredScopes,
    installed_at: i64,
    #[sqlx(try_from = "String")]
    slug: PluginSlug,
    name: String,
    author: String,
    icon_url: Option<String>,
    #[sqlx(try_from = "i64")]
    is_verified: Flag,
    display_name: Option<String>,
    email: Option<String>,
    reconnect_needed: Option<i64>,
    /// No version of it was ever published.
    #[sqlx(try_from = "i64")]
    test_version: Flag,
    #[sqlx(flatten)]
    standing: UpdateFacts,
    #[sqlx(flatten)]
    settings: super::settings::SettingsColumns,
}

/// What an installation's update request and suspension are worked out from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UpdateFacts {
    pub installation_suspended_at: Option<i64>,
    pub declined_version: Option<i64>,
    /// The live version's scopes.
    #[sqlx(try_from = "String")]
    pub permissions: StoredScopes,
    pub suspended_at: Option<i64>,
    pub suspension_reason: Option<String>,
    pub live_version: Option<i64>,
    pub release_notes: Option<String>,
}

/// The columns of [`UpdateFacts`], for installations `i` of plugins `p`.
const UPDATE_FACTS: &str = "i.suspended_at AS installation_suspended_at, i.declined_version, p.permissions, p.suspended_at, p.suspension_reason, \
     (SELECT MAX(v.number) FROM plugin_versions v WHERE v.plugin_id = p.id AND v.state = 'published') AS live_version, \
     (SELECT v.release_notes FROM plugin_versions v WHERE v.plugin_id = p.id AND v.state = 'published' ORDER BY v.number DESC LIMIT 1) AS release_notes";

/// When reuse detection revoked installation `i`'s latest grant (NULL when that grant
/// is live, or ended otherwise): a reconnect brings a newer one.
const RECONNECT_NEEDED: &str = "(SELECT CASE WHEN g.revoked_for IS NOT NULL THEN g.revoked_at END FROM oauth_grants g \
     WHERE g.installation_id = i.id ORDER BY g.id DESC LIMIT 1) AS reconnect_needed";

/// The tenant's active installations, newest first, each with what its update request,
/// suspension and settings are worked out from.
pub async fn active(db: &Db, scope: &TenantScope) -> Result<Vec<(InstalledPlugin, UpdateFacts, super::settings::SettingsColumns)>, super::Error> {
    let rows: Vec<InstalledRow> = sqlx::query_as(&format!(
        "SELECT i.id, i.granted_scopes, i.installed_at, p.slug, p.name, p.author, p.icon_url, p.is_verified, \
                CASE WHEN {NEVER_PUBLISHED} THEN 1 ELSE 0 END AS test_version, \
                u.display_name, u.email, {RECONNECT_NEEDED}, {UPDATE_FACTS}, {} \
         FROM installations i JOIN plugins p ON p.id = i.plugin_id LEFT JOIN users u ON u.id = i.installed_by \
         WHERE i.tenant_id = $1 AND i.status = 'active' ORDER BY i.installed_at DESC, i.id DESC",
        super::settings::SETTINGS_COLUMNS
    ))
    .bind(scope.tenant())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (InstalledPlugin {
            installation_id: r.id,
            slug: r.slug,
            name: r.name,
            author: r.author,
            icon_url: r.icon_url,
            is_verified: r.is_verified.0,
            scopes: r.granted_scopes.0,
            installed_at: r.installed_at,
            installed_by: r.display_name.filter(|n| !n.is_empty()).or(r.email),
            license: None,
            connection: None,
            update: None,
            suspended: None,
            needs_reactivation: false,
            has_settings: false,
            setup_needed: false,
            settings_flagged: false,
            reconnect_needed: r.reconnect_needed,
            test_version: r.test_version.0,
        }, r.standing, r.settings))
        .collect())
}

/// An active installation with its grant and update facts.
#[derive(sqlx::FromRow)]
struct FactsRow {
    id: InstallationId,
    plugin_id: PluginId,
    #[sqlx(try_from = "String")]
    granted_scopes: StoredScopes,
    #[sqlx(flatten)]
    standing: UpdateFacts,
}

/// Which of the scope's active installations [`facts`] reads.
enum FactsOf {
    Plugin(PluginId),
    Installation(InstallationId),
}

async fn facts(conn: &mut Conn, scope: &TenantScope, of: FactsOf) -> Result<Option<FactsRow>, super::Error> {
    let (column, id) = match of {
        FactsOf::Plugin(plugin) => ("i.plugin_id", plugin.get()),
        FactsOf::Installation(installation) => ("i.id", installation.get()),
    };
    sqlx::query_as(&format!(
        "SELECT i.id, i.plugin_id, i.granted_scopes, {UPDATE_FACTS} FROM installations i JOIN plugins p ON p.id = i.plugin_id \
         WHERE i.tenant_id = $1 AND {column} = $2 AND i.status = 'active'"
    ))
    .bind(scope.tenant())
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The scope's active installation of `plugin`: its id, grant and update facts.
pub async fn of_plugin(db: &Db, scope: &TenantScope, plugin: PluginId) -> Result<Option<(InstallationId, ScopeSet, UpdateFacts)>, super::Error> {
    let mut conn = db.pool().acquire().await?;
    Ok(facts(&mut conn, scope, FactsOf::Plugin(plugin)).await?.map(|r| (r.id, r.granted_scopes.0, r.standing)))
}

/// The scope's active installation `installation`, read in the caller's transaction for
/// an update decision: its plugin, grant and update facts.
pub async fn for_update(conn: &mut Conn, scope: &TenantScope, installation: InstallationId) -> Result<Option<(PluginId, ScopeSet, UpdateFacts)>, super::Error> {
    Ok(facts(conn, scope, FactsOf::Installation(installation)).await?.map(|r| (r.plugin_id, r.granted_scopes.0, r.standing)))
}

/// Takes the scope's installation's row lock (a no-op write, as SQLite has no `FOR UPDATE`).
pub async fn lock(conn: &mut Conn, scope: &TenantScope, installation: InstallationId) -> Result<(), super::Error> {
    sqlx::query("UPDATE installations SET updated_at = updated_at WHERE id = $1 AND tenant_id = $2").bind(installation).bind(scope.tenant()).execute(conn).await?;
    Ok(())
}

/// The scope's installation is granted `scopes` now, and so are its live grants (a
/// refresh gives tokens for them); a declined request is answered.
pub async fn regrant(conn: &mut Conn, scope: &TenantScope, installation: InstallationId, scopes: &ScopeSet, now: i64) -> Result<(), super::Error> {
    let changed = sqlx::query("UPDATE installations SET granted_scopes = $1, declined_version = NULL, updated_at = $2 WHERE id = $3 AND tenant_id = $4")
        .bind(scopes.to_json())
        .bind(now)
        .bind(installation)
        .bind(scope.tenant())
        .execute(&mut *conn)
        .await?;
    if changed.rows_affected() == 1 {
        regrant_grants(conn, installation, scopes).await?;
    }
    Ok(())
}

async fn regrant_grants(conn: &mut Conn, installation: InstallationId, scopes: &ScopeSet) -> Result<(), super::Error> {
    sqlx::query("UPDATE oauth_grants SET scopes = $1 WHERE installation_id = $2 AND revoked_at IS NULL")
        .bind(scopes.to_json())
        .bind(installation)
        .execute(conn)
        .await?;
    Ok(())
}

/// The scope's tenant declined the wider scopes of the plugin's live version `version`.
pub async fn decline(conn: &mut Conn, scope: &TenantScope, installation: InstallationId, version: i64, now: i64) -> Result<bool, super::Error> {
    let changed = sqlx::query("UPDATE installations SET declined_version = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4 AND status = 'active'")
        .bind(version)
        .bind(now)
        .bind(installation)
        .bind(scope.tenant())
        .execute(conn)
        .await?;
    Ok(changed.rows_affected() == 1)
}

/// Every active installation of the plugin with its tenant and grant, for staff
/// publishing a version that narrows what the plugin asks for.
pub async fn active_grants(conn: &mut Conn, _staff: &StaffScope, plugin: PluginId) -> Result<Vec<(InstallationId, TenantId, ScopeSet)>, super::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: InstallationId,
        tenant_id: TenantId,
        #[sqlx(try_from = "String")]
        granted_scopes: StoredScopes,
    }
    let rows: Vec<Row> = sqlx::query_as("SELECT id, tenant_id, granted_scopes FROM installations WHERE plugin_id = $1 AND status = 'active' ORDER BY id")
        .bind(plugin)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.tenant_id, r.granted_scopes.0)).collect())
}

/// Staff published a version that asks for less: the installation keeps only `scopes`.
pub async fn narrow(conn: &mut Conn, _staff: &StaffScope, installation: InstallationId, scopes: &ScopeSet, now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE installations SET granted_scopes = $1, updated_at = $2 WHERE id = $3")
        .bind(scopes.to_json())
        .bind(now)
        .bind(installation)
        .execute(&mut *conn)
        .await?;
    regrant_grants(conn, installation, scopes).await
}

/// Staff suspended the plugin: each of its active installations stops until its
/// tenant consents again; their pending Runs fail.
pub async fn suspend_all(conn: &mut Conn, _staff: &StaffScope, plugin: PluginId, now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE installations SET suspended_at = $1, updated_at = $1 WHERE plugin_id = $2 AND status = 'active' AND suspended_at IS NULL")
        .bind(now)
        .bind(plugin)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE plugin_jobs SET status = CASE WHEN deadline_at <= $1 THEN 'timed_out' ELSE 'failed' END, \
             error = 'The plugin was suspended by Plugboard.', finished_at = $1 \
         WHERE status = 'pending' AND installation_id IN (SELECT id FROM installations WHERE plugin_id = $2)",
    )
    .bind(now)
    .bind(plugin)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct PluginInstallRow {
    id: InstallationId,
    #[sqlx(try_from = "String")]
    granted_scopes: StoredScopes,
    plugin_id: PluginId,
    slug: String,
    name: String,
    client_id: String,
    server_url: Option<String>,
    webhook_secret: Option<String>,
    #[sqlx(try_from = "i64")]
    show_authorization_button: Flag,
    #[sqlx(try_from = "i64")]
    monetized: Flag,
    #[sqlx(try_from = "i64")]
    processes_content: Flag,
    #[sqlx(try_from = "Option<String>")]
    oauth_config: StoredServiceOAuth,
    oauth_client_secret: Option<String>,
    #[sqlx(try_from = "String")]
    client_origins: StoredOrigins,
    sha256: Option<String>,
    integrity: Option<String>,
}

impl PluginInstallRow {
    fn into_install(self, scope: &TenantScope) -> PluginInstall {
        PluginInstall {
            installation: self.id,
            tenant: scope.tenant(),
            granted: self.granted_scopes.0,
            plugin_id: self.plugin_id,
            slug: self.slug,
            name: self.name,
            client_id: self.client_id,
            server_url: self.server_url,
            signing_secret: self.webhook_secret,
            show_authorization_button: self.show_authorization_button.0,
            monetized: self.monetized.0,
            processes_content: self.processes_content.0,
            oauth: self.oauth_config.0,
            oauth_client_secret: self.oauth_client_secret,
            bundle: match (self.sha256, self.integrity) {
                (Some(sha256), Some(integrity)) => Some(Bundle { sha256, integrity }),
                _ => None,
            },
            client_origins: self.client_origins.0,
        }
    }
}

/// The tenant's active installations (all, or the one named) with what talking to their
/// plugins' servers needs, oldest first.
pub async fn plugin_installs(db: &Db, scope: &TenantScope, which: Which<'_>) -> Result<Vec<PluginInstall>, super::Error> {
    let (filter, slug, installation) = match which {
        Which::All => ("", None, None),
        Which::Slug(slug) => (" AND p.slug = $2", Some(slug.to_owned()), None),
        Which::Installation(id) => (" AND i.id = $2", None, Some(id)),
    };
    let sql = format!(
        "SELECT i.id, i.granted_scopes, p.id AS plugin_id, p.slug, p.name, p.client_id, p.server_url, p.webhook_secret, \
                p.show_authorization_button, p.monetized, p.processes_content, p.oauth_config, p.oauth_client_secret, \
                p.client_origins, b.sha256, b.integrity \
         FROM installations i JOIN plugins p ON p.id = i.plugin_id LEFT JOIN bundles b ON b.sha256 = p.bundle_sha256 \
         WHERE i.tenant_id = $1 AND i.status = 'active' AND i.suspended_at IS NULL AND p.suspended_at IS NULL{filter} ORDER BY i.id"
    );
    let mut query = sqlx::query_as::<_, PluginInstallRow>(&sql).bind(scope.tenant());
    if let Some(slug) = slug {
        query = query.bind(slug);
    }
    if let Some(id) = installation {
        query = query.bind(id);
    }
    Ok(query.fetch_all(db.pool()).await?.into_iter().map(|row| row.into_install(scope)).collect())
}

/// The plugin's installs and uninstalls since `since`: each one's kind and when.
pub async fn install_events_since(db: &Db, plugin: super::plugins::OwnedPlugin, since: i64) -> Result<Vec<(String, i64)>, super::Error> {
    sqlx::query_as("SELECT kind, happened_at FROM install_events WHERE plugin_id = $1 AND happened_at >= $2")
        .bind(plugin.id())
        .bind(since)
        .fetch_all(db.pool())
        .await
}
