//! Submitting a plugin for review, and its review history as developers and staff read it.

use crate::server::scope::Member;
use crate::server::store::{self as stores, plugins as store, versions};
use crate::server::{now, Db};
use super::{owned, PublishingError};
use crate::domain::{Decision, DecisionKind, PluginSlug, ReviewState, VersionState};
use crate::error::FieldError;

const MAX_NOTES_CHARS: usize = 5_000;

/// Submits the plugin's next version for review with its release notes ("What's new",
/// plain text or safe markdown), recorded with who and when. The draft goes; without
/// one, a rejected version goes again as a new version, and so does the live version of
/// a plugin staff unpublished. A plugin whose live version is all there is has nothing
/// to submit.
pub async fn submit(db: &Db, member: &Member, slug: &PluginSlug, notes: &str) -> Result<i64, PublishingError> {
    let plugin = owned(db, member, slug).await?;
    let notes = notes.trim();
    if notes.is_empty() {
        return Err(PublishingError::Invalid(vec![FieldError::new("release_notes", "Say what is new in this version: tenants read it before they update.")]));
    }
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(PublishingError::Invalid(vec![FieldError::new("release_notes", "Keep the release notes to 5,000 characters.")]));
    }
    let t = now();
    let mut tx = db.begin_write().await?;
    let standing = versions::standing(&mut tx, plugin.id()).await?;
    if standing.in_review().is_some() {
        return Err(PublishingError::Conflict("This plugin is already in review."));
    }
    let (id, number) = match (standing.draft(), standing.latest()) {
        (Some(draft), _) => (draft.id, draft.number),
        (None, Some(latest)) if latest.state == VersionState::Rejected || store::review_state(&mut tx, plugin).await? == ReviewState::Unpublished => {
            (versions::start_draft(&mut tx, plugin, latest, t).await?, latest.number + 1)
        }
        _ => return Err(PublishingError::Conflict("This version is published already: edit the plugin to start its next version.")),
    };
    if !versions::submit(&mut tx, plugin, id, notes, t).await? {
        return Err(PublishingError::Conflict("This plugin is already in review."));
    }
    store::submitted(&mut tx, plugin, t).await?;
    store::record_decision(&mut tx, plugin.id(), member.id, DecisionKind::Submitted, None, Some(number), t).await?;
    tx.commit().await?;
    Ok(number)
}

/// Whose names a decision history shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Staff see who decided.
    Staff,
    /// Developers see their own team's names, and staff decisions as Plugboard's.
    Developer,
}

const REVIEW_TEAM: &str = "Plugboard review";

/// A plugin's decisions, oldest first.
pub(crate) async fn decisions(db: &Db, plugin_id: crate::domain::PluginId, audience: Audience) -> Result<Vec<Decision>, stores::Error> {
    Ok(store::decisions(db, plugin_id)
        .await?
        .into_iter()
        .map(|r| {
            let kind = r.action.0;
            let actor = match (audience, kind) {
                (Audience::Developer, k) if k != DecisionKind::Submitted => REVIEW_TEAM.to_owned(),
                _ => r.actor,
            };
            Decision { kind, actor, reason: r.reason, at: r.created_at, version: r.version }
        })
        .collect())
}
