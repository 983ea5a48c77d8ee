//! Plugin versions (issue 17) through the real server, on both databases: what tenants
//! run (the frame's bundle and policy, the plugin server Runs go to, its OAuth client)
//! changes only when staff publish a version; staff see the version against the live one;
//! a version that asks for more leaves every grant as it was until an owner or admin
//! approves it; a suspended plugin stops everywhere at once, and lifting the suspension
//! lets each tenant reactivate the same installation with one consent.

use crate::support::reference_plugin::Reference;
use crate::support::receiver::Receiver;
use crate::support::{
    authorize, closed_port, console, consent_token, error_of, hex_sha256, published, published_and_installed, release, save, save_response,
    upload_bundle, Backend, Options, PluginSpec, TestApp, TestPlugin,
};
use app::domain::{InstalledOverview, Scope, StaffPlugin};
use app::server::plugin_servers::{PluginInstall, Which};
use serde_json::Value;

const DEVELOPER: &str = "developer@partners.test";
const STAFF: &str = "staff@plugboard.test";

/// The bundle a member's frame loads (its hash) and the frame's policy.
async fn frame(app: &TestApp, member: &reqwest::Client, slug: &str) -> (u16, String, String) {
    let res = member.get(app.url(&format!("/plugins/{slug}/frame"))).send().await.unwrap();
    let status = res.status().as_u16();
    let csp = res.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let html = res.text().await.unwrap();
    let sha = html.find("/bundles/").map(|i| html[i + 9..i + 9 + 64].to_owned()).unwrap_or_default();
    (status, sha, csp)
}

/// What Plugboard's calls to the plugin's server use for Acme.
async fn acme_install(app: &TestApp, slug: &str) -> Option<PluginInstall> {
    let acme = app.member_of("admin@acme.test").await.scope();
    PluginInstall::find(&app.db, &acme, Which::Slug(slug)).await.unwrap()
}

/// A Run of Acme's installation `installation` on its first task.
async fn run(app: &TestApp, member: &reqwest::Client, installation: &str) -> reqwest::Response {
    let task = app.first_task("admin@acme.test").await.to_string();
    app.rpc(member, "run_plugin", &[("installation_id", installation), ("task_id", &task)]).await
}

