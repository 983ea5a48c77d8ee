//! The published catalog as the marketplace reads it: the cards of a page (by the ids the
//! catalog index picked), the changes since the index's catalog version, and a plugin's
//! page with its reviews.

use super::{Flag, Known, StoredScopes};
use crate::domain::{Category, PluginId, ReviewState, TenantId, UserId};
use crate::server::scope::Member;
use crate::server::Db;

const CARD_COLUMNS: &str = "p.id, p.slug, p.name, p.author, p.icon_url, p.category, p.description, \
     p.install_count, p.rating, p.review_count, p.is_verified, \
     CASE WHEN i.id IS NULL THEN 0 ELSE 1 END AS is_installed";

/// A plugin as a card shows it, with whether the viewer's tenant has it installed.
#[derive(sqlx::FromRow)]
pub struct CardRow {
    pub id: PluginId,
    pub slug: String,
    pub name: String,
    pub author: String,
    pub icon_url: Option<String>,
    #[sqlx(try_from = "String")]
    pub category: Known<Category>,
    pub description: String,
    pub install_count: i64,
    pub rating: f64,
    pub review_count: i64,
    #[sqlx(try_from = "i64")]
    pub is_verified: Flag,
    #[sqlx(try_from = "i64")]
    pub is_installed: Flag,
}

/// The published plugins among `ids`, in no particular order; `viewer`'s active
/// installations mark theirs.
pub async fn cards(db: &Db, ids: &[i64], viewer: Option<TenantId>) -> Result<Vec<CardRow>, super::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (2..ids.len() + 2).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM plugins p \
         LEFT JOIN installations i ON i.plugin_id = p.id AND i.tenant_id = $1 AND i.status = 'active' \
         WHERE p.id IN ({placeholders}) AND +p.is_published = 1 AND p.is_private = 0"
    );
    // `+` keeps SQLite from answering through an index on `is_published` (a scan of
    // the whole catalog) instead of looking the ids up; PostgreSQL reads it as plain.
    let mut query = sqlx::query_as(&sql).bind(viewer.map_or(-1, |t| t.get()));
    for id in ids {
        query = query.bind(*id);
    }
    query.fetch_all(db.pool()).await
}

/// The catalog's version: the highest one stamped on a plugin or a removal record.
pub async fn latest_version(db: &Db) -> Result<i64, super::Error> {
    sqlx::query_scalar(
        "SELECT COALESCE(MAX(v), 0) FROM (SELECT MAX(catalog_version) AS v FROM plugins \
         UNION ALL SELECT MAX(catalog_version) AS v FROM catalog_removals) AS versions",
    )
    .fetch_one(db.pool())
    .await
}

/// A plugin changed since a version, as the catalog index lists it.
#[derive(sqlx::FromRow)]
pub struct ChangedRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Kept raw: one plugin whose category this release does not know (from a newer
    /// release during a rolling deploy) is left out of the index, and the rest go on.
    pub category: String,
    #[sqlx(try_from = "i64")]
    pub is_published: Flag,
    #[sqlx(try_from = "i64")]
    pub is_private: Flag,
    pub install_count: i64,
    pub rating: f64,
    pub review_count: i64,
    pub created_at: i64,
    pub catalog_version: i64,
}

/// A plugin deleted since a version.
#[derive(sqlx::FromRow)]
pub struct RemovalRow {
    pub plugin_id: PluginId,
    pub catalog_version: i64,
}

/// The plugins changed and deleted after `since`, read side by side (two snapshots: the
/// caller applies them up to a version read before both).
pub async fn changes_since(db: &Db, since: i64) -> Result<(Vec<ChangedRow>, Vec<RemovalRow>), super::Error> {
    tokio::try_join!(
        sqlx::query_as(
            "SELECT id, name, description, category, is_published, is_private, install_count, rating, review_count, created_at, \
                    catalog_version FROM plugins WHERE catalog_version > $1",
        )
        .bind(since)
        .fetch_all(db.pool()),
        sqlx::query_as("SELECT plugin_id, catalog_version FROM catalog_removals WHERE catalog_version > $1")
            .bind(since)
            .fetch_all(db.pool()),
    )
}

/// Who looks at a plugin's page: their tenant marks its installation, and its developer
/// and staff may see it before it is published. Made only from a signed-in member.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    tenant: TenantId,
    user: UserId,
    is_staff: bool,
}

impl Viewer {
    pub fn of(member: &Member) -> Self {
        Viewer { tenant: member.scope().tenant(), user: member.id, is_staff: member.is_staff }
    }

    pub fn user(&self) -> UserId {
        self.user
    }

    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub fn is_staff(&self) -> bool {
        self.is_staff
    }
}

/// A plugin's page as stored.
#[derive(sqlx::FromRow)]
pub struct DetailRow {
    #[sqlx(flatten)]
    pub card: CardRow,
    pub author_url: Option<String>,
    #[sqlx(try_from = "String")]
    pub permissions: StoredScopes,
    pub created_at: i64,
    pub updated_at: i64,
    #[sqlx(try_from = "String")]
    pub review_state: Known<ReviewState>,
    pub developer_id: Option<UserId>,
    /// The viewer's tenant holds a live invite to test it.
    #[sqlx(try_from = "i64")]
    pub invited: Flag,
    #[sqlx(try_from = "i64")]
    pub is_private: Flag,
    /// No version of it was ever published (what runs is its developer's draft).
    #[sqlx(try_from = "i64")]
    pub never_published: Flag,
}

/// The plugin `slug`: published public ones for everybody, others (drafts, private ones)
/// only for their developer, the organisations they invited, and staff. `None` when there is none the
/// viewer may see.
pub async fn detail(db: &Db, slug: &str, viewer: Option<Viewer>) -> Result<Option<DetailRow>, super::Error> {
    sqlx::query_as(&format!(
        "SELECT {CARD_COLUMNS}, p.author_url, p.permissions, p.created_at, p.updated_at, p.review_state, p.developer_id, \
                CASE WHEN {invited} THEN 1 ELSE 0 END AS invited, p.is_private, \
                CASE WHEN {never} THEN 1 ELSE 0 END AS never_published \
         FROM plugins p \
         LEFT JOIN installations i ON i.plugin_id = p.id AND i.tenant_id = $1 AND i.status = 'active' \
         WHERE p.slug = $2 AND ({open} OR p.developer_id = $3 OR $4 = 1 OR {admitted})",
        open = super::invites::OPEN_TO_ALL,
        never = super::invites::NEVER_PUBLISHED,
        invited = super::invites::invited_condition("$1"),
        admitted = super::invites::admitted_condition("$1"),
    ))
    .bind(viewer.map_or(-1, |v| v.tenant.get()))
    .bind(slug)
    .bind(viewer.map_or(-1, |v| v.user.get()))
    .bind(i64::from(viewer.is_some_and(|v| v.is_staff)))
    .fetch_optional(db.pool())
    .await
}
