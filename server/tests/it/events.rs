//! Data events (issue 19): each write path queues the event of its change with the
//! object and who acted, each payload fits the schema Plugboard publishes, only
//! subscribed installations that may read it hear of it, and one endpoint that hangs
//! holds up nobody else's deliveries.

use crate::support::receiver::{Received, Receiver};
use crate::support::{Backend, Options, PluginSpec, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const DATA_EVENTS: &str = "project.created project.updated project.deleted task.created task.updated task.deleted";

/// A plugin that writes through the API, installed in Acme with every write scope; its
/// access token and installation id.
async fn writer(app: &TestApp, admin: &reqwest::Client) -> (String, i64) {
    let writer = app.register(PluginSpec::new("writer").scopes("write:projects write:tasks")).await;
    let tokens = writer.install_and_exchange(app, admin, "write:projects write:tasks").await;
    let installation = app.installation_id("writer", "admin@acme.test").await.get();
    (tokens["access_token"].as_str().unwrap().to_owned(), installation)
}

async fn api(app: &TestApp, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut req = crate::support::http().request(method.clone(), app.url(&format!("/api/v1{path}"))).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert!((200..300).contains(&status), "{method} {path}: {status} {text}");
    if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() }
}

async fn bridge(app: &TestApp, member: &reqwest::Client, installation: &str, method: &str, params: Value) -> Value {
    let res = app.rpc(member, "bridge_call", &[("installation_id", installation), ("method", method), ("params", &params.to_string())]).await;
    assert_eq!(res.status(), 200, "{method}");
    let answer: Result<Value, app::domain::BridgeError> = res.json().await.unwrap();
    answer.unwrap()
}

/// The schema Plugboard publishes for the body's `type`, checked by an independent
/// validator twice: the OpenAPI document's `webhooks` entry and the API guide's
/// self-contained schema.
pub(crate) struct Schemas {
    openapi: Value,
    guide: Vec<app::domain::EventDoc>,
}

impl Schemas {
    pub(crate) async fn fetch(app: &TestApp) -> Self {
        let openapi: Value = crate::support::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
        let guide = app.rpc(&app.client(), "event_catalog", &[]).await.json().await.unwrap();
        Schemas { openapi, guide }
    }

    pub(crate) fn problems(&self, body: &Value) -> Vec<String> {
        let event = body["type"].as_str().expect("a type");
        let schema_ref = &self.openapi["webhooks"][event]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"];
        let from_openapi = json!({ "$ref": schema_ref, "components": self.openapi["components"] });
        let from_guide: Value = serde_json::from_str(&self.guide.iter().find(|e| e.name == event).expect("in the guide").schema).unwrap();
        let mut problems = Vec::new();
        for schema in [from_openapi, from_guide] {
            let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{event}: the published schema does not compile: {e}"));
            problems.extend(validator.iter_errors(body).map(|e| format!("{event} at {}: {e}", e.instance_path())));
        }
        problems
    }
}

fn bodies(received: &[Received]) -> Vec<Value> {
    received.iter().map(Received::json).collect()
}

/// Demo data, and "listener" (subscribed to every data event, granted reads of projects
/// and tasks) installed in Acme, its plugin.installed received; Acme's admin signed in.
async fn listening(backend: Backend) -> (TestApp, Receiver, reqwest::Client) {
    let app = TestApp::spawn(backend).await;
    let receiver = Receiver::always(204).await;
    app.seed_demo().await;
    let listener = app.register(PluginSpec::new("listener").scopes("read:projects read:tasks").webhook(&receiver.url).events(DATA_EVENTS)).await;
    let admin = app.sign_in("admin@acme.test").await;
    listener.install_and_exchange(&app, &admin, "read:projects read:tasks").await;
    assert_eq!(receiver.wait_for(1).await[0].json()["type"], "plugin.installed");
    (app, receiver, admin)
}

