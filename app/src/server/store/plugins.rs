//! Plugins in the registry: as the authorization server reads them (the client the
//! consent screen names, its secret's hash, who may install it), their client-side
//! bundles, their review by staff with its history, and as their developer edits,
//! submits and follows them.

use super::{decode_error, Conn, Flag, Known, StoredRedirectUris, StoredScopes, StoredServiceOAuth};
use crate::domain::{Category, DecisionKind, PluginId, ReviewState, ScopeSet, UserId};
use crate::server::oauth::redirect_uri::{self, RedirectUri};
use crate::server::plugin_servers::service_oauth::ServiceOAuth;
use crate::server::registry::NewPlugin;
use crate::server::scope::{DeveloperScope, StaffScope, TenantScope};
use crate::server::Db;

/// The registry facts the consent screen needs.
pub struct PluginClient {
    pub id: PluginId,
    pub slug: String,
    pub name: String,
    pub author: String,
    pub icon_url: Option<String>,
    pub is_verified: bool,
    pub is_published: bool,
    /// Published for invited organisations only.
    pub is_private: bool,
    /// No version of it was ever published: what runs is its developer's draft.
    pub never_published: bool,
    pub developer_id: Option<UserId>,
    pub redirect_uris: Vec<RedirectUri>,
    pub permissions: ScopeSet,
    /// Staff suspended it: nobody may install or re-consent.
    pub suspended: bool,
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: PluginId,
    slug: String,
    name: String,
    author: String,
    icon_url: Option<String>,
    #[sqlx(try_from = "i64")]
    is_verified: Flag,
    #[sqlx(try_from = "i64")]
    is_published: Flag,
    #[sqlx(try_from = "i64")]
    is_private: Flag,
    #[sqlx(try_from = "i64")]
    never_published: Flag,
    developer_id: Option<UserId>,
    #[sqlx(try_from = "String")]
    redirect_uris: StoredRedirectUris,
    #[sqlx(try_from = "String")]
    permissions: StoredScopes,
    suspended_at: Option<i64>,
}

pub async fn client(db: &Db, client_id: &str) -> Result<Option<PluginClient>, super::Error> {
    let row: Option<ClientRow> = sqlx::query_as(&format!(
        "SELECT p.id, p.slug, p.name, p.author, p.icon_url, p.is_verified, p.is_published, p.is_private, \
                CASE WHEN {} THEN 1 ELSE 0 END AS never_published, p.developer_id, p.redirect_uris, p.permissions, p.suspended_at \
         FROM plugins p WHERE p.client_id = $1",
        super::invites::NEVER_PUBLISHED,
    ))
    .bind(client_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| PluginClient {
        id: r.id,
        slug: r.slug,
        name: r.name,
        author: r.author,
        icon_url: r.icon_url,
        is_verified: r.is_verified.0,
        is_published: r.is_published.0,
        is_private: r.is_private.0,
        never_published: r.never_published.0,
        developer_id: r.developer_id,
        redirect_uris: r.redirect_uris.0,
        permissions: r.permissions.0,
        suspended: r.suspended_at.is_some(),
    }))
}

/// The plugin's id and the SHA-256 of its client secret.
pub async fn client_secret_hash(db: &Db, client_id: &str) -> Result<Option<(PluginId, String)>, super::Error> {
    sqlx::query_as("SELECT id, client_secret_hash FROM plugins WHERE client_id = $1").bind(client_id).fetch_optional(db.pool()).await
}

/// Who may see a plugin's Install: its client id, whether it is published, and its developer.
#[derive(sqlx::FromRow)]
pub struct InstallGate {
    pub id: PluginId,
    pub client_id: String,
    #[sqlx(try_from = "i64")]
    pub is_published: Flag,
    #[sqlx(try_from = "i64")]
    pub is_private: Flag,
    pub developer_id: Option<UserId>,
    pub suspended_at: Option<i64>,
}

pub async fn install_gate(db: &Db, slug: &str) -> Result<Option<InstallGate>, super::Error> {
    sqlx::query_as("SELECT id, client_id, is_published, is_private, developer_id, suspended_at FROM plugins WHERE slug = $1").bind(slug).fetch_optional(db.pool()).await
}

