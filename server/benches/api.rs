//! REST API throughput: requests per second of `GET /api/v1/installation` with a Bearer
//! token (token lookup, rate-limit count, installation read) and of
//! `GET /api/v1/installation/settings` (the same, then the settings read against the live
//! schema and a secret opened) next to `GET /healthz` (a database ping) on the same
//! server, over loopback, on SQLite and on PostgreSQL.
//!
//!     cargo bench -p server --bench api -- [--seconds 5] [--connections 32] [--db sqlite|postgres|both]

use server::fixtures;
use server::{open_database, Config};
use support::{engine_name, load, load_client, scratch, start_server, Flags};

mod support;

/// Settings of a typical integration: a project, a channel, a secret, a choice, a number.
const SETTINGS: &str = r#"{"type": "object", "properties": {
    "channel": {"type": "string", "pattern": "^#[a-z0-9-]+$", "maxLength": 80},
    "api_key": {"type": "string", "x-secret": true},
    "digest": {"type": "string", "enum": ["daily", "hourly"], "default": "daily"},
    "max_items": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
    "required": ["channel", "api_key"]}"#;

/// An access token of a fresh installation, issued as the token endpoint would, whose
/// settings are saved (the secret sealed with the server's vault).
async fn access_token(db: &app::server::Db, vault: &app::server::vault::Vault) -> String {
    let plugin = fixtures::PluginSpec::new("bench-api").settings(SETTINGS).register(db, vault).await.expect("plugin");
    let (_, person) = fixtures::tenant_with_owner(db, "Bench").await.expect("tenant");
    let owner = fixtures::member(db, person).await.expect("sign in");
    let token = fixtures::install(db, &plugin, &owner, &plugin.scopes).await.expect("install").1.access_token;
    let values = [("channel", "#releases"), ("api_key", "sk_bench_0001"), ("max_items", "50")];
    let input = app::server::settings::SettingsInput { values: values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..Default::default() };
    let slug = app::domain::PluginSlug::parse("bench-api").expect("slug");
    app::server::settings::save(db, vault, &owner, &slug, &input, app::server::now()).await.expect("settings");
    token
}

#[tokio::main]
async fn main() {
    let flags = Flags::from_env();
    let seconds = flags.value("--seconds", 5u64);
    let connections = flags.value("--connections", 32usize);
    println!("Plugboard API benchmark: {connections} connections, {seconds} s per endpoint, client and server on this machine");
    for engine in flags.engines() {
        let db_scratch = scratch(engine).await;
        let mut config = Config::for_database(db_scratch.url.clone());
        config.max_connections = 16;
        config.api_requests_per_minute = i64::MAX / 2;
        config.webhook_worker = false;
        let db = open_database(&config).await.expect("database");
        let token = access_token(&db, &config.vault).await;
        let server = start_server(&config, &db).await;
        let base = &server.base;
        let http = load_client(connections);
        let (health_url, api_url) = (format!("{base}/healthz"), format!("{base}/api/v1/installation"));
        let settings_url = format!("{base}/api/v1/installation/settings");
        // Warm up every path.
        load(&http, &health_url, None, 1, connections).await;
        load(&http, &api_url, Some(&token), 1, connections).await;
        load(&http, &settings_url, Some(&token), 1, connections).await;
        let health = load(&http, &health_url, None, seconds, connections).await.per_second;
        let api = load(&http, &api_url, Some(&token), seconds, connections).await.per_second;
        let settings = load(&http, &settings_url, Some(&token), seconds, connections).await.per_second;
        println!("\n{}", engine_name(engine));
        println!("  GET /healthz                                {health:>8.0} req/s");
        println!("  GET /api/v1/installation (Bearer)           {api:>8.0} req/s   ({:.0}% of /healthz)", 100.0 * api / health);
        println!("  GET /api/v1/installation/settings (Bearer)  {settings:>8.0} req/s   ({:.0}% of /installation)", 100.0 * settings / api);
        drop(server);
        db.close().await;
        db_scratch.remove().await;
    }
}
