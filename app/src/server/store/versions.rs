//! A plugin's versions (migration 0010): everything staff review, kept per version. The
//! `plugins` row holds the live version's reviewed fields (a plugin never published
//! holds its draft's, which only its developer can install), so everything that runs
//! reads one row; a version reaches the row only through [`make_live`] (staff publish)
//! or [`mirror_unpublished`] (a plugin with no live version yet). Bundles are stored by
//! their content's hash.

use super::{Conn, Flag, Known, StoredOrigins, StoredScopes, StoredServiceOAuth, StoredSubscriptions};
use crate::domain::{Category, PluginId, ScopeSet, Subscriptions, VersionState};
use crate::server::plugin_servers::service_oauth::ServiceOAuth;
use crate::server::registry::NewPlugin;
use crate::server::scope::StaffScope;
use crate::server::Db;
use super::plugins::OwnedPlugin;

/// The columns a version and the `plugins` row share: what staff review.
const REVIEWED: &str = "name, description, author, author_url, icon_url, category, permissions, webhook_url, server_url, \
     show_authorization_button, monetized, processes_content, oauth_config, oauth_client_secret, bundle_sha256, client_origins, config_schema, event_types, is_private";

/// What staff review of a version, decoded strictly.
#[derive(Debug, Clone, PartialEq)]
pub struct Reviewed {
    pub name: String,
    pub description: String,
    pub author: String,
    pub author_url: Option<String>,
    pub icon_url: Option<String>,
    pub category: Category,
    pub scopes: ScopeSet,
    pub webhook_url: Option<String>,
    pub server_url: Option<String>,
    pub show_authorization_button: bool,
    pub monetized: bool,
    pub processes_content: bool,
    pub oauth: Option<ServiceOAuth>,
    /// Sealed.
    pub oauth_client_secret: Option<String>,
    pub bundle_sha256: Option<String>,
    pub client_origins: Vec<String>,
    /// The settings schema's text (issue 18).
    pub settings_schema: Option<String>,
    /// The data events it subscribes to (issue 19).
    pub subscriptions: Subscriptions,
    /// Published for invited organisations only (issue 20).
    pub private: bool,
}

