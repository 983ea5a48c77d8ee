//! Webhook delivery benchmark (issue 19), the worker's own run loop against local
//! receivers on loopback, on SQLite and on PostgreSQL:
//! - throughput: `--events` signed deliveries queued at once for `--plugins` plugins,
//!   each installed in `--tenants` tenants, drained by one worker;
//! - isolation: while one plugin's endpoint hangs past the timeout (its installations
//!   with events queued), the delivery latency of another plugin's events, each queued
//!   on its own as a write would queue it.
//!
//!     cargo bench -p server --bench webhooks -- [--events 4000] [--plugins 8] [--tenants 8] [--db sqlite|postgres|both]

use app::domain::{InstallationId, PluginId, TenantId};
use app::server::webhooks::worker::{Worker, WorkerConfig};
use app::server::webhooks::{self, ConfigUpdatedData, Data, Recipient};
use app::server::{now, outbound, Db};
use server::fixtures::{self, PluginSpec};
use server::{open_database, Config};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{engine_name, report, scratch, Flags};

mod support;

/// What the receivers saw: how many deliveries, and when each numbered one arrived.
#[derive(Default)]
struct Seen {
    count: AtomicUsize,
    arrived: Mutex<HashMap<String, Instant>>,
}

/// Receivers on 127.0.0.1: `/ok/{n}` answers 204 at once, `/hang` after a minute.
async fn receivers(seen: Arc<Seen>) -> String {
    let router = axum::Router::new()
        .route(
            "/ok/{n}",
            axum::routing::post(move |body: axum::body::Bytes| {
                let seen = seen.clone();
                async move {
                    let at = Instant::now();
                    seen.count.fetch_add(1, Ordering::Relaxed);
                    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(&body) {
                        if let Some(mark) = body["data"]["changed"][0].as_str() {
                            seen.arrived.lock().expect("lock").insert(mark.to_owned(), at);
                        }
                    }
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        )
        .route(
            "/hang",
            axum::routing::post(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                axum::http::StatusCode::NO_CONTENT
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// A plugin with its webhook at `url`, installed in `tenants` tenants of its own.
async fn installed(db: &Db, slug: &str, url: String, tenants: usize) -> Vec<Recipient> {
    let plugin = PluginSpec::new(slug).webhook(url).register(db, &app::server::vault::Vault::ephemeral()).await.expect("register");
    let mut recipients = Vec::new();
    for t in 0..tenants {
        let (tenant_id, person): (TenantId, _) = fixtures::tenant_with_owner(db, &format!("{slug} {t}")).await.expect("tenant");
        let owner = fixtures::member(db, person).await.expect("sign in");
        let (installation_id, _): (InstallationId, _) = fixtures::consent_codes(db, &plugin, &owner, &plugin.scopes, 0).await.expect("installation");
        let plugin_id: PluginId = plugin.id;
        recipients.push(Recipient { installation_id, tenant_id, plugin_id });
    }
    recipients
}

/// Queues one event for `recipient` carrying `mark`, in a transaction of its own.
async fn queue(db: &Db, recipient: Recipient, mark: String) {
    let mut tx = db.begin_write().await.expect("begin");
    webhooks::enqueue(&mut tx, &Data::ConfigUpdated(ConfigUpdatedData { recipient, changed: vec![mark] }), now()).await.expect("enqueue");
    tx.commit().await.expect("commit");
}

fn worker(db: &Db, timeout: Duration) -> Worker {
    let policy = outbound::OutboundPolicy { allowlist: outbound::parse_allowlist("127.0.0.1").expect("allowlist") };
    // The fixtures register with an ephemeral vault; the signing secrets are opened with one too.
    let config = WorkerConfig { timeout, lease_secs: 60, ..WorkerConfig::default() };
    Worker::new(db.clone(), Arc::new(policy), Arc::new(app::server::vault::Vault::ephemeral()), config)
}

async fn bench(name: &str, url: &str, events: usize, plugins: usize, tenants: usize) {
    println!("\n{name}");
    let mut config = Config::for_database(url.to_owned());
    config.max_connections = 10;
    config.webhook_worker = false;
    let db = open_database(&config).await.expect("database");
    let seen = Arc::new(Seen::default());
    let base = receivers(seen.clone()).await;

    // Throughput.
    let mut recipients = Vec::new();
    for p in 0..plugins {
        recipients.extend(installed(&db, &format!("bench-hook-{p}"), format!("{base}/ok/{p}"), tenants).await);
    }
    let mut tx = db.begin_write().await.expect("begin");
    for i in 0..events {
        let recipient = recipients[i % recipients.len()];
        webhooks::enqueue(&mut tx, &Data::ConfigUpdated(ConfigUpdatedData { recipient, changed: vec![format!("t{i}")] }), now()).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let wakeup = Arc::new(tokio::sync::Notify::new());
    let started = Instant::now();
    let running = tokio::spawn(worker(&db, Duration::from_secs(15)).run(wakeup.clone()));
    while seen.count.load(Ordering::Relaxed) < events {
        assert!(started.elapsed() < Duration::from_secs(600), "the worker stalled at {} deliveries", seen.count.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    running.abort();
    let defaults = WorkerConfig::default();
    println!(
        "  throughput: {:.0} deliveries/s ({events} signed deliveries to {plugins} endpoints x {tenants} installations in {elapsed:.2} s; {} in flight, {} per endpoint)",
        events as f64 / elapsed,
        defaults.max_in_flight,
        defaults.per_endpoint
    );

    // Isolation: a hanging endpoint with a backlog, and a healthy one beside it.
    let timeout = Duration::from_secs(3);
    let stuck = installed(&db, "bench-stuck", format!("{base}/hang"), 64).await;
    let backlog = 640;
    for (i, recipient) in stuck.iter().cycle().take(backlog).enumerate() {
        queue(&db, *recipient, format!("stuck{i}")).await;
    }
    let healthy = installed(&db, "bench-healthy", format!("{base}/ok/healthy"), 4).await;
    let running = tokio::spawn(worker(&db, timeout).run(wakeup.clone()));
    let mut queued_at = HashMap::new();
    let rounds = 100;
    for i in 0..rounds {
        let mark = format!("h{i}");
        queued_at.insert(mark.clone(), Instant::now());
        queue(&db, healthy[i % healthy.len()], mark).await;
        wakeup.notify_one();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let waited = Instant::now();
    let samples = loop {
        let arrived = seen.arrived.lock().expect("lock");
        let samples: Vec<Duration> = queued_at.iter().filter_map(|(mark, at)| arrived.get(mark).map(|got| got.duration_since(*at))).collect();
        if samples.len() == rounds || waited.elapsed() > Duration::from_secs(60) {
            break samples;
        }
        drop(arrived);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    running.abort();
    assert_eq!(samples.len(), rounds, "every healthy delivery arrives");
    report(&format!("healthy latency, 1 endpoint hanging ({}s timeout, {backlog} queued)", timeout.as_secs()), samples);

    db.close().await;
}

#[tokio::main]
async fn main() {
    let flags = Flags::from_env();
    let events = flags.value("--events", 4000usize);
    let plugins = flags.value("--plugins", 8usize);
    let tenants = flags.value("--tenants", 8usize);
    println!("Plugboard webhook benchmark: {events} events, {plugins} endpoints x {tenants} installations");
    for engine in flags.engines() {
        let db = scratch(engine).await;
        bench(engine_name(engine), &db.url, events, plugins, tenants).await;
        db.remove().await;
    }
}
