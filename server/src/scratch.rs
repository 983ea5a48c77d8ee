//! Throwaway databases for tests and benchmarks: a SQLite file in a new temporary
//! directory, or a new PostgreSQL database on the server that
//! `PLUGBOARD_TEST_POSTGRES_URL` names (default `postgres://postgres@127.0.0.1:5432/test`).

use sqlx::{Connection, Executor, PgConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Scratch {
    /// The `DATABASE_URL` of the new database.
    pub url: String,
    place: Place,
}

#[derive(Debug, Clone)]
enum Place {
    Dir(std::path::PathBuf),
    Database(String),
}

pub fn postgres_admin_url() -> String {
    std::env::var("PLUGBOARD_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn random_suffix() -> String {
    app::server::secrets::random_hex(8)
}

impl Scratch {
    pub async fn create(engine: Engine) -> Result<Self, String> {
        match engine {
            Engine::Sqlite => {
                let dir = std::env::temp_dir().join(format!("plugboard-scratch-{}", random_suffix()));
                std::fs::create_dir_all(&dir).map_err(|e| format!("temporary directory: {e}"))?;
                Ok(Self { url: format!("sqlite://{}/plugboard.db", dir.display()), place: Place::Dir(dir) })
            }
            Engine::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("pb_scratch_{}", random_suffix());
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .map_err(|e| format!("PostgreSQL must be reachable at PLUGBOARD_TEST_POSTGRES_URL ({admin}): {e}"))?;
                conn.execute(format!("CREATE DATABASE {name}").as_str()).await.map_err(|e| format!("create database: {e}"))?;
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin);
                Ok(Self { url: format!("{base}/{name}"), place: Place::Database(name) })
            }
        }
    }

    /// Deletes the database (close its pools first).
    pub async fn remove(&self) {
        match &self.place {
            Place::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Place::Database(name) => {
                if let Ok(mut conn) = PgConnection::connect(&postgres_admin_url()).await {
                    let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                }
            }
        }
    }
}
