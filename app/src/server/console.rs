//! The developer console's domain: developer profiles, registering and editing plugins,
//! credentials, submitting for review, webhook deliveries and install statistics. Every
//! function takes the signed-in developer and touches only plugins they own.

use super::oauth::redirect_uri::RedirectUri;
use super::outbound::OutboundPolicy;
use super::plugin_servers::connections;
use super::plugin_servers::service_oauth::{self, ServiceOAuth};
use super::vault::Vault;
use super::registry::{self, NewPlugin, RegistryError};
use super::store::catalog::Viewer;
use super::store::{self as stores, accounts, icons, plugins as store, reviews, webhooks};
use super::{now, Db};
use crate::domain::{
    Category, ConsolePlugin, DayStats, Decision, DecisionKind, Delivery, DeliveryAttempt, DeliveryLog, DeveloperPlugin,
    InstallStats, PluginForm, PluginSlug, ReviewState, ScopeSet, SessionUser, ShownSecrets,
};
use crate::error::{AppError, FieldError};
use std::collections::HashMap;

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
    Db(#[from] stores::Error),
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
    icons::save(db, id, content_type, bytes, &url, t).await.map_err(ConsoleError::from)?;
    Ok(url)
}

/// An uploaded icon (its type and bytes), for whoever may see the plugin: everybody once
/// it is published, before that its developer and staff.
pub async fn icon(db: &Db, slug: &str, viewer: Option<&SessionUser>) -> Result<Option<(String, Vec<u8>)>, stores::Error> {
    icons::visible(db, slug, viewer.map(Viewer::of)).await
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
    let mut tx = db.begin_write().await?;
    accounts::make_developer(&mut tx, user.id, name).await?;
    tx.commit().await?;
    Ok(())
}

