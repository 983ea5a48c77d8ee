//! Content processing (DESIGN.md §6): a Run sends a task to the plugin server; a 200 is
//! done at once, a 202 is finished by the plugin through `POST /api/v1/jobs/{id}` with its
//! token, a job nobody finishes times out, and every failure is stored with its message.
//! Against the reference plugin server, through the real server, on both databases.

use crate::support::{error_of, Backend, Options, TestApp};
use crate::support::closed_port;
use crate::support::{published_and_installed, PluginSpec};
use crate::support::reference_plugin::Reference;
use app::domain::{JobStatus, JobView};
use app::server::plugin_servers::{PluginInstall, Which};
use app::server::plugin_servers::jobs::{self, CompleteError, Completion};

async fn runnable(app: &TestApp, reference: &Reference, slug: &str, mode: &str, scope: &str) -> serde_json::Value {
    let server_url = if mode == "down" { closed_port() } else { reference.url(mode) };
    published_and_installed(app, reference, PluginSpec::new(slug).scopes(scope), &[("form[server_url]", &server_url), ("form[processes_content]", "true")]).await
}

/// Acme's installation of `slug` and Acme's first task.
async fn ids(app: &TestApp, slug: &str) -> (String, String) {
    let acme = app.member_of("admin@acme.test").await.scope();
    (app.installation_in(&acme, slug).await.to_string(), app.first_task_in(&acme).await.to_string())
}

async fn run(app: &TestApp, browser: &reqwest::Client, installation: &str, task: &str) -> reqwest::Response {
    app.rpc(browser, "run_plugin", &[("installation_id", installation), ("task_id", task)]).await
}

