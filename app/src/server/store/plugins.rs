//! Plugins in the registry: as the authorization server reads them (the client the
//! consent screen names, its secret's hash, who may install it), their client-side
//! bundles, their review by staff with its history, and as their developer edits,
//! submits and follows them.

use super::{decode_error, Conn, Flag, Known, StoredOrigins, StoredRedirectUris, StoredScopes, StoredServiceOAuth};
use crate::domain::{Category, DecisionKind, PluginId, ReviewState, ScopeSet, UserId};
use crate::server::oauth::redirect_uri::{self, RedirectUri};
use crate::server::plugin_servers::service_oauth::ServiceOAuth;
use crate::server::registry::NewPlugin;
use crate::server::scope::{DeveloperScope, StaffScope};
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
    pub developer_id: Option<UserId>,
    pub redirect_uris: Vec<RedirectUri>,
    pub permissions: ScopeSet,
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
    developer_id: Option<UserId>,
    #[sqlx(try_from = "String")]
    redirect_uris: StoredRedirectUris,
    #[sqlx(try_from = "String")]
    permissions: StoredScopes,
}

pub async fn client(db: &Db, client_id: &str) -> Result<Option<PluginClient>, super::Error> {
    let row: Option<ClientRow> = sqlx::query_as(
        "SELECT id, slug, name, author, icon_url, is_verified, is_published, developer_id, redirect_uris, permissions \
         FROM plugins WHERE client_id = $1",
    )
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
        developer_id: r.developer_id,
        redirect_uris: r.redirect_uris.0,
        permissions: r.permissions.0,
    }))
}

/// The plugin's id and the SHA-256 of its client secret.
pub async fn client_secret_hash(db: &Db, client_id: &str) -> Result<Option<(PluginId, String)>, super::Error> {
    sqlx::query_as("SELECT id, client_secret_hash FROM plugins WHERE client_id = $1").bind(client_id).fetch_optional(db.pool()).await
}

/// Who may see a plugin's Install: its client id, whether it is published, and its developer.
#[derive(sqlx::FromRow)]
pub struct InstallGate {
    pub client_id: String,
    #[sqlx(try_from = "i64")]
    pub is_published: Flag,
    pub developer_id: Option<UserId>,
}

pub async fn install_gate(db: &Db, slug: &str) -> Result<Option<InstallGate>, super::Error> {
    sqlx::query_as("SELECT client_id, is_published, developer_id FROM plugins WHERE slug = $1").bind(slug).fetch_optional(db.pool()).await
}

