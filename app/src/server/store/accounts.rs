//! Tenants, users and their passwords' hashes, and the failed sign-ins that throttle
//! guessing.

use super::Conn;
use crate::domain::{Email, Role, TenantId, TenantName, UserId};
use crate::server::Db;

/// A new tenant named `name`, its slug `base` or, when that is taken, `base-N`.
pub async fn insert_tenant(conn: &mut Conn, name: &TenantName, base: &str, now: i64) -> Result<TenantId, super::Error> {
    let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants WHERE slug = $1 OR slug LIKE $2")
        .bind(base)
        .bind(format!("{base}-%"))
        .fetch_one(&mut *conn)
        .await?;
    let slug = if taken == 0 { base.to_owned() } else { format!("{base}-{}", taken + 1) };
    let id: TenantId = sqlx::query_scalar("INSERT INTO tenants (name, slug, created_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(name.as_str())
        .bind(slug)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
    Ok(id)
}

/// The first tenant of that name.
pub async fn tenant_named(conn: &mut Conn, name: &TenantName) -> Result<Option<TenantId>, super::Error> {
    sqlx::query_scalar("SELECT id FROM tenants WHERE name = $1 ORDER BY id LIMIT 1").bind(name.as_str()).fetch_optional(conn).await
}

/// The email is someone else's already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailTaken;

/// A user with a valid display name and a password already hashed.
pub struct NewUserRow<'a> {
    pub email: &'a Email,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
}

pub async fn insert_user(conn: &mut Conn, tenant: TenantId, user: &NewUserRow<'_>, now: i64) -> Result<Result<UserId, EmailTaken>, super::Error> {
    let inserted = sqlx::query_scalar(
        "INSERT INTO users (tenant_id, email, display_name, password_hash, role, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(tenant)
    .bind(user.email.as_str())
    .bind(user.display_name)
    .bind(user.password_hash)
    .bind(user.role.as_str())
    .bind(now)
    .fetch_one(conn)
    .await;
    super::unless_taken(inserted, EmailTaken)
}

/// Marks a user as staff and/or developer (flags that are `false` are left as they are).
pub async fn set_platform_roles(conn: &mut Conn, user: UserId, staff: bool, developer: bool) -> Result<(), super::Error> {
    sqlx::query(
        "UPDATE users SET is_staff = CASE WHEN $1 = 1 THEN 1 ELSE is_staff END, \
             is_developer = CASE WHEN $2 = 1 THEN 1 ELSE is_developer END WHERE id = $3",
    )
    .bind(i64::from(staff))
    .bind(i64::from(developer))
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}

/// The user with this (lower-case) email and their password's hash.
pub async fn password_hash(db: &Db, email: &str) -> Result<Option<(UserId, String)>, super::Error> {
    sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1 AND removed_at IS NULL").bind(email).fetch_optional(db.pool()).await
}

/// Writes (and commits) one sign-in attempt on `key`; its row id.
pub async fn reserve_attempt(db: &Db, key: &str, now: i64) -> Result<i64, super::Error> {
    sqlx::query_scalar("INSERT INTO login_failures (key, failed_at) VALUES ($1, $2) RETURNING id").bind(key).bind(now).fetch_one(db.pool()).await
}

/// Takes reserved attempts back.
pub async fn release_attempts(db: &Db, reserved: &[i64]) -> Result<(), super::Error> {
    for id in reserved {
        sqlx::query("DELETE FROM login_failures WHERE id = $1").bind(*id).execute(db.pool()).await?;
    }
    Ok(())
}

/// The failed (or reserved) attempts on `key` since `since`.
pub async fn count_failures(db: &Db, key: &str, since: i64) -> Result<i64, super::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND failed_at >= $2").bind(key).bind(since).fetch_one(db.pool()).await
}

/// Forgets the failures on `key` (a right password).
pub async fn clear_failures(db: &Db, key: &str) -> Result<(), super::Error> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(db.pool()).await?;
    Ok(())
}

/// Forgets failures older than `before`.
pub async fn prune_failures(db: &Db, before: i64) -> Result<(), super::Error> {
    sqlx::query("DELETE FROM login_failures WHERE failed_at < $1").bind(before).execute(db.pool()).await?;
    Ok(())
}

/// Gives the user a developer profile under a public name.
pub async fn make_developer(conn: &mut Conn, user: UserId, name: &str) -> Result<(), super::Error> {
    sqlx::query("UPDATE users SET is_developer = 1, developer_name = $1 WHERE id = $2").bind(name).bind(user).execute(conn).await?;
    Ok(())
}

/// The user's public developer name, if they chose one.
pub async fn developer_name(db: &Db, user: UserId) -> Result<Option<String>, super::Error> {
    Ok(sqlx::query_scalar("SELECT developer_name FROM users WHERE id = $1").bind(user).fetch_optional(db.pool()).await?.flatten())
}
