//! Reuse detection made visible (issue 20): a grant revoked because one of its tokens was
//! presented twice says so at the token endpoint (to its own client only), the plugin
//! hears `grant.revoked`, its developer's console lists every refused code and refresh
//! token with time and installation, and the installing organisation's owners and admins
//! see "Reconnect needed" until a new consent brings a new grant.

use crate::events::Schemas;
use crate::support::plugins::published;
use crate::support::receiver::Receiver;
use crate::support::reference_plugin::Reference;
use crate::support::{Backend, PluginSpec, TestApp, TestPlugin};
use app::domain::{InstallStats, TokenFailure};
use serde_json::Value;

/// Demo data; "sync-robot" (reads projects, webhook to a receiver) published by the demo
/// developer and installed in Acme by its admin, `plugin.installed` received.
async fn installed(backend: Backend) -> (TestApp, TestPlugin, Receiver, reqwest::Client, Value) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    let receiver = Receiver::always(204).await;
    let spec = PluginSpec::new("sync-robot").scopes("read:projects").webhook(receiver.url.clone());
    let plugin = published(&app, &reference, spec, &[]).await;
    let admin = app.sign_in("admin@acme.test").await;
    let tokens = plugin.install_and_exchange(&app, &admin, "read:projects").await;
    assert_eq!(receiver.wait_for(1).await[0].json()["type"], "plugin.installed");
    (app, plugin, receiver, admin, tokens)
}

/// The token endpoint's error and its description.
async fn refusal(res: reqwest::Response) -> (u16, String, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (status, body["error"].as_str().unwrap().to_owned(), body["error_description"].as_str().unwrap().to_owned())
}

async fn token_health(app: &TestApp) -> app::domain::TokenHealth {
    let developer = app.sign_in("developer@partners.test").await;
    let res = app.rpc(&developer, "plugin_stats", &[("slug", "sync-robot")]).await;
    assert_eq!(res.status(), 200);
    let stats: InstallStats = res.json().await.unwrap();
    stats.token_health
}

fn refresh_token(tokens: &Value) -> &str {
    tokens["refresh_token"].as_str().unwrap()
}

const GENERIC: &str = "The authorization code or refresh token is invalid, expired, revoked, or was issued to another client.";

async fn a_reused_refresh_token_is_told_to_the_plugin_its_developer_and_the_admins(backend: Backend) {
    let (app, plugin, receiver, admin, first) = installed(backend).await;
    let installation = app.installation_id("sync-robot", "admin@acme.test").await;
    let res = plugin.refresh(&app, refresh_token(&first)).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    let (_, html) = app.get_html(&admin, "/installed").await;
    assert!(html.contains("data-installed=\"sync-robot\"") && !html.contains("reconnect-needed"), "nothing to reconnect yet");

    // The rotated-away token again: the grant dies, and the plugin is told why.
    let (status, error, description) = refusal(plugin.refresh(&app, refresh_token(&first)).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_grant"));
    assert!(description.contains("revoked because one of its refresh tokens was presented after it had been used"), "{description}");
    assert!(description.contains("reconnect"), "{description}");
    // The grant's newest token now gets the same reason (the plugin may only see this one).
    let (_, _, again) = refusal(plugin.refresh(&app, refresh_token(&second)).await).await;
    assert_eq!(again, description);
    assert!(!plugin.is_active(&app, second["access_token"].as_str().unwrap()).await);
    // Another plugin presenting it learns nothing.
    let other = app.register(PluginSpec::new("other-robot").scopes("read:projects")).await;
    let (_, error, told) = refusal(other.refresh(&app, refresh_token(&second)).await).await;
    assert_eq!((error.as_str(), told.as_str()), ("invalid_grant", GENERIC));

    // grant.revoked reaches the plugin, once, and fits the published schema.
    let received = receiver.wait_for(2).await;
    let event = received[1].json();
    assert_eq!(event["type"], "grant.revoked");
    assert_eq!(event["data"]["reason"], "refresh_token_reused");
    assert_eq!(event["data"]["installation_id"], installation.get());
    assert_eq!(Schemas::fetch(&app).await.problems(&event), Vec::<String>::new());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 2, "one event for one revocation");

    // The developer's console: the reuse, then the refused newest token, newest first.
    let health = token_health(&app).await;
    assert_eq!((health.reuse_detected, health.refresh_failures), (1, 2));
    let kinds: Vec<TokenFailure> = health.recent.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [TokenFailure::GrantRevoked, TokenFailure::RefreshReused]);
    assert!(health.recent.iter().all(|f| f.installation_id == installation && f.tenant_name == "Acme Corp"));
    // The same refusal within the minute is not written again.
    refusal(plugin.refresh(&app, refresh_token(&second)).await).await;
    assert_eq!(token_health(&app).await.recent.len(), 2);
    let developer = app.sign_in("developer@partners.test").await;
    let (_, page) = app.get_html(&developer, "/developer/plugins/sync-robot/stats").await;
    assert!(page.contains("data-testid=\"token-health\"") && page.contains("Acme Corp") && page.contains("Reuse detected"), "{page}");

    // The admins see it with a Reconnect button; a member sees it without.
    let (_, html) = app.get_html(&admin, "/installed").await;
    assert!(html.contains("data-testid=\"reconnect-needed\""), "{html}");
    assert!(html.contains("href=\"/marketplace/sync-robot/install\" class=\"button primary\">Reconnect</a>"), "the Reconnect button runs the hand-over again");
    let member = app.sign_in("member@acme.test").await;
    let (_, html) = app.get_html(&member, "/installed").await;
    assert!(html.contains("data-testid=\"reconnect-needed\"") && !html.contains(">Reconnect</a>"), "{html}");

    // Reconnecting: a new consent and code bring a new grant; the notice goes.
    let third = plugin.install_and_exchange(&app, &admin, "read:projects").await;
    assert!(plugin.is_active(&app, third["access_token"].as_str().unwrap()).await);
    assert_eq!(plugin.refresh(&app, refresh_token(&third)).await.status(), 200);
    let (_, html) = app.get_html(&admin, "/installed").await;
    assert!(!html.contains("reconnect-needed"), "{html}");
}