async fn every_write_path_queues_its_event_and_each_fits_the_published_schema(backend: Backend) {
    let (app, receiver, admin) = listening(backend).await;
    let (token, writer_installation) = writer(&app, &admin).await;
    let writer_actor = json!({ "type": "installation", "id": writer_installation, "plugin": "writer" });

    // The REST API.
    let project = api(&app, &token, reqwest::Method::POST, "/projects", Some(json!({ "name": "Launch" }))).await;
    let p = project["id"].as_i64().unwrap();
    let renamed = api(&app, &token, reqwest::Method::PATCH, &format!("/projects/{p}"), Some(json!({ "name": "Launch 2", "archived": false }))).await;
    let task = api(&app, &token, reqwest::Method::POST, "/tasks", Some(json!({ "project_id": p, "title": "Draft" }))).await;
    let t = task["id"].as_i64().unwrap();
    let moved = api(&app, &token, reqwest::Method::PATCH, &format!("/tasks/{t}"), Some(json!({ "status": "doing", "title": "Draft" }))).await;
    // Nothing changes: nothing is sent, and nothing is written, not even `updated_at` (a
    // second later, so a write would show).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let unchanged = api(&app, &token, reqwest::Method::PATCH, &format!("/tasks/{t}"), Some(json!({ "status": "doing" }))).await;
    assert_eq!(unchanged, moved, "an update that changes nothing writes nothing");
    api(&app, &token, reqwest::Method::DELETE, &format!("/tasks/{t}"), None).await;
    // A project deleted with a task in it: the task's deletion comes first.
    let last = api(&app, &token, reqwest::Method::POST, "/tasks", Some(json!({ "project_id": p, "title": "Goes with the project" }))).await;
    api(&app, &token, reqwest::Method::DELETE, &format!("/projects/{p}"), None).await;

    // A client-side plugin through the bridge, relayed by a member's page.
    let member = app.sign_in("member@acme.test").await;
    let quick_add = app.installation_id("quick-add", "admin@acme.test").await;
    let first = app.first_project("admin@acme.test").await.get();
    let framed = bridge(&app, &member, &quick_add.to_string(), "tasks.create", json!({ "project_id": first, "title": "From the frame" })).await;
    let done = bridge(&app, &member, &quick_add.to_string(), "tasks.update", json!({ "id": framed["id"], "status": "done" })).await;
    let frame_actor = json!({ "type": "installation", "id": quick_add.get(), "plugin": "quick-add" });

    let got = bodies(&receiver.wait_for(11).await[1..]);
    let summary: Vec<(&str, &Value)> = got.iter().map(|b| (b["type"].as_str().unwrap(), &b["data"]["actor"])).collect();
    // One installation's events arrive in the order they were made.
    assert_eq!(
        summary,
        [
            ("project.created", &writer_actor),
            ("project.updated", &writer_actor),
            ("task.created", &writer_actor),
            ("task.updated", &writer_actor),
            ("task.deleted", &writer_actor),
            ("task.created", &writer_actor),
            ("task.deleted", &writer_actor),
            ("project.deleted", &writer_actor),
            ("task.created", &frame_actor),
            ("task.updated", &frame_actor),
        ]
    );
    // The object as the API returns it, and for updates the fields that changed.
    assert_eq!(got[0]["data"]["project"], project);
    assert_eq!(got[1]["data"]["project"], renamed);
    assert_eq!(got[1]["data"]["changed"], json!(["name"]));
    assert_eq!(got[2]["data"]["task"], task);
    assert_eq!(got[3]["data"]["task"], moved);
    assert_eq!(got[3]["data"]["changed"], json!(["status"]));
    assert_eq!(got[4]["data"]["task"], moved, "a deletion carries the object as it was");
    assert_eq!(got[6]["data"]["task"], last);
    assert_eq!(got[7]["data"]["project"], renamed);
    assert_eq!(got[8]["data"]["task"], framed);
    assert_eq!(got[9]["data"]["task"], done);
    assert_eq!(got[9]["data"]["changed"], json!(["status"]));
    let listening = app.installation_id("listener", "admin@acme.test").await.get();
    assert!(got.iter().all(|b| b["data"]["installation_id"] == listening && b["data"].get("changed").is_some() == b["type"].as_str().unwrap().ends_with("updated")));

    // Every body fits what Plugboard publishes, and the check is not blind.
    let schemas = Schemas::fetch(&app).await;
    for body in bodies(&receiver.received()) {
        assert_eq!(schemas.problems(&body), Vec::<String>::new());
    }
    let mut broken = got[2].clone();
    broken["data"]["task"].as_object_mut().unwrap().remove("title");
    broken["data"]["actor"] = json!({ "type": "robot" });
    assert_eq!(schemas.problems(&broken).len(), 4, "{:?}", schemas.problems(&broken));
    let mut stray = got[3].clone();
    stray["data"].as_object_mut().unwrap().remove("changed");
    assert!(!schemas.problems(&stray).is_empty(), "an update names what changed");
}