/// What a consent is checked against when the admin answers it (read inside the
/// consent's transaction).
pub struct ConsentGate {
    /// The scopes the live version asks for.
    pub live: ScopeSet,
    /// Staff suspended the plugin meanwhile.
    pub suspended: bool,
    /// The admin may still install it: it is open to all, or theirs, or their tenant still
    /// holds an invite to it or installed it before it turned private.
    pub open: bool,
}

pub async fn consent_gate(conn: &mut Conn, plugin: PluginId, scope: &TenantScope, user: UserId) -> Result<ConsentGate, super::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(try_from = "String")]
        permissions: StoredScopes,
        suspended_at: Option<i64>,
        #[sqlx(try_from = "i64")]
        open: Flag,
    }
    // The tenant's invite first: a withdrawal waits for this consent, or this consent
    // for the withdrawal.
    super::invites::lock(&mut *conn, plugin, scope.tenant()).await?;
    let row: Row = sqlx::query_as(&format!(
        "SELECT p.permissions, p.suspended_at, CASE WHEN {} OR p.developer_id = $2 OR {} THEN 1 ELSE 0 END AS open \
         FROM plugins p WHERE p.id = $1",
        super::invites::OPEN_TO_ALL,
        super::invites::admitted_condition("$3"),
    ))
    .bind(plugin)
    .bind(user)
    .bind(scope.tenant())
    .fetch_one(conn)
    .await?;
    Ok(ConsentGate { live: row.permissions.0, suspended: row.suspended_at.is_some(), open: row.open.0 })
}

