use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiId, ApiJson, ApiQuery};
use super::pagination::{self, List};
use crate::domain::{Project, ProjectId, Scope};
use crate::server::{work, AppState};
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// Only archived (`true`) or only active (`false`) projects.
    archived: Option<bool>,
    /// 1 to 100, default 25.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^([1-9][0-9]{0,17})?$")]
    cursor: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// At most 10,000 characters.
    #[serde(default)]
    #[schema(max_length = 10000)]
    description: String,
    #[serde(default)]
    archived: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    #[schema(max_length = 10000)]
    description: Option<String>,
    archived: Option<bool>,
}

/// The tenant's projects, oldest first.
#[utoipa::path(get, path = "/projects", tag = "projects", security(("bearer" = ["read:projects"])), params(ProjectQuery),
    responses((status = 200, body = List<Project>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_projects(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiQuery(q): ApiQuery<ProjectQuery>) -> Result<Json<List<Project>>, ApiError> {
    list(&state, &caller, q).await.map(Json)
}

/// `GET /projects`, for any caller (a client-side plugin's bridge too).
pub(crate) async fn list(state: &AppState, caller: &Caller, q: ProjectQuery) -> Result<List<Project>, ApiError> {
    caller.require(Scope::ReadProjects)?;
    let limit = pagination::limit(q.limit)?;
    let after = pagination::decode_cursor(q.cursor.as_deref())?;
    Ok(work::list_projects(&state.db, &caller.scope, q.archived, after, limit).await?.into())
}

/// One project.
#[utoipa::path(get, path = "/projects/{id}", tag = "projects", security(("bearer" = ["read:projects"])), params(("id" = i64, Path)),
    responses((status = 200, body = Project), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_project(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiId(id): ApiId<ProjectId>) -> Result<Json<Project>, ApiError> {
    caller.require(Scope::ReadProjects)?;
    Ok(Json(work::get_project(&state.db, &caller.scope, id).await?))
}

/// Creates a project.
#[utoipa::path(post, path = "/projects", tag = "projects", security(("bearer" = ["write:projects"])), request_body = CreateProject,
    responses((status = 201, body = Project), (status = 403, body = ErrorBody)))]
pub async fn create_project(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiJson(body): ApiJson<CreateProject>) -> Result<(StatusCode, Json<Project>), ApiError> {
    caller.require(Scope::WriteProjects)?;
    let new = work::NewProject { name: body.name, description: body.description, archived: body.archived };
    let project = work::create_project(&state.db, &caller.scope, &new).await?;
    Ok((StatusCode::CREATED, Json(project)))
}

/// Changes the given fields of a project.
#[utoipa::path(patch, path = "/projects/{id}", tag = "projects", security(("bearer" = ["write:projects"])), params(("id" = i64, Path)), request_body = UpdateProject,
    responses((status = 200, body = Project), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_project(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiId(id): ApiId<ProjectId>, ApiJson(body): ApiJson<UpdateProject>) -> Result<Json<Project>, ApiError> {
    caller.require(Scope::WriteProjects)?;
    let patch = work::ProjectPatch { name: body.name, description: body.description, archived: body.archived };
    Ok(Json(work::update_project(&state.db, &caller.scope, id, &patch).await?))
}

/// Deletes a project and its tasks.
#[utoipa::path(delete, path = "/projects/{id}", tag = "projects", security(("bearer" = ["write:projects"])), params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_project(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiId(id): ApiId<ProjectId>) -> Result<StatusCode, ApiError> {
    caller.require(Scope::WriteProjects)?;
    work::delete_project(&state.db, &caller.scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
