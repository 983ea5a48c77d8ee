//! Projects and tasks of one tenant: the rules behind the REST API, the client-side
//! plugin bridge and the Projects page. The scope says whose data and who acts (a plugin's
//! installation leaves its mark on what it creates or changes); the SQL is in
//! `store::work`.

use super::scope::TenantScope;
use super::store::work::{self as store, Missing, NewTaskRow, TaskChanges};
use super::webhooks::{self, Change};
use super::{now, Db};
use crate::domain::{parse_long_text, EventType, Project, ProjectId, Task, TaskId, TaskStatus, UserId, WorkOverview};

/// A rule a write broke, naming the field.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] super::store::Error),
}

impl From<WorkError> for crate::error::AppError {
    /// As the Projects page says it; another tenant's objects do not exist.
    fn from(err: WorkError) -> Self {
        use crate::error::AppError;
        match err {
            WorkError::Invalid { field, message } => AppError::Invalid { field: field.to_owned(), message },
            WorkError::NotFound => AppError::NotFound("No such project or task in your organisation.".into()),
            WorkError::Db(e) => super::internal("a project or task write failed")(e),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> WorkError {
    WorkError::Invalid { field, message: message.into() }
}

impl WorkError {
    /// A task's project that the tenant does not have.
    pub fn no_such_project() -> Self {
        Missing::Project.into()
    }

    /// A task's assignee who is not in the tenant.
    pub fn no_such_assignee() -> Self {
        Missing::Assignee.into()
    }
}

impl From<Missing> for WorkError {
    /// Another tenant's ids are never confirmed: a reference to one is as if it did not exist.
    fn from(missing: Missing) -> Self {
        match missing {
            Missing::Task => WorkError::NotFound,
            Missing::Project => invalid("project_id", "no such project"),
            Missing::Assignee => invalid("assignee_id", "no such user in this organisation"),
        }
    }
}

/// A page of results and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<i64>,
}

fn page<T>(mut items: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Page<T> {
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_after = if more { items.last().map(&id) } else { None };
    Page { items, next_after }
}

/// The longest project description, in characters.
pub const DESCRIPTION_MAX: usize = 10_000;

pub async fn list_projects(db: &Db, scope: &TenantScope, archived: Option<bool>, after: Option<i64>, limit: i64) -> Result<Page<Project>, super::store::Error> {
    let items = store::projects(db, scope, archived, after.unwrap_or(0), limit + 1).await?;
    Ok(page(items, limit, |p| p.id.get()))
}

pub async fn get_project(db: &Db, scope: &TenantScope, id: ProjectId) -> Result<Project, WorkError> {
    store::project(db, scope, id).await?.ok_or(WorkError::NotFound)
}

pub struct NewProject {
    pub name: String,
    pub description: String,
    pub archived: bool,
}

/// Creates a project; `project.created` goes to its subscribers in the same transaction.
pub async fn create_project(db: &Db, scope: &TenantScope, new: &NewProject) -> Result<Project, WorkError> {
    let name = crate::domain::parse_text(&new.name, 200).map_err(|m| invalid("name", m))?;
    let description = parse_long_text(&new.description, DESCRIPTION_MAX).map_err(|m| invalid("description", m))?;
    let mut tx = db.begin_write().await?;
    let project = store::insert_project(&mut tx, scope, &name, &description, new.archived).await?;
    webhooks::publish(&mut tx, scope, Change::Project(EventType::ProjectCreated, &project, None), now()).await?;
    tx.commit().await?;
    Ok(project)
}

#[derive(Default)]
pub struct ProjectPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub archived: Option<bool>,
}

pub async fn update_project(db: &Db, scope: &TenantScope, id: ProjectId, patch: &ProjectPatch) -> Result<Project, WorkError> {
    let name = patch.name.as_deref().map(|n| crate::domain::parse_text(n, 200)).transpose().map_err(|m| invalid("name", m))?;
    let description = patch.description.as_deref().map(|d| parse_long_text(d, DESCRIPTION_MAX)).transpose().map_err(|m| invalid("description", m))?;
    let mut tx = db.begin_write().await?;
    let (before, after) = store::update_project(&mut tx, scope, id, name.as_deref(), description.as_deref(), patch.archived).await?.ok_or(WorkError::NotFound)?;
    let changed = project_changes(&before, &after);
    if changed.is_empty() {
        // An update that changes nothing writes nothing (not even `updated_at`), as it
        // sends nothing: the transaction rolls back.
        return Ok(before);
    }
    webhooks::publish(&mut tx, scope, Change::Project(EventType::ProjectUpdated, &after, Some(changed)), now()).await?;
    tx.commit().await?;
    Ok(after)
}

/// The fields of a project that differ, by their API names.
fn project_changes(before: &Project, after: &Project) -> Vec<&'static str> {
    [("name", before.name != after.name), ("description", before.description != after.description), ("archived", before.archived != after.archived)]
        .into_iter()
        .filter_map(|(field, differs)| differs.then_some(field))
        .collect()
}

/// Deletes a project and its tasks; settings that named it lose it in the same
/// transaction (their plugins hear of it), so a later project can never take its place.
/// A `task.deleted` goes out for each of its tasks, then `project.deleted`.
pub async fn delete_project(db: &Db, scope: &TenantScope, id: ProjectId) -> Result<(), WorkError> {
    let mut tx = db.begin_write().await?;
    let Some((project, tasks)) = store::delete_project(&mut tx, scope, id).await? else {
        return Err(WorkError::NotFound);
    };
    let t = now();
    super::settings::forget_project(&mut tx, scope, id, t).await?;
    let mut changes: Vec<Change<'_>> = tasks.iter().map(|task| Change::Task(EventType::TaskDeleted, task, None)).collect();
    changes.push(Change::Project(EventType::ProjectDeleted, &project, None));
    webhooks::publish_all(&mut tx, scope, &changes, t).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TaskFilter {
    pub status: Option<TaskStatus>,
    pub project_id: Option<ProjectId>,
}

pub async fn list_tasks(db: &Db, scope: &TenantScope, filter: TaskFilter, after: Option<i64>, limit: i64) -> Result<Page<Task>, super::store::Error> {
    let items = store::tasks(db, scope, filter.status, filter.project_id, after.unwrap_or(0), limit + 1).await?;
    Ok(page(items, limit, |t| t.id.get()))
}

pub async fn get_task(db: &Db, scope: &TenantScope, id: TaskId) -> Result<Task, WorkError> {
    store::task(db, scope, id).await?.ok_or(WorkError::NotFound)
}

pub struct NewTask {
    pub project_id: ProjectId,
    pub title: String,
    pub status: TaskStatus,
    pub assignee_id: Option<UserId>,
    pub due_date: Option<String>,
}

/// The project and assignee must be the tenant's; otherwise the field is wrong.
pub async fn create_task(db: &Db, scope: &TenantScope, new: &NewTask) -> Result<Task, WorkError> {
    let title = crate::domain::parse_text(&new.title, 300).map_err(|m| invalid("title", m))?;
    let due = new.due_date.as_deref().map(crate::domain::parse_due_date).transpose().map_err(|m| invalid("due_date", m))?;
    let row = NewTaskRow { project_id: new.project_id, title: &title, status: new.status, assignee_id: new.assignee_id, due_date: due.as_deref() };
    let mut tx = db.begin_write().await?;
    let task = store::insert_task(&mut tx, scope, &row).await??;
    webhooks::publish(&mut tx, scope, Change::Task(EventType::TaskCreated, &task, None), now()).await?;
    tx.commit().await?;
    Ok(task)
}

/// Fields to change; `Some(None)` clears a nullable one.
#[derive(Default)]
pub struct TaskPatch {
    pub project_id: Option<ProjectId>,
    pub title: Option<String>,
    pub status: Option<TaskStatus>,
    pub assignee_id: Option<Option<UserId>>,
    pub due_date: Option<Option<String>>,
}

pub async fn update_task(db: &Db, scope: &TenantScope, id: TaskId, patch: &TaskPatch) -> Result<Task, WorkError> {
    let title = patch.title.as_deref().map(|t| crate::domain::parse_text(t, 300)).transpose().map_err(|m| invalid("title", m))?;
    let due = match &patch.due_date {
        Some(Some(d)) => Some(Some(crate::domain::parse_due_date(d).map_err(|m| invalid("due_date", m))?)),
        Some(None) => Some(None),
        None => None,
    };
    let changes = TaskChanges {
        project_id: patch.project_id,
        title: title.as_deref(),
        status: patch.status,
        assignee_id: patch.assignee_id,
        due_date: due.as_ref().map(Option::as_deref),
    };
    let mut tx = db.begin_write().await?;
    let (before, after) = store::update_task(&mut tx, scope, id, &changes).await??;
    let changed = task_changes(&before, &after);
    if changed.is_empty() {
        // Nothing changed: nothing is written (not even `updated_at`) and nothing sent.
        return Ok(before);
    }
    webhooks::publish(&mut tx, scope, Change::Task(EventType::TaskUpdated, &after, Some(changed)), now()).await?;
    tx.commit().await?;
    Ok(after)
}

/// The fields of a task that differ, by their API names.
fn task_changes(before: &Task, after: &Task) -> Vec<&'static str> {
    [
        ("project_id", before.project_id != after.project_id),
        ("title", before.title != after.title),
        ("status", before.status != after.status),
        ("assignee_id", before.assignee_id != after.assignee_id),
        ("due_date", before.due_date != after.due_date),
    ]
    .into_iter()
    .filter_map(|(field, differs)| differs.then_some(field))
    .collect()
}

pub async fn delete_task(db: &Db, scope: &TenantScope, id: TaskId) -> Result<(), WorkError> {
    let mut tx = db.begin_write().await?;
    let task = store::delete_task(&mut tx, scope, id).await?.ok_or(WorkError::NotFound)?;
    webhooks::publish(&mut tx, scope, Change::Task(EventType::TaskDeleted, &task, None), now()).await?;
    tx.commit().await?;
    Ok(())
}

/// The tenant's people, by id (`read:users`).
pub async fn list_users(db: &Db, scope: &TenantScope, after: Option<i64>, limit: i64) -> Result<Page<crate::domain::OrgUser>, super::store::Error> {
    let items = store::users(db, scope, after.unwrap_or(0), limit + 1).await?;
    Ok(page(items, limit, |u| u.id.get()))
}

pub async fn get_user(db: &Db, scope: &TenantScope, id: UserId) -> Result<crate::domain::OrgUser, WorkError> {
    store::user(db, scope, id).await?.ok_or(WorkError::NotFound)
}

/// At most this many projects on the Projects page, and tasks in all of them.
pub const OVERVIEW_PROJECTS: i64 = 50;
const OVERVIEW_TASKS: i64 = 2_000;

/// The Projects page: active projects before archived ones, recently changed first, each
/// with its tasks (in progress, to do, done) and the plugins that touched them.
pub async fn overview(db: &Db, scope: &TenantScope) -> Result<WorkOverview, super::store::Error> {
    store::overview(db, scope, OVERVIEW_PROJECTS, OVERVIEW_TASKS).await
}
