//! Ratings and reviews: one per organisation and plugin, written by an owner or admin of
//! an organisation that has the plugin installed; the plugin's developer may answer each
//! with one public reply. The plugin's rating (the mean) and count move in the same
//! transaction as the review.

use super::{now, Db};
use crate::domain::{PluginSlug, SessionUser};
use sqlx::AnyConnection;

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
    Db(#[from] sqlx::Error),
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
pub async fn save_review(db: &Db, author: &SessionUser, slug: &PluginSlug, stars: Stars, body: &str) -> Result<(), ReviewError> {
    if !author.role.can_manage_plugins() {
        return Err(ReviewError::NotAllowed);
    }
    let body = parse_text(body, false)?;
    let t = now();
    let mut tx = db.begin_write().await?;
    // A published plugin the organisation uses, and not its own: a developer's team may
    // install its plugin to try it, but does not rate it.
    let plugin_id: Option<i64> = sqlx::query_scalar(
        "SELECT p.id FROM plugins p JOIN installations i ON i.plugin_id = p.id \
         WHERE p.slug = $1 AND p.review_state = 'published' AND i.tenant_id = $2 AND i.status = 'active' \
           AND NOT EXISTS (SELECT 1 FROM users d WHERE d.id = p.developer_id AND d.tenant_id = $2)",
    )
    .bind(slug.as_str())
    .bind(author.tenant_id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(plugin_id) = plugin_id else { return Err(ReviewError::NotInstalled) };
    // Lock the plugin row first: on PostgreSQL a second review waits here, and its mean
    // below then counts the first one (a later statement sees what committed meanwhile).
    sqlx::query("UPDATE plugins SET review_count = review_count WHERE id = $1").bind(plugin_id).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO reviews (plugin_id, tenant_id, user_id, rating, body, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (plugin_id, tenant_id) DO UPDATE SET user_id = excluded.user_id, rating = excluded.rating, \
             body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(plugin_id)
    .bind(author.tenant_id.0)
    .bind(author.id.0)
    .bind(stars.0)
    .bind(&body)
    .bind(t)
    .execute(&mut *tx)
    .await?;
    refresh_rating(&mut tx, plugin_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The plugin's rating and review count, from its reviews.
async fn refresh_rating(conn: &mut AnyConnection, plugin_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE plugins SET \
             rating = COALESCE((SELECT CAST(AVG(rating) AS DOUBLE PRECISION) FROM reviews WHERE plugin_id = $1), 0.0), \
             review_count = (SELECT COUNT(*) FROM reviews WHERE plugin_id = $1) \
         WHERE id = $1",
    )
    .bind(plugin_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The developer's public reply to a review of one of their plugins (a new reply replaces it).
pub async fn reply(db: &Db, developer: &SessionUser, review_id: i64, text: &str) -> Result<(), ReviewError> {
    let text = parse_text(text, true)?;
    let updated = sqlx::query(
        "UPDATE reviews SET reply = $1, replied_at = $2 \
         WHERE id = $3 AND plugin_id IN (SELECT id FROM plugins WHERE developer_id = $4)",
    )
    .bind(&text)
    .bind(now())
    .bind(review_id)
    .bind(developer.id.0)
    .execute(db.pool())
    .await?;
    if updated.rows_affected() == 0 {
        return Err(ReviewError::NotFound);
    }
    Ok(())
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
