//! Client-side plugins (DESIGN.md §7) through the real server: the frame document and its
//! policy, bundles stored and served by hash with their integrity, the bridge's calls
//! checked again on the server (tenant, grant, method, rate limit) and run through the REST
//! API's code, and bundle uploads in the developer console. What the browser enforces
//! (the sandbox, the CSP, the host's checks) is tested in Playwright (`sandbox.spec.ts`).

use crate::support::{hex_sha256, upload_bundle, Backend, Options, TestApp};
use app::domain::BridgeError;
use base64::Engine;
use serde_json::{json, Value};
use sha2::Digest;

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

async fn call(app: &TestApp, who: &reqwest::Client, installation: &str, method: &str, params: Value) -> Result<Value, BridgeError> {
    let res = app.rpc(who, "bridge_call", &[("installation_id", installation), ("method", method), ("params", &params.to_string())]).await;
    assert_eq!(res.status(), 200, "{method}");
    res.json().await.unwrap()
}

async fn demo_plugins_are_framed_with_a_strict_policy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.sign_in("admin@acme.test").await;
    let listed: Vec<app::domain::ClientPlugin> = app.rpc(&admin, "client_plugins", &[]).await.json().await.unwrap();
    let slugs: Vec<&str> = listed.iter().map(|p| p.slug.as_str()).collect();
    assert_eq!(slugs, ["task-counter", "quick-add"]);
    assert_eq!(listed[1].frame_url, "/plugins/quick-add/frame");

    let res = admin.get(app.url("/plugins/quick-add/frame")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = header(&res, "content-security-policy").to_owned();
    let origin = app.base.clone();
    assert!(csp.contains("default-src 'none'") && csp.ends_with("sandbox allow-scripts"), "{csp}");
    assert!(csp.contains("connect-src 'none';"), "no origins declared, no network: {csp}");
    assert!(csp.contains(&format!("frame-ancestors {origin};")), "{csp}");
    assert_eq!(header(&res, "cache-control"), "no-store");
    let html = res.text().await.unwrap();
    // The bundle: at its hash, with an integrity the browser checks, loadable cross-origin.
    let src_start = html.find("/bundles/").unwrap();
    let path = &html[src_start..src_start + "/bundles/".len() + 64 + 3];
    assert!(csp.contains(&format!("script-src {origin}/bridge/v1.js {origin}{path};")), "exactly two scripts: {csp}");
    let bundle = crate::support::get(app.url(path)).await.unwrap();
    assert_eq!(bundle.status(), 200);
    assert_eq!(header(&bundle, "access-control-allow-origin"), "*");
    assert!(header(&bundle, "content-type").starts_with("text/javascript"));
    let bytes = bundle.bytes().await.unwrap();
    assert_eq!(hex_sha256(&bytes), path[9..9 + 64]);
    assert!(html.contains(&format!("integrity=\"sha384-{}\"", base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&bytes)))));
    let bridge = crate::support::get(app.url("/bridge/v1.js")).await.unwrap();
    assert_eq!(header(&bridge, "access-control-allow-origin"), "*");
    let bridge = bridge.bytes().await.unwrap();
    assert!(html.contains(&format!("integrity=\"sha384-{}\"", base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&bridge)))));

    // Only for people whose organisation has it installed.
    let globex = app.sign_in("owner@globex.test").await;
    assert_eq!(globex.get(app.url("/plugins/quick-add/frame")).send().await.unwrap().status(), 404);
    assert_eq!(app.client().get(app.url("/plugins/quick-add/frame")).send().await.unwrap().status(), 401);
    assert_eq!(crate::support::get(app.url(&format!("/bundles/{}.js", "0".repeat(64)))).await.unwrap().status(), 404);
}