async fn the_projects_page_queues_events_in_its_persons_name(backend: Backend) {
    let (app, receiver, admin) = listening(backend).await;
    let member = app.sign_in("member@acme.test").await;
    let ok = |res: reqwest::Response| async move {
        let status = res.status();
        assert_eq!(status, 200, "{}", res.text().await.unwrap());
    };
    ok(app.rpc(&member, "add_project", &[("name", "From the page")]).await).await;
    let created = receiver.wait_for(2).await[1].json();
    let project = created["data"]["project"]["id"].as_i64().unwrap().to_string();
    ok(app.rpc(&member, "archive_project", &[("project_id", &project), ("archived", "true")]).await).await;
    ok(app.rpc(&member, "rename_project", &[("project_id", &project), ("name", "Renamed on the page")]).await).await;
    ok(app.rpc(&member, "add_task", &[("project_id", &project), ("title", "Typed on the page")]).await).await;
    let task = receiver.wait_for(5).await[4].json()["data"]["task"]["id"].as_i64().unwrap().to_string();
    ok(app.rpc(&member, "move_task", &[("task_id", &task), ("status", "done")]).await).await;
    ok(app.rpc(&member, "edit_task", &[("task_id", &task), ("title", "Edited on the page"), ("due_date", "2027-01-31")]).await).await;
    // A date that does not exist is refused with its field.
    let (status, error) = crate::support::error_of(app.rpc(&member, "edit_task", &[("task_id", &task), ("title", "x"), ("due_date", "2027-02-30")]).await).await;
    assert_eq!((status, format!("{error:?}").contains("due_date")), (422, true), "{error:?}");
    ok(app.rpc(&member, "remove_task", &[("task_id", &task)]).await).await;
    // Deleting a project is for owners and admins; a refusal queues nothing.
    let (status, _) = crate::support::error_of(app.rpc(&member, "remove_project", &[("project_id", &project)]).await).await;
    assert_eq!(status, 403);
    ok(app.rpc(&admin, "remove_project", &[("project_id", &project)]).await).await;
    // Bad input is refused with its field, and nothing is sent for it.
    let (status, error) = crate::support::error_of(app.rpc(&member, "add_task", &[("project_id", &project), ("title", "Too late")]).await).await;
    assert_eq!((status, format!("{error:?}").contains("project_id")), (422, true), "{error:?}");

    let got = bodies(&receiver.wait_for(9).await[1..]);
    let member_id = app.member_of("member@acme.test").await.id.get();
    let admin_id = app.member_of("admin@acme.test").await.id.get();
    let summary: Vec<(&str, &Value)> = got.iter().map(|b| (b["type"].as_str().unwrap(), &b["data"]["actor"])).collect();
    let (by_member, by_admin) = (json!({ "type": "user", "id": member_id }), json!({ "type": "user", "id": admin_id }));
    assert_eq!(
        summary,
        [
            ("project.created", &by_member),
            ("project.updated", &by_member),
            ("project.updated", &by_member),
            ("task.created", &by_member),
            ("task.updated", &by_member),
            ("task.updated", &by_member),
            ("task.deleted", &by_member),
            ("project.deleted", &by_admin),
        ]
    );
    assert_eq!(got[1]["data"]["changed"], json!(["archived"]));
    assert_eq!(got[2]["data"]["changed"], json!(["name"]));
    assert_eq!(got[4]["data"]["changed"], json!(["status"]));
    assert_eq!(got[5]["data"]["changed"], json!(["title", "due_date"]));
    assert_eq!((got[5]["data"]["task"]["title"].as_str(), got[5]["data"]["task"]["due_date"].as_str()), (Some("Edited on the page"), Some("2027-01-31")));
    let schemas = Schemas::fetch(&app).await;
    for body in &got {
        assert_eq!(schemas.problems(body), Vec::<String>::new());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 9);
}

