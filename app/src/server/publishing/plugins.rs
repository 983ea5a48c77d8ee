//! Registering a plugin, editing it, and the developer's views of their plugins.

use crate::server::oauth::redirect_uri::RedirectUri;
use crate::server::outbound::OutboundPolicy;
use crate::server::plugin_servers::connections;
use crate::server::plugin_servers::service_oauth;
use crate::server::registry::{self, NewPlugin};
use crate::server::store::{self as stores, plugins as store, versions};
use super::versions as version_views;
use crate::server::vault::Vault;
use crate::server::{now, Db};
use super::form::validate;
use super::submission::{decisions, Audience};
use super::{developer, owned, PublishingError};
use crate::domain::{ConsolePlugin, DeveloperPlugin, PluginForm, PluginSlug, ShownSecrets, Suspension};
use crate::server::scope::Member;

/// Registers a draft plugin; its secrets are in the answer and nowhere else.
pub async fn create(db: &Db, vault: &Vault, member: &Member, form: &PluginForm, policy: &OutboundPolicy) -> Result<ShownSecrets, PublishingError> {
    let scope = developer(member)?;
    let plugin = validate(form, policy).map_err(PublishingError::Invalid)?;
    let oauth_client_secret = seal_service_secret(vault, &plugin, form);
    let new = NewPlugin { developer_id: Some(scope.developer()), oauth_client_secret, ..plugin };
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

pub use super::versions::Saved;

/// Saves an edit. The slug is the plugin's address and client identity: it never
/// changes. Redirect URIs (like the credentials) are the plugin's and apply at once;
/// everything staff review goes into the plugin's draft version, started from the
/// newest version when there is none, and reaches tenants only when staff publish it.
/// While staff review a version, the plugin stays as submitted.
pub async fn update(
    db: &Db,
    vault: &Vault,
    member: &Member,
    slug: &PluginSlug,
    form: &PluginForm,
    policy: &OutboundPolicy,
) -> Result<Saved, PublishingError> {
    let plugin = owned(db, member, slug).await?;
    // The form's copy of the slug is only shown.
    let form = PluginForm { slug: slug.as_str().to_owned(), ..form.clone() };
    let edit = validate(&form, policy).map_err(PublishingError::Invalid)?;
    let t = now();
    let mut tx = db.begin_write().await?;
    let standing = versions::standing(&mut tx, plugin.id()).await?;
    if standing.in_review().is_some() {
        return Err(PublishingError::Conflict(IN_REVIEW));
    }
    store::set_redirect_uris(&mut tx, plugin, &edit.redirect_uris, t).await?;
    let Some(base) = standing.draft().or(standing.latest()) else {
        return Err(PublishingError::Db(stores::Error::RowNotFound));
    };
    // An empty secret field keeps the stored secret; no OAuth client, no secret.
    let oauth_client_secret = match seal_service_secret(vault, &edit, &form) {
        Some(sealed) => Some(sealed),
        None if edit.oauth.is_some() => base.fields.oauth_client_secret.clone(),
        None => None,
    };
    // Nothing changed that staff review: no new version.
    if standing.draft().is_none() && versions::Reviewed::edited(&edit, oauth_client_secret.clone(), base.fields.bundle_sha256.clone()) == base.fields {
        tx.commit().await?;
        return Ok(Saved::Unchanged);
    }
    let running_oauth = store::live_oauth(&mut tx, plugin.id()).await?;
    let draft = version_views::open_draft(&mut tx, plugin, &standing, t, IN_REVIEW).await?;
    if !versions::save_draft(&mut tx, plugin, draft.id, &edit, oauth_client_secret.as_deref(), t).await? {
        return Err(PublishingError::Conflict(IN_REVIEW));
    }
    let saved = draft.saved(&mut tx, plugin, t).await?;
    // What the developer's own installations run changed. Another service (or another
    // client at it): the tokens held for the old one must not be sent there.
    if saved == Saved::Running && running_oauth != edit.oauth {
        stores::connections::end_all_for_plugin(&mut tx, plugin).await?;
    }
    tx.commit().await?;
    Ok(saved)
}

const IN_REVIEW: &str = "Staff are reviewing this plugin as submitted: edit it once they decide.";

/// The developer's plugins, most recently changed first.
pub async fn list_mine(db: &Db, member: &Member) -> Result<Vec<DeveloperPlugin>, PublishingError> {
    let t = now();
    Ok(store::by_developer(db, &developer(member)?)
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
            webhook_alert: r.endpoint.view(t).alert,
        })
        .collect())
}