async fn bridge_calls_follow_the_api_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    // Members use installed plugins.
    let member = app.sign_in("member@acme.test").await;
    let quick_add = app.installation_id("quick-add", "admin@acme.test").await.to_string();
    let counter = app.installation_id("task-counter", "admin@acme.test").await.to_string();
    let project = app.first_project("admin@acme.test").await;

    let tasks = call(&app, &member, &quick_add, "tasks.list", json!({ "limit": 2 })).await.unwrap();
    assert_eq!(tasks["data"].as_array().unwrap().len(), 2);
    assert!(tasks["next_cursor"].is_string());
    let created = call(&app, &member, &quick_add, "tasks.create", json!({ "project_id": project, "title": "From the frame" })).await.unwrap();
    assert_eq!(created["title"], "From the frame");
    // Marked as the plugin's work, as a REST call would be.
    let (_, page) = app.get_html(&member, "/projects").await;
    assert!(page.contains("From the frame") && page.contains("Added by Quick Add"));
    let updated = call(&app, &member, &quick_add, "tasks.update", json!({ "id": created["id"], "status": "done" })).await.unwrap();
    assert_eq!(updated["status"], "done");
    let context = call(&app, &member, &counter, "context.get", Value::Null).await.unwrap();
    assert_eq!((context["tenant"]["name"].as_str(), context["user"]["displayName"].as_str()), (Some("Acme Corp"), Some("Mia Member")));

    // The plugin acts as the person using it: a viewer's Quick Add reads but may not write.
    let viewer = app.sign_in("viewer@acme.test").await;
    assert!(call(&app, &viewer, &quick_add, "tasks.list", json!({})).await.is_ok());
    let refused = call(&app, &viewer, &quick_add, "tasks.create", json!({ "project_id": project, "title": "By a viewer" })).await.unwrap_err();
    assert_eq!(refused.code, "forbidden");
    let refused = call(&app, &viewer, &quick_add, "tasks.update", json!({ "id": created["id"], "status": "todo" })).await.unwrap_err();
    assert_eq!(refused.code, "forbidden");
    let (_, page) = app.get_html(&member, "/projects").await;
    assert!(!page.contains("By a viewer"));

    // The grant holds on the server too, whatever the page says.
    let refused = call(&app, &member, &counter, "tasks.create", json!({ "project_id": project, "title": "x" })).await.unwrap_err();
    assert_eq!(refused.code, "insufficient_scope");
    assert_eq!(call(&app, &member, &counter, "projects.list", json!({})).await.unwrap_err().code, "insufficient_scope");
    assert_eq!(call(&app, &member, &counter, "users.delete", json!({})).await.unwrap_err().code, "unknown_method");
    let bad = call(&app, &member, &quick_add, "tasks.create", json!({ "project_id": project, "titel": "typo" })).await.unwrap_err();
    assert_eq!((bad.code.as_str(), bad.field.is_some()), ("bad_request", true));
    let globex_project = app.first_project("owner@globex.test").await;
    let foreign = call(&app, &member, &quick_add, "tasks.create", json!({ "project_id": globex_project, "title": "x" })).await.unwrap_err();
    assert_eq!((foreign.code.as_str(), foreign.field.as_deref()), ("validation_failed", Some("project_id")));
    // Another organisation cannot call through Acme's installation.
    let globex = app.sign_in("owner@globex.test").await;
    assert_eq!(call(&app, &globex, &quick_add, "tasks.list", json!({})).await.unwrap_err().code, "uninstalled");
    assert_eq!(app.rpc(&app.client(), "bridge_call", &[("installation_id", quick_add.as_str()), ("method", "tasks.list"), ("params", "{}")]).await.status(), 401);

    // Uninstalled: every call says so.
    let admin = app.sign_in("admin@acme.test").await;
    assert_eq!(app.rpc(&admin, "uninstall_plugin", &[("installation_id", quick_add.as_str())]).await.status(), 200);
    assert_eq!(call(&app, &member, &quick_add, "tasks.list", json!({})).await.unwrap_err().code, "uninstalled");
    assert_eq!(member.get(app.url("/plugins/quick-add/frame")).send().await.unwrap().status(), 404);
}

async fn bridge_calls_count_on_the_installations_rate_limit(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { api_requests_per_minute: 3, ..Options::default() }).await;
    app.seed_demo().await;
    let member = app.sign_in("member@acme.test").await;
    let counter = app.installation_id("task-counter", "admin@acme.test").await.to_string();
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(call(&app, &member, &counter, "tasks.list", json!({})).await.err().map(|e| e.code));
    }
    // A window's edge may fall between the calls; then the count starts again.
    let refused = codes.iter().filter(|c| c.as_deref() == Some("rate_limited")).count();
    assert!(refused >= 1, "{codes:?}");
}

