//! Projects and tasks of one tenant. Every statement is bounded by the scope's tenant;
//! what a plugin creates or changes carries its installation's mark.

use super::{Flag, Known};
use crate::domain::{InstallationId, PluginActivity, Project, ProjectId, TaskId, UserId, ProjectBoard, Task, TaskCard, TaskStatus, WorkOverview};
use crate::server::scope::TenantScope;
use crate::server::{now, Db};
use sqlx::AnyConnection;

const PROJECT_COLUMNS: &str = "id, name, description, archived, created_at, updated_at";
const TASK_COLUMNS: &str = "id, project_id, title, status, assignee_id, due_date, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: ProjectId,
    name: String,
    description: String,
    #[sqlx(try_from = "i64")]
    archived: Flag,
    created_at: i64,
    updated_at: i64,
}

impl From<ProjectRow> for Project {
    fn from(r: ProjectRow) -> Self {
        Project { id: r.id, name: r.name, description: r.description, archived: r.archived.0, created_at: r.created_at, updated_at: r.updated_at }
    }
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: TaskId,
    project_id: ProjectId,
    title: String,
    #[sqlx(try_from = "String")]
    status: Known<TaskStatus>,
    assignee_id: Option<UserId>,
    due_date: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<TaskRow> for Task {
    fn from(r: TaskRow) -> Self {
        Task {
            id: r.id,
            project_id: r.project_id,
            title: r.title,
            status: r.status.0,
            assignee_id: r.assignee_id,
            due_date: r.due_date,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The plugins behind `created_by_installation` and `updated_by_installation`.
#[derive(sqlx::FromRow)]
struct ActivityRow {
    created_by: Option<String>,
    updated_by: Option<String>,
}

impl From<ActivityRow> for PluginActivity {
    fn from(r: ActivityRow) -> Self {
        PluginActivity { created_by: r.created_by, updated_by: r.updated_by }
    }
}

#[derive(sqlx::FromRow)]
struct BoardRow {
    #[sqlx(flatten)]
    project: ProjectRow,
    #[sqlx(flatten)]
    activity: ActivityRow,
}

#[derive(sqlx::FromRow)]
struct CardRow {
    #[sqlx(flatten)]
    task: TaskRow,
    assignee: Option<String>,
    #[sqlx(flatten)]
    activity: ActivityRow,
}

fn mark(scope: &TenantScope) -> Option<InstallationId> {
    scope.acting_plugin()
}

/// Up to `limit` projects after id `after`, by id.
pub async fn projects(db: &Db, scope: &TenantScope, archived: Option<bool>, after: i64, limit: i64) -> Result<Vec<Project>, sqlx::Error> {
    let rows: Vec<ProjectRow> = sqlx::query_as(&format!(
        "SELECT {PROJECT_COLUMNS} FROM projects WHERE tenant_id = $1 AND id > $2 AND ($3 < 0 OR archived = $3) ORDER BY id LIMIT $4"
    ))
    .bind(scope.tenant())
    .bind(after)
    .bind(archived.map(i64::from).unwrap_or(-1))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(Project::from).collect())
}

pub async fn project(db: &Db, scope: &TenantScope, id: ProjectId) -> Result<Option<Project>, sqlx::Error> {
    let row: Option<ProjectRow> = sqlx::query_as(&format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE tenant_id = $1 AND id = $2"))
        .bind(scope.tenant())
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Project::from))
}

pub async fn insert_project(conn: &mut super::Conn, scope: &TenantScope, name: &str, description: &str, archived: bool) -> Result<Project, sqlx::Error> {
    let row: ProjectRow = sqlx::query_as(&format!(
        "INSERT INTO projects (tenant_id, name, description, archived, created_at, updated_at, created_by_installation, updated_by_installation) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $6) RETURNING {PROJECT_COLUMNS}"
    ))
    .bind(scope.tenant())
    .bind(name)
    .bind(description)
    .bind(i64::from(archived))
    .bind(now())
    .bind(mark(scope))
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

/// Changes the fields given and keeps the rest, in the caller's transaction: the project
/// before and after, or `None` when the tenant has no such project.
pub async fn update_project(
    conn: &mut super::Conn,
    scope: &TenantScope,
    id: ProjectId,
    name: Option<&str>,
    description: Option<&str>,
    archived: Option<bool>,
) -> Result<Option<(Project, Project)>, sqlx::Error> {
    if !lock_tenant_row(&mut *conn, "projects", scope, id.get()).await? {
        return Ok(None);
    }
    let before: ProjectRow = sqlx::query_as(&format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE tenant_id = $1 AND id = $2"))
        .bind(scope.tenant())
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let after: ProjectRow = sqlx::query_as(&format!(
        "UPDATE projects SET name = COALESCE($1, name), description = COALESCE($2, description), \
             archived = COALESCE($3, archived), updated_at = $4, updated_by_installation = $5 \
         WHERE tenant_id = $6 AND id = $7 RETURNING {PROJECT_COLUMNS}"
    ))
    .bind(name)
    .bind(description)
    .bind(archived.map(i64::from))
    .bind(now())
    .bind(mark(scope))
    .bind(scope.tenant())
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some((before.into(), after.into())))
}

/// Deletes a project and its tasks, in the caller's transaction: the project and its
/// tasks as they were, or `None` when the tenant has no such project.
pub async fn delete_project(conn: &mut super::Conn, scope: &TenantScope, id: ProjectId) -> Result<Option<(Project, Vec<Task>)>, sqlx::Error> {
    let tenant = scope.tenant();
    // The tasks first, then the project: the order `update_task` locks them in.
    let tasks: Vec<TaskRow> = sqlx::query_as(&format!("DELETE FROM tasks WHERE tenant_id = $1 AND project_id = $2 RETURNING {TASK_COLUMNS}"))
        .bind(tenant)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    let deleted: Option<ProjectRow> = sqlx::query_as(&format!("DELETE FROM projects WHERE tenant_id = $1 AND id = $2 RETURNING {PROJECT_COLUMNS}"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let mut tasks: Vec<Task> = tasks.into_iter().map(Task::from).collect();
    tasks.sort_by_key(|t| t.id);
    Ok(deleted.map(|project| (project.into(), tasks)))
}

/// Up to `limit` tasks after id `after`, by id, of one status and project when given.
pub async fn tasks(
    db: &Db,
    scope: &TenantScope,
    status: Option<TaskStatus>,
    project_id: Option<ProjectId>,
    after: i64,
    limit: i64,
) -> Result<Vec<Task>, sqlx::Error> {
    let rows: Vec<TaskRow> = sqlx::query_as(&format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE tenant_id = $1 AND id > $2 AND ($3 = '' OR status = $3) \
             AND ($4 = 0 OR project_id = $4) ORDER BY id LIMIT $5"
    ))
    .bind(scope.tenant())
    .bind(after)
    .bind(status.map(TaskStatus::as_str).unwrap_or(""))
    .bind(project_id.map_or(0, ProjectId::get))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(Task::from).collect())
}

pub async fn task(db: &Db, scope: &TenantScope, id: TaskId) -> Result<Option<Task>, sqlx::Error> {
    let row: Option<TaskRow> = sqlx::query_as(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE tenant_id = $1 AND id = $2"))
        .bind(scope.tenant())
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Task::from))
}

/// A row a task refers to that the tenant does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Task,
    Project,
    Assignee,
}

/// Whether the tenant's row `id` of `table` exists; if it does, its row lock is held
/// until the transaction ends (a no-op write, as SQLite has no `FOR SHARE`), so that a
/// concurrent delete waits instead of leaving a write that refers to a row now gone.
async fn lock_tenant_row(conn: &mut AnyConnection, table: &'static str, scope: &TenantScope, id: i64) -> Result<bool, sqlx::Error> {
    let locked = sqlx::query(&format!("UPDATE {table} SET id = id WHERE tenant_id = $1 AND id = $2"))
        .bind(scope.tenant())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(locked.rows_affected() == 1)
}

/// The project and assignee must belong to the tenant (another tenant's ids are never
/// confirmed). Both stay locked until the caller's transaction ends.
async fn lock_references(conn: &mut AnyConnection, scope: &TenantScope, project_id: Option<ProjectId>, assignee_id: Option<UserId>) -> Result<Option<Missing>, sqlx::Error> {
    if let Some(project) = project_id {
        if !lock_tenant_row(&mut *conn, "projects", scope, project.get()).await? {
            return Ok(Some(Missing::Project));
        }
    }
    if let Some(user) = assignee_id {
        // A removed person is no longer the tenant's to assign.
        if lock_user(&mut *conn, scope, user).await?.is_none() {
            return Ok(Some(Missing::Assignee));
        }
    }
    Ok(None)
}

/// A task's fields, valid.
pub struct NewTaskRow<'a> {
    pub project_id: ProjectId,
    pub title: &'a str,
    pub status: TaskStatus,
    pub assignee_id: Option<UserId>,
    pub due_date: Option<&'a str>,
}

