//! Icons developers upload for their plugins, served from Plugboard itself.

use super::catalog::Viewer;
use super::plugins::OwnedPlugin;
use crate::server::Db;

/// Stores the plugin's icon (replacing the one it had) and points the plugin at `url`,
/// in one transaction.
pub async fn save(db: &Db, plugin: OwnedPlugin, content_type: &str, bytes: &[u8], url: &str, now: i64) -> Result<(), super::Error> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO plugin_icons (plugin_id, content_type, bytes, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (plugin_id) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes, updated_at = excluded.updated_at",
    )
    .bind(plugin.id())
    .bind(content_type)
    .bind(bytes)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE plugins SET icon_url = $1, updated_at = $2 WHERE id = $3").bind(url).bind(now).bind(plugin.id()).execute(&mut *tx).await?;
    tx.commit().await
}

/// The icon of the plugin `slug` (its type and bytes) if the viewer may see the plugin:
/// everybody once it is published, before that its developer and staff.
pub async fn visible(db: &Db, slug: &str, viewer: Option<Viewer>) -> Result<Option<(String, Vec<u8>)>, super::Error> {
    sqlx::query_as(
        "SELECT i.content_type, i.bytes FROM plugin_icons i JOIN plugins p ON p.id = i.plugin_id \
         WHERE p.slug = $1 AND (p.is_published = 1 OR p.developer_id = $2 OR $3 = 1)",
    )
    .bind(slug)
    .bind(viewer.map_or(-1, |v| v.user().get()))
    .bind(i64::from(viewer.is_some_and(|v| v.is_staff())))
    .fetch_optional(db.pool())
    .await
}
