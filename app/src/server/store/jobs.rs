//! Runs: a person's request that an installed plugin process one of the tenant's tasks,
//! pending until the plugin answers or its deadline passes.

use super::Known;
use crate::domain::{InstallationId, JobId, JobStatus, TaskId, UserId};
use crate::server::scope::TenantScope;
use crate::server::Db;

/// A job as stored, with its plugin's name.
#[derive(sqlx::FromRow)]
pub struct JobRow {
    pub id: JobId,
    pub name: String,
    pub task_id: Option<TaskId>,
    #[sqlx(try_from = "String")]
    pub status: Known<JobStatus>,
    /// JSON.
    pub result: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub deadline_at: i64,
    pub finished_at: Option<i64>,
}

const JOB_COLUMNS: &str = "j.id, p.name, j.task_id, j.status, j.result, j.error, j.created_at, j.deadline_at, j.finished_at";
const JOB_FROM: &str = "FROM plugin_jobs j JOIN installations i ON i.id = j.installation_id JOIN plugins p ON p.id = i.plugin_id";

/// A new pending job of `installation` on `user`'s behalf, on `task_id`: false (nothing
/// written) unless the installation is active and the task exists, both in the scope's
/// tenant.
#[allow(clippy::too_many_arguments)]
pub async fn insert(db: &Db, scope: &TenantScope, id: &JobId, installation: InstallationId, user: UserId, task_id: TaskId, now: i64, deadline_at: i64) -> Result<bool, super::Error> {
    let inserted = sqlx::query(
        "INSERT INTO plugin_jobs (id, installation_id, tenant_id, user_id, task_id, status, created_at, deadline_at) \
         SELECT $1, $2, $3, $4, $5, 'pending', $6, $7 \
         WHERE EXISTS (SELECT 1 FROM installations WHERE id = $2 AND tenant_id = $3 AND status = 'active') \
           AND EXISTS (SELECT 1 FROM tasks WHERE id = $5 AND tenant_id = $3)",
    )
    .bind(id)
    .bind(installation)
    .bind(scope.tenant())
    .bind(user)
    .bind(task_id)
    .bind(now)
    .bind(deadline_at)
    .execute(db.pool())
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The scope's job `id`.
pub async fn find(db: &Db, scope: &TenantScope, id: &JobId) -> Result<Option<JobRow>, super::Error> {
    sqlx::query_as(&format!("SELECT {JOB_COLUMNS} {JOB_FROM} WHERE j.id = $1 AND j.tenant_id = $2"))
        .bind(id)
        .bind(scope.tenant())
        .fetch_optional(db.pool())
        .await
}

/// Finishes a pending job of the acting installation that is still within its deadline;
/// false when it was not (anymore) such a job.
pub async fn finish(db: &Db, plugin: &TenantScope, id: &JobId, status: JobStatus, result: Option<&str>, error: Option<&str>, now: i64) -> Result<bool, super::Error> {
    let Some(installation) = plugin.acting_plugin() else { return Ok(false) };
    let changed = sqlx::query(
        "UPDATE plugin_jobs SET status = $1, result = $2, error = $3, finished_at = $4 \
         WHERE id = $5 AND installation_id = $6 AND tenant_id = $7 AND status = 'pending' AND deadline_at > $4",
    )
    .bind(status.as_str())
    .bind(result)
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(installation)
    .bind(plugin.tenant())
    .execute(db.pool())
    .await?;
    Ok(changed.rows_affected() == 1)
}

/// Whether job `id` is the acting installation's.
pub async fn is_the_plugins(db: &Db, plugin: &TenantScope, id: &JobId) -> Result<bool, super::Error> {
    let Some(installation) = plugin.acting_plugin() else { return Ok(false) };
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM plugin_jobs WHERE id = $1 AND installation_id = $2 AND tenant_id = $3")
        .bind(id)
        .bind(installation)
        .bind(plugin.tenant())
        .fetch_optional(db.pool())
        .await?;
    Ok(found.is_some())
}

/// Marks the scope's pending jobs past their deadline timed out (one, or all).
pub async fn time_out_overdue(db: &Db, scope: &TenantScope, only: Option<&JobId>, now: i64) -> Result<(), super::Error> {
    sqlx::query(
        "UPDATE plugin_jobs SET status = 'timed_out', finished_at = deadline_at \
         WHERE tenant_id = $1 AND status = 'pending' AND deadline_at <= $2 AND ($3 = '' OR id = $3)",
    )
    .bind(scope.tenant())
    .bind(now)
    .bind(only.map_or("", JobId::as_str))
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The scope's latest `limit` jobs, newest first.
pub async fn recent(db: &Db, scope: &TenantScope, limit: i64) -> Result<Vec<JobRow>, super::Error> {
    sqlx::query_as(&format!("SELECT {JOB_COLUMNS} {JOB_FROM} WHERE j.tenant_id = $1 ORDER BY j.created_at DESC, j.id DESC LIMIT $2"))
        .bind(scope.tenant())
        .bind(limit)
        .fetch_all(db.pool())
        .await
}
