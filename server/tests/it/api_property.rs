//! A property of the plugin REST API, through the real server: over random tenants,
//! installations with random grants, routes and target objects (the caller's own,
//! another tenant's, or one already deleted), no response carries another tenant's data
//! and every route answers exactly as its scope rule and the tenant boundary say.
//!
//! The expected answers come from a model written here, not from the server's code: a
//! route's scope, `write:X` covering `read:X`, and which objects exist in which tenant.
//!
//! The same model judges a client-side plugin's bridge calls, made by a signed-in member
//! through the server function the host page uses, and the server functions that take
//! another tenant's ids (Uninstall, a call through another tenant's installation) or
//! show the tenant's data (the Projects page).

use crate::support::{Backend, TestApp};
use app::domain::{Scope, ScopeSet, TenantId};
use app::server::scope::Member;
use app::server::work;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{json, Value};
use server::fixtures::{self, PluginSpec};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

const TENANTS: usize = 3;
const PROJECTS_PER_TENANT: usize = 3;
const TASKS_PER_PROJECT: usize = 2;
const ALL_SCOPES: [&str; 5] = ["read:projects", "write:projects", "read:tasks", "write:tasks", "read:users"];

/// Each tenant's names carry its marker, so a leak shows in any response body.
fn marker(tenant: usize) -> String {
    format!("secret-of-tenant-{tenant}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Installation,
    ListProjects,
    GetProject,
    CreateProject,
    UpdateProject,
    DeleteProject,
    ListTasks,
    GetTask,
    CreateTask,
    UpdateTask,
    DeleteTask,
}

impl Route {
    const ALL: [Route; 11] = [
        Route::Installation,
        Route::ListProjects,
        Route::GetProject,
        Route::CreateProject,
        Route::UpdateProject,
        Route::DeleteProject,
        Route::ListTasks,
        Route::GetTask,
        Route::CreateTask,
        Route::UpdateTask,
        Route::DeleteTask,
    ];

    /// The scope the contract (DESIGN.md §5) names for the route.
    fn scope(self) -> Option<&'static str> {
        match self {
            Route::Installation => None,
            Route::ListProjects | Route::GetProject => Some("read:projects"),
            Route::CreateProject | Route::UpdateProject | Route::DeleteProject => Some("write:projects"),
            Route::ListTasks | Route::GetTask => Some("read:tasks"),
            Route::CreateTask | Route::UpdateTask | Route::DeleteTask => Some("write:tasks"),
        }
    }
}

/// The model's verdict: write:X covers read:X, nothing else covers anything else.
fn granted_allows(granted: &[&str], needed: &str) -> bool {
    granted.contains(&needed) || needed.strip_prefix("read:").is_some_and(|what| granted.contains(&format!("write:{what}").as_str()))
}

/// One request of a case: a route, and the tenant and index of the object it targets.
#[derive(Debug, Clone)]
struct Op {
    route: Route,
    target_tenant: usize,
    target: usize,
}

#[derive(Debug, Clone)]
struct Case {
    tenant: usize,
    /// Bit i grants `ALL_SCOPES[i]`.
    grant: u8,
    ops: Vec<Op>,
}

fn cases() -> impl Strategy<Value = Case> {
    let op = (0..Route::ALL.len(), 0..TENANTS, 0..PROJECTS_PER_TENANT * TASKS_PER_PROJECT)
        .prop_map(|(r, target_tenant, target)| Op { route: Route::ALL[r], target_tenant, target });
    (0..TENANTS, 0u8..32, proptest::collection::vec(op, 1..6)).prop_map(|(tenant, grant, ops)| Case { tenant, grant, ops })
}

struct Tenant {
    id: TenantId,
    owner: Member,
    projects: Vec<i64>,
    tasks: Vec<i64>,
}

/// What exists: the seeded objects of each tenant, and those deleted since.
struct Model {
    tenants: Vec<Tenant>,
    deleted_projects: HashSet<i64>,
    deleted_tasks: HashSet<i64>,
    task_project: HashMap<i64, i64>,
    /// Seeded ids that a create took again, with the tenant that owns them now: SQLite
    /// (no AUTOINCREMENT) reuses the highest row id after that row is deleted.
    reused: HashMap<i64, usize>,
    /// How often each kind of answer came (200 for any success, 403, 404, …), to show the cases reached them.
    outcomes: HashMap<u16, usize>,
}