async fn developers_upload_bundles_that_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let developer = app.sign_in("developer@partners.test").await;
    let form = [
        ("form[slug]", "board-widget"),
        ("form[name]", "Board Widget"),
        ("form[description]", "A widget."),
        ("form[author]", "Widgets"),
        ("form[category]", "productivity"),
        ("form[redirect_uris]", "https://widget.example.com/cb"),
        ("form[scopes][0]", "read:tasks"),
        ("form[client_origins]", "https://api.widget.example\nhttp://widget.example.com"),
    ];
    let res = app.rpc(&developer, "create_plugin", &form).await;
    let (status, error) = crate::support::error_of(res).await;
    assert_eq!((status, error.field_message("client_origins").is_some()), (422, true), "http to a public host is refused");
    let mut form = form.to_vec();
    form[7] = ("form[client_origins]", "https://api.widget.example");
    assert_eq!(app.rpc(&developer, "create_plugin", &form).await.status(), 200);

    let page = "/developer/plugins/board-widget";
    assert_eq!(upload_bundle(&app, &developer, "board-widget", vec![b'x'; 512 * 1024 + 1]).await, format!("{page}?bundle_error=too-large"));
    assert_eq!(upload_bundle(&app, &developer, "board-widget", b"<html><script>1</script></html>".to_vec()).await, format!("{page}?bundle_error=type"));
    assert_eq!(upload_bundle(&app, &developer, "board-widget", vec![0xff, 0xfe, 0x00]).await, format!("{page}?bundle_error=type"));
    let code = b"plugboard.ui.notify('hello');".to_vec();
    assert_eq!(upload_bundle(&app, &developer, "board-widget", code.clone()).await, format!("{page}?bundle=uploaded"));
    let (kind, origins): (String, String) = sqlx::query_as("SELECT kind, client_origins FROM plugins WHERE slug = 'board-widget'").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!((kind.as_str(), origins.as_str()), ("client", "[\"https://api.widget.example\"]"));
    let plugin: app::domain::ConsolePlugin = app.rpc(&developer, "developer_plugin", &[("slug", "board-widget")]).await.json().await.unwrap();
    assert_eq!(plugin.bundle, Some((hex_sha256(&code), code.len() as i64)));
    // Someone else's plugin is not theirs to upload to.
    let other = app.sign_in("owner@acme.test").await;
    let part = reqwest::multipart::Part::bytes(code.clone()).file_name("b.js");
    let res = other
        .post(app.url("/developer/plugins/board-widget/bundle"))
        .multipart(reqwest::multipart::Form::new().part("bundle", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // In review, no code is taken; a published plugin's new code goes into its next
    // draft version, and the plugin stays published (what tenants run is `versions.rs`'s).
    assert_eq!(app.rpc(&developer, "submit_plugin", &[("slug", "board-widget"), ("release_notes", "First release.")]).await.status(), 200);
    assert_eq!(upload_bundle(&app, &developer, "board-widget", b"void 0;".to_vec()).await, format!("{page}?bundle_error=in-review"));
    let staff = app.sign_in("staff@plugboard.test").await;
    assert_eq!(app.rpc(&staff, "decide", &[("slug", "board-widget"), ("decision", "published"), ("reason", "")]).await.status(), 200);
    assert_eq!(upload_bundle(&app, &developer, "board-widget", b"void 1;".to_vec()).await, format!("{page}?bundle=draft-2"));
    let plugin: app::domain::ConsolePlugin = app.rpc(&developer, "developer_plugin", &[("slug", "board-widget")]).await.json().await.unwrap();
    assert_eq!(plugin.state, app::domain::ReviewState::Published);
    assert_eq!(plugin.bundle, Some((hex_sha256(b"void 1;"), 7)), "the console shows the draft's code");
}

crate::on_both_databases!(
    demo_plugins_are_framed_with_a_strict_policy,
    bridge_calls_follow_the_api_rules,
    bridge_calls_count_on_the_installations_rate_limit,
    developers_upload_bundles_that_are_checked,
);
