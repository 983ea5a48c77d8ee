//! Authorization server benchmark, through the real HTTP server on loopback:
//! token-endpoint grants per second (authorization-code exchanges and refreshes, with
//! PKCE, client authentication and rotation), on SQLite and on PostgreSQL. The webhook
//! worker has its own (`--bench webhooks`).
//!
//!     cargo bench -p server --bench oauth -- [--grants 2000] [--concurrency 16] [--db sqlite|postgres|both]

use app::server::registry::Credentials;
use app::server::Db;
use futures::stream::{self, StreamExt};
use server::fixtures::{self, FixturePlugin, PluginSpec, VERIFIER};
use server::{open_database, Config};
use std::time::{Duration, Instant};
use support::{engine_name, report, scratch, start_server, Flags};

mod support;

const SCOPES: &str = "read:projects write:tasks";

async fn register(db: &Db, slug: &str) -> FixturePlugin {
    PluginSpec::new(slug).scopes(SCOPES).register(db, &app::server::vault::Vault::ephemeral()).await.expect("register")
}

/// Installations the exchange phase spreads its codes over: a real plugin's codes are one
/// per installation, and every exchange locks its installation's row.
const EXCHANGE_INSTALLATIONS: usize = 64;

/// `n` codes spread over `installations` installations (each in a tenant of its own),
/// interleaved, issued the way the consent screen issues them.
async fn issue_codes_spread(db: &Db, plugin: &FixturePlugin, n: usize, installations: usize) -> Vec<String> {
    let mut per_installation = Vec::with_capacity(installations);
    for i in 0..installations {
        let (_, person) = fixtures::tenant_with_owner(db, &format!("Bench {} {i}", plugin.creds.slug)).await.expect("tenant");
        let owner = fixtures::member(db, person).await.expect("sign in");
        let count = n / installations + usize::from(i < n % installations);
        per_installation.push(fixtures::consent_codes(db, plugin, &owner, &plugin.scopes, count).await.expect("codes").1);
    }
    let mut codes = Vec::with_capacity(n);
    for round in 0.. {
        let before = codes.len();
        codes.extend(per_installation.iter().filter_map(|c| c.get(round).cloned()));
        if codes.len() == before {
            break;
        }
    }
    codes
}

async fn post_token(http: &reqwest::Client, url: &str, creds: &Credentials, form: &[(&str, &str)]) -> (Duration, serde_json::Value) {
    let started = Instant::now();
    let res = http.post(url).basic_auth(&creds.client_id, Some(&creds.client_secret)).form(form).send().await.expect("token request");
    assert_eq!(res.status(), 200, "token endpoint");
    let body = res.json().await.expect("token JSON");
    (started.elapsed(), body)
}

async fn bench(name: &str, url: &str, grants_n: usize, concurrency: usize) {
    println!("\n{name}");
    let mut config = Config::for_database(url.to_owned());
    config.max_connections = 10;
    config.webhook_worker = false;
    let db = open_database(&config).await.expect("database");
    let server = start_server(&config, &db).await;
    let base = &server.base;
    let token_url = format!("{base}/oauth/token");
    // Every request has a time limit: a stalled server fails the bench, never hangs it.
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().expect("HTTP client");

    // Code exchanges.
    let plugin = register(&db, "bench-exchange").await;
    let codes = issue_codes_spread(&db, &plugin, grants_n, EXCHANGE_INSTALLATIONS).await;
    let (creds, redirect_uri) = (&plugin.creds, plugin.redirect_uri.as_str());
    let started = Instant::now();
    let samples: Vec<Duration> = stream::iter(codes.iter())
        .map(|code| {
            let (http, url) = (&http, &token_url);
            async move {
                post_token(http, url, creds, &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri), ("code_verifier", VERIFIER)])
                    .await
                    .0
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    println!("  code exchange: {:.0} grants/s ({grants_n} in {elapsed:.2} s, {concurrency} concurrent)", grants_n as f64 / elapsed);
    report("code exchange latency", samples);

    // Refreshes: `grants_n` grants (one per installation, as a plugin with many
    // installations refreshes each about hourly), each rotated once, `concurrency` at a
    // time. A grant refreshing in a loop is throttled (30 a minute), so that is no model.
    let plugin = register(&db, "bench-refresh").await;
    let codes = issue_codes_spread(&db, &plugin, grants_n, EXCHANGE_INSTALLATIONS).await;
    let (creds, redirect_uri) = (&plugin.creds, plugin.redirect_uri.as_str());
    let refresh_tokens: Vec<String> = stream::iter(codes.iter())
        .map(|code| {
            let (http, url) = (&http, &token_url);
            async move {
                let (_, body) = post_token(http, url, creds, &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri), ("code_verifier", VERIFIER)]).await;
                body["refresh_token"].as_str().expect("a refresh token in the token answer").to_owned()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let started = Instant::now();
    let samples: Vec<Duration> = stream::iter(refresh_tokens.iter())
        .map(|refresh| {
            let (http, url) = (&http, &token_url);
            async move { post_token(http, url, creds, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await.0 }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    println!("  refresh (rotating): {:.0} grants/s ({} in {elapsed:.2} s, {concurrency} concurrent)", samples.len() as f64 / elapsed, samples.len());
    report("refresh latency", samples);

    drop(server);
    db.close().await;
}

#[tokio::main]
async fn main() {
    let flags = Flags::from_env();
    let grants_n = flags.value("--grants", 2000usize);
    let concurrency = flags.value("--concurrency", 16usize);
    println!("Plugboard OAuth benchmark: {grants_n} grants per kind, {concurrency} concurrent clients");
    for engine in flags.engines() {
        let db = scratch(engine).await;
        bench(engine_name(engine), &db.url, grants_n, concurrency).await;
        db.remove().await;
    }
}