async fn build_world(app: &TestApp) -> Model {
    let mut tenants = Vec::new();
    for t in 0..TENANTS {
        let (id, person) = fixtures::tenant_with_owner(&app.db, &format!("Property {t}")).await.unwrap();
        let owner = app.member(person).await;
        tenants.push(Tenant { id, owner, projects: Vec::new(), tasks: Vec::new() });
    }
    let mut task_project = HashMap::new();
    for (t, tenant) in tenants.iter_mut().enumerate() {
        let scope = tenant.owner.scope();
        for p in 0..PROJECTS_PER_TENANT {
            let new = work::NewProject { name: format!("Project {p} {}", marker(t)), description: marker(t), archived: false };
            let project = work::create_project(&app.db, &scope, &new).await.unwrap();
            tenant.projects.push(project.id.get());
            for k in 0..TASKS_PER_PROJECT {
                let new = work::NewTask {
                    project_id: project.id,
                    title: format!("Task {p}.{k} {}", marker(t)),
                    status: app::domain::TaskStatus::Todo,
                    assignee_id: Some(tenant.owner.id),
                    due_date: None,
                };
                let task = work::create_task(&app.db, &scope, &new).await.unwrap();
                tenant.tasks.push(task.id.get());
                task_project.insert(task.id.get(), project.id.get());
            }
        }
    }
    Model {
        tenants,
        deleted_projects: HashSet::new(),
        deleted_tasks: HashSet::new(),
        task_project,
        reused: HashMap::new(),
        outcomes: HashMap::new(),
    }
}

/// What the model expects of one request: a status, and for refusals the error code.
fn expect(model: &Model, case: &Case, granted: &[&str], op: &Op) -> (u16, Option<&'static str>) {
    if let Some(scope) = op.route.scope() {
        if !granted_allows(granted, scope) {
            return (403, Some("insufficient_scope"));
        }
    }
    let target = &model.tenants[op.target_tenant];
    let project = target.projects[op.target % PROJECTS_PER_TENANT];
    let task = target.tasks[op.target];
    // Whose the id is now: its seeded tenant's, or the tenant whose create took it again.
    let owned = |id: i64| model.reused.get(&id).copied().unwrap_or(op.target_tenant) == case.tenant;
    let project_there = owned(project) && !model.deleted_projects.contains(&project);
    let task_there = owned(task) && !model.deleted_tasks.contains(&task);
    match op.route {
        Route::Installation | Route::ListProjects | Route::ListTasks => (200, None),
        Route::CreateProject => (201, None),
        Route::GetProject | Route::UpdateProject if project_there => (200, None),
        Route::DeleteProject if project_there => (204, None),
        Route::GetTask | Route::UpdateTask if task_there => (200, None),
        Route::DeleteTask if task_there => (204, None),
        Route::CreateTask if project_there => (201, None),
        Route::CreateTask => (422, Some("validation_failed")),
        _ => (404, Some("not_found")),
    }
}

fn request(op: &Op, model: &Model, caller: usize) -> (Method, String, Option<Value>) {
    let target = &model.tenants[op.target_tenant];
    let project = target.projects[op.target % PROJECTS_PER_TENANT];
    let task = target.tasks[op.target];
    let mine = marker(caller);
    match op.route {
        Route::Installation => (Method::GET, "/installation".into(), None),
        Route::ListProjects => (Method::GET, "/projects?limit=100".into(), None),
        Route::GetProject => (Method::GET, format!("/projects/{project}"), None),
        Route::CreateProject => (Method::POST, "/projects".into(), Some(json!({"name": format!("New {mine}")}))),
        Route::UpdateProject => (Method::PATCH, format!("/projects/{project}"), Some(json!({"description": format!("Changed {mine}")}))),
        Route::DeleteProject => (Method::DELETE, format!("/projects/{project}"), None),
        Route::ListTasks => (Method::GET, "/tasks?limit=100".into(), None),
        Route::GetTask => (Method::GET, format!("/tasks/{task}"), None),
        Route::CreateTask => (Method::POST, "/tasks".into(), Some(json!({"project_id": project, "title": format!("New {mine}")}))),
        Route::UpdateTask => (Method::PATCH, format!("/tasks/{task}"), Some(json!({"status": "doing"}))),
        Route::DeleteTask => (Method::DELETE, format!("/tasks/{task}"), None),
    }
}

