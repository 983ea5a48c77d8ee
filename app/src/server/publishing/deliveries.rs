//! The plugin's webhook deliveries: the log with every attempt, redelivery, and turning a
//! disabled endpoint back on.

use crate::server::scope::Member;
use crate::server::store::webhooks::{self, Requeued};
use crate::server::{now, Db};
use super::{owned, PublishingError};
use crate::domain::{Delivery, DeliveryAttempt, DeliveryFilter, DeliveryLog, PluginSlug};
use crate::error::FieldError;
use std::collections::HashMap;

/// Deliveries the console lists per page, newest first.
pub const DELIVERY_PAGE: i64 = 50;

/// A page of the plugin's webhook deliveries as `filter` says, each with its attempts.
pub async fn log(db: &Db, member: &Member, slug: &PluginSlug, filter: DeliveryFilter) -> Result<DeliveryLog, PublishingError> {
    let id = owned(db, member, slug).await?;
    let endpoint = webhooks::endpoint_state(db, id).await?;
    let mut events = webhooks::events_page(db, id, &filter, DELIVERY_PAGE + 1).await?;
    let more = events.len() as i64 > DELIVERY_PAGE;
    events.truncate(DELIVERY_PAGE as usize);
    let older = if more { events.last().map(|e| e.id) } else { None };
    let (oldest, newest) = (events.last().map_or(0, |e| e.id), events.first().map_or(0, |e| e.id));
    let mut attempts: HashMap<i64, Vec<DeliveryAttempt>> = HashMap::new();
    for a in webhooks::attempts_between(db, id, oldest, newest).await? {
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
    let t = now();
    // Since the oldest message that failed since the endpoint began failing (or in the
    // last day): a message made before the outage but failed during it is included.
    let failing_from = endpoint.health.webhook_failing_since.unwrap_or(t - 86_400);
    let resend_from = utc_minute(webhooks::oldest_failed(db, id, failing_from).await?.unwrap_or(failing_from).min(failing_from));
    Ok(DeliveryLog { plugin_name: endpoint.name, webhook: endpoint.health.view(t), deliveries, filter, older, resend_from })
}

/// Sends a message again now (same `webhook-id`, so receivers can deduplicate), whatever
/// came of it before, on a fresh retry schedule. A message being delivered right now is
/// left to finish.
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

/// "Resend failed since …": every failed or skipped message created at or after `since`
/// is sent again, oldest first, with its own `webhook-id`, on a fresh retry schedule.
/// How many were queued.
pub async fn resend_failed_since(db: &Db, member: &Member, slug: &PluginSlug, since: &str) -> Result<u64, PublishingError> {
    let id = owned(db, member, slug).await?;
    let since = parse_utc_minute(since).map_err(|message| PublishingError::Invalid(vec![FieldError::new("since", message)]))?;
    if webhooks::endpoint_state(db, id).await?.health.webhook_disabled_at.is_some() {
        return Err(PublishingError::Conflict("The endpoint is disabled: re-enable it before resending."));
    }
    Ok(webhooks::resend_failed_since(db, id, since, now()).await?)
}

/// Turns a disabled endpoint back on; the failure clock starts again.
pub async fn reenable_webhooks(db: &Db, member: &Member, slug: &PluginSlug) -> Result<(), PublishingError> {
    let id = owned(db, member, slug).await?;
    webhooks::reenable_endpoint(db, id).await?;
    Ok(())
}

/// `YYYY-MM-DDTHH:MM` (UTC), as a `datetime-local` field shows it.
pub fn utc_minute(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix - unix.rem_euclid(60))
        .map(|t| format!("{:04}-{:02}-{:02}T{:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute()))
        .unwrap_or_default()
}

/// A time in UTC as a `datetime-local` field sends it (`2026-11-30T14:05`, seconds
/// optional), in unix seconds.
pub fn parse_utc_minute(raw: &str) -> Result<i64, String> {
    let bad = || format!("{raw:?} is not a time of the form YYYY-MM-DDTHH:MM (UTC).");
    let (date, clock) = raw.trim().split_once(['T', ' ']).ok_or_else(bad)?;
    // The date as due dates are read; then the clock, HH:MM or HH:MM:SS.
    let date = crate::domain::parse_due_date(date).map_err(|_| bad())?;
    let mut fields = date.split('-').chain(clock.split(':')).map(|f| (f.len() == 2 || f.len() == 4).then(|| f.parse::<u16>().ok()).flatten());
    let mut next = || fields.next().flatten().ok_or_else(bad);
    let (year, month, day, hour, minute) = (next()?, next()?, next()?, next()?, next()?);
    let second = if clock.matches(':').count() == 2 { next()? } else { 0 };
    if clock.matches(':').count() > 2 || clock.split(':').any(|f| f.len() != 2) {
        return Err(bad());
    }
    let month = time::Month::try_from(month as u8).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(i32::from(year), month, day as u8).map_err(|_| bad())?;
    let clock = time::Time::from_hms(hour as u8, minute as u8, second as u8).map_err(|_| bad())?;
    Ok(time::PrimitiveDateTime::new(date, clock).assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::parse_utc_minute;

    #[test]
    fn minutes_are_written_as_they_are_read() {
        assert_eq!(super::utc_minute(1_796_047_509), "2026-11-30T14:05");
        assert_eq!(parse_utc_minute(&super::utc_minute(1_796_047_509)), Ok(1_796_047_500));
    }

    #[test]
    fn times_are_read_as_utc_to_the_minute() {
        assert_eq!(parse_utc_minute("2026-11-30T14:05"), Ok(1_796_047_500));
        assert_eq!(parse_utc_minute("2026-11-30T14:05:09"), Ok(1_796_047_509));
        assert_eq!(parse_utc_minute("1970-01-01 00:00"), Ok(0));
        for bad in ["", "yesterday", "2026-02-30T10:00", "2026-11-30T24:00", "2026-11-30", "2026-11-30T1:05", "2026-11-30T14:05:09:01", "+2026-11-30T14:05"] {
            assert!(parse_utc_minute(bad).unwrap_err().contains("YYYY-MM-DDTHH:MM"), "{bad}");
        }
    }
}