async fn only_subscribed_installations_that_may_read_an_event_hear_of_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (to_a, to_b) = (Receiver::always(204).await, Receiver::always(204).await);
    app.seed_demo().await;
    let a = app.register(PluginSpec::new("plugin-a").scopes("read:projects read:tasks").webhook(&to_a.url).events("project.created task.created")).await;
    // B may write tasks, which covers reading them.
    let b = app.register(PluginSpec::new("plugin-b").scopes("write:tasks").webhook(&to_b.url).events("task.updated")).await;
    let admin = app.sign_in("admin@acme.test").await;
    // A's admin grants less than it asks for: projects only.
    a.install_and_exchange(&app, &admin, "read:projects").await;
    b.install_and_exchange(&app, &admin, "write:tasks").await;
    // Globex installs A too, with everything: Acme's changes are none of its business.
    let globex = app.sign_in("owner@globex.test").await;
    a.install_and_exchange(&app, &globex, "read:projects read:tasks").await;
    let acme = app.tenant_of("admin@acme.test").await.get();
    let (token, _) = writer(&app, &admin).await;
    let post = |path: &'static str, body: Value| {
        let (app, token) = (&app, token.clone());
        async move { api(app, &token, reqwest::Method::POST, path, Some(body)).await }
    };

    let p = post("/projects", json!({ "name": "Both" })).await["id"].as_i64().unwrap();
    let t = post("/tasks", json!({ "project_id": p, "title": "Unheard by A" })).await["id"].as_i64().unwrap();
    api(&app, &token, reqwest::Method::PATCH, &format!("/tasks/{t}"), Some(json!({ "title": "Heard by B" }))).await;
    // A marker A hears: had the task been sent to A, it would have come before it.
    post("/projects", json!({ "name": "Marker 1" })).await;
    let types = |r: &[Received]| r.iter().map(|x| x.json()["type"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    // A's deliveries to Acme's installation, in order (Globex's go their own way).
    let in_acme = |r: Vec<Received>| r.into_iter().filter(|x| x.json()["data"]["tenant_id"] == acme).collect::<Vec<_>>();
    assert_eq!(types(&in_acme(to_a.wait_for(4).await)), ["plugin.installed", "project.created", "project.created"]);
    assert_eq!(types(&to_b.wait_for(2).await), ["plugin.installed", "task.updated"]);

    // Granted read:tasks, A hears of tasks; narrowed again, it no longer does.
    a.install_and_exchange(&app, &admin, "read:projects read:tasks").await;
    post("/tasks", json!({ "project_id": p, "title": "Heard by A" })).await;
    a.install_and_exchange(&app, &admin, "read:projects").await;
    post("/tasks", json!({ "project_id": p, "title": "Unheard again" })).await;
    post("/projects", json!({ "name": "Marker 2" })).await;
    let got = in_acme(to_a.wait_for(8).await);
    assert_eq!(types(&got[3..]), ["installation.scopes_updated", "task.created", "installation.scopes_updated", "project.created"]);
    assert_eq!(got[4].json()["data"]["task"]["title"], "Heard by A");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(to_a.received().len(), 8);
    let from_globex: Vec<Received> = to_a.received().into_iter().filter(|x| x.json()["data"]["tenant_id"] != acme).collect();
    assert_eq!(types(&from_globex), ["plugin.installed"], "nothing of Acme's reaches Globex's installation");
    assert_eq!(to_b.received().len(), 2, "B subscribes to task.updated only");
}

async fn a_hanging_endpoint_holds_up_no_other_plugins_deliveries(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_timeout_secs: 5, ..Options::default() }).await;
    let hanging = Receiver::start(|_| (200, Duration::from_secs(30))).await;
    let healthy = Receiver::always(204).await;
    app.seed_demo().await;
    let admin = app.sign_in("admin@acme.test").await;
    let stuck = app.register(PluginSpec::new("stuck").scopes("read:tasks").webhook(&hanging.url).events("task.created")).await;
    let quick = app.register(PluginSpec::new("quick").scopes("read:tasks").webhook(&healthy.url).events("task.created")).await;
    stuck.install_and_exchange(&app, &admin, "read:tasks").await;
    quick.install_and_exchange(&app, &admin, "read:tasks").await;
    hanging.wait_for(1).await;
    healthy.wait_for(1).await;
    let (token, _) = writer(&app, &admin).await;
    let project = app.first_project("admin@acme.test").await.get();
    // Each task's event reaches the healthy endpoint within a second of the change, while
    // the other endpoint hangs on its first request until the timeout.
    for n in 1..=5 {
        let made = Instant::now();
        api(&app, &token, reqwest::Method::POST, "/tasks", Some(json!({ "project_id": project, "title": format!("Task {n}") }))).await;
        let got = healthy.wait_for(1 + n).await;
        let waited = made.elapsed();
        assert!(waited < Duration::from_secs(1), "task {n} reached the healthy endpoint after {waited:?}");
        assert_eq!(got[n].json()["data"]["task"]["title"], format!("Task {n}"));
    }
    // One at a time to an installation: its first request hangs until the 5 s timeout.
    assert!(hanging.received().len() <= 2, "{}", hanging.received().len());
}

/// A manual worker (a test clock) for the server's database.
fn manual_worker(app: &TestApp) -> app::server::webhooks::worker::Worker {
    use app::server::outbound::{parse_allowlist, OutboundPolicy};
    use app::server::webhooks::worker::{Worker, WorkerConfig};
    let policy = OutboundPolicy { allowlist: parse_allowlist("127.0.0.1").unwrap() };
    Worker::new(app.db.clone(), std::sync::Arc::new(policy), app.state().vault, WorkerConfig { timeout: Duration::from_secs(5), ..WorkerConfig::default() })
}

