//! The plugin REST API through the real server (DESIGN.md §5).

use crate::support::{Backend, Options, TestApp};
use crate::support::{PluginSpec, TestPlugin};
use app::domain::{JobId, JobStatus, ProjectId, TaskId};
use app::server::scope::{Member, TenantScope};
use app::server::{store, work};
use reqwest::Method;
use serde_json::{json, Value};

/// An app with three Acme installations (all scopes; projects only; tasks only), a
/// Globex one, and the ids of one Acme and one Globex project and task.
struct World {
    app: TestApp,
    full: String,
    projects_only: String,
    tasks_only: String,
    globex: String,
    plugin: TestPlugin,
    acme_project: ProjectId,
    acme_task: TaskId,
    /// Acme's admin and Globex's owner, people the users routes return.
    acme_user: app::domain::UserId,
    globex_user: app::domain::UserId,
    globex_project: ProjectId,
    globex_task: TaskId,
    /// Acme's and Globex's scopes, for reading what the API left behind.
    acme_scope: TenantScope,
    globex_scope: TenantScope,
    /// A Run the plugin accepted (202) in Acme, for the matrix to finish.
    matrix_job: JobId,
    /// A job of the same plugin in Globex, which Acme's token must not reach.
    globex_job: JobId,
}

const ALL: &str = "read:projects write:projects read:tasks write:tasks read:users";

/// A pending job of the plugin "api-user" in `member`'s tenant, on its first task, as a
/// Run the plugin accepted leaves it.
async fn pending_job(app: &TestApp, member: &Member) -> JobId {
    let scope = member.scope();
    let installation = app.installation_in(&scope, "api-user").await;
    let (id, t) = (JobId::generate(), app::server::now());
    let task = app.first_task_in(&scope).await;
    assert!(store::jobs::insert(&app.db, &scope, &id, installation, member.id, task, t, t + 600).await.unwrap());
    id
}

impl World {
    /// How many tasks, of any tenant, the database holds in `project`: counted in SQL, not
    /// through the code under test.
    async fn tasks_in(&self, project: ProjectId) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM tasks WHERE project_id = $1").bind(project).fetch_one(self.app.db.pool()).await.unwrap()
    }

    async fn new(backend: Backend) -> Self {
        Self::with(backend, Options::default()).await
    }

    async fn with(backend: Backend, options: Options) -> Self {
        let app = TestApp::spawn_with(backend, options).await;
        app.seed_demo().await;
        let plugin = app.register(PluginSpec::new("api-user").scopes(ALL)).await;
        let narrow_p = app.register(PluginSpec::new("projects-only").scopes("read:projects write:projects")).await;
        let narrow_t = app.register(PluginSpec::new("tasks-only").scopes("read:tasks write:tasks")).await;
        let acme = app.sign_in("admin@acme.test").await;
        let globex = app.sign_in("owner@globex.test").await;
        let token = |v: Value| v["access_token"].as_str().unwrap().to_owned();
        let full = token(plugin.install_and_exchange(&app, &acme, ALL).await);
        let projects_only = token(narrow_p.install_and_exchange(&app, &acme, "read:projects write:projects").await);
        let tasks_only = token(narrow_t.install_and_exchange(&app, &acme, "read:tasks write:tasks").await);
        let globex_token = token(plugin.install_and_exchange(&app, &globex, ALL).await);
        let (acme_admin, globex_owner) = (app.member_of("admin@acme.test").await, app.member_of("owner@globex.test").await);
        let (matrix_job, globex_job) = (pending_job(&app, &acme_admin).await, pending_job(&app, &globex_owner).await);
        let (acme_scope, globex_scope) = (acme_admin.scope(), globex_owner.scope());
        Self {
            acme_user: acme_admin.id,
            globex_user: globex_owner.id,
            acme_project: app.first_project_in(&acme_scope).await,
            acme_task: app.first_task_in(&acme_scope).await,
            globex_project: app.first_project_in(&globex_scope).await,
            globex_task: app.first_task_in(&globex_scope).await,
            acme_scope,
            globex_scope,
            matrix_job,
            globex_job,
            app,
            full,
            projects_only,
            tasks_only,
            globex: globex_token,
            plugin,
        }
    }

    async fn call(&self, token: Option<&str>, method: Method, path: &str, body: Option<Value>) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = crate::support::http().request(method, self.app.url(&format!("/api/v1{path}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")) };
        (status, headers, value)
    }
}

