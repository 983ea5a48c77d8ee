//! Publishing, as developers see it in their console: their profile, their plugins'
//! form ([`form`]), registering and editing them ([`plugins`]), credentials, submission
//! for review, webhook deliveries and install statistics. The profile functions take the
//! signed-in member; everything on a plugin acts as their [`DeveloperScope`] and reaches
//! the plugin only through [`owned`], which finds it among the plugins they own and gives
//! the store's typed `OwnedPlugin` that every later step takes.

pub mod credentials;
pub mod deploy;
pub mod deliveries;
pub mod form;
pub mod invites;
pub mod manifest;
pub mod plugins;
pub mod stats;
pub mod submission;
pub mod versions;

use super::registry::RegistryError;
use super::scope::{DeveloperScope, Member};
use super::store::plugins::{self as store, OwnedPlugin};
use super::store::{self as stores, accounts};
use super::Db;
use crate::domain::{PluginSlug, SessionUser};
use crate::error::{AppError, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum PublishingError {
    #[error("not a developer")]
    NotDeveloper,
    #[error("no plugin of yours has this slug")]
    NotFound,
    #[error("invalid form")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("no such delivery of this plugin's")]
    NoSuchDelivery,
    /// Something that cannot fail did: logged where it happened.
    #[error("{0}")]
    Internal(&'static str),
    #[error(transparent)]
    Db(#[from] stores::Error),
}

impl From<PublishingError> for AppError {
    fn from(err: PublishingError) -> Self {
        match err {
            PublishingError::NotDeveloper => AppError::Forbidden("Create your developer profile first.".into()),
            PublishingError::NotFound => AppError::NotFound("None of your plugins has this address.".into()),
            PublishingError::Invalid(errors) => AppError::InvalidFields(errors),
            PublishingError::Conflict(message) => AppError::Conflict(message.into()),
            PublishingError::NoSuchDelivery => AppError::NotFound("This plugin has no such delivery.".into()),
            PublishingError::Internal(_) => AppError::Internal,
            PublishingError::Db(e) => super::internal("developer console storage failed")(e),
        }
    }
}

impl From<RegistryError> for PublishingError {
    fn from(err: RegistryError) -> Self {
        match err {
            RegistryError::SlugTaken(slug) => {
                PublishingError::Invalid(vec![FieldError::new("slug", format!("The address {slug:?} is taken; choose another."))])
            }
            RegistryError::NotFound(_) => PublishingError::NotFound,
            RegistryError::Invalid(message) => PublishingError::Invalid(vec![FieldError::new("form", message)]),
            RegistryError::Db(e) => PublishingError::Db(e),
        }
    }
}

/// The developer's live tokens for the CLI, newest first.
pub async fn tokens(db: &Db, member: &Member) -> Result<Vec<crate::domain::DeveloperToken>, PublishingError> {
    Ok(stores::developer_tokens::list(db, &developer(member)?).await?)
}

/// Makes a developer token named `name` (what it is for): the token, shown once.
pub async fn create_token(db: &Db, member: &Member, name: &str) -> Result<String, PublishingError> {
    let name = name.trim();
    if !(1..=80).contains(&name.chars().count()) {
        return Err(PublishingError::Invalid(vec![FieldError::new("name", "Name the token (what it is for): 1 to 80 characters.")]));
    }
    let made = super::scope::developer_token::create(db, member, name).await?;
    made.map(|(token, _)| token).ok_or(PublishingError::NotDeveloper)
}

/// Revokes one of the developer's tokens: the CLI using it is refused from the next call.
pub async fn revoke_token(db: &Db, member: &Member, id: i64) -> Result<(), PublishingError> {
    if !stores::developer_tokens::revoke(db, &developer(member)?, id, super::now()).await? {
        return Err(PublishingError::Conflict("You have no such token: it was revoked already."));
    }
    Ok(())
}

/// The member as a developer, acting on their own plugins; refused without a developer profile.
pub fn developer(member: &Member) -> Result<DeveloperScope, PublishingError> {
    member.as_developer().ok_or(PublishingError::NotDeveloper)
}

/// Gives the user a developer profile under a public name.
pub async fn become_developer(db: &Db, user: &SessionUser, name: &str) -> Result<(), PublishingError> {
    let name = name.trim();
    if !(1..=80).contains(&name.chars().count()) {
        return Err(PublishingError::Invalid(vec![FieldError::new("developer_name", "Choose a public name of 1 to 80 characters.")]));
    }
    let mut tx = db.begin_write().await?;
    accounts::make_developer(&mut tx, user.id, name).await?;
    tx.commit().await?;
    Ok(())
}

/// The developer's public name (a new plugin's default author).
pub async fn developer_name(db: &Db, user: &SessionUser) -> Result<String, PublishingError> {
    Ok(accounts::developer_name(db, user.id).await?.unwrap_or_else(|| user.display_name.clone()))
}

/// The member's own plugin with this slug; refused without a developer profile, and
/// not found when they own no plugin of that slug.
pub(crate) async fn owned(db: &Db, member: &Member, slug: &PluginSlug) -> Result<OwnedPlugin, PublishingError> {
    store::owned_by(db, &developer(member)?, slug.as_str()).await?.ok_or(PublishingError::NotFound)
}
