use super::auth::Caller;
use crate::domain::ScopeSet;
use axum::extract::Extension;
use axum::Json;
use serde::Serialize;

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
    responses((status = 200, body = InstallationView))
)]
pub async fn get_installation(Extension(caller): Extension<Caller>) -> Json<InstallationView> {
    // The token lookup read all of it (see `grants::live_token`).
    Json(InstallationView {
        installation_id: caller.installation.get(),
        tenant_id: caller.scope.tenant().get(),
        tenant_name: caller.tenant_name,
        plugin: caller.plugin_slug,
        scopes: caller.scopes,
        installed_at: caller.installed_at,
    })
}
