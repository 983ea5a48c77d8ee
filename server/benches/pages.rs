//! Server-rendered pages at scale: throughput of `/marketplace` next to a plugin's page
//! (`/marketplace/{slug}`) with 100,000 published plugins, and the latency of a signed-in
//! search page under concurrent clients, through the real HTTP server on loopback, on
//! SQLite and on PostgreSQL.
//!
//!     cargo bench -p server --bench pages -- [--plugins 100000] [--seconds 5] [--connections 32] [--db sqlite|postgres|both]

use server::{open_database, Config};
use support::{engine_name, load, load_client, percentile, scratch, start_server, Flags, Load};

mod support;

fn line(label: &str, mut run: Load) -> f64 {
    run.samples.sort();
    println!(
        "  {label:<46} {:>7.0} pages/s   p50 {:>7.2} ms   p99 {:>7.2} ms",
        run.per_second,
        percentile(&run.samples, 0.5),
        percentile(&run.samples, 0.99)
    );
    run.per_second
}

#[tokio::main]
async fn main() {
    let flags = Flags::from_env();
    let plugins = flags.value("--plugins", 100_000usize);
    let seconds = flags.value("--seconds", 5u64);
    let connections = flags.value("--connections", 32usize);
    println!("Plugboard pages benchmark: {plugins} synthetic plugins besides the demo catalog, {connections} clients, {seconds} s a page");
    for engine in flags.engines() {
        let db_scratch = scratch(engine).await;
        let mut config = Config::for_database(db_scratch.url.clone());
        config.max_connections = 16;
        config.webhook_worker = false;
        let db = open_database(&config).await.expect("database");
        server::seed::seed_demo(&db, &config.vault).await.expect("demo seed");
        server::seed::seed_synthetic(&db, plugins).await.expect("synthetic seed");
        let server = start_server(&config, &db).await;
        let base = &server.base;

        let anonymous = load_client(connections);
        let signed_in = load_client(connections);
        let res = signed_in
            .post(format!("{base}/rpc/sign_in"))
            .header("accept", "application/json")
            .form(&[("email", "owner@acme.test"), ("password", server::seed::DEMO_PASSWORD)])
            .send()
            .await
            .expect("sign in");
        assert_eq!(res.status(), 200, "signed in");

        println!("\n{}", engine_name(engine));
        let (grid, page, search) = (format!("{base}/marketplace"), format!("{base}/marketplace/github-sync"), format!("{base}/marketplace?q=swift%20track"));
        for url in [&grid, &page, &search] {
            load(&anonymous, url, None, 1, connections).await;
        }
        let grid_rate = line("GET /marketplace", load(&anonymous, &grid, None, seconds, connections).await);
        let page_rate = line("GET /marketplace/github-sync", load(&anonymous, &page, None, seconds, connections).await);
        println!("  /marketplace renders at {:.0}% of a plugin page's rate", 100.0 * grid_rate / page_rate);
        line("GET /marketplace?q=swift track (signed in)", load(&signed_in, &search, None, seconds, connections).await);
        let deep = ((plugins + 42) / 24).clamp(1, 5_000);
        line(
            &format!("GET /marketplace?sort=name&page={deep} (signed in)"),
            load(&signed_in, &format!("{base}/marketplace?sort=name&page={deep}"), None, seconds, connections).await,
        );
        drop(server);
        db.close().await;
        db_scratch.remove().await;
    }
}
