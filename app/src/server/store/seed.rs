//! The writes of the demo and synthetic seeds (`server seed`, in the `server` crate):
//! rows as a marketplace that has been running a while holds them (install counts,
//! reviews with their mean, plugins' past work), which the domain's own paths make one
//! event at a time.

use super::Conn;
use crate::domain::{Category, PluginId, ProjectId, ScopeSet, TaskStatus, TenantId, UserId};
use crate::server::Db;

/// Whether a user signs in with `email` (the demo seeds once).
pub async fn user_exists(db: &Db, email: &str) -> Result<bool, super::Error> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = $1").bind(email).fetch_one(db.pool()).await?;
    Ok(count > 0)
}

/// Whether a plugin runs on its own server or in a frame of the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Server,
    Client,
}

/// A published demo plugin.
pub struct DemoPluginRow<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub author: &'a str,
    pub author_url: &'a str,
    pub category: Category,
    pub install_count: i64,
    pub verified: bool,
    pub client_id: &'a str,
    pub client_secret_hash: &'a str,
    pub scopes: &'a ScopeSet,
    pub redirect_uri: &'a str,
    pub kind: Kind,
    pub developer: UserId,
    pub created_at: i64,
    /// Sealed.
    pub webhook_secret: &'a str,
}

pub async fn insert_plugin(conn: &mut Conn, plugin: &DemoPluginRow<'_>) -> Result<PluginId, super::Error> {
    sqlx::query_scalar(
        "INSERT INTO plugins (slug, name, description, author, author_url, category, install_count, \
             is_verified, is_published, client_id, client_secret_hash, permissions, redirect_uris, kind, \
             developer_id, created_at, updated_at, review_state, webhook_secret) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, $12, $13, $14, $15, $15, 'published', $16) RETURNING id",
    )
    .bind(plugin.slug)
    .bind(plugin.name)
    .bind(plugin.description)
    .bind(plugin.author)
    .bind(plugin.author_url)
    .bind(plugin.category.as_str())
    .bind(plugin.install_count)
    .bind(i64::from(plugin.verified))
    .bind(plugin.client_id)
    .bind(plugin.client_secret_hash)
    .bind(plugin.scopes.to_json())
    .bind(serde_json::json!([plugin.redirect_uri]).to_string())
    .bind(match plugin.kind {
        Kind::Server => "server",
        Kind::Client => "client",
    })
    .bind(plugin.developer)
    .bind(plugin.created_at)
    .bind(plugin.webhook_secret)
    .fetch_one(conn)
    .await
}

