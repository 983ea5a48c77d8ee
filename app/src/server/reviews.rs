//! Ratings and reviews: one per organisation and plugin, written by an owner or admin of
//! an organisation that has the plugin installed; the plugin's developer may answer each
//! with one public reply. The plugin's rating (the mean) and count move in the same
//! transaction as the review.

use super::scope::Member;
use super::store::{self as stores, reviews as store};
use super::{now, Db};
use crate::domain::PluginSlug;

pub const MAX_REVIEW_CHARS: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("only owners and admins of an organisation can review plugins")]
    NotAllowed,
    #[error("the organisation has not installed this published plugin, or it is the developer's own")]
    NotInstalled,
    #[error("no such plugin or review")]
    NotFound,
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Db(#[from] stores::Error),
}

impl From<ReviewError> for crate::error::AppError {
    fn from(err: ReviewError) -> Self {
        use crate::error::AppError;
        match err {
            ReviewError::NotAllowed => AppError::Forbidden("Only owners and admins of an organisation that uses a plugin can review it.".into()),
            ReviewError::NotInstalled => {
                AppError::Forbidden("Only organisations that use this published plugin, other than its developer's, can review it.".into())
            }
            ReviewError::NotFound => AppError::NotFound("There is no such review of your plugins.".into()),
            ReviewError::Invalid(message) => AppError::invalid("review", message),
            ReviewError::Db(e) => super::internal("saving a review failed")(e),
        }
    }
}

/// A rating of 1 to 5 stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stars(i64);

impl Stars {
    pub fn parse(raw: i64) -> Result<Self, ReviewError> {
        if (1..=5).contains(&raw) { Ok(Self(raw)) } else { Err(ReviewError::Invalid("Choose a rating from 1 to 5 stars.")) }
    }
}

/// Review or reply text: trimmed, at most 2,000 characters, shown as plain text.
fn parse_text(raw: &str, required: bool) -> Result<String, ReviewError> {
    let text = raw.trim();
    if required && text.is_empty() {
        return Err(ReviewError::Invalid("Write something first."));
    }
    if text.chars().count() > MAX_REVIEW_CHARS {
        return Err(ReviewError::Invalid("Keep it to 2,000 characters."));
    }
    Ok(text.to_owned())
}

/// Writes the organisation's review of the plugin, replacing the one it had.
pub async fn save_review(db: &Db, author: &Member, slug: &PluginSlug, stars: Stars, body: &str) -> Result<(), ReviewError> {
    if !author.role.can_manage_plugins() {
        return Err(ReviewError::NotAllowed);
    }
    let body = parse_text(body, false)?;
    let scope = author.scope();
    let mut tx = db.begin_write().await?;
    let Some(plugin_id) = store::lock_reviewable(&mut tx, &scope, slug).await? else { return Err(ReviewError::NotInstalled) };
    store::save(&mut tx, &scope, plugin_id, author.id, stars.0, &body, now()).await?;
    tx.commit().await?;
    Ok(())
}

/// The developer's public reply to a review of one of their plugins (a new reply replaces it).
pub async fn reply(db: &Db, developer: &Member, review_id: i64, text: &str) -> Result<(), ReviewError> {
    let text = parse_text(text, true)?;
    // Somebody without a developer profile has no plugin whose reviews they could answer.
    let Some(scope) = developer.as_developer() else { return Err(ReviewError::NotFound) };
    if store::reply(db, &scope, review_id, &text, now()).await? {
        Ok(())
    } else {
        Err(ReviewError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_text_bounds() {
        assert!(Stars::parse(0).is_err());
        assert!(Stars::parse(6).is_err());
        assert!(Stars::parse(1).is_ok() && Stars::parse(5).is_ok());
        assert_eq!(parse_text("  fine  ", false).unwrap(), "fine");
        assert!(parse_text("   ", true).is_err());
        assert!(parse_text(&"x".repeat(2001), false).is_err());
    }
}