async fn what_tenants_run_changes_only_when_staff_publish(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    let fields = [("form[server_url]", reference.url("ok")), ("form[processes_content]", "true".into()), ("form[client_origins]", "https://api.one.example".into())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    published_and_installed(&app, &reference, PluginSpec::new("board-robot").scopes("read:tasks"), &fields).await;
    let developer = app.sign_in(DEVELOPER).await;
    let member = app.sign_in("member@acme.test").await;
    let installation = app.installation_id("board-robot", "admin@acme.test").await.to_string();

    // Version 2 ships client-side code, live once staff publish it.
    let code_a = b"plugboard.ui.notify('a');".to_vec();
    assert_eq!(upload_bundle(&app, &developer, "board-robot", code_a.clone()).await, "/developer/plugins/board-robot?bundle=draft-2");
    assert_eq!(frame(&app, &member, "board-robot").await.0, 404, "version 1 has no code");
    release(&app, &developer, "board-robot", "Shows a counter on Projects.").await;
    let (status, sha, csp) = frame(&app, &member, "board-robot").await;
    assert_eq!((status, sha.as_str()), (200, hex_sha256(&code_a).as_str()));
    assert!(csp.contains("connect-src https://api.one.example;"), "{csp}");
    let live_server = reference.url("ok");
    assert_eq!(acme_install(&app, "board-robot").await.unwrap().server_url.as_deref(), Some(live_server.as_str()));

    // The developer changes everything a tenant runs: the code, the network origins, the
    // plugin server, the OAuth client of its service.
    let code_b = b"plugboard.ui.notify('b');".to_vec();
    assert_eq!(upload_bundle(&app, &developer, "board-robot", code_b.clone()).await, "/developer/plugins/board-robot?bundle=draft-3");
    let mut form = console(&app, &developer, "board-robot").await.form;
    let new_server = closed_port();
    form.name = "Board Robot Pro".into();
    form.client_origins = "https://api.two.example".into();
    form.server_url = new_server.clone();
    form.oauth_authorization_url = "http://127.0.0.1:9/authorize".into();
    form.oauth_token_url = "http://127.0.0.1:9/token".into();
    form.oauth_client_id = "plugboard".into();
    form.oauth_client_secret = "s3cret".into();
    assert_eq!(save(&app, &developer, &form).await, Some(3));
    let check_unchanged = async |when: &str| {
        let (status, sha, csp) = frame(&app, &member, "board-robot").await;
        assert_eq!((status, sha.as_str()), (200, hex_sha256(&code_a).as_str()), "{when}: the frame loads the live code");
        assert!(csp.contains("connect-src https://api.one.example;") && !csp.contains("api.two"), "{when}: {csp}");
        let install = acme_install(&app, "board-robot").await.unwrap();
        assert_eq!(install.server_url.as_deref(), Some(live_server.as_str()), "{when}");
        assert!(install.oauth.is_none(), "{when}: no OAuth client until it is reviewed");
        let res = run(&app, &member, &installation).await;
        assert_eq!(res.status(), 200, "{when}: Runs go to the live plugin server");
        assert_eq!(res.json::<app::domain::JobView>().await.unwrap().status, app::domain::JobStatus::Done, "{when}");
        let (status, page) = app.get_html(&app.client(), "/marketplace/board-robot").await;
        assert_eq!(status, 200, "{when}: the live plugin stays in the marketplace");
        assert!(page.contains("<h1>board-robot</h1>") && !page.contains("Board Robot Pro"), "{when}: the live name");
    };
    check_unchanged("draft saved").await;
    assert_eq!(app.rpc(&developer, "submit_plugin", &[("slug", "board-robot"), ("release_notes", "Talks to api.two.")]).await.status(), 200);
    check_unchanged("in review").await;
    let (status, _) = error_of(save_response(&app, &developer, &form).await).await;
    assert_eq!(status, 409, "what staff review stays as submitted");

    // Staff see version 3 against version 2, field by field, queued under its new name.
    let staff = app.sign_in(STAFF).await;
    let queue: Vec<app::domain::QueueItem> = app.rpc(&staff, "review_queue", &[("state", "in_review")]).await.json().await.unwrap();
    let queued = queue.iter().find(|q| q.slug == "board-robot").expect("queued");
    assert_eq!((queued.name.as_str(), queued.version), ("Board Robot Pro", Some(3)));
    let reviewed: StaffPlugin = app.rpc(&staff, "staff_plugin", &[("slug", "board-robot")]).await.json().await.unwrap();
    let diff = reviewed.candidate.expect("a version in review");
    assert_eq!((diff.number, diff.live_number), (3, Some(2)));
    assert_eq!(diff.release_notes.as_deref(), Some("Talks to api.two."));
    assert!(diff.bundle_changed);
    assert_eq!(diff.bundle_before.as_ref().map(|b| (b.sha256.clone(), b.bytes)), Some((hex_sha256(&code_a), code_a.len() as i64)));
    assert_eq!(diff.bundle_after.as_ref().map(|b| b.sha256.clone()), Some(hex_sha256(&code_b)));
    assert_eq!((diff.origins_added.as_slice(), diff.origins_removed.as_slice()), (["https://api.two.example".to_owned()].as_slice(), ["https://api.one.example".to_owned()].as_slice()));
    let changed: Vec<&str> = diff.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(changed, ["Name", "Plugin server URL", "OAuth client of its service", "OAuth client secret"]);
    assert!(diff.scopes_added.is_empty() && diff.scopes_removed.is_empty());
    let (_, html) = app.get_html(&staff, "/admin/plugins/board-robot").await;
    assert!(html.contains("data-testid=\"version-diff\"") && html.contains(&format!("/bundles/{}.js", hex_sha256(&code_b))), "the page links the new code");

    // Published, it is what Acme runs.
    assert_eq!(app.rpc(&staff, "decide", &[("slug", "board-robot"), ("decision", "published"), ("reason", "")]).await.status(), 200);
    let (status, sha, csp) = frame(&app, &member, "board-robot").await;
    assert_eq!((status, sha.as_str()), (200, hex_sha256(&code_b).as_str()));
    assert!(csp.contains("connect-src https://api.two.example;"), "{csp}");
    assert!(app.get_html(&app.client(), "/marketplace/board-robot").await.1.contains("<h1>Board Robot Pro</h1>"));
    let install = acme_install(&app, "board-robot").await.unwrap();
    assert_eq!(install.server_url, Some(new_server));
    assert_eq!(install.oauth.map(|o| o.client_id), Some("plugboard".into()));

    // Every version is kept with its notes; the marketplace lists the published ones.
    let history = console(&app, &developer, "board-robot").await.versions;
    let lines: Vec<(i64, bool, Option<&str>)> = history.iter().map(|v| (v.number, v.live, v.release_notes.as_deref())).collect();
    assert_eq!(lines, [(3, true, Some("Talks to api.two.")), (2, false, Some("Shows a counter on Projects.")), (1, false, Some("First release."))]);
    let (_, page) = app.get_html(&app.client(), "/marketplace/board-robot").await;
    assert!(page.contains("data-testid=\"releases\"") && page.contains("Talks to api.two.") && page.contains("First release."));
}

async fn installed(app: &TestApp, admin: &reqwest::Client) -> InstalledOverview {
    app.rpc(admin, "installed_plugins", &[]).await.json().await.unwrap()
}

async fn answer(app: &TestApp, admin: &reqwest::Client, installation: &str, decision: &str) -> reqwest::Response {
    app.rpc(admin, "answer_update", &[("installation_id", installation), ("decision", decision)]).await
}

async fn api(app: &TestApp, token: &str, path: &str) -> u16 {
    crate::support::http().get(app.url(path)).bearer_auth(token).send().await.unwrap().status().as_u16()
}

/// A call the token's grant does not cover: 403 `insufficient_scope`.
async fn refused_for_scope(app: &TestApp, token: &str, path: &str) {
    let res = crate::support::http().get(app.url(path)).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 403, "{path}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "insufficient_scope", "{path}: {body}");
}

fn scopes_of(tokens: &Value) -> String {
    tokens["scope"].as_str().unwrap().to_owned()
}

async fn refreshed(app: &TestApp, plugin: &TestPlugin, tokens: &Value) -> Value {
    let res = plugin.refresh(app, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn change_scopes(app: &TestApp, developer: &reqwest::Client, slug: &str, scopes: &[&str], notes: &str) {
    let mut form = console(app, developer, slug).await.form;
    form.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    assert!(save(app, developer, &form).await.is_some());
    release(app, developer, slug, notes).await;
}

async fn scope_upgrades_ask_before_they_widen(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let receiver = Receiver::always(200).await;
    let reference = Reference::start().await;
    let plugin = published(&app, &reference, PluginSpec::new("scope-robot").scopes("read:projects").webhook(receiver.url.clone()), &[]).await;
    let acme_admin = app.sign_in("admin@acme.test").await;
    let globex_owner = app.sign_in("owner@globex.test").await;
    let acme = plugin.install_and_exchange(&app, &acme_admin, "read:projects").await;
    let globex = plugin.install_and_exchange(&app, &globex_owner, "read:projects").await;
    let acme_installation = app.installation_id("scope-robot", "admin@acme.test").await.to_string();
    let globex_installation = app.installation_id("scope-robot", "owner@globex.test").await.to_string();

    // Version 2 asks to read tasks too: every installation keeps its grant.
    let developer = app.sign_in(DEVELOPER).await;
    change_scopes(&app, &developer, "scope-robot", &["read:projects", "read:tasks"], "Counts your **tasks** too.").await;
    refused_for_scope(&app, acme["access_token"].as_str().unwrap(), "/api/v1/tasks").await;
    let acme = refreshed(&app, &plugin, &acme).await;
    assert_eq!(scopes_of(&acme), "read:projects", "a refresh keeps the grant");

    // Owners and admins see only the difference, with the notes.
    let overview = installed(&app, &acme_admin).await;
    let row = overview.plugins.iter().find(|p| p.slug.as_str() == "scope-robot").unwrap();
    let update = row.update.clone().expect("an update request");
    assert_eq!((update.version, update.added.as_slice(), update.removed.is_empty(), update.declined), (2, [Scope::ReadTasks].as_slice(), true, false));
    assert!(update.notes_html.contains("<strong>tasks</strong>"), "{}", update.notes_html);
    let (_, html) = app.get_html(&acme_admin, "/installed").await;
    assert!(html.contains("data-testid=\"update-request\"") && html.contains("data-scope=\"read:tasks\""));
    let (_, html) = app.get_html(&acme_admin, "/marketplace/scope-robot").await;
    assert!(html.contains("data-testid=\"update-request\""), "the plugin's page asks too");
    let member = app.sign_in("member@acme.test").await;
    assert_eq!(error_of(answer(&app, &member, &acme_installation, "approve").await).await.0, 403, "owners and admins answer");
    assert_eq!(error_of(answer(&app, &acme_admin, &globex_installation, "approve").await).await.0, 404, "another tenant's installation");

    // A plugin that asks again through /oauth/authorize: the consent shows the difference.
    let res = authorize(&app, &globex_owner, &plugin.authorize_params("read:projects read:tasks", "again")).await;
    let html = res.text().await.unwrap();
    assert!(!consent_token(&html).is_empty());
    let added = &html[html.find("data-testid=\"consent-added\"").unwrap()..];
    let added = &added[..added.find("</ul>").unwrap()];
    assert!(added.contains("data-scope=\"read:tasks\"") && !added.contains("read:projects"), "{added}");
    assert!(html.contains("data-testid=\"consent-kept\"") && !html.contains("consent-removed"));
    // Asking for other scopes than granted: what it gains, and what it would lose.
    let html = authorize(&app, &globex_owner, &plugin.authorize_params("read:tasks", "other")).await.text().await.unwrap();
    let removed = &html[html.find("data-testid=\"consent-removed\"").expect("a removed list")..];
    assert!(removed[..removed.find("</ul>").unwrap()].contains("data-scope=\"read:projects\""));

    // Globex declines: it keeps its grant; the request leaves Installed plugins, and the
    // plugin's page still offers it.
    assert_eq!(answer(&app, &globex_owner, &globex_installation, "decline").await.status(), 200);
    let globex = refreshed(&app, &plugin, &globex).await;
    assert_eq!(scopes_of(&globex), "read:projects");
    refused_for_scope(&app, globex["access_token"].as_str().unwrap(), "/api/v1/tasks").await;
    let overview = installed(&app, &globex_owner).await;
    assert!(overview.plugins.iter().find(|p| p.slug.as_str() == "scope-robot").unwrap().update.is_none());
    let (_, html) = app.get_html(&globex_owner, "/installed").await;
    assert!(!html.contains("data-testid=\"update-request\""));
    let (_, html) = app.get_html(&globex_owner, "/marketplace/scope-robot").await;
    assert!(html.contains("data-testid=\"update-request\"") && html.contains("Update declined"), "approvable later from the plugin's page");
    // Members see no request.
    let overview = installed(&app, &member).await;
    assert!(overview.plugins.iter().all(|p| p.update.is_none()));

    // Acme approves: the grant widens in place; the next refresh carries it; the plugin hears.
    assert_eq!(answer(&app, &acme_admin, &acme_installation, "approve").await.status(), 200);
    assert_eq!(error_of(answer(&app, &acme_admin, &acme_installation, "approve").await).await.0, 409, "nothing more to approve");
    assert_eq!(app.installation_id("scope-robot", "admin@acme.test").await.to_string(), acme_installation, "no new install");
    let acme = refreshed(&app, &plugin, &acme).await;
    assert_eq!(scopes_of(&acme), "read:projects read:tasks");
    assert_eq!(api(&app, acme["access_token"].as_str().unwrap(), "/api/v1/tasks").await, 200);
    let events = receiver.wait_for(3).await;
    let updated: Vec<Value> = events.iter().map(|e| e.json()).filter(|e| e["type"] == "installation.scopes_updated").collect();
    assert_eq!(updated.len(), 1, "{events:?}");
    assert_eq!(updated[0]["data"]["scopes"], serde_json::json!(["read:projects", "read:tasks"]));
    assert_eq!(updated[0]["data"]["previous_scopes"], serde_json::json!(["read:projects"]));

    // Version 3 no longer reads projects: that applies at once, everywhere.
    change_scopes(&app, &developer, "scope-robot", &["read:tasks"], "No longer reads projects.").await;
    refused_for_scope(&app, acme["access_token"].as_str().unwrap(), "/api/v1/projects").await;
    assert_eq!(api(&app, acme["access_token"].as_str().unwrap(), "/api/v1/tasks").await, 200);
    assert_eq!(scopes_of(&refreshed(&app, &plugin, &acme).await), "read:tasks");
    assert!(installed(&app, &acme_admin).await.plugins.iter().all(|p| p.update.is_none()));
    refused_for_scope(&app, globex["access_token"].as_str().unwrap(), "/api/v1/projects").await;
    let events: Vec<Value> = receiver.wait_for(5).await.iter().map(|e| e.json()).collect();
    let narrowed: Vec<(i64, Value)> = events[3..].iter().map(|e| (e["data"]["installation_id"].as_i64().unwrap(), e["data"]["scopes"].clone())).collect();
    assert!(events[3..].iter().all(|e| e["type"] == "installation.scopes_updated"));
    assert!(narrowed.contains(&(acme_installation.parse().unwrap(), serde_json::json!(["read:tasks"]))), "{narrowed:?}");
    assert!(narrowed.contains(&(globex_installation.parse().unwrap(), serde_json::json!([]))), "{narrowed:?}");
    // Globex, which declined the tasks, is asked again by this version, for them alone.
    let update = installed(&app, &globex_owner).await.plugins.into_iter().find(|p| p.slug.as_str() == "scope-robot").unwrap().update.unwrap();
    assert_eq!((update.version, update.added, update.removed, update.declined), (3, vec![Scope::ReadTasks], vec![], false));
}

async fn a_suspended_plugin_stops_everywhere_until_tenants_reactivate(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    let spec = PluginSpec::new("pulled-robot").scopes("read:tasks").webhook("http://127.0.0.1:9/hooks");
    let fields = [("form[server_url]", reference.url("ok")), ("form[processes_content]", "true".to_owned())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let plugin = published(&app, &reference, spec, &fields).await;
    let developer = app.sign_in(DEVELOPER).await;
    upload_bundle(&app, &developer, "pulled-robot", b"plugboard.ui.notify('x');".to_vec()).await;
    release(&app, &developer, "pulled-robot", "Client-side code.").await;
    let admin = app.sign_in("admin@acme.test").await;
    let tokens = plugin.install_and_exchange(&app, &admin, "read:tasks").await;
    let installation = app.installation_id("pulled-robot", "admin@acme.test").await;
    let member = app.sign_in("member@acme.test").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(api(&app, access, "/api/v1/tasks").await, 200);
    assert_eq!(frame(&app, &member, "pulled-robot").await.0, 200);

    // Only staff suspend, with a reason.
    let staff = app.sign_in(STAFF).await;
    let suspend = [("slug", "pulled-robot"), ("decision", "suspended"), ("reason", "It sends tasks to an unknown host.")];
    assert_eq!(error_of(app.rpc(&developer, "decide", &suspend).await).await.0, 403);
    assert_eq!(error_of(app.rpc(&staff, "decide", &[("slug", "pulled-robot"), ("decision", "suspended"), ("reason", "")]).await).await.0, 422);
    assert_eq!(app.rpc(&staff, "decide", &suspend).await.status(), 200);
    assert_eq!(error_of(app.rpc(&staff, "decide", &suspend).await).await.0, 409, "suspended already");

    // Everything stops at once.
    assert_eq!(api(&app, access, "/api/v1/tasks").await, 401, "every token is revoked");
    assert_eq!(plugin.refresh(&app, tokens["refresh_token"].as_str().unwrap()).await.status(), 400);
    assert_eq!(frame(&app, &member, "pulled-robot").await.0, 404);
    assert_eq!(error_of(run(&app, &member, &installation.to_string()).await).await.0, 404, "Runs are refused");
    assert!(acme_install(&app, "pulled-robot").await.is_none(), "no plugin-server call has a target");
    assert_eq!(app.get_html(&app.client(), "/marketplace/pulled-robot").await.0, 404);
    let (_, html) = app.get_html(&admin, "/installed").await;
    assert!(html.contains("Suspended by Plugboard: It sends tasks to an unknown host."));
    assert_eq!(console(&app, &developer, "pulled-robot").await.suspension.map(|s| s.reason), Some("It sends tasks to an unknown host.".into()));
    let res = authorize(&app, &admin, &plugin.authorize_params("read:tasks", "s")).await;
    assert_eq!(res.status(), 400, "nobody consents to a suspended plugin");
    // Webhooks stop: queued events are kept, marked held.
    let deliveries = async || -> Vec<String> {
        let log: app::domain::DeliveryLog = app.rpc(&developer, "plugin_deliveries", &[("slug", "pulled-robot")]).await.json().await.unwrap();
        log.deliveries.into_iter().map(|d| d.status).collect()
    };
    let held = deliveries().await;
    assert!(!held.is_empty() && held.iter().all(|s| s == "held"), "{held:?}");
    // Sending one again keeps it held.
    let log: app::domain::DeliveryLog = app.rpc(&developer, "plugin_deliveries", &[("slug", "pulled-robot")]).await.json().await.unwrap();
    let event = log.deliveries[0].event_id.to_string();
    assert_eq!(app.rpc(&developer, "redeliver", &[("slug", "pulled-robot"), ("event_id", &event)]).await.status(), 200);
    assert!(deliveries().await.iter().all(|s| s == "held"));

    // Lifted: each tenant reactivates with one consent, on the same installation.
    assert_eq!(app.rpc(&staff, "decide", &[("slug", "pulled-robot"), ("decision", "reinstated"), ("reason", "")]).await.status(), 200);
    assert_eq!(app.get_html(&app.client(), "/marketplace/pulled-robot").await.0, 200);
    assert_eq!(frame(&app, &member, "pulled-robot").await.0, 404, "not before the tenant reactivates");
    let overview = installed(&app, &admin).await;
    let row = overview.plugins.iter().find(|p| p.slug.as_str() == "pulled-robot").unwrap();
    assert!(row.needs_reactivation && row.suspended.is_none());
    assert!(deliveries().await.iter().all(|s| s == "held"), "held until the tenant reactivates");
    let res = authorize(&app, &admin, &plugin.authorize_params("read:tasks", "back")).await;
    assert!(res.text().await.unwrap().contains("Reactivate pulled-robot for Acme Corp?"));
    let tokens = plugin.install_and_exchange(&app, &admin, "read:tasks").await;
    assert!(deliveries().await.iter().all(|s| s == "pending"), "due again once reactivated");
    assert_eq!(app.installation_id("pulled-robot", "admin@acme.test").await, installation, "the same installation");
    assert_eq!(api(&app, tokens["access_token"].as_str().unwrap(), "/api/v1/tasks").await, 200);
    assert_eq!(frame(&app, &member, "pulled-robot").await.0, 200);
    assert!(!installed(&app, &admin).await.plugins.iter().any(|p| p.needs_reactivation));
}

crate::on_both_databases!(
    what_tenants_run_changes_only_when_staff_publish,
    scope_upgrades_ask_before_they_widen,
    a_suspended_plugin_stops_everywhere_until_tenants_reactivate,
);
