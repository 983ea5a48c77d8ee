//! Test installs (issue 20): before staff publish a plugin, its developer invites named
//! organisations to install it. An invite is a link shown once; an owner or admin of an
//! organisation of that name accepts it, and from then on that organisation sees and
//! installs the plugin as its developer does, through the same consent screen, marked as
//! a test version. Revoking the invite uninstalls it there.

use super::{owned, PublishingError};
use crate::domain::{InviteLink, PluginSlug, TenantName};
use crate::error::FieldError;
use crate::server::installations::wind_up;
use crate::server::scope::Member;
use crate::server::secrets::{random_token, sha256_hex};
use crate::server::store::{installations, invites as store};
use crate::server::webhooks::Recipient;
use crate::server::{now, Db};

/// How many live invites a plugin may have: test installs are for a handful of
/// organisations, not a way around review.
pub const MAX_INVITES: i64 = 25;

/// Invites the organisation named `organisation` to install the plugin: the link to send.
pub async fn invite(db: &Db, member: &Member, slug: &PluginSlug, organisation: &str, public_url: &str) -> Result<InviteLink, PublishingError> {
    let plugin = owned(db, member, slug).await?;
    let name = TenantName::parse(organisation)
        .map_err(|_| PublishingError::Invalid(vec![FieldError::new("organisation", "Name the organisation you invite, as it is called on Plugboard: 2 to 80 characters.")]))?;
    let mut tx = db.begin_write().await?;
    if store::count(&mut tx, plugin).await? >= MAX_INVITES {
        return Err(PublishingError::Conflict("This plugin has 25 open invites, the most it may have: withdraw one first."));
    }
    if store::open_to_all(&mut tx, plugin).await? {
        return Err(PublishingError::Conflict("Staff have published this plugin publicly: every organisation can install it from the marketplace."));
    }
    let token = random_token("pbi_");
    store::create(&mut tx, plugin, name.as_str(), &sha256_hex(&token), now()).await?;
    tx.commit().await?;
    Ok(InviteLink { organisation: name.as_str().to_owned(), url: format!("{}/invites/{token}", public_url.trim_end_matches('/')) })
}

/// Revokes an invite; while the plugin is unpublished or private, the organisation that
/// accepted it loses its installation at once (tokens, connections and Runs end; the plugin hears
/// `plugin.uninstalled`), in the same transaction.
pub async fn revoke(db: &Db, member: &Member, slug: &PluginSlug, invite: i64) -> Result<(), PublishingError> {
    let plugin = owned(db, member, slug).await?;
    let t = now();
    let mut tx = db.begin_write().await?;
    let open_to_all = store::open_to_all(&mut tx, plugin).await?;
    let Some(revoked) = store::revoke(&mut tx, plugin, invite, t).await? else {
        return Err(PublishingError::Conflict("This plugin has no such open invite: it was revoked already."));
    };
    if !open_to_all {
        if let (Some(tenant_id), Some((uninstalled, installation_id, status))) = (revoked.tenant(), installations::end_test_install(&mut tx, &revoked, t).await?) {
            let recipient = Recipient { installation_id, tenant_id, plugin_id: plugin.id() };
            wind_up(&mut tx, &uninstalled, recipient, status, t).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
