//! The webhook outbox: events queued in the transaction that caused them, leased by the
//! delivery workers, and every attempt kept for the developer's delivery log.

use super::Conn;
use super::plugins::OwnedPlugin;
use crate::domain::{DeliveryFilter, DeliveryStatus, EndpointAlert, EventType, InstallationId, PluginId, WebhookEndpoint};
use crate::server::webhooks::worker::DISABLE_AFTER_SECS;
use crate::server::scope::{StaffScope, TenantScope};
use crate::server::Db;

/// An event to queue, with its payload already rendered.
pub struct NewEvent<'a> {
    pub message_id: &'a str,
    pub plugin_id: PluginId,
    pub installation_id: InstallationId,
    pub event_type: &'a str,
    pub payload: &'a str,
}

/// `held_at` for an event of plugin `plugin` (a column or placeholder) about installation
/// `installation`, at `now`: held while the plugin is suspended, or the installation is
/// still stopped by a suspension (until its tenant reactivates it).
fn held_at(plugin: &str, installation: &str, now: &str) -> String {
    format!(
        "CASE WHEN EXISTS (SELECT 1 FROM plugins hp WHERE hp.id = {plugin} AND hp.suspended_at IS NOT NULL) \
              OR EXISTS (SELECT 1 FROM installations hi WHERE hi.id = {installation} AND hi.suspended_at IS NOT NULL) THEN {now} END"
    )
}

