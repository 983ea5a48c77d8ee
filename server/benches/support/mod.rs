//! What the benchmarks share: flags, percentiles, and the databases to run on.
#![allow(dead_code)]

use server::scratch::{Engine, Scratch};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `--name value` flags; anything else is ignored (cargo bench passes `--bench`).
pub struct Flags(Vec<String>);

impl Flags {
    pub fn from_env() -> Self {
        Self(std::env::args().skip(1).collect())
    }

    pub fn value<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
        self.0
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.0.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// `--db sqlite|postgres|both` (default both).
    pub fn engines(&self) -> Vec<Engine> {
        match self.value("--db", "both".to_owned()).as_str() {
            "sqlite" => vec![Engine::Sqlite],
            "postgres" => vec![Engine::Postgres],
            _ => vec![Engine::Sqlite, Engine::Postgres],
        }
    }
}

pub fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    }
}

pub async fn scratch(engine: Engine) -> Scratch {
    Scratch::create(engine).await.expect("scratch database")
}

pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

pub fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!("  {label:<44} p50 {:>8.2} ms   p99 {:>8.2} ms   (n={})", percentile(&samples, 0.5), percentile(&samples, 0.99), samples.len());
}

/// What a load run measured: requests per second and each request's time.
pub struct Load {
    pub per_second: f64,
    pub samples: Vec<Duration>,
}

/// `connections` concurrent keep-alive clients (clones of `http`) ask for `url` for
/// `seconds`, each request given a time limit by the client; every answer must be 200.
pub async fn load(http: &reqwest::Client, url: &str, bearer: Option<&str>, seconds: u64, connections: usize) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (http, url, bearer, stop) = (http.clone(), url.to_owned(), bearer.map(str::to_owned), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let mut req = http.get(&url);
                if let Some(t) = &bearer {
                    req = req.bearer_auth(t);
                }
                let res = req.send().await.expect("request");
                assert_eq!(res.status(), 200, "{url}");
                let _ = res.bytes().await.expect("body");
                samples.push(started.elapsed());
            }
            samples
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut samples = Vec::new();
    for w in workers {
        samples.extend(w.await.expect("load worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    Load { per_second: samples.len() as f64 / elapsed, samples }
}

/// A client for `connections` keep-alive connections; every request has a time limit.
pub fn load_client(connections: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(30))
        .cookie_store(true)
        .build()
        .expect("HTTP client")
}

/// A Plugboard server on 127.0.0.1:0 over `db`, stopped when dropped.
pub struct BenchServer {
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn start_server(config: &server::Config, db: &app::server::Db) -> BenchServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let base = format!("http://{}", listener.local_addr().expect("listening address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, server::app_state(config, db.clone()), async {
        let _ = stopped.await;
    }));
    BenchServer { base, _stop: stop }
}