/// Inserts a task in the caller's transaction, with its project and assignee locked.
pub async fn insert_task(conn: &mut super::Conn, scope: &TenantScope, new: &NewTaskRow<'_>) -> Result<Result<Task, Missing>, sqlx::Error> {
    if let Some(missing) = lock_references(&mut *conn, scope, Some(new.project_id), new.assignee_id).await? {
        return Ok(Err(missing));
    }
    let row: TaskRow = sqlx::query_as(&format!(
        "INSERT INTO tasks (tenant_id, project_id, title, status, assignee_id, due_date, created_at, updated_at, created_by_installation, updated_by_installation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $8) RETURNING {TASK_COLUMNS}"
    ))
    .bind(scope.tenant())
    .bind(new.project_id)
    .bind(new.title)
    .bind(new.status.as_str())
    .bind(new.assignee_id)
    .bind(new.due_date)
    .bind(now())
    .bind(mark(scope))
    .fetch_one(&mut *conn)
    .await?;
    Ok(Ok(row.into()))
}

/// The fields a task patch changes, valid; `Some(None)` clears a nullable one.
#[derive(Default)]
pub struct TaskChanges<'a> {
    pub project_id: Option<ProjectId>,
    pub title: Option<&'a str>,
    pub status: Option<TaskStatus>,
    pub assignee_id: Option<Option<UserId>>,
    pub due_date: Option<Option<&'a str>>,
}