/// Delivers at `t` until nothing more is due (an installation's events go one a round).
async fn drain(worker: &app::server::webhooks::worker::Worker, t: i64) -> usize {
    let mut total = 0;
    loop {
        match worker.deliver_due(t).await.unwrap() {
            0 => return total,
            n => total += n,
        }
    }
}

/// "outage-robot", published through the console by developer@partners.test with its
/// webhook at `receiver` and subscribed to `events`, installed in Acme; a manual worker.
async fn console_plugin(backend: Backend, receiver: &Receiver, events: &str) -> (TestApp, app::server::webhooks::worker::Worker) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = crate::support::reference_plugin::Reference::start().await;
    let spec = PluginSpec::new("outage-robot").scopes("read:tasks").webhook(&receiver.url).events(events);
    crate::support::plugins::published_and_installed(&app, &reference, spec, &[]).await;
    let worker = manual_worker(&app);
    (app, worker)
}

async fn console_log(app: &TestApp, developer: &reqwest::Client, query: &[(&str, &str)]) -> app::domain::DeliveryLog {
    let mut form = vec![("slug", "outage-robot")];
    form.extend_from_slice(query);
    let res = app.rpc(developer, "plugin_deliveries", &form).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn after_an_outage_resend_failed_since_delivers_each_missed_message_once_in_order(backend: Backend) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let down = Arc::new(AtomicBool::new(false));
    let is_down = down.clone();
    let receiver = Receiver::start(move |_| (if is_down.load(Ordering::SeqCst) { 503 } else { 204 }, Duration::ZERO)).await;
    let (app, worker) = console_plugin(backend, &receiver, "task.created").await;
    let start = app::server::now();
    assert_eq!(drain(&worker, start).await, 1, "plugin.installed");

    // The receiver goes down; five tasks are made; every attempt fails until the schedule ends.
    down.store(true, Ordering::SeqCst);
    let admin = app.sign_in("admin@acme.test").await;
    let (token, _) = writer(&app, &admin).await;
    let project = app.first_project("admin@acme.test").await.get();
    for n in 1..=5 {
        api(&app, &token, reqwest::Method::POST, "/tasks", Some(json!({ "project_id": project, "title": format!("Missed {n}") }))).await;
    }
    // The test clock starts when the last was made (the first attempts are due then).
    let mut t = app::server::now();
    assert_eq!(drain(&worker, t).await, 5);
    for delay in app::server::webhooks::worker::RETRY_SCHEDULE {
        t += delay;
        assert_eq!(drain(&worker, t).await, 5);
    }
    let developer = app.sign_in("developer@partners.test").await;
    let failed = console_log(&app, &developer, &[("filter[status]", "failed")]).await;
    assert_eq!(failed.deliveries.len(), 5);
    assert!(failed.deliveries.iter().all(|d| d.event_type == "task.created" && d.attempts.len() == 8));
    assert_eq!(receiver.received().len(), 1 + 5 * 8);
    // The form suggests resending from the oldest failed message on.
    let oldest = failed.deliveries.iter().map(|d| d.created_at).min().unwrap();
    assert_eq!(failed.resend_from, app::server::publishing::deliveries::utc_minute(oldest));

    // Resent while still down: each is tried once more and waits on a fresh schedule
    // (5 s), rather than failing at once for having used up the old one.
    let since = app::server::publishing::deliveries::utc_minute(start);
    let res = app.rpc(&developer, "resend_failed", &[("slug", "outage-robot"), ("since", since.as_str())]).await;
    assert_eq!(res.json::<u64>().await.unwrap(), 5);
    assert_eq!(drain(&worker, t).await, 5);
    let pending = console_log(&app, &developer, &[("filter[status]", "pending")]).await;
    assert_eq!(pending.deliveries.len(), 5);
    assert!(pending.deliveries.iter().all(|d| d.next_attempt_at == Some(t + 5)), "{:?}", pending.deliveries);

    // Back up: each missed message arrives once, with its own webhook-id, in the order made.
    down.store(false, Ordering::SeqCst);
    assert_eq!(drain(&worker, t + 5).await, 5);
    let got = receiver.received();
    let delivered: Vec<&Received> = got[1 + 5 * 9..].iter().collect();
    let titles: Vec<String> = delivered.iter().map(|r| r.json()["data"]["task"]["title"].as_str().unwrap().to_owned()).collect();
    assert_eq!(titles, ["Missed 1", "Missed 2", "Missed 3", "Missed 4", "Missed 5"]);
    let first_ids: Vec<String> = got[1..6].iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(delivered.iter().map(|r| r.header("webhook-id")).collect::<Vec<_>>(), first_ids);
    assert_eq!(console_log(&app, &developer, &[("filter[status]", "delivered")]).await.deliveries.len(), 6);

    // Nothing failed remains: a second resend queues nothing.
    let res = app.rpc(&developer, "resend_failed", &[("slug", "outage-robot"), ("since", since.as_str())]).await;
    assert_eq!(res.json::<u64>().await.unwrap(), 0);
    assert_eq!(drain(&worker, t + 10).await, 0);
    // A time that is not one is refused, naming the field.
    let (status, error) = crate::support::error_of(app.rpc(&developer, "resend_failed", &[("slug", "outage-robot"), ("since", "yesterday")]).await).await;
    assert_eq!(status, 422);
    assert!(format!("{error:?}").contains("since"), "{error:?}");
}

