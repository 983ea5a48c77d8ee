//! Reviews: one per organisation and plugin, with the developer's public reply; the
//! plugin's rating (the mean) and review count are kept beside the plugin.

use super::Conn;
use crate::domain::{PluginId, PluginSlug, TenantId, UserId};
use crate::server::scope::{DeveloperScope, TenantScope};
use crate::server::Db;

/// The published plugin `slug` if the scope's tenant uses it and is not its developer's
/// (a developer's team may install its plugin to try it, but does not rate it). Locks the
/// plugin row: on PostgreSQL a second review waits here, and its mean then counts the
/// first one (a later statement sees what committed meanwhile).
pub async fn lock_reviewable(conn: &mut Conn, scope: &TenantScope, slug: &PluginSlug) -> Result<Option<PluginId>, super::Error> {
    let plugin_id: Option<PluginId> = sqlx::query_scalar(
        "SELECT p.id FROM plugins p JOIN installations i ON i.plugin_id = p.id \
         WHERE p.slug = $1 AND p.review_state = 'published' AND i.tenant_id = $2 AND i.status = 'active' \
           AND NOT EXISTS (SELECT 1 FROM users d WHERE d.id = p.developer_id AND d.tenant_id = $2)",
    )
    .bind(slug.as_str())
    .bind(scope.tenant())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = plugin_id {
        sqlx::query("UPDATE plugins SET review_count = review_count WHERE id = $1").bind(id).execute(&mut *conn).await?;
    }
    Ok(plugin_id)
}

/// Writes the scope's tenant's review of the plugin, replacing the one it had, and the
/// plugin's rating and count with it.
pub async fn save(conn: &mut Conn, scope: &TenantScope, plugin_id: PluginId, author: UserId, rating: i64, body: &str, now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO reviews (plugin_id, tenant_id, user_id, rating, body, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (plugin_id, tenant_id) DO UPDATE SET user_id = excluded.user_id, rating = excluded.rating, \
             body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(plugin_id)
    .bind(scope.tenant())
    .bind(author)
    .bind(rating)
    .bind(body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    refresh_rating(conn, plugin_id).await
}

/// Sets the plugin's rating (the mean of its reviews) and review count from its reviews.
pub async fn refresh_rating(conn: &mut Conn, plugin_id: PluginId) -> Result<(), super::Error> {
    sqlx::query(
        "UPDATE plugins SET \
             rating = COALESCE((SELECT CAST(AVG(rating) AS DOUBLE PRECISION) FROM reviews WHERE plugin_id = $1), 0.0), \
             review_count = (SELECT COUNT(*) FROM reviews WHERE plugin_id = $1) \
         WHERE id = $1",
    )
    .bind(plugin_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The developer's public reply to a review of one of their plugins; false when the
/// review is not of one of theirs.
pub async fn reply(db: &Db, scope: &DeveloperScope, review_id: i64, text: &str, now: i64) -> Result<bool, super::Error> {
    let updated = sqlx::query(
        "UPDATE reviews SET reply = $1, replied_at = $2 \
         WHERE id = $3 AND plugin_id IN (SELECT id FROM plugins WHERE developer_id = $4)",
    )
    .bind(text)
    .bind(now)
    .bind(review_id)
    .bind(scope.developer())
    .execute(db.pool())
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// A review as a plugin's page lists it, with its author's and organisation's names.
#[derive(sqlx::FromRow)]
pub struct ReviewRow {
    pub id: i64,
    pub tenant_id: TenantId,
    pub rating: i64,
    pub body: String,
    pub reply: Option<String>,
    pub created_at: i64,
    pub author_name: String,
    pub tenant_name: String,
}

/// The plugin's latest reviews (at most `limit`), most recently written first.
pub async fn latest(db: &Db, plugin_id: PluginId, limit: i64) -> Result<Vec<ReviewRow>, super::Error> {
    sqlx::query_as(
        "SELECT r.id, r.tenant_id, r.rating, r.body, r.reply, r.created_at, \
                COALESCE(u.display_name, 'Former member') AS author_name, t.name AS tenant_name \
         FROM reviews r JOIN tenants t ON t.id = r.tenant_id LEFT JOIN users u ON u.id = r.user_id \
         WHERE r.plugin_id = $1 ORDER BY r.updated_at DESC, r.id DESC LIMIT $2",
    )
    .bind(plugin_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// Every rating the plugin has, with when it was last changed, oldest first.
pub async fn ratings(db: &Db, plugin: super::plugins::OwnedPlugin) -> Result<Vec<(i64, i64)>, super::Error> {
    sqlx::query_as("SELECT rating, updated_at FROM reviews WHERE plugin_id = $1 ORDER BY updated_at").bind(plugin.id()).fetch_all(db.pool()).await
}
