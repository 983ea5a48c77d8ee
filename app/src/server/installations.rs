//! Installations: one row per (plugin, tenant), `pending` from consent until the plugin
//! exchanges its code, then `active`, `uninstalled` after Uninstall (DESIGN.md §3, §4).
//! The lifecycle's rules and the webhooks it queues are here; the SQL is in
//! `store::installations`.

use super::oauth::grants;
use super::scope::Member;
use super::store::installations::{self as store, InstallStatus};
use super::store::{self as stores, Conn};
use super::webhooks::{self, Data, InstalledData, Recipient, ScopesUpdatedData, UninstalledData};
use super::{now, Db};
use crate::domain::{InstallationId, InstalledPlugin, ScopeSet};

pub use store::record_consent;

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("only owners and admins install and uninstall plugins")]
    NotAllowed,
    #[error("that plugin is not installed")]
    NotInstalled,
    #[error(transparent)]
    Db(#[from] stores::Error),
}

impl From<InstallError> for crate::error::AppError {
    fn from(err: InstallError) -> Self {
        use crate::error::AppError;
        match err {
            InstallError::NotAllowed => AppError::Forbidden("Only owners and admins can uninstall plugins.".into()),
            InstallError::NotInstalled => AppError::NotFound("That plugin is not installed.".into()),
            InstallError::Db(e) => super::internal("uninstalling failed")(e),
        }
    }
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
    /// Uninstalled, or its plugin suspended, since the consent: nothing may be issued.
    Gone,
}

/// Makes the installation active with `scopes`, inside the exchange's transaction.
pub async fn activate(conn: &mut Conn, installation: InstallationId, scopes: &ScopeSet, now: i64) -> Result<Activation, stores::Error> {
    let Some(current) = store::state(&mut *conn, installation).await? else { return Ok(Activation::Gone) };
    // Staff suspended the plugin since the consent: no token.
    if current.plugin_suspended_at.is_some() {
        return Ok(Activation::Gone);
    }
    let granted = current.granted_scopes.0;
    let outcome = match current.status.0 {
        InstallStatus::Pending => Activation::Installed,
        InstallStatus::Active if &granted != scopes => Activation::ScopesUpdated,
        InstallStatus::Active => Activation::Unchanged,
        InstallStatus::Uninstalled => return Ok(Activation::Gone),
    };
    // A consent after its plugin's suspension was lifted reactivates the installation,
    // whatever it grants.
    if current.suspended_at.is_some() {
        // Its plugin's suspension stopped it: the webhooks held for it are due again.
        stores::webhooks::release_installation(&mut *conn, installation, now).await?;
    }
    if outcome == Activation::Unchanged {
        if current.suspended_at.is_some() {
            store::make_active(&mut *conn, installation, scopes, now).await?;
        }
        return Ok(outcome);
    }
    store::make_active(&mut *conn, installation, scopes, now).await?;
    if outcome == Activation::Installed {
        store::count_install(&mut *conn, current.plugin_id, current.tenant_id, now).await?;
        let recipient = Recipient { installation_id: installation, tenant_id: current.tenant_id, plugin_id: current.plugin_id };
        webhooks::enqueue(conn, &Data::Installed(InstalledData { recipient, scopes: scopes.clone() }), now).await?;
    } else {
        scopes_updated(conn, current.plugin_id, installation, current.tenant_id, &granted, scopes, now).await?;
    }
    Ok(outcome)
}

/// Queues `installation.scopes_updated`: the installation is granted `after` now, was `before`.
pub(crate) async fn scopes_updated(
    conn: &mut Conn,
    plugin: crate::domain::PluginId,
    installation: InstallationId,
    tenant: crate::domain::TenantId,
    before: &ScopeSet,
    after: &ScopeSet,
    now: i64,
) -> Result<(), stores::Error> {
    let recipient = Recipient { installation_id: installation, tenant_id: tenant, plugin_id: plugin };
    let data = ScopesUpdatedData { recipient, scopes: after.clone(), previous_scopes: before.clone() };
    webhooks::enqueue(conn, &Data::ScopesUpdated(data), now).await
}

/// A plugin exchanges the code of a consent: the code's installation becomes active
/// (`activate`) and the grant starts, in one transaction.
pub async fn exchange_code(
    db: &Db,
    client: &grants::Client,
    code: &str,
    redirect_uri: &str,
    code_verifier: &str,
    now: i64,
) -> Result<grants::IssuedTokens, grants::GrantError> {
    grants::exchange_code(db, client, code, redirect_uri, code_verifier, now, async |conn: &mut Conn, installation, scopes: &ScopeSet| {
        Ok(activate(conn, installation, scopes, now).await? != Activation::Gone)
    })
    .await
}

/// An owner or admin uninstalls one of their organisation's plugins: every token and
/// unused code dies at once, installs count down and `plugin.uninstalled` is queued, all
/// in one transaction.
pub async fn uninstall(db: &Db, by: &Member, installation: InstallationId) -> Result<(), InstallError> {
    if !by.role.can_manage_plugins() {
        return Err(InstallError::NotAllowed);
    }
    let scope = &by.scope();
    let t = now();
    let mut tx = db.begin_write().await?;
    let Some((plugin_id, status)) = store::current(&mut tx, scope, installation).await? else { return Err(InstallError::NotInstalled) };
    let Some(uninstalled) = store::mark_uninstalled(&mut tx, scope, installation, t).await? else { return Err(InstallError::NotInstalled) };
    let recipient = Recipient { installation_id: installation, tenant_id: scope.tenant(), plugin_id };
    wind_up(&mut tx, &uninstalled, recipient, status, t).await?;
    tx.commit().await?;
    Ok(())
}

/// What follows marking an installation uninstalled, in its transaction: every token
/// and unused code dies, its connections and pending Runs end, and an active one counts
/// down and is announced (a pending one never was either).
pub(crate) async fn wind_up(conn: &mut Conn, uninstalled: &store::Uninstalled, recipient: Recipient, status: InstallStatus, now: i64) -> Result<(), stores::Error> {
    grants::revoke_installation(&mut *conn, uninstalled, now).await?;
    store::cut_off(&mut *conn, uninstalled, now).await?;
    if status == InstallStatus::Active {
        store::count_uninstall(&mut *conn, recipient.plugin_id, recipient.tenant_id, now).await?;
        webhooks::enqueue(conn, &Data::Uninstalled(UninstalledData { recipient }), now).await?;
    }
    Ok(())
}

/// The member's tenant's active installations, newest first, with their suspensions and
/// (for owners and admins) update requests.
pub async fn list_for_tenant(db: &Db, member: &Member) -> Result<Vec<InstalledPlugin>, stores::Error> {
    super::upgrades::installed(db, member).await
}