/// One route as the matrix exercises it.
struct Route {
    method: Method,
    path: String,
    body: Option<Value>,
    scope: Option<&'static str>,
    ok: u16,
}

fn routes(w: &World, project: ProjectId, task: TaskId) -> Vec<Route> {
    let r = |method: Method, path: String, body: Option<Value>, scope: Option<&'static str>, ok: u16| Route { method, path, body, scope, ok };
    vec![
        r(Method::GET, "/installation".into(), None, None, 200),
        r(Method::GET, "/installation/settings".into(), None, None, 200),
        r(Method::GET, "/projects".into(), None, Some("read:projects"), 200),
        r(Method::POST, "/projects".into(), Some(json!({"name": "From the API"})), Some("write:projects"), 201),
        r(Method::GET, format!("/projects/{project}"), None, Some("read:projects"), 200),
        r(Method::PATCH, format!("/projects/{project}"), Some(json!({"name": "Renamed"})), Some("write:projects"), 200),
        r(Method::GET, "/tasks".into(), None, Some("read:tasks"), 200),
        r(Method::POST, "/tasks".into(), Some(json!({"project_id": w.acme_project, "title": "From the API"})), Some("write:tasks"), 201),
        r(Method::GET, format!("/tasks/{task}"), None, Some("read:tasks"), 200),
        r(Method::PATCH, format!("/tasks/{task}"), Some(json!({"status": "done"})), Some("write:tasks"), 200),
        r(Method::DELETE, format!("/tasks/{task}"), None, Some("write:tasks"), 204),
        r(Method::DELETE, format!("/projects/{project}"), None, Some("write:projects"), 204),
        r(Method::GET, "/users".into(), None, Some("read:users"), 200),
        r(Method::GET, format!("/users/{}", w.acme_user), None, Some("read:users"), 200),
        r(Method::POST, format!("/jobs/{}", w.matrix_job), Some(json!({"status": "done", "result": {"message": "Done."}})), None, 200),
    ]
}

fn assert_error(status: u16, body: &Value, expected_status: u16, code: &str, context: &str) {
    assert_eq!(status, expected_status, "{context}: {body}");
    assert_eq!(body["error"]["code"], code, "{context}: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{context}");
}

