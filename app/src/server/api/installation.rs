use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::domain::ScopeSet;
use crate::server::AppState;
use axum::extract::{Extension, State};
use axum::Json;
use serde::Serialize;
use sqlx::Row;

/// The installation the token acts for.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InstallationView {
    pub installation_id: i64,
    pub tenant_id: i64,
    pub tenant_name: String,
    pub plugin: String,
    /// Scopes this token may use now.
    #[schema(value_type = Vec<String>, example = json!(["read:projects", "write:tasks"]))]
    pub scopes: ScopeSet,
    pub installed_at: i64,
}

/// Who am I: the installation, its tenant and the scopes in force. Needs no scope.
#[utoipa::path(
    get,
    path = "/installation",
    tag = "installation",
    security(("bearer" = [])),
    responses(
        (status = 200, body = InstallationView),
        (status = 401, body = ErrorBody, description = "No, or an invalid, token"),
        (status = 429, body = ErrorBody, description = "Rate limited"),
    )
)]
pub async fn get_installation(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Result<Json<InstallationView>, ApiError> {
    let row = sqlx::query(
        "SELECT i.installed_at, t.name AS tenant_name, p.slug FROM installations i \
         JOIN tenants t ON t.id = i.tenant_id JOIN plugins p ON p.id = i.plugin_id WHERE i.id = $1 AND i.tenant_id = $2",
    )
    .bind(caller.installation.0)
    .bind(caller.tenant.0)
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(ApiError::InvalidToken)?;
    Ok(Json(InstallationView {
        installation_id: caller.installation.0,
        tenant_id: caller.tenant.0,
        tenant_name: row.try_get("tenant_name")?,
        plugin: row.try_get("slug")?,
        scopes: caller.scopes,
        installed_at: row.try_get("installed_at")?,
    }))
}
