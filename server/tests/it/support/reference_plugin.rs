//! A reference plugin server on 127.0.0.1 for the tests: all of DESIGN.md §6, checking
//! Plugboard's JWT on every call as a real plugin would, plus an OAuth 2.0 provider for
//! the `oauth_config` path. Each behaviour lives under its own prefix, so a test picks
//! one by the server URL it registers (`{base}/ok`, `{base}/async`, `{base}/garbage`…).
//!
//! - `ok`: answers everything; `Run` answers at once (200).
//! - `async`: `Run` answers 202, then finishes the job through `/api/v1/jobs/{id}`.
//! - `never`: `Run` answers 202 and never finishes.
//! - `garbage`, `shape`: answers that are not JSON, or not the contract's shape.
//! - `fail`: 500 to everything. `slow`: 3 seconds late.

use app::server::oauth::pkce;
use app::server::plugin_servers::jwt;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const CLIENT_ID: &str = "pbc_fixture";
/// What the reference OAuth provider issued to Plugboard.
pub const SERVICE_CLIENT_ID: &str = "plugboard-client";
pub const SERVICE_CLIENT_SECRET: &str = "svc-secret-0123456789";

/// What the reference server knows and remembers, shared with the test.
#[derive(Default)]
pub struct Memory {
    /// The signing secret and client id it checks JWTs with (a test hands it a registered plugin's).
    pub creds: Mutex<(String, String)>,
    pub license_hits: AtomicUsize,
    /// (tenant, user) connected through Connect.
    pub connected: Mutex<HashSet<(String, String)>>,
    /// Content received by `POST /plugin/{id}`.
    pub received: Mutex<Vec<serde_json::Value>>,
    /// Plugboard's address and this plugin's access token, for finishing jobs.
    pub plugboard: Mutex<Option<(String, String)>>,
    /// OAuth provider: code → (PKCE challenge, redirect URI); live refresh tokens; grants asked.
    codes: Mutex<HashMap<String, (String, String)>>,
    refresh_tokens: Mutex<HashSet<String>>,
    pub grants: Mutex<Vec<String>>,
    issued: AtomicUsize,
    /// `expires_in` of the access tokens it issues.
    pub expires_in: AtomicI64,
}

#[derive(Clone)]
struct Plugin {
    mode: &'static str,
    base: String,
    memory: Arc<Memory>,
}

pub struct Reference {
    pub base: String,
    pub memory: Arc<Memory>,
}

impl Reference {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let memory = Arc::new(Memory::default());
        *memory.creds.lock().unwrap() = (SECRET.to_owned(), CLIENT_ID.to_owned());
        memory.expires_in.store(3600, Ordering::SeqCst);
        let mut router = Router::new()
            .route("/oauth/authorize", get(oauth_authorize))
            .route("/oauth/token", post(oauth_token))
            .with_state(memory.clone());
        for mode in ["ok", "async", "never", "garbage", "shape", "fail", "slow"] {
            let plugin = Router::new()
                .route("/plugins/licenseStatus/{slug}", get(license))
                .route("/plugins/checkAuth/{slug}", get(check_auth))
                .route("/plugins/generateAuthUrl/{slug}", get(auth_url))
                .route("/plugins/logout/{slug}", post(logout))
                .route("/plugin/{slug}", post(process))
                .route("/connect/{tid}/{sub}", get(connect_page))
                .with_state(Plugin { mode, base: base.clone(), memory: memory.clone() });
            router = router.nest(&format!("/{mode}"), plugin);
        }
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { base, memory }
    }

    pub fn url(&self, mode: &str) -> String {
        format!("{}/{mode}", self.base)
    }

    /// The plugin is this registered one: it checks JWTs with its secret and client id.
    pub fn configure(&self, signing_secret: &str, client_id: &str) {
        *self.memory.creds.lock().unwrap() = (signing_secret.to_owned(), client_id.to_owned());
    }

    pub fn grant_count(&self, grant: &str) -> usize {
        self.memory.grants.lock().unwrap().iter().filter(|g| *g == grant).count()
    }
}

impl Memory {
    /// The service revokes every refresh token it issued.
    pub fn forget_refresh_tokens(&self) {
        self.refresh_tokens.lock().unwrap().clear();
    }
}

/// The plugin's check: a valid JWT for it, or 401.
fn authorised(memory: &Memory, headers: &HeaderMap) -> Result<(jwt::HostClaims, String), Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| StatusCode::UNAUTHORIZED.into_response())?;
    let (secret, client_id) = memory.creds.lock().unwrap().clone();
    let claims = jwt::verify(&secret, token, &client_id, app::server::now()).map_err(|_| StatusCode::UNAUTHORIZED.into_response())?;
    Ok((claims, token.to_owned()))
}

/// The answer every call gives in the failure modes; `None` lets the mode answer normally.
async fn misbehave(mode: &str) -> Option<Response> {
    match mode {
        "garbage" => Some("<html>not json</html>".into_response()),
        "shape" => Some(Json(serde_json::json!({ "status": "fine" })).into_response()),
        "fail" => Some(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            None
        }
        _ => None,
    }
}

macro_rules! guarded {
    ($plugin:expr, $headers:expr) => {{
        if let Some(answer) = misbehave($plugin.mode).await {
            return answer;
        }
        match authorised(&$plugin.memory, &$headers) {
            Ok(c) => c,
            Err(r) => return r,
        }
    }};
}

