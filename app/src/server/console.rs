//! The developer console's domain: developer profiles, registering and editing plugins,
//! credentials, submitting for review, webhook deliveries and install statistics. Every
//! function takes the signed-in developer and touches only plugins they own.

use super::oauth::redirect_uri::{self, RedirectUri};
use super::outbound::OutboundPolicy;
use super::plugin_servers::connections;
use super::plugin_servers::service_oauth::{self, ServiceOAuth};
use super::vault::Vault;
use super::registry::{self, NewPlugin, RegistryError};
use super::{catalog, now, Db};
use crate::domain::{
    Category, ConsolePlugin, DayStats, Decision, DecisionKind, Delivery, DeliveryAttempt, DeliveryLog, DeveloperPlugin,
    InstallStats, PluginForm, PluginSlug, ReviewState, ScopeSet, SessionUser, ShownSecrets, WebhookEndpoint,
};
use crate::error::{AppError, FieldError};
use sqlx::Row;

const MAX_REDIRECT_URIS: usize = 10;
/// The largest icon a developer may upload.
pub const MAX_ICON_BYTES: usize = 256 * 1024;
const MAX_DESCRIPTION_CHARS: usize = 20_000;
/// Deliveries the console lists, newest first.
const DELIVERY_PAGE: i64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("not a developer")]
    NotDeveloper,
    #[error("no plugin of yours has this slug")]
    NotFound,
    #[error("invalid form")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<ConsoleError> for AppError {
    fn from(err: ConsoleError) -> Self {
        match err {
            ConsoleError::NotDeveloper => AppError::Forbidden("Create your developer profile first.".into()),
            ConsoleError::NotFound => AppError::NotFound("None of your plugins has this address.".into()),
            ConsoleError::Invalid(errors) => AppError::InvalidFields(errors),
            ConsoleError::Conflict(message) => AppError::invalid("state", message),
            ConsoleError::Db(e) => super::internal("developer console storage failed")(e),
        }
    }
}

impl From<RegistryError> for ConsoleError {
    fn from(err: RegistryError) -> Self {
        match err {
            RegistryError::SlugTaken(slug) => {
                ConsoleError::Invalid(vec![FieldError::new("slug", format!("The address {slug:?} is taken; choose another."))])
            }
            RegistryError::NotFound(_) => ConsoleError::NotFound,
            RegistryError::Invalid(message) => ConsoleError::Invalid(vec![FieldError::new("form", message)]),
            RegistryError::Db(e) => ConsoleError::Db(e),
        }
    }
}

