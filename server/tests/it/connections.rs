//! Connect and Logout (DESIGN.md §6) through the real server, against the reference
//! plugin server: through the plugin's own service (`checkAuth`, `generateAuthUrl`,
//! `logout`), and with Plugboard as the OAuth client of the plugin's service (PKCE, state
//! bound to the session, tokens sealed at rest, refreshed before they expire, deleted at
//! Logout and uninstall).

use crate::support::{Backend, Options, TestApp};
use app::domain::{TenantId, UserId};
use app::server::scope::Member;
use crate::support::query_of;
use crate::support::closed_port;
use crate::support::{console, published_and_installed, save, PluginSpec};
use crate::support::reference_plugin::{Reference, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET};
use app::server::plugin_servers::connections::{self, REFRESH_MARGIN_SECS};
use app::server::plugin_servers::{PluginInstall, Which};
use std::sync::atomic::Ordering;

fn connection_html(html: &str, slug: &str) -> String {
    let row = html.find(&format!("data-installed=\"{slug}\"")).unwrap_or_else(|| panic!("no row for {slug}"));
    let rest = &html[row..];
    let start = rest.find("data-testid=\"connection\"").unwrap_or_else(|| panic!("no connection for {slug}: {rest}"));
    let section = &rest[start..];
    section[..section.find("</section>").unwrap_or(section.len())].to_owned()
}

async fn connection_of(app: &TestApp, browser: &reqwest::Client, slug: &str) -> String {
    let (status, html) = app.get_html(browser, "/installed").await;
    assert_eq!(status, 200);
    connection_html(&html, slug)
}

/// POST /marketplace/{slug}/connect as a same-origin form does; the redirect's Location.
async fn connect(app: &TestApp, browser: &reqwest::Client, slug: &str) -> String {
    let res = browser.post(app.url(&format!("/marketplace/{slug}/connect"))).header("origin", app.base.clone()).send().await.unwrap();
    assert_eq!(res.status(), 303, "Connect redirects");
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// The tenant and id of a seeded user.
async fn user_id(app: &TestApp, email: &str) -> (TenantId, UserId) {
    let member = app.member_of(email).await;
    (member.tenant_id, member.id)
}

async fn connect_and_log_out_through_the_plugin_server(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    let server_url = reference.url("ok");
    published_and_installed(&app, &reference, PluginSpec::new("linker").scopes("read:projects"), &[("form[server_url]", &server_url), ("form[show_authorization_button]", "true")]).await;

    let admin = app.sign_in("admin@acme.test").await;
    let before = connection_of(&app, &admin, "linker").await;
    assert!(before.contains("Not connected") && before.contains("action=\"/marketplace/linker/connect\""), "{before}");
    // Connect goes where the plugin's generateAuthUrl says; the plugin connects the user there.
    let (tenant, user) = user_id(&app, "admin@acme.test").await;
    let location = connect(&app, &admin, "linker").await;
    assert_eq!(location, format!("{}/ok/connect/{tenant}/{user}", reference.base));
    assert_eq!(crate::support::get(&location).await.unwrap().status(), 200);
    let after = connection_of(&app, &admin, "linker").await;
    assert!(after.contains("Connected") && after.contains("Log out"), "{after}");
    // Connections are a person's: another member of Acme is not connected.
    let member = app.sign_in("member@acme.test").await;
    assert!(connection_of(&app, &member, "linker").await.contains("Not connected"));

    // Log out tells the plugin server, with the JWT in the body as well.
    let id = app.installation_id("linker", "admin@acme.test").await.to_string();
    assert_eq!(app.rpc(&admin, "disconnect_plugin", &[("installation_id", id.as_str())]).await.status(), 200);
    assert!(reference.memory.connected.lock().unwrap().is_empty());
    assert!(connection_of(&app, &admin, "linker").await.contains("Not connected"));

    // A forged cross-site form, and a signed-out visitor, start nothing.
    let forged = admin.post(app.url("/marketplace/linker/connect")).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let anonymous = app.client().post(app.url("/marketplace/linker/connect")).send().await.unwrap();
    assert!(anonymous.headers()["location"].to_str().unwrap().starts_with("/signin"));
    // A plugin that is not installed here cannot be connected.
    let location = connect(&app, &admin, "timesheet-bridge").await;
    assert_eq!(location, "/installed?connect_error=not_installed&plugin=timesheet-bridge");
}

async fn a_plugin_server_that_is_down_is_said_so(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    let down = closed_port();
    published_and_installed(&app, &reference, PluginSpec::new("linker").scopes("read:projects"), &[("form[server_url]", &down), ("form[show_authorization_button]", "true")]).await;
    let admin = app.sign_in("admin@acme.test").await;
    let section = connection_of(&app, &admin, "linker").await;
    assert!(section.contains("Connection status unavailable") && section.contains("cannot be reached"), "{section}");
    assert_eq!(connect(&app, &admin, "linker").await, "/installed?connect_error=server_down&plugin=linker");
    let (_, html) = app.get_html(&admin, "/installed?connect_error=server_down&plugin=linker").await;
    assert!(html.contains("The plugin&#x27;s server cannot be reached.") || html.contains("The plugin's server cannot be reached."), "the page says why");
}

/// Registers `slug` with Plugboard as the OAuth client of the reference provider; its
/// plugin server (the reference's `ok`) also processes content.
async fn oauth_plugin(app: &TestApp, reference: &Reference, slug: &str, scopes: &str) {
    let authorize = format!("{}/oauth/authorize", reference.base);
    let token = format!("{}/oauth/token", reference.base);
    let server_url = reference.url("ok");
    let fields = [
        ("form[server_url]", server_url.as_str()),
        ("form[processes_content]", "true"),
        ("form[oauth_authorization_url]", authorize.as_str()),
        ("form[oauth_token_url]", token.as_str()),
        ("form[oauth_client_id]", SERVICE_CLIENT_ID),
        ("form[oauth_client_secret]", SERVICE_CLIENT_SECRET),
        ("form[oauth_scopes]", scopes),
    ];
    published_and_installed(app, reference, PluginSpec::new(slug).scopes("read:tasks"), &fields).await;
}

/// Connect, and the provider's answer handed back to Plugboard by `browser`; the Location Plugboard answers with.
async fn connect_via_provider(app: &TestApp, starter: &reqwest::Client, finisher: &reqwest::Client, slug: &str) -> String {
    let authorize = connect(app, starter, slug).await;
    let answer = crate::support::http_builder().redirect(reqwest::redirect::Policy::none()).build().unwrap().get(&authorize).send().await.unwrap();
    let callback = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.starts_with(&app.url(&format!("/marketplace/callback/{slug}?"))), "{callback}");
    let res = finisher.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), 303);
    res.headers()["location"].to_str().unwrap().to_owned()
}

