//! The plugin REST API (`/api/v1`, DESIGN.md §5): Plugboard as resource server.
//! Every route but the OpenAPI document goes through `auth::authenticate`, which turns
//! the Bearer token into a `Caller` (installation, tenant, scopes) and counts the
//! installation's rate limit; each handler then checks its scope and passes the tenant
//! to the domain code in `server::work`.

mod auth;
mod error;
mod extract;
mod installation;
mod pagination;
mod projects;
mod tasks;

pub use auth::Caller;
pub use error::ApiError;
pub use extract::MAX_BODY_BYTES;

use super::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Plugboard plugin API",
        version = "1",
        description = "What an installed plugin can do with a tenant's projects and tasks. Authenticate with the access \
token from the OAuth install (`Authorization: Bearer pba_…`); each route names the scope it needs (`write:X` covers `read:X`)."
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerScheme),
    tags(
        (name = "installation", description = "The installation behind the token"),
        (name = "projects", description = "The tenant's projects"),
        (name = "tasks", description = "The tenant's tasks"),
    )
)]
struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("opaque").build()));
    }
}

/// The documented routes, paths relative to `/api/v1`.
fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(installation::get_installation))
        .routes(routes!(projects::list_projects, projects::create_project))
        .routes(routes!(projects::get_project, projects::update_project, projects::delete_project))
        .routes(routes!(tasks::list_tasks, tasks::create_task))
        .routes(routes!(tasks::get_task, tasks::update_task, tasks::delete_task))
}

/// The OpenAPI 3.1 document, built from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().into_openapi()
}

pub fn router(state: AppState) -> Router<AppState> {
    let (routes, doc) = documented().split_for_parts();
    let doc = std::sync::Arc::new(doc);
    let authenticated = routes
        .layer(axum::middleware::from_fn_with_state(state, auth::authenticate))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let api = Router::new()
        .route("/openapi.json", get(move || std::future::ready(Json(doc.as_ref().clone()))))
        .merge(authenticated)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::NotFound });
    Router::new().nest("/api/v1", api)
}