/// Checks every field and reports every problem at once, each with its field. The
/// answer is an unpublished plugin of nobody's yet.
pub fn validate(form: &PluginForm, policy: &OutboundPolicy) -> Result<NewPlugin, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut check = |field: &str, result: Result<(), String>| {
        if let Err(message) = result {
            errors.push(FieldError::new(field, message));
        }
    };
    let slug = PluginSlug::parse(form.slug.trim());
    check("slug", slug.as_ref().map(|_| ()).map_err(|_| {
        "Use 2 to 64 lowercase letters, digits and single dashes, starting and ending with a letter or digit.".to_owned()
    }));
    let name = form.name.trim().to_owned();
    check("name", match name.chars().count() {
        2..=60 => Ok(()),
        _ => Err("Give the plugin a name of 2 to 60 characters.".into()),
    });
    let description = form.description.trim().to_owned();
    check("description", match description.chars().count() {
        0 => Err("Describe what the plugin does; Markdown works.".into()),
        n if n > MAX_DESCRIPTION_CHARS => Err("Keep the description under 20,000 characters.".into()),
        _ => Ok(()),
    });
    let author = form.author.trim().to_owned();
    check("author", match author.chars().count() {
        1..=80 => Ok(()),
        _ => Err("Name the author (1 to 80 characters): people see it on the plugin's page.".into()),
    });
    let optional_link = |raw: &str| -> Result<Option<String>, String> {
        if raw.trim().is_empty() { Ok(None) } else { registry::parse_link(raw).map(Some) }
    };
    let author_url = optional_link(&form.author_url);
    check("author_url", author_url.as_ref().map(|_| ()).map_err(Clone::clone));
    // Either a link, or the address of the icon uploaded for this very plugin.
    let icon_url = if is_uploaded_icon_url(form.slug.trim(), form.icon_url.trim()) {
        Ok(Some(form.icon_url.trim().to_owned()))
    } else {
        optional_link(&form.icon_url)
    };
    check("icon_url", icon_url.as_ref().map(|_| ()).map_err(Clone::clone));
    let category = Category::parse(form.category.trim());
    check("category", category.map(|_| ()).ok_or_else(|| "Choose one of the listed categories.".to_owned()));
    let scopes = ScopeSet::parse_oauth(&form.scopes.join(" ")).map_err(|e| format!("{e}; choose from the listed permissions."));
    check("scopes", scopes.as_ref().map(|_| ()).map_err(Clone::clone));
    let lines: Vec<&str> = form.redirect_uris.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let redirect_uris: Result<Vec<RedirectUri>, String> = match lines.len() {
        0 => Err("Add at least one redirect URI: where Plugboard sends the administrator after consent.".into()),
        n if n > MAX_REDIRECT_URIS => Err(format!("Register at most {MAX_REDIRECT_URIS} redirect URIs.")),
        _ => lines.iter().map(|l| RedirectUri::parse(l)).collect(),
    };
    check("redirect_uris", redirect_uris.as_ref().map(|_| ()).map_err(Clone::clone));
    let webhook_url = if form.webhook_url.trim().is_empty() {
        Ok(None)
    } else {
        registry::parse_endpoint_url(&form.webhook_url, policy).map(Some)
    };
    check("webhook_url", webhook_url.as_ref().map(|_| ()).map_err(Clone::clone));
    let server_url = if form.server_url.trim().is_empty() {
        if form.show_authorization_button || form.monetized || form.processes_content {
            Err("Connect/Logout, license status and content processing are asked of the plugin server: give its URL.".to_owned())
        } else {
            Ok(None)
        }
    } else {
        registry::parse_endpoint_url(&form.server_url, policy).map(Some)
    };
    check("server_url", server_url.as_ref().map(|_| ()).map_err(Clone::clone));
    let client_origins = super::client_plugins::parse_origins(&form.client_origins);
    check("client_origins", client_origins.as_ref().map(|_| ()).map_err(Clone::clone));
    let oauth = ServiceOAuth::parse_form(&form.oauth_authorization_url, &form.oauth_token_url, &form.oauth_client_id, &form.oauth_scopes, policy);
    if let Err(oauth_errors) = &oauth {
        errors.extend(oauth_errors.iter().cloned());
    }

    match (slug, category, scopes, redirect_uris, author_url, icon_url, webhook_url, server_url) {
        (Ok(slug), Some(category), Ok(scopes), Ok(redirect_uris), Ok(author_url), Ok(icon_url), Ok(webhook_url), Ok(server_url))
            if errors.is_empty() =>
        {
            Ok(NewPlugin {
                slug,
                name,
                description,
                author,
                author_url,
                icon_url,
                category,
                scopes,
                redirect_uris,
                webhook_url,
                server_url,
                show_authorization_button: form.show_authorization_button,
                monetized: form.monetized,
                processes_content: form.processes_content,
                oauth: oauth.unwrap_or_default(),
                // Sealed by `create` and `update`, which hold the vault.
                oauth_client_secret: None,
                client_origins: client_origins.unwrap_or_default(),
                publish: false,
                verified: false,
                developer_id: None,
            })
        }
        _ => Err(errors),
    }
}

/// Where an uploaded icon is served; the version changes with every upload, so it can
/// be cached for good.
pub fn uploaded_icon_url(slug: &PluginSlug, version: i64) -> String {
    format!("/icons/{}?v={version}", slug.as_str())
}