/// One of the developer's plugins, as its console page shows it: the form holds its
/// draft (or, without one, its newest version, which an edit copies into a new draft).
pub async fn console_plugin(db: &Db, member: &Member, slug: &PluginSlug, public_url: &str) -> Result<ConsolePlugin, PublishingError> {
    let id = owned(db, member, slug).await?;
    let r = store::console(db, id).await?;
    let standing = versions::read(db, id.id()).await?;
    let Some(shown) = standing.draft().or(standing.latest()) else {
        return Err(PublishingError::Db(stores::Error::RowNotFound));
    };
    let live_number = standing.live().map(|l| l.number);
    let pending = match standing.live() {
        Some(live) if shown.number != live.number => Some(version_views::diff(db, shown, Some(live)).await?).filter(|d| !d.is_empty()),
        _ => None,
    };
    let f = &shown.fields;
    let oauth = f.oauth.clone();
    let form = PluginForm {
        slug: r.slug,
        name: f.name.clone(),
        description: f.description.clone(),
        author: f.author.clone(),
        author_url: f.author_url.clone().unwrap_or_default(),
        icon_url: f.icon_url.clone().unwrap_or_default(),
        category: f.category.as_str().to_owned(),
        scopes: f.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        redirect_uris: r.redirect_uris.0.iter().map(RedirectUri::as_str).collect::<Vec<_>>().join("\n"),
        webhook_url: f.webhook_url.clone().unwrap_or_default(),
        server_url: f.server_url.clone().unwrap_or_default(),
        show_authorization_button: f.show_authorization_button,
        monetized: f.monetized,
        processes_content: f.processes_content,
        oauth_authorization_url: oauth.as_ref().map(|o| o.authorization_url.clone()).unwrap_or_default(),
        oauth_token_url: oauth.as_ref().map(|o| o.token_url.clone()).unwrap_or_default(),
        oauth_client_id: oauth.as_ref().map(|o| o.client_id.clone()).unwrap_or_default(),
        oauth_client_secret: String::new(),
        oauth_scopes: oauth.as_ref().map(|o| o.scopes.join(" ")).unwrap_or_default(),
        client_origins: f.client_origins.join("\n"),
        settings_schema: f.settings_schema.clone().unwrap_or_default(),
        events: f.subscriptions.iter().map(|e| e.as_str().to_owned()).collect(),
        private: f.private,
    };
    let bundle = match &f.bundle_sha256 {
        Some(sha) => Some((sha.clone(), versions::bundle_size(db, sha).await?.unwrap_or(0))),
        None => None,
    };
    Ok(ConsolePlugin {
        plugin_id: id.id().get(),
        oauth_client_secret_set: f.oauth_client_secret.is_some(),
        oauth_callback_url: service_oauth::callback_url(public_url, slug.as_str()),
        bundle,
        form,
        client_id: r.client_id,
        state: r.review_state.0,
        review_reason: r.review_reason,
        is_verified: r.is_verified.0,
        webhook: r.endpoint.view(now()),
        decisions: decisions(db, id.id(), Audience::Developer).await?,
        version: Some(version_views::summary(shown, live_number)),
        versions: version_views::history(&standing),
        pending,
        suspension: r.suspended_at.zip(r.suspension_reason).map(|(at, reason)| Suspension { at, reason }),
        invites: stores::invites::list(db, id).await?,
    })
}
