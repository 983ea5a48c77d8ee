//! Fixed-window request counters kept in the database, so every server instance
//! counts against the same limit: `hit` and `record` write on every call; a
//! `BatchedCounter` (the REST API's, which runs on every request) writes in batches.

use super::store::{self as stores, rate_limits as store, Conn};
use super::Db;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit; try again after this many seconds.
    Limited { retry_after: i64 },
}

/// Counts a hit on `key` in the current window of `window_secs` and says whether it
/// is within `limit`.
pub async fn hit(db: &Db, key: &str, limit: i64, window_secs: i64, now: i64) -> Result<Verdict, stores::Error> {
    let hits = record(db, key, window_secs, now).await?;
    Ok(verdict(hits, limit, window_secs, now))
}

/// How many hits `key` has in the current window, without counting one.
pub async fn peek(db: &Db, key: &str, limit: i64, window_secs: i64, now: i64) -> Result<Verdict, stores::Error> {
    let window_start = now - now.rem_euclid(window_secs);
    let hits = store::hits(db, key, window_start).await?;
    Ok(if hits >= limit { verdict(hits + 1, limit, window_secs, now) } else { Verdict::Allowed })
}

/// Counts a hit and returns the window's total.
pub async fn record(db: &Db, key: &str, window_secs: i64, now: i64) -> Result<i64, stores::Error> {
    store::add(db, key, now - now.rem_euclid(window_secs), 1).await
}

/// Counts a hit inside a transaction of the caller's (which decides whether it stays).
pub async fn record_in(conn: &mut Conn, key: &str, window_secs: i64, now: i64) -> Result<i64, stores::Error> {
    store::add_in(conn, key, now - now.rem_euclid(window_secs), 1).await
}

/// How long a `BatchedCounter` holds hits before adding them to the database.
pub const FLUSH_EVERY: Duration = Duration::from_millis(25);

/// Fixed-window counters for a hot path: a hit is counted in memory at once, and the
/// hits of the last `FLUSH_EVERY` are added to the shared database rows in one write
/// per key, which answers with the window's total over every server instance. So a
/// request waits on no write; this process's own hits are counted exactly, and those
/// of other instances are seen within a flush (together they can pass a limit by what
/// they admit in that time).
pub struct BatchedCounter {
    db: Db,
    window_secs: i64,
    windows: Mutex<HashMap<String, Window>>,
    flush_scheduled: AtomicBool,
    /// One flush at a time, so no hit is added twice.
    flushing: tokio::sync::Mutex<()>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    /// The database's total at the last flush (every instance's hits).
    shared: i64,
    /// Hits of this process not yet added to it.
    pending: i64,
}

impl BatchedCounter {
    pub fn new(db: Db, window_secs: i64) -> Arc<Self> {
        Arc::new(Self {
            db,
            window_secs,
            windows: Mutex::new(HashMap::new()),
            flush_scheduled: AtomicBool::new(false),
            flushing: tokio::sync::Mutex::new(()),
        })
    }

    fn windows(&self) -> std::sync::MutexGuard<'_, HashMap<String, Window>> {
        // A panic elsewhere cannot leave a counter half-written: each update is one assignment.
        self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts a hit on `key` and returns the window's total as this process knows it.
    pub fn record(self: &Arc<Self>, key: &str, now: i64) -> i64 {
        let start = now - now.rem_euclid(self.window_secs);
        let total = {
            let mut windows = self.windows();
            let window = windows.entry(key.to_owned()).or_insert(Window { start, shared: 0, pending: 0 });
            if window.start != start {
                *window = Window { start, shared: 0, pending: 0 };
            }
            window.pending += 1;
            window.shared + window.pending
        };
        if !self.flush_scheduled.swap(true, Ordering::AcqRel) {
            let this = Arc::clone(self);
            tokio::spawn(async move {
                tokio::time::sleep(FLUSH_EVERY).await;
                this.flush(now).await;
            });
        }
        total
    }

    /// Adds the pending hits to the database and learns each window's total. A write
    /// that fails leaves its hits pending for the next flush.
    pub async fn flush(&self, now: i64) {
        let _one_at_a_time = self.flushing.lock().await;
        self.flush_scheduled.store(false, Ordering::Release);
        let batch: Vec<(String, Window)> = self.windows().iter().filter(|(_, w)| w.pending > 0).map(|(k, w)| (k.clone(), *w)).collect();
        for (key, taken) in batch {
            match store::add(&self.db, &key, taken.start, taken.pending).await {
                Ok(total) => {
                    if let Some(window) = self.windows().get_mut(&key).filter(|w| w.start == taken.start) {
                        window.pending -= taken.pending;
                        window.shared = total;
                    }
                }
                Err(error) => tracing::warn!(%error, key, "rate limit: could not add hits; they stay pending"),
            }
        }
        // Windows that are over and written are forgotten.
        let current = now - now.rem_euclid(self.window_secs);
        self.windows().retain(|_, w| w.start >= current || w.pending > 0);
    }
}

pub fn verdict(hits: i64, limit: i64, window_secs: i64, now: i64) -> Verdict {
    if hits <= limit {
        Verdict::Allowed
    } else {
        Verdict::Limited { retry_after: (window_secs - now.rem_euclid(window_secs)).max(1) }
    }
}

/// Drops windows that ended long ago.
pub async fn prune(db: &Db, now: i64) -> Result<u64, stores::Error> {
    store::prune(db, now - 86_400).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_decides_the_retry_time() {
        assert_eq!(verdict(10, 10, 60, 1_000), Verdict::Allowed);
        assert_eq!(verdict(11, 10, 60, 1_000), Verdict::Limited { retry_after: 20 });
    }
}
