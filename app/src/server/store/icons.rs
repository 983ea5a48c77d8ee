//! Icons developers upload for their plugins, served from Plugboard itself. Each upload
//! is kept under its own address (`/icons/{slug}?v=…`), which a version names: a draft's
//! new icon is not the live version's until staff publish it.

use super::catalog::Viewer;
use super::plugins::OwnedPlugin;
use super::Conn;
use crate::server::Db;

/// Stores an upload of the plugin's as its icon number `v` (inside the caller's
/// transaction, which points a version at it).
pub async fn store(conn: &mut Conn, plugin: OwnedPlugin, v: i64, content_type: &str, bytes: &[u8], now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO plugin_icons (plugin_id, v, content_type, bytes, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (plugin_id, v) DO NOTHING",
    )
    .bind(plugin.id())
    .bind(v)
    .bind(content_type)
    .bind(bytes)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The icon `v` of the plugin `slug` (its type and bytes) if the viewer may see it:
/// everybody the live version's (`url`, the address it would have) once the plugin is
/// published; its developer, the organisations invited to test it, and staff every
/// upload.
pub async fn visible(db: &Db, slug: &str, v: i64, url: &str, viewer: Option<Viewer>) -> Result<Option<(String, Vec<u8>)>, super::Error> {
    sqlx::query_as(&format!(
        "SELECT i.content_type, i.bytes FROM plugin_icons i JOIN plugins p ON p.id = i.plugin_id \
         WHERE p.slug = $1 AND i.v = $2 AND (({} AND p.icon_url = $3) OR p.developer_id = $4 OR $5 = 1 OR {})",
        super::invites::OPEN_TO_ALL,
        super::invites::admitted_condition("$6"),
    ))
    .bind(slug)
    .bind(v)
    .bind(url)
    .bind(viewer.map_or(-1, |v| v.user().get()))
    .bind(i64::from(viewer.is_some_and(|v| v.is_staff())))
    .bind(viewer.map_or(-1, |v| v.tenant().get()))
    .fetch_optional(db.pool())
    .await
}
