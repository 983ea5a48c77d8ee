//! The plugin REST API (`/api/v1`, DESIGN.md §5): Plugboard as resource server.
//! Every route but the OpenAPI document goes through `auth::authenticate`, which turns
//! the Bearer token into a `Caller` (installation, tenant, scopes) and counts the
//! installation's rate limit; each handler then checks its scope and passes the tenant
//! to the domain code in `server::work`.

mod auth;
mod error;
pub(crate) mod extract;
mod installation;
mod jobs;
mod pagination;
pub(crate) mod projects;
pub(crate) mod tasks;
mod users;

pub use auth::{rate_key, spend, Caller, Spent, WINDOW_SECS};
pub use error::ApiError;
pub(crate) use extract::from_json_value;
pub use extract::MAX_BODY_BYTES;

use super::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
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
token from the OAuth install (`Authorization: Bearer pba_…`); each route names the scope it needs (`write:X` covers `read:X`).",
        license(name = "MIT", identifier = "MIT")
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerScheme),
    tags(
        (name = "installation", description = "The installation behind the token"),
        (name = "projects", description = "The tenant's projects"),
        (name = "tasks", description = "The tenant's tasks"),
        (name = "users", description = "The tenant's people (read:users)"),
        (name = "jobs", description = "Runs a plugin accepted (202) and finishes later"),
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

/// The documented routes, paths relative to `/api/v1`, and their OpenAPI document.
fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(installation::get_installation))
        .routes(routes!(installation::get_settings))
        .routes(routes!(projects::list_projects, projects::create_project))
        .routes(routes!(projects::get_project, projects::update_project, projects::delete_project))
        .routes(routes!(tasks::list_tasks, tasks::create_task))
        .routes(routes!(tasks::get_task, tasks::update_task, tasks::delete_task))
        .routes(routes!(users::list_users))
        .routes(routes!(users::get_user))
        .routes(routes!(jobs::complete_job))
        .split_for_parts();
    add_shared_responses(&mut doc);
    (routes, doc)
}

/// The OpenAPI 3.1 document for a Plugboard at `public_url`, built from the handlers'
/// annotations, with the webhook events Plugboard sends under `webhooks` (built from the
/// payload types) and its OAuth server as an `oauth2` security scheme.
pub fn openapi(public_url: &str) -> serde_json::Value {
    finish_document(&documented().1, public_url)
}

fn finish_document(doc: &utoipa::openapi::OpenApi, public_url: &str) -> serde_json::Value {
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    crate::server::webhooks::events::add_to_openapi(&mut doc);
    add_oauth2(&mut doc, public_url.trim_end_matches('/'));
    doc
}

/// The install flow as an `oauth2` scheme (authorization code; PKCE with S256 is
/// required), each scope with the sentence the consent screen shows, offered beside
/// `bearer` on every operation, so tools such as Swagger UI and Postman can authorise.
fn add_oauth2(doc: &mut serde_json::Value, base: &str) {
    use serde_json::{json, Map, Value};
    let scopes: Map<String, Value> = crate::domain::Scope::ALL.into_iter().map(|s| (s.as_str().to_owned(), Value::from(s.sentence()))).collect();
    doc["components"]["securitySchemes"]["oauth2"] = json!({
        "type": "oauth2",
        "description": "The install flow: authorization code with PKCE (S256, required). Register the plugin in the developer console for a client id and secret.",
        "flows": { "authorizationCode": {
            "authorizationUrl": format!("{base}/oauth/authorize"),
            "tokenUrl": format!("{base}/oauth/token"),
            "refreshUrl": format!("{base}/oauth/token"),
            "scopes": scopes,
        } },
    });
    if let Some(paths) = doc["paths"].as_object_mut() {
        for operation in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut()) {
            if let Some(security) = operation.get_mut("security").and_then(Value::as_array_mut) {
                let alternatives: Vec<Value> = security.iter().filter_map(|r| r.get("bearer")).map(|scopes| json!({ "oauth2": scopes })).collect();
                security.extend(alternatives);
            }
        }
    }
}

/// Answers that every route can give whatever its handler does (authentication and the
/// rate limit, and for a route with a body, the body's checks): documented here once
/// rather than on each handler.
fn add_shared_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Content, Ref, ResponseBuilder};
    for item in doc.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            let has_body = operation.request_body.is_some();
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses.entry(status.to_owned()).or_insert_with(|| {
                    let error = Content::new(Some(Ref::from_schema_name("ErrorBody")));
                    ResponseBuilder::new().description(description).content("application/json", error).build().into()
                });
            };
            add("401", "No token, or one that is malformed, expired, revoked or of an uninstalled plugin (see `WWW-Authenticate`).");
            add("429", "The installation's rate limit is spent (see `Retry-After` and `RateLimit-*`).");
            if has_body {
                add("400", "The body is not JSON of the documented shape: an unknown field, a wrong type.");
                add("413", "The body is larger than 64 KiB.");
                add("415", "The body is not `application/json`.");
                add("422", "A field breaks a rule; `field` names it.");
            }
        }
    }
}

fn openapi_document(headers: &axum::http::HeaderMap, body: &axum::body::Bytes, etag: &str) -> axum::response::Response {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    let cache = [(header::CACHE_CONTROL, "public, max-age=3600"), (header::ETAG, etag)];
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (cache, [(header::CONTENT_TYPE, "application/json")], body.clone()).into_response()
}

/// A write that went through may have queued webhooks (its data events, or settings
/// that named a deleted project): the worker looks at once rather than at its next poll.
async fn wake_the_webhook_worker(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let writes = !matches!(*request.method(), axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS);
    let response = next.run(request).await;
    if writes && response.status().is_success() {
        state.webhook_wakeup.notify_one();
    }
    response
}

pub fn router(state: AppState) -> Router<AppState> {
    let (routes, doc) = documented();
    // The document is the same for the life of the process: serialised once, cached by
    // clients for an hour and revalidated by its ETag after that.
    let body = axum::body::Bytes::from(serde_json::to_vec(&finish_document(&doc, &state.settings.public_url)).unwrap_or_default());
    let etag = format!("\"{}\"", &crate::server::secrets::sha256_hex_bytes(&body)[..16]);
    let authenticated = routes
        .layer(axum::middleware::from_fn_with_state(state.clone(), wake_the_webhook_worker))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let api = Router::new()
        .route("/openapi.json", get(move |headers: axum::http::HeaderMap| std::future::ready(openapi_document(&headers, &body, &etag))))
        .merge(authenticated)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::NotFound });
    Router::new().nest("/api/v1", api)
}