async fn plugboard_connects_as_the_oauth_client_and_keeps_tokens_sealed(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    oauth_plugin(&app, &reference, "svc", "tasks profile").await;
    let admin = app.sign_in("admin@acme.test").await;
    assert!(connection_of(&app, &admin, "svc").await.contains("Not connected"));

    // The authorization request: PKCE S256, a state, Plugboard's callback.
    let location = connect(&app, &admin, "svc").await;
    assert!(location.starts_with(&format!("{}/oauth/authorize?", reference.base)), "{location}");
    let q = query_of(&location);
    assert_eq!(q["client_id"], SERVICE_CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert_eq!(q["redirect_uri"], app.url("/marketplace/callback/svc"), "each plugin's service answers at its own address");
    assert_eq!(q["scope"], "tasks profile");
    assert!(q["state"].len() >= 43);
    let verifier: String = sqlx::query_scalar("SELECT pkce_verifier FROM service_connect_requests").fetch_one(app.db.pool()).await.unwrap();
    assert!(verifier.starts_with("v1."), "the verifier is sealed");

    // The state is bound to the session that started it, and works once.
    let other_session = app.sign_in("admin@acme.test").await;
    assert_eq!(connect_via_provider(&app, &admin, &other_session, "svc").await, "/installed?connect_error=session");
    assert_eq!(reference.grant_count("authorization_code"), 0, "no code was exchanged");
    // An answer brought to another plugin's address is refused (the OAuth mix-up attack).
    let authorize = connect(&app, &admin, "svc").await;
    let answer = crate::support::http_builder().redirect(reqwest::redirect::Policy::none()).build().unwrap().get(&authorize).send().await.unwrap();
    let callback = answer.headers()["location"].to_str().unwrap().to_owned();
    let elsewhere = admin.get(callback.replace("/callback/svc?", "/callback/other-plugin?")).send().await.unwrap();
    assert_eq!(elsewhere.headers()["location"], "/installed?connect_error=expired&plugin=svc");
    let authorize = connect(&app, &admin, "svc").await;
    let answer = crate::support::http_builder().redirect(reqwest::redirect::Policy::none()).build().unwrap().get(&authorize).send().await.unwrap();
    let callback = answer.headers()["location"].to_str().unwrap().to_owned();
    let first = admin.get(&callback).send().await.unwrap();
    assert_eq!(first.headers()["location"], "/installed?connected=1&plugin=svc");
    let replay = admin.get(&callback).send().await.unwrap();
    assert_eq!(replay.headers()["location"], "/installed?connect_error=expired");
    assert_eq!(reference.grant_count("authorization_code"), 1);
    assert!(connection_of(&app, &admin, "svc").await.contains("Connected"));

    // At rest: ciphertext only, for the tokens and for the service's client secret.
    let (access, refresh): (String, String) =
        sqlx::query_as("SELECT access_token, refresh_token FROM service_connections").fetch_one(app.db.pool()).await.unwrap();
    assert!(access.starts_with("v1.") && !access.contains("svc_at_"), "{access}");
    assert!(refresh.starts_with("v1.") && !refresh.contains("svc_rt_"), "{refresh}");
    let secret: String = sqlx::query_scalar("SELECT oauth_client_secret FROM plugins WHERE slug = 'svc'").fetch_one(app.db.pool()).await.unwrap();
    assert!(secret.starts_with("v1.") && !secret.contains(SERVICE_CLIENT_SECRET));
    // …which opens, with the configured key, to the token the service issued.
    let state = app.state();
    let member = app.member_of("admin@acme.test").await;
    let install = PluginInstall::find(&app.db, &member.scope(), Which::Slug("svc")).await.unwrap().unwrap();
    let token = connections::service_token(&state, &install, &member, app::server::now()).await.unwrap();
    assert!(token.as_ref().is_some_and(|t| t.starts_with("svc_at_")));
    // A Run hands the plugin's server the person's token for its service.
    let task = app.first_task("admin@acme.test").await;
    let run = app.rpc(&admin, "run_plugin", &[("installation_id", install.installation.to_string().as_str()), ("task_id", task.to_string().as_str())]).await;
    assert_eq!(run.status(), 200);
    assert_eq!(reference.memory.received.lock().unwrap()[0]["serviceAccessToken"].as_str(), token.as_deref());

    // Log out forgets the tokens.
    let id = app.installation_id("svc", "admin@acme.test").await.to_string();
    assert_eq!(app.rpc(&admin, "disconnect_plugin", &[("installation_id", id.as_str())]).await.status(), 200);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM service_connections").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(left, 0);
    assert!(connection_of(&app, &admin, "svc").await.contains("Not connected"));

    // Connected again, then uninstalled: the tokens go with the installation.
    assert_eq!(connect_via_provider(&app, &admin, &admin, "svc").await, "/installed?connected=1&plugin=svc");
    assert_eq!(app.rpc(&admin, "uninstall_plugin", &[("installation_id", id.as_str())]).await.status(), 200);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM service_connections").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(left, 0);
}

async fn a_declined_authorization_comes_back_as_a_message(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    // The reference provider declines requests for the scope `deny`.
    oauth_plugin(&app, &reference, "svc", "deny").await;
    let admin = app.sign_in("admin@acme.test").await;
    assert_eq!(connect_via_provider(&app, &admin, &admin, "svc").await, "/installed?connect_error=declined&plugin=svc");
    let (_, html) = app.get_html(&admin, "/installed?connect_error=declined&plugin=svc").await;
    assert!(html.contains("You declined the connection."));
    assert!(connection_html(&html, "svc").contains("Not connected"));
}

/// Acme's admin connected to the service of the OAuth plugin "svc": the app, the
/// reference server (the provider), the admin as a member, and the installation.
async fn connected_to_svc(backend: Backend) -> (TestApp, Reference, Member, PluginInstall) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    oauth_plugin(&app, &reference, "svc", "tasks").await;
    let admin = app.sign_in("admin@acme.test").await;
    connect_via_provider(&app, &admin, &admin, "svc").await;
    let member = app.member_of("admin@acme.test").await;
    let install = PluginInstall::find(&app.db, &member.scope(), Which::Slug("svc")).await.unwrap().unwrap();
    (app, reference, member, install)
}