/// Changes what the patch names and keeps the rest, in one statement (so concurrent
/// patches of different fields both take effect). Locks the task, then the project and
/// assignee it refers to: the order `delete_project` takes them in, so the two never
/// wait on each other. In the caller's transaction; the task before and after.
pub async fn update_task(conn: &mut super::Conn, scope: &TenantScope, id: TaskId, changes: &TaskChanges<'_>) -> Result<Result<(Task, Task), Missing>, sqlx::Error> {
    if !lock_tenant_row(&mut *conn, "tasks", scope, id.get()).await? {
        return Ok(Err(Missing::Task));
    }
    if let Some(missing) = lock_references(&mut *conn, scope, changes.project_id, changes.assignee_id.flatten()).await? {
        return Ok(Err(missing));
    }
    let before: TaskRow = sqlx::query_as(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE tenant_id = $1 AND id = $2"))
        .bind(scope.tenant())
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    // The nullable fields change when the patch names them, even to null.
    let row: TaskRow = sqlx::query_as(&format!(
        "UPDATE tasks SET project_id = COALESCE($1, project_id), title = COALESCE($2, title), status = COALESCE($3, status), \
             assignee_id = CASE WHEN $4 = 1 THEN $5 ELSE assignee_id END, due_date = CASE WHEN $6 = 1 THEN $7 ELSE due_date END, \
             updated_at = $8, updated_by_installation = $9 WHERE tenant_id = $10 AND id = $11 RETURNING {TASK_COLUMNS}"
    ))
    .bind(changes.project_id)
    .bind(changes.title)
    .bind(changes.status.map(TaskStatus::as_str))
    .bind(i64::from(changes.assignee_id.is_some()))
    .bind(changes.assignee_id.flatten())
    .bind(i64::from(changes.due_date.is_some()))
    .bind(changes.due_date.flatten())
    .bind(now())
    .bind(mark(scope))
    .bind(scope.tenant())
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Ok((before.into(), row.into())))
}