/// Records a step of a plugin's review (a submission or a staff decision), by `actor`.
pub async fn record_decision(conn: &mut Conn, plugin_id: PluginId, actor: UserId, kind: DecisionKind, reason: Option<&str>, at: i64) -> Result<(), super::Error> {
    sqlx::query("INSERT INTO plugin_decisions (plugin_id, actor_id, action, reason, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(plugin_id)
        .bind(actor)
        .bind(kind.as_str())
        .bind(reason)
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
    pub created_at: i64,
    pub actor: String,
}

/// The plugin's review history, oldest first.
pub async fn decisions(db: &Db, plugin_id: PluginId) -> Result<Vec<DecisionRow>, super::Error> {
    sqlx::query_as(
        "SELECT d.action, d.reason, d.created_at, COALESCE(u.display_name, 'A former user') AS actor \
         FROM plugin_decisions d LEFT JOIN users u ON u.id = d.actor_id WHERE d.plugin_id = $1 ORDER BY d.id",
    )
    .bind(plugin_id)
    .fetch_all(db.pool())
    .await
}

/// The plugin's review state, read inside the caller's transaction.
pub async fn review_state(conn: &mut Conn, plugin: OwnedPlugin) -> Result<ReviewState, super::Error> {
    let raw: String = sqlx::query_scalar("SELECT review_state FROM plugins WHERE id = $1").bind(plugin.id).fetch_one(conn).await?;
    ReviewState::parse(&raw).ok_or_else(|| decode_error("review_state", &raw))
}

/// Stores (or replaces) the plugin's client-side bundle with its address and integrity.
pub async fn store_bundle(conn: &mut Conn, plugin_id: PluginId, sha256: &str, integrity: &str, bytes: &[u8], now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO plugin_bundles (plugin_id, sha256, integrity, bytes, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (plugin_id) DO UPDATE SET sha256 = excluded.sha256, integrity = excluded.integrity, bytes = excluded.bytes, updated_at = excluded.updated_at",
    )
    .bind(plugin_id)
    .bind(sha256)
    .bind(integrity)
    .bind(bytes)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The plugin ships client-side code now; `back_in_review` takes a published one off the
/// marketplace until staff review the new code.
pub async fn mark_client_side(conn: &mut Conn, plugin: OwnedPlugin, back_in_review: bool, now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "UPDATE plugins SET kind = CASE WHEN server_url IS NULL THEN 'client' ELSE 'both' END, updated_at = $1, \
             review_state = CASE WHEN $2 = 1 THEN 'in_review' ELSE review_state END, \
             is_published = CASE WHEN $2 = 1 THEN 0 ELSE is_published END, \
             submitted_at = CASE WHEN $2 = 1 THEN $1 ELSE submitted_at END \
         WHERE id = $3",
    )
    .bind(now)
    .bind(i64::from(back_in_review))
    .bind(plugin.id)
    .execute(conn)
    .await?;
    Ok(())
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
}

/// Up to `limit` plugins in `state`, oldest submission first, those matching `terms`
/// (through the full-text index) when there are any.
pub async fn queue(db: &Db, _staff: &StaffScope, state: ReviewState, terms: &[String], limit: i64) -> Result<Vec<QueueRow>, super::Error> {
    let (condition, value) = if terms.is_empty() {
        ("1 = 1".to_owned(), None)
    } else {
        let (sql, value) = super::search::search_condition(db.dialect(), terms, 3);
        (sql, Some(value))
    };
    let sql = format!(
        "SELECT p.slug, p.name, p.author, p.review_state, p.is_verified, p.submitted_at, p.updated_at FROM plugins p \
         WHERE p.review_state = $1 AND {condition} ORDER BY COALESCE(p.submitted_at, 0), p.id LIMIT $2"
    );
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
}

/// Any developer's plugin, as staff review it.
pub async fn reviewed(db: &Db, _staff: &StaffScope, slug: &str) -> Result<Option<ReviewedPlugin>, super::Error> {
    sqlx::query_as(
        "SELECT p.id, p.slug, p.name, p.author, p.author_url, p.icon_url, p.category, p.description, p.permissions, \
                p.redirect_uris, p.webhook_url, p.review_state, p.review_reason, p.is_verified, p.submitted_at, u.email \
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

/// Applies a staff decision if the plugin is in the state it starts from (so two staff
/// deciding at once cannot both win); false when it is not.
pub async fn apply_decision(conn: &mut Conn, _staff: &StaffScope, plugin_id: PluginId, kind: DecisionKind, reason: Option<&str>, now: i64) -> Result<bool, super::Error> {
    let sql = match kind {
        DecisionKind::Published => {
            "UPDATE plugins SET review_state = 'published', is_published = 1, review_reason = NULL, updated_at = $1 \
             WHERE id = $2 AND review_state = 'in_review'"
        }
        DecisionKind::Rejected => {
            "UPDATE plugins SET review_state = 'rejected', is_published = 0, review_reason = $3, updated_at = $1 \
             WHERE id = $2 AND review_state = 'in_review'"
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
    if matches!(kind, DecisionKind::Rejected | DecisionKind::Unpublished) {
        query = query.bind(reason);
    }
    Ok(query.execute(conn).await?.rows_affected() == 1)
}

/// The bundle stored at this address (lower-case hex SHA-256).
pub async fn bundle(db: &Db, sha256: &str) -> Result<Option<Vec<u8>>, super::Error> {
    sqlx::query_scalar("SELECT bytes FROM plugin_bundles WHERE sha256 = $1 LIMIT 1").bind(sha256).fetch_optional(db.pool()).await
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

/// Registers a plugin: published (and in the marketplace) at once, or a draft.
pub async fn insert(db: &Db, plugin: &NewPlugin, credentials: &StoredCredentials<'_>, now: i64) -> Result<Result<(), SlugTaken>, super::Error> {
    let inserted = sqlx::query(
        "INSERT INTO plugins (slug, name, description, author, category, is_verified, is_published, client_id, \
             client_secret_hash, permissions, redirect_uris, webhook_url, webhook_secret, kind, developer_id, created_at, updated_at, \
             review_state, author_url, icon_url, server_url, show_authorization_button, monetized, processes_content, oauth_config, oauth_client_secret, client_origins) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'server', $14, $15, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)",
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
    .execute(db.pool())
    .await
    .map(|_| ());
    super::unless_taken(inserted, SlugTaken)
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

/// What an edit is compared with: where the plugin stands and what it may reach.
#[derive(sqlx::FromRow)]
pub struct Reach {
    #[sqlx(try_from = "String")]
    pub review_state: Known<ReviewState>,
    #[sqlx(try_from = "String")]
    pub permissions: StoredScopes,
    #[sqlx(try_from = "String")]
    pub redirect_uris: StoredRedirectUris,
    pub server_url: Option<String>,
    #[sqlx(try_from = "i64")]
    pub processes_content: Flag,
    #[sqlx(try_from = "Option<String>")]
    pub oauth_config: StoredServiceOAuth,
    /// Sealed.
    pub oauth_client_secret: Option<String>,
    #[sqlx(try_from = "String")]
    pub client_origins: StoredOrigins,
}

/// The plugin's reach, read inside the caller's transaction.
pub async fn reach(conn: &mut Conn, plugin: OwnedPlugin) -> Result<Reach, super::Error> {
    sqlx::query_as(
        "SELECT review_state, permissions, redirect_uris, server_url, processes_content, oauth_config, oauth_client_secret, client_origins \
         FROM plugins WHERE id = $1",
    )
    .bind(plugin.id)
    .fetch_one(conn)
    .await
}

/// Saves an edit of the plugin's listing and settings (not its slug, owner or credentials),
/// with `oauth_client_secret` (sealed) as its service's secret. `back_in_review` takes it
/// off the marketplace into review.
pub async fn save_edit(
    conn: &mut Conn,
    plugin: OwnedPlugin,
    edit: &NewPlugin,
    oauth_client_secret: Option<&str>,
    back_in_review: bool,
    now: i64,
) -> Result<(), super::Error> {
    sqlx::query(
        "UPDATE plugins SET name = $1, description = $2, author = $3, author_url = $4, icon_url = $5, category = $6, \
             permissions = $7, redirect_uris = $8, webhook_url = $9, updated_at = $10, \
             server_url = $13, show_authorization_button = $14, monetized = $15, \
             processes_content = $16, oauth_config = $17, oauth_client_secret = $18, client_origins = $19, \
             review_state = CASE WHEN $11 = 1 THEN 'in_review' ELSE review_state END, \
             is_published = CASE WHEN $11 = 1 THEN 0 ELSE is_published END, \
             submitted_at = CASE WHEN $11 = 1 THEN $10 ELSE submitted_at END \
         WHERE id = $12",
    )
    .bind(&edit.name)
    .bind(&edit.description)
    .bind(&edit.author)
    .bind(edit.author_url.as_deref())
    .bind(edit.icon_url.as_deref())
    .bind(edit.category.as_str())
    .bind(edit.scopes.to_json())
    .bind(redirect_uri::to_json(&edit.redirect_uris))
    .bind(edit.webhook_url.as_deref())
    .bind(now)
    .bind(i64::from(back_in_review))
    .bind(plugin.id)
    .bind(edit.server_url.as_deref())
    .bind(i64::from(edit.show_authorization_button))
    .bind(i64::from(edit.monetized))
    .bind(i64::from(edit.processes_content))
    .bind(edit.oauth.as_ref().map(ServiceOAuth::to_json))
    .bind(oauth_client_secret)
    .bind(origins_json(&edit.client_origins))
    .execute(conn)
    .await?;
    Ok(())
}

fn origins_json(origins: &[String]) -> String {
    serde_json::to_string(origins).unwrap_or_else(|_| "[]".into())
}

/// Draft, rejected or unpublished → in review; false when the plugin is in none of those.
pub async fn submit(conn: &mut Conn, plugin: OwnedPlugin, now: i64) -> Result<bool, super::Error> {
    let moved = sqlx::query(
        "UPDATE plugins SET review_state = 'in_review', submitted_at = $1, updated_at = $1 \
         WHERE id = $2 AND review_state IN ('draft', 'rejected', 'unpublished')",
    )
    .bind(now)
    .bind(plugin.id)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
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
}

/// The developer's plugins, most recently changed first.
pub async fn by_developer(db: &Db, scope: &DeveloperScope) -> Result<Vec<DeveloperPluginRow>, super::Error> {
    sqlx::query_as(
        "SELECT p.slug, p.name, p.icon_url, p.review_state, p.is_verified, p.rating, p.review_count, p.updated_at, \
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
    pub name: String,
    pub description: String,
    pub author: String,
    pub author_url: Option<String>,
    pub icon_url: Option<String>,
    #[sqlx(try_from = "String")]
    pub category: Known<Category>,
    #[sqlx(try_from = "String")]
    pub permissions: StoredScopes,
    #[sqlx(try_from = "String")]
    pub redirect_uris: StoredRedirectUris,
    pub client_id: String,
    #[sqlx(try_from = "String")]
    pub review_state: Known<ReviewState>,
    pub review_reason: Option<String>,
    #[sqlx(try_from = "i64")]
    pub is_verified: Flag,
    #[sqlx(flatten)]
    pub endpoint: super::webhooks::EndpointHealth,
    pub server_url: Option<String>,
    #[sqlx(try_from = "i64")]
    pub show_authorization_button: Flag,
    #[sqlx(try_from = "i64")]
    pub monetized: Flag,
    #[sqlx(try_from = "i64")]
    pub processes_content: Flag,
    #[sqlx(try_from = "Option<String>")]
    pub oauth_config: StoredServiceOAuth,
    #[sqlx(try_from = "Option<String>")]
    pub oauth_client_secret: SecretSet,
    #[sqlx(try_from = "String")]
    pub client_origins: StoredOrigins,
    pub bundle_sha256: Option<String>,
    pub bundle_bytes: Option<i64>,
}

/// Whether a sealed secret is stored; the secret itself is never read out for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretSet(pub bool);

impl From<Option<String>> for SecretSet {
    fn from(sealed: Option<String>) -> Self {
        SecretSet(sealed.is_some())
    }
}

pub async fn console(db: &Db, plugin: OwnedPlugin) -> Result<ConsoleRow, super::Error> {
    sqlx::query_as(
        "SELECT slug, name, description, author, author_url, icon_url, category, permissions, redirect_uris, webhook_url, \
                client_id, review_state, review_reason, is_verified, webhook_disabled_at, webhook_disabled_reason, webhook_failing_since, \
                server_url, show_authorization_button, monetized, processes_content, oauth_config, oauth_client_secret, client_origins, \
                (SELECT sha256 FROM plugin_bundles WHERE plugin_id = plugins.id) AS bundle_sha256, \
                (SELECT CAST(LENGTH(bytes) AS BIGINT) FROM plugin_bundles WHERE plugin_id = plugins.id) AS bundle_bytes \
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