impl Reviewed {
    /// The fields of a developer's edit, with the service secret (sealed) and the bundle
    /// it keeps.
    pub fn edited(edit: &NewPlugin, oauth_client_secret: Option<String>, bundle_sha256: Option<String>) -> Self {
        Reviewed {
            name: edit.name.clone(),
            description: edit.description.clone(),
            author: edit.author.clone(),
            author_url: edit.author_url.clone(),
            icon_url: edit.icon_url.clone(),
            category: edit.category,
            scopes: edit.scopes.clone(),
            webhook_url: edit.webhook_url.clone(),
            server_url: edit.server_url.clone(),
            show_authorization_button: edit.show_authorization_button,
            monetized: edit.monetized,
            processes_content: edit.processes_content,
            oauth: edit.oauth.clone(),
            oauth_client_secret,
            bundle_sha256,
            client_origins: edit.client_origins.clone(),
            settings_schema: edit.settings_schema.clone(),
            subscriptions: edit.subscriptions.clone(),
            private: edit.private,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ReviewedRow {
    name: String,
    description: String,
    author: String,
    author_url: Option<String>,
    icon_url: Option<String>,
    #[sqlx(try_from = "String")]
    category: Known<Category>,
    #[sqlx(try_from = "String")]
    permissions: StoredScopes,
    webhook_url: Option<String>,
    server_url: Option<String>,
    #[sqlx(try_from = "i64")]
    show_authorization_button: Flag,
    #[sqlx(try_from = "i64")]
    monetized: Flag,
    #[sqlx(try_from = "i64")]
    processes_content: Flag,
    #[sqlx(try_from = "Option<String>")]
    oauth_config: StoredServiceOAuth,
    oauth_client_secret: Option<String>,
    bundle_sha256: Option<String>,
    #[sqlx(try_from = "String")]
    client_origins: StoredOrigins,
    config_schema: Option<String>,
    #[sqlx(try_from = "String")]
    event_types: StoredSubscriptions,
    #[sqlx(try_from = "i64")]
    is_private: Flag,
}

impl From<ReviewedRow> for Reviewed {
    fn from(r: ReviewedRow) -> Self {
        Reviewed {
            name: r.name,
            description: r.description,
            author: r.author,
            author_url: r.author_url,
            icon_url: r.icon_url,
            category: r.category.0,
            scopes: r.permissions.0,
            webhook_url: r.webhook_url,
            server_url: r.server_url,
            show_authorization_button: r.show_authorization_button.0,
            monetized: r.monetized.0,
            processes_content: r.processes_content.0,
            oauth: r.oauth_config.0,
            oauth_client_secret: r.oauth_client_secret,
            bundle_sha256: r.bundle_sha256,
            client_origins: r.client_origins.0,
            settings_schema: r.config_schema,
            subscriptions: r.event_types.0,
            private: r.is_private.0,
        }
    }
}

/// One version of a plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub id: i64,
    pub number: i64,
    pub state: VersionState,
    pub fields: Reviewed,
    pub release_notes: Option<String>,
    pub review_reason: Option<String>,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub decided_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: i64,
    number: i64,
    #[sqlx(try_from = "String")]
    state: Known<VersionState>,
    #[sqlx(flatten)]
    fields: ReviewedRow,
    release_notes: Option<String>,
    review_reason: Option<String>,
    created_at: i64,
    submitted_at: Option<i64>,
    decided_at: Option<i64>,
}

impl From<VersionRow> for Version {
    fn from(r: VersionRow) -> Self {
        Version {
            id: r.id,
            number: r.number,
            state: r.state.0,
            fields: r.fields.into(),
            release_notes: r.release_notes,
            review_reason: r.review_reason,
            created_at: r.created_at,
            submitted_at: r.submitted_at,
            decided_at: r.decided_at,
        }
    }
}

/// A plugin's versions as they stand, newest first (one read: a plugin has a handful).
#[derive(Debug, Clone, Default)]
pub struct Versions {
    pub all: Vec<Version>,
}

impl Versions {
    fn first_in(&self, state: VersionState) -> Option<&Version> {
        self.all.iter().find(|v| v.state == state)
    }

    pub fn draft(&self) -> Option<&Version> {
        self.first_in(VersionState::Draft)
    }

    pub fn in_review(&self) -> Option<&Version> {
        self.first_in(VersionState::InReview)
    }

    /// The last one published.
    pub fn live(&self) -> Option<&Version> {
        self.first_in(VersionState::Published)
    }

    /// The newest of all.
    pub fn latest(&self) -> Option<&Version> {
        self.all.first()
    }
}

/// Where a plugin's versions stand, read inside the caller's transaction.
pub async fn standing(conn: &mut Conn, plugin: PluginId) -> Result<Versions, super::Error> {
    let rows: Vec<VersionRow> = sqlx::query_as(&format!(
        "SELECT id, number, state, {REVIEWED}, release_notes, review_reason, created_at, submitted_at, decided_at \
         FROM plugin_versions WHERE plugin_id = $1 ORDER BY number DESC"
    ))
    .bind(plugin)
    .fetch_all(conn)
    .await?;
    Ok(Versions { all: rows.into_iter().map(Version::from).collect() })
}

/// The same, outside a transaction (pages).
pub async fn read(db: &Db, plugin: PluginId) -> Result<Versions, super::Error> {
    let mut conn = db.pool().acquire().await?;
    standing(&mut conn, plugin).await
}

/// A published version as the public page lists it.
#[derive(sqlx::FromRow)]
pub struct Release {
    pub number: i64,
    pub release_notes: Option<String>,
    pub decided_at: Option<i64>,
}

/// The plugin's published versions, newest first.
pub async fn releases(db: &Db, plugin: PluginId) -> Result<Vec<Release>, super::Error> {
    sqlx::query_as("SELECT number, release_notes, decided_at FROM plugin_versions WHERE plugin_id = $1 AND state = 'published' ORDER BY number DESC")
        .bind(plugin)
        .fetch_all(db.pool())
        .await
}

/// The release notes of a plugin's first version when it is registered published (by an
/// operator, the seeds or the fixtures), with nobody to write them.
pub const FIRST_RELEASE: &str = "First release.";

/// A new draft, a copy of version `base` (the live one, or the last rejected), numbered
/// after the plugin's newest; its id.
pub async fn start_draft(conn: &mut Conn, plugin: OwnedPlugin, base: &Version, now: i64) -> Result<i64, super::Error> {
    sqlx::query_scalar(&format!(
        "INSERT INTO plugin_versions (plugin_id, number, state, {REVIEWED}, created_at, updated_at) \
         SELECT plugin_id, (SELECT MAX(number) + 1 FROM plugin_versions WHERE plugin_id = $1), 'draft', {REVIEWED}, $3, $3 \
         FROM plugin_versions WHERE id = $2 AND plugin_id = $1 RETURNING id"
    ))
    .bind(plugin.id())
    .bind(base.id)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Saves the developer's edit into their draft `version` (its bundle stays); false when
/// it is no draft any more (submitted meanwhile).
pub async fn save_draft(conn: &mut Conn, plugin: OwnedPlugin, version: i64, edit: &NewPlugin, oauth_client_secret: Option<&str>, now: i64) -> Result<bool, super::Error> {
    let saved = sqlx::query(
        "UPDATE plugin_versions SET name = $1, description = $2, author = $3, author_url = $4, icon_url = $5, category = $6, \
             permissions = $7, webhook_url = $8, server_url = $9, show_authorization_button = $10, monetized = $11, \
             processes_content = $12, oauth_config = $13, oauth_client_secret = $14, client_origins = $15, updated_at = $16, \
             config_schema = $19, event_types = $20, is_private = $21 \
         WHERE id = $17 AND plugin_id = $18 AND state = 'draft'",
    )
    .bind(&edit.name)
    .bind(&edit.description)
    .bind(&edit.author)
    .bind(edit.author_url.as_deref())
    .bind(edit.icon_url.as_deref())
    .bind(edit.category.as_str())
    .bind(edit.scopes.to_json())
    .bind(edit.webhook_url.as_deref())
    .bind(edit.server_url.as_deref())
    .bind(i64::from(edit.show_authorization_button))
    .bind(i64::from(edit.monetized))
    .bind(i64::from(edit.processes_content))
    .bind(edit.oauth.as_ref().map(ServiceOAuth::to_json))
    .bind(oauth_client_secret)
    .bind(super::plugins::origins_json(&edit.client_origins))
    .bind(now)
    .bind(version)
    .bind(plugin.id())
    .bind(edit.settings_schema.as_deref())
    .bind(edit.subscriptions.to_json())
    .bind(i64::from(edit.private))
    .execute(conn)
    .await?;
    Ok(saved.rows_affected() == 1)
}

/// A file a draft names by its address.
#[derive(Debug, Clone, Copy)]
pub enum DraftFile<'a> {
    /// The client-side bundle stored at this SHA-256.
    Bundle(&'a str),
    /// The uploaded icon at this address.
    Icon(&'a str),
}

/// The draft `version` ships the bundle, or shows the icon, given; false when it is no
/// draft any more (submitted meanwhile).
pub async fn set_draft_file(conn: &mut Conn, plugin: OwnedPlugin, version: i64, file: DraftFile<'_>, now: i64) -> Result<bool, super::Error> {
    let (sql, value) = match file {
        DraftFile::Bundle(sha256) => ("UPDATE plugin_versions SET bundle_sha256 = $1, updated_at = $2 WHERE id = $3 AND plugin_id = $4 AND state = 'draft'", sha256),
        DraftFile::Icon(url) => ("UPDATE plugin_versions SET icon_url = $1, updated_at = $2 WHERE id = $3 AND plugin_id = $4 AND state = 'draft'", url),
    };
    let set = sqlx::query(sql).bind(value).bind(now).bind(version).bind(plugin.id()).execute(conn).await?;
    Ok(set.rows_affected() == 1)
}

/// Draft → in review, with its release notes; false when `version` is no draft.
pub async fn submit(conn: &mut Conn, plugin: OwnedPlugin, version: i64, notes: &str, now: i64) -> Result<bool, super::Error> {
    let moved = sqlx::query(
        "UPDATE plugin_versions SET state = 'in_review', release_notes = $1, submitted_at = $2, updated_at = $2, review_reason = NULL \
         WHERE id = $3 AND plugin_id = $4 AND state = 'draft'",
    )
    .bind(notes)
    .bind(now)
    .bind(version)
    .bind(plugin.id())
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// In review → published or rejected (with the reason); false when `version` is not in
/// review (another member of staff decided first).
pub async fn decide(conn: &mut Conn, _staff: &StaffScope, version: i64, to: VersionState, reason: Option<&str>, now: i64) -> Result<bool, super::Error> {
    let moved = sqlx::query(
        "UPDATE plugin_versions SET state = $1, review_reason = $2, decided_at = $3, updated_at = $3 WHERE id = $4 AND state = 'in_review'",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(now)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Version `version` (just published by staff) becomes what every tenant runs: its
/// reviewed fields are copied onto the plugin's row.
pub async fn make_live(conn: &mut Conn, _staff: &StaffScope, plugin: PluginId, version: i64, now: i64) -> Result<(), super::Error> {
    copy_to_plugin(conn, plugin, version, "", now).await.map(|_| ())
}

/// A plugin that nobody but its developer runs (no version ever published, no
/// installation outside the developer's organisation and the organisations invited to
/// test it) runs its draft in those installations: the draft's fields go onto the row as
/// they are saved. False when
/// the plugin runs elsewhere (a plugin that went back to review before versions existed
/// may still be installed by others): then nothing changes until staff publish.
pub async fn mirror_unpublished(conn: &mut Conn, plugin: OwnedPlugin, version: i64, now: i64) -> Result<bool, super::Error> {
    let guard = "AND NOT EXISTS (SELECT 1 FROM plugin_versions pv WHERE pv.plugin_id = plugins.id AND pv.state = 'published') \
         AND NOT EXISTS (SELECT 1 FROM installations i WHERE i.plugin_id = plugins.id AND i.status <> 'uninstalled' \
                         AND i.tenant_id <> COALESCE((SELECT u.tenant_id FROM users u WHERE u.id = plugins.developer_id), -1) \
                         AND NOT EXISTS (SELECT 1 FROM plugin_invites inv WHERE inv.plugin_id = plugins.id \
                                         AND inv.tenant_id = i.tenant_id AND inv.revoked_at IS NULL))";
    copy_to_plugin(conn, plugin.id(), version, guard, now).await
}

async fn copy_to_plugin(conn: &mut Conn, plugin: PluginId, version: i64, guard: &str, now: i64) -> Result<bool, super::Error> {
    let copied = sqlx::query(&format!(
        "UPDATE plugins SET ({REVIEWED}) = (SELECT {REVIEWED} FROM plugin_versions WHERE id = $1 AND plugin_id = $2), updated_at = $3 \
         WHERE id = $2 {guard}"
    ))
    .bind(version)
    .bind(plugin)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if copied.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE plugins SET kind = CASE WHEN bundle_sha256 IS NULL THEN 'server' WHEN server_url IS NULL THEN 'client' ELSE 'both' END \
         WHERE id = $1",
    )
    .bind(plugin)
    .execute(conn)
    .await?;
    Ok(true)
}

/// Stores a bundle at its address (once: the same bytes are the same bundle).
pub async fn store_bundle(conn: &mut Conn, sha256: &str, integrity: &str, bytes: &[u8], now: i64) -> Result<(), super::Error> {
    sqlx::query("INSERT INTO bundles (sha256, integrity, bytes, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING")
        .bind(sha256)
        .bind(integrity)
        .bind(bytes)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The bundle stored at this address (lower-case hex SHA-256).
pub async fn bundle(db: &Db, sha256: &str) -> Result<Option<Vec<u8>>, super::Error> {
    sqlx::query_scalar("SELECT bytes FROM bundles WHERE sha256 = $1").bind(sha256).fetch_optional(db.pool()).await
}

/// The size in bytes of the bundle at this address.
pub async fn bundle_size(db: &Db, sha256: &str) -> Result<Option<i64>, super::Error> {
    sqlx::query_scalar("SELECT CAST(LENGTH(bytes) AS BIGINT) FROM bundles WHERE sha256 = $1").bind(sha256).fetch_optional(db.pool()).await
}

/// Version 1, from its row, for the plugin `only` (just registered) or for every plugin
/// that has none yet (the seeds write plugins in bulk), like migration 0010: live when
/// the plugin is published, else in the state it is in. How many were made.
pub async fn first_versions(conn: &mut Conn, only: Option<PluginId>, now: i64) -> Result<u64, super::Error> {
    let done = sqlx::query(&format!(
        "INSERT INTO plugin_versions (plugin_id, number, state, {REVIEWED}, release_notes, created_at, updated_at, submitted_at, decided_at) \
         SELECT id, 1, CASE review_state WHEN 'unpublished' THEN 'published' ELSE review_state END, {REVIEWED}, \
                CASE WHEN review_state IN ('published', 'unpublished') THEN $2 END, created_at, $1, submitted_at, \
                CASE WHEN review_state IN ('published', 'unpublished', 'rejected') THEN $1 END \
         FROM plugins p WHERE ($3 = -1 OR p.id = $3) AND NOT EXISTS (SELECT 1 FROM plugin_versions v WHERE v.plugin_id = p.id)"
    ))
    .bind(now)
    .bind(FIRST_RELEASE)
    .bind(only.map_or(-1, PluginId::get))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