fn is_uploaded_icon_url(slug: &str, url: &str) -> bool {
    url.strip_prefix("/icons/")
        .and_then(|rest| rest.strip_prefix(slug))
        .and_then(|rest| rest.strip_prefix("?v="))
        .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

/// The image type of an upload, from its first bytes (never from its name or its
/// declared type): PNG, JPEG or WebP. SVG is refused: it can carry script.
pub fn sniff_icon(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IconError {
    #[error("the icon is larger than 256 KiB")]
    TooLarge,
    #[error("the icon is not a PNG, JPEG or WebP image")]
    NotAnImage,
    #[error(transparent)]
    Console(#[from] ConsoleError),
}

/// Stores an uploaded icon and points the plugin at it; returns its address.
pub async fn upload_icon(db: &Db, developer: &SessionUser, slug: &PluginSlug, bytes: &[u8]) -> Result<String, IconError> {
    let id = owned(db, developer, slug).await?;
    if bytes.len() > MAX_ICON_BYTES {
        return Err(IconError::TooLarge);
    }
    let content_type = sniff_icon(bytes).ok_or(IconError::NotAnImage)?;
    let t = now();
    let url = uploaded_icon_url(slug, t);
    let mut tx = db.begin_write().await.map_err(ConsoleError::from)?;
    sqlx::query(
        "INSERT INTO plugin_icons (plugin_id, content_type, bytes, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (plugin_id) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(content_type)
    .bind(bytes)
    .bind(t)
    .execute(&mut *tx)
    .await
    .map_err(ConsoleError::from)?;
    sqlx::query("UPDATE plugins SET icon_url = $1, updated_at = $2 WHERE id = $3")
        .bind(&url)
        .bind(t)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(ConsoleError::from)?;
    tx.commit().await.map_err(ConsoleError::from)?;
    Ok(url)
}

/// An uploaded icon (its type and bytes), for whoever may see the plugin: everybody once
/// it is published, before that its developer and staff.
pub async fn icon(db: &Db, slug: &str, viewer: Option<&SessionUser>) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.content_type, i.bytes FROM plugin_icons i JOIN plugins p ON p.id = i.plugin_id \
         WHERE p.slug = $1 AND (p.is_published = 1 OR p.developer_id = $2 OR $3 = 1)",
    )
    .bind(slug)
    .bind(viewer.map_or(-1, |u| u.id.0))
    .bind(i64::from(viewer.is_some_and(|u| u.is_staff)))
    .fetch_optional(db.pool())
    .await
}

pub fn require_developer(user: &SessionUser) -> Result<(), ConsoleError> {
    if user.is_developer { Ok(()) } else { Err(ConsoleError::NotDeveloper) }
}

/// Gives the user a developer profile under a public name.
pub async fn become_developer(db: &Db, user: &SessionUser, name: &str) -> Result<(), ConsoleError> {
    let name = name.trim();
    if !(1..=80).contains(&name.chars().count()) {
        return Err(ConsoleError::Invalid(vec![FieldError::new("developer_name", "Choose a public name of 1 to 80 characters.")]));
    }
    sqlx::query("UPDATE users SET is_developer = 1, developer_name = $1 WHERE id = $2")
        .bind(name)
        .bind(user.id.0)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The developer's public name (a new plugin's default author).
pub async fn developer_name(db: &Db, user: &SessionUser) -> Result<String, ConsoleError> {
    let name: Option<String> = sqlx::query_scalar("SELECT developer_name FROM users WHERE id = $1")
        .bind(user.id.0)
        .fetch_optional(db.pool())
        .await?
        .flatten();
    Ok(name.unwrap_or_else(|| user.display_name.clone()))
}

/// Registers a draft plugin; its secrets are in the answer and nowhere else.
pub async fn create(db: &Db, vault: &Vault, developer: &SessionUser, form: &PluginForm, policy: &OutboundPolicy) -> Result<ShownSecrets, ConsoleError> {
    require_developer(developer)?;
    let plugin = validate(form, policy).map_err(ConsoleError::Invalid)?;
    let oauth_client_secret = seal_service_secret(vault, &plugin, form);
    let new = NewPlugin { developer_id: Some(developer.id.0), oauth_client_secret, ..plugin };
    let creds = registry::create_plugin(db, vault, &new).await?;
    Ok(ShownSecrets {
        slug: creds.slug,
        client_id: creds.client_id,
        client_secret: Some(creds.client_secret),
        webhook_secret: creds.webhook_secret,
    })
}

/// The service client secret typed in the form, sealed; `None` when none was typed (or
/// the plugin has no OAuth client).
fn seal_service_secret(vault: &Vault, plugin: &NewPlugin, form: &PluginForm) -> Option<String> {
    let secret = form.oauth_client_secret.trim();
    (plugin.oauth.is_some() && !secret.is_empty())
        .then(|| vault.seal(&connections::client_secret_context(plugin.slug.as_str()), secret))
}

/// The id of the developer's plugin with this slug.
pub(crate) async fn owned(db: &Db, developer: &SessionUser, slug: &PluginSlug) -> Result<i64, ConsoleError> {
    require_developer(developer)?;
    sqlx::query_scalar("SELECT id FROM plugins WHERE slug = $1 AND developer_id = $2")
        .bind(slug.as_str())
        .bind(developer.id.0)
        .fetch_optional(db.pool())
        .await?
        .ok_or(ConsoleError::NotFound)
}

/// What saving an edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Saved,
    /// A published plugin asked for other permissions or redirect URIs: it is back in
    /// review, and out of the marketplace until staff publish it again.
    BackInReview,
}

/// Saves an edit of the listing and OAuth settings (not the review state, nor who owns
/// it). The slug is the plugin's address and client identity: it never changes. While
/// staff review a plugin it stays as submitted; a published plugin that changes what it
/// may reach (scopes, redirect URIs) goes back to review.
pub async fn update(
    db: &Db,
    vault: &Vault,
    developer: &SessionUser,
    slug: &PluginSlug,
    form: &PluginForm,
    policy: &OutboundPolicy,
) -> Result<Saved, ConsoleError> {
    let id = owned(db, developer, slug).await?;
    // The form's copy of the slug is only shown.
    let form = PluginForm { slug: slug.as_str().to_owned(), ..form.clone() };
    let plugin = validate(&form, policy).map_err(ConsoleError::Invalid)?;
    let t = now();
    let mut tx = db.begin_write().await?;
    let current = sqlx::query(
        "SELECT review_state, permissions, redirect_uris, server_url, processes_content, oauth_config, oauth_client_secret, client_origins \
         FROM plugins WHERE id = $1",
    )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let state = review_state(&current)?;
    if state == ReviewState::InReview {
        return Err(ConsoleError::Conflict("Staff are reviewing this plugin as submitted: edit it once they decide."));
    }
    // Another service (or another client at it): the tokens held for the old one must not
    // be sent there, so those connections end.
    let oauth_changed = current.try_get::<Option<String>, _>("oauth_config")?.as_deref().and_then(ServiceOAuth::from_json) != plugin.oauth;
    // What the plugin may reach, and where tenants' content and tokens go.
    let reach_changed = ScopeSet::from_json(&current.try_get::<String, _>("permissions")?) != plugin.scopes
        || redirect_uri::from_json(&current.try_get::<String, _>("redirect_uris")?) != plugin.redirect_uris
        || current.try_get::<Option<String>, _>("server_url")? != plugin.server_url
        || (current.try_get::<i64, _>("processes_content")? == 1) != plugin.processes_content
        || oauth_changed
        || serde_json::from_str::<Vec<String>>(&current.try_get::<String, _>("client_origins")?).unwrap_or_default() != plugin.client_origins;
    // An empty secret field keeps the stored secret; no OAuth client, no secret.
    let oauth_client_secret = match seal_service_secret(vault, &plugin, &form) {
        Some(sealed) => Some(sealed),
        None if plugin.oauth.is_some() => current.try_get::<Option<String>, _>("oauth_client_secret")?,
        None => None,
    };
    let back_in_review = state == ReviewState::Published && reach_changed;
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
    .bind(&plugin.name)
    .bind(&plugin.description)
    .bind(&plugin.author)
    .bind(plugin.author_url.as_deref())
    .bind(plugin.icon_url.as_deref())
    .bind(plugin.category.as_str())
    .bind(plugin.scopes.to_json())
    .bind(redirect_uri::to_json(&plugin.redirect_uris))
    .bind(plugin.webhook_url.as_deref())
    .bind(t)
    .bind(i64::from(back_in_review))
    .bind(id)
    .bind(plugin.server_url.as_deref())
    .bind(i64::from(plugin.show_authorization_button))
    .bind(i64::from(plugin.monetized))
    .bind(i64::from(plugin.processes_content))
    .bind(plugin.oauth.as_ref().map(ServiceOAuth::to_json))
    .bind(oauth_client_secret)
    .bind(serde_json::to_string(&plugin.client_origins).unwrap_or_else(|_| "[]".into()))
    .execute(&mut *tx)
    .await?;
    if oauth_changed {
        for sql in [
            "DELETE FROM service_connections WHERE installation_id IN (SELECT id FROM installations WHERE plugin_id = $1)",
            "DELETE FROM service_connect_requests WHERE installation_id IN (SELECT id FROM installations WHERE plugin_id = $1)",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
    }
    if back_in_review {
        let reason = "Changed its permissions, redirect URIs, plugin server or OAuth settings while published.";
        record_decision(&mut tx, id, developer.id.0, DecisionKind::Submitted, Some(reason), t).await?;
    }
    tx.commit().await?;
    Ok(if back_in_review { Saved::BackInReview } else { Saved::Saved })
}

pub async fn rotate_client_secret(db: &Db, developer: &SessionUser, slug: &PluginSlug) -> Result<ShownSecrets, ConsoleError> {
    owned(db, developer, slug).await?;
    let creds = registry::rotate_client_secret(db, slug).await?;
    Ok(ShownSecrets { slug: creds.slug, client_id: creds.client_id, client_secret: Some(creds.client_secret), webhook_secret: None })
}

pub async fn rotate_webhook_secret(db: &Db, vault: &Vault, developer: &SessionUser, slug: &PluginSlug) -> Result<ShownSecrets, ConsoleError> {
    owned(db, developer, slug).await?;
    let creds = registry::rotate_webhook_secret(db, vault, slug).await?;
    Ok(ShownSecrets { slug: creds.slug, client_id: creds.client_id, client_secret: None, webhook_secret: creds.webhook_secret })
}

/// Draft, rejected or unpublished → in review, recorded with who and when.
pub async fn submit(db: &Db, developer: &SessionUser, slug: &PluginSlug) -> Result<(), ConsoleError> {
    let id = owned(db, developer, slug).await?;
    let t = now();
    let mut tx = db.begin_write().await?;
    let moved = sqlx::query(
        "UPDATE plugins SET review_state = 'in_review', submitted_at = $1, updated_at = $1 \
         WHERE id = $2 AND review_state IN ('draft', 'rejected', 'unpublished')",
    )
    .bind(t)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if moved.rows_affected() == 0 {
        return Err(ConsoleError::Conflict("This plugin is already in review or published."));
    }
    record_decision(&mut tx, id, developer.id.0, DecisionKind::Submitted, None, t).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) use super::store::plugins::record_decision;

/// Whose names a decision history shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Staff see who decided.
    Staff,
    /// Developers see their own team's names, and staff decisions as Plugboard's.
    Developer,
}

const REVIEW_TEAM: &str = "Plugboard review";

/// A plugin's decisions, oldest first.
pub(crate) async fn decisions(db: &Db, plugin_id: i64, audience: Audience) -> Result<Vec<Decision>, super::store::Error> {
    Ok(super::store::plugins::decisions(db, plugin_id)
        .await?
        .into_iter()
        .map(|r| {
            let kind = r.action.0;
            let actor = match (audience, kind) {
                (Audience::Developer, k) if k != DecisionKind::Submitted => REVIEW_TEAM.to_owned(),
                _ => r.actor,
            };
            Decision { kind, actor, reason: r.reason, at: r.created_at }
        })
        .collect())
}

/// The developer's plugins, most recently changed first.
pub async fn list_mine(db: &Db, developer: &SessionUser) -> Result<Vec<DeveloperPlugin>, ConsoleError> {
    require_developer(developer)?;
    let rows = sqlx::query(
        "SELECT p.slug, p.name, p.icon_url, p.review_state, p.is_verified, p.rating, p.review_count, p.updated_at, \
                (SELECT COUNT(*) FROM installations i WHERE i.plugin_id = p.id AND i.status = 'active') AS active_installs \
         FROM plugins p WHERE p.developer_id = $1 ORDER BY p.updated_at DESC, p.id DESC",
    )
    .bind(developer.id.0)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(DeveloperPlugin {
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                icon_url: r.try_get("icon_url")?,
                state: review_state(r)?,
                is_verified: r.try_get::<i64, _>("is_verified")? == 1,
                active_installs: r.try_get("active_installs")?,
                rating: r.try_get("rating")?,
                review_count: r.try_get("review_count")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?)
}

pub(crate) fn review_state(row: &sqlx::any::AnyRow) -> Result<ReviewState, sqlx::Error> {
    let raw: String = row.try_get("review_state")?;
    ReviewState::parse(&raw).ok_or_else(|| sqlx::Error::Decode(format!("unknown review state {raw:?}").into()))
}

fn webhook_endpoint(row: &sqlx::any::AnyRow) -> Result<WebhookEndpoint, sqlx::Error> {
    Ok(WebhookEndpoint {
        url: row.try_get("webhook_url")?,
        disabled_at: row.try_get("webhook_disabled_at")?,
        disabled_reason: row.try_get("webhook_disabled_reason")?,
        failing_since: row.try_get("webhook_failing_since")?,
    })
}

/// One of the developer's plugins, as its console page shows it.
pub async fn console_plugin(db: &Db, developer: &SessionUser, slug: &PluginSlug, public_url: &str) -> Result<ConsolePlugin, ConsoleError> {
    let id = owned(db, developer, slug).await?;
    let r = sqlx::query(
        "SELECT slug, name, description, author, author_url, icon_url, category, permissions, redirect_uris, webhook_url, \
                client_id, review_state, review_reason, is_verified, webhook_disabled_at, webhook_disabled_reason, webhook_failing_since, \
                server_url, show_authorization_button, monetized, processes_content, oauth_config, oauth_client_secret, client_origins, \
                (SELECT sha256 FROM plugin_bundles WHERE plugin_id = plugins.id) AS bundle_sha256, \
                (SELECT CAST(LENGTH(bytes) AS BIGINT) FROM plugin_bundles WHERE plugin_id = plugins.id) AS bundle_bytes \
         FROM plugins WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let oauth = r.try_get::<Option<String>, _>("oauth_config")?.as_deref().and_then(ServiceOAuth::from_json);
    let form = PluginForm {
        slug: r.try_get("slug")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        author: r.try_get("author")?,
        author_url: r.try_get::<Option<String>, _>("author_url")?.unwrap_or_default(),
        icon_url: r.try_get::<Option<String>, _>("icon_url")?.unwrap_or_default(),
        category: r.try_get("category")?,
        scopes: catalog::parse_scopes(&r.try_get::<String, _>("permissions")?).iter().map(|s| s.as_str().to_owned()).collect(),
        redirect_uris: redirect_uri::from_json(&r.try_get::<String, _>("redirect_uris")?)
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect::<Vec<_>>()
            .join("\n"),
        webhook_url: r.try_get::<Option<String>, _>("webhook_url")?.unwrap_or_default(),
        server_url: r.try_get::<Option<String>, _>("server_url")?.unwrap_or_default(),
        show_authorization_button: r.try_get::<i64, _>("show_authorization_button")? == 1,
        monetized: r.try_get::<i64, _>("monetized")? == 1,
        processes_content: r.try_get::<i64, _>("processes_content")? == 1,
        oauth_authorization_url: oauth.as_ref().map(|o| o.authorization_url.clone()).unwrap_or_default(),
        oauth_token_url: oauth.as_ref().map(|o| o.token_url.clone()).unwrap_or_default(),
        oauth_client_id: oauth.as_ref().map(|o| o.client_id.clone()).unwrap_or_default(),
        oauth_client_secret: String::new(),
        oauth_scopes: oauth.as_ref().map(|o| o.scopes.join(" ")).unwrap_or_default(),
        client_origins: serde_json::from_str::<Vec<String>>(&r.try_get::<String, _>("client_origins")?).unwrap_or_default().join("\n"),
    };
    Ok(ConsolePlugin {
        oauth_client_secret_set: r.try_get::<Option<String>, _>("oauth_client_secret")?.is_some(),
        oauth_callback_url: service_oauth::callback_url(public_url, slug.as_str()),
        bundle: match (r.try_get::<Option<String>, _>("bundle_sha256")?, r.try_get::<Option<i64>, _>("bundle_bytes")?) {
            (Some(sha), Some(bytes)) => Some((sha, bytes)),
            _ => None,
        },
        form,
        client_id: r.try_get("client_id")?,
        state: review_state(&r)?,
        review_reason: r.try_get("review_reason")?,
        is_verified: r.try_get::<i64, _>("is_verified")? == 1,
        webhook: webhook_endpoint(&r)?,
        decisions: decisions(db, id, Audience::Developer).await?,
    })
}

/// The latest deliveries of the plugin's webhooks, each with its attempts.
pub async fn deliveries(db: &Db, developer: &SessionUser, slug: &PluginSlug) -> Result<DeliveryLog, ConsoleError> {
    let id = owned(db, developer, slug).await?;
    let plugin = sqlx::query(
        "SELECT name, webhook_url, webhook_disabled_at, webhook_disabled_reason, webhook_failing_since FROM plugins WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let events = sqlx::query(
        "SELECT id, message_id, event_type, status, next_attempt_at, created_at FROM webhook_events \
         WHERE plugin_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(id)
    .bind(DELIVERY_PAGE)
    .fetch_all(db.pool())
    .await?;
    let oldest = events.last().map(|e| e.try_get::<i64, _>("id")).transpose()?.unwrap_or(0);
    let attempts = sqlx::query(
        "SELECT a.event_id, a.attempt, a.attempted_at, a.status_code, a.latency_ms, a.response_excerpt, a.error \
         FROM webhook_attempts a JOIN webhook_events e ON e.id = a.event_id \
         WHERE e.plugin_id = $1 AND e.id >= $2 ORDER BY a.event_id, a.attempt",
    )
    .bind(id)
    .bind(oldest)
    .fetch_all(db.pool())
    .await?;
    let mut deliveries = Vec::with_capacity(events.len());
    for e in &events {
        let event_id: i64 = e.try_get("id")?;
        let status: String = e.try_get("status")?;
        let next_attempt_at: i64 = e.try_get("next_attempt_at")?;
        let attempts = attempts
            .iter()
            .filter(|a| a.try_get::<i64, _>("event_id").ok() == Some(event_id))
            .map(|a| {
                Ok(DeliveryAttempt {
                    attempt: a.try_get("attempt")?,
                    attempted_at: a.try_get("attempted_at")?,
                    status_code: a.try_get("status_code")?,
                    latency_ms: a.try_get("latency_ms")?,
                    response_excerpt: a.try_get("response_excerpt")?,
                    error: a.try_get("error")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        deliveries.push(Delivery {
            event_id,
            message_id: e.try_get("message_id")?,
            event_type: e.try_get("event_type")?,
            next_attempt_at: (status == "pending").then_some(next_attempt_at),
            status,
            created_at: e.try_get("created_at")?,
            attempts,
        });
    }
    Ok(DeliveryLog { plugin_name: plugin.try_get("name")?, webhook: webhook_endpoint(&plugin)?, deliveries })
}

/// Sends a message again now (same `webhook-id`, so receivers can deduplicate), whatever
/// came of it before. A message being delivered right now is left to finish.
pub async fn redeliver(db: &Db, developer: &SessionUser, slug: &PluginSlug, event_id: i64) -> Result<(), ConsoleError> {
    let id = owned(db, developer, slug).await?;
    let disabled: Option<i64> =
        sqlx::query_scalar("SELECT webhook_disabled_at FROM plugins WHERE id = $1").bind(id).fetch_one(db.pool()).await?;
    if disabled.is_some() {
        return Err(ConsoleError::Conflict("The endpoint is disabled: re-enable it before redelivering."));
    }
    let t = now();
    let queued = sqlx::query(
        "UPDATE webhook_events SET status = 'pending', next_attempt_at = $1, finished_at = NULL \
         WHERE id = $2 AND plugin_id = $3 AND (locked_until IS NULL OR locked_until <= $1)",
    )
    .bind(t)
    .bind(event_id)
    .bind(id)
    .execute(db.pool())
    .await?;
    if queued.rows_affected() == 0 {
        return Err(ConsoleError::Conflict("That delivery is on its way right now, or is not one of this plugin's."));
    }
    Ok(())
}

/// Turns a disabled endpoint back on; the failure clock starts again.
pub async fn reenable_webhooks(db: &Db, developer: &SessionUser, slug: &PluginSlug) -> Result<(), ConsoleError> {
    let id = owned(db, developer, slug).await?;
    sqlx::query(
        "UPDATE plugins SET webhook_disabled_at = NULL, webhook_disabled_reason = NULL, webhook_failing_since = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Installs, uninstalls and the rating, day by day over the last `days` days (UTC).
pub async fn stats(db: &Db, developer: &SessionUser, slug: &PluginSlug, days: i64, now: i64) -> Result<InstallStats, ConsoleError> {
    let id = owned(db, developer, slug).await?;
    let today = now.div_euclid(86_400) * 86_400;
    let first = today - (days - 1) * 86_400;
    let plugin = sqlx::query(
        "SELECT name, rating, review_count, \
                (SELECT COUNT(*) FROM installations i WHERE i.plugin_id = plugins.id AND i.status = 'active') AS active \
         FROM plugins WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let events: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, happened_at FROM install_events WHERE plugin_id = $1 AND happened_at >= $2")
            .bind(id)
            .bind(first)
            .fetch_all(db.pool())
            .await?;
    let ratings: Vec<(i64, i64)> = sqlx::query_as("SELECT rating, updated_at FROM reviews WHERE plugin_id = $1 ORDER BY updated_at")
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    let days = (0..days)
        .map(|k| {
            let day = first + k * 86_400;
            let in_day = |kind: &str| events.iter().filter(|(e, at)| e == kind && (day..day + 86_400).contains(at)).count() as i64;
            let so_far: Vec<i64> = ratings.iter().filter(|(_, at)| *at < day + 86_400).map(|(r, _)| *r).collect();
            let rating = (!so_far.is_empty()).then(|| so_far.iter().sum::<i64>() as f64 / so_far.len() as f64);
            DayStats { day, installs: in_day("installed"), uninstalls: in_day("uninstalled"), rating }
        })
        .collect();
    Ok(InstallStats {
        plugin_name: plugin.try_get("name")?,
        active_installations: plugin.try_get("active")?,
        rating: plugin.try_get("rating")?,
        review_count: plugin.try_get("review_count")?,
        days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> PluginForm {
        PluginForm {
            slug: "time-keeper".into(),
            name: "Time Keeper".into(),
            description: "Keeps **time**.".into(),
            author: "Clockworks".into(),
            author_url: "https://clockworks.example.com".into(),
            icon_url: String::new(),
            category: "productivity".into(),
            scopes: vec!["read:tasks".into(), "write:tasks".into()],
            redirect_uris: "https://clockworks.example.com/cb\n\nhttp://127.0.0.1:8080/cb\n".into(),
            webhook_url: "https://clockworks.example.com/hooks".into(),
            server_url: String::new(),
            show_authorization_button: false,
            monetized: false,
            ..PluginForm::default()
        }
    }

    fn fields(form: &PluginForm) -> Vec<String> {
        match validate(form, &OutboundPolicy::default()) {
            Ok(_) => vec![],
            Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn a_good_form_passes() {
        let valid = validate(&good(), &OutboundPolicy::default()).expect("valid");
        assert_eq!(valid.redirect_uris.len(), 2);
        assert_eq!(valid.scopes.to_oauth(), "read:tasks write:tasks");
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let bad = PluginForm {
            slug: "Time Keeper".into(),
            name: "T".into(),
            description: "  ".into(),
            author: String::new(),
            author_url: "http://clockworks.example.com".into(),
            icon_url: "javascript:alert(1)".into(),
            category: "games".into(),
            scopes: vec!["admin:all".into()],
            redirect_uris: "https://ok.example.com/cb\nhttp://evil.example.com/cb".into(),
            webhook_url: "http://hooks.example.com/x".into(),
            server_url: "ftp://plugin.example.com".into(),
            show_authorization_button: false,
            monetized: false,
            ..PluginForm::default()
        };
        assert_eq!(
            fields(&bad),
            ["slug", "name", "description", "author", "author_url", "icon_url", "category", "scopes", "redirect_uris", "webhook_url", "server_url"]
        );
    }

    #[test]
    fn http_webhooks_only_to_allowlisted_development_hosts() {
        let local = PluginForm { webhook_url: "http://127.0.0.1:9000/hooks".into(), ..good() };
        assert_eq!(fields(&local), ["webhook_url"]);
        let policy = OutboundPolicy { allowlist: super::super::outbound::parse_allowlist("127.0.0.1").unwrap() };
        assert!(validate(&local, &policy).is_ok());
        let private = PluginForm { webhook_url: "https://10.0.0.5/hooks".into(), ..good() };
        assert_eq!(fields(&private), ["webhook_url"]);
    }

    #[test]
    fn only_this_plugins_uploaded_icon_is_a_relative_icon_url() {
        assert!(fields(&PluginForm { icon_url: "/icons/time-keeper?v=1795000000".into(), ..good() }).is_empty());
        for other in ["/icons/other-plugin?v=1", "/icons/time-keeper", "/icons/time-keeper?v=1&x=2", "/elsewhere"] {
            assert_eq!(fields(&PluginForm { icon_url: other.into(), ..good() }), ["icon_url"], "{other}");
        }
    }

    #[test]
    fn icons_are_sniffed_not_trusted() {
        assert_eq!(sniff_icon(b"\x89PNG\r\n\x1a\n rest"), Some("image/png"));
        assert_eq!(sniff_icon(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_icon(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_icon(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"), None);
        assert_eq!(sniff_icon(b""), None);
    }

    #[test]
    fn connect_and_licenses_need_a_plugin_server() {
        assert_eq!(fields(&PluginForm { monetized: true, ..good() }), ["server_url"]);
        assert_eq!(fields(&PluginForm { processes_content: true, ..good() }), ["server_url"]);
        assert_eq!(fields(&PluginForm { show_authorization_button: true, ..good() }), ["server_url"]);
        let served = PluginForm { server_url: "https://clockworks.example.com/app".into(), monetized: true, show_authorization_button: true, ..good() };
        let valid = validate(&served, &OutboundPolicy::default()).expect("valid");
        assert_eq!(valid.server_url.as_deref(), Some("https://clockworks.example.com/app"));
        assert!(valid.monetized && valid.show_authorization_button);
    }

    #[test]
    fn an_oauth_client_is_checked_with_the_rest_of_the_form() {
        let oauth = PluginForm {
            oauth_authorization_url: "https://svc.example.com/authorize".into(),
            oauth_token_url: "https://10.0.0.8/token".into(),
            ..good()
        };
        assert_eq!(fields(&oauth), ["oauth_token_url", "oauth_client_id"]);
        let oauth = PluginForm { oauth_token_url: "https://svc.example.com/token".into(), oauth_client_id: "plugboard".into(), ..oauth };
        let valid = validate(&oauth, &OutboundPolicy::default()).unwrap();
        assert_eq!(valid.oauth.map(|o| o.token_url), Some("https://svc.example.com/token".to_owned()));
    }

    #[test]
    fn redirect_uris_are_required_and_bounded() {
        assert_eq!(fields(&PluginForm { redirect_uris: " \n ".into(), ..good() }), ["redirect_uris"]);
        let many = (0..11).map(|i| format!("https://x.example.com/{i}")).collect::<Vec<_>>().join("\n");
        assert_eq!(fields(&PluginForm { redirect_uris: many, ..good() }), ["redirect_uris"]);
    }
}