async fn runs(app: &TestApp, browser: &reqwest::Client) -> Vec<JobView> {
    let res = app.rpc(browser, "plugin_runs", &[]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn complete(app: &TestApp, token: Option<&str>, job: impl std::fmt::Display, body: serde_json::Value) -> (u16, serde_json::Value) {
    let mut request = crate::support::http().post(app.url(&format!("/api/v1/jobs/{job}"))).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let res = request.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

async fn a_run_answered_at_once_is_done(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    runnable(&app, &reference, "estimator", "ok", "read:projects read:tasks").await;
    let (installation, task) = ids(&app, "estimator").await;
    // Members use installed plugins too.
    let member = app.sign_in("member@acme.test").await;
    let (_, page) = app.get_html(&member, "/projects").await;
    assert!(page.contains("data-testid=\"run-plugin\"") && page.contains(">estimator</option>"), "Run is offered on tasks");

    let res = run(&app, &member, &installation, &task).await;
    assert_eq!(res.status(), 200);
    let job: JobView = res.json().await.unwrap();
    assert_eq!(job.status, JobStatus::Done);
    let acme = app.member_of("admin@acme.test").await.scope();
    let title = app::server::work::get_task(&app.db, &acme, task.parse().unwrap()).await.unwrap().title;
    assert_eq!(job.summary, Some(format!("Estimated {title:?}: 2 hours.")));
    // The plugin got the task, the job id and who asked, signed for it (the reference checks the JWT).
    let received = reference.memory.received.lock().unwrap()[0].clone();
    assert_eq!(received["jobId"], job.id.as_str());
    assert_eq!(received["content"]["type"], "task");
    assert_eq!(received["content"]["task"]["title"], title.as_str());
    assert_eq!(received["user"]["displayName"], "Mia Member");
    assert!(received.get("serviceAccessToken").is_none());
    assert_eq!(runs(&app, &member).await, vec![job.clone()]);
    let (_, page) = app.get_html(&member, "/projects").await;
    assert!(page.contains("data-job-status=\"done\"") && page.contains("2 hours."), "the page shows the answer");

    // A Run may change the task: viewers, who may not, are offered none and refused one.
    let viewer = app.sign_in("viewer@acme.test").await;
    let offered: Vec<serde_json::Value> = app.rpc(&viewer, "runnable_plugins", &[]).await.json().await.unwrap();
    assert!(offered.is_empty(), "{offered:?}");
    let (_, page) = app.get_html(&viewer, "/projects").await;
    assert!(!page.contains("data-testid=\"run-plugin\""));
    let (status, _) = crate::support::error_of(run(&app, &viewer, &installation, &task).await).await;
    assert_eq!(status, 403);
    assert_eq!(reference.memory.received.lock().unwrap().len(), 1, "nothing was sent for the viewer");
}

async fn an_accepted_run_is_finished_by_the_plugin_through_the_api(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let other = Reference::start().await;
    let other_tokens = runnable(&app, &other, "other-robot", "never", "read:tasks").await;
    let reference = Reference::start().await;
    let tokens = runnable(&app, &reference, "reviewer", "async", "read:tasks").await;
    let (installation, task) = ids(&app, "reviewer").await;
    let admin = app.sign_in("admin@acme.test").await;

    let job: JobView = run(&app, &admin, &installation, &task).await.json().await.unwrap();
    assert_eq!(job.status, JobStatus::Pending);
    // The reference plugin posts the result a moment later.
    let mut done = None;
    for _ in 0..50 {
        let latest = runs(&app, &admin).await.into_iter().find(|j| j.id == job.id).unwrap();
        if latest.status != JobStatus::Pending {
            done = Some(latest);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let done = done.expect("the plugin finished the job");
    assert_eq!(done.status, JobStatus::Done);
    assert!(done.summary.unwrap().ends_with("later."));

    // Once only, by its own installation, with a token, in the documented shape.
    let token = tokens["access_token"].as_str().unwrap();
    let (status, body) = complete(&app, Some(token), &job.id, serde_json::json!({ "status": "failed", "error": "too late" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")));
    let (status, _) = complete(&app, None, &job.id, serde_json::json!({ "status": "done" })).await;
    assert_eq!(status, 401);
    let second: JobView = run(&app, &admin, &installation, &task).await.json().await.unwrap();
    let other_token = other_tokens["access_token"].as_str().unwrap();
    let (status, _) = complete(&app, Some(other_token), &second.id, serde_json::json!({ "status": "done" })).await;
    assert_eq!(status, 404, "another installation's job is unknown to it");
    let (status, _) = complete(&app, Some(token), "job_made_up", serde_json::json!({ "status": "done" })).await;
    assert_eq!(status, 404);
    for (body, field) in [
        (serde_json::json!({ "status": "failed" }), "error"),
        (serde_json::json!({ "status": "done", "error": "both" }), "error"),
        (serde_json::json!({ "status": "failed", "error": "x", "result": {} }), "result"),
        (serde_json::json!({ "status": "done", "result": [1] }), "result"),
    ] {
        let (status, answer) = complete(&app, Some(token), &second.id, body.clone()).await;
        assert!(status == 400 || status == 422, "{body}: {status}");
        assert_eq!(answer["error"]["field"], field, "{body}");
    }
    let (status, answer) = complete(&app, Some(token), &second.id, serde_json::json!({ "status": "failed", "error": "The reviewer is on holiday." })).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "failed");
    let latest = runs(&app, &admin).await.into_iter().find(|j| j.id == second.id).unwrap();
    assert_eq!((latest.status, latest.summary.as_deref()), (JobStatus::Failed, Some("The reviewer is on holiday.")));
}

async fn a_run_nobody_finishes_times_out(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    runnable(&app, &reference, "sleepy", "never", "read:tasks").await;
    let (installation, task) = ids(&app, "sleepy").await;
    let scope = app.member_of("admin@acme.test").await.scope();
    let admin = app.sign_in("admin@acme.test").await;
    let job: JobView = run(&app, &admin, &installation, &task).await.json().await.unwrap();
    assert_eq!(job.status, JobStatus::Pending);
    let deadline = job.created_at + jobs::DEFAULT_DEADLINE_SECS;
    // Before the deadline it is still pending; after it, timed out, and too late to finish.
    let recent = jobs::recent(&app.db, &scope, deadline - 1).await.unwrap();
    assert_eq!(recent[0].status, JobStatus::Pending);
    let late = jobs::complete(&app.db, &scope.acting_as(installation.parse().unwrap()), &job.id, &Completion::Done(serde_json::json!({})), deadline).await;
    assert!(matches!(late, Err(CompleteError::Finished(JobStatus::TimedOut))), "{late:?}");
    let view = jobs::recent(&app.db, &scope, deadline + 1).await.unwrap()[0].view();
    assert_eq!(view.status, JobStatus::TimedOut);
    assert_eq!(view.summary.as_deref(), Some("The plugin did not finish within 10 minutes."));
}

async fn failures_are_kept_with_their_message(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let admin = app.sign_in("admin@acme.test").await;
    for (slug, mode, message) in [
        ("broken", "fail", "The plugin's server refused the request (500)."),
        ("babbler", "garbage", "The plugin's server gave an answer Plugboard cannot read."),
        ("gone", "down", "The plugin's server cannot be reached."),
    ] {
        let reference = Reference::start().await;
        runnable(&app, &reference, slug, mode, "read:tasks").await;
        let (installation, task) = ids(&app, slug).await;
        let res = run(&app, &admin, &installation, &task).await;
        assert_eq!(res.status(), 200, "{slug}");
        let job: JobView = res.json().await.unwrap();
        assert_eq!((job.status, job.summary.as_deref()), (JobStatus::Failed, Some(message)), "{slug}");
    }

    // Without read:tasks a plugin may not see tasks; another tenant's task is unknown.
    let reference = Reference::start().await;
    runnable(&app, &reference, "blind", "ok", "read:projects").await;
    let (installation, task) = ids(&app, "blind").await;
    let (status, _) = error_of(run(&app, &admin, &installation, &task).await).await;
    assert_eq!(status, 403);
    assert!(reference.memory.received.lock().unwrap().is_empty());
    let (broken, _) = ids(&app, "broken").await;
    let foreign = app.first_task("owner@globex.test").await;
    let (status, _) = error_of(run(&app, &admin, &broken, &foreign.to_string()).await).await;
    assert_eq!(status, 404);
    // A plugin that processes no content has no Run.
    let (status, _) = error_of(run(&app, &admin, &installation_of_timesheet(&app).await, &task).await).await;
    assert_eq!(status, 404);
}

/// Acme's first installation of a plugin that processes no content.
async fn installation_of_timesheet(app: &TestApp) -> String {
    let scope = app.member_of("admin@acme.test").await.scope();
    let installs = PluginInstall::load(&app.db, &scope, Which::All).await.unwrap();
    installs.iter().find(|i| !i.processes_content).expect("one that processes no content").installation.to_string()
}

async fn uninstalling_fails_the_runs_in_flight(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { webhook_worker: false, ..Options::default() }).await;
    app.seed_demo().await;
    let reference = Reference::start().await;
    runnable(&app, &reference, "sleepy", "never", "read:tasks").await;
    let (installation, task) = ids(&app, "sleepy").await;
    let admin = app.sign_in("admin@acme.test").await;
    let job: JobView = run(&app, &admin, &installation, &task).await.json().await.unwrap();
    assert_eq!(app.rpc(&admin, "uninstall_plugin", &[("installation_id", installation.as_str())]).await.status(), 200);
    let latest = runs(&app, &admin).await.into_iter().find(|j| j.id == job.id).unwrap();
    assert_eq!((latest.status, latest.summary.as_deref()), (JobStatus::Failed, Some("The plugin was uninstalled.")));
}

crate::on_both_databases!(
    a_run_answered_at_once_is_done,
    an_accepted_run_is_finished_by_the_plugin_through_the_api,
    a_run_nobody_finishes_times_out,
    failures_are_kept_with_their_message,
    uninstalling_fails_the_runs_in_flight,
);
