//! Registering plugins as OAuth clients: credentials are made here and shown once.

use super::oauth::redirect_uri::{self, RedirectUri};
use super::secrets::{random_hex, random_token, sha256_hex};
use super::webhooks::signature;
use super::outbound::OutboundPolicy;
use super::vault::Vault;
use super::{now, Db};
use crate::domain::{Category, PluginSlug, ReviewState, ScopeSet};
use serde::Serialize;

/// A new client id: public, unique, recognisable.
pub fn new_client_id() -> String {
    format!("pbc_{}", random_hex(12))
}

/// A plugin as its developer (or an operator) registers it.
pub struct NewPlugin {
    pub slug: PluginSlug,
    pub name: String,
    pub description: String,
    pub author: String,
    pub author_url: Option<String>,
    pub icon_url: Option<String>,
    pub category: Category,
    pub redirect_uris: Vec<RedirectUri>,
    pub scopes: ScopeSet,
    pub webhook_url: Option<String>,
    /// The plugin server (DESIGN.md §6), with what Plugboard asks it for.
    pub server_url: Option<String>,
    pub show_authorization_button: bool,
    pub monetized: bool,
    pub processes_content: bool,
    /// Plugboard as the OAuth client of the plugin's service, and that client's secret
    /// (sealed by the caller, which holds the vault).
    pub oauth: Option<super::plugin_servers::service_oauth::ServiceOAuth>,
    pub oauth_client_secret: Option<String>,
    /// Network origins its client-side code may reach (DESIGN.md §7).
    pub client_origins: Vec<String>,
    pub publish: bool,
    pub verified: bool,
    pub developer_id: Option<i64>,
}

/// The secrets of a new or rotated plugin: shown once, then only their hashes remain
/// (the webhook secret stays readable because signing needs it).
#[derive(Debug, Clone, Serialize)]
pub struct Credentials {
    pub slug: String,
    pub client_id: String,
    pub client_secret: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("a plugin with the slug {0:?} already exists")]
    SlugTaken(String),
    #[error("no plugin has the slug {0:?}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Validates an endpoint Plugboard will call (a webhook URL, a plugin server) as a plugin registers it:
/// https to a public address, or http to an address the outbound allowlist opens for
/// development. The address is checked again at every connection.
pub fn parse_endpoint_url(raw: &str, policy: &OutboundPolicy) -> Result<String, String> {
    let raw = raw.trim();
    if raw.len() > 2000 {
        return Err("a URL may have at most 2000 characters".into());
    }
    policy.check_url(raw).map_err(|e| format!("{raw:?}: {e}"))?;
    Ok(raw.to_owned())
}

