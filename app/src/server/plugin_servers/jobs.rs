//! Content processing (DESIGN.md §6): a Run sends a task to the plugin's server at
//! `POST /plugin/{pluginId}`. A 200 finishes the job at once; a 202 leaves it pending
//! until the plugin posts the result to `/api/v1/jobs/{jobId}` with its access token; a
//! job nobody finishes by its deadline has timed out. Failures are stored with their
//! message, so the person who ran it sees what happened.

use crate::server::scope::{Member, TenantScope};
use super::client::Processed;
use super::{connections, PluginInstall, Which};
use crate::domain::{InstallationId, JobId, JobStatus, JobView, RunnablePlugin, Scope, TaskId};
use crate::server::store::jobs::{self as store, JobRow};
use crate::server::store::{self as stores, decode_error};
use crate::server::{work, AppState, Db};

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
    #[error("the person may not change tasks")]
    NotAllowed,
    #[error(transparent)]
    Db(#[from] stores::Error),
}

impl From<RunError> for crate::error::AppError {
    fn from(err: RunError) -> Self {
        use crate::error::AppError;
        match err {
            RunError::NotRunnable => AppError::NotFound("That plugin is not installed, or does not process content.".into()),
            RunError::NoTaskAccess => AppError::Forbidden(
                "This plugin was not granted read:tasks, so it may not see tasks. An admin can install it again with that permission.".into(),
            ),
            RunError::TaskNotFound => AppError::NotFound("No such task in your organisation.".into()),
            RunError::NotAllowed => AppError::Forbidden("Viewers may not run plugins on tasks; ask an admin to change your role.".into()),
            RunError::Db(e) => crate::server::internal("running a plugin failed")(e),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CompleteError {
    #[error("no such job for this installation")]
    NotFound,
    #[error("the job is already {}", .0.as_str())]
    Finished(JobStatus),
    #[error(transparent)]
    Db(#[from] stores::Error),
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
    pub id: JobId,
    pub plugin_name: String,
    pub task_id: Option<TaskId>,
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

impl TryFrom<JobRow> for Job {
    type Error = stores::Error;

    fn try_from(row: JobRow) -> Result<Self, stores::Error> {
        let result = match row.result.as_deref() {
            None => None,
            Some(raw) => Some(serde_json::from_str(raw).map_err(|_| decode_error("result", raw))?),
        };
        Ok(Job {
            id: row.id,
            plugin_name: row.name,
            task_id: row.task_id,
            status: row.status.0,
            result,
            error: row.error,
            created_at: row.created_at,
            deadline_at: row.deadline_at,
            finished_at: row.finished_at,
        })
    }
}

async fn find(db: &Db, scope: &TenantScope, id: &JobId) -> Result<Option<Job>, stores::Error> {
    store::find(db, scope, id).await?.map(Job::try_from).transpose()
}

/// Installed plugins that `user` can Run on the tenant's tasks (they process content and
/// were granted read:tasks; a Run may change the task, so viewers are offered none).
pub async fn runnable(db: &Db, user: &Member) -> Result<Vec<RunnablePlugin>, stores::Error> {
    if !user.role.can_edit_work() {
        return Ok(Vec::new());
    }
    Ok(PluginInstall::load(db, &user.scope(), Which::All)
        .await?
        .into_iter()
        .filter(|i| i.processes_content && i.server_url.is_some() && i.granted.allows(Scope::ReadTasks))
        .map(|i| RunnablePlugin { installation_id: i.installation, name: i.name })
        .collect())
}

/// Runs an installed plugin on one of the tenant's tasks, on `user`'s behalf.
pub async fn run_on_task(state: &AppState, user: &Member, installation: InstallationId, task_id: TaskId, now: i64) -> Result<Job, RunError> {
    if !user.role.can_edit_work() {
        return Err(RunError::NotAllowed);
    }
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
    let service_token = match connections::service_token(state, &install, user, now).await {
        Ok(token) => token,
        Err(e) => {
            tracing::warn!(plugin = %install.slug, error = %e, "no service token for a Run");
            None
        }
    };
    let id = JobId::generate();
    let scope = user.scope();
    if !store::insert(&state.db, &scope, &id, install.installation, user.id, task.id, now, now + state.settings.job_timeout_secs).await? {
        // Uninstalled, or the task deleted, since they were read.
        return Err(RunError::NotRunnable);
    }
    let mut body = serde_json::json!({
        "jobId": id,
        "content": { "type": "task", "task": task },
        "user": { "id": user.id.to_string(), "displayName": user.display_name },
    });
    if let Some(token) = service_token {
        body["serviceAccessToken"] = serde_json::Value::String(token);
    }
    let completion = match state.plugin_servers.process(&target, &body, id.as_str(), now).await {
        Ok(Processed::Done(answer)) => Some(Completion::Done(answer)),
        Ok(Processed::Accepted) => None,
        Err(e) => Some(Completion::Failed(e.to_string())),
    };
    if let Some(completion) = completion {
        // The plugin may already have finished it through the API; the first word stands.
        finish(&state.db, &scope.acting_as(install.installation), &id, &completion, now).await?;
    }
    find(&state.db, &scope, &id).await?.ok_or(RunError::NotRunnable)
}

/// Finishes a pending job of the acting installation that is still within its deadline.
/// `false`: it was not (anymore) such a job.
async fn finish(db: &Db, plugin: &TenantScope, id: &JobId, completion: &Completion, now: i64) -> Result<bool, stores::Error> {
    let (status, result, error) = match completion {
        Completion::Done(result) => (JobStatus::Done, Some(result.to_string()), None),
        Completion::Failed(error) => (JobStatus::Failed, None, Some(error.as_str())),
    };
    store::finish(db, plugin, id, status, result.as_deref(), error, now).await
}

/// The plugin (the scope's acting installation) finishes one of its jobs
/// (`POST /api/v1/jobs/{jobId}`).
pub async fn complete(db: &Db, plugin: &TenantScope, id: &JobId, completion: &Completion, now: i64) -> Result<Job, CompleteError> {
    let finished = finish(db, plugin, id, completion, now).await?;
    if !finished {
        // Past its deadline: it has timed out, whether or not a page said so yet.
        store::time_out_overdue(db, plugin, Some(id), now).await?;
    }
    // Another installation's job is as unknown as a made-up id.
    if !store::is_the_plugins(db, plugin, id).await? {
        return Err(CompleteError::NotFound);
    }
    let job = find(db, plugin, id).await?.ok_or(CompleteError::NotFound)?;
    if finished { Ok(job) } else { Err(CompleteError::Finished(job.status)) }
}

/// The tenant's latest Runs, newest first, with those past their deadline timed out.
pub async fn recent(db: &Db, scope: &TenantScope, now: i64) -> Result<Vec<Job>, stores::Error> {
    store::time_out_overdue(db, scope, None, now).await?;
    store::recent(db, scope, RECENT).await?.into_iter().map(Job::try_from).collect()
}
