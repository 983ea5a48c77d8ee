//! Fixed-window request counters kept in the database, so every server instance
//! counts against the same limit.

use super::Db;

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit; try again after this many seconds.
    Limited { retry_after: i64 },
}

/// Counts a hit on `key` in the current window of `window_secs` and says whether it
/// is within `limit`.
pub async fn hit(db: &Db, key: &str, limit: i64, window_secs: i64, now: i64) -> Result<Verdict, sqlx::Error> {
    let hits = record(db, key, window_secs, now).await?;
    Ok(verdict(hits, limit, window_secs, now))
}

/// How many hits `key` has in the current window, without counting one.
pub async fn peek(db: &Db, key: &str, limit: i64, window_secs: i64, now: i64) -> Result<Verdict, sqlx::Error> {
    let window_start = now - now.rem_euclid(window_secs);
    let hits: Option<i64> = sqlx::query_scalar("SELECT hits FROM rate_limits WHERE key = $1 AND window_start = $2")
        .bind(key)
        .bind(window_start)
        .fetch_optional(db.pool())
        .await?;
    Ok(if hits.unwrap_or(0) >= limit { verdict(hits.unwrap_or(0) + 1, limit, window_secs, now) } else { Verdict::Allowed })
}

/// Counts a hit and returns the window's total.
pub async fn record(db: &Db, key: &str, window_secs: i64, now: i64) -> Result<i64, sqlx::Error> {
    let window_start = now - now.rem_euclid(window_secs);
    sqlx::query_scalar(
        "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
    )
    .bind(key)
    .bind(window_start)
    .fetch_one(db.pool())
    .await
}

fn verdict(hits: i64, limit: i64, window_secs: i64, now: i64) -> Verdict {
    if hits <= limit {
        Verdict::Allowed
    } else {
        Verdict::Limited { retry_after: (window_secs - now.rem_euclid(window_secs)).max(1) }
    }
}

/// Drops windows that ended long ago.
pub async fn prune(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
        .bind(now - 86_400)
        .execute(db.pool())
        .await?;
    Ok(result.rows_affected())
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
