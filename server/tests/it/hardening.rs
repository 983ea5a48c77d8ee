//! Protections that are about no one feature: every request's time limit, and secrets
//! that the database alone does not give away.

use crate::support::{Backend, Options, TestApp};
use crate::support::{published_and_installed, PluginSpec};
use crate::support::reference_plugin::Reference;
use std::time::{Duration, Instant};

/// A page whose render waits on something that does not answer (here a paid plugin's
/// server, 3 s late) gets a 503 page at the time limit, never a silent hang; the server
/// goes on answering.
async fn a_page_past_its_time_limit_is_a_503_page(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, request_timeout_secs: 1, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    let slow = reference.url("slow");
    published_and_installed(&app, &reference, PluginSpec::new("robot").scopes("read:projects"), &[("form[server_url]", &slow), ("form[monetized]", "true")]).await;
    let admin = app.sign_in("admin@acme.test").await;
    let started = Instant::now();
    let res = admin.get(app.url("/installed")).send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "5");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("took too long"));
    assert!(took < Duration::from_millis(2_500), "answered at the limit, not when the server answered: {took:?}");
    // Other requests were never held up.
    assert_eq!(crate::support::get(app.url("/healthz")).await.unwrap().status(), 200);
}

/// Plugins' `whsec_` signing secrets were stored in plain: with the database alone a
/// thief could forge webhooks and plugin-server JWTs for every tenant.
async fn signing_secrets_are_sealed_at_rest(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let plugin = app.register(PluginSpec::new("task-sync").scopes("read:projects").webhook("https://task-sync.example.com/hooks")).await;
    let developer = app.sign_in("developer@partners.test").await;
    let rotated: app::domain::ShownSecrets = {
        sqlx::query("UPDATE plugins SET developer_id = (SELECT id FROM users WHERE email = 'developer@partners.test') WHERE slug = 'task-sync'")
            .execute(app.db.pool())
            .await
            .unwrap();
        let res = app.rpc(&developer, "rotate_secret", &[("slug", "task-sync"), ("secret", "webhook")]).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    };
    for secret in [plugin.creds.webhook_secret.clone().unwrap(), rotated.webhook_secret.clone().unwrap()] {
        let base64_part = secret.trim_start_matches("whsec_").to_owned();
        let stored: Vec<String> = sqlx::query_scalar("SELECT COALESCE(webhook_secret, '') FROM plugins").fetch_all(app.db.pool()).await.unwrap();
        assert!(stored.iter().all(|s| !s.contains(&base64_part)), "{secret} is stored in plain");
        if matches!(backend, Backend::Sqlite) {
            // The file itself (and its write-ahead log): no copy anywhere.
            let path = app.database_url().trim_start_matches("sqlite://").split('?').next().unwrap().to_owned();
            for file in [path.clone(), format!("{path}-wal")] {
                if let Ok(bytes) = std::fs::read(&file) {
                    let text = String::from_utf8_lossy(&bytes);
                    assert!(!text.contains(&base64_part), "{file} holds {secret}");
                }
            }
        }
    }
    // Plugboard itself still opens it: the hand-over is signed with the rotated secret.
    let admin = app.sign_in("admin@acme.test").await;
    let res = admin.get(app.url("/marketplace/task-sync/install")).send().await.unwrap();
    let token = crate::support::query_of(res.headers()["location"].to_str().unwrap())["install_token"].clone();
    let secret = rotated.webhook_secret.unwrap();
    let claims = app::server::plugin_servers::jwt::HandoverClaims::verify(&secret, &token, &plugin.creds.client_id, &app.base, app::server::now());
    assert!(claims.is_ok(), "{claims:?}");
}

/// Over https, browsers are told to stay on https; over plain http (development) not.
async fn https_deployments_send_strict_transport_security(backend: Backend) {
    let secure = TestApp::spawn_with(backend, Options { secure_cookies: true, ..Options::default() }).await;
    for path in ["/marketplace", "/healthz", "/api/v1/openapi.json"] {
        let res = crate::support::get(secure.url(path)).await.unwrap();
        assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains", "{path}");
    }
    let plain = TestApp::spawn(backend).await;
    let res = crate::support::get(plain.url("/marketplace")).await.unwrap();
    assert!(res.headers().get("strict-transport-security").is_none());
}

crate::on_both_databases!(
    a_page_past_its_time_limit_is_a_503_page,
    signing_secrets_are_sealed_at_rest,
    https_deployments_send_strict_transport_security
);
