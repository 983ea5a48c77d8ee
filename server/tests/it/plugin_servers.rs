//! Calls to a plugin server (DESIGN.md §6) against a real HTTP server on 127.0.0.1 that
//! checks the JWT as a plugin would, and one that is down, slow or talks nonsense.

use app::server::outbound::{parse_allowlist, OutboundPolicy};
use app::server::plugin_servers::client::{CallError, PluginServers, Target};
use app::server::plugin_servers::jwt;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use crate::common::{Backend, Options, TestApp};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const CLIENT_ID: &str = "pbc_fixture";

/// What the reference plugin server knows of itself: the secret and client id it checks
/// JWTs with (a test can hand it a registered plugin's), and how often it was asked.
#[derive(Clone)]
struct Plugin {
    mode: &'static str,
    creds: Arc<Mutex<(String, String)>>,
    hits: Arc<AtomicUsize>,
}

/// The reference plugin server's check: a valid JWT for this plugin, or 401.
fn authorised(plugin: &Plugin, headers: &HeaderMap) -> Result<jwt::HostClaims, Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| StatusCode::UNAUTHORIZED.into_response())?;
    let (secret, client_id) = plugin.creds.lock().unwrap().clone();
    jwt::verify(&secret, token, &client_id, app::server::now()).map_err(|_| StatusCode::UNAUTHORIZED.into_response())
}

