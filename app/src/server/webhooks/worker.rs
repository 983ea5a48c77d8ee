//! Delivers the outbox. Every server process runs one worker; they share the table
//! safely: a worker leases events (`locked_until`, `lock_token`) with one UPDATE, so
//! two workers never hold the same event at once, and an event whose worker died (the
//! process was killed mid-delivery) is picked up again when its lease runs out.
//! Delivery is therefore at least once, and receivers deduplicate on `webhook-id`.
//!
//! Endpoints are isolated: the worker keeps up to `max_in_flight` deliveries going and
//! leases more as each one ends (no batch waits for its slowest member), and a lease
//! never gives one plugin more than `per_endpoint` events in flight, nor an
//! installation more than one (its tenant's events go out in order). An endpoint that
//! hangs until the timeout therefore holds `per_endpoint` slots and no one else's.

use super::signature;
use crate::server::outbound::{self, OutboundPolicy};
use crate::server::secrets::random_hex;
use crate::server::store::webhooks::{self as store, Attempt, Leased};
use crate::server::store::{self as stores, consents, grants};
use crate::server::{now, rate_limit, Db};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Seconds to wait after the 1st, 2nd, … failed attempt (DESIGN.md §8): seven retries.
pub const RETRY_SCHEDULE: [i64; 7] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
/// An endpoint that has failed for this long is disabled.
pub const DISABLE_AFTER_SECS: i64 = 5 * 86_400;
/// How much of a receiver's answer is kept with the attempt.
const EXCERPT_BYTES: usize = 512;

/// The delay before the next attempt once `failed_attempts` attempts have failed, or
/// `None` when the schedule is used up.
pub fn next_delay(failed_attempts: i64) -> Option<i64> {
    usize::try_from(failed_attempts - 1).ok().and_then(|i| RETRY_SCHEDULE.get(i).copied())
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Per-attempt timeout (connect and response).
    pub timeout: Duration,
    /// How long a claimed event stays with its worker; longer than `timeout`.
    pub lease_secs: i64,
    /// Deliveries in flight at once, in all.
    pub max_in_flight: usize,
    /// Deliveries in flight at once to one plugin's endpoint (counting other workers').
    pub per_endpoint: i64,
    /// How often to look for due events when nothing wakes the worker.
    pub poll: Duration,
    /// Finished deliveries older than this are deleted (the deliveries history's reach).
    pub retention_secs: i64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(15),
            lease_secs: 60,
            max_in_flight: 256,
            per_endpoint: 4,
            poll: Duration::from_secs(1),
            retention_secs: 30 * 86_400,
        }
    }
}

pub struct Worker {
    db: Db,
    http: reqwest::Client,
    policy: Arc<OutboundPolicy>,
    /// Opens the plugins' sealed signing secrets.
    vault: Arc<crate::server::vault::Vault>,
    config: WorkerConfig,
}

/// One leased event, and the lease.
struct Claimed {
    event: Leased,
    lock_token: String,
}

/// What one attempt came to.
struct Outcome {
    status: Option<u16>,
    latency_ms: i64,
    excerpt: Option<String>,
    error: Option<String>,
}

impl Worker {
    pub fn new(db: Db, policy: Arc<OutboundPolicy>, vault: Arc<crate::server::vault::Vault>, config: WorkerConfig) -> Self {
        let http = outbound::client(policy.clone(), config.timeout);
        Self { db, http, policy, vault, config }
    }