/// Validates a link people follow or load (the author's site, the icon): an absolute
/// https URL, or http on a loopback host for development.
pub fn parse_link(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.len() > 2000 {
        return Err("a URL may have at most 2000 characters".into());
    }
    let url = url::Url::parse(raw).map_err(|_| format!("{raw:?} is not an absolute URL"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match url.scheme() {
        "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(raw.to_owned()),
        "http" if loopback => Ok(raw.to_owned()),
        _ => Err(format!("{raw:?} must be an https URL")),
    }
}

/// The sealing context of a plugin's `whsec_` signing secret (the slug never changes).
fn signing_secret_context(slug: &str) -> String {
    format!("signing-secret:{slug}")
}

/// A plugin's signing secret as stored: sealed with the vault, so that the database
/// alone forges no webhook and mints no plugin-server JWT. Without `PLUGBOARD_TOKEN_KEY`
/// (development only) the key would die with the process, and with it every plugin's
/// webhooks: there the secret is stored as it is.
pub fn seal_signing_secret(vault: &Vault, slug: &str, secret: &str) -> String {
    if vault.is_ephemeral() {
        return secret.to_owned();
    }
    vault.seal(&signing_secret_context(slug), secret)
}

/// The signing secret from its stored form. One stored before secrets were sealed
/// (`whsec_…` in plain) is still read, until `seal_legacy_signing_secrets` seals it.
pub fn open_signing_secret(vault: &Vault, slug: &str, stored: &str) -> Option<String> {
    if stored.starts_with(signature::SECRET_PREFIX) {
        return Some(stored.to_owned());
    }
    match vault.open(&signing_secret_context(slug), stored) {
        Ok(secret) => Some(secret),
        Err(_) => {
            tracing::error!(plugin = %slug, "the plugin's signing secret cannot be opened (another PLUGBOARD_TOKEN_KEY?)");
            None
        }
    }
}

/// Seals signing secrets stored in plain by earlier versions (run at start-up, when a
/// lasting key is configured).
pub async fn seal_legacy_signing_secrets(db: &Db, vault: &Vault) -> Result<u64, sqlx::Error> {
    if vault.is_ephemeral() {
        return Ok(0);
    }
    let plain: Vec<(i64, String, String)> = sqlx::query_as("SELECT id, slug, webhook_secret FROM plugins WHERE substr(webhook_secret, 1, 6) = $1")
        .bind(signature::SECRET_PREFIX)
        .fetch_all(db.pool())
        .await?;
    for (id, slug, secret) in &plain {
        sqlx::query("UPDATE plugins SET webhook_secret = $1 WHERE id = $2 AND webhook_secret = $3")
            .bind(seal_signing_secret(vault, slug, secret))
            .bind(id)
            .bind(secret)
            .execute(db.pool())
            .await?;
    }
    Ok(plain.len() as u64)
}

/// A plugin's signing secret, opened (`None` for a plugin without one).
pub async fn signing_secret(db: &Db, vault: &Vault, slug: &str) -> Result<Option<String>, sqlx::Error> {
    let stored: Option<Option<String>> = sqlx::query_scalar("SELECT webhook_secret FROM plugins WHERE slug = $1")
        .bind(slug)
        .fetch_optional(db.pool())
        .await?;
    Ok(stored.flatten().and_then(|s| open_signing_secret(vault, slug, &s)))
}

pub async fn create_plugin(db: &Db, vault: &Vault, plugin: &NewPlugin) -> Result<Credentials, RegistryError> {
    if plugin.name.trim().is_empty() {
        return Err(RegistryError::Invalid("the name must not be empty".into()));
    }
    if plugin.redirect_uris.is_empty() {
        return Err(RegistryError::Invalid("register at least one redirect URI".into()));
    }
    let client_id = new_client_id();
    let client_secret = random_token("pbs_");
    let webhook_secret = signature::new_secret();
    let t = now();
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
    .bind(&client_id)
    .bind(sha256_hex(&client_secret))
    .bind(plugin.scopes.to_json())
    .bind(redirect_uri::to_json(&plugin.redirect_uris))
    .bind(plugin.webhook_url.as_deref())
    .bind(seal_signing_secret(vault, plugin.slug.as_str(), &webhook_secret))
    .bind(plugin.developer_id)
    .bind(t)
    .bind(if plugin.publish { ReviewState::Published } else { ReviewState::Draft }.as_str())
    .bind(plugin.author_url.as_deref())
    .bind(plugin.icon_url.as_deref())
    .bind(plugin.server_url.as_deref())
    .bind(i64::from(plugin.show_authorization_button))
    .bind(i64::from(plugin.monetized))
    .bind(i64::from(plugin.processes_content))
    .bind(plugin.oauth.as_ref().map(|o| o.to_json()))
    .bind(plugin.oauth_client_secret.as_deref())
    .bind(serde_json::to_string(&plugin.client_origins).unwrap_or_else(|_| "[]".into()))
    .execute(db.pool())
    .await;
    match inserted {
        Ok(_) => Ok(Credentials {
            slug: plugin.slug.as_str().to_owned(),
            client_id,
            client_secret,
            webhook_secret: Some(webhook_secret),
        }),
        Err(e) if super::db::is_unique_violation(&e) => Err(RegistryError::SlugTaken(plugin.slug.as_str().to_owned())),
        Err(e) => Err(e.into()),
    }
}

/// A new client secret; the old one stops working at once.
pub async fn rotate_client_secret(db: &Db, slug: &PluginSlug) -> Result<Credentials, RegistryError> {
    let client_secret = random_token("pbs_");
    let client_id: Option<String> =
        sqlx::query_scalar("UPDATE plugins SET client_secret_hash = $1, updated_at = $2 WHERE slug = $3 RETURNING client_id")
            .bind(sha256_hex(&client_secret))
            .bind(now())
            .bind(slug.as_str())
            .fetch_optional(db.pool())
            .await?;
    let client_id = client_id.ok_or_else(|| RegistryError::NotFound(slug.as_str().to_owned()))?;
    Ok(Credentials { slug: slug.as_str().to_owned(), client_id, client_secret, webhook_secret: None })
}

/// A new webhook signing secret; messages are signed with it from the next attempt on.
/// The answer carries no client secret.
pub async fn rotate_webhook_secret(db: &Db, vault: &Vault, slug: &PluginSlug) -> Result<Credentials, RegistryError> {
    let secret = signature::new_secret();
    let client_id: Option<String> =
        sqlx::query_scalar("UPDATE plugins SET webhook_secret = $1, updated_at = $2 WHERE slug = $3 RETURNING client_id")
            .bind(seal_signing_secret(vault, slug.as_str(), &secret))
            .bind(now())
            .bind(slug.as_str())
            .fetch_optional(db.pool())
            .await?;
    let client_id = client_id.ok_or_else(|| RegistryError::NotFound(slug.as_str().to_owned()))?;
    Ok(Credentials { slug: slug.as_str().to_owned(), client_id, client_secret: String::new(), webhook_secret: Some(secret) })
}
