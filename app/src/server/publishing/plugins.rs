//! Registering a plugin, editing it, and the developer's views of their plugins.

use crate::server::oauth::redirect_uri::RedirectUri;
use crate::server::outbound::OutboundPolicy;
use crate::server::plugin_servers::connections;
use crate::server::plugin_servers::service_oauth;
use crate::server::registry::{self, NewPlugin};
use crate::server::store::{self as stores, plugins as store};
use crate::server::vault::Vault;
use crate::server::{now, Db};
use super::form::validate;
use super::submission::{decisions, Audience};
use super::{developer, owned, PublishingError};
use crate::domain::{ConsolePlugin, DecisionKind, DeveloperPlugin, PluginForm, PluginSlug, ReviewState, ShownSecrets};
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
    member: &Member,
    slug: &PluginSlug,
    form: &PluginForm,
    policy: &OutboundPolicy,
) -> Result<Saved, PublishingError> {
    let id = owned(db, member, slug).await?;
    // The form's copy of the slug is only shown.
    let form = PluginForm { slug: slug.as_str().to_owned(), ..form.clone() };
    let plugin = validate(&form, policy).map_err(PublishingError::Invalid)?;
    let t = now();
    let mut tx = db.begin_write().await?;
    let current = store::reach(&mut tx, id).await?;
    let state = current.review_state.0;
    if state == ReviewState::InReview {
        return Err(PublishingError::Conflict("Staff are reviewing this plugin as submitted: edit it once they decide."));
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
        store::record_decision(&mut tx, id.id(), member.id, DecisionKind::Submitted, Some(reason), t).await?;
    }
    tx.commit().await?;
    Ok(if back_in_review { Saved::BackInReview } else { Saved::Saved })
}

/// The developer's plugins, most recently changed first.
pub async fn list_mine(db: &Db, member: &Member) -> Result<Vec<DeveloperPlugin>, PublishingError> {
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
        })
        .collect())
}

/// One of the developer's plugins, as its console page shows it.
pub async fn console_plugin(db: &Db, member: &Member, slug: &PluginSlug, public_url: &str) -> Result<ConsolePlugin, PublishingError> {
    let id = owned(db, member, slug).await?;
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
        decisions: decisions(db, id.id(), Audience::Developer).await?,
    })
}