async fn tokens_are_refreshed_shortly_before_they_expire(backend: Backend) {
    let (app, reference, member, install) = connected_to_svc(backend).await;
    let state = app.state();
    let expires_at = || async {
        sqlx::query_scalar::<_, i64>("SELECT expires_at FROM service_connections").fetch_one(app.db.pool()).await.unwrap()
    };
    let first_expiry = expires_at().await;
    let token_at = |now: i64| {
        let (state, install, member) = (state.clone(), install.clone(), member.clone());
        async move { connections::service_token(&state, &install, &member, now).await.unwrap() }
    };

    // Well before expiry: the stored token, no refresh.
    let first = token_at(first_expiry - REFRESH_MARGIN_SECS - 1).await.unwrap();
    assert_eq!(reference.grant_count("refresh_token"), 0);
    // Within the margin: refreshed first, the new tokens stored (the refresh token rotates).
    let now = first_expiry - 60;
    let second = token_at(now).await.unwrap();
    assert_ne!(first, second);
    assert_eq!(reference.grant_count("refresh_token"), 1);
    assert_eq!(expires_at().await, now + 3600);
    assert_eq!(token_at(now).await.unwrap(), second, "fresh again: no second refresh");
    assert_eq!(reference.grant_count("refresh_token"), 1);

    // Two uses at once near expiry: one refresh wins, the other uses what it stored (the
    // service, which rotates refresh tokens, refuses the loser's), and the connection stays.
    let near = now + 3600 - 60;
    let (a, b) = tokio::join!(token_at(near), token_at(near));
    let stored: String = sqlx::query_scalar("SELECT access_token FROM service_connections").fetch_one(app.db.pool()).await.unwrap();
    assert!(a.is_some() && a == b, "{a:?} {b:?}");
    assert!(stored.starts_with("v1."));
    let now = near;

    // A service that refuses the refresh ends the connection.
    reference.memory.expires_in.store(10, Ordering::SeqCst);
    let later = now + 3600 - 30;
    let refreshes = reference.grant_count("refresh_token");
    let third = token_at(later).await.unwrap();
    assert_eq!(reference.grant_count("refresh_token"), refreshes + 1);
    reference.memory.forget_refresh_tokens();
    assert_eq!(token_at(later + 5).await, None);
    assert_ne!(third, second);
    let admin = app.sign_in("admin@acme.test").await;
    assert!(connection_of(&app, &admin, "svc").await.contains("Not connected"));
}

