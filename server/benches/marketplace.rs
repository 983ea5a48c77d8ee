//! Marketplace query benchmark: seeds a catalog of synthetic plugins, then prints p50 and
//! p99 of the marketplace's own queries (full-text index, category, sorts) next to the same
//! searches done as a plain `LIKE '%q%'` scan, on SQLite and on PostgreSQL, in one run.
//!
//!     cargo bench -p server --bench marketplace -- [--plugins 100000] [--rounds 60] [--db sqlite|postgres|both]
//!
//! PostgreSQL comes from PLUGBOARD_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test);
//! a scratch database is created and dropped.

use app::domain::{Category, MarketplaceQuery, Sort, PAGE_SIZE};
use app::server::{catalog, seed, Db};
use sqlx::{Connection, Executor, PgConnection};
use std::time::{Duration, Instant};

const SEARCHES: &[&str] = &["invoices", "swift tracker", "budg", "monitor releases", "calm", "bridge onboarding", "rad", "ledger contracts"];

struct Args {
    plugins: usize,
    rounds: usize,
    sqlite: bool,
    postgres: bool,
}

fn parse_args() -> Args {
    let mut args = Args { plugins: 100_000, rounds: 60, sqlite: true, postgres: true };
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < raw.len() {
        let value = raw.get(i + 1).cloned().unwrap_or_default();
        match raw[i].as_str() {
            "--plugins" => args.plugins = value.parse().unwrap_or(args.plugins),
            "--rounds" => args.rounds = value.parse().unwrap_or(args.rounds),
            "--db" => {
                args.sqlite = value != "postgres";
                args.postgres = value != "sqlite";
            }
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    args
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!("  {label:<44} p50 {:>8.2} ms   p99 {:>8.2} ms   (n={})", percentile(&samples, 0.5), percentile(&samples, 0.99), samples.len());
}

fn query(q: &str, category: Option<Category>, sort: Sort, page: u32) -> MarketplaceQuery {
    MarketplaceQuery { q: q.to_owned(), category, sort, page }
}

async fn time_index(db: &Db, queries: &[MarketplaceQuery], rounds: usize) -> Vec<Duration> {
    let mut samples = Vec::new();
    for _ in 0..rounds {
        for q in queries {
            let started = Instant::now();
            let page = catalog::list_published(db, q, None).await.expect("marketplace query");
            samples.push(started.elapsed());
            std::hint::black_box(page);
        }
    }
    samples
}

/// The same page and count as the marketplace, found with `LIKE '%q%'` over name and description.
async fn time_like(db: &Db, queries: &[MarketplaceQuery], rounds: usize) -> Vec<Duration> {
    let mut samples = Vec::new();
    for _ in 0..rounds {
        for q in queries {
            let pattern = format!("%{}%", q.q.to_lowercase());
            let category_clause = if q.category.is_some() { " AND p.category = $2" } else { "" };
            let where_clause = format!("p.is_published = 1 AND (lower(p.name) LIKE $1 OR lower(p.description) LIKE $1){category_clause}");
            let page_sql = format!(
                "SELECT p.id, p.slug, p.name, p.description FROM plugins p WHERE {where_clause} ORDER BY {} LIMIT {PAGE_SIZE} OFFSET {}",
                catalog::order_by(q.sort),
                q.offset()
            );
            let count_sql = format!("SELECT COUNT(*) FROM plugins p WHERE {where_clause}");
            let started = Instant::now();
            let mut page = sqlx::query(&page_sql).bind(pattern.clone());
            let mut count = sqlx::query_scalar::<_, i64>(&count_sql).bind(pattern.clone());
            if let Some(c) = q.category {
                page = page.bind(c.as_str());
                count = count.bind(c.as_str());
            }
            let result = tokio::try_join!(page.fetch_all(db.pool()), count.fetch_one(db.pool())).expect("LIKE query");
            samples.push(started.elapsed());
            std::hint::black_box(result);
        }
    }
    samples
}

async fn bench(name: &str, url: &str, args: &Args) {
    println!("\n{name}: seeding {} synthetic plugins…", args.plugins);
    let db = Db::connect(url, 8).await.expect("connect");
    db.migrate().await.expect("migrate");
    let started = Instant::now();
    seed::seed_synthetic(&db, args.plugins).await.expect("seed");
    println!("  seeded in {:.1} s", started.elapsed().as_secs_f64());
    if name == "PostgreSQL" {
        sqlx::query("ANALYZE plugins").execute(db.pool()).await.expect("analyze");
    }

    let searches: Vec<_> = SEARCHES.iter().map(|s| query(s, None, Sort::MostInstalled, 1)).collect();
    let searches_in_category: Vec<_> = SEARCHES
        .iter()
        .zip(Category::ALL.iter().cycle())
        .map(|(s, c)| query(s, Some(*c), Sort::TopRated, 1))
        .collect();
    let categories: Vec<_> = Category::ALL.iter().map(|c| query("", Some(*c), Sort::MostInstalled, 1)).collect();
    let sorts: Vec<_> = Sort::ALL.iter().flat_map(|s| [query("", None, *s, 1), query("", None, *s, 40)]).collect();

    // One warm-up pass so that both paths start from a warm cache.
    time_index(&db, &searches, 1).await;
    time_like(&db, &searches, 1).await;

    println!("  query (page of {PAGE_SIZE} + total count)");
    report("search, full-text index", time_index(&db, &searches, args.rounds).await);
    report("search, LIKE '%q%' scan", time_like(&db, &searches, args.rounds).await);
    report("search + category, full-text index", time_index(&db, &searches_in_category, args.rounds).await);
    report("search + category, LIKE '%q%' scan", time_like(&db, &searches_in_category, args.rounds).await);
    report("category filter (most installed)", time_index(&db, &categories, args.rounds).await);
    report("sorts (4 orders, pages 1 and 40)", time_index(&db, &sorts, args.rounds).await);
    db.close().await;
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    println!("Plugboard marketplace benchmark: {} plugins, {} rounds per query set", args.plugins, args.rounds);
    if args.sqlite {
        let dir = std::env::temp_dir().join(format!("plugboard-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        bench("SQLite", &format!("sqlite://{}/bench.db", dir.display()), &args).await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    if args.postgres {
        let admin = std::env::var("PLUGBOARD_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("pb_bench_{}", std::process::id());
        let mut conn = PgConnection::connect(&admin).await.expect("PostgreSQL");
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create database");
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin.clone());
        bench("PostgreSQL", &format!("{base}/{name}"), &args).await;
        let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
    }
}
