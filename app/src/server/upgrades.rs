//! Upgrades: what happens to installations when a plugin's version goes live. What the
//! live version no longer asks for is taken from every installation at once (each keeps
//! only what the live version asks for, and the plugin hears of it); what it asks for
//! beyond an installation's grant is not given: the installation keeps its grant (tokens
//! keep their scopes; calls needing the new ones get `403 insufficient_scope`) and its
//! owners and admins see an update request with only the difference. Approving widens
//! the grant in place (the plugin's next refresh gets the wider scope,
//! `installation.scopes_updated` tells it); declining keeps the grant and takes the
//! request off Installed plugins until a later version asks (the plugin's page still
//! offers it).

use super::markdown;
use super::scope::{Member, StaffScope, TenantScope};
use super::store::installations::{self as store, UpdateFacts};
use super::store::{self as stores, Conn};
use super::installations::scopes_updated;
use super::{now, Db};
use crate::domain::{InstallationId, InstalledPlugin, PluginId, ScopeSet, ScopeUpdate};

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error("only owners and admins answer update requests")]
    NotAllowed,
    #[error("that plugin is not installed")]
    NotInstalled,
    #[error("the plugin asks for nothing more")]
    NothingRequested,
    #[error(transparent)]
    Db(#[from] stores::Error),
}

impl From<UpgradeError> for crate::error::AppError {
    fn from(err: UpgradeError) -> Self {
        use crate::error::AppError;
        match err {
            UpgradeError::NotAllowed => AppError::Forbidden("Only owners and admins can answer a plugin's update request.".into()),
            UpgradeError::NotInstalled => AppError::NotFound("That plugin is not installed.".into()),
            UpgradeError::NothingRequested => AppError::Conflict("This plugin asks for nothing more than you granted.".into()),
            UpgradeError::Db(e) => super::internal("answering an update request failed")(e),
        }
    }
}

/// The update request an installation shows, if its plugin's live version asks for
/// scopes it was not granted: the difference, with the version's release notes.
pub fn request(granted: &ScopeSet, facts: &UpdateFacts) -> Option<ScopeUpdate> {
    let live = &facts.permissions.0;
    let added = live.without(granted);
    if added.is_empty() || facts.suspended_at.is_some() {
        return None;
    }
    let version = facts.live_version.unwrap_or(1);
    Some(ScopeUpdate {
        version,
        added: added.iter().collect(),
        removed: granted.without(live).iter().collect(),
        notes_html: markdown::render(facts.release_notes.as_deref().unwrap_or("")),
        declined: facts.declined_version == Some(version),
    })
}

/// An installation as the Installed plugins page shows it, with its suspension and, for
/// owners and admins (`manages`), its update request unless they declined it (a
/// declined one is asked again on the plugin's page, or by a later version).
pub fn installed_view(mut plugin: InstalledPlugin, facts: &UpdateFacts, manages: bool) -> InstalledPlugin {
    plugin.update = request(&plugin.scopes, facts).filter(|u| manages && !u.declined);
    plugin.suspended = facts.suspended_at.map(|_| facts.suspension_reason.clone().unwrap_or_default());
    plugin.needs_reactivation = facts.suspended_at.is_none() && facts.installation_suspended_at.is_some();
    plugin
}

/// The member's tenant's active installations, newest first, as the Installed plugins
/// page shows them to the member.
pub async fn installed(db: &Db, member: &Member) -> Result<Vec<InstalledPlugin>, stores::Error> {
    let manages = member.role.can_manage_plugins();
    let scope = member.scope();
    let mut plugins = Vec::new();
    for (plugin, facts, settings) in store::active(db, &scope).await? {
        let mut plugin = installed_view(plugin, &facts, manages);
        let summary = super::settings::summary(db, &scope, &settings).await?;
        plugin.has_settings = summary.has_settings;
        plugin.setup_needed = summary.setup_needed;
        plugin.settings_flagged = summary.flagged && manages;
        plugins.push(plugin);
    }
    Ok(plugins)
}

/// The scope's installation of `plugin`, with its update request (for the plugin's page).
pub async fn of_plugin(db: &Db, scope: &TenantScope, plugin: PluginId) -> Result<Option<(InstallationId, Option<ScopeUpdate>)>, stores::Error> {
    Ok(store::of_plugin(db, scope, plugin).await?.map(|(id, granted, facts)| (id, request(&granted, &facts))))
}

/// Staff made a version live that asks for `live` scopes: every installation granted
/// something the version no longer asks for keeps only what it asks for, at once, and
/// its plugin hears of it (`installation.scopes_updated`). What the version asks for
/// beyond a grant waits for the tenant's approval.
pub async fn version_went_live(conn: &mut Conn, staff: &StaffScope, plugin: PluginId, live: &ScopeSet, now: i64) -> Result<(), stores::Error> {
    for (installation, tenant, granted) in store::active_grants(&mut *conn, staff, plugin).await? {
        if granted.is_subset_of(live) {
            continue;
        }
        let narrowed = granted.intersect(live);
        store::narrow(&mut *conn, staff, installation, &narrowed, now).await?;
        scopes_updated(conn, plugin, installation, tenant, &granted, &narrowed, now).await?;
    }
    Ok(())
}

/// An owner or admin approves the update request: the installation is granted what the
/// live version asks for, in place (its tokens' next refresh carries it), and the plugin
/// hears of it. The new grant.
pub async fn approve(db: &Db, by: &Member, installation: InstallationId) -> Result<ScopeSet, UpgradeError> {
    if !by.role.can_manage_plugins() {
        return Err(UpgradeError::NotAllowed);
    }
    let scope = by.scope();
    let t = now();
    let mut tx = db.begin_write().await?;
    // The installation's lock first: staff publishing a version narrow installations
    // under theirs before the plugin's row changes, so the live scopes read next are
    // those of the version that committed last.
    store::lock(&mut tx, &scope, installation).await?;
    let Some((plugin, granted, facts)) = store::for_update(&mut tx, &scope, installation).await? else {
        return Err(UpgradeError::NotInstalled);
    };
    if request(&granted, &facts).is_none() {
        return Err(UpgradeError::NothingRequested);
    }
    let live = facts.permissions.0;
    store::regrant(&mut tx, &scope, installation, &live, t).await?;
    scopes_updated(&mut tx, plugin, installation, scope.tenant(), &granted, &live, t).await?;
    tx.commit().await?;
    Ok(live)
}

/// An owner or admin declines the update request: the grant stays as it is, and the
/// request is not shown again until a later version asks.
pub async fn decline(db: &Db, by: &Member, installation: InstallationId) -> Result<(), UpgradeError> {
    if !by.role.can_manage_plugins() {
        return Err(UpgradeError::NotAllowed);
    }
    let scope = by.scope();
    let t = now();
    let mut tx = db.begin_write().await?;
    let Some((_, granted, facts)) = store::for_update(&mut tx, &scope, installation).await? else {
        return Err(UpgradeError::NotInstalled);
    };
    let Some(update) = request(&granted, &facts) else { return Err(UpgradeError::NothingRequested) };
    store::decline(&mut tx, &scope, installation, update.version, t).await?;
    tx.commit().await?;
    Ok(())
}