async fn every_route_refuses_bad_tokens(backend: Backend) {
    let w = World::new(backend).await;
    // Revoked: a second installation's token revoked through RFC 7009.
    let other = w.app.register(PluginSpec::new("revoked-one").scopes(ALL)).await;
    let acme = w.app.sign_in("owner@acme.test").await;
    let tokens = other.install_and_exchange(&w.app, &acme, ALL).await;
    let revoked = tokens["access_token"].as_str().unwrap().to_owned();
    crate::support::http()
        .post(w.app.url("/oauth/revoke"))
        .basic_auth(&other.creds.client_id, Some(&other.creds.client_secret))
        .form(&[("token", revoked.as_str())])
        .send()
        .await
        .unwrap();
    // Uninstalled: a third installation, uninstalled.
    let gone_plugin = w.app.register(PluginSpec::new("gone-one").scopes(ALL)).await;
    let tokens = gone_plugin.install_and_exchange(&w.app, &acme, ALL).await;
    let gone = tokens["access_token"].as_str().unwrap().to_owned();
    let installation = gone_plugin.introspect(&w.app, &gone).await["installation_id"].as_i64().unwrap().to_string();
    assert_eq!(w.app.rpc(&acme, "uninstall_plugin", &[("installation_id", installation.as_str())]).await.status(), 200);
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();

    for route in routes(&w, w.acme_project, w.acme_task) {
        let ctx = format!("{} {}", route.method, route.path);
        let (s, h, b) = w.call(None, route.method.clone(), &route.path, route.body.clone()).await;
        assert_error(s, &b, 401, "invalid_token", &ctx);
        assert_eq!(h["www-authenticate"], "Bearer realm=\"Plugboard\"", "{ctx}");
        assert_eq!(b["error"]["message"], "Send an access token in the Authorization header: Bearer pba_…", "{ctx}");
        for (label, token) in [("bad", "pba_not-a-token"), ("revoked", revoked.as_str()), ("uninstalled", gone.as_str()), ("refresh", refresh_token.as_str())] {
            let (s, h, b) = w.call(Some(token), route.method.clone(), &route.path, route.body.clone()).await;
            assert_error(s, &b, 401, "invalid_token", &format!("{ctx} with a {label} token"));
            assert!(h["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""), "{ctx}");
        }
    }
    // A token in the query string is refused even when it is valid.
    let (s, _, b) = w.call(None, Method::GET, &format!("/installation?access_token={}", w.full), None).await;
    assert_error(s, &b, 400, "invalid_request", "token in the query");
}

async fn every_route_enforces_its_scope(backend: Backend) {
    let w = World::new(backend).await;
    for route in routes(&w, w.acme_project, w.acme_task) {
        let Some(scope) = route.scope else { continue };
        // The installation without this resource's scopes at all.
        let lacking = if scope.ends_with("projects") { &w.tasks_only } else { &w.projects_only };
        let (s, h, b) = w.call(Some(lacking), route.method.clone(), &route.path, route.body.clone()).await;
        assert_error(s, &b, 403, "insufficient_scope", &format!("{} {}", route.method, route.path));
        assert_eq!(h["www-authenticate"], format!("Bearer realm=\"Plugboard\", error=\"insufficient_scope\", scope=\"{scope}\""));
        assert!(b["error"]["message"].as_str().unwrap().contains(scope));
    }
    // Narrowed by refresh to read:tasks: reads work, writes do not (write:X implies read:X, not the reverse).
    let first = w.plugin.install_and_exchange(&w.app, &w.app.sign_in("admin@acme.test").await, ALL).await;
    let narrowed: Value = w
        .plugin
        .token(&w.app, &[("grant_type", "refresh_token"), ("refresh_token", first["refresh_token"].as_str().unwrap()), ("scope", "read:tasks")])
        .await
        .json()
        .await
        .unwrap();
    let read_only = narrowed["access_token"].as_str().unwrap();
    assert_eq!(w.call(Some(read_only), Method::GET, "/tasks", None).await.0, 200);
    let (s, _, b) = w.call(Some(read_only), Method::POST, "/tasks", Some(json!({"project_id": w.acme_project, "title": "x"}))).await;
    assert_error(s, &b, 403, "insufficient_scope", "read-only token writing");
    // The answer blames the token, which a refresh narrowed, not the installation's grant
    // (the installation-level refusal above says the installation did not grant it).
    let message = b["error"]["message"].as_str().unwrap();
    assert!(message.contains("this access token was narrowed") && !message.contains("did not grant"), "{message}");
    let (_, _, me) = w.call(Some(read_only), Method::GET, "/installation", None).await;
    assert_eq!(me["scopes"], json!(["read:tasks"]));
    assert_eq!(me["granted_scopes"].as_array().unwrap().len(), ALL.split(' ').count(), "{me}");
    // A refresh without `scope` gets the whole grant back: narrowing never shrinks the grant.
    let whole: Value = w
        .plugin
        .token(&w.app, &[("grant_type", "refresh_token"), ("refresh_token", narrowed["refresh_token"].as_str().unwrap())])
        .await
        .json()
        .await
        .unwrap();
    let (_, _, me) = w.call(Some(whole["access_token"].as_str().unwrap()), Method::GET, "/installation", None).await;
    assert_eq!(me["scopes"], me["granted_scopes"], "{whole}");
    // write:tasks alone covers reading tasks.
    assert_eq!(w.call(Some(&w.tasks_only), Method::GET, &format!("/tasks/{}", w.acme_task), None).await.0, 200);
}

async fn another_tenants_objects_are_not_found(backend: Backend) {
    let w = World::new(backend).await;
    let globex_name = work::get_project(&w.app.db, &w.globex_scope, w.globex_project).await.unwrap().name;
    for route in routes(&w, w.globex_project, w.globex_task) {
        let names = |id: String| route.path.split('/').any(|segment| segment == id);
        if !names(w.globex_project.to_string()) && !names(w.globex_task.to_string()) {
            continue;
        }
        let (s, _, b) = w.call(Some(&w.full), route.method.clone(), &route.path, route.body.clone()).await;
        assert_error(s, &b, 404, "not_found", &format!("{} {}", route.method, route.path));
        assert!(!b.to_string().contains(&globex_name));
    }
    // Another tenant's job, even of the same plugin, is not found, and stays as it was.
    let (s, _, b) = w.call(Some(&w.full), Method::POST, &format!("/jobs/{}", w.globex_job), Some(json!({"status": "failed", "error": "hijacked"}))).await;
    assert_error(s, &b, 404, "not_found", "another tenant's job");
    let job = store::jobs::find(&w.app.db, &w.globex_scope, &w.globex_job).await.unwrap().expect("Globex's job");
    assert_eq!(job.status.0, JobStatus::Pending);
    // Lists hold only the caller's tenant.
    let (_, _, projects) = w.call(Some(&w.full), Method::GET, "/projects?limit=100", None).await;
    let ids: Vec<i64> = projects["data"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&w.acme_project.get()) && !ids.contains(&w.globex_project.get()));
    // Globex's project cannot receive Acme's tasks, and is not confirmed to exist.
    let (s, _, b) = w.call(Some(&w.full), Method::POST, "/tasks", Some(json!({"project_id": w.globex_project, "title": "x"}))).await;
    assert_error(s, &b, 422, "validation_failed", "task in another tenant's project");
    assert_eq!(b["error"]["field"], "project_id");
    // Globex's own token sees its project.
    assert_eq!(w.call(Some(&w.globex), Method::GET, &format!("/projects/{}", w.globex_project), None).await.0, 200);
    // People: Acme's token lists Acme's (name, email, role, never a password hash) and
    // finds none of Globex's.
    let (s, _, people) = w.call(Some(&w.full), Method::GET, "/users?limit=100", None).await;
    assert_eq!(s, 200);
    let people = people["data"].as_array().unwrap();
    assert!(people.iter().any(|p| p["id"] == w.acme_user.get() && p["role"] == "admin" && p["email"] == "admin@acme.test"), "{people:?}");
    assert!(people.iter().all(|p| p["id"] != w.globex_user.get() && p.as_object().unwrap().len() == 4), "{people:?}");
    let (s, _, b) = w.call(Some(&w.full), Method::GET, &format!("/users/{}", w.globex_user), None).await;
    assert_error(s, &b, 404, "not_found", "another tenant's person");
    assert_eq!(w.call(Some(&w.globex), Method::GET, &format!("/users/{}", w.globex_user), None).await.0, 200);
    // Unchanged after all that.
    let still = work::get_project(&w.app.db, &w.globex_scope, w.globex_project).await.unwrap().name;
    assert_eq!(still, globex_name);
}

async fn the_happy_path_of_every_route(backend: Backend) {
    let w = World::new(backend).await;
    for route in routes(&w, w.acme_project, w.acme_task) {
        let (s, _, b) = w.call(Some(&w.full), route.method.clone(), &route.path, route.body.clone()).await;
        assert_eq!(s, route.ok, "{} {}: {b}", route.method, route.path);
    }
    let (_, _, me) = w.call(Some(&w.full), Method::GET, "/installation", None).await;
    assert_eq!(me["tenant_name"], "Acme Corp");
    assert_eq!(me["plugin"], "api-user");
    assert_eq!(me["scopes"], json!(["read:projects", "write:projects", "read:tasks", "write:tasks", "read:users"]));
    // The project the matrix deleted took its tasks with it.
    assert_eq!(w.tasks_in(w.acme_project).await, 0);
}

async fn tasks_filter_paginate_and_update(backend: Backend) {
    let w = World::new(backend).await;
    let (s, _, project) = w.call(Some(&w.full), Method::POST, "/projects", Some(json!({"name": "  Launch  ", "description": "Q4"}))).await;
    assert_eq!(s, 201);
    assert_eq!(project["name"], "Launch");
    let pid = project["id"].as_i64().unwrap();
    let assignee = w.app.member_of("member@acme.test").await.id;
    for i in 0..7 {
        let status = if i % 2 == 0 { "todo" } else { "doing" };
        let (s, _, _) = w
            .call(Some(&w.full), Method::POST, "/tasks", Some(json!({"project_id": pid, "title": format!("Step {i}"), "status": status, "assignee_id": assignee, "due_date": "2026-12-31"})))
            .await;
        assert_eq!(s, 201);
    }
    // Pages of 3 through the project's 7 tasks.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/tasks?project_id={pid}&limit=3&cursor={c}"),
            None => format!("/tasks?project_id={pid}&limit=3"),
        };
        let (s, _, page) = w.call(Some(&w.full), Method::GET, &path, None).await;
        assert_eq!(s, 200);
        seen.extend(page["data"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, (0..7).map(|i| format!("Step {i}")).collect::<Vec<_>>());
    // An empty cursor is the first page.
    let (s, _, first) = w.call(Some(&w.full), Method::GET, &format!("/tasks?project_id={pid}&limit=3&cursor="), None).await;
    assert_eq!(s, 200);
    assert_eq!(first["data"][0]["title"], "Step 0");
    let (_, _, doing) = w.call(Some(&w.full), Method::GET, &format!("/tasks?project_id={pid}&status=doing&limit=100"), None).await;
    assert_eq!(doing["data"].as_array().unwrap().len(), 3);
    // PATCH: null clears, absent keeps.
    let id = doing["data"][0]["id"].as_i64().unwrap();
    let (s, _, t) = w.call(Some(&w.full), Method::PATCH, &format!("/tasks/{id}"), Some(json!({"assignee_id": null, "title": "Renamed"}))).await;
    assert_eq!(s, 200);
    assert_eq!(t["assignee_id"], Value::Null);
    assert_eq!(t["due_date"], "2026-12-31");
    assert_eq!(t["title"], "Renamed");
    // The change is attributed to the installation.
    let by: Option<i64> = sqlx::query_scalar("SELECT updated_by_installation FROM tasks WHERE id = $1").bind(id).fetch_one(w.app.db.pool()).await.unwrap();
    assert!(by.is_some());
}

/// Tasks created and patched while their project is being deleted: each answer is a
/// created task or a clear "no such project", never a 500, and no task outlives its project.
async fn writes_racing_a_project_delete_stay_consistent(backend: Backend) {
    let w = World::new(backend).await;
    let (_, _, project) = w.call(Some(&w.full), Method::POST, "/projects", Some(json!({"name": "Doomed"}))).await;
    let pid = project["id"].as_i64().unwrap();
    let (_, _, moving) = w.call(Some(&w.full), Method::POST, "/tasks", Some(json!({"project_id": w.acme_project, "title": "Mover"}))).await;
    let moving = moving["id"].as_i64().unwrap();
    let w = &w;
    let writes = (0..24).map(|i| async move {
        if i % 4 == 0 {
            let (status, _, body) = w.call(Some(&w.full), Method::PATCH, &format!("/tasks/{moving}"), Some(json!({"project_id": pid}))).await;
            (Method::PATCH, status, body)
        } else {
            let (status, _, body) = w.call(Some(&w.full), Method::POST, "/tasks", Some(json!({"project_id": pid, "title": format!("Racer {i}")}))).await;
            (Method::POST, status, body)
        }
    });
    let delete = async {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        w.call(Some(&w.full), Method::DELETE, &format!("/projects/{pid}"), None).await
    };
    let (answers, deleted) = tokio::join!(futures::future::join_all(writes), delete);
    assert_eq!(deleted.0, 204, "{}", deleted.2);
    for (method, status, body) in answers {
        match (method, status) {
            (Method::PATCH, 200) | (Method::POST, 201) => {}
            (_, 422) => assert_eq!(body["error"]["field"], "project_id", "{body}"),
            // Once moved into the project, the task went with it: a later patch finds nothing.
            (Method::PATCH, 404) => {}
            (method, status) => panic!("{method} {status}: {body}"),
        }
    }
    assert_eq!(w.tasks_in(pid.to_string().parse().unwrap()).await, 0);
}

async fn bad_input_gets_clear_errors_never_500(backend: Backend) {
    let w = World::new(backend).await;
    let post = |body: String, content_type: &'static str| {
        let (url, token) = (w.app.url("/api/v1/tasks"), w.full.clone());
        async move {
            let res = crate::support::http().post(url).bearer_auth(token).header("content-type", content_type).body(body).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let p = w.acme_project;
    let cases: Vec<(String, &str, u16, &str, Option<&str>)> = vec![
        (format!(r#"{{"project_id": {p}, "title": "x", "colour": "red"}}"#), "application/json", 400, "bad_request", Some("colour")),
        (format!(r#"{{"project_id": "{p}", "title": "x"}}"#), "application/json", 400, "bad_request", Some("project_id")),
        (format!(r#"{{"project_id": {p}, "title": "x", "status": "finished"}}"#), "application/json", 400, "bad_request", Some("status")),
        (format!(r#"{{"project_id": {p}}}"#), "application/json", 400, "bad_request", None),
        ("{not json".into(), "application/json", 400, "bad_request", None),
        (format!(r#"{{"project_id": {p}, "title": "x"}}"#), "text/plain", 415, "unsupported_media_type", None),
        (format!(r#"{{"project_id": {p}, "title": "   "}}"#), "application/json", 422, "validation_failed", Some("title")),
        (format!(r#"{{"project_id": {p}, "title": "x", "due_date": "2026-02-30"}}"#), "application/json", 422, "validation_failed", Some("due_date")),
        (format!(r#"{{"project_id": {p}, "title": "x", "assignee_id": 999999}}"#), "application/json", 422, "validation_failed", Some("assignee_id")),
        (format!(r#"{{"project_id": {p}, "title": "{}"}}"#, "x".repeat(70_000)), "application/json", 413, "payload_too_large", None),
    ];
    for (body, ct, status, code, field) in cases {
        let ctx: String = body.chars().take(60).collect();
        let (s, b) = post(body, ct).await;
        assert_error(s, &b, status, code, &ctx);
        if let Some(f) = field {
            assert_eq!(b["error"]["field"], f, "{ctx}: {b}");
        }
    }
    // A NUL byte, which PostgreSQL cannot store, is a validation error on both databases.
    let (s, _, b) = w.call(Some(&w.full), Method::POST, "/projects", Some(json!({"name": "Fine", "description": "a\u{0}b"}))).await;
    assert_error(s, &b, 422, "validation_failed", "NUL in a description");
    assert_eq!(b["error"]["field"], "description");
    for path in ["/tasks?limit=0", "/tasks?limit=abc", "/tasks?status=nope", "/tasks?cursor=%%%", "/tasks?cursor=007", "/tasks?cursor=1e3", "/tasks?unknown=1", "/projects?archived=maybe"] {
        let (s, _, b) = w.call(Some(&w.full), Method::GET, path, None).await;
        assert_error(s, &b, 400, "bad_request", path);
    }
    for path in ["/tasks/abc", "/tasks/-1", "/tasks/99999999999999999999", "/nothing-here"] {
        let (s, _, b) = w.call(Some(&w.full), Method::GET, path, None).await;
        assert_error(s, &b, 404, "not_found", path);
    }
    let (s, _, b) = w.call(Some(&w.full), Method::PUT, "/tasks", None).await;
    assert_error(s, &b, 405, "method_not_allowed", "PUT /tasks");
}

/// Waits, when the minute's window ends within 20 seconds, for the next one: a test of
/// the per-minute limit must not see its counts start again halfway.
async fn well_inside_a_rate_limit_window() {
    let second = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 60;
    if second >= 40 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - second)).await;
    }
}

async fn installations_are_rate_limited_with_headers(backend: Backend) {
    let w = World::with(backend, Options { api_requests_per_minute: 5, ..Options::default() }).await;
    well_inside_a_rate_limit_window().await;
    let mut last = (0, reqwest::header::HeaderMap::new(), Value::Null);
    for i in 0..5 {
        last = w.call(Some(&w.full), Method::GET, "/installation", None).await;
        assert_eq!(last.0, 200, "request {i}");
        assert_eq!(last.1["ratelimit-limit"], "5");
        assert_eq!(last.1["ratelimit-remaining"], (4 - i).to_string().as_str());
    }
    let (s, h, b) = w.call(Some(&w.full), Method::GET, "/installation", None).await;
    assert_error(s, &b, 429, "rate_limited", "sixth request");
    assert!(h["retry-after"].to_str().unwrap().parse::<i64>().unwrap() >= 1);
    assert_eq!(h["ratelimit-remaining"], "0");
    // Another installation has its own budget.
    assert_eq!(w.call(Some(&w.tasks_only), Method::GET, "/installation", None).await.0, 200);
    let _ = last;
}

/// Two server instances on one database share each installation's budget: each adds
/// its hits to the database within a flush, and learns the total from it.
async fn instances_share_the_rate_limit(backend: Backend) {
    let w = World::with(backend, Options { api_requests_per_minute: 5, ..Options::default() }).await;
    let other = w.app.another_instance(Options { api_requests_per_minute: 5, ..Options::default() }).await;
    well_inside_a_rate_limit_window().await;
    let settle = || tokio::time::sleep(app::server::rate_limit::FLUSH_EVERY * 12);
    let on_other = |token: String| {
        let url = format!("{}/api/v1/installation", other.base);
        async move {
            let res = crate::support::http().get(url).bearer_auth(token).send().await.unwrap();
            (res.status().as_u16(), res.headers()["ratelimit-remaining"].to_str().unwrap().to_owned())
        }
    };
    for _ in 0..3 {
        assert_eq!(w.call(Some(&w.full), Method::GET, "/installation", None).await.0, 200);
    }
    settle().await;
    // The other instance has not counted yet: its first flush tells it of the first three.
    assert_eq!(on_other(w.full.clone()).await.0, 200);
    settle().await;
    assert_eq!(on_other(w.full.clone()).await, (200, "0".to_owned()), "the fifth request of the minute");
    assert_eq!(on_other(w.full.clone()).await.0, 429);
    settle().await;
    let hits: i64 = sqlx::query_scalar("SELECT CAST(SUM(hits) AS BIGINT) FROM rate_limits WHERE key LIKE 'api:%'").fetch_one(w.app.db.pool()).await.unwrap();
    assert_eq!(hits, 6, "every request is counted in the database, the refused one too");
    // The first instance learns of the other's requests with its next flush.
    let mut refused = false;
    for _ in 0..2 {
        refused = w.call(Some(&w.full), Method::GET, "/installation", None).await.0 == 429;
        if refused {
            break;
        }
        settle().await;
    }
    assert!(refused, "the first instance refuses once the shared total is past the limit");
}

async fn the_openapi_document_matches_the_routes(backend: Backend) {
    let w = World::new(backend).await;
    let doc: Value = crate::support::get(w.app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // The install flow as an oauth2 scheme, with every scope and its consent sentence.
    let flow = &doc["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"];
    assert_eq!(flow["authorizationUrl"], w.app.url("/oauth/authorize"));
    assert_eq!(flow["tokenUrl"], w.app.url("/oauth/token"));
    for scope in app::domain::Scope::ALL {
        assert_eq!(flow["scopes"][scope.as_str()], scope.sentence());
    }
    assert_eq!(doc["info"]["license"]["name"], "MIT");
    // Every operation that takes a bearer token takes the same scopes through oauth2.
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let security = operation["security"].as_array().unwrap();
            let bearer: Vec<&Value> = security.iter().filter_map(|r| r.get("bearer")).collect();
            let oauth2: Vec<&Value> = security.iter().filter_map(|r| r.get("oauth2")).collect();
            assert_eq!(bearer, oauth2);
        }
    }
    // Paths are relative to the server URL.
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    let mut documented: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let op = format!("{} {path}", method.to_uppercase());
            // What any route may answer is documented on each (schemathesis holds us to it).
            let mut answers = vec!["401", "429"];
            if operation["requestBody"].is_object() {
                answers.extend(["400", "413", "415", "422"]);
            }
            for status in answers {
                assert_eq!(operation["responses"][status]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody", "{op} documents {status}");
            }
            documented.push(op);
        }
    }
    documented.sort();
    let mut served: Vec<String> = routes(&w, w.acme_project, w.acme_task)
        .iter()
        .map(|r| {
            let ids = [w.acme_project.to_string(), w.acme_task.to_string(), w.matrix_job.to_string(), w.acme_user.to_string()];
            let path = r.path.split('/').map(|segment| if ids.iter().any(|id| id == segment) { "{id}" } else { segment }).collect::<Vec<_>>().join("/");
            format!("{} {path}", r.method)
        })
        .collect();
    served.push("DELETE /projects/{id}".into());
    served.sort();
    served.dedup();
    assert_eq!(documented, served, "every route is documented, and every documented route is tested");
    // The guide for plugin developers lists every documented route.
    let (s, guide) = w.app.get_html(&w.app.client(), "/docs/api").await;
    assert_eq!(s, 200);
    for op in &documented {
        let (method, path) = op.split_once(' ').unwrap();
        assert!(guide.contains(&format!("{method} /api/v1{path}")), "the API guide does not list {op}");
    }
    // Each documented operation answers as a route (an auth error, not the not-found fallback).
    for op in &documented {
        let (method, path) = op.split_once(' ').unwrap();
        let path = path.replace("{id}", "1");
        let (s, _, _) = w.call(None, Method::from_bytes(method.as_bytes()).unwrap(), &path, None).await;
        assert_eq!(s, 401, "{op} is routed");
    }
}

async fn the_projects_page_shows_what_plugins_did(backend: Backend) {
    let w = World::new(backend).await;
    let (s, _, project) = w.call(Some(&w.full), Method::POST, "/projects", Some(json!({"name": "Made through the API"}))).await;
    assert_eq!(s, 201);
    let (s, _, _) = w.call(Some(&w.full), Method::POST, "/tasks", Some(json!({"project_id": project["id"], "title": "A task a plugin wrote"}))).await;
    assert_eq!(s, 201);
    let (s, _, _) = w.call(Some(&w.full), Method::PATCH, &format!("/tasks/{}", w.acme_task), Some(json!({"status": "done"}))).await;
    assert_eq!(s, 200);
    let seeded_title = work::get_task(&w.app.db, &w.acme_scope, w.acme_task).await.unwrap().title;

    // Any member of the tenant sees it, each object marked with the plugin that touched it.
    let member = w.app.sign_in("viewer@acme.test").await;
    let (s, html) = w.app.get_html(&member, "/projects").await;
    assert_eq!(s, 200);
    let board = &html[html.find("Made through the API").expect("the plugin's project is listed")..];
    assert!(board[..board.find("</header>").unwrap()].contains("Added by Plugin api-user"), "the project is marked");
    // The whole `<li>` row around a task's title.
    let row = |title: &str| {
        let at = html.find(title).unwrap_or_else(|| panic!("{title} is listed"));
        let start = html[..at].rfind("<li").unwrap();
        let end = at + html[at..].find("</li>").unwrap();
        html[start..end].to_owned()
    };
    let written = row("A task a plugin wrote");
    assert!(written.contains("Added by Plugin api-user") && written.contains("To do"), "{written}");
    let changed = row(&seeded_title);
    assert!(changed.contains("Changed by Plugin api-user") && changed.contains("Done"), "{changed}");

    // Another tenant sees none of it; a signed-out visitor is asked to sign in.
    let (_, globex) = w.app.get_html(&w.app.sign_in("owner@globex.test").await, "/projects").await;
    assert!(globex.contains("Plant safety audit") && !globex.contains("Made through the API") && !globex.contains(&seeded_title));
    let (s, html) = w.app.get_html(&w.app.client(), "/projects").await;
    assert_eq!(s, 401);
    assert!(html.contains("Sign in to see"));
}

/// A number that no object has (zero, negative) names nothing, and is found so where any
/// unknown id is: after the body's other fields, and after the task itself.
async fn ids_that_name_nothing_answer_like_unknown_ones(backend: Backend) {
    let w = World::new(backend).await;
    let token = Some(w.full.as_str());
    for bad in [0, -1] {
        let (s, _, b) = w.call(token, Method::POST, "/tasks", Some(json!({"project_id": bad, "title": "x"}))).await;
        assert_error(s, &b, 422, "validation_failed", "a project id no project has");
        assert_eq!(b["error"]["field"], "project_id");
        let (s, _, b) = w.call(token, Method::POST, "/tasks", Some(json!({"project_id": w.acme_project, "title": "x", "assignee_id": bad}))).await;
        assert_error(s, &b, 422, "validation_failed", "an assignee id nobody has");
        assert_eq!(b["error"]["field"], "assignee_id");
        // The title is checked before the project is looked up.
        let (s, _, b) = w.call(token, Method::POST, "/tasks", Some(json!({"project_id": bad, "title": "  "}))).await;
        assert_eq!((s, b["error"]["field"].as_str()), (422, Some("title")), "{b}");
        // A task that is not there is not found, whatever the patch says.
        let (s, _, b) = w.call(token, Method::PATCH, "/tasks/999999", Some(json!({"project_id": bad}))).await;
        assert_error(s, &b, 404, "not_found", "patching a missing task");
        let (s, _, b) = w.call(token, Method::GET, &format!("/tasks/{bad}"), None).await;
        assert_error(s, &b, 404, "not_found", "a path id no task has");
    }
    // `project_id=0` filters nothing, as it always has.
    let (_, _, all) = w.call(token, Method::GET, "/tasks?limit=100", None).await;
    let (_, _, zero) = w.call(token, Method::GET, "/tasks?limit=100&project_id=0", None).await;
    assert_eq!(zero["data"], all["data"]);
    let (_, _, negative) = w.call(token, Method::GET, "/tasks?project_id=-1", None).await;
    assert_eq!(negative["data"], json!([]));
}

crate::on_both_databases!(
    ids_that_name_nothing_answer_like_unknown_ones,
    the_projects_page_shows_what_plugins_did,
    every_route_refuses_bad_tokens,
    every_route_enforces_its_scope,
    another_tenants_objects_are_not_found,
    the_happy_path_of_every_route,
    tasks_filter_paginate_and_update,
    bad_input_gets_clear_errors_never_500,
    writes_racing_a_project_delete_stay_consistent,
    installations_are_rate_limited_with_headers,
    instances_share_the_rate_limit,
    the_openapi_document_matches_the_routes,
);