/// Applies a successful delete to the model.
fn record(model: &mut Model, op: &Op) {
    let target = &model.tenants[op.target_tenant];
    match op.route {
        Route::DeleteProject => {
            let project = target.projects[op.target % PROJECTS_PER_TENANT];
            model.deleted_projects.insert(project);
            let tasks: Vec<i64> = model.task_project.iter().filter(|(_, p)| **p == project).map(|(t, _)| *t).collect();
            model.deleted_tasks.extend(tasks);
        }
        Route::DeleteTask => {
            model.deleted_tasks.insert(target.tasks[op.target]);
        }
        _ => {}
    }
}

async fn run_case(app: &TestApp, model: &Mutex<Model>, serial: &AtomicUsize, case: Case) -> Result<(), TestCaseError> {
    let granted: Vec<&str> = ALL_SCOPES.iter().enumerate().filter(|(i, _)| case.grant & (1 << i) != 0).map(|(_, s)| *s).collect();
    let (tenant_id, owner) = {
        let m = model.lock().unwrap();
        (m.tenants[case.tenant].id, m.tenants[case.tenant].owner.clone())
    };
    let spec = PluginSpec::new(&format!("property-{}", serial.fetch_add(1, Ordering::Relaxed))).scopes(&ALL_SCOPES.join(" "));
    let plugin = spec.register(&app.db, &app.state().vault).await.unwrap();
    let scopes = ScopeSet::new(granted.iter().filter_map(|s| Scope::parse(s)));
    let (_, tokens) = fixtures::install(&app.db, &plugin, &owner, &scopes).await.unwrap();
    let http = crate::support::http();
    let foreign: Vec<String> = (0..TENANTS).filter(|t| *t != case.tenant).map(marker).collect();
    for op in &case.ops {
        let (method, path, body, expected) = {
            let m = model.lock().unwrap();
            let (method, path, body) = request(op, &m, case.tenant);
            (method, path, body, expect(&m, &case, &granted, op))
        };
        let mut req = http.request(method.clone(), app.url(&format!("/api/v1{path}"))).bearer_auth(&tokens.access_token);
        if let Some(b) = &body {
            req = req.json(b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let context = format!("{case:?}: {method} {path} answered {status} {text}");
        for leak in &foreign {
            prop_assert!(!text.contains(leak.as_str()), "another tenant's data: {}", context);
        }
        prop_assert_eq!(status, expected.0, "{}", context);
        if let Some(code) = expected.1 {
            let value: Value = serde_json::from_str(&text).unwrap_or_default();
            prop_assert_eq!(value["error"]["code"].as_str(), Some(code), "{}", context);
        }
        if status == 200 && matches!(op.route, Route::ListProjects | Route::ListTasks) {
            let value: Value = serde_json::from_str(&text).unwrap();
            prop_assert!(value["data"].as_array().is_some_and(|d| d.iter().all(|o| o.to_string().contains(&marker(case.tenant)))), "{}", context);
        }
        if matches!(op.route, Route::Installation) {
            let value: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(value["tenant_id"].as_i64(), Some(tenant_id.get()), "{}", context);
            prop_assert_eq!(value["scopes"].as_array().map(Vec::len), Some(granted.len()), "{}", context);
        }
        let mut m = model.lock().unwrap();
        let success = (200..300).contains(&status);
        *m.outcomes.entry(if success { 200 } else { status }).or_default() += 1;
        if success {
            record(&mut m, op);
        }
        if status == 201 {
            // A create that took a seeded id again (see `Model::reused`): it is the caller's now.
            let value: Value = serde_json::from_str(&text).unwrap_or_default();
            if let Some(id) = value["id"].as_i64() {
                let taken_again = match op.route {
                    Route::CreateTask => m.deleted_tasks.remove(&id),
                    Route::CreateProject => m.deleted_projects.remove(&id),
                    _ => false,
                };
                if taken_again {
                    m.reused.insert(id, case.tenant);
                }
                if let (Route::CreateTask, Some(project)) = (op.route, value["project_id"].as_i64()) {
                    m.task_project.insert(id, project);
                }
            }
        }
    }
    Ok(())
}

async fn no_request_crosses_a_tenant_or_a_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let model = Mutex::new(build_world(&app).await);
    let serial = AtomicUsize::new(0);
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
    let outcome = tokio::task::block_in_place(|| runner.run(&cases(), |case| handle.block_on(run_case(&app, &model, &serial, case))));
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    // The cases reached every kind of answer: success, missing scope, another tenant's object.
    let m = model.lock().unwrap();
    for kind in [200, 403, 404] {
        assert!(m.outcomes.get(&kind).copied().unwrap_or(0) > 0, "no case was answered {kind}: {:?}", m.outcomes);
    }
}

/// The routes a client-side plugin can reach through the bridge, and their methods.
const BRIDGE_ROUTES: [Route; 4] = [Route::ListProjects, Route::ListTasks, Route::CreateTask, Route::UpdateTask];

fn bridge_cases() -> impl Strategy<Value = Case> {
    let op = (0..BRIDGE_ROUTES.len(), 0..TENANTS, 0..PROJECTS_PER_TENANT * TASKS_PER_PROJECT)
        .prop_map(|(r, target_tenant, target)| Op { route: BRIDGE_ROUTES[r], target_tenant, target });
    (0..TENANTS, 0u8..32, proptest::collection::vec(op, 1..6)).prop_map(|(tenant, grant, ops)| Case { tenant, grant, ops })
}

/// The bridge method and params of a bridge route.
fn bridge_request(op: &Op, model: &Model, caller: usize) -> (&'static str, Value) {
    let target = &model.tenants[op.target_tenant];
    let project = target.projects[op.target % PROJECTS_PER_TENANT];
    let task = target.tasks[op.target];
    match op.route {
        Route::ListProjects => ("projects.list", json!({ "limit": 100 })),
        Route::ListTasks => ("tasks.list", json!({ "limit": 100 })),
        Route::CreateTask => ("tasks.create", json!({ "project_id": project, "title": format!("New {}", marker(caller)) })),
        Route::UpdateTask => ("tasks.update", json!({ "id": task, "status": "doing" })),
        _ => unreachable!("not a bridge route"),
    }
}

/// A client-side plugin (a bundle stored) granted `scopes` in `tenant`: its installation.
async fn install_client_plugin(app: &TestApp, serial: &AtomicUsize, (_, owner): (TenantId, Member), scopes: &ScopeSet) -> String {
    let slug = format!("bridge-{}", serial.fetch_add(1, Ordering::Relaxed));
    let plugin = PluginSpec::new(&slug).scopes(&ALL_SCOPES.join(" ")).register(&app.db, &app.state().vault).await.unwrap();
    fixtures::ship_bundle(&app.db, &plugin, b"plugboard.ui.notify('hi');").await.unwrap();
    let (installation, _) = fixtures::install(&app.db, &plugin, &owner, scopes).await.unwrap();
    installation.to_string()
}

async fn bridge_call(app: &TestApp, member: &reqwest::Client, installation: &str, method: &str, params: &Value) -> (String, Result<Value, app::domain::BridgeError>) {
    let res = app.rpc(member, "bridge_call", &[("installation_id", installation), ("method", method), ("params", &params.to_string())]).await;
    assert_eq!(res.status(), 200, "{method}");
    let text = res.text().await.unwrap();
    let answer = serde_json::from_str(&text).unwrap();
    (text, answer)
}

async fn run_bridge_case(app: &TestApp, model: &Mutex<Model>, serial: &AtomicUsize, members: &[reqwest::Client], case: Case) -> Result<(), TestCaseError> {
    let granted: Vec<&str> = ALL_SCOPES.iter().enumerate().filter(|(i, _)| case.grant & (1 << i) != 0).map(|(_, s)| *s).collect();
    let scopes = ScopeSet::new(granted.iter().filter_map(|s| Scope::parse(s)));
    let other = (case.tenant + 1) % TENANTS;
    let (mine, theirs) = {
        let m = model.lock().unwrap();
        ((m.tenants[case.tenant].id, m.tenants[case.tenant].owner.clone()), (m.tenants[other].id, m.tenants[other].owner.clone()))
    };
    let installation = install_client_plugin(app, serial, mine, &scopes).await;
    let foreign = install_client_plugin(app, serial, theirs, &scopes).await;
    let member = &members[case.tenant];
    let leaks: Vec<String> = (0..TENANTS).filter(|t| *t != case.tenant).map(marker).collect();
    for op in &case.ops {
        let ((method, params), expected) = {
            let m = model.lock().unwrap();
            (bridge_request(op, &m, case.tenant), expect(&m, &case, &granted, op))
        };
        let (text, answer) = bridge_call(app, member, &installation, method, &params).await;
        let context = format!("{case:?}: {method} {params} answered {text}");
        for leak in &leaks {
            prop_assert!(!text.contains(leak.as_str()), "another tenant's data: {}", context);
        }
        match (&answer, expected) {
            (Ok(_), (200 | 201, None)) => {}
            (Err(e), (_, Some(code))) => prop_assert_eq!(e.code.as_str(), code, "{}", context),
            _ => prop_assert!(false, "expected {:?}: {}", expected, context),
        }
        let mut m = model.lock().unwrap();
        *m.outcomes.entry(expected.0).or_default() += 1;
        if let Ok(value) = &answer {
            record(&mut m, op);
            if op.route == Route::CreateTask {
                if let (Some(id), Some(project)) = (value["id"].as_i64(), value["project_id"].as_i64()) {
                    if m.deleted_tasks.remove(&id) {
                        m.reused.insert(id, case.tenant);
                    }
                    m.task_project.insert(id, project);
                }
            }
            if matches!(op.route, Route::ListProjects | Route::ListTasks) {
                prop_assert!(value["data"].as_array().is_some_and(|d| d.iter().all(|o| o.to_string().contains(&marker(case.tenant)))), "{}", context);
            }
        }
    }
    // Another tenant's installation answers as if it were not there, and stays installed.
    let (text, answer) = bridge_call(app, member, &foreign, "tasks.list", &json!({})).await;
    let code = answer.err().map(|e| e.code);
    prop_assert_eq!(code.as_deref(), Some("uninstalled"), "{}", text);
    let res = app.rpc(member, "uninstall_plugin", &[("installation_id", foreign.as_str())]).await;
    prop_assert_eq!(res.status().as_u16(), 404);
    let (_, answer) = bridge_call(app, &members[other], &foreign, "tasks.list", &json!({})).await;
    prop_assert!(answer.as_ref().err().is_none_or(|e| e.code != "uninstalled"), "{:?}", answer);
    // The Projects page shows the member's organisation's work only.
    let res = app.rpc(member, "projects_overview", &[]).await;
    prop_assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.unwrap();
    prop_assert!(text.contains(&marker(case.tenant)));
    for leak in &leaks {
        prop_assert!(!text.contains(leak.as_str()), "another tenant's data on the Projects page");
    }
    Ok(())
}

async fn no_bridge_call_or_server_function_crosses_a_tenant_or_a_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let model = Mutex::new(build_world(&app).await);
    let mut members = Vec::new();
    for t in 0..TENANTS {
        let member = app.client();
        let email = format!("owner@property-{t}.test");
        let res = app.rpc(&member, "sign_in", &[("email", email.as_str()), ("password", "fixture-password")]).await;
        assert_eq!(res.status(), 200, "sign in as {email}");
        members.push(member);
    }
    let serial = AtomicUsize::new(0);
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    let outcome =
        tokio::task::block_in_place(|| runner.run(&bridge_cases(), |case| handle.block_on(run_bridge_case(&app, &model, &serial, &members, case))));
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    let m = model.lock().unwrap();
    for kind in [200, 403, 404] {
        assert!(m.outcomes.get(&kind).copied().unwrap_or(0) > 0, "no case was answered {kind}: {:?}", m.outcomes);
    }
}

crate::on_both_databases!(no_request_crosses_a_tenant_or_a_scope, no_bridge_call_or_server_function_crosses_a_tenant_or_a_scope);
