//! Marketplace query benchmark: seeds a catalog of synthetic plugins, then prints p50 and
//! p99 of the marketplace's own queries (full-text index, category, sorts) next to the same
//! searches done as a plain `LIKE '%q%'` scan, on SQLite and on PostgreSQL, in one run.
//!
//!     cargo bench -p server --bench marketplace -- [--plugins 100000] [--rounds 60] [--db sqlite|postgres|both]
//!
//! PostgreSQL comes from PLUGBOARD_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test);
//! a scratch database is created and dropped.

use app::domain::{Category, MarketplaceQuery, Sort, PAGE_SIZE};
use app::server::catalog::{self, index::CatalogIndex};
use app::server::Db;
use server::seed;
use std::time::{Duration, Instant};
use support::{engine_name, report, scratch, Flags};

mod support;

const SEARCHES: &[&str] = &["invoices", "swift tracker", "budg", "monitor releases", "calm", "bridge onboarding", "rad", "ledger contracts"];

fn query(q: &str, category: Option<Category>, sort: Sort, page: u32) -> MarketplaceQuery {
    MarketplaceQuery { q: q.to_owned(), category, sort, page }
}

async fn time_index(db: &Db, index: &CatalogIndex, queries: &[MarketplaceQuery], rounds: usize) -> Vec<Duration> {
    let mut samples = Vec::new();
    for _ in 0..rounds {
        for q in queries {
            let started = Instant::now();
            let page = catalog::list_published(db, index, q, None).await.expect("marketplace query");
            samples.push(started.elapsed());
            std::hint::black_box(page);
        }
    }
    samples
}

/// A search right after a plugin's install count changed (as another instance's
/// install would): the index loads that change first.
async fn time_after_change(db: &Db, index: &CatalogIndex, queries: &[MarketplaceQuery], rounds: usize, plugins: usize) -> Vec<Duration> {
    let changed = plugins.clamp(1, 1000);
    let mut samples = Vec::new();
    for round in 0..rounds {
        for (i, q) in queries.iter().enumerate() {
            sqlx::query("UPDATE plugins SET install_count = install_count + 1 WHERE id = $1")
                .bind(((round * queries.len() + i) % changed + 1) as i64)
                .execute(db.pool())
                .await
                .expect("change a plugin");
            let before = index.version();
            let started = Instant::now();
            let page = catalog::list_published(db, index, q, None).await.expect("marketplace query");
            samples.push(started.elapsed());
            assert!(index.version() > before, "the change was loaded");
            std::hint::black_box(page);
        }
    }
    samples
}

/// The marketplace's orders in SQL, for the scan.
fn order_by(sort: Sort) -> &'static str {
    match sort {
        Sort::MostInstalled => "p.install_count DESC, p.id DESC",
        Sort::TopRated => "p.rating DESC, p.review_count DESC, p.id DESC",
        Sort::Newest => "p.created_at DESC, p.id DESC",
        Sort::Name => "lower(p.name) ASC, p.id ASC",
    }
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
                order_by(q.sort),
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

async fn bench(name: &str, url: &str, plugins: usize, rounds: usize) {
    println!("\n{name}: seeding {plugins} synthetic plugins…");
    let db = Db::connect(url, 8).await.expect("connect");
    db.migrate().await.expect("migrate");
    let started = Instant::now();
    seed::seed_synthetic(&db, plugins).await.expect("seed");
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
    let deep = (plugins as u32 / PAGE_SIZE).max(1);
    let deep_pages: Vec<_> = Sort::ALL
        .iter()
        .flat_map(|s| [query("", None, *s, deep), query("a", None, *s, deep / 4), query("", Some(Category::Finance), *s, deep / 9)])
        .collect();

    let index = CatalogIndex::default();
    let started = Instant::now();
    catalog::catch_up(&db, &index).await.expect("load the index");
    println!("  catalog index of {} plugins loaded in {:.0} ms", index.len(), started.elapsed().as_secs_f64() * 1000.0);

    // One warm-up pass so that both paths start from a warm cache.
    time_index(&db, &index, &searches, 1).await;
    time_like(&db, &searches, 1).await;

    println!("  query (page of {PAGE_SIZE} + total count)");
    report("search, catalog index", time_index(&db, &index, &searches, rounds).await);
    report("search, LIKE '%q%' scan", time_like(&db, &searches, rounds).await);
    report("search + category, catalog index", time_index(&db, &index, &searches_in_category, rounds).await);
    report("search + category, LIKE '%q%' scan", time_like(&db, &searches_in_category, rounds).await);
    report("category filter (most installed)", time_index(&db, &index, &categories, rounds).await);
    report("sorts (4 orders, pages 1 and 40)", time_index(&db, &index, &sorts, rounds).await);
    report(&format!("deep pages (4 orders, up to page {deep})"), time_index(&db, &index, &deep_pages, rounds).await);
    report("after another instance's change", time_after_change(&db, &index, &searches, rounds, plugins).await);
    db.close().await;
}

#[tokio::main]
async fn main() {
    let flags = Flags::from_env();
    let (plugins, rounds) = (flags.value("--plugins", 100_000usize), flags.value("--rounds", 60usize));
    println!("Plugboard marketplace benchmark: {plugins} plugins, {rounds} rounds per query set");
    for engine in flags.engines() {
        let db = scratch(engine).await;
        bench(engine_name(engine), &db.url, plugins, rounds).await;
        db.remove().await;
    }
}