/// The plugin (and its live version, if it has one yet) ships the bundle stored at
/// `sha256`: a client-side plugin, for the demo and the fixtures.
pub async fn ship_bundle(conn: &mut Conn, plugin_id: PluginId, sha256: &str) -> Result<(), super::Error> {
    sqlx::query("UPDATE plugins SET bundle_sha256 = $1, kind = CASE WHEN server_url IS NULL THEN 'client' ELSE 'both' END WHERE id = $2")
        .bind(sha256)
        .bind(plugin_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE plugin_versions SET bundle_sha256 = $1 WHERE plugin_id = $2 \
           AND number = (SELECT MAX(number) FROM plugin_versions WHERE plugin_id = $2 AND state = 'published')",
    )
    .bind(sha256)
    .bind(plugin_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// An active installation granted `scopes`, installed by `by` at `at`.
pub async fn insert_installation(conn: &mut Conn, plugin_id: PluginId, tenant: TenantId, scopes: &ScopeSet, by: UserId, at: i64) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO installations (plugin_id, tenant_id, granted_scopes, status, installed_by, installed_at, updated_at) \
         VALUES ($1, $2, $3, 'active', $4, $5, $5)",
    )
    .bind(plugin_id)
    .bind(tenant)
    .bind(scopes.to_json())
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A tenant's review of a plugin; the plugin's rating follows with `reviews::refresh_rating`.
pub async fn insert_review(conn: &mut Conn, plugin_id: PluginId, tenant: TenantId, author: UserId, rating: i64, body: &str, at: i64) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO reviews (plugin_id, tenant_id, user_id, rating, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(plugin_id)
    .bind(tenant)
    .bind(author)
    .bind(rating)
    .bind(body)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every installation's install, as its developer's statistics count them.
pub async fn record_install_history(conn: &mut Conn) -> Result<(), super::Error> {
    sqlx::query("INSERT INTO install_events (plugin_id, tenant_id, kind, happened_at) SELECT plugin_id, tenant_id, 'installed', installed_at FROM installations")
        .execute(conn)
        .await?;
    Ok(())
}

/// A project of the tenant's; its id.
pub async fn insert_project(conn: &mut Conn, tenant: TenantId, name: &str, at: i64) -> Result<ProjectId, super::Error> {
    sqlx::query_scalar("INSERT INTO projects (tenant_id, name, description, created_at, updated_at) VALUES ($1, $2, '', $3, $3) RETURNING id")
        .bind(tenant)
        .bind(name)
        .bind(at)
        .fetch_one(conn)
        .await
}

pub async fn insert_task(conn: &mut Conn, tenant: TenantId, project_id: ProjectId, title: &str, status: TaskStatus, assignee: UserId, at: i64) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO tasks (tenant_id, project_id, title, status, assignee_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(tenant)
    .bind(project_id)
    .bind(title)
    .bind(status.as_str())
    .bind(assignee)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a plugin did to a task.
#[derive(Debug, Clone, Copy)]
pub enum PluginWork {
    Created,
    Updated,
}

/// Marks the tenant's task `title` as created or last updated by its installation of `slug`.
pub async fn mark_plugin_work(conn: &mut Conn, tenant: TenantId, slug: &str, work: PluginWork, title: &str) -> Result<(), super::Error> {
    let column = match work {
        PluginWork::Created => "created_by_installation",
        PluginWork::Updated => "updated_by_installation",
    };
    sqlx::query(&format!(
        "UPDATE tasks SET {column} = (SELECT i.id FROM installations i JOIN plugins p ON p.id = i.plugin_id \
             WHERE p.slug = $1 AND i.tenant_id = tasks.tenant_id) WHERE tenant_id = $2 AND title = $3"
    ))
    .bind(slug)
    .bind(tenant)
    .bind(title)
    .execute(conn)
    .await?;
    Ok(())
}

/// A generated published plugin, for benchmarks.
pub struct SyntheticPlugin {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub author: String,
    pub category: Category,
    pub install_count: i64,
    pub rating: f64,
    pub review_count: i64,
    pub verified: bool,
    pub client_id: String,
    pub client_secret_hash: String,
    pub scopes: ScopeSet,
    pub created_at: i64,
}

/// Columns bound per synthetic row.
const SYNTHETIC_COLUMNS: usize = 13;

/// Inserts the plugins in one statement (keep a batch to a few hundred: PostgreSQL takes
/// at most 65,535 parameters).
pub async fn insert_synthetic(conn: &mut Conn, plugins: &[SyntheticPlugin]) -> Result<(), super::Error> {
    if plugins.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(
        "INSERT INTO plugins (slug, name, description, author, category, install_count, rating, review_count, \
         is_verified, is_published, client_id, client_secret_hash, permissions, created_at, updated_at, review_state) VALUES ",
    );
    for row in 0..plugins.len() {
        let b = row * SYNTHETIC_COLUMNS;
        if row > 0 {
            sql.push(',');
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 1, ${}, ${}, ${}, ${}, ${}, 'published')",
            b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11, b + 12, b + 13, b + 13
        ));
    }
    let mut query = sqlx::query(&sql);
    for p in plugins {
        query = query
            .bind(&p.slug)
            .bind(&p.name)
            .bind(&p.description)
            .bind(&p.author)
            .bind(p.category.as_str())
            .bind(p.install_count)
            .bind(p.rating)
            .bind(p.review_count)
            .bind(i64::from(p.verified))
            .bind(&p.client_id)
            .bind(&p.client_secret_hash)
            .bind(p.scopes.to_json())
            .bind(p.created_at);
    }
    query.execute(conn).await?;
    Ok(())
}