/// A person's connection is reached through their tenant's scope only: another tenant's
/// scope, with the right installation and user ids, finds nothing and changes nothing.
async fn a_connection_is_reached_through_its_tenants_scope_only(backend: Backend) {
    use app::server::store::connections as stored;
    let (app, _reference, acme, install) = connected_to_svc(backend).await;
    let globex = app.member_of("owner@globex.test").await.scope();
    let (installation, user) = (install.installation, acme.id);

    assert!(stored::find(&app.db, &globex, installation, user).await.unwrap().is_none());
    let held = stored::find(&app.db, &acme.scope(), installation, user).await.unwrap().expect("Acme's connection");
    let refresh = held.refresh_token.clone().expect("a refresh token");
    let now = app::server::now();
    assert!(!stored::claim_refresh(&app.db, &globex, installation, user, &refresh, now + 60, now).await.unwrap());
    assert!(!stored::drop_refused(&app.db, &globex, installation, user, &refresh).await.unwrap());
    stored::forget(&app.db, &globex, installation, user).await.unwrap();
    let still = stored::find(&app.db, &acme.scope(), installation, user).await.unwrap().expect("still connected");
    assert_eq!((still.access_token, still.refreshing_until), (held.access_token, None));
}

/// Connections made with the service's OAuth client end when a version with another
/// client goes live (its tokens must not be sent to the new one), not before.
async fn another_oauth_client_ends_connections_when_its_version_goes_live(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    oauth_plugin(&app, &reference, "svc", "tasks profile").await;
    let admin = app.sign_in("admin@acme.test").await;
    assert_eq!(connect_via_provider(&app, &admin, &admin, "svc").await, "/installed?connected=1&plugin=svc");
    assert!(connection_of(&app, &admin, "svc").await.contains("Connected"));
    let developer = app.sign_in("developer@partners.test").await;
    let mut form = console(&app, &developer, "svc").await.form;
    form.oauth_client_id = "another-client".into();
    assert_eq!(save(&app, &developer, &form).await, Some(2));
    assert_eq!(app.rpc(&developer, "submit_plugin", &[("slug", "svc"), ("release_notes", "Another client.")]).await.status(), 200);
    assert!(connection_of(&app, &admin, "svc").await.contains("Connected"), "a draft and a submission change nothing");
    let staff = app.sign_in("staff@plugboard.test").await;
    assert_eq!(app.rpc(&staff, "decide", &[("slug", "svc"), ("decision", "published"), ("reason", "")]).await.status(), 200);
    let section = connection_of(&app, &admin, "svc").await;
    assert!(section.contains("Not connected"), "{section}");
}

crate::on_both_databases!(
    another_oauth_client_ends_connections_when_its_version_goes_live,
    a_connection_is_reached_through_its_tenants_scope_only,
    connect_and_log_out_through_the_plugin_server,
    a_plugin_server_that_is_down_is_said_so,
    plugboard_connects_as_the_oauth_client_and_keeps_tokens_sealed,
    a_declined_authorization_comes_back_as_a_message,
    tokens_are_refreshed_shortly_before_they_expire,
);
