//! The tenant's people, for a plugin granted `read:users`: id, name, email and role.

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiId, ApiQuery};
use super::pagination::{self, List};
use crate::domain::{OrgUser, Scope, UserId};
use crate::server::{work, AppState};
use axum::extract::{Extension, State};
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// 1 to 100, default 25.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page; empty or absent for the first page.
    #[param(pattern = "^([1-9][0-9]{0,17})?$")]
    cursor: Option<String>,
}

/// The tenant's people, oldest first.
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = ["read:users"])), params(UserQuery),
    responses((status = 200, body = List<OrgUser>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_users(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiQuery(q): ApiQuery<UserQuery>) -> Result<Json<List<OrgUser>>, ApiError> {
    caller.require(Scope::ReadUsers)?;
    let limit = pagination::limit(q.limit)?;
    let after = pagination::decode_cursor(q.cursor.as_deref())?;
    Ok(Json(work::list_users(&state.db, &caller.scope, after, limit).await?.into()))
}

/// One of the tenant's people.
#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("bearer" = ["read:users"])), params(("id" = i64, Path)),
    responses((status = 200, body = OrgUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_user(State(state): State<AppState>, Extension(caller): Extension<Caller>, ApiId(id): ApiId<UserId>) -> Result<Json<OrgUser>, ApiError> {
    caller.require(Scope::ReadUsers)?;
    Ok(Json(work::get_user(&state.db, &caller.scope, id).await?))
}