    /// Delivers until the task is dropped or aborted (which loses nothing: leases expire;
    /// the deliveries in flight, each a task of its own, are aborted with it).
    pub async fn run(self, wakeup: Arc<Notify>) {
        let worker = Arc::new(self);
        // Each delivery runs as a task of its own: one that holds a write transaction
        // must never wait for this loop (on SQLite the lease below would wait for it).
        let mut in_flight = tokio::task::JoinSet::new();
        let mut last_housekeeping = 0;
        // Pruning a long history takes a while: it runs beside the deliveries (and, in a
        // set, is aborted with the worker).
        let mut housekeeping = tokio::task::JoinSet::new();
        loop {
            let t = now();
            let room = worker.config.max_in_flight.saturating_sub(in_flight.len());
            if room > 0 {
                match worker.claim(t, room as i64).await {
                    Ok(claimed) => {
                        for event in claimed {
                            let worker = worker.clone();
                            in_flight.spawn(async move { worker.deliver(event, None).await });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "webhook worker could not read the outbox"),
                }
            }
            while housekeeping.try_join_next().is_some() {}
            if t - last_housekeeping >= 600 && housekeeping.is_empty() {
                last_housekeeping = t;
                let worker = worker.clone();
                housekeeping.spawn(async move { worker.housekeeping(t).await });
            }
            // Look again when a delivery ends (its slot, its installation's turn and its
            // endpoint's share are free), when an event is queued, or after `poll`.
            tokio::select! {
                Some(ended) = in_flight.join_next(), if !in_flight.is_empty() => {
                    // Gather the others that ended meanwhile, then lease once for all.
                    let mut ended = Some(ended);
                    while let Some(result) = ended {
                        if let Err(e) = result {
                            tracing::error!(error = %e, "a webhook delivery task failed");
                        }
                        ended = in_flight.try_join_next();
                    }
                }
                _ = wakeup.notified() => {}
                _ = tokio::time::sleep(worker.config.poll) => {}
            }
        }
    }

    /// One round at time `now`, for tests and benchmarks that step the clock: lease what
    /// is due and may go now, deliver it, record each attempt. How many were attempted.
    pub async fn deliver_due(&self, now: i64) -> Result<usize, stores::Error> {
        let claimed = self.claim(now, self.config.max_in_flight as i64).await?;
        let count = claimed.len();
        futures::future::join_all(claimed.into_iter().map(|event| self.deliver(event, Some(now)))).await;
        Ok(count)
    }

    async fn claim(&self, now: i64, limit: i64) -> Result<Vec<Claimed>, stores::Error> {
        let lock_token = random_hex(16);
        let leased = store::lease(&self.db, now, now + self.config.lease_secs, &lock_token, limit, self.config.per_endpoint).await?;
        Ok(leased.into_iter().map(|event| Claimed { event, lock_token: lock_token.clone() }).collect())
    }

    /// Delivers one leased event at `clock` (a test's), else at the time of each step.
    async fn deliver(&self, event: Claimed, clock: Option<i64>) {
        if let Err(e) = self.try_deliver(&event, clock).await {
            tracing::error!(error = %e, event = event.event.id, "could not record a webhook attempt");
        }
    }

    async fn try_deliver(&self, event: &Claimed, clock: Option<i64>) -> Result<(), stores::Error> {
        let now = clock.unwrap_or_else(crate::server::now);
        let endpoint = store::endpoint(&self.db, event.event.plugin_id).await?;
        let (url, secret) = match endpoint {
            Some(store::Endpoint { slug, webhook_url: Some(url), webhook_secret: Some(stored), webhook_disabled_at: None }) if !url.is_empty() => {
                match crate::server::registry::open_signing_secret(&self.vault, &slug, &stored) {
                    Some(secret) => (url, secret),
                    // Our fault (another PLUGBOARD_TOKEN_KEY), not the plugin's: no attempt is
                    // spent; the lease runs out and the event is tried again later.
                    None => return Ok(()),
                }
            }
            _ => return self.finish(event, "skipped", now).await,
        };
        // A data event goes only where it may still go: the installation active, its
        // plugin's live version subscribed, its grant reading the object.
        if let Some(needed) = crate::domain::EventType::parse(&event.event.event_type).and_then(crate::domain::EventType::needs) {
            let granted = store::grant_if_subscribed(&self.db, event.event.installation_id, &event.event.event_type).await?;
            if !granted.is_some_and(|g| g.allows(needed)) {
                return self.finish(event, "skipped", now).await;
            }
        }
        let outcome = self.attempt(&url, &secret, event, now).await;
        // The attempt may have taken up to the timeout: the schedule counts from its end.
        self.record(event, &outcome, clock.unwrap_or_else(crate::server::now)).await
    }

    async fn attempt(&self, url: &str, secret: &str, event: &Claimed, now: i64) -> Outcome {
        let started = Instant::now();
        let elapsed = |started: Instant| started.elapsed().as_millis().min(i64::MAX as u128) as i64;
        let failed = |error: String| Outcome { status: None, latency_ms: elapsed(started), excerpt: None, error: Some(error) };
        let url = match self.policy.check_url(url) {
            Ok(u) => u,
            Err(e) => return failed(e),
        };
        let event = &event.event;
        let Some(signature) = signature::sign(secret, &event.message_id, now, &event.payload) else {
            return failed("the endpoint's signing secret is malformed".into());
        };
        let sent = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &event.message_id)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", signature)
            .body(event.payload.clone())
            .send()
            .await;
        match sent {
            Err(e) => failed(describe(&e)),
            Ok(mut response) => {
                let status = response.status().as_u16();
                let mut body = Vec::new();
                while body.len() < EXCERPT_BYTES {
                    match response.chunk().await {
                        Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                body.truncate(EXCERPT_BYTES);
                let excerpt = String::from_utf8_lossy(&body).into_owned();
                Outcome { status: Some(status), latency_ms: elapsed(started), excerpt: Some(excerpt), error: None }
            }
        }
    }

    async fn record(&self, claimed: &Claimed, outcome: &Outcome, now: i64) -> Result<(), stores::Error> {
        let event = &claimed.event;
        let attempt = event.attempts + 1;
        let mut tx = self.db.begin_write().await?;
        let row = Attempt {
            event_id: event.id,
            attempt,
            status_code: outcome.status.map(i64::from),
            latency_ms: outcome.latency_ms,
            response_excerpt: outcome.excerpt.as_deref(),
            error: outcome.error.as_deref(),
        };
        store::record_attempt(&mut tx, &row, now).await?;
        let (status, next_attempt_at) = match outcome.status {
            Some(200..=299) => {
                store::endpoint_recovered(&mut tx, event.plugin_id).await?;
                ("delivered", now)
            }
            Some(410) => {
                disable_endpoint(&mut tx, event.plugin_id, "The endpoint answered 410 Gone.", now).await?;
                ("failed", now)
            }
            _ => {
                let since = store::endpoint_failing_since(&mut tx, event.plugin_id, now).await?;
                if since.is_some_and(|s| now - s >= DISABLE_AFTER_SECS) {
                    disable_endpoint(&mut tx, event.plugin_id, "Deliveries have failed for 5 days.", now).await?;
                    ("failed", now)
                } else {
                    // A resend starts the schedule again.
                    match next_delay(attempt - event.retry_base) {
                        Some(delay) => ("pending", now + delay),
                        None => ("failed", now),
                    }
                }
            }
        };
        store::settle(&mut tx, event.id, &claimed.lock_token, status, attempt, next_attempt_at, now).await?;
        tx.commit().await
    }

    async fn finish(&self, claimed: &Claimed, status: &str, now: i64) -> Result<(), stores::Error> {
        store::finish(&self.db, claimed.event.id, &claimed.lock_token, status, now).await
    }

    async fn housekeeping(&self, now: i64) {
        if let Err(e) = rate_limit::prune(&self.db, now).await {
            tracing::warn!(error = %e, "could not prune rate-limit counters");
        }
        if let Err(e) = consents::prune_consent_requests(&self.db, now).await {
            tracing::warn!(error = %e, "could not prune consent requests");
        }
        if let Err(e) = self.prune_history(now).await {
            tracing::warn!(error = %e, "could not prune old webhook deliveries");
        }
        // The console's token health keeps as long as its delivery log.
        if let Err(e) = grants::prune_failures(&self.db, now - self.config.retention_secs).await {
            tracing::warn!(error = %e, "could not prune refused-token records");
        }
    }

    /// Deletes finished deliveries (delivered, failed, skipped) created more than the
    /// retention before `now`, with their attempts, a small batch per transaction so
    /// deliveries never wait long behind it; never a pending one. How many were deleted.
    pub async fn prune_history(&self, now: i64) -> Result<u64, stores::Error> {
        const BATCH: i64 = 500;
        let mut total = 0;
        loop {
            let deleted = store::prune(&self.db, now - self.config.retention_secs, BATCH).await?;
            total += deleted;
            if deleted < BATCH as u64 {
                return Ok(total);
            }
            tokio::task::yield_now().await;
        }
    }
}

/// Stops deliveries to a plugin's endpoint; its developer sees `reason`.
async fn disable_endpoint(conn: &mut stores::Conn, plugin_id: crate::domain::PluginId, reason: &str, now: i64) -> Result<(), stores::Error> {
    store::disable_endpoint(conn, plugin_id, reason, now).await?;
    tracing::warn!(plugin_id = plugin_id.get(), reason, "webhook endpoint disabled");
    Ok(())
}

/// A transport failure in words a developer can act on, without internals.
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out waiting for the endpoint".into()
    } else if err.is_connect() {
        let mut source: Option<&dyn std::error::Error> = Some(err);
        while let Some(e) = source {
            if e.to_string().contains("refusing to connect") {
                return e.to_string();
            }
            source = e.source();
        }
        "could not connect to the endpoint".into()
    } else {
        "the request to the endpoint failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_has_seven_retries() {
        assert_eq!(next_delay(1), Some(5));
        assert_eq!(next_delay(2), Some(300));
        assert_eq!(next_delay(7), Some(36_000));
        assert_eq!(next_delay(8), None);
        assert_eq!(next_delay(0), None);
    }
}
