//! Plugins in the registry, as the authorization server reads them: the client the
//! consent screen names, its secret's hash, and who may install it.

use super::{decode_error, Flag, StoredScopes};
use crate::domain::{PluginId, ScopeSet};
use crate::server::oauth::redirect_uri::RedirectUri;
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
    pub developer_id: Option<i64>,
    pub redirect_uris: Vec<RedirectUri>,
    pub permissions: ScopeSet,
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: i64,
    slug: String,
    name: String,
    author: String,
    icon_url: Option<String>,
    #[sqlx(try_from = "i64")]
    is_verified: Flag,
    #[sqlx(try_from = "i64")]
    is_published: Flag,
    developer_id: Option<i64>,
    redirect_uris: String,
    #[sqlx(try_from = "String")]
    permissions: StoredScopes,
}

/// A JSON array of redirect URIs, each one that registration accepted.
fn redirect_uris(json: &str) -> Result<Vec<RedirectUri>, super::Error> {
    let raw: Vec<String> = serde_json::from_str(json).map_err(|_| decode_error("redirect_uris", json))?;
    raw.iter().map(|r| RedirectUri::parse(r).map_err(|_| decode_error("redirect_uris", r))).collect()
}

pub async fn client(db: &Db, client_id: &str) -> Result<Option<PluginClient>, super::Error> {
    let row: Option<ClientRow> = sqlx::query_as(
        "SELECT id, slug, name, author, icon_url, is_verified, is_published, developer_id, redirect_uris, permissions \
         FROM plugins WHERE client_id = $1",
    )
    .bind(client_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(PluginClient {
            id: PluginId(r.id),
            slug: r.slug,
            name: r.name,
            author: r.author,
            icon_url: r.icon_url,
            is_verified: r.is_verified.0,
            is_published: r.is_published.0,
            developer_id: r.developer_id,
            redirect_uris: redirect_uris(&r.redirect_uris)?,
            permissions: r.permissions.0,
        })
    })
    .transpose()
}

/// The plugin's id and the SHA-256 of its client secret.
pub async fn client_secret_hash(db: &Db, client_id: &str) -> Result<Option<(PluginId, String)>, super::Error> {
    let row: Option<(i64, String)> = sqlx::query_as("SELECT id, client_secret_hash FROM plugins WHERE client_id = $1").bind(client_id).fetch_optional(db.pool()).await?;
    Ok(row.map(|(id, hash)| (PluginId(id), hash)))
}

/// Who may see a plugin's Install: its client id, whether it is published, and its developer.
#[derive(sqlx::FromRow)]
pub struct InstallGate {
    pub client_id: String,
    #[sqlx(try_from = "i64")]
    pub is_published: Flag,
    pub developer_id: Option<i64>,
}

pub async fn install_gate(db: &Db, slug: &str) -> Result<Option<InstallGate>, super::Error> {
    sqlx::query_as("SELECT client_id, is_published, developer_id FROM plugins WHERE slug = $1").bind(slug).fetch_optional(db.pool()).await
}
