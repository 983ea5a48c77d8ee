//! Developer tokens (issue 20), stored by the SHA-256 of the token. The console's steps
//! take the developer's [`DeveloperScope`]; a token resolves to its developer only while
//! it is not revoked and they keep their developer profile.

use super::sessions::{UserRow, USER_COLUMNS};
use super::Conn;
use crate::domain::{DeveloperToken, SessionUser};
use crate::server::scope::DeveloperScope;
use crate::server::Db;

/// How often a token's `last_used_at` is written (reads stay reads in between).
const TOUCH_EVERY_SECS: i64 = 60;

pub async fn insert(conn: &mut Conn, developer: &DeveloperScope, name: &str, token_hash: &str, now: i64) -> Result<i64, super::Error> {
    sqlx::query_scalar("INSERT INTO developer_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(developer.developer())
        .bind(name)
        .bind(token_hash)
        .bind(now)
        .fetch_one(conn)
        .await
}

/// The developer's live tokens, newest first.
pub async fn list(db: &Db, developer: &DeveloperScope) -> Result<Vec<DeveloperToken>, super::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
        created_at: i64,
        last_used_at: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, created_at, last_used_at FROM developer_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id DESC",
    )
    .bind(developer.developer())
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| DeveloperToken { id: r.id, name: r.name, created_at: r.created_at, last_used_at: r.last_used_at }).collect())
}

/// Revokes one of the developer's tokens; false when they have no such live token.
pub async fn revoke(db: &Db, developer: &DeveloperScope, id: i64, now: i64) -> Result<bool, super::Error> {
    let done = sqlx::query("UPDATE developer_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .bind(developer.developer())
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The developer a live token acts for (noting its use at most once a minute).
pub async fn developer_of(db: &Db, token_hash: &str, now: i64) -> Result<Option<SessionUser>, super::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        token_id: i64,
        last_used_at: Option<i64>,
        #[sqlx(flatten)]
        user: UserRow,
    }
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT d.id AS token_id, d.last_used_at, {USER_COLUMNS} \
         FROM developer_tokens d JOIN users u ON u.id = d.user_id JOIN tenants t ON t.id = u.tenant_id \
         WHERE d.token_hash = $1 AND d.revoked_at IS NULL AND u.is_developer = 1 AND u.removed_at IS NULL"
    ))
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    if row.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY_SECS) {
        sqlx::query("UPDATE developer_tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(row.token_id).execute(db.pool()).await?;
    }
    Ok(Some(row.user.into_user()))
}
