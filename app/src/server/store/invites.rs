//! Invites to install a plugin before staff publish it (test installs, issue 20). The
//! developer's steps take the [`OwnedPlugin`] their scope found; accepting takes the
//! accepting person's [`TenantScope`], so an invite binds to the tenant authentication
//! gave, never to one a request names.

use super::plugins::OwnedPlugin;
use super::{Conn, Flag};
use crate::domain::{InviteView, PluginId, TenantId, UserId};
use crate::server::scope::TenantScope;
use crate::server::Db;

/// The SQL condition that staff never published a version of plugin `p`: what runs of
/// it is its developer's draft (a test version), not merely a suspended or unpublished
/// reviewed one.
pub const NEVER_PUBLISHED: &str = "NOT EXISTS (SELECT 1 FROM plugin_versions npv WHERE npv.plugin_id = p.id AND npv.state = 'published')";

/// The SQL condition that plugin `p` is open to every organisation: published and not
/// private.
pub const OPEN_TO_ALL: &str = "(p.is_published = 1 AND p.is_private = 0)";

/// The SQL condition that tenant `$tenant` holds a live invite to plugin `p` (accepted and
/// not revoked), for the gates that let invited organisations see and install an
/// unpublished plugin; `tenant` is the placeholder its caller binds the tenant to.
pub fn invited_condition(tenant: &str) -> String {
    format!("EXISTS (SELECT 1 FROM plugin_invites inv WHERE inv.plugin_id = p.id AND inv.tenant_id = {tenant} AND inv.revoked_at IS NULL)")
}

/// The SQL condition that tenant `$tenant` may see and install plugin `p` although it is
/// not open to all: it holds a live invite, or it installed the plugin and has not
/// uninstalled it (an organisation that installed a public plugin keeps it, its page,
/// updates and Reconnect, when a later version is private).
pub fn admitted_condition(tenant: &str) -> String {
    format!(
        "({} OR EXISTS (SELECT 1 FROM installations adm WHERE adm.plugin_id = p.id AND adm.tenant_id = {tenant} AND adm.status <> 'uninstalled'))",
        invited_condition(tenant)
    )
}

/// Takes the row lock of the tenant's live invite to the plugin, if it holds one (a no-op
/// write, as SQLite has no `FOR UPDATE`): a consent issuing a code and the developer
/// withdrawing the invite then happen one after the other, so a withdrawal always finds
/// (and ends) the installation the consent made, or the consent sees the invite gone.
pub async fn lock(conn: &mut Conn, plugin: PluginId, tenant: TenantId) -> Result<(), super::Error> {
    sqlx::query("UPDATE plugin_invites SET organisation = organisation WHERE plugin_id = $1 AND tenant_id = $2 AND revoked_at IS NULL")
        .bind(plugin)
        .bind(tenant)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many live invites the plugin has, in the caller's transaction.
pub async fn count(conn: &mut Conn, plugin: OwnedPlugin) -> Result<i64, super::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM plugin_invites WHERE plugin_id = $1 AND revoked_at IS NULL").bind(plugin.id()).fetch_one(conn).await
}

/// A new invite, by the hash of its token.
pub async fn create(conn: &mut Conn, plugin: OwnedPlugin, organisation: &str, token_hash: &str, now: i64) -> Result<i64, super::Error> {
    sqlx::query_scalar("INSERT INTO plugin_invites (plugin_id, organisation, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(plugin.id())
        .bind(organisation)
        .bind(token_hash)
        .bind(now)
        .fetch_one(conn)
        .await
}

/// The plugin's live invites, newest first, as the console lists them.
pub async fn list(db: &Db, plugin: OwnedPlugin) -> Result<Vec<InviteView>, super::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        organisation: String,
        created_at: i64,
        accepted_at: Option<i64>,
        accepted_by: Option<String>,
        #[sqlx(try_from = "i64")]
        installed: Flag,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT v.id, v.organisation, v.created_at, v.accepted_at, COALESCE(NULLIF(u.display_name, ''), u.email) AS accepted_by, \
                CASE WHEN EXISTS (SELECT 1 FROM installations i WHERE i.plugin_id = v.plugin_id AND i.tenant_id = v.tenant_id \
                                  AND i.status = 'active') THEN 1 ELSE 0 END AS installed \
         FROM plugin_invites v LEFT JOIN users u ON u.id = v.accepted_by \
         WHERE v.plugin_id = $1 AND v.revoked_at IS NULL ORDER BY v.id DESC",
    )
    .bind(plugin.id())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| InviteView {
            id: r.id,
            organisation: r.organisation,
            created_at: r.created_at,
            accepted: r.accepted_at.map(|at| (r.accepted_by.unwrap_or_default(), at)),
            installed: r.installed.0,
        })
        .collect())
}