/// Records a step of a plugin's review (a submission or a staff decision), by `actor`,
/// with the number of the version it was about.
pub async fn record_decision(
    conn: &mut Conn,
    plugin_id: PluginId,
    actor: UserId,
    kind: DecisionKind,
    reason: Option<&str>,
    version: Option<i64>,
    at: i64,
) -> Result<(), super::Error> {
    sqlx::query("INSERT INTO plugin_decisions (plugin_id, actor_id, action, reason, version, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(plugin_id)
        .bind(actor)
        .bind(kind.as_str())
        .bind(reason)
        .bind(version)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// A step of a plugin's review, with the name of who took it.
#[derive(sqlx::FromRow)]
pub struct DecisionRow {
    #[sqlx(try_from = "String")]
    pub action: Known<DecisionKind>,
    pub reason: Option<String>,
    pub version: Option<i64>,
    pub created_at: i64,
    pub actor: String,
}

/// The plugin's review history, oldest first.
pub async fn decisions(db: &Db, plugin_id: PluginId) -> Result<Vec<DecisionRow>, super::Error> {
    sqlx::query_as(
        "SELECT d.action, d.reason, d.version, d.created_at, COALESCE(u.display_name, 'A former user') AS actor \
         FROM plugin_decisions d LEFT JOIN users u ON u.id = d.actor_id WHERE d.plugin_id = $1 ORDER BY d.id",
    )
    .bind(plugin_id)
    .fetch_all(db.pool())
    .await
}

/// Where the plugin stands, read inside the caller's transaction.
pub async fn review_state(conn: &mut Conn, plugin: OwnedPlugin) -> Result<ReviewState, super::Error> {
    let raw: String = sqlx::query_scalar("SELECT review_state FROM plugins WHERE id = $1").bind(plugin.id).fetch_one(conn).await?;
    ReviewState::parse(&raw).ok_or_else(|| decode_error("review_state", &raw))
}

/// One line of the staff queue.
#[derive(sqlx::FromRow)]
pub struct QueueRow {
    pub slug: String,
    pub name: String,
    pub author: String,
    #[sqlx(try_from = "String")]
    pub review_state: Known<ReviewState>,
    #[sqlx(try_from = "i64")]
    pub is_verified: Flag,
    pub submitted_at: Option<i64>,
    pub updated_at: i64,
    /// The version in review (the queue of submissions).
    pub version: Option<i64>,
}

/// Up to `limit` plugins in `state`, oldest submission first, those matching `terms`
/// (through the full-text index) when there are any. "In review" lists the plugins with
/// a version in review, live ones included, under the name and author submitted.
pub async fn queue(db: &Db, _staff: &StaffScope, state: ReviewState, terms: &[String], limit: i64) -> Result<Vec<QueueRow>, super::Error> {
    let (condition, value) = if terms.is_empty() {
        ("1 = 1".to_owned(), None)
    } else {
        let (sql, value) = super::search::search_condition(db.dialect(), terms, 3);
        (sql, Some(value))
    };
    let sql = if state == ReviewState::InReview {
        format!(
            "SELECT p.slug, v.name, v.author, p.review_state, p.is_verified, v.submitted_at, p.updated_at, v.number AS version \
             FROM plugins p JOIN plugin_versions v ON v.plugin_id = p.id AND v.state = $1 \
             WHERE {condition} ORDER BY COALESCE(v.submitted_at, 0), p.id LIMIT $2"
        )
    } else {
        format!(
            "SELECT p.slug, p.name, p.author, p.review_state, p.is_verified, p.submitted_at, p.updated_at, CAST(NULL AS BIGINT) AS version \
             FROM plugins p WHERE p.review_state = $1 AND {condition} ORDER BY COALESCE(p.submitted_at, 0), p.id LIMIT $2"
        )
    };
    let mut query = sqlx::query_as(&sql).bind(state.as_str()).bind(limit);
    if let Some(value) = value {
        query = query.bind(value);
    }
    query.fetch_all(db.pool()).await
}

/// A plugin as staff review it.
#[derive(sqlx::FromRow)]
pub struct ReviewedPlugin {
    pub id: PluginId,
    pub slug: String,
    pub name: String,
    pub author: String,
    pub author_url: Option<String>,
    pub icon_url: Option<String>,
    #[sqlx(try_from = "String")]
    pub category: Known<Category>,
    pub description: String,
    #[sqlx(try_from = "String")]
    pub permissions: StoredScopes,
    #[sqlx(try_from = "String")]
    pub redirect_uris: StoredRedirectUris,
    pub webhook_url: Option<String>,
    #[sqlx(try_from = "String")]
    pub review_state: Known<ReviewState>,
    pub review_reason: Option<String>,
    #[sqlx(try_from = "i64")]
    pub is_verified: Flag,
    pub submitted_at: Option<i64>,
    /// The developer's.
    pub email: Option<String>,
    pub suspended_at: Option<i64>,
    pub suspension_reason: Option<String>,
}

/// Any developer's plugin, as staff review it.
pub async fn reviewed(db: &Db, _staff: &StaffScope, slug: &str) -> Result<Option<ReviewedPlugin>, super::Error> {
    sqlx::query_as(
        "SELECT p.id, p.slug, p.name, p.author, p.author_url, p.icon_url, p.category, p.description, p.permissions, \
                p.redirect_uris, p.webhook_url, p.review_state, p.review_reason, p.is_verified, p.submitted_at, u.email, \
                p.suspended_at, p.suspension_reason \
         FROM plugins p LEFT JOIN users u ON u.id = p.developer_id WHERE p.slug = $1",
    )
    .bind(slug)
    .fetch_optional(db.pool())
    .await
}

/// The id of any developer's plugin `slug`, for staff deciding on it, read inside the
/// caller's transaction.
pub async fn id_for_staff(conn: &mut Conn, _staff: &StaffScope, slug: &str) -> Result<Option<PluginId>, super::Error> {
    sqlx::query_scalar("SELECT id FROM plugins WHERE slug = $1").bind(slug).fetch_optional(conn).await
}

/// Applies a staff decision to the plugin if it is in the state it starts from (so two
/// staff deciding at once cannot both win); false when it is not. Publishing and
/// rejecting are decided on the version in review first (`versions::decide`): here they
/// only set where the plugin stands (a live plugin stays published when its next
/// version is rejected).
pub async fn apply_decision(conn: &mut Conn, _staff: &StaffScope, plugin_id: PluginId, kind: DecisionKind, reason: Option<&str>, now: i64) -> Result<bool, super::Error> {
    let sql = match kind {
        DecisionKind::Published => {
            "UPDATE plugins SET review_state = 'published', is_published = CASE WHEN suspended_at IS NULL THEN 1 ELSE 0 END, \
                 review_reason = NULL, updated_at = $1 WHERE id = $2"
        }
        DecisionKind::Rejected => {
            "UPDATE plugins SET review_state = CASE WHEN review_state = 'published' THEN 'published' ELSE 'rejected' END, \
                 review_reason = CASE WHEN review_state = 'published' THEN review_reason ELSE $3 END, updated_at = $1 WHERE id = $2"
        }
        DecisionKind::Suspended => {
            "UPDATE plugins SET suspended_at = $1, suspension_reason = $3, is_published = 0, updated_at = $1 \
             WHERE id = $2 AND suspended_at IS NULL \
               AND EXISTS (SELECT 1 FROM plugin_versions v WHERE v.plugin_id = plugins.id AND v.state = 'published')"
        }
        DecisionKind::Reinstated => {
            "UPDATE plugins SET suspended_at = NULL, suspension_reason = NULL, updated_at = $1, \
                 is_published = CASE WHEN review_state = 'published' THEN 1 ELSE 0 END \
             WHERE id = $2 AND suspended_at IS NOT NULL"
        }
        DecisionKind::Unpublished => {
            "UPDATE plugins SET review_state = 'unpublished', is_published = 0, review_reason = $3, updated_at = $1 \
             WHERE id = $2 AND review_state = 'published'"
        }
        DecisionKind::Verified => "UPDATE plugins SET is_verified = 1, updated_at = $1 WHERE id = $2 AND is_verified = 0",
        DecisionKind::Unverified => "UPDATE plugins SET is_verified = 0, updated_at = $1 WHERE id = $2 AND is_verified = 1",
        DecisionKind::Submitted => return Ok(false),
    };
    let mut query = sqlx::query(sql).bind(now).bind(plugin_id);
    if matches!(kind, DecisionKind::Rejected | DecisionKind::Unpublished | DecisionKind::Suspended) {
        query = query.bind(reason);
    }
    Ok(query.execute(conn).await?.rows_affected() == 1)
}

/// The slug is another plugin's already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlugTaken;

/// A plugin's credentials as stored: the client secret's hash and the sealed signing secret.
pub struct StoredCredentials<'a> {
    pub client_id: &'a str,
    pub client_secret_hash: &'a str,
    pub webhook_secret: &'a str,
}

/// Registers a plugin with its version 1: published (and in the marketplace) at once, or
/// a draft.
pub async fn insert(db: &Db, plugin: &NewPlugin, credentials: &StoredCredentials<'_>, now: i64) -> Result<Result<(), SlugTaken>, super::Error> {
    let mut tx = db.begin_write().await?;
    let inserted: Result<PluginId, _> = sqlx::query_scalar(
        "INSERT INTO plugins (slug, name, description, author, category, is_verified, is_published, client_id, \
             client_secret_hash, permissions, redirect_uris, webhook_url, webhook_secret, kind, developer_id, created_at, updated_at, \
             review_state, author_url, icon_url, server_url, show_authorization_button, monetized, processes_content, oauth_config, oauth_client_secret, client_origins, config_schema, event_types, is_private) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'server', $14, $15, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28) \
         RETURNING id",
    )
    .bind(plugin.slug.as_str())
    .bind(plugin.name.trim())
    .bind(&plugin.description)
    .bind(&plugin.author)
    .bind(plugin.category.as_str())
    .bind(i64::from(plugin.verified))
    .bind(i64::from(plugin.publish))
    .bind(credentials.client_id)
    .bind(credentials.client_secret_hash)
    .bind(plugin.scopes.to_json())
    .bind(redirect_uri::to_json(&plugin.redirect_uris))
    .bind(plugin.webhook_url.as_deref())
    .bind(credentials.webhook_secret)
    .bind(plugin.developer_id)
    .bind(now)
    .bind(if plugin.publish { ReviewState::Published } else { ReviewState::Draft }.as_str())
    .bind(plugin.author_url.as_deref())
    .bind(plugin.icon_url.as_deref())
    .bind(plugin.server_url.as_deref())
    .bind(i64::from(plugin.show_authorization_button))
    .bind(i64::from(plugin.monetized))
    .bind(i64::from(plugin.processes_content))
    .bind(plugin.oauth.as_ref().map(|o| o.to_json()))
    .bind(plugin.oauth_client_secret.as_deref())
    .bind(origins_json(&plugin.client_origins))
    .bind(plugin.settings_schema.as_deref())
    .bind(plugin.subscriptions.to_json())
    .bind(i64::from(plugin.private))
    .fetch_one(&mut *tx)
    .await;
    let id = match super::unless_taken(inserted, SlugTaken)? {
        Ok(id) => id,
        Err(taken) => return Ok(Err(taken)),
    };
    super::versions::first_versions(&mut tx, Some(id), now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// A new client secret's hash; the plugin's client id, `None` when no plugin has the slug.
pub async fn set_client_secret_hash(db: &Db, slug: &str, hash: &str, now: i64) -> Result<Option<String>, super::Error> {
    sqlx::query_scalar("UPDATE plugins SET client_secret_hash = $1, updated_at = $2 WHERE slug = $3 RETURNING client_id")
        .bind(hash)
        .bind(now)
        .bind(slug)
        .fetch_optional(db.pool())
        .await
}

/// A new (sealed) signing secret; the plugin's client id, `None` when no plugin has the slug.
pub async fn set_signing_secret(db: &Db, slug: &str, sealed: &str, now: i64) -> Result<Option<String>, super::Error> {
    sqlx::query_scalar("UPDATE plugins SET webhook_secret = $1, updated_at = $2 WHERE slug = $3 RETURNING client_id")
        .bind(sealed)
        .bind(now)
        .bind(slug)
        .fetch_optional(db.pool())
        .await
}

/// The plugin's signing secret as stored (`None` for no such plugin, or one without).
pub async fn signing_secret(db: &Db, slug: &str) -> Result<Option<String>, super::Error> {
    let stored: Option<Option<String>> = sqlx::query_scalar("SELECT webhook_secret FROM plugins WHERE slug = $1").bind(slug).fetch_optional(db.pool()).await?;
    Ok(stored.flatten())
}

/// Signing secrets stored as they are (starting with `prefix`), as (id, slug, secret).
pub async fn plain_signing_secrets(db: &Db, prefix: &str) -> Result<Vec<(PluginId, String, String)>, super::Error> {
    sqlx::query_as("SELECT id, slug, webhook_secret FROM plugins WHERE substr(webhook_secret, 1, 6) = $1").bind(prefix).fetch_all(db.pool()).await
}

/// Replaces the plugin's signing secret with its sealed form, unless it changed meanwhile.
pub async fn seal_signing_secret(db: &Db, id: PluginId, plain: &str, sealed: &str) -> Result<(), super::Error> {
    sqlx::query("UPDATE plugins SET webhook_secret = $1 WHERE id = $2 AND webhook_secret = $3").bind(sealed).bind(id).bind(plain).execute(db.pool()).await?;
    Ok(())
}

/// One of a developer's plugins, found through their scope by [`owned_by`]: the store's
/// steps on a developer's plugin take it rather than a bare id, so none of them can be
/// reached with an id from a request. Only this module makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnedPlugin {
    id: PluginId,
}

impl OwnedPlugin {
    /// For the steps shared with staff and the seed (decisions, bundles), which take ids.
    pub fn id(&self) -> PluginId {
        self.id
    }
}

/// The scope's developer's plugin `slug`.
pub async fn owned_by(db: &Db, scope: &DeveloperScope, slug: &str) -> Result<Option<OwnedPlugin>, super::Error> {
    let id: Option<PluginId> = sqlx::query_scalar("SELECT id FROM plugins WHERE slug = $1 AND developer_id = $2")
        .bind(slug)
        .bind(scope.developer())
        .fetch_optional(db.pool())
        .await?;
    Ok(id.map(|id| OwnedPlugin { id }))
}

/// The plugin's redirect URIs (credentials, like its client id: not versioned; an
/// edit applies at once).
pub async fn set_redirect_uris(conn: &mut Conn, plugin: OwnedPlugin, uris: &[RedirectUri], now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE plugins SET redirect_uris = $1, updated_at = $2 WHERE id = $3")
        .bind(redirect_uri::to_json(uris))
        .bind(now)
        .bind(plugin.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The plugin's row holds the live version's fields; the connections its service's
/// OAuth client made are the row's.
pub async fn live_oauth(conn: &mut Conn, plugin: PluginId) -> Result<Option<ServiceOAuth>, super::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(try_from = "Option<String>")]
        oauth_config: StoredServiceOAuth,
    }
    let row: Row = sqlx::query_as("SELECT oauth_config FROM plugins WHERE id = $1").bind(plugin).fetch_one(conn).await?;
    Ok(row.oauth_config.0)
}

pub(super) fn origins_json(origins: &[String]) -> String {
    serde_json::to_string(origins).unwrap_or_else(|_| "[]".into())
}

/// A version of the plugin was submitted: a plugin in the marketplace stays there while
/// staff review it; any other is in review now.
pub async fn submitted(conn: &mut Conn, plugin: OwnedPlugin, now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "UPDATE plugins SET review_state = CASE WHEN review_state = 'published' THEN 'published' ELSE 'in_review' END, \
             submitted_at = $1, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(plugin.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One of a developer's plugins, as their list shows it.
#[derive(sqlx::FromRow)]
pub struct DeveloperPluginRow {
    pub slug: String,
    pub name: String,
    pub icon_url: Option<String>,
    #[sqlx(try_from = "String")]
    pub review_state: Known<ReviewState>,
    #[sqlx(try_from = "i64")]
    pub is_verified: Flag,
    pub rating: f64,
    pub review_count: i64,
    pub updated_at: i64,
    pub active_installs: i64,
    #[sqlx(flatten)]
    pub endpoint: super::webhooks::EndpointHealth,
}

/// The developer's plugins, most recently changed first.
pub async fn by_developer(db: &Db, scope: &DeveloperScope) -> Result<Vec<DeveloperPluginRow>, super::Error> {
    sqlx::query_as(
        "SELECT p.slug, p.name, p.icon_url, p.review_state, p.is_verified, p.rating, p.review_count, p.updated_at, \
                p.webhook_url, p.webhook_disabled_at, p.webhook_disabled_reason, p.webhook_failing_since, \
                (SELECT COUNT(*) FROM installations i WHERE i.plugin_id = p.id AND i.status = 'active') AS active_installs \
         FROM plugins p WHERE p.developer_id = $1 ORDER BY p.updated_at DESC, p.id DESC",
    )
    .bind(scope.developer())
    .fetch_all(db.pool())
    .await
}

/// A plugin as its developer's console shows it.
#[derive(sqlx::FromRow)]
pub struct ConsoleRow {
    pub slug: String,
    #[sqlx(try_from = "String")]
    pub redirect_uris: StoredRedirectUris,
    pub client_id: String,
    #[sqlx(try_from = "String")]
    pub review_state: Known<ReviewState>,
    pub review_reason: Option<String>,
    #[sqlx(try_from = "i64")]
    pub is_verified: Flag,
    /// The live version's endpoint and its health.
    #[sqlx(flatten)]
    pub endpoint: super::webhooks::EndpointHealth,
    pub suspended_at: Option<i64>,
    pub suspension_reason: Option<String>,
}

pub async fn console(db: &Db, plugin: OwnedPlugin) -> Result<ConsoleRow, super::Error> {
    sqlx::query_as(
        "SELECT slug, redirect_uris, webhook_url, client_id, review_state, review_reason, is_verified, \
                webhook_disabled_at, webhook_disabled_reason, webhook_failing_since, suspended_at, suspension_reason \
         FROM plugins WHERE id = $1",
    )
    .bind(plugin.id)
    .fetch_one(db.pool())
    .await
}

/// The figures a plugin's statistics start from.
#[derive(sqlx::FromRow)]
pub struct Standing {
    pub name: String,
    pub rating: f64,
    pub review_count: i64,
    pub active: i64,
}

pub async fn standing(db: &Db, plugin: OwnedPlugin) -> Result<Standing, super::Error> {
    sqlx::query_as(
        "SELECT name, rating, review_count, \
                (SELECT COUNT(*) FROM installations i WHERE i.plugin_id = plugins.id AND i.status = 'active') AS active \
         FROM plugins WHERE id = $1",
    )
    .bind(plugin.id)
    .fetch_one(db.pool())
    .await
}
