//! Calls to a plugin server (DESIGN.md §6) against a real HTTP server on 127.0.0.1 that
//! checks the JWT as a plugin would, and one that is down, slow or talks nonsense.

use app::server::outbound::{parse_allowlist, OutboundPolicy};
use app::server::plugin_servers::client::{CallError, PluginServers, Target};
use crate::support::{closed_port, Backend, Options, TestApp};
use crate::support::{published_and_installed, PluginSpec};
use crate::support::reference_plugin::{Reference, CLIENT_ID, SECRET};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

fn servers(timeout: Duration) -> PluginServers {
    PluginServers::new(Arc::new(OutboundPolicy { allowlist: parse_allowlist("127.0.0.1").unwrap() }), timeout)
}

fn target(server_url: String) -> Target {
    Target { server_url, slug: "robot".into(), client_id: CLIENT_ID.into(), signing_secret: SECRET.into(), user_id: 7, tenant_id: 3 }
}

#[tokio::test]
async fn a_plugin_server_answers_calls_signed_for_it() {
    let reference = Reference::start().await;
    let servers = servers(Duration::from_secs(2));
    let now = app::server::now();
    let ok = target(reference.url("ok"));
    let license = servers.license_status(&ok, now).await.unwrap();
    assert!(!license.license_status);
    assert!(license.license_status_description.starts_with("**Expired** for tenant 3 (robot)."));
    assert_eq!(license.error_message.as_deref(), Some("Card declined"));
    assert!(!servers.check_auth(&ok, now).await.unwrap());
    assert_eq!(servers.auth_url(&ok, now).await.unwrap(), format!("{}/ok/connect/3/7", reference.base));
    servers.logout(&ok, now).await.unwrap();

    // Signed with another secret, or for another plugin, the plugin refuses it.
    let forged = Target { signing_secret: "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(), ..ok.clone() };
    assert_eq!(servers.check_auth(&forged, now).await, Err(CallError::Status(401)));
    let other = Target { client_id: "pbc_other".into(), ..ok.clone() };
    assert_eq!(servers.check_auth(&other, now).await, Err(CallError::Status(401)));
}

#[tokio::test]
async fn every_failure_is_a_clear_message_in_bounded_time() {
    let reference = Reference::start().await;
    let base = reference.base.clone();
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

fn license_html(html: &str) -> &str {
    let start = html.find("data-testid=\"license\"").expect("a license section");
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

async fn the_installed_page_shows_paid_plugins_licenses(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    let server_url = reference.url("ok");
    published_and_installed(&app, &reference, PluginSpec::new("robot").scopes("read:projects"), &[("form[server_url]", &server_url), ("form[monetized]", "true")]).await;

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
    assert_eq!(reference.memory.license_hits.load(Ordering::SeqCst), 1);
}

async fn a_down_plugin_server_leaves_the_page_working(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    let down = closed_port();
    published_and_installed(&app, &reference, PluginSpec::new("robot").scopes("read:projects"), &[("form[server_url]", &down), ("form[monetized]", "true")]).await;
    let admin = app.sign_in("admin@acme.test").await;
    let (status, html) = app.get_html(&admin, "/installed").await;
    assert_eq!(status, 200);
    let license = license_html(&html);
    assert!(license.contains("License status unavailable"), "{license}");
    assert!(license.contains("cannot be reached"), "{license}");
}

crate::on_both_databases!(the_installed_page_shows_paid_plugins_licenses, a_down_plugin_server_leaves_the_page_working);
