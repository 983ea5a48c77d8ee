//! A real Plugboard server on 127.0.0.1:0 over a fresh database of its own,
//! SQLite (a temporary file) or PostgreSQL (a new database, dropped afterwards).

use app::server::scope::TenantScope;
use app::server::Db;
use app::server::outbound::parse_allowlist;
use server::scratch::{Engine, Scratch};
use server::{app_state, open_database, serve, Config};
use std::net::SocketAddr;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each named `async fn name(backend: Backend)`, one test per database.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::support::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::support::Backend::Postgres).await })*
        }
    };
}

pub struct OtherInstance {
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// What a test may change about the server it starts.
#[derive(Debug, Clone)]
pub struct Options {
    pub webhook_worker: bool,
    pub webhook_timeout_secs: u64,
    pub webhook_lease_secs: i64,
    pub api_requests_per_minute: i64,
    /// `PLUGBOARD_TRUSTED_PROXIES`: with `127.0.0.1`, a test speaks for clients behind a
    /// proxy by setting `X-Forwarded-For`.
    pub trusted_proxies: &'static str,
    /// Every request's time limit (`PLUGBOARD_REQUEST_TIMEOUT_SECS`).
    pub request_timeout_secs: u64,
    /// `PLUGBOARD_SECURE_COOKIES=1`: served over https.
    pub secure_cookies: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            webhook_worker: true,
            webhook_timeout_secs: 15,
            webhook_lease_secs: 60,
            api_requests_per_minute: 600,
            trusted_proxies: "",
            request_timeout_secs: 30,
            secure_cookies: false,
        }
    }
}

/// The `PLUGBOARD_TOKEN_KEY` of test servers.
pub const TOKEN_KEY: &str = "dGVzdC1vbmx5LWtleS0zMi1ieXRlcy1sb25nLW9rISE=";

pub struct TestApp {
    pub base: String,
    pub db: Db,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    scratch: Scratch,
}

impl TestApp {
    /// The id of the active installation of the plugin `slug` in the tenant of `member`
    /// (a seeded user), found through the member's scope as the server finds it.
    pub async fn installation_id(&self, slug: &str, member: &str) -> app::domain::InstallationId {
        self.installation_in(&self.member_of(member).await.scope(), slug).await
    }

    /// The same, for a scope a test already holds (no second sign-in).
    pub async fn installation_in(&self, scope: &TenantScope, slug: &str) -> app::domain::InstallationId {
        let found = app::server::plugin_servers::PluginInstall::find(&self.db, scope, app::server::plugin_servers::Which::Slug(slug)).await;
        found.expect("lookup").expect("the tenant has installed the plugin").installation
    }

    /// The first project (lowest id) of the tenant of `member` (a seeded user).
    pub async fn first_project(&self, member: &str) -> app::domain::ProjectId {
        self.first_project_in(&self.member_of(member).await.scope()).await
    }

    /// The first project (lowest id) of the scope's tenant.
    pub async fn first_project_in(&self, scope: &TenantScope) -> app::domain::ProjectId {
        let page = app::server::work::list_projects(&self.db, scope, None, None, 1).await.expect("projects");
        page.items.first().expect("the tenant has projects").id
    }

    /// The first task (lowest id) of the tenant of `member` (a seeded user).
    pub async fn first_task(&self, member: &str) -> app::domain::TaskId {
        self.first_task_in(&self.member_of(member).await.scope()).await
    }

    /// The first task (lowest id) of the scope's tenant.
    pub async fn first_task_in(&self, scope: &TenantScope) -> app::domain::TaskId {
        let page = app::server::work::list_tasks(&self.db, scope, Default::default(), None, 1).await.expect("tasks");
        page.items.first().expect("the tenant has tasks").id
    }

    /// The tenant of `member` (a seeded user).
    pub async fn tenant_of(&self, member: &str) -> app::domain::TenantId {
        self.member_of(member).await.tenant_id
    }

    /// A published plugin as the catalog reads it: its card's figures (installs, rating,
    /// review count).
    pub async fn listing(&self, slug: &str) -> app::server::store::catalog::CardRow {
        app::server::store::catalog::detail(&self.db, slug, None).await.expect("detail").expect("a published plugin").card
    }

    /// A published plugin's reviews, newest first.
    pub async fn reviews_of(&self, slug: &str) -> Vec<app::server::store::reviews::ReviewRow> {
        let plugin = self.listing(slug).await.id;
        app::server::store::reviews::latest(&self.db, plugin, 10_000).await.expect("reviews")
    }

    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> Self {
        let engine = match backend {
            Backend::Sqlite => Engine::Sqlite,
            Backend::Postgres => Engine::Postgres,
        };
        let scratch = Scratch::create(engine).await.expect("scratch database");
        Self::spawn_on(scratch, options).await
    }

    /// Serves a scratch database a test filled already (migrating it first, as the
    /// server does on start).
    pub async fn spawn_on(scratch: Scratch, options: Options) -> Self {
        let db = Self::open(&scratch.url, &options).await;
        let mut app = Self { base: String::new(), db, shutdown: None, server: None, scratch };
        app.start(options).await;
        app
    }

