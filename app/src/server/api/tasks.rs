use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiId, ApiJson, ApiQuery, JsonInt};
use super::pagination::{self, List};
use crate::domain::{ProjectId, Scope, Task, TaskId, TaskStatus, UserId};
use crate::server::{work, AppState};
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Deserializer};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Only tasks with this status.
    status: Option<TaskStatus>,
    /// Only tasks of this project.
    project_id: Option<i64>,
    /// 1 to 100, default 25.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^([1-9][0-9]{0,17})?$")]
    cursor: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    #[schema(value_type = i64)]
    project_id: JsonInt,
    /// 1 to 300 characters.
    #[schema(min_length = 1, max_length = 300)]
    title: String,
    /// Default `todo`.
    status: Option<TaskStatus>,
    #[schema(value_type = Option<i64>)]
    assignee_id: Option<JsonInt>,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    due_date: Option<String>,
}

/// `null` clears `assignee_id` or `due_date`; a missing field stays as it is.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    #[schema(value_type = Option<i64>)]
    project_id: Option<JsonInt>,
    #[schema(min_length = 1, max_length = 300)]
    title: Option<String>,
    status: Option<TaskStatus>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    assignee_id: Option<Option<JsonInt>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Date)]
    due_date: Option<Option<String>>,
}

/// A project id in a body (any integer reads as one; the store says whether the tenant
/// has it, after the other fields' checks, as for an id that no row has).
fn project(raw: JsonInt) -> Result<ProjectId, work::WorkError> {
    raw.id().ok_or_else(work::WorkError::no_such_project)
}

/// An assignee's id in a body, read the same way.
fn assignee(raw: JsonInt) -> Result<UserId, work::WorkError> {
    raw.id().ok_or_else(work::WorkError::no_such_assignee)
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The tenant's tasks, oldest first, optionally by status and project.
#[utoipa::path(get, path = "/tasks", tag = "tasks", security(("bearer" = ["read:tasks"])), params(TaskQuery),
    responses((status = 200, body = List<Task>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_tasks(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiQuery(q): ApiQuery<TaskQuery>) -> Result<Json<List<Task>>, ApiError> {
    list(&state, &caller, q).await.map(Json)
}

/// `GET /tasks`, for any caller (a client-side plugin's bridge too).
pub(crate) async fn list(state: &AppState, caller: &Caller, q: TaskQuery) -> Result<List<Task>, ApiError> {
    caller.require(Scope::ReadTasks)?;
    let limit = pagination::limit(q.limit)?;
    let after = pagination::decode_cursor(q.cursor.as_deref())?;
    let project_id = q.project_id.map(|raw| JsonInt(raw).id::<ProjectId>().ok_or_else(work::WorkError::no_such_project)).transpose()?;
    let filter = work::TaskFilter { status: q.status, project_id };
    Ok(work::list_tasks(&state.db, &caller.scope, filter, after, limit).await?.into())
}

/// One task.
#[utoipa::path(get, path = "/tasks/{id}", tag = "tasks", security(("bearer" = ["read:tasks"])), params(("id" = i64, Path)),
    responses((status = 200, body = Task), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_task(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiId(id): ApiId<TaskId>) -> Result<Json<Task>, ApiError> {
    caller.require(Scope::ReadTasks)?;
    Ok(Json(work::get_task(&state.db, &caller.scope, id).await?))
}

/// Creates a task in one of the tenant's projects.
#[utoipa::path(post, path = "/tasks", tag = "tasks", security(("bearer" = ["write:tasks"])), request_body = CreateTask,
    responses((status = 201, body = Task), (status = 403, body = ErrorBody)))]
pub async fn create_task(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiJson(body): ApiJson<CreateTask>) -> Result<(StatusCode, Json<Task>), ApiError> {
    Ok((StatusCode::CREATED, Json(create(&state, &caller, body).await?)))
}

/// `POST /tasks`, for any caller (a client-side plugin's bridge too).
pub(crate) async fn create(state: &AppState, caller: &Caller, body: CreateTask) -> Result<Task, ApiError> {
    caller.require(Scope::WriteTasks)?;
    let new = work::NewTask {
        project_id: project(body.project_id)?,
        title: body.title,
        status: body.status.unwrap_or(TaskStatus::Todo),
        assignee_id: body.assignee_id.map(assignee).transpose()?,
        due_date: body.due_date,
    };
    Ok(work::create_task(&state.db, &caller.scope, &new).await?)
}

/// Changes the given fields of a task.
#[utoipa::path(patch, path = "/tasks/{id}", tag = "tasks", security(("bearer" = ["write:tasks"])), params(("id" = i64, Path)), request_body = UpdateTask,
    responses((status = 200, body = Task), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_task(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiId(id): ApiId<TaskId>, ApiJson(body): ApiJson<UpdateTask>) -> Result<Json<Task>, ApiError> {
    update(&state, &caller, id, body).await.map(Json)
}

/// `PATCH /tasks/{id}`, for any caller (a client-side plugin's bridge too).
pub(crate) async fn update(state: &AppState, caller: &Caller, id: TaskId, body: UpdateTask) -> Result<Task, ApiError> {
    caller.require(Scope::WriteTasks)?;
    let patch = work::TaskPatch {
        project_id: body.project_id.map(project).transpose()?,
        title: body.title,
        status: body.status,
        assignee_id: body.assignee_id.map(|a| a.map(assignee).transpose()).transpose()?,
        due_date: body.due_date,
    };
    Ok(work::update_task(&state.db, &caller.scope, id, &patch).await?)
}

/// Deletes a task.
#[utoipa::path(delete, path = "/tasks/{id}", tag = "tasks", security(("bearer" = ["write:tasks"])), params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_task(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiId(id): ApiId<TaskId>) -> Result<StatusCode, ApiError> {
    caller.require(Scope::WriteTasks)?;
    work::delete_task(&state.db, &caller.scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