/// The developer's public name (a new plugin's default author).
pub async fn developer_name(db: &Db, user: &SessionUser) -> Result<String, ConsoleError> {
    Ok(accounts::developer_name(db, user.id).await?.unwrap_or_else(|| user.display_name.clone()))
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
    store::owned_by(db, developer.id, slug.as_str()).await?.ok_or(ConsoleError::NotFound)
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
    let current = store::reach(&mut tx, id).await?;
    let state = current.review_state.0;
    if state == ReviewState::InReview {
        return Err(ConsoleError::Conflict("Staff are reviewing this plugin as submitted: edit it once they decide."));
    }
    // Another service (or another client at it): the tokens held for the old one must not
    // be sent there, so those connections end.
    let oauth_changed = current.oauth_config.0 != plugin.oauth;
    // What the plugin may reach, and where tenants' content and tokens go.
    let reach_changed = current.permissions.0 != plugin.scopes
        || current.redirect_uris.0 != plugin.redirect_uris
        || current.server_url != plugin.server_url
        || current.processes_content.0 != plugin.processes_content
        || oauth_changed
        || current.client_origins.0 != plugin.client_origins;
    // An empty secret field keeps the stored secret; no OAuth client, no secret.
    let oauth_client_secret = match seal_service_secret(vault, &plugin, &form) {
        Some(sealed) => Some(sealed),
        None if plugin.oauth.is_some() => current.oauth_client_secret,
        None => None,
    };
    let back_in_review = state == ReviewState::Published && reach_changed;
    store::save_edit(&mut tx, id, &plugin, oauth_client_secret.as_deref(), back_in_review, t).await?;
    if oauth_changed {
        stores::connections::end_all_for_plugin(&mut tx, id).await?;
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
    if !store::submit(&mut tx, id, t).await? {
        return Err(ConsoleError::Conflict("This plugin is already in review or published."));
    }
    record_decision(&mut tx, id, developer.id.0, DecisionKind::Submitted, None, t).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) use store::record_decision;

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
pub(crate) async fn decisions(db: &Db, plugin_id: i64, audience: Audience) -> Result<Vec<Decision>, stores::Error> {
    Ok(store::decisions(db, plugin_id)
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
    Ok(store::by_developer(db, developer.id)
        .await?
        .into_iter()
        .map(|r| DeveloperPlugin {
            slug: r.slug,
            name: r.name,
            icon_url: r.icon_url,
            state: r.review_state.0,
            is_verified: r.is_verified.0,
            active_installs: r.active_installs,
            rating: r.rating,
            review_count: r.review_count,
            updated_at: r.updated_at,
        })
        .collect())
}

/// One of the developer's plugins, as its console page shows it.
pub async fn console_plugin(db: &Db, developer: &SessionUser, slug: &PluginSlug, public_url: &str) -> Result<ConsolePlugin, ConsoleError> {
    let id = owned(db, developer, slug).await?;
    let r = store::console(db, id).await?;
    let oauth = r.oauth_config.0;
    let form = PluginForm {
        slug: r.slug,
        name: r.name,
        description: r.description,
        author: r.author,
        author_url: r.author_url.unwrap_or_default(),
        icon_url: r.icon_url.unwrap_or_default(),
        category: r.category.0.as_str().to_owned(),
        scopes: r.permissions.0.iter().map(|s| s.as_str().to_owned()).collect(),
        redirect_uris: r.redirect_uris.0.iter().map(RedirectUri::as_str).collect::<Vec<_>>().join("\n"),
        webhook_url: r.endpoint.webhook_url.clone().unwrap_or_default(),
        server_url: r.server_url.unwrap_or_default(),
        show_authorization_button: r.show_authorization_button.0,
        monetized: r.monetized.0,
        processes_content: r.processes_content.0,
        oauth_authorization_url: oauth.as_ref().map(|o| o.authorization_url.clone()).unwrap_or_default(),
        oauth_token_url: oauth.as_ref().map(|o| o.token_url.clone()).unwrap_or_default(),
        oauth_client_id: oauth.as_ref().map(|o| o.client_id.clone()).unwrap_or_default(),
        oauth_client_secret: String::new(),
        oauth_scopes: oauth.as_ref().map(|o| o.scopes.join(" ")).unwrap_or_default(),
        client_origins: r.client_origins.0.join("\n"),
    };
    Ok(ConsolePlugin {
        oauth_client_secret_set: r.oauth_client_secret.0,
        oauth_callback_url: service_oauth::callback_url(public_url, slug.as_str()),
        bundle: r.bundle_sha256.zip(r.bundle_bytes),
        form,
        client_id: r.client_id,
        state: r.review_state.0,
        review_reason: r.review_reason,
        is_verified: r.is_verified.0,
        webhook: r.endpoint.into(),
        decisions: decisions(db, id, Audience::Developer).await?,
    })
}

/// The latest deliveries of the plugin's webhooks, each with its attempts.
pub async fn deliveries(db: &Db, developer: &SessionUser, slug: &PluginSlug) -> Result<DeliveryLog, ConsoleError> {
    let id = owned(db, developer, slug).await?;
    let endpoint = webhooks::endpoint_state(db, id).await?;
    let events = webhooks::recent_events(db, id, DELIVERY_PAGE).await?;
    let oldest = events.last().map_or(0, |e| e.id);
    let mut attempts: HashMap<i64, Vec<DeliveryAttempt>> = HashMap::new();
    for a in webhooks::attempts_from(db, id, oldest).await? {
        attempts.entry(a.event_id).or_default().push(DeliveryAttempt {
            attempt: a.attempt,
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            response_excerpt: a.response_excerpt,
            error: a.error,
        });
    }
    let deliveries = events
        .into_iter()
        .map(|e| Delivery {
            attempts: attempts.remove(&e.id).unwrap_or_default(),
            event_id: e.id,
            message_id: e.message_id,
            event_type: e.event_type,
            next_attempt_at: (e.status == "pending").then_some(e.next_attempt_at),
            status: e.status,
            created_at: e.created_at,
        })
        .collect();
    Ok(DeliveryLog {
        plugin_name: endpoint.name,
        webhook: endpoint.health.into(),
        deliveries,
    })
}

/// Sends a message again now (same `webhook-id`, so receivers can deduplicate), whatever
/// came of it before. A message being delivered right now is left to finish.
pub async fn redeliver(db: &Db, developer: &SessionUser, slug: &PluginSlug, event_id: i64) -> Result<(), ConsoleError> {
    let id = owned(db, developer, slug).await?;
    if webhooks::endpoint_state(db, id).await?.health.webhook_disabled_at.is_some() {
        return Err(ConsoleError::Conflict("The endpoint is disabled: re-enable it before redelivering."));
    }
    if !webhooks::requeue(db, id, event_id, now()).await? {
        return Err(ConsoleError::Conflict("That delivery is on its way right now, or is not one of this plugin's."));
    }
    Ok(())
}

/// Turns a disabled endpoint back on; the failure clock starts again.
pub async fn reenable_webhooks(db: &Db, developer: &SessionUser, slug: &PluginSlug) -> Result<(), ConsoleError> {
    let id = owned(db, developer, slug).await?;
    webhooks::reenable_endpoint(db, id).await?;
    Ok(())
}

/// Installs, uninstalls and the rating, day by day over the last `days` days (UTC).
pub async fn stats(db: &Db, developer: &SessionUser, slug: &PluginSlug, days: i64, now: i64) -> Result<InstallStats, ConsoleError> {
    let id = owned(db, developer, slug).await?;
    let today = now.div_euclid(86_400) * 86_400;
    let first = today - (days - 1) * 86_400;
    let plugin = store::standing(db, id).await?;
    let events = stores::installations::install_events_since(db, id, first).await?;
    let ratings = reviews::ratings(db, id).await?;
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
        plugin_name: plugin.name,
        active_installations: plugin.active,
        rating: plugin.rating,
        review_count: plugin.review_count,
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
