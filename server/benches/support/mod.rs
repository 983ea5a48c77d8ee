//! What the benchmarks share: flags, percentiles, and the databases to run on.
#![allow(dead_code)]

use server::scratch::{Engine, Scratch};
use std::time::Duration;

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