async fn the_console_warns_after_a_day_of_failures(backend: Backend) {
    let receiver = Receiver::always(503).await;
    let (app, worker) = console_plugin(backend, &receiver, "task.created").await;
    let developer = app.sign_in("developer@partners.test").await;
    let now = app::server::now();
    drain(&worker, now).await;
    let card = |overview: app::domain::DeveloperOverview| overview.plugins.into_iter().find(|p| p.slug == "outage-robot").unwrap().webhook_alert;
    let overview = || async { app.rpc(&developer, "developer_overview", &[]).await.json::<app::domain::DeveloperOverview>().await.unwrap() };
    // Failing for less than a day: no warning yet.
    assert_eq!(card(overview().await), None);
    assert_eq!(console_log(&app, &developer, &[]).await.webhook.alert, None);
    // Failing for a day: the card and the log say when the endpoint will be turned off.
    let since = now - 86_400;
    sqlx::query("UPDATE plugins SET webhook_failing_since = $1 WHERE slug = 'outage-robot'").bind(since).execute(app.db.pool()).await.unwrap();
    let failing = Some(app::domain::EndpointAlert::Failing { since, disables_at: since + 5 * 86_400 });
    assert_eq!(card(overview().await), failing);
    assert_eq!(console_log(&app, &developer, &[]).await.webhook.alert, failing);
    let (_, html) = app.get_html(&developer, "/developer").await;
    assert!(html.contains("the endpoint will be disabled on"), "{html}");
    // Five days: the next failure turns it off, and both say so.
    sqlx::query("UPDATE plugins SET webhook_failing_since = $1 WHERE slug = 'outage-robot'").bind(now - 5 * 86_400).execute(app.db.pool()).await.unwrap();
    drain(&worker, now + 5).await;
    let disabled = card(overview().await);
    assert!(matches!(&disabled, Some(app::domain::EndpointAlert::Disabled { reason, .. }) if reason == "Deliveries have failed for 5 days."), "{disabled:?}");
    assert_eq!(console_log(&app, &developer, &[]).await.webhook.alert, disabled);
}

async fn the_deliveries_log_pages_and_filters(backend: Backend) {
    let receiver = Receiver::always(204).await;
    let (app, worker) = console_plugin(backend, &receiver, "task.created task.deleted").await;
    let developer = app.sign_in("developer@partners.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let (token, _) = writer(&app, &admin).await;
    let project = app.first_project("admin@acme.test").await.get();
    let mut last = 0;
    for n in 1..=55 {
        last = api(&app, &token, reqwest::Method::POST, "/tasks", Some(json!({ "project_id": project, "title": format!("Task {n}") }))).await["id"].as_i64().unwrap();
    }
    api(&app, &token, reqwest::Method::DELETE, &format!("/tasks/{last}"), None).await;
    // One delivered, the rest pending.
    worker.deliver_due(app::server::now()).await.unwrap();

    let first = console_log(&app, &developer, &[]).await;
    assert_eq!(first.deliveries.len(), 50);
    assert_eq!(first.deliveries[0].event_type, "task.deleted", "newest first");
    let before = first.older.expect("an older page").to_string();
    let second = console_log(&app, &developer, &[("filter[before]", before.as_str())]).await;
    assert_eq!(second.deliveries.len(), 7);
    assert_eq!(second.older, None);
    assert_eq!(second.deliveries.last().unwrap().event_type, "plugin.installed");
    let mut ids: Vec<i64> = first.deliveries.iter().chain(&second.deliveries).map(|d| d.event_id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 57, "no message twice, none left out");

    let of = |log: app::domain::DeliveryLog| log.deliveries.into_iter().map(|d| (d.event_type, d.status)).collect::<Vec<_>>();
    assert_eq!(of(console_log(&app, &developer, &[("filter[event_type]", "task.deleted")]).await), [("task.deleted".to_owned(), "pending".to_owned())]);
    assert_eq!(of(console_log(&app, &developer, &[("filter[status]", "delivered")]).await), [("plugin.installed".to_owned(), "delivered".to_owned())]);
    let created_pending = console_log(&app, &developer, &[("filter[event_type]", "task.created"), ("filter[status]", "pending")]).await;
    assert_eq!((created_pending.deliveries.len(), created_pending.older.is_some()), (50, true));
    assert!(console_log(&app, &developer, &[("filter[status]", "held")]).await.deliveries.is_empty());
    // The page's own filter form, without JavaScript, and a value that names nothing.
    let (status, html) = app.get_html(&developer, "/developer/plugins/outage-robot/deliveries?type=task.deleted&status=pending").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("class=\"delivery\"").count(), 1, "{html}");
    let (status, html) = app.get_html(&developer, "/developer/plugins/outage-robot/deliveries?type=nonsense").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("class=\"delivery\"").count(), 50);
}

