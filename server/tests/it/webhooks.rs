//! Lifecycle webhooks: outbox, signatures, retries, failures, restarts (DESIGN.md §8).

use crate::support::{Backend, Options, TestApp};
use crate::support::{PluginSpec, TestPlugin};
use crate::support::receiver::Receiver;
use app::server::outbound::{parse_allowlist, OutboundPolicy};
use app::server::webhooks::worker::{Worker, WorkerConfig, RETRY_SCHEDULE};
use std::sync::Arc;
use std::time::Duration;

fn manual_worker(app: &TestApp, timeout: Duration) -> Worker {
    let policy = OutboundPolicy { allowlist: parse_allowlist("127.0.0.1").unwrap() };
    Worker::new(app.db.clone(), Arc::new(policy), app.state().vault, WorkerConfig { timeout, ..WorkerConfig::default() })
}

async fn event_row(app: &TestApp) -> (String, i64, i64, i64) {
    sqlx::query_as("SELECT status, attempts, next_attempt_at, created_at FROM webhook_events ORDER BY id DESC LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn attempts(app: &TestApp) -> Vec<(i64, i64, Option<i64>, Option<String>)> {
    sqlx::query_as("SELECT attempt, attempted_at, status_code, error FROM webhook_attempts ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

async fn install_with_webhook(app: &TestApp, receiver_url: &str) -> (TestPlugin, reqwest::Client, serde_json::Value) {
    app.seed_demo().await;
    let plugin = app.register(PluginSpec::new("hooked").scopes("read:projects").webhook(receiver_url)).await;
    let admin = app.sign_in("admin@acme.test").await;
    let tokens = plugin.install_and_exchange(app, &admin, "read:projects").await;
    (plugin, admin, tokens)
}

async fn installs_and_uninstalls_are_signed_and_delivered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let receiver = Receiver::always(204).await;
    let (plugin, admin, tokens) = install_with_webhook(&app, &receiver.url).await;
    let got = receiver.wait_for(1).await;
    let installed = &got[0];
    // An independent Standard Webhooks implementation accepts the signature.
    let secret = plugin.creds.webhook_secret.clone().unwrap();
    let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
    verifier.verify(&installed.body, &installed.headers).expect("valid signature");
    let body = installed.json();
    assert_eq!(body["type"], "plugin.installed");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    let info = plugin.introspect(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(body["data"]["installation_id"], info["installation_id"]);
    assert_eq!(body["data"]["tenant_id"], info["tenant_id"]);
    assert_eq!(body["data"]["scopes"], serde_json::json!(["read:projects"]));
    assert!(installed.header("webhook-id").starts_with("msg_"));
    // A tampered body fails the same check.
    assert!(verifier.verify(b"{\"type\":\"plugin.uninstalled\"}", &installed.headers).is_err());

    let installation = info["installation_id"].as_i64().unwrap().to_string();
    assert_eq!(app.rpc(&admin, "uninstall_plugin", &[("installation_id", installation.as_str())]).await.status(), 200);
    let got = receiver.wait_for(2).await;
    verifier.verify(&got[1].body, &got[1].headers).expect("valid signature");
    assert_eq!(got[1].json()["type"], "plugin.uninstalled");
    assert_ne!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    // Every attempt is recorded.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let recorded = attempts(&app).await;
    assert_eq!(recorded.len(), 2);
    assert!(recorded.iter().all(|a| a.2 == Some(204)));
}

async fn re_consent_with_new_scopes_is_announced(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let receiver = Receiver::always(200).await;
    app.seed_demo().await;
    let plugin = app.register(PluginSpec::new("hooked").scopes("read:projects write:tasks").webhook(&receiver.url)).await;
    let admin = app.sign_in("admin@acme.test").await;
    plugin.install_and_exchange(&app, &admin, "read:projects").await;
    plugin.install_and_exchange(&app, &admin, "read:projects write:tasks").await;
    let got = receiver.wait_for(2).await;
    let updated = got[1].json();
    assert_eq!(updated["type"], "installation.scopes_updated");
    assert_eq!(updated["data"]["scopes"], serde_json::json!(["read:projects", "write:tasks"]));
    assert_eq!(updated["data"]["previous_scopes"], serde_json::json!(["read:projects"]));
    let count = app.listing("hooked").await.install_count;
    assert_eq!(count, 1, "a re-consent is not a second install");
}

/// With a test clock: the attempts follow 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h,
/// and the event fails after the eighth.
async fn retries_follow_the_schedule(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    let receiver = Receiver::always(500).await;
    install_with_webhook(&app, &receiver.url).await;
    let worker = manual_worker(&app, Duration::from_secs(5));
    let (_, _, _, created) = event_row(&app).await;
    let mut t = created;
    assert_eq!(worker.deliver_due(t).await.unwrap(), 1);
    for delay in RETRY_SCHEDULE {
        let (status, _, next, _) = event_row(&app).await;
        assert_eq!((status.as_str(), next), ("pending", t + delay));
        assert_eq!(worker.deliver_due(t + delay - 1).await.unwrap(), 0, "not before its time");
        t += delay;
        assert_eq!(worker.deliver_due(t).await.unwrap(), 1);
    }
    let (status, attempts_made, _, _) = event_row(&app).await;
    assert_eq!((status.as_str(), attempts_made), ("failed", 8));
    assert_eq!(worker.deliver_due(t + 100_000).await.unwrap(), 0, "no ninth attempt");
    let recorded = attempts(&app).await;
    assert_eq!(recorded.len(), 8);
    let mut expected = created;
    for (i, a) in recorded.iter().enumerate() {
        assert_eq!(a.0, i as i64 + 1);
        assert_eq!(a.1, expected);
        assert_eq!(a.2, Some(500));
        expected += RETRY_SCHEDULE.get(i).copied().unwrap_or(0);
    }
    // Every attempt carried the same webhook-id.
    let got = receiver.received();
    assert_eq!(got.len(), 8);
    assert!(got.iter().all(|r| r.header("webhook-id") == got[0].header("webhook-id")));
}

async fn gone_endpoints_and_five_days_of_failure_disable_delivery(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    let receiver = Receiver::always(410).await;
    let (_, _, _) = install_with_webhook(&app, &receiver.url).await;
    let worker = manual_worker(&app, Duration::from_secs(5));
    let (_, _, _, created) = event_row(&app).await;
    worker.deliver_due(created).await.unwrap();
    let (status, _, _, _) = event_row(&app).await;
    assert_eq!(status, "failed");
    let reason: Option<String> = sqlx::query_scalar("SELECT webhook_disabled_reason FROM plugins WHERE slug = 'hooked'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(reason.as_deref(), Some("The endpoint answered 410 Gone."));

    // An endpoint failing since five days ago is disabled at its next failure.
    let failing = Receiver::always(503).await;
    let other = app.register(PluginSpec::new("flaky").scopes("read:projects").webhook(&failing.url)).await;
    let admin = app.sign_in("admin@acme.test").await;
    other.install_and_exchange(&app, &admin, "read:projects").await;
    let (_, _, _, created) = event_row(&app).await;
    sqlx::query("UPDATE plugins SET webhook_failing_since = $1 WHERE slug = 'flaky'")
        .bind(created - 5 * 86_400)
        .execute(app.db.pool())
        .await
        .unwrap();
    worker.deliver_due(created).await.unwrap();
    let reason: Option<String> = sqlx::query_scalar("SELECT webhook_disabled_reason FROM plugins WHERE slug = 'flaky'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(reason.as_deref(), Some("Deliveries have failed for 5 days."));
}

async fn down_slow_and_non_public_receivers_are_retried_not_fatal(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    // Down: nothing listens on the port.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    install_with_webhook(&app, &format!("http://127.0.0.1:{port}/webhooks")).await;
    let worker = manual_worker(&app, Duration::from_millis(500));
    let (_, _, _, created) = event_row(&app).await;
    worker.deliver_due(created).await.unwrap();
    let recorded = attempts(&app).await;
    assert_eq!(recorded.last().unwrap().3.as_deref(), Some("could not connect to the endpoint"));
    assert_eq!(event_row(&app).await.0, "pending");

    // Slow: answers after the timeout, then promptly.
    let slow = Receiver::start(|n| (200, if n == 0 { Duration::from_secs(3) } else { Duration::ZERO })).await;
    sqlx::query("UPDATE plugins SET webhook_url = $1").bind(&slow.url).execute(app.db.pool()).await.unwrap();
    worker.deliver_due(created + 5).await.unwrap();
    let recorded = attempts(&app).await;
    assert_eq!(recorded.last().unwrap().3.as_deref(), Some("timed out waiting for the endpoint"));
    worker.deliver_due(created + 5 + 300).await.unwrap();
    assert_eq!(event_row(&app).await.0, "delivered");
    assert_eq!(slow.received().len(), 2);

    // Non-public: a loopback address that is not allowlisted is refused at connect time.
    let refused = Receiver::always(200).await;
    let sneaky = refused.url.replace("127.0.0.1", "127.0.0.2");
    sqlx::query("UPDATE plugins SET webhook_url = $1").bind(&sneaky).execute(app.db.pool()).await.unwrap();
    sqlx::query("UPDATE webhook_events SET status = 'pending', next_attempt_at = $1").bind(created).execute(app.db.pool()).await.unwrap();
    worker.deliver_due(created + 10_000).await.unwrap();
    let error = attempts(&app).await.last().unwrap().3.clone().unwrap();
    assert!(error.contains("non-public address 127.0.0.2"), "{error}");
    assert!(refused.received().is_empty());
}

/// The server dies while a delivery is in flight; the next one delivers the event.
async fn a_restart_mid_delivery_loses_nothing(backend: Backend) {
    let options = Options { webhook_worker: true, webhook_timeout_secs: 30, webhook_lease_secs: 2, ..Options::default() };
    let mut app = TestApp::spawn_with(backend, options.clone()).await;
    // The first request hangs far longer than the test; later ones succeed.
    let receiver = Receiver::start(|n| (200, if n == 0 { Duration::from_secs(60) } else { Duration::ZERO })).await;
    install_with_webhook(&app, &receiver.url).await;
    receiver.wait_for(1).await;
    app.restart(options).await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"), "the same event, redelivered");
    for _ in 0..100 {
        if event_row(&app).await.0 == "delivered" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the event was not marked delivered: {:?}", event_row(&app).await);
}

/// Finished deliveries older than the retention (30 days by default) go with their
/// attempts; newer ones and pending ones stay.
async fn old_deliveries_are_pruned_pending_ones_kept(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    let receiver = Receiver::always(204).await;
    let (_, admin, _) = install_with_webhook(&app, &receiver.url).await;
    let worker = manual_worker(&app, Duration::from_secs(5));
    let (_, _, _, created) = event_row(&app).await;
    assert_eq!(worker.deliver_due(created).await.unwrap(), 1);
    assert_eq!(attempts(&app).await.len(), 1);
    // A second event stays pending (nobody delivers it here).
    let installation = app.installation_id("hooked", "admin@acme.test").await.to_string();
    assert_eq!(app.rpc(&admin, "uninstall_plugin", &[("installation_id", installation.as_str())]).await.status(), 200);
    let statuses = || async {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT status FROM webhook_events ORDER BY id").fetch_all(app.db.pool()).await.unwrap();
        rows.into_iter().map(|r| r.0).collect::<Vec<_>>()
    };
    assert_eq!(statuses().await, ["delivered", "pending"]);

    const DAY: i64 = 86_400;
    assert_eq!(worker.prune_history(created + 29 * DAY).await.unwrap(), 0, "kept within the retention");
    assert_eq!(worker.prune_history(created + 31 * DAY).await.unwrap(), 1);
    assert_eq!(statuses().await, ["pending"], "a pending event is never pruned, however old");
    assert!(attempts(&app).await.is_empty(), "its attempts went with it");
}

crate::on_both_databases!(
    old_deliveries_are_pruned_pending_ones_kept,
    installs_and_uninstalls_are_signed_and_delivered,
    re_consent_with_new_scopes_is_announced,
    retries_follow_the_schedule,
    gone_endpoints_and_five_days_of_failure_disable_delivery,
    down_slow_and_non_public_receivers_are_retried_not_fatal,
    a_restart_mid_delivery_loses_nothing,
);
