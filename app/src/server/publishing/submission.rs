//! Submitting a plugin for review, and its review history as developers and staff read it.

use crate::server::scope::Member;
use crate::server::store::{self as stores, plugins as store};
use crate::server::{now, Db};
use super::{owned, PublishingError};
use crate::domain::{Decision, DecisionKind, PluginSlug};

/// Draft, rejected or unpublished → in review, recorded with who and when.
pub async fn submit(db: &Db, member: &Member, slug: &PluginSlug) -> Result<(), PublishingError> {
    let id = owned(db, member, slug).await?;
    let t = now();
    let mut tx = db.begin_write().await?;
    if !store::submit(&mut tx, id, t).await? {
        return Err(PublishingError::Conflict("This plugin is already in review or published."));
    }
    store::record_decision(&mut tx, id.id(), member.id, DecisionKind::Submitted, None, t).await?;
    tx.commit().await?;
    Ok(())
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
            Decision { kind, actor, reason: r.reason, at: r.created_at }
        })
        .collect())
}
