//! Fixed-window request counters shared by every server instance: one row per key and
//! window, old windows pruned.

use super::Conn;
use crate::server::Db;

const UPSERT: &str = "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, $3) \
     ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + $3 RETURNING hits";

/// Adds `hits` to a window and returns its total.
pub async fn add(db: &Db, key: &str, window_start: i64, hits: i64) -> Result<i64, super::Error> {
    sqlx::query_scalar(UPSERT).bind(key).bind(window_start).bind(hits).fetch_one(db.pool()).await
}

/// Adds `hits` inside the caller's transaction (which decides whether it stays).
pub async fn add_in(conn: &mut Conn, key: &str, window_start: i64, hits: i64) -> Result<i64, super::Error> {
    sqlx::query_scalar(UPSERT).bind(key).bind(window_start).bind(hits).fetch_one(conn).await
}

/// A window's hits so far.
pub async fn hits(db: &Db, key: &str, window_start: i64) -> Result<i64, super::Error> {
    let hits: Option<i64> = sqlx::query_scalar("SELECT hits FROM rate_limits WHERE key = $1 AND window_start = $2")
        .bind(key)
        .bind(window_start)
        .fetch_optional(db.pool())
        .await?;
    Ok(hits.unwrap_or(0))
}

/// Drops the windows that started before `before`.
pub async fn prune(db: &Db, before: i64) -> Result<u64, super::Error> {
    let result = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(before).execute(db.pool()).await?;
    Ok(result.rows_affected())
}
