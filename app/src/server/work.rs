//! Projects and tasks of one tenant: the domain code behind the REST API (and later the
//! client-side plugin bridge). Every function takes the tenant and never reads or writes
//! outside it; `actor` is the installation that acts, when a plugin does.

use super::{now, Db};
use crate::domain::{parse_long_text, InstallationId, PluginActivity, Project, ProjectBoard, Task, TaskCard, TaskStatus, TenantId, WorkOverview};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A rule a write broke, naming the field.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn invalid(field: &'static str, message: impl Into<String>) -> WorkError {
    WorkError::Invalid { field, message: message.into() }
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

const PROJECT_COLUMNS: &str = "id, name, description, archived, created_at, updated_at";
const TASK_COLUMNS: &str = "id, project_id, title, status, assignee_id, due_date, created_at, updated_at";

fn project(row: &AnyRow) -> Result<Project, sqlx::Error> {
    Ok(Project {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        archived: row.try_get::<i64, _>("archived")? == 1,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn task(row: &AnyRow) -> Result<Task, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(Task {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        title: row.try_get("title")?,
        status: TaskStatus::parse(&status).unwrap_or(TaskStatus::Todo),
        assignee_id: row.try_get("assignee_id")?,
        due_date: row.try_get("due_date")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn list_projects(db: &Db, tenant: TenantId, archived: Option<bool>, after: Option<i64>, limit: i64) -> Result<Page<Project>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {PROJECT_COLUMNS} FROM projects WHERE tenant_id = $1 AND id > $2 AND ($3 < 0 OR archived = $3) ORDER BY id LIMIT $4"
    ))
    .bind(tenant.0)
    .bind(after.unwrap_or(0))
    .bind(archived.map(i64::from).unwrap_or(-1))
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?;
    let items = rows.iter().map(project).collect::<Result<Vec<_>, _>>()?;
    Ok(page(items, limit, |p| p.id))
}

pub async fn get_project(db: &Db, tenant: TenantId, id: i64) -> Result<Project, WorkError> {
    let row = sqlx::query(&format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(project).transpose()?.ok_or(WorkError::NotFound)
}

pub struct NewProject {
    pub name: String,
    pub description: String,
    pub archived: bool,
}

pub async fn create_project(db: &Db, tenant: TenantId, new: &NewProject, actor: Option<InstallationId>) -> Result<Project, WorkError> {
    let name = crate::domain::parse_text(&new.name, 200).map_err(|m| invalid("name", m))?;
    let description = parse_long_text(&new.description, DESCRIPTION_MAX).map_err(|m| invalid("description", m))?;
    let t = now();
    let row = sqlx::query(&format!(
        "INSERT INTO projects (tenant_id, name, description, archived, created_at, updated_at, created_by_installation, updated_by_installation) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $6) RETURNING {PROJECT_COLUMNS}"
    ))
    .bind(tenant.0)
    .bind(name)
    .bind(description)
    .bind(i64::from(new.archived))
    .bind(t)
    .bind(actor.map(|a| a.0))
    .fetch_one(db.pool())
    .await?;
    Ok(project(&row)?)
}

#[derive(Default)]
pub struct ProjectPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub archived: Option<bool>,
}

pub async fn update_project(db: &Db, tenant: TenantId, id: i64, patch: &ProjectPatch, actor: Option<InstallationId>) -> Result<Project, WorkError> {
    let name = patch.name.as_deref().map(|n| crate::domain::parse_text(n, 200)).transpose().map_err(|m| invalid("name", m))?;
    let description = patch.description.as_deref().map(|d| parse_long_text(d, DESCRIPTION_MAX)).transpose().map_err(|m| invalid("description", m))?;
    let row = sqlx::query(&format!(
        "UPDATE projects SET name = COALESCE($1, name), description = COALESCE($2, description), \
             archived = COALESCE($3, archived), updated_at = $4, updated_by_installation = $5 \
         WHERE tenant_id = $6 AND id = $7 RETURNING {PROJECT_COLUMNS}"
    ))
    .bind(name)
    .bind(description)
    .bind(patch.archived.map(i64::from))
    .bind(now())
    .bind(actor.map(|a| a.0))
    .bind(tenant.0)
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(project).transpose()?.ok_or(WorkError::NotFound)
}

/// Deletes a project and its tasks.
pub async fn delete_project(db: &Db, tenant: TenantId, id: i64) -> Result<(), WorkError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM tasks WHERE tenant_id = $1 AND project_id = $2").bind(tenant.0).bind(id).execute(&mut *tx).await?;
    let deleted = sqlx::query("DELETE FROM projects WHERE tenant_id = $1 AND id = $2").bind(tenant.0).bind(id).execute(&mut *tx).await?;
    if deleted.rows_affected() == 0 {
        return Err(WorkError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TaskFilter {
    pub status: Option<TaskStatus>,
    pub project_id: Option<i64>,
}

pub async fn list_tasks(db: &Db, tenant: TenantId, filter: TaskFilter, after: Option<i64>, limit: i64) -> Result<Page<Task>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE tenant_id = $1 AND id > $2 AND ($3 = '' OR status = $3) \
             AND ($4 = 0 OR project_id = $4) ORDER BY id LIMIT $5"
    ))
    .bind(tenant.0)
    .bind(after.unwrap_or(0))
    .bind(filter.status.map(TaskStatus::as_str).unwrap_or(""))
    .bind(filter.project_id.unwrap_or(0))
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?;
    let items = rows.iter().map(task).collect::<Result<Vec<_>, _>>()?;
    Ok(page(items, limit, |t| t.id))
}

pub async fn get_task(db: &Db, tenant: TenantId, id: i64) -> Result<Task, WorkError> {
    let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(task).transpose()?.ok_or(WorkError::NotFound)
}

pub struct NewTask {
    pub project_id: i64,
    pub title: String,
    pub status: TaskStatus,
    pub assignee_id: Option<i64>,
    pub due_date: Option<String>,
}

/// Whether the tenant's row `id` of `table` exists; if it does, its row lock is held
/// until the transaction ends (a no-op write, as SQLite has no `FOR SHARE`), so that a
/// concurrent delete waits instead of leaving a write that refers to a row now gone.
async fn lock_tenant_row(conn: &mut AnyConnection, table: &'static str, tenant: TenantId, id: i64) -> Result<bool, sqlx::Error> {
    let locked = sqlx::query(&format!("UPDATE {table} SET id = id WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant.0)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(locked.rows_affected() == 1)
}

/// The project and assignee must belong to the tenant; otherwise the field is wrong
/// (as if they did not exist: another tenant's ids are never confirmed). Both stay
/// locked until the caller's transaction ends.
async fn check_references(conn: &mut AnyConnection, tenant: TenantId, project_id: Option<i64>, assignee_id: Option<i64>) -> Result<(), WorkError> {
    if let Some(project) = project_id {
        if !lock_tenant_row(&mut *conn, "projects", tenant, project).await? {
            return Err(invalid("project_id", "no such project"));
        }
    }
    if let Some(user) = assignee_id {
        if !lock_tenant_row(&mut *conn, "users", tenant, user).await? {
            return Err(invalid("assignee_id", "no such user in this organisation"));
        }
    }
    Ok(())
}

pub async fn create_task(db: &Db, tenant: TenantId, new: &NewTask, actor: Option<InstallationId>) -> Result<Task, WorkError> {
    let title = crate::domain::parse_text(&new.title, 300).map_err(|m| invalid("title", m))?;
    let due = new.due_date.as_deref().map(crate::domain::parse_due_date).transpose().map_err(|m| invalid("due_date", m))?;
    let mut tx = db.begin_write().await?;
    check_references(&mut tx, tenant, Some(new.project_id), new.assignee_id).await?;
    let row = sqlx::query(&format!(
        "INSERT INTO tasks (tenant_id, project_id, title, status, assignee_id, due_date, created_at, updated_at, created_by_installation, updated_by_installation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $8) RETURNING {TASK_COLUMNS}"
    ))
    .bind(tenant.0)
    .bind(new.project_id)
    .bind(title)
    .bind(new.status.as_str())
    .bind(new.assignee_id)
    .bind(due)
    .bind(now())
    .bind(actor.map(|a| a.0))
    .fetch_one(&mut *tx)
    .await?;
    let created = task(&row)?;
    tx.commit().await?;
    Ok(created)
}

/// Fields to change; `Some(None)` clears a nullable one.
#[derive(Default)]
pub struct TaskPatch {
    pub project_id: Option<i64>,
    pub title: Option<String>,
    pub status: Option<TaskStatus>,
    pub assignee_id: Option<Option<i64>>,
    pub due_date: Option<Option<String>>,
}

/// Changes what the patch names and keeps the rest, in one statement (so concurrent
/// patches of different fields both take effect). Locks the task, then the project and
/// assignee it refers to: the order `delete_project` takes them in, so the two never
/// wait on each other.
pub async fn update_task(db: &Db, tenant: TenantId, id: i64, patch: &TaskPatch, actor: Option<InstallationId>) -> Result<Task, WorkError> {
    let title = patch.title.as_deref().map(|t| crate::domain::parse_text(t, 300)).transpose().map_err(|m| invalid("title", m))?;
    let due = match &patch.due_date {
        Some(Some(d)) => Some(crate::domain::parse_due_date(d).map_err(|m| invalid("due_date", m))?),
        _ => None,
    };
    let mut tx = db.begin_write().await?;
    if !lock_tenant_row(&mut tx, "tasks", tenant, id).await? {
        return Err(WorkError::NotFound);
    }
    check_references(&mut tx, tenant, patch.project_id, patch.assignee_id.flatten()).await?;
    // The nullable fields change when the patch names them, even to null.
    let row = sqlx::query(&format!(
        "UPDATE tasks SET project_id = COALESCE($1, project_id), title = COALESCE($2, title), status = COALESCE($3, status), \
             assignee_id = CASE WHEN $4 = 1 THEN $5 ELSE assignee_id END, due_date = CASE WHEN $6 = 1 THEN $7 ELSE due_date END, \
             updated_at = $8, updated_by_installation = $9 WHERE tenant_id = $10 AND id = $11 RETURNING {TASK_COLUMNS}"
    ))
    .bind(patch.project_id)
    .bind(title)
    .bind(patch.status.map(TaskStatus::as_str))
    .bind(i64::from(patch.assignee_id.is_some()))
    .bind(patch.assignee_id.flatten())
    .bind(i64::from(patch.due_date.is_some()))
    .bind(due)
    .bind(now())
    .bind(actor.map(|a| a.0))
    .bind(tenant.0)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let updated = task(&row)?;
    tx.commit().await?;
    Ok(updated)
}

pub async fn delete_task(db: &Db, tenant: TenantId, id: i64) -> Result<(), WorkError> {
    let deleted = sqlx::query("DELETE FROM tasks WHERE tenant_id = $1 AND id = $2").bind(tenant.0).bind(id).execute(db.pool()).await?;
    if deleted.rows_affected() == 0 {
        return Err(WorkError::NotFound);
    }
    Ok(())
}

/// At most this many projects on the Projects page, and tasks in all of them.
pub const OVERVIEW_PROJECTS: i64 = 50;
const OVERVIEW_TASKS: i64 = 2_000;
const PROJECT_ORDER: &str = "x.archived, x.updated_at DESC, x.id DESC";

/// The plugins behind `created_by_installation` and `updated_by_installation` of table `x`.
const ACTIVITY_JOINS: &str = "LEFT JOIN installations ci ON ci.id = x.created_by_installation LEFT JOIN plugins cp ON cp.id = ci.plugin_id \
     LEFT JOIN installations ui ON ui.id = x.updated_by_installation LEFT JOIN plugins up ON up.id = ui.plugin_id";

fn activity(row: &AnyRow) -> Result<PluginActivity, sqlx::Error> {
    Ok(PluginActivity { created_by: row.try_get("created_by")?, updated_by: row.try_get("updated_by")? })
}

/// The Projects page: active projects before archived ones, recently changed first, each
/// with its tasks (in progress, to do, done) and the plugins that touched them.
pub async fn overview(db: &Db, tenant: TenantId) -> Result<WorkOverview, sqlx::Error> {
    let project_columns = PROJECT_COLUMNS.split(", ").map(|c| format!("x.{c}")).collect::<Vec<_>>().join(", ");
    let projects_sql = format!(
        "SELECT {project_columns}, cp.name AS created_by, up.name AS updated_by FROM projects x {ACTIVITY_JOINS} \
         WHERE x.tenant_id = $1 ORDER BY {PROJECT_ORDER} LIMIT $2"
    );
    let projects = sqlx::query(&projects_sql).bind(tenant.0).bind(OVERVIEW_PROJECTS).fetch_all(db.pool());
    let total = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM projects WHERE tenant_id = $1").bind(tenant.0).fetch_one(db.pool());
    let task_columns = TASK_COLUMNS.split(", ").map(|c| format!("x.{c}")).collect::<Vec<_>>().join(", ");
    let tasks_sql = format!(
        "SELECT {task_columns}, u.display_name AS assignee, cp.name AS created_by, up.name AS updated_by FROM tasks x {ACTIVITY_JOINS} \
         LEFT JOIN users u ON u.id = x.assignee_id AND u.tenant_id = x.tenant_id \
         WHERE x.tenant_id = $1 AND x.project_id IN (SELECT x.id FROM projects x WHERE x.tenant_id = $1 ORDER BY {PROJECT_ORDER} LIMIT $3) \
         ORDER BY CASE x.status WHEN 'doing' THEN 0 WHEN 'todo' THEN 1 ELSE 2 END, x.id LIMIT $2"
    );
    let tasks = sqlx::query(&tasks_sql).bind(tenant.0).bind(OVERVIEW_TASKS).bind(OVERVIEW_PROJECTS).fetch_all(db.pool());
    let (projects, total, tasks) = futures::try_join!(projects, total, tasks)?;
    let mut boards = projects
        .iter()
        .map(|row| Ok(ProjectBoard { project: project(row)?, activity: activity(row)?, tasks: Vec::new() }))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    for row in &tasks {
        let card = TaskCard { task: task(row)?, assignee: row.try_get("assignee")?, activity: activity(row)? };
        if let Some(board) = boards.iter_mut().find(|b| b.project.id == card.task.project_id) {
            board.tasks.push(card);
        }
    }
    Ok(WorkOverview { more_projects: (total - boards.len() as i64).max(0), boards })
}
