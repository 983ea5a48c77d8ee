//! Content processing (DESIGN.md §6): a Run sends a task to the plugin's server at
//! `POST /plugin/{pluginId}`. A 200 finishes the job at once; a 202 leaves it pending
//! until the plugin posts the result to `/api/v1/jobs/{jobId}` with its access token; a
//! job nobody finishes by its deadline has timed out. Failures are stored with their
//! message, so the person who ran it sees what happened.

use crate::server::scope::{Member, TenantScope};
use super::client::Processed;
use super::{connections, PluginInstall, Which};
use crate::domain::{InstallationId, JobStatus, JobView, RunnablePlugin, Scope};
use crate::server::secrets::random_token;
use crate::server::{work, AppState, Db};
use sqlx::Row;

/// How long a plugin has to finish an accepted job (`PLUGBOARD_JOB_TIMEOUT_SECS`).
pub const DEFAULT_DEADLINE_SECS: i64 = 10 * 60;
/// Runs shown on the Projects page, newest first.
const RECENT: i64 = 100;
/// How much of an answer without a `message` the page shows.
const SUMMARY_CHARS: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the plugin is not installed, or does not process content")]
    NotRunnable,
    #[error("the installation did not grant read:tasks")]
    NoTaskAccess,
    #[error("no such task")]
    TaskNotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum CompleteError {
    #[error("no such job for this installation")]
    NotFound,
    #[error("the job is already {}", .0.as_str())]
    Finished(JobStatus),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// How the plugin finished a job.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    Done(serde_json::Value),
    Failed(String),
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub plugin_name: String,
    pub task_id: Option<i64>,
    pub status: JobStatus,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_at: i64,
    pub deadline_at: i64,
    pub finished_at: Option<i64>,
}

impl Job {
    pub fn view(&self) -> JobView {
        let summary = match self.status {
            JobStatus::Done => self.result.as_ref().filter(|r| !r.is_null()).map(|r| match r["message"].as_str() {
                Some(message) => message.to_owned(),
                None => {
                    let text = r.to_string();
                    if text.chars().count() > SUMMARY_CHARS { format!("{}…", text.chars().take(SUMMARY_CHARS).collect::<String>()) } else { text }
                }
            }),
            JobStatus::Failed => self.error.clone(),
            JobStatus::TimedOut => Some(format!(
                "The plugin did not finish within {} minutes.",
                ((self.deadline_at - self.created_at) / 60).max(1)
            )),
            JobStatus::Pending => None,
        };
        JobView {
            id: self.id.clone(),
            plugin_name: self.plugin_name.clone(),
            task_id: self.task_id,
            status: self.status,
            summary,
            created_at: self.created_at,
        }
    }
}

const JOB_COLUMNS: &str = "j.id, p.name, j.task_id, j.status, j.result, j.error, j.created_at, j.deadline_at, j.finished_at";
const JOB_FROM: &str = "FROM plugin_jobs j JOIN installations i ON i.id = j.installation_id JOIN plugins p ON p.id = i.plugin_id";