/// Deletes a task in the caller's transaction: the task as it was, or `None` when the
/// tenant has no such task.
pub async fn delete_task(conn: &mut super::Conn, scope: &TenantScope, id: TaskId) -> Result<Option<Task>, sqlx::Error> {
    let deleted: Option<TaskRow> = sqlx::query_as(&format!("DELETE FROM tasks WHERE tenant_id = $1 AND id = $2 RETURNING {TASK_COLUMNS}"))
        .bind(scope.tenant())
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(deleted.map(Task::from))
}

#[derive(sqlx::FromRow)]
struct OrgUserRow {
    id: UserId,
    display_name: String,
    email: String,
    #[sqlx(try_from = "String")]
    role: Known<crate::domain::Role>,
}

impl From<OrgUserRow> for crate::domain::OrgUser {
    fn from(r: OrgUserRow) -> Self {
        crate::domain::OrgUser { id: r.id, name: r.display_name, email: r.email, role: r.role.0 }
    }
}

/// A person of the tenant as the Members page's rules need them.
pub struct LockedUser {
    pub user: crate::domain::OrgUser,
    /// A Plugboard developer or staff member: their plugins or reviews would lose them.
    pub has_platform_role: bool,
}

/// The tenant's (not removed) person `id`, their row locked (a no-op write), in the
/// caller's transaction.
pub async fn lock_user(conn: &mut super::Conn, scope: &TenantScope, id: UserId) -> Result<Option<LockedUser>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: OrgUserRow,
        #[sqlx(try_from = "i64")]
        is_developer: Flag,
        #[sqlx(try_from = "i64")]
        is_staff: Flag,
    }
    sqlx::query("UPDATE users SET role = role WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL").bind(scope.tenant()).bind(id).execute(&mut *conn).await?;
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, display_name, email, role, is_developer, is_staff FROM users WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL",
    )
    .bind(scope.tenant())
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| LockedUser { user: r.user.into(), has_platform_role: r.is_developer.0 || r.is_staff.0 }))
}

/// How many owners the tenant has (not removed).
pub async fn count_owners(conn: &mut super::Conn, scope: &TenantScope) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = 'owner' AND removed_at IS NULL").bind(scope.tenant()).fetch_one(conn).await
}

/// Gives the tenant's person `id` another role: the person after.
pub async fn set_role(conn: &mut super::Conn, scope: &TenantScope, id: UserId, role: crate::domain::Role) -> Result<crate::domain::OrgUser, sqlx::Error> {
    let row: OrgUserRow = sqlx::query_as("UPDATE users SET role = $1 WHERE tenant_id = $2 AND id = $3 RETURNING id, display_name, email, role")
        .bind(role.as_str())
        .bind(scope.tenant())
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(row.into())
}

/// Unassigns every task of the tenant assigned to person `user`, in one statement (a
/// reassignment made meanwhile is not touched): the tasks after, by id.
pub async fn unassign_all(conn: &mut super::Conn, scope: &TenantScope, user: UserId) -> Result<Vec<Task>, sqlx::Error> {
    let rows: Vec<TaskRow> = sqlx::query_as(&format!(
        "UPDATE tasks SET assignee_id = NULL, updated_at = $1, updated_by_installation = $2 WHERE tenant_id = $3 AND assignee_id = $4 RETURNING {TASK_COLUMNS}"
    ))
    .bind(now())
    .bind(mark(scope))
    .bind(scope.tenant())
    .bind(user)
    .fetch_all(conn)
    .await?;
    let mut tasks: Vec<Task> = rows.into_iter().map(Into::into).collect();
    tasks.sort_by_key(|t| t.id.get());
    Ok(tasks)
}

/// Removes the tenant's person `id`: the row stays, marked removed (its id is never given
/// again), and everything that lets them act ends: sessions, developer tokens, their
/// connections to plugins' services, pending consents and unused codes. What they made
/// stays. False when the tenant has no such person.
pub async fn remove_user(conn: &mut super::Conn, scope: &TenantScope, id: UserId, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET removed_at = $1 WHERE tenant_id = $2 AND id = $3 AND removed_at IS NULL")
        .bind(now)
        .bind(scope.tenant())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    for sql in [
        "DELETE FROM sessions WHERE user_id = $1",
        "DELETE FROM service_connections WHERE user_id = $1",
        "DELETE FROM service_connect_requests WHERE user_id = $1",
        "DELETE FROM consent_requests WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE developer_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL").bind(now).bind(id).execute(&mut *conn).await?;
    sqlx::query("UPDATE oauth_codes SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL").bind(now).bind(id).execute(&mut *conn).await?;
    Ok(true)
}

