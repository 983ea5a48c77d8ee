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
use std::sync::Arc;
use std::time::Duration;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const CLIENT_ID: &str = "pbc_fixture";

/// The reference plugin server's check: a valid JWT for this plugin, or 401.
fn authorised(headers: &HeaderMap) -> Result<jwt::HostClaims, Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| StatusCode::UNAUTHORIZED.into_response())?;
    jwt::verify(SECRET, token, CLIENT_ID, app::server::now()).map_err(|_| StatusCode::UNAUTHORIZED.into_response())
}

async fn license(State(mode): State<&'static str>, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let claims = match authorised(&headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    match mode {
        "ok" => Json(serde_json::json!({
            "licenseStatus": false,
            "licenseStatusDescription": format!("**Expired** for tenant {} ({slug})", claims.tid),
            "errorMessage": "Renew at https://robot.example.com/billing",
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

async fn check_auth(headers: HeaderMap) -> Response {
    match authorised(&headers) {
        Ok(_) => Json(serde_json::json!({ "successful": true })).into_response(),
        Err(r) => r,
    }
}

async fn auth_url(headers: HeaderMap) -> Response {
    match authorised(&headers) {
        Ok(_) => Json(serde_json::json!({ "authUrl": "https://robot.example.com/oauth/start" })).into_response(),
        Err(r) => r,
    }
}

async fn logout(headers: HeaderMap, Json(body): Json<serde_json::Value>) -> Response {
    let header_token = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    match authorised(&headers) {
        Ok(_) if header_token.ends_with(body["jwtToken"].as_str().unwrap_or("-")) => StatusCode::OK.into_response(),
        Ok(_) => StatusCode::BAD_REQUEST.into_response(),
        Err(r) => r,
    }
}

/// A reference plugin server behaving as `mode` under `/{mode}`.
async fn fixture() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut router = Router::new();
    for mode in ["ok", "garbage", "shape", "fail", "slow"] {
        let plugin = Router::new()
            .route("/plugins/licenseStatus/{slug}", get(license))
            .route("/plugins/checkAuth/{slug}", get(check_auth))
            .route("/plugins/generateAuthUrl/{slug}", get(auth_url))
            .route("/plugins/logout/{slug}", post(logout))
            .with_state(mode);
        router = router.nest(&format!("/{mode}"), plugin);
    }
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    base
}

fn servers(timeout: Duration) -> PluginServers {
    PluginServers::new(Arc::new(OutboundPolicy { allowlist: parse_allowlist("127.0.0.1").unwrap() }), timeout)
}

fn target(server_url: String) -> Target {
    Target { server_url, slug: "robot".into(), client_id: CLIENT_ID.into(), signing_secret: SECRET.into(), user_id: 7, tenant_id: 3 }
}

#[tokio::test]
async fn a_plugin_server_answers_calls_signed_for_it() {
    let base = fixture().await;
    let servers = servers(Duration::from_secs(2));
    let now = app::server::now();
    let ok = target(format!("{base}/ok"));
    let license = servers.license_status(&ok, now).await.unwrap();
    assert!(!license.license_status);
    assert_eq!(license.license_status_description, "**Expired** for tenant 3 (robot)");
    assert_eq!(license.error_message.as_deref(), Some("Renew at https://robot.example.com/billing"));
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
    let base = fixture().await;
    let servers = servers(Duration::from_millis(800));
    let now = app::server::now();
    let down = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        format!("http://{addr}")
    };
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
