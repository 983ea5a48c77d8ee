//! A plugin's credentials: its OAuth client secret and its webhook signing secret, each
//! shown once when made or rotated.

use crate::server::registry;
use crate::server::scope::Member;
use crate::server::vault::Vault;
use crate::server::Db;
use super::{owned, PublishingError};
use crate::domain::{PluginSlug, ShownSecrets};

pub async fn rotate_client_secret(db: &Db, member: &Member, slug: &PluginSlug) -> Result<ShownSecrets, PublishingError> {
    owned(db, member, slug).await?;
    let creds = registry::rotate_client_secret(db, slug).await?;
    Ok(ShownSecrets { slug: creds.slug, client_id: creds.client_id, client_secret: Some(creds.client_secret), webhook_secret: None })
}

pub async fn rotate_webhook_secret(db: &Db, vault: &Vault, member: &Member, slug: &PluginSlug) -> Result<ShownSecrets, PublishingError> {
    owned(db, member, slug).await?;
    let creds = registry::rotate_webhook_secret(db, vault, slug).await?;
    Ok(ShownSecrets { slug: creds.slug, client_id: creds.client_id, client_secret: None, webhook_secret: creds.webhook_secret })
}
