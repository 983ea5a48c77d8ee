//! Sessions: the database keeps only the SHA-256 of each session token, with the user
//! it signs in and when it was made and last used.

use super::{Flag, Known};
use crate::domain::{Role, SessionUser, TenantId, UserId};
use crate::server::Db;

pub async fn insert(db: &Db, token_hash: &str, user: UserId, now: i64) -> Result<(), super::Error> {
    sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)")
        .bind(token_hash)
        .bind(user)
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, token_hash: &str) -> Result<(), super::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(token_hash).execute(db.pool()).await?;
    Ok(())
}

pub async fn touch(db: &Db, token_hash: &str, now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2").bind(now).bind(token_hash).execute(db.pool()).await?;
    Ok(())
}

/// A stored session and the user it signs in.
pub struct StoredSession {
    pub created_at: i64,
    pub last_seen_at: i64,
    pub user: SessionUser,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    created_at: i64,
    last_seen_at: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

/// A signed-in person's columns (`u` users, `t` their tenant): [`USER_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: UserId,
    tenant_id: TenantId,
    email: String,
    display_name: String,
    #[sqlx(try_from = "String")]
    role: Known<Role>,
    #[sqlx(try_from = "i64")]
    is_developer: Flag,
    #[sqlx(try_from = "i64")]
    is_staff: Flag,
    tenant_name: String,
}

/// The columns of [`UserRow`].
pub(super) const USER_COLUMNS: &str = "u.id, u.tenant_id, u.email, u.display_name, u.role, u.is_developer, u.is_staff, t.name AS tenant_name";

impl UserRow {
    pub(super) fn into_user(self) -> SessionUser {
        SessionUser {
            id: self.id,
            tenant_id: self.tenant_id,
            tenant_name: self.tenant_name,
            email: self.email,
            display_name: self.display_name,
            role: self.role.0,
            is_developer: self.is_developer.0,
            is_staff: self.is_staff.0,
        }
    }
}

/// The session with this token hash, whatever its age (the caller decides whether it
/// is still valid).
pub async fn find(db: &Db, token_hash: &str) -> Result<Option<StoredSession>, super::Error> {
    let row: Option<SessionRow> = sqlx::query_as(&format!(
        "SELECT s.created_at, s.last_seen_at, {USER_COLUMNS} \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = u.tenant_id \
         WHERE s.id_hash = $1 AND u.removed_at IS NULL"
    ))
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| StoredSession { created_at: r.created_at, last_seen_at: r.last_seen_at, user: r.user.into_user() }))
}
