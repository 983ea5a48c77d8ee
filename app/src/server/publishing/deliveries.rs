//! The plugin's webhook deliveries: the log with every attempt, redelivery, and turning a
//! disabled endpoint back on.

use crate::server::scope::Member;
use crate::server::store::webhooks::{self, Requeued};
use crate::server::{now, Db};
use super::{owned, PublishingError};
use crate::domain::{Delivery, DeliveryAttempt, DeliveryLog, PluginSlug};
use std::collections::HashMap;

/// Deliveries the console lists, newest first.
const DELIVERY_PAGE: i64 = 50;

/// The latest deliveries of the plugin's webhooks, each with its attempts.
pub async fn log(db: &Db, member: &Member, slug: &PluginSlug) -> Result<DeliveryLog, PublishingError> {
    let id = owned(db, member, slug).await?;
    let endpoint = webhooks::endpoint_state(db, id).await?;
    let events = webhooks::recent_events(db, id, DELIVERY_PAGE).await?;
    let oldest = events.last().map_or(0, |e| e.id);
    let mut attempts: HashMap<i64, Vec<DeliveryAttempt>> = HashMap::new();
    for a in webhooks::attempts_from(db, id, oldest).await? {
        attempts.entry(a.event_id).or_default().push(DeliveryAttempt {
            attempt: a.attempt,
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            response_excerpt: a.response_excerpt,
            error: a.error,
        });
    }
    let deliveries = events
        .into_iter()
        .map(|e| Delivery {
            attempts: attempts.remove(&e.id).unwrap_or_default(),
            event_id: e.id,
            message_id: e.message_id,
            event_type: e.event_type,
            next_attempt_at: (e.status == "pending").then_some(e.next_attempt_at),
            status: e.status,
            created_at: e.created_at,
        })
        .collect();
    Ok(DeliveryLog {
        plugin_name: endpoint.name,
        webhook: endpoint.health.into(),
        deliveries,
    })
}

/// Sends a message again now (same `webhook-id`, so receivers can deduplicate), whatever
/// came of it before. A message being delivered right now is left to finish.
pub async fn redeliver(db: &Db, member: &Member, slug: &PluginSlug, event_id: i64) -> Result<(), PublishingError> {
    let id = owned(db, member, slug).await?;
    if webhooks::endpoint_state(db, id).await?.health.webhook_disabled_at.is_some() {
        return Err(PublishingError::Conflict("The endpoint is disabled: re-enable it before redelivering."));
    }
    match webhooks::requeue(db, id, event_id, now()).await? {
        Requeued::Queued => Ok(()),
        Requeued::Held => Err(PublishingError::Conflict("That delivery is on its way right now: it can be sent again once this attempt ends.")),
        Requeued::Unknown => Err(PublishingError::NoSuchDelivery),
    }
}

/// Turns a disabled endpoint back on; the failure clock starts again.
pub async fn reenable_webhooks(db: &Db, member: &Member, slug: &PluginSlug) -> Result<(), PublishingError> {
    let id = owned(db, member, slug).await?;
    webhooks::reenable_endpoint(db, id).await?;
    Ok(())
}