async fn queued_data_events_stop_when_the_grant_narrows_or_the_plugin_is_uninstalled(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    let receiver = Receiver::always(204).await;
    app.seed_demo().await;
    let plugin = app.register(PluginSpec::new("listener").scopes("read:projects read:tasks").webhook(&receiver.url).events("task.created")).await;
    let admin = app.sign_in("admin@acme.test").await;
    plugin.install_and_exchange(&app, &admin, "read:projects read:tasks").await;
    let (token, _) = writer(&app, &admin).await;
    let project = app.first_project("admin@acme.test").await.get();
    let make = |title: &'static str| {
        let (app, token) = (&app, token.clone());
        async move { api(app, &token, reqwest::Method::POST, "/tasks", Some(json!({ "project_id": project, "title": title }))).await }
    };
    let worker = manual_worker(&app);
    // Queued while the grant read tasks; narrowed before it went out: not sent.
    make("Queued, then not allowed").await;
    plugin.install_and_exchange(&app, &admin, "read:projects").await;
    drain(&worker, app::server::now()).await;
    // Queued, then uninstalled: not sent either (plugin.uninstalled is).
    plugin.install_and_exchange(&app, &admin, "read:projects read:tasks").await;
    make("Queued, then uninstalled").await;
    let installation = app.installation_id("listener", "admin@acme.test").await.to_string();
    assert_eq!(app.rpc(&admin, "uninstall_plugin", &[("installation_id", installation.as_str())]).await.status(), 200);
    drain(&worker, app::server::now()).await;
    let types: Vec<String> = bodies(&receiver.received()).iter().map(|b| b["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(types, ["plugin.installed", "installation.scopes_updated", "installation.scopes_updated", "plugin.uninstalled"]);
    let skipped: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE event_type = 'task.created' AND status = 'skipped'").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(skipped, 2);
    // Redelivering them later sends nothing either.
    let resent: u64 = sqlx::query("UPDATE webhook_events SET status = 'pending', next_attempt_at = 0, retry_base = attempts WHERE status = 'skipped'").execute(app.db.pool()).await.unwrap().rows_affected();
    assert_eq!(resent, 2);
    drain(&worker, app::server::now()).await;
    assert_eq!(receiver.received().len(), 4);
}

async fn events_made_while_an_endpoint_is_disabled_are_recovered_after_re_enabling(backend: Backend) {
    // The first answer turns the endpoint off; it works again afterwards.
    let receiver = Receiver::start(|n| (if n == 0 { 410 } else { 204 }, Duration::ZERO)).await;
    let (app, worker) = console_plugin(backend, &receiver, "task.created").await;
    let start = app::server::now();
    drain(&worker, start).await;
    let admin = app.sign_in("admin@acme.test").await;
    let (token, _) = writer(&app, &admin).await;
    let project = app.first_project("admin@acme.test").await.get();
    for n in 1..=2 {
        api(&app, &token, reqwest::Method::POST, "/tasks", Some(json!({ "project_id": project, "title": format!("While off {n}") }))).await;
    }
    assert_eq!(drain(&worker, app::server::now()).await, 0, "kept, not sent");
    let developer = app.sign_in("developer@partners.test").await;
    let skipped = console_log(&app, &developer, &[("filter[status]", "skipped")]).await;
    assert_eq!(skipped.deliveries.len(), 2);
    assert_eq!(app.rpc(&developer, "reenable_webhooks", &[("slug", "outage-robot")]).await.status(), 200);
    let since = app::server::publishing::deliveries::utc_minute(start);
    let res = app.rpc(&developer, "resend_failed", &[("slug", "outage-robot"), ("since", since.as_str())]).await;
    assert_eq!(res.json::<u64>().await.unwrap(), 3, "plugin.installed (failed with 410) and the two tasks");
    assert_eq!(drain(&worker, app::server::now()).await, 3);
    let types: Vec<String> = bodies(&receiver.received()[1..]).iter().map(|b| format!("{} {}", b["type"].as_str().unwrap(), b["data"]["task"]["title"].as_str().unwrap_or(""))).collect();
    assert_eq!(types, ["plugin.installed ", "task.created While off 1", "task.created While off 2"]);
    // The console shows the plugin id its webhooks carry.
    let console = crate::support::plugins::console(&app, &developer, "outage-robot").await;
    assert_eq!(receiver.received()[0].json()["data"]["plugin_id"], console.plugin_id);
}

async fn a_lease_gives_one_endpoint_at_most_its_share(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    let receiver = Receiver::always(204).await;
    app.seed_demo().await;
    // One plugin installed in six tenants, each with an event due; another plugin with one.
    let busy = PluginSpec::new("busy").webhook(&receiver.url).register(&app.db, &app.state().vault).await.unwrap();
    let other = PluginSpec::new("other").webhook(&receiver.url).register(&app.db, &app.state().vault).await.unwrap();
    let mut recipients = Vec::new();
    for (plugin, n) in [(&busy, 6), (&other, 1)] {
        for i in 0..n {
            let (tenant_id, person) = server::fixtures::tenant_with_owner(&app.db, &format!("{} {i}", plugin.creds.slug)).await.unwrap();
            let owner = server::fixtures::member(&app.db, person).await.unwrap();
            let (installation_id, _) = server::fixtures::consent_codes(&app.db, plugin, &owner, &plugin.scopes, 0).await.unwrap();
            recipients.push(app::server::webhooks::Recipient { installation_id, tenant_id, plugin_id: plugin.id });
        }
    }
    let now = app::server::now();
    let mut tx = app.db.begin_write().await.unwrap();
    for recipient in &recipients {
        // Two each: an installation's second waits for its first.
        for n in 0..2 {
            let data = app::server::webhooks::Data::ConfigUpdated(app::server::webhooks::ConfigUpdatedData { recipient: *recipient, changed: vec![format!("k{n}")] });
            app::server::webhooks::enqueue(&mut tx, &data, now).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    use app::server::store::webhooks::lease;
    let first = lease(&app.db, now, now + 60, "first", 100, 4).await.unwrap();
    let per_plugin = |leased: &[app::server::store::webhooks::Leased], plugin: app::domain::PluginId| leased.iter().filter(|e| e.plugin_id == plugin).count();
    assert_eq!((per_plugin(&first, busy.id), per_plugin(&first, other.id)), (4, 1));
    let installations: std::collections::HashSet<_> = first.iter().map(|e| e.installation_id).collect();
    assert_eq!(installations.len(), first.len(), "one event per installation at a time");
    // While those are out, the busy plugin gets nothing more, and nobody's second event goes.
    assert!(lease(&app.db, now, now + 60, "second", 100, 4).await.unwrap().is_empty());
    // Once they are settled, the next ones go.
    sqlx::query("UPDATE webhook_events SET status = 'delivered', locked_until = NULL, lock_token = NULL WHERE lock_token = 'first'").execute(app.db.pool()).await.unwrap();
    let third = lease(&app.db, now, now + 60, "third", 100, 4).await.unwrap();
    assert_eq!((per_plugin(&third, busy.id), per_plugin(&third, other.id)), (4, 1));
}

crate::on_both_databases!(
    queued_data_events_stop_when_the_grant_narrows_or_the_plugin_is_uninstalled,
    events_made_while_an_endpoint_is_disabled_are_recovered_after_re_enabling,
    a_lease_gives_one_endpoint_at_most_its_share,
    after_an_outage_resend_failed_since_delivers_each_missed_message_once_in_order,
    the_console_warns_after_a_day_of_failures,
    the_deliveries_log_pages_and_filters,
    every_write_path_queues_its_event_and_each_fits_the_published_schema,
    the_projects_page_queues_events_in_its_persons_name,
    only_subscribed_installations_that_may_read_an_event_hear_of_it,
    a_hanging_endpoint_holds_up_no_other_plugins_deliveries,
);