async fn a_replayed_code_is_told_and_recorded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    let receiver = Receiver::always(204).await;
    let plugin = published(&app, &reference, PluginSpec::new("sync-robot").scopes("read:projects").webhook(receiver.url.clone()), &[]).await;
    let admin = app.sign_in("admin@acme.test").await;
    let code = plugin.install(&app, &admin, "read:projects").await;
    assert_eq!(plugin.exchange(&app, &code).await.status(), 200);
    let (status, error, description) = refusal(plugin.exchange(&app, &code).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_grant"));
    assert!(description.contains("its authorization code was presented a second time"), "{description}");
    let received = receiver.wait_for(2).await;
    assert_eq!(received[1].json()["data"]["reason"], "authorization_code_reused");
    let health = token_health(&app).await;
    assert_eq!((health.reuse_detected, health.refresh_failures), (1, 0));
    assert_eq!(health.recent[0].kind, TokenFailure::CodeReused);
    let (_, html) = app.get_html(&admin, "/installed").await;
    assert!(html.contains("data-testid=\"reconnect-needed\""), "{html}");
}

async fn expired_and_too_wide_refreshes_are_recorded_without_a_reconnect(backend: Backend) {
    let (app, plugin, receiver, admin, first) = installed(backend).await;
    let res = plugin.token(&app, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token(&first)), ("scope", "read:projects read:tasks")]).await;
    assert_eq!(refusal(res).await.1, "invalid_scope");
    sqlx::query("UPDATE oauth_tokens SET expires_at = $1 WHERE kind = 'refresh'").bind(app::server::now() - 1).execute(app.db.pool()).await.unwrap();
    let (_, error, description) = refusal(plugin.refresh(&app, refresh_token(&first)).await).await;
    assert_eq!((error.as_str(), description.as_str()), ("invalid_grant", GENERIC));
    let health = token_health(&app).await;
    assert_eq!((health.reuse_detected, health.refresh_failures), (0, 2));
    let kinds: Vec<TokenFailure> = health.recent.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [TokenFailure::Expired, TokenFailure::ScopeTooWide]);
    // Nothing was revoked: no event, nothing to reconnect.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 1);
    let (_, html) = app.get_html(&admin, "/installed").await;
    assert!(!html.contains("reconnect-needed"), "{html}");
}

async fn a_code_replayed_after_an_uninstall_is_no_reuse(backend: Backend) {
    let (app, plugin, _receiver, admin, _) = installed(backend).await;
    let code = plugin.install(&app, &admin, "read:projects").await;
    assert_eq!(plugin.exchange(&app, &code).await.status(), 200);
    let installation = app.installation_id("sync-robot", "admin@acme.test").await;
    assert_eq!(app.rpc(&admin, "uninstall_plugin", &[("installation_id", &installation.get().to_string())]).await.status(), 200);
    // The grant ended with the uninstall: the replay is refused, and not called a reuse.
    let (status, error, description) = refusal(plugin.exchange(&app, &code).await).await;
    assert_eq!((status, error.as_str(), description.as_str()), (400, "invalid_grant", GENERIC));
    assert_eq!(token_health(&app).await.reuse_detected, 0);
}

crate::on_both_databases!(
    a_code_replayed_after_an_uninstall_is_no_reuse,
    a_reused_refresh_token_is_told_to_the_plugin_its_developer_and_the_admins,
    a_replayed_code_is_told_and_recorded,
    expired_and_too_wide_refreshes_are_recorded_without_a_reconnect,
);
