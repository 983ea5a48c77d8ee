//! Publishing, as developers see it in their console: their profile, their plugins'
//! form ([`form`]), registering and editing them ([`plugins`]), credentials, submission
//! for review, webhook deliveries and install statistics. Every function takes the
//! signed-in member, acts as their [`DeveloperScope`] and reaches only plugins they own.

pub mod credentials;
pub mod deliveries;
pub mod form;
pub mod plugins;
pub mod stats;
pub mod submission;

use super::registry::RegistryError;
use super::scope::{DeveloperScope, Member};
use super::store::{self as stores, accounts, plugins as store};
use super::Db;
use crate::domain::{PluginSlug, SessionUser};
use crate::error::{AppError, FieldError};

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
            ConsoleError::Conflict(message) => AppError::Conflict(message.into()),
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

/// The member as a developer, acting on their own plugins; refused without a developer profile.
pub fn developer(member: &Member) -> Result<DeveloperScope, ConsoleError> {
    member.as_developer().ok_or(ConsoleError::NotDeveloper)
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


/// The id of the developer's plugin with this slug.
pub(crate) async fn owned(db: &Db, developer: &Member, slug: &PluginSlug) -> Result<i64, ConsoleError> {
    store::owned_by(db, &self::developer(developer)?, slug.as_str()).await?.ok_or(ConsoleError::NotFound)
}
