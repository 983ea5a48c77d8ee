//! Staff review: the queue of submitted plugins and the decisions on them (publish,
//! reject with a reason, verify or unverify, unpublish with a reason), each recorded with
//! who made it and when, in the transaction that applies it.

use super::console::{decisions, record_decision, review_state, Audience};
use super::oauth::redirect_uri;
use super::{catalog, markdown, now, Db};
use crate::domain::{Category, DecisionKind, MarketplaceQuery, PluginSlug, QueueItem, ReviewState, SessionUser, StaffPlugin};
use sqlx::Row;

const MAX_REASON_CHARS: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("staff only")]
    NotStaff,
    #[error("no plugin has this slug")]
    NotFound,
    #[error("{0}")]
    Invalid(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<StaffError> for crate::error::AppError {
    fn from(err: StaffError) -> Self {
        use crate::error::AppError;
        match err {
            StaffError::NotStaff => AppError::Forbidden("Only Plugboard staff can review plugins.".into()),
            StaffError::NotFound => AppError::NotFound("No plugin has this address.".into()),
            StaffError::Invalid(message) => AppError::invalid("reason", message),
            StaffError::Conflict(message) => AppError::invalid("state", message),
            StaffError::Db(e) => super::internal("staff review storage failed")(e),
        }
    }
}

fn require_staff(user: &SessionUser) -> Result<(), StaffError> {
    if user.is_staff { Ok(()) } else { Err(StaffError::NotStaff) }
}

/// The most a queue page lists; a search narrows a long list (100,000 published plugins).
pub const QUEUE_PAGE: i64 = 100;

/// Plugins in `state` (the queue: in review, oldest submission first), those matching
/// `search` (name and description, through the full-text index) when it has words.
pub async fn queue(db: &Db, staff: &SessionUser, state: ReviewState, search: &str) -> Result<Vec<QueueItem>, StaffError> {
    require_staff(staff)?;
    let terms = MarketplaceQuery { q: search.to_owned(), ..MarketplaceQuery::default() }.search_terms();
    let (condition, value) = if terms.is_empty() {
        ("1 = 1".to_owned(), None)
    } else {
        let (sql, value) = catalog::search_condition(db.dialect(), &terms, 3);
        (sql, Some(value))
    };
    let sql = format!(
        "SELECT p.slug, p.name, p.author, p.review_state, p.is_verified, p.submitted_at, p.updated_at FROM plugins p \
         WHERE p.review_state = $1 AND {condition} ORDER BY COALESCE(p.submitted_at, 0), p.id LIMIT $2"
    );
    let mut query = sqlx::query(&sql).bind(state.as_str()).bind(QUEUE_PAGE);
    if let Some(value) = value {
        query = query.bind(value);
    }
    let rows = query.fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(QueueItem {
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                author: r.try_get("author")?,
                state: review_state(r)?,
                is_verified: r.try_get::<i64, _>("is_verified")? == 1,
                submitted_at: r.try_get("submitted_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?)
}

/// A plugin as staff review it: what tenants will see, and what it will be allowed to reach.
pub async fn plugin(db: &Db, staff: &SessionUser, slug: &PluginSlug) -> Result<StaffPlugin, StaffError> {
    require_staff(staff)?;
    let r = sqlx::query(
        "SELECT p.id, p.slug, p.name, p.author, p.author_url, p.icon_url, p.category, p.description, p.permissions, \
                p.redirect_uris, p.webhook_url, p.review_state, p.review_reason, p.is_verified, p.submitted_at, u.email \
         FROM plugins p LEFT JOIN users u ON u.id = p.developer_id WHERE p.slug = $1",
    )
    .bind(slug.as_str())
    .fetch_optional(db.pool())
    .await?
    .ok_or(StaffError::NotFound)?;
    let id: i64 = r.try_get("id")?;
    let category: String = r.try_get("category")?;
    let description: String = r.try_get("description")?;
    Ok(StaffPlugin {
        slug: r.try_get("slug")?,
        name: r.try_get("name")?,
        author: r.try_get("author")?,
        developer_email: r.try_get("email")?,
        category: Category::parse(&category)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown category {category:?}").into()))?,
        state: review_state(&r)?,
        is_verified: r.try_get::<i64, _>("is_verified")? == 1,
        submitted_at: r.try_get("submitted_at")?,
        scopes: catalog::parse_scopes(&r.try_get::<String, _>("permissions")?),
        redirect_uris: redirect_uri::from_json(&r.try_get::<String, _>("redirect_uris")?).iter().map(|u| u.as_str().to_owned()).collect(),
        webhook_url: r.try_get("webhook_url")?,
        author_url: r.try_get("author_url")?,
        icon_url: r.try_get("icon_url")?,
        description_html: markdown::render(&description),
        review_reason: r.try_get("review_reason")?,
        decisions: decisions(db, id, Audience::Staff).await?,
    })
}

/// Applies a decision. Publish and reject answer a submission; unpublish takes a
/// published plugin off the marketplace; verify and unverify apply in any state.
pub async fn decide(
    db: &Db,
    staff: &SessionUser,
    slug: &PluginSlug,
    kind: DecisionKind,
    reason: &str,
) -> Result<(), StaffError> {
    require_staff(staff)?;
    let reason = reason.trim();
    if kind.needs_reason() && reason.is_empty() {
        return Err(StaffError::Invalid("Give the developer a reason: they read it in their console."));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(StaffError::Invalid("Keep the reason to 2,000 characters."));
    }
    let reason = (!reason.is_empty()).then_some(reason);
    let t = now();
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar("SELECT id FROM plugins WHERE slug = $1")
        .bind(slug.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StaffError::NotFound)?;
    // Each change names the state it starts from, so two staff deciding at once cannot both win.
    let (sql, conflict) = match kind {
        DecisionKind::Published => (
            "UPDATE plugins SET review_state = 'published', is_published = 1, review_reason = NULL, updated_at = $1 \
             WHERE id = $2 AND review_state = 'in_review'",
            "Only a plugin in review can be published.",
        ),
        DecisionKind::Rejected => (
            "UPDATE plugins SET review_state = 'rejected', is_published = 0, review_reason = $3, updated_at = $1 \
             WHERE id = $2 AND review_state = 'in_review'",
            "Only a plugin in review can be rejected.",
        ),
        DecisionKind::Unpublished => (
            "UPDATE plugins SET review_state = 'unpublished', is_published = 0, review_reason = $3, updated_at = $1 \
             WHERE id = $2 AND review_state = 'published'",
            "Only a published plugin can be unpublished.",
        ),
        DecisionKind::Verified => (
            "UPDATE plugins SET is_verified = 1, updated_at = $1 WHERE id = $2 AND is_verified = 0",
            "This plugin is verified already.",
        ),
        DecisionKind::Unverified => (
            "UPDATE plugins SET is_verified = 0, updated_at = $1 WHERE id = $2 AND is_verified = 1",
            "This plugin is not verified.",
        ),
        DecisionKind::Submitted => return Err(StaffError::Conflict("Developers submit their own plugins.")),
    };
    let mut query = sqlx::query(sql).bind(t).bind(id);
    if matches!(kind, DecisionKind::Rejected | DecisionKind::Unpublished) {
        query = query.bind(reason);
    }
    if query.execute(&mut *tx).await?.rows_affected() == 0 {
        return Err(StaffError::Conflict(conflict));
    }
    record_decision(&mut tx, id, staff.id.0, kind, reason, t).await?;
    tx.commit().await?;
    Ok(())
}