/// An invite found by its token's hash, with its plugin.
#[derive(sqlx::FromRow)]
pub struct InviteFacts {
    pub id: i64,
    pub plugin_id: PluginId,
    pub organisation: String,
    pub tenant_id: Option<TenantId>,
    pub revoked_at: Option<i64>,
    pub slug: String,
    pub plugin_name: String,
    pub author: String,
    /// Published and not private: anybody installs it from the marketplace.
    #[sqlx(try_from = "i64")]
    pub open_to_all: Flag,
    pub suspended_at: Option<i64>,
}

pub async fn by_token(conn: &mut Conn, token_hash: &str) -> Result<Option<InviteFacts>, super::Error> {
    sqlx::query_as(&format!(
        "SELECT v.id, v.plugin_id, v.organisation, v.tenant_id, v.revoked_at, p.slug, p.name AS plugin_name, p.author, \
                CASE WHEN {OPEN_TO_ALL} THEN 1 ELSE 0 END AS open_to_all, p.suspended_at \
         FROM plugin_invites v JOIN plugins p ON p.id = v.plugin_id WHERE v.token_hash = $1",
    ))
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// What accepting an invite came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The invite is the scope's tenant's now.
    Now,
    /// The tenant holds another live invite to the plugin already: nothing changed.
    AlreadyInvited,
    /// Another request took it, or it was revoked, meanwhile.
    Gone,
}

/// Binds the open invite to the scope's tenant, accepted by `user`.
pub async fn accept(conn: &mut Conn, invite: i64, scope: &TenantScope, user: UserId, now: i64) -> Result<Accepted, super::Error> {
    let result = sqlx::query(
        "UPDATE plugin_invites SET tenant_id = $1, accepted_by = $2, accepted_at = $3 WHERE id = $4 AND tenant_id IS NULL AND revoked_at IS NULL",
    )
    .bind(scope.tenant())
    .bind(user)
    .bind(now)
    .bind(invite)
    .execute(conn)
    .await;
    Ok(match super::unless_taken(result, ())? {
        Ok(done) if done.rows_affected() == 1 => Accepted::Now,
        Ok(_) => Accepted::Gone,
        Err(()) => Accepted::AlreadyInvited,
    })
}

/// An invite the developer revoked: the tenant that had accepted it, if one had. Only
/// [`revoke`] makes one, so the test install it ends is one the developer invited.
pub struct RevokedInvite {
    pub(super) plugin: PluginId,
    pub(super) tenant: Option<TenantId>,
}

impl RevokedInvite {
    pub fn tenant(&self) -> Option<TenantId> {
        self.tenant
    }
}

/// Revokes the plugin's live invite `invite`; `None` when it has none such.
pub async fn revoke(conn: &mut Conn, plugin: OwnedPlugin, invite: i64, now: i64) -> Result<Option<RevokedInvite>, super::Error> {
    let tenant: Option<Option<TenantId>> = sqlx::query_scalar(
        "UPDATE plugin_invites SET revoked_at = $1 WHERE id = $2 AND plugin_id = $3 AND revoked_at IS NULL RETURNING tenant_id",
    )
    .bind(now)
    .bind(invite)
    .bind(plugin.id())
    .fetch_optional(conn)
    .await?;
    Ok(tenant.map(|tenant| RevokedInvite { plugin: plugin.id(), tenant }))
}

/// Whether the tenant is admitted to the plugin that is not open to all: a live invite,
/// or an installation it kept ([`admitted_condition`]).
pub async fn is_admitted(db: &Db, plugin: PluginId, tenant: TenantId) -> Result<bool, super::Error> {
    let admitted: i64 = sqlx::query_scalar(&format!("SELECT CASE WHEN {} THEN 1 ELSE 0 END FROM plugins p WHERE p.id = $1", admitted_condition("$2")))
        .bind(plugin)
        .bind(tenant)
        .fetch_one(db.pool())
        .await?;
    Ok(admitted == 1)
}

/// Whether the developer's plugin is open to every organisation (published, not
/// private): then invites have nothing to open, and withdrawing one uninstalls nothing.
pub async fn open_to_all(conn: &mut Conn, plugin: OwnedPlugin) -> Result<bool, super::Error> {
    let open: i64 = sqlx::query_scalar(&format!("SELECT CASE WHEN {OPEN_TO_ALL} THEN 1 ELSE 0 END FROM plugins p WHERE p.id = $1"))
        .bind(plugin.id())
        .fetch_one(conn)
        .await?;
    Ok(open == 1)
}