async fn license(State(plugin): State<Plugin>, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    plugin.memory.license_hits.fetch_add(1, Ordering::SeqCst);
    let (claims, _) = guarded!(plugin, headers);
    Json(serde_json::json!({
        "licenseStatus": false,
        "licenseStatusDescription": format!("**Expired** for tenant {} ({slug}). [Renew](https://robot.example.com/billing)<script>alert(1)</script>", claims.tid),
        "errorMessage": "Card declined",
    }))
    .into_response()
}

async fn check_auth(State(plugin): State<Plugin>, headers: HeaderMap) -> Response {
    let (claims, _) = guarded!(plugin, headers);
    let connected = plugin.memory.connected.lock().unwrap().contains(&(claims.tid, claims.sub));
    Json(serde_json::json!({ "successful": connected })).into_response()
}

/// Connect's target: the plugin's own page for this user (a real one would sign them in).
async fn auth_url(State(plugin): State<Plugin>, headers: HeaderMap) -> Response {
    let (claims, _) = guarded!(plugin, headers);
    Json(serde_json::json!({ "authUrl": format!("{}/{}/connect/{}/{}", plugin.base, plugin.mode, claims.tid, claims.sub) })).into_response()
}

async fn connect_page(State(plugin): State<Plugin>, Path((tid, sub)): Path<(String, String)>) -> Response {
    plugin.memory.connected.lock().unwrap().insert((tid, sub));
    "Connected to Reference Service".into_response()
}

async fn logout(State(plugin): State<Plugin>, headers: HeaderMap, Json(body): Json<serde_json::Value>) -> Response {
    let (claims, token) = guarded!(plugin, headers);
    if body["jwtToken"].as_str() != Some(token.as_str()) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    plugin.memory.connected.lock().unwrap().remove(&(claims.tid, claims.sub));
    StatusCode::OK.into_response()
}

async fn process(State(plugin): State<Plugin>, headers: HeaderMap, Json(body): Json<serde_json::Value>) -> Response {
    let _ = guarded!(plugin, headers);
    plugin.memory.received.lock().unwrap().push(body.clone());
    let title = body["content"]["task"]["title"].as_str().unwrap_or_default().to_owned();
    let job_id = body["jobId"].as_str().unwrap_or_default().to_owned();
    match plugin.mode {
        "async" => {
            let plugboard = plugin.memory.plugboard.lock().unwrap().clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if let Some((base, token)) = plugboard {
                    let _ = crate::support::http()
                        .post(format!("{base}/api/v1/jobs/{job_id}"))
                        .bearer_auth(token)
                        .json(&serde_json::json!({ "status": "done", "result": { "message": format!("Reviewed {title:?} later.") } }))
                        .send()
                        .await;
                }
            });
            (StatusCode::ACCEPTED, Json(serde_json::json!({ "jobId": body["jobId"] }))).into_response()
        }
        "never" => (StatusCode::ACCEPTED, Json(serde_json::json!({}))).into_response(),
        _ => Json(serde_json::json!({ "message": format!("Estimated {title:?}: 2 hours."), "hours": 2 })).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: String,
    code_challenge: String,
    code_challenge_method: String,
    scope: Option<String>,
}

/// Approves at once (the person is assumed signed in at the service), or declines when
/// the scopes ask for `deny`.
async fn oauth_authorize(State(memory): State<Arc<Memory>>, Query(q): Query<AuthorizeQuery>) -> Response {
    if q.client_id != SERVICE_CLIENT_ID || q.code_challenge_method != "S256" {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let mut target = url::Url::parse(&q.redirect_uri).unwrap();
    if q.scope.as_deref().unwrap_or_default().split(' ').any(|s| s == "deny") {
        target.query_pairs_mut().append_pair("error", "access_denied").append_pair("state", &q.state);
    } else {
        let code = format!("svc_code_{}", memory.issued.fetch_add(1, Ordering::SeqCst));
        memory.codes.lock().unwrap().insert(code.clone(), (q.code_challenge, q.redirect_uri.clone()));
        target.query_pairs_mut().append_pair("code", &code).append_pair("state", &q.state);
    }
    Redirect::to(target.as_str()).into_response()
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(serde_json::json!({ "error": error }))).into_response()
}

async fn oauth_token(State(memory): State<Arc<Memory>>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    use base64::Engine;
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    if basic.as_deref() != Some(&format!("{SERVICE_CLIENT_ID}:{SERVICE_CLIENT_SECRET}")) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    memory.grants.lock().unwrap().push(grant.clone());
    let valid = match grant.as_str() {
        "authorization_code" => {
            let issued = form.get("code").and_then(|c| memory.codes.lock().unwrap().remove(c));
            issued.is_some_and(|(challenge, redirect_uri)| {
                form.get("redirect_uri") == Some(&redirect_uri)
                    && form.get("code_verifier").is_some_and(|v| pkce::verifier_matches(v, &challenge))
            })
        }
        // Refresh tokens rotate: each works once.
        "refresh_token" => form.get("refresh_token").is_some_and(|r| memory.refresh_tokens.lock().unwrap().remove(r)),
        _ => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    };
    if !valid {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let n = memory.issued.fetch_add(1, Ordering::SeqCst);
    let refresh = format!("svc_rt_{n}");
    memory.refresh_tokens.lock().unwrap().insert(refresh.clone());
    Json(serde_json::json!({
        "access_token": format!("svc_at_{n}"),
        "token_type": "bearer",
        "expires_in": memory.expires_in.load(Ordering::SeqCst),
        "refresh_token": refresh,
        "scope": "tasks profile",
    }))
    .into_response()
}
