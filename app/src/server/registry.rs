//! Registering plugins as OAuth clients: credentials are made here and shown once.

use super::oauth::redirect_uri::RedirectUri;
use super::secrets::{random_hex, random_token, sha256_hex};
use super::webhooks::signature;
use super::vault::Vault;
use super::store::plugins::{self as store, SlugTaken, StoredCredentials};
use super::store as stores;
use super::{now, Db};
use crate::domain::{Category, PluginSlug, ScopeSet};
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
    /// Its settings schema (issue 18) as the developer wrote it, checked by
    /// `settings::schema::parse`; `None` when it has no settings.
    pub settings_schema: Option<String>,
    /// The data events it subscribes to (issue 19).
    pub subscriptions: crate::domain::Subscriptions,
    /// Installable only by the organisations its developer invites, never listed.
    pub private: bool,
    pub publish: bool,
    pub verified: bool,
    pub developer_id: Option<crate::domain::UserId>,
}

/// What an operator's plugin is named and may ask for.
pub struct Listing {
    pub slug: PluginSlug,
    pub name: String,
    pub description: String,
    pub author: String,
    pub category: Category,
    pub redirect_uris: Vec<RedirectUri>,
    pub scopes: ScopeSet,
}

impl NewPlugin {
    /// A plugin that talks OAuth and the REST API only, as the `plugins create` command
    /// and the fixtures register it: no plugin server, no client-side code, no owner in
    /// the console, a draft until `publish` says otherwise.
    pub fn api_only(listing: Listing) -> Self {
        let Listing { slug, name, description, author, category, redirect_uris, scopes } = listing;
        NewPlugin {
            slug,
            name,
            description,
            author,
            author_url: None,
            icon_url: None,
            category,
            redirect_uris,
            scopes,
            webhook_url: None,
            server_url: None,
            show_authorization_button: false,
            monetized: false,
            processes_content: false,
            oauth: None,
            oauth_client_secret: None,
            client_origins: Vec::new(),
            settings_schema: None,
            subscriptions: crate::domain::Subscriptions::default(),
            private: false,
            publish: false,
            verified: false,
            developer_id: None,
        }
    }
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
    Db(#[from] stores::Error),
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
pub async fn seal_legacy_signing_secrets(db: &Db, vault: &Vault) -> Result<u64, stores::Error> {
    if vault.is_ephemeral() {
        return Ok(0);
    }
    let plain = store::plain_signing_secrets(db, signature::SECRET_PREFIX).await?;
    for (id, slug, secret) in &plain {
        store::seal_signing_secret(db, *id, secret, &seal_signing_secret(vault, slug, secret)).await?;
    }
    Ok(plain.len() as u64)
}

/// A plugin's signing secret, opened (`None` for a plugin without one).
pub async fn signing_secret(db: &Db, vault: &Vault, slug: &str) -> Result<Option<String>, stores::Error> {
    Ok(store::signing_secret(db, slug).await?.and_then(|s| open_signing_secret(vault, slug, &s)))
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
    let stored = StoredCredentials {
        client_id: &client_id,
        client_secret_hash: &sha256_hex(&client_secret),
        webhook_secret: &seal_signing_secret(vault, plugin.slug.as_str(), &webhook_secret),
    };
    match store::insert(db, plugin, &stored, now()).await? {
        Ok(()) => Ok(Credentials { slug: plugin.slug.as_str().to_owned(), client_id, client_secret, webhook_secret: Some(webhook_secret) }),
        Err(SlugTaken) => Err(RegistryError::SlugTaken(plugin.slug.as_str().to_owned())),
    }
}

/// A new client secret; the old one stops working at once.
pub async fn rotate_client_secret(db: &Db, slug: &PluginSlug) -> Result<Credentials, RegistryError> {
    let client_secret = random_token("pbs_");
    let client_id = store::set_client_secret_hash(db, slug.as_str(), &sha256_hex(&client_secret), now()).await?;
    let client_id = client_id.ok_or_else(|| RegistryError::NotFound(slug.as_str().to_owned()))?;
    Ok(Credentials { slug: slug.as_str().to_owned(), client_id, client_secret, webhook_secret: None })
}

/// A new webhook signing secret; messages are signed with it from the next attempt on.
/// The answer carries no client secret.
pub async fn rotate_webhook_secret(db: &Db, vault: &Vault, slug: &PluginSlug) -> Result<Credentials, RegistryError> {
    let secret = signature::new_secret();
    let client_id = store::set_signing_secret(db, slug.as_str(), &seal_signing_secret(vault, slug.as_str(), &secret), now()).await?;
    let client_id = client_id.ok_or_else(|| RegistryError::NotFound(slug.as_str().to_owned()))?;
    Ok(Credentials { slug: slug.as_str().to_owned(), client_id, client_secret: String::new(), webhook_secret: Some(secret) })
}