    fn config(database_url: &str, options: &Options) -> Config {
        let mut config = Config::for_database(database_url.to_owned());
        // One key for every instance and restart of a test's server, as in production.
        config.vault = app::server::vault::Vault::from_config(Some(TOKEN_KEY), true).expect("test key");
        config.outbound_allowlist = parse_allowlist("127.0.0.1").expect("allowlist");
        config.webhook_worker = options.webhook_worker;
        config.webhook_timeout_secs = options.webhook_timeout_secs;
        config.webhook_lease_secs = options.webhook_lease_secs;
        config.api_requests_per_minute = options.api_requests_per_minute;
        config.trusted_proxies = parse_allowlist(options.trusted_proxies).expect("trusted proxies");
        config.request_timeout_secs = options.request_timeout_secs;
        config.secure_cookies = options.secure_cookies;
        config
    }

    async fn open(database_url: &str, options: &Options) -> Db {
        open_database(&Self::config(database_url, options)).await.expect("database")
    }

    /// Serves this app's database (with a webhook worker) on a fresh port of 127.0.0.1
    /// until the sender is used or dropped.
    async fn launch(&self, options: &Options) -> (String, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let mut config = Self::config(&self.scratch.url, options);
        config.site_addr = addr;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = app_state(&config, self.db.clone());
        let server = tokio::spawn(async move {
            let _ = serve(listener, state, async {
                let _ = stopped.await;
            })
            .await;
        });
        (format!("http://{addr}"), stop, server)
    }

    /// Starts this app's server.
    async fn start(&mut self, options: Options) {
        let (base, stop, server) = self.launch(&options).await;
        self.server = Some(server);
        self.shutdown = Some(stop);
        self.base = base;
    }

    /// A second server instance on this app's database (stopped when dropped), as
    /// another process behind the same load balancer would be.
    pub async fn another_instance(&self, options: Options) -> OtherInstance {
        let (base, stop, _) = self.launch(&options).await;
        OtherInstance { base, _stop: stop }
    }

    /// Kills the server process's work mid-flight (the router and the webhook worker,
    /// whatever they were doing) and starts a new one on the same database.
    pub async fn restart(&mut self, options: Options) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
        self.shutdown = None;
        self.start(options).await;
    }

    /// The state the server's handlers see (same database, key and public URL), for
    /// calling domain code with a test clock.
    pub fn state(&self) -> app::server::AppState {
        let mut config = Self::config(&self.scratch.url, &Options::default());
        config.site_addr = self.base.trim_start_matches("http://").parse().expect("address");
        app_state(&config, self.db.clone())
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        http_builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// The `DATABASE_URL` of this app's database, for running the binary against it.
    pub fn database_url(&self) -> &str {
        &self.scratch.url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn seed_demo(&self) {
        server::seed::seed_demo(&self.db, &self.state().vault).await.expect("demo seed");
    }

    pub async fn get_html(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let res = client.get(self.url(path)).send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    /// Calls a server function with a form body, as a hydrated page does.
    pub async fn rpc(&self, client: &reqwest::Client, name: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client
            .post(self.url(&format!("/rpc/{name}")))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("rpc")
    }

    /// A signed-in member, authenticated as a page request is: a session opened for the
    /// person, resolved from its token and ended (`fixtures::member`). Its scope is how a
    /// test reaches tenant data.
    pub async fn member(&self, person: app::server::accounts::Authenticated) -> app::server::scope::Member {
        server::fixtures::member(&self.db, person).await.expect("a live session")
    }

    /// A seeded user signed in with the demo password, as a member: a real sign-in (a
    /// password check that clears the email's failed attempts), then `member`.
    pub async fn member_of(&self, email: &str) -> app::server::scope::Member {
        let state = self.state();
        let user = app::server::accounts::authenticate(&self.db, &state.settings, email, server::seed::DEMO_PASSWORD, None)
            .await
            .expect("sign in");
        self.member(user).await
    }

    pub async fn sign_in(&self, email: &str) -> reqwest::Client {
        let client = self.client();
        let res = self.rpc(&client, "sign_in", &[("email", email), ("password", server::seed::DEMO_PASSWORD)]).await;
        assert_eq!(res.status(), 200, "sign in as {email}");
        client
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Drop runs outside async; a short-lived runtime on its own thread removes the database.
        let pool = self.db.clone();
        let scratch = self.scratch.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                rt.block_on(async move {
                    // Closing waits for checked-out connections; one held by a task of the
                    // test's runtime (which this drop blocks) would never come back.
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(3), pool.close()).await;
                    scratch.remove().await;
                });
            }
        })
        .join();
    }
}

/// The address of a port nothing listens on: a plugin server that is down.
pub fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// How long a test waits for any one answer: a server that never answers fails the
/// test with a time-out instead of holding CI until its own limit.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A client builder whose every request has a time limit.
pub fn http_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().timeout(REQUEST_TIMEOUT).connect_timeout(std::time::Duration::from_secs(10))
}

/// A plain client whose every request has a time limit.
pub fn http() -> reqwest::Client {
    http_builder().build().expect("client")
}

/// `GET url` with the time limit.
pub async fn get(url: impl reqwest::IntoUrl) -> reqwest::Result<reqwest::Response> {
    http().get(url).send().await
}

/// A failed server function's status and error.
pub async fn error_of(res: reqwest::Response) -> (u16, app::error::AppError) {
    let status = res.status().as_u16();
    let body = res.text().await.expect("body");
    (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("not an AppError ({status}): {body}: {e}")))
}