/// Up to `limit` of the tenant's people after id `after`, by id.
pub async fn users(db: &Db, scope: &TenantScope, after: i64, limit: i64) -> Result<Vec<crate::domain::OrgUser>, sqlx::Error> {
    let rows: Vec<OrgUserRow> = sqlx::query_as("SELECT id, display_name, email, role FROM users WHERE tenant_id = $1 AND id > $2 AND removed_at IS NULL ORDER BY id LIMIT $3")
        .bind(scope.tenant())
        .bind(after)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn user(db: &Db, scope: &TenantScope, id: UserId) -> Result<Option<crate::domain::OrgUser>, sqlx::Error> {
    let row: Option<OrgUserRow> = sqlx::query_as("SELECT id, display_name, email, role FROM users WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL")
        .bind(scope.tenant())
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Into::into))
}

const PROJECT_ORDER: &str = "x.archived, x.updated_at DESC, x.id DESC";

/// The plugins behind `created_by_installation` and `updated_by_installation` of table `x`.
const ACTIVITY_JOINS: &str = "LEFT JOIN installations ci ON ci.id = x.created_by_installation LEFT JOIN plugins cp ON cp.id = ci.plugin_id \
     LEFT JOIN installations ui ON ui.id = x.updated_by_installation LEFT JOIN plugins up ON up.id = ui.plugin_id";

/// The Projects page: up to `max_projects` projects, active before archived, recently
/// changed first, each with its tasks (in progress, to do, done; at most `max_tasks` in
/// all) and the plugins that touched them.
pub async fn overview(db: &Db, scope: &TenantScope, max_projects: i64, max_tasks: i64) -> Result<WorkOverview, sqlx::Error> {
    let tenant = scope.tenant();
    let project_columns = PROJECT_COLUMNS.split(", ").map(|c| format!("x.{c}")).collect::<Vec<_>>().join(", ");
    let projects_sql = format!(
        "SELECT {project_columns}, cp.name AS created_by, up.name AS updated_by FROM projects x {ACTIVITY_JOINS} \
         WHERE x.tenant_id = $1 ORDER BY {PROJECT_ORDER} LIMIT $2"
    );
    let projects = sqlx::query_as::<_, BoardRow>(&projects_sql).bind(tenant).bind(max_projects).fetch_all(db.pool());
    let total = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM projects WHERE tenant_id = $1").bind(tenant).fetch_one(db.pool());
    let task_columns = TASK_COLUMNS.split(", ").map(|c| format!("x.{c}")).collect::<Vec<_>>().join(", ");
    let tasks_sql = format!(
        "SELECT {task_columns}, u.display_name AS assignee, cp.name AS created_by, up.name AS updated_by FROM tasks x {ACTIVITY_JOINS} \
         LEFT JOIN users u ON u.id = x.assignee_id AND u.tenant_id = x.tenant_id \
         WHERE x.tenant_id = $1 AND x.project_id IN (SELECT x.id FROM projects x WHERE x.tenant_id = $1 ORDER BY {PROJECT_ORDER} LIMIT $3) \
         ORDER BY CASE x.status WHEN 'doing' THEN 0 WHEN 'todo' THEN 1 ELSE 2 END, x.id LIMIT $2"
    );
    let tasks = sqlx::query_as::<_, CardRow>(&tasks_sql).bind(tenant).bind(max_tasks).bind(max_projects).fetch_all(db.pool());
    let (projects, total, tasks) = futures::try_join!(projects, total, tasks)?;
    let mut boards: Vec<ProjectBoard> =
        projects.into_iter().map(|row| ProjectBoard { project: row.project.into(), activity: row.activity.into(), tasks: Vec::new() }).collect();
    for row in tasks {
        let card = TaskCard { task: row.task.into(), assignee: row.assignee, activity: row.activity.into() };
        if let Some(board) = boards.iter_mut().find(|b| b.project.id == card.task.project_id) {
            board.tasks.push(card);
        }
    }
    Ok(WorkOverview { more_projects: (total - boards.len() as i64).max(0), boards, may_edit: false, may_delete_projects: false })
}
