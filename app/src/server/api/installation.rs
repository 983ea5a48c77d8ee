use super::auth::Caller;
use crate::domain::ScopeSet;
use super::error::ApiError;
use crate::server::settings::{self, PluginSettings};
use crate::server::AppState;
use axum::extract::{Extension, State};
use axum::Json;
use serde::Serialize;

/// The installation the token acts for.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InstallationView {
    pub installation_id: i64,
    pub tenant_id: i64,
    pub tenant_name: String,
    pub plugin: String,
    /// Scopes this token may use now: the grant, or less for a token a refresh narrowed.
    #[schema(value_type = Vec<String>, example = json!(["read:projects", "write:tasks"]))]
    pub scopes: ScopeSet,
    /// Scopes the installation grants (a refresh without `scope` gets them all).
    #[schema(value_type = Vec<String>, example = json!(["read:projects", "write:tasks"]))]
    pub granted_scopes: ScopeSet,
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
        granted_scopes: caller.granted,
        installed_at: caller.installed_at,
    })
}

/// The installation's settings, as its owners and admins set them on Plugboard in the
/// fields the plugin's live version declares: every value in force (a field's `default`
/// when nobody set one; secrets included, for the plugin only) and the required ones
/// still missing. A value that no longer fits a newer version's field is left out until
/// an admin sets it again. Needs no scope.
#[utoipa::path(
    get,
    path = "/installation/settings",
    tag = "installation",
    security(("bearer" = [])),
    responses((status = 200, body = PluginSettings))
)]
pub async fn get_settings(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Result<impl axum::response::IntoResponse, ApiError> {
    let settings = settings::for_plugin(&state.db, &state.vault, &caller.scope, caller.installation).await?;
    // Secrets in clear: never kept by a cache on the way.
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], Json(settings)))
}