async fn license(State(plugin): State<Plugin>, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    plugin.hits.fetch_add(1, Ordering::SeqCst);
    let claims = match authorised(&plugin, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    match plugin.mode {
        "ok" => Json(serde_json::json!({
            "licenseStatus": false,
            "licenseStatusDescription": format!("**Expired** for tenant {} ({slug}). [Renew](https://robot.example.com/billing)<script>alert(1)</script>", claims.tid),
            "errorMessage": "Card declined",
        }))
        .into_response(),
        "garbage" => "<html>not json</html>".into_response(),
        "shape" => Json(serde_json::json!({ "status": "fine" })).into_response(),
        "fail" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Json(serde_json::json!({ "licenseStatus": true })).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn check_auth(State(plugin): State<Plugin>, headers: HeaderMap) -> Response {
    match authorised(&plugin, &headers) {
        Ok(_) => Json(serde_json::json!({ "successful": true })).into_response(),
        Err(r) => r,
    }
}

async fn auth_url(State(plugin): State<Plugin>, headers: HeaderMap) -> Response {
    match authorised(&plugin, &headers) {
        Ok(_) => Json(serde_json::json!({ "authUrl": "https://robot.example.com/oauth/start" })).into_response(),
        Err(r) => r,
    }
}

async fn logout(State(plugin): State<Plugin>, headers: HeaderMap, Json(body): Json<serde_json::Value>) -> Response {
    let header_token = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    match authorised(&plugin, &headers) {
        Ok(_) if header_token.ends_with(body["jwtToken"].as_str().unwrap_or("-")) => StatusCode::OK.into_response(),
        Ok(_) => StatusCode::BAD_REQUEST.into_response(),
        Err(r) => r,
    }
}

struct Fixture {
    base: String,
    creds: Arc<Mutex<(String, String)>>,
    hits: Arc<AtomicUsize>,
}

/// A reference plugin server behaving as `mode` under `/{mode}`.
async fn fixture() -> Fixture {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let creds = Arc::new(Mutex::new((SECRET.to_owned(), CLIENT_ID.to_owned())));
    let hits = Arc::new(AtomicUsize::new(0));
    let mut router = Router::new();
    for mode in ["ok", "garbage", "shape", "fail", "slow"] {
        let plugin = Router::new()
            .route("/plugins/licenseStatus/{slug}", get(license))
            .route("/plugins/checkAuth/{slug}", get(check_auth))
            .route("/plugins/generateAuthUrl/{slug}", get(auth_url))
            .route("/plugins/logout/{slug}", post(logout))
            .with_state(Plugin { mode, creds: creds.clone(), hits: hits.clone() });
        router = router.nest(&format!("/{mode}"), plugin);
    }
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Fixture { base, creds, hits }
}

/// The address of a port nothing listens on: a plugin server that is down.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

fn servers(timeout: Duration) -> PluginServers {
    PluginServers::new(Arc::new(OutboundPolicy { allowlist: parse_allowlist("127.0.0.1").unwrap() }), timeout)
}

fn target(server_url: String) -> Target {
    Target { server_url, slug: "robot".into(), client_id: CLIENT_ID.into(), signing_secret: SECRET.into(), user_id: 7, tenant_id: 3 }
}

#[tokio::test]
async fn a_plugin_server_answers_calls_signed_for_it() {
    let base = fixture().await.base;
    let servers = servers(Duration::from_secs(2));
    let now = app::server::now();
    let ok = target(format!("{base}/ok"));
    let license = servers.license_status(&ok, now).await.unwrap();
    assert!(!license.license_status);
    assert!(license.license_status_description.starts_with("**Expired** for tenant 3 (robot)."));
    assert_eq!(license.error_message.as_deref(), Some("Card declined"));
    assert!(servers.check_auth(&ok, now).await.unwrap());
    assert_eq!(servers.auth_url(&ok, now).await.unwrap(), "https://robot.example.com/oauth/start");
    servers.logout(&ok, now).await.unwrap();

    // Signed with another secret, or for another plugin, the plugin refuses it.
    let forged = Target { signing_secret: "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(), ..ok.clone() };
    assert_eq!(servers.check_auth(&forged, now).await, Err(CallError::Status(401)));
    let other = Target { client_id: "pbc_other".into(), ..ok.clone() };
    assert_eq!(servers.check_auth(&other, now).await, Err(CallError::Status(401)));
}

#[tokio::test]
async fn every_failure_is_a_clear_message_in_bounded_time() {
    let base = fixture().await.base;
    let servers = servers(Duration::from_millis(800));
    let now = app::server::now();
    let down = closed_port();
    let cases = [
        (format!("{base}/garbage"), CallError::BadAnswer),
        (format!("{base}/shape"), CallError::BadAnswer),
        (format!("{base}/fail"), CallError::Status(500)),
        (format!("{base}/missing"), CallError::Status(404)),
        (down, CallError::Unreachable),
    ];
    for (url, expected) in cases {
        assert_eq!(servers.license_status(&target(url.clone()), now).await, Err(expected), "{url}");
    }
    let started = std::time::Instant::now();
    assert_eq!(servers.license_status(&target(format!("{base}/slow")), now).await, Err(CallError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(2), "the timeout holds: {:?}", started.elapsed());

    // Only public addresses, or allowlisted ones.
    let strict = PluginServers::new(Arc::new(OutboundPolicy::default()), Duration::from_secs(1));
    assert!(matches!(strict.license_status(&target(format!("{base}/ok")), now).await, Err(CallError::NotAllowed(_))));
    // A secret that cannot sign is said so, and nothing is sent.
    let unsigned = Target { signing_secret: String::new(), ..target(format!("{base}/ok")) };
    assert_eq!(servers.license_status(&unsigned, now).await, Err(CallError::CannotSign));
    for err in [CallError::Unreachable, CallError::Timeout, CallError::BadAnswer, CallError::Status(500)] {
        assert!(!err.to_string().contains("127.0.0.1"), "no internals in {err}");
    }
}

/// Registers a paid plugin with its server at `server_url`, publishes it and installs it
/// for Acme; the reference server learns the plugin's secret and client id.
async fn paid_plugin_installed_by_acme(app: &TestApp, fixture: &Fixture, server_url: &str) {
    app.seed_demo().await;
    let developer = app.sign_in("developer@partners.test").await;
    let form = [
        ("form[slug]", "robot"),
        ("form[name]", "License Robot"),
        ("form[description]", "Paid."),
        ("form[author]", "Robot Works"),
        ("form[category]", "finance"),
        ("form[redirect_uris]", "https://robot.example.com/oauth/callback"),
        ("form[scopes][0]", "read:projects"),
        ("form[server_url]", server_url),
        ("form[monetized]", "true"),
    ];
    let res = app.rpc(&developer, "create_plugin", &form).await;
    assert_eq!(res.status(), 200);
    let secrets: app::domain::ShownSecrets = res.json().await.unwrap();
    *fixture.creds.lock().unwrap() = (secrets.webhook_secret.clone().unwrap(), secrets.client_id.clone());
    app.rpc(&developer, "submit_plugin", &[("slug", "robot")]).await;
    let staff = app.sign_in("staff@plugboard.test").await;
    assert_eq!(app.rpc(&staff, "decide", &[("slug", "robot"), ("decision", "published"), ("reason", "")]).await.status(), 200);
    let plugin = crate::plugin::TestPlugin {
        creds: app::server::registry::Credentials {
            slug: "robot".into(),
            client_id: secrets.client_id.clone(),
            client_secret: secrets.client_secret.clone().unwrap(),
            webhook_secret: secrets.webhook_secret.clone(),
        },
        redirect_uri: "https://robot.example.com/oauth/callback".into(),
        other_redirect_uri: "https://robot.example.com/oauth/callback".into(),
    };
    let admin = app.sign_in("admin@acme.test").await;
    plugin.install_and_exchange(app, &admin, "read:projects").await;
}

fn license_html(html: &str) -> &str {
    let start = html.find("data-testid=\"license\"").expect("a license section");
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

async fn the_installed_page_shows_paid_plugins_licenses(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    let fixture = fixture().await;
    paid_plugin_installed_by_acme(&app, &fixture, &format!("{}/ok", fixture.base)).await;

    let admin = app.sign_in("admin@acme.test").await;
    let (status, html) = app.get_html(&admin, "/installed").await;
    assert_eq!(status, 200);
    let license = license_html(&html);
    assert!(license.contains("License not active"), "{license}");
    assert!(license.contains("<strong>Expired</strong>"), "Markdown rendered: {license}");
    assert!(license.contains("href=\"https://robot.example.com/billing\""), "links kept: {license}");
    assert!(!license.contains("<script"), "script removed: {license}");
    assert!(license.contains("Card declined"), "admins see the error message");
    let member = app.sign_in("member@acme.test").await;
    let (_, html) = app.get_html(&member, "/installed").await;
    assert!(!license_html(&html).contains("Card declined"), "members do not");
    // Answers are kept a while per organisation: the member's view and another of the
    // admin's asked nothing more.
    app.get_html(&admin, "/installed").await;
    assert_eq!(fixture.hits.load(Ordering::SeqCst), 1);
}

async fn a_down_plugin_server_leaves_the_page_working(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    let fixture = fixture().await;
    let down = closed_port();
    paid_plugin_installed_by_acme(&app, &fixture, &down).await;
    let admin = app.sign_in("admin@acme.test").await;
    let (status, html) = app.get_html(&admin, "/installed").await;
    assert_eq!(status, 200);
    let license = license_html(&html);
    assert!(license.contains("License status unavailable"), "{license}");
    assert!(license.contains("cannot be reached"), "{license}");
}

crate::on_both_databases!(the_installed_page_shows_paid_plugins_licenses, a_down_plugin_server_leaves_the_page_working);