/// Queues the event inside the caller's transaction, unless the plugin has no webhook
/// URL; held while the plugin is suspended, or the installation is still stopped by a
/// suspension. While the endpoint is disabled the event is kept as `skipped`, so that
/// "Resend failed since …" after re-enabling recovers what happened meanwhile.
pub async fn enqueue(conn: &mut Conn, event: &NewEvent<'_>, now: i64) -> Result<(), super::Error> {
    sqlx::query(&format!(
        "INSERT INTO webhook_events (message_id, plugin_id, installation_id, event_type, payload, status, attempts, next_attempt_at, created_at, held_at, finished_at) \
         SELECT $1, id, $2, $3, $4, CASE WHEN webhook_disabled_at IS NULL THEN 'pending' ELSE 'skipped' END, 0, $5, $5, {held}, \
                CASE WHEN webhook_disabled_at IS NULL THEN NULL ELSE $5 END FROM plugins \
         WHERE id = $6 AND webhook_url IS NOT NULL AND webhook_url <> ''",
        held = held_at("$6", "$2", "$5")
    ))
    .bind(event.message_id)
    .bind(event.installation_id)
    .bind(event.event_type)
    .bind(event.payload)
    .bind(now)
    .bind(event.plugin_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// An installation that may receive a data event: its plugin subscribes and has a
/// working endpoint. Whether the grant lets it read the event is the caller's check.
#[derive(sqlx::FromRow)]
pub struct Subscriber {
    pub installation_id: InstallationId,
    pub plugin_id: PluginId,
    #[sqlx(try_from = "String")]
    pub granted: super::StoredScopes,
}

/// The tenant's active installations whose plugin's live version subscribes to `event`
/// (by the tenant's installations index: a plugin's other tenants are never read).
pub async fn subscribers(conn: &mut Conn, scope: &TenantScope, event: EventType) -> Result<Vec<Subscriber>, super::Error> {
    sqlx::query_as(
        "SELECT i.id AS installation_id, i.plugin_id, i.granted_scopes AS granted FROM installations i JOIN plugins p ON p.id = i.plugin_id \
         WHERE i.tenant_id = $1 AND i.status = 'active' AND p.event_types LIKE $2 \
           AND p.webhook_url IS NOT NULL AND p.webhook_url <> '' ORDER BY i.id",
    )
    .bind(scope.tenant())
    .bind(format!("%\"{}\"%", event.as_str()))
    .fetch_all(conn)
    .await
}

/// What a data event's installation is granted now, if it is still active and its
/// plugin's live version still subscribes to the event's type (checked again at each
/// attempt: an uninstall, a narrower grant or a new version stops what was queued).
pub async fn grant_if_subscribed(db: &Db, installation: InstallationId, event_type: &str) -> Result<Option<crate::domain::ScopeSet>, super::Error> {
    #[derive(sqlx::FromRow)]
    struct Granted {
        #[sqlx(try_from = "String")]
        granted_scopes: super::StoredScopes,
    }
    let granted: Option<Granted> = sqlx::query_as(
        "SELECT i.granted_scopes FROM installations i JOIN plugins p ON p.id = i.plugin_id \
         WHERE i.id = $1 AND i.status = 'active' AND p.event_types LIKE $2",
    )
    .bind(installation)
    .bind(format!("%\"{event_type}\"%"))
    .fetch_optional(db.pool())
    .await?;
    Ok(granted.map(|g| g.granted_scopes.0))
}

/// The slug of the plugin behind one of the tenant's installations.
pub async fn plugin_slug_of(conn: &mut Conn, scope: &TenantScope, installation: InstallationId) -> Result<Option<String>, super::Error> {
    sqlx::query_scalar("SELECT p.slug FROM installations i JOIN plugins p ON p.id = i.plugin_id WHERE i.id = $1 AND i.tenant_id = $2")
        .bind(installation)
        .bind(scope.tenant())
        .fetch_optional(conn)
        .await
}

/// An event a worker leased.
#[derive(sqlx::FromRow)]
pub struct Leased {
    pub id: i64,
    pub message_id: String,
    pub plugin_id: PluginId,
    pub installation_id: InstallationId,
    pub event_type: String,
    pub payload: String,
    pub attempts: i64,
    /// The attempts before its schedule last started again (a resend).
    pub retry_base: i64,
}

/// Deletes up to `batch` of the oldest finished events created before `before` (their
/// attempts go with them: `ON DELETE CASCADE`), in one statement; how many went.
pub async fn prune(db: &Db, before: i64, batch: i64) -> Result<u64, super::Error> {
    let deleted = sqlx::query(
        "DELETE FROM webhook_events WHERE id IN \
           (SELECT id FROM webhook_events WHERE status <> 'pending' AND created_at < $1 ORDER BY id LIMIT $2)",
    )
    .bind(before)
    .bind(batch)
    .execute(db.pool())
    .await?;
    Ok(deleted.rows_affected())
}

/// Leases up to `limit` due events to `lock_token` until `locked_until`, in one UPDATE,
/// fairly: an installation's next event only when none of its events is in flight (so a
/// tenant's events go out in the order they were made), and no more than `per_endpoint`
/// in flight per plugin, counting those other workers hold (so an endpoint that hangs
/// holds only its own share and never the others').
pub async fn lease(db: &Db, now: i64, locked_until: i64, lock_token: &str, limit: i64, per_endpoint: i64) -> Result<Vec<Leased>, super::Error> {
    // The outer conditions repeat the inner ones: on PostgreSQL a concurrent claimer
    // re-checks them after waiting for the row, so it cannot take a leased event.
    sqlx::query_as(
        "UPDATE webhook_events SET locked_until = $1, lock_token = $2 \
         WHERE id IN ( \
             SELECT id FROM ( \
                 SELECT id, next_attempt_at, \
                        ROW_NUMBER() OVER (PARTITION BY plugin_id ORDER BY next_attempt_at, id) \
                          + (SELECT COUNT(*) FROM webhook_events f WHERE f.plugin_id = heads.plugin_id AND f.status = 'pending' AND f.locked_until > $3) AS load \
                 FROM ( \
                     SELECT e.id, e.plugin_id, e.next_attempt_at, \
                            ROW_NUMBER() OVER (PARTITION BY e.installation_id ORDER BY e.next_attempt_at, e.id) AS turn \
                     FROM webhook_events e \
                     WHERE e.status = 'pending' AND e.next_attempt_at <= $3 AND e.held_at IS NULL \
                       AND (e.locked_until IS NULL OR e.locked_until <= $3) \
                       AND NOT EXISTS (SELECT 1 FROM webhook_events b WHERE b.installation_id = e.installation_id \
                                           AND b.status = 'pending' AND b.locked_until > $3) \
                 ) heads WHERE turn = 1 \
             ) ranked WHERE load <= $5 ORDER BY next_attempt_at, id LIMIT $4) \
           AND status = 'pending' AND held_at IS NULL AND (locked_until IS NULL OR locked_until <= $3) \
         RETURNING id, message_id, plugin_id, installation_id, event_type, payload, attempts, retry_base",
    )
    .bind(locked_until)
    .bind(lock_token)
    .bind(now)
    .bind(limit)
    .bind(per_endpoint)
    .fetch_all(db.pool())
    .await
}

/// A plugin's webhook endpoint as a delivery needs it.
#[derive(sqlx::FromRow)]
pub struct Endpoint {
    pub slug: String,
    pub webhook_url: Option<String>,
    /// Sealed.
    pub webhook_secret: Option<String>,
    pub webhook_disabled_at: Option<i64>,
}

pub async fn endpoint(db: &Db, plugin_id: PluginId) -> Result<Option<Endpoint>, super::Error> {
    sqlx::query_as("SELECT slug, webhook_url, webhook_secret, webhook_disabled_at FROM plugins WHERE id = $1")
        .bind(plugin_id)
        .fetch_optional(db.pool())
        .await
}

/// One delivery attempt, as the log shows it.
pub struct Attempt<'a> {
    pub event_id: i64,
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub response_excerpt: Option<&'a str>,
    pub error: Option<&'a str>,
}

pub async fn record_attempt(conn: &mut Conn, attempt: &Attempt<'_>, now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "INSERT INTO webhook_attempts (event_id, attempt, attempted_at, status_code, latency_ms, response_excerpt, error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(attempt.event_id)
    .bind(attempt.attempt)
    .bind(now)
    .bind(attempt.status_code)
    .bind(attempt.latency_ms)
    .bind(attempt.response_excerpt)
    .bind(attempt.error)
    .execute(conn)
    .await?;
    Ok(())
}

/// The endpoint answered: it is no longer failing. Writes (and locks) the plugin's row
/// only when it was failing, so concurrent successful deliveries never queue on it.
pub async fn endpoint_recovered(conn: &mut Conn, plugin_id: PluginId) -> Result<(), super::Error> {
    sqlx::query("UPDATE plugins SET webhook_failing_since = NULL WHERE id = $1 AND webhook_failing_since IS NOT NULL").bind(plugin_id).execute(conn).await?;
    Ok(())
}

/// The endpoint failed: since when it has been failing (now, if it was not before).
pub async fn endpoint_failing_since(conn: &mut Conn, plugin_id: PluginId, now: i64) -> Result<Option<i64>, super::Error> {
    let since: Option<Option<i64>> = sqlx::query_scalar(
        "UPDATE plugins SET webhook_failing_since = COALESCE(webhook_failing_since, $1) WHERE id = $2 RETURNING webhook_failing_since",
    )
    .bind(now)
    .bind(plugin_id)
    .fetch_optional(conn)
    .await?;
    Ok(since.flatten())
}

/// Stops deliveries to a plugin's endpoint (its developer sees `reason`); the events not
/// leased are skipped.
pub async fn disable_endpoint(conn: &mut Conn, plugin_id: PluginId, reason: &str, now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE plugins SET webhook_disabled_at = $1, webhook_disabled_reason = $2 WHERE id = $3")
        .bind(now)
        .bind(reason)
        .bind(plugin_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE webhook_events SET status = 'skipped', finished_at = $1 WHERE plugin_id = $2 AND status = 'pending' AND lock_token IS NULL")
        .bind(now)
        .bind(plugin_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Where a leased event goes after an attempt: `pending` again at `next_attempt_at`,
/// or finished (`delivered`, `failed`). Only its lease holder may settle it.
pub async fn settle(conn: &mut Conn, event_id: i64, lock_token: &str, status: &str, attempts: i64, next_attempt_at: i64, now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "UPDATE webhook_events SET status = $1, attempts = $2, next_attempt_at = $3, locked_until = NULL, lock_token = NULL, \
             finished_at = CASE WHEN $1 = 'pending' THEN NULL ELSE $4 END \
         WHERE id = $5 AND lock_token = $6",
    )
    .bind(status)
    .bind(attempts)
    .bind(next_attempt_at)
    .bind(now)
    .bind(event_id)
    .bind(lock_token)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a leased event without an attempt (`skipped`: nowhere to deliver it).
pub async fn finish(db: &Db, event_id: i64, lock_token: &str, status: &str, now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE webhook_events SET status = $1, finished_at = $2, locked_until = NULL, lock_token = NULL WHERE id = $3 AND lock_token = $4")
        .bind(status)
        .bind(now)
        .bind(event_id)
        .bind(lock_token)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Where a plugin's endpoint stands: its URL, and whether it is failing or disabled.
#[derive(sqlx::FromRow)]
pub struct EndpointHealth {
    pub webhook_url: Option<String>,
    pub webhook_disabled_at: Option<i64>,
    pub webhook_disabled_reason: Option<String>,
    pub webhook_failing_since: Option<i64>,
}

impl EndpointHealth {
    /// As the console shows it at `now`, with what the developer is warned of.
    pub fn view(self, now: i64) -> WebhookEndpoint {
        let alert = EndpointAlert::of(self.webhook_disabled_at, self.webhook_disabled_reason.as_deref(), self.webhook_failing_since, now, DISABLE_AFTER_SECS);
        WebhookEndpoint {
            url: self.webhook_url,
            disabled_at: self.webhook_disabled_at,
            disabled_reason: self.webhook_disabled_reason,
            failing_since: self.webhook_failing_since,
            alert,
        }
    }
}

/// A plugin's endpoint as its delivery log shows it.
#[derive(sqlx::FromRow)]
pub struct EndpointState {
    pub name: String,
    #[sqlx(flatten)]
    pub health: EndpointHealth,
}

pub async fn endpoint_state(db: &Db, plugin: OwnedPlugin) -> Result<EndpointState, super::Error> {
    sqlx::query_as(
        "SELECT name, webhook_url, webhook_disabled_at, webhook_disabled_reason, webhook_failing_since FROM plugins WHERE id = $1",
    )
    .bind(plugin.id())
    .fetch_one(db.pool())
    .await
}

/// A queued or finished event, as the delivery log lists it.
#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub message_id: String,
    pub event_type: String,
    pub status: String,
    pub next_attempt_at: i64,
    pub created_at: i64,
}

/// Up to `limit` of the plugin's events, newest first, as `filter` says (of one type,
/// with one outcome, older than an id).
pub async fn events_page(db: &Db, plugin: OwnedPlugin, filter: &DeliveryFilter, limit: i64) -> Result<Vec<EventRow>, super::Error> {
    // `held` is a pending event with `held_at` set: 1 keeps only those, 2 only the others.
    let (status, held) = match filter.status {
        None => ("", 0),
        Some(DeliveryStatus::Held) => ("pending", 1),
        Some(DeliveryStatus::Pending) => ("pending", 2),
        Some(other) => (other.as_str(), 0),
    };
    sqlx::query_as(
        "SELECT id, message_id, event_type, CASE WHEN status = 'pending' AND held_at IS NOT NULL THEN 'held' ELSE status END AS status, \
                next_attempt_at, created_at FROM webhook_events \
         WHERE plugin_id = $1 AND ($2 = '' OR event_type = $2) AND ($3 = '' OR status = $3) \
           AND ($4 = 0 OR ($4 = 1 AND held_at IS NOT NULL) OR ($4 = 2 AND held_at IS NULL)) AND ($5 = 0 OR id < $5) \
         ORDER BY id DESC LIMIT $6",
    )
    .bind(plugin.id())
    .bind(filter.event_type.map_or("", EventType::as_str))
    .bind(status)
    .bind(held)
    .bind(filter.before.unwrap_or(0))
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// An attempt to deliver an event.
#[derive(sqlx::FromRow)]
pub struct AttemptRow {
    pub event_id: i64,
    pub attempt: i64,
    pub attempted_at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
}

/// The attempts at the plugin's events with ids from `oldest` to `newest`, by event and
/// in order.
pub async fn attempts_between(db: &Db, plugin: OwnedPlugin, oldest: i64, newest: i64) -> Result<Vec<AttemptRow>, super::Error> {
    sqlx::query_as(
        "SELECT a.event_id, a.attempt, a.attempted_at, a.status_code, a.latency_ms, a.response_excerpt, a.error \
         FROM webhook_attempts a JOIN webhook_events e ON e.id = a.event_id \
         WHERE e.plugin_id = $1 AND e.id >= $2 AND e.id <= $3 ORDER BY a.event_id, a.attempt",
    )
    .bind(plugin.id())
    .bind(oldest)
    .bind(newest)
    .fetch_all(db.pool())
    .await
}

/// What asking for a redelivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requeued {
    Queued,
    /// A worker holds it right now; it finishes that attempt first.
    Held,
    /// The plugin has no such event.
    Unknown,
}

/// Queues one of the plugin's events again, due now, unless a worker holds it (held, as
/// any event, while the plugin or its installation is suspended).
pub async fn requeue(db: &Db, plugin: OwnedPlugin, event_id: i64, now: i64) -> Result<Requeued, super::Error> {
    let queued = sqlx::query(&format!(
        "UPDATE webhook_events SET status = 'pending', next_attempt_at = $1, finished_at = NULL, retry_base = attempts, held_at = {held} \
         WHERE id = $2 AND plugin_id = $3 AND (locked_until IS NULL OR locked_until <= $1)",
        held = held_at("webhook_events.plugin_id", "webhook_events.installation_id", "$1")
    ))
    .bind(now)
    .bind(event_id)
    .bind(plugin.id())
    .execute(db.pool())
    .await?;
    if queued.rows_affected() == 1 {
        return Ok(Requeued::Queued);
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM webhook_events WHERE id = $1 AND plugin_id = $2")
        .bind(event_id)
        .bind(plugin.id())
        .fetch_optional(db.pool())
        .await?;
    Ok(if exists.is_some() { Requeued::Held } else { Requeued::Unknown })
}

/// Queues again, due now and each on a fresh retry schedule, every failed or skipped
/// message of the plugin created at or after `since` (the worker sends them oldest first,
/// each with its original `webhook-id`, and skips a data event whose installation may no
/// longer have it); how many.
pub async fn resend_failed_since(db: &Db, plugin: OwnedPlugin, since: i64, now: i64) -> Result<u64, super::Error> {
    let queued = sqlx::query(&format!(
        "UPDATE webhook_events SET status = 'pending', next_attempt_at = $1, finished_at = NULL, retry_base = attempts, held_at = {held} \
         WHERE plugin_id = $2 AND status IN ('failed', 'skipped') AND created_at >= $3",
        held = held_at("webhook_events.plugin_id", "webhook_events.installation_id", "$1")
    ))
    .bind(now)
    .bind(plugin.id())
    .bind(since)
    .execute(db.pool())
    .await?;
    Ok(queued.rows_affected())
}

/// When the oldest of the plugin's messages that failed or were skipped at or after
/// `finished_from` was made.
pub async fn oldest_failed(db: &Db, plugin: OwnedPlugin, finished_from: i64) -> Result<Option<i64>, super::Error> {
    sqlx::query_scalar("SELECT MIN(created_at) FROM webhook_events WHERE plugin_id = $1 AND status IN ('failed', 'skipped') AND finished_at >= $2")
        .bind(plugin.id())
        .bind(finished_from)
        .fetch_one(db.pool())
        .await
}

/// Turns the plugin's disabled endpoint back on, with the failure clock at zero.
pub async fn reenable_endpoint(db: &Db, plugin: OwnedPlugin) -> Result<(), super::Error> {
    sqlx::query("UPDATE plugins SET webhook_disabled_at = NULL, webhook_disabled_reason = NULL, webhook_failing_since = NULL WHERE id = $1")
        .bind(plugin.id())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Staff suspended the plugin: its queued events are kept, held until the suspension is
/// lifted.
pub async fn hold(conn: &mut Conn, _staff: &StaffScope, plugin: PluginId, now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE webhook_events SET held_at = $1 WHERE plugin_id = $2 AND status = 'pending' AND held_at IS NULL")
        .bind(now)
        .bind(plugin)
        .execute(conn)
        .await?;
    Ok(())
}

/// Staff lifted the suspension: the held events are due now, but those of installations
/// still stopped (their tenants reactivate them with a consent, which releases theirs).
pub async fn release(conn: &mut Conn, _staff: &StaffScope, plugin: PluginId, now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "UPDATE webhook_events SET held_at = NULL, next_attempt_at = $1 WHERE plugin_id = $2 AND status = 'pending' AND held_at IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM installations i WHERE i.id = webhook_events.installation_id AND i.suspended_at IS NOT NULL)",
    )
        .bind(now)
        .bind(plugin)
        .execute(conn)
        .await?;
    Ok(())
}

/// The installation runs again (its tenant reactivated it): its held events are due now.
pub async fn release_installation(conn: &mut Conn, installation: InstallationId, now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE webhook_events SET held_at = NULL, next_attempt_at = $1 WHERE installation_id = $2 AND status = 'pending' AND held_at IS NOT NULL")
        .bind(now)
        .bind(installation)
        .execute(conn)
        .await?;
    Ok(())
}
