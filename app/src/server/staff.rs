//! Staff review: the queue of submitted plugins and the decisions on them (publish,
//! reject with a reason, verify or unverify, unpublish with a reason), each recorded with
//! who made it and when, in the transaction that applies it.

use super::publishing::submission::{decisions, Audience};
use super::store::versions::{self, Version};
use super::store::{self as stores, plugins as store, Conn};
use super::publishing::versions as version_views;
use super::upgrades;
use super::{markdown, now, Db};
use super::scope::{Member, StaffScope};
use crate::domain::{DecisionKind, MarketplaceQuery, PluginId, PluginSlug, QueueItem, ReviewState, StaffPlugin, Suspension, VersionState};

const MAX_REASON_CHARS: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("staff only")]
    NotStaff,
    #[error("no plugin has this slug")]
    NotFound,
    #[error("{0}")]
    Invalid(&'static str),
    /// `submitted` is the developer's step, never a staff decision.
    #[error("developers submit their own plugins")]
    NotADecision,
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Db(#[from] stores::Error),
}

impl From<StaffError> for crate::error::AppError {
    fn from(err: StaffError) -> Self {
        use crate::error::AppError;
        match err {
            StaffError::NotStaff => AppError::Forbidden("Only Plugboard staff can review plugins.".into()),
            StaffError::NotFound => AppError::NotFound("No plugin has this address.".into()),
            StaffError::Invalid(message) => AppError::invalid("reason", message),
            StaffError::NotADecision => AppError::invalid("decision", "Developers submit their own plugins."),
            StaffError::Conflict(message) => AppError::Conflict(message.into()),
            StaffError::Db(e) => super::internal("staff review storage failed")(e),
        }
    }
}

/// The member as staff; refused unless they are.
fn staff_scope(member: &Member) -> Result<StaffScope, StaffError> {
    member.as_staff().ok_or(StaffError::NotStaff)
}

/// The most a queue page lists; a search narrows a long list (100,000 published plugins).
pub const QUEUE_PAGE: i64 = 100;

/// Plugins in `state` (the queue: in review, oldest submission first), those matching
/// `search` (name and description, through the full-text index) when it has words.
pub async fn queue(db: &Db, staff: &Member, state: ReviewState, search: &str) -> Result<Vec<QueueItem>, StaffError> {
    let staff = staff_scope(staff)?;
    let terms = MarketplaceQuery { q: search.to_owned(), ..MarketplaceQuery::default() }.search_terms();
    Ok(store::queue(db, &staff, state, &terms, QUEUE_PAGE)
        .await?
        .into_iter()
        .map(|r| QueueItem {
            slug: r.slug,
            name: r.name,
            author: r.author,
            state: r.review_state.0,
            is_verified: r.is_verified.0,
            submitted_at: r.submitted_at,
            updated_at: r.updated_at,
            version: r.version,
        })
        .collect())
}

/// A plugin as staff review it: what tenants will see, and what it will be allowed to reach.
pub async fn plugin(db: &Db, staff: &Member, slug: &PluginSlug) -> Result<StaffPlugin, StaffError> {
    let staff = staff_scope(staff)?;
    let r = store::reviewed(db, &staff, slug.as_str()).await?.ok_or(StaffError::NotFound)?;
    let standing = versions::read(db, r.id).await?;
    let candidate = match standing.in_review() {
        Some(version) => Some(version_views::diff(db, version, standing.live()).await?),
        None => None,
    };
    Ok(StaffPlugin {
        slug: r.slug,
        name: r.name,
        author: r.author,
        developer_email: r.email,
        category: r.category.0,
        state: r.review_state.0,
        is_verified: r.is_verified.0,
        submitted_at: r.submitted_at,
        scopes: r.permissions.0.iter().collect(),
        redirect_uris: r.redirect_uris.0.iter().map(|u| u.as_str().to_owned()).collect(),
        webhook_url: r.webhook_url,
        author_url: r.author_url,
        icon_url: r.icon_url,
        description_html: markdown::render(&r.description),
        review_reason: r.review_reason,
        decisions: decisions(db, r.id, Audience::Staff).await?,
        candidate,
        versions: version_views::history(&standing),
        suspension: r.suspended_at.zip(r.suspension_reason).map(|(at, reason)| Suspension { at, reason }),
    })
}

/// Applies a decision. Publish and reject answer the version in review: publishing makes
/// it live (its fields onto the plugin's row, narrowed grants applied, wider ones asked
/// for), rejecting leaves the live version as it is. Unpublish takes a published plugin
/// off the marketplace; suspend stops it everywhere at once (every token revoked, its
/// installations stopped, its queued webhooks held) and reinstate lifts that; verify
/// and unverify apply in any state.
pub async fn decide(
    db: &Db,
    staff: &Member,
    slug: &PluginSlug,
    kind: DecisionKind,
    reason: &str,
) -> Result<(), StaffError> {
    let staff = staff_scope(staff)?;
    if kind == DecisionKind::Submitted {
        return Err(StaffError::NotADecision);
    }
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
    let id = store::id_for_staff(&mut tx, &staff, slug.as_str()).await?.ok_or(StaffError::NotFound)?;
    let conflict = match kind {
        DecisionKind::Published => "Only a plugin in review can be published.",
        DecisionKind::Rejected => "Only a plugin in review can be rejected.",
        DecisionKind::Unpublished => "Only a published plugin can be unpublished.",
        DecisionKind::Verified => "This plugin is verified already.",
        DecisionKind::Unverified => "This plugin is not verified.",
        DecisionKind::Suspended => "Only a plugin with a published version, not suspended already, can be suspended.",
        DecisionKind::Reinstated => "This plugin is not suspended.",
        DecisionKind::Submitted => return Err(StaffError::NotADecision),
    };
    // The version a publication or rejection answers; each change names the state it
    // starts from, so two staff deciding at once cannot both win.
    let mut version = None;
    if matches!(kind, DecisionKind::Published | DecisionKind::Rejected) {
        let standing = versions::standing(&mut tx, id).await?;
        let Some(candidate) = standing.in_review() else { return Err(StaffError::Conflict(conflict)) };
        let to = if kind == DecisionKind::Published { VersionState::Published } else { VersionState::Rejected };
        if !versions::decide(&mut tx, &staff, candidate.id, to, reason, t).await? {
            return Err(StaffError::Conflict(conflict));
        }
        if kind == DecisionKind::Published {
            go_live(&mut tx, &staff, id, candidate, t).await?;
        }
        version = Some(candidate.number);
    }
    if !store::apply_decision(&mut tx, &staff, id, kind, reason, t).await? {
        return Err(StaffError::Conflict(conflict));
    }
    match kind {
        DecisionKind::Suspended => {
            stores::grants::revoke_plugin(&mut tx, &staff, id, t).await?;
            stores::consents::drop_for_plugin(&mut tx, &staff, id).await?;
            stores::installations::suspend_all(&mut tx, &staff, id, t).await?;
            stores::webhooks::hold(&mut tx, &staff, id, t).await?;
        }
        DecisionKind::Reinstated => stores::webhooks::release(&mut tx, &staff, id, t).await?,
        _ => {}
    }
    store::record_decision(&mut tx, id, staff.staff(), kind, reason, version, t).await?;
    tx.commit().await?;
    Ok(())
}

/// The version staff just published becomes what tenants run: its fields go onto the
/// plugin's row; installations it asks less of are narrowed; connections made with the
/// OAuth client the row had (another service, or another client at it) end: their
/// tokens must not go to the new one.
async fn go_live(conn: &mut Conn, staff: &StaffScope, plugin: PluginId, version: &Version, now: i64) -> Result<(), stores::Error> {
    let previous_oauth = store::live_oauth(&mut *conn, plugin).await?;
    // Installations first, then the plugin's row: the order a code exchange takes them in
    // (and an approval waits on the installation, then reads the new live scopes).
    upgrades::version_went_live(&mut *conn, staff, plugin, &version.fields.scopes, now).await?;
    versions::make_live(&mut *conn, staff, plugin, version.id, now).await?;
    if previous_oauth != version.fields.oauth {
        stores::connections::end_all_for_plugin_by_staff(conn, staff, plugin).await?;
    }
    Ok(())
}