fn job(row: &sqlx::any::AnyRow) -> Result<Job, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(Job {
        id: row.try_get("id")?,
        plugin_name: row.try_get("name")?,
        task_id: row.try_get("task_id")?,
        status: JobStatus::parse(&status).ok_or_else(|| sqlx::Error::Decode(format!("job status {status:?}").into()))?,
        result: row.try_get::<Option<String>, _>("result")?.and_then(|r| serde_json::from_str(&r).ok()),
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        deadline_at: row.try_get("deadline_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

async fn find(db: &Db, id: &str) -> Result<Option<Job>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} {JOB_FROM} WHERE j.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    row.as_ref().map(job).transpose()
}

/// Installed plugins that can Run on the tenant's tasks (they process content and were
/// granted read:tasks).
pub async fn runnable(db: &Db, scope: &TenantScope) -> Result<Vec<RunnablePlugin>, sqlx::Error> {
    Ok(PluginInstall::load(db, scope, Which::All)
        .await?
        .into_iter()
        .filter(|i| i.processes_content && i.server_url.is_some() && i.granted.allows(Scope::ReadTasks))
        .map(|i| RunnablePlugin { installation_id: i.installation, name: i.name })
        .collect())
}

/// Runs an installed plugin on one of the tenant's tasks, on `user`'s behalf.
pub async fn run_on_task(state: &AppState, user: &Member, installation: InstallationId, task_id: i64, now: i64) -> Result<Job, RunError> {
    let install = PluginInstall::find(&state.db, &user.scope(), Which::Installation(installation))
        .await?
        .filter(|i| i.processes_content)
        .ok_or(RunError::NotRunnable)?;
    let target = install.target(&state.vault, user).ok_or(RunError::NotRunnable)?;
    if !install.granted.allows(Scope::ReadTasks) {
        return Err(RunError::NoTaskAccess);
    }
    let task = match work::get_task(&state.db, &user.scope(), task_id).await {
        Ok(task) => task,
        Err(work::WorkError::NotFound | work::WorkError::Invalid { .. }) => return Err(RunError::TaskNotFound),
        Err(work::WorkError::Db(e)) => return Err(e.into()),
    };
    // A plugin that is also the OAuth client's service gets the user's token for it.
    let service_token = match connections::service_token(state, &install, user.id, now).await {
        Ok(token) => token,
        Err(e) => {
            tracing::warn!(plugin = %install.slug, error = %e, "no service token for a Run");
            None
        }
    };
    let id = random_token("job_");
    sqlx::query(
        "INSERT INTO plugin_jobs (id, installation_id, tenant_id, user_id, task_id, status, created_at, deadline_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
    )
    .bind(&id)
    .bind(install.installation.0)
    .bind(user.tenant_id.0)
    .bind(user.id.0)
    .bind(task.id)
    .bind(now)
    .bind(now + state.settings.job_timeout_secs)
    .execute(state.db.pool())
    .await?;
    let mut body = serde_json::json!({
        "jobId": id,
        "content": { "type": "task", "task": task },
        "user": { "id": user.id.0.to_string(), "displayName": user.display_name },
    });
    if let Some(token) = service_token {
        body["serviceAccessToken"] = serde_json::Value::String(token);
    }
    let completion = match state.plugin_servers.process(&target, &body, &id, now).await {
        Ok(Processed::Done(answer)) => Some(Completion::Done(answer)),
        Ok(Processed::Accepted) => None,
        Err(e) => Some(Completion::Failed(e.to_string())),
    };
    if let Some(completion) = completion {
        // The plugin may already have finished it through the API; the first word stands.
        finish(&state.db, install.installation, &id, &completion, now).await?;
    }
    find(&state.db, &id).await?.ok_or(RunError::NotRunnable)
}

/// Finishes a pending job of `installation` that is still within its deadline. `false`:
/// it was not (anymore) such a job.
async fn finish(db: &Db, installation: InstallationId, id: &str, completion: &Completion, now: i64) -> Result<bool, sqlx::Error> {
    let (status, result, error) = match completion {
        Completion::Done(result) => (JobStatus::Done, Some(result.to_string()), None),
        Completion::Failed(error) => (JobStatus::Failed, None, Some(error.clone())),
    };
    let changed = sqlx::query(
        "UPDATE plugin_jobs SET status = $1, result = $2, error = $3, finished_at = $4 \
         WHERE id = $5 AND installation_id = $6 AND status = 'pending' AND deadline_at > $4",
    )
    .bind(status.as_str())
    .bind(result)
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(installation.0)
    .execute(db.pool())
    .await?;
    Ok(changed.rows_affected() == 1)
}

/// The plugin finishes one of its jobs (`POST /api/v1/jobs/{jobId}`).
pub async fn complete(db: &Db, installation: InstallationId, id: &str, completion: &Completion, now: i64) -> Result<Job, CompleteError> {
    let finished = finish(db, installation, id, completion, now).await?;
    if !finished {
        // Past its deadline: it has timed out, whether or not a page said so yet.
        sqlx::query("UPDATE plugin_jobs SET status = 'timed_out', finished_at = deadline_at WHERE id = $1 AND status = 'pending' AND deadline_at <= $2")
            .bind(id)
            .bind(now)
            .execute(db.pool())
            .await?;
    }
    // Another installation's job is as unknown as a made-up id.
    let owned: Option<i64> = sqlx::query_scalar("SELECT installation_id FROM plugin_jobs WHERE id = $1").bind(id).fetch_optional(db.pool()).await?;
    if owned != Some(installation.0) {
        return Err(CompleteError::NotFound);
    }
    let job = find(db, id).await?.ok_or(CompleteError::NotFound)?;
    if finished { Ok(job) } else { Err(CompleteError::Finished(job.status)) }
}

/// The tenant's latest Runs, newest first, with those past their deadline timed out.
pub async fn recent(db: &Db, scope: &TenantScope, now: i64) -> Result<Vec<Job>, sqlx::Error> {
    sqlx::query("UPDATE plugin_jobs SET status = 'timed_out', finished_at = deadline_at WHERE tenant_id = $1 AND status = 'pending' AND deadline_at <= $2")
        .bind(scope.tenant().0)
        .bind(now)
        .execute(db.pool())
        .await?;
    let rows = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} {JOB_FROM} WHERE j.tenant_id = $1 ORDER BY j.created_at DESC, j.id DESC LIMIT {RECENT}"
    ))
    .bind(scope.tenant().0)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(job).collect()
}
