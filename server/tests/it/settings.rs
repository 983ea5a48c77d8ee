//! Installation settings (issue 18) through the real server, on both databases: the
//! console checks a version's settings schema; right after consent an admin lands on the
//! Settings form when required settings are missing, and the plugin gets its code once
//! they are saved; every type and constraint is checked on the server with the setting
//! named; secrets are sealed and only the plugin's token reads them; a change is announced
//! with the changed keys only; a new version's schema flags values that no longer fit.

use crate::support::reference_plugin::Reference;
use crate::support::receiver::Receiver;
use crate::support::{answer, console, error_of, published, query_of, release, save_response, Backend, PluginSpec, TestApp, TestPlugin};
use app::domain::{InstalledOverview, SettingsPage};
use app::error::AppError;
use serde_json::{json, Value};

const DEVELOPER: &str = "developer@partners.test";

/// Everything the server logs while a test runs, at every level (nextest runs each test
/// in a process of its own, so the global subscriber is the test's).
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    fn capture() -> Self {
        let logs = Logs::default();
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_ansi(false).with_writer(logs.clone()).init();
        logs
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

fn schema() -> String {
    // Text, not `json!` (whose objects sort their keys): the form follows the order written.
    r##"{
        "type": "object",
        "properties": {
            "project": {"type": "integer", "x-source": "projects", "title": "Project to sync"},
            "channel": {"type": "string", "title": "Channel", "minLength": 2, "maxLength": 20, "pattern": "^#[a-z0-9-]+$"},
            "api_key": {"type": "string", "title": "API key", "x-secret": true},
            "site": {"type": "string", "format": "uri"},
            "notify": {"type": "string", "format": "email"},
            "mode": {"type": "string", "enum": ["daily", "hourly"], "default": "daily"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100},
            "ratio": {"type": "number", "minimum": 0, "maximum": 1},
            "enabled": {"type": "boolean", "default": true}
        },
        "required": ["project", "channel", "api_key"],
        "additionalProperties": false
    }"##
    .to_owned()
}

/// A plugin with [`schema`] and a webhook, registered through the console and published.
async fn plugin_with_settings(app: &TestApp, slug: &str, webhook: &str) -> TestPlugin {
    let reference = Reference::start().await;
    let schema = schema();
    published(app, &reference, PluginSpec::new(slug).scopes("read:tasks").webhook(webhook), &[("form[settings_schema]", schema.as_str())]).await
}

async fn page(app: &TestApp, who: &reqwest::Client, slug: &str, setup: &str) -> reqwest::Response {
    app.rpc(who, "installation_settings", &[("slug", slug), ("setup", setup)]).await
}

async fn save(app: &TestApp, who: &reqwest::Client, slug: &str, values: &[(&str, &str)], extra: &[(&str, &str)]) -> reqwest::Response {
    let names: Vec<(String, &str)> = values.iter().map(|(k, v)| (format!("values[{k}]"), *v)).collect();
    let mut form: Vec<(&str, &str)> = vec![("slug", slug)];
    form.extend(names.iter().map(|(k, v)| (k.as_str(), *v)));
    form.extend_from_slice(extra);
    app.rpc(who, "save_settings", &form).await
}

/// Each refused setting's key and message.
async fn refused(res: reqwest::Response) -> Vec<(String, String)> {
    let (status, error) = error_of(res).await;
    assert_eq!(status, 422, "{error:?}");
    let AppError::InvalidFields(errors) = error else { panic!("not field errors: {error:?}") };
    errors.into_iter().map(|e| (e.field, e.message)).collect()
}

async fn api_settings(app: &TestApp, token: &str) -> (u16, Value) {
    let res = crate::support::http().get(app.url("/api/v1/installation/settings")).bearer_auth(token).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

async fn installed(app: &TestApp, who: &reqwest::Client) -> InstalledOverview {
    app.rpc(who, "installed_plugins", &[]).await.json().await.unwrap()
}

/// The consent, answered Allow: where the admin is sent.
async fn allow(app: &TestApp, admin: &reqwest::Client, plugin: &TestPlugin) -> String {
    answer(app, admin, &plugin.authorize_params("read:tasks", "st"), "allow").await
}

/// A demo-seeded server with [`plugin_with_settings`] installed by Acme's admin, who saved
/// Acme's first project, `#releases`, the secret `k1` and `extra` at the consent's settings
/// step: the app, the plugin, the webhook receiver, the admin, the project and the
/// plugin's token.
struct Installed {
    app: TestApp,
    plugin: TestPlugin,
    receiver: Receiver,
    admin: reqwest::Client,
    project: app::domain::ProjectId,
    token: String,
}

async fn installed_with_settings(backend: Backend, extra: &[(&str, &str)]) -> Installed {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let receiver = Receiver::always(204).await;
    let plugin = plugin_with_settings(&app, "sync-robot", &receiver.url).await;
    let admin = app.sign_in("admin@acme.test").await;
    let ticket = allow(&app, &admin, &plugin).await.rsplit('=').next().unwrap().to_owned();
    let project = app.first_project("admin@acme.test").await;
    let project_text = project.to_string();
    let mut values = vec![("project", project_text.as_str()), ("channel", "#releases"), ("api_key", "k1")];
    values.extend_from_slice(extra);
    let res = save(&app, &admin, "sync-robot", &values, &[("setup", &ticket)]).await;
    let code = query_of(res.headers()["location"].to_str().unwrap())["code"].clone();
    let tokens: Value = plugin.exchange(&app, &code).await.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    Installed { app, plugin, receiver, admin, project, token }
}

async fn the_console_checks_a_settings_schema(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let receiver = Receiver::always(204).await;
    plugin_with_settings(&app, "sync-robot", &receiver.url).await;
    let developer = app.sign_in(DEVELOPER).await;
    let mut form = console(&app, &developer, "sync-robot").await.form;
    assert_eq!(serde_json::from_str::<Value>(&form.settings_schema).unwrap(), serde_json::from_str::<Value>(&schema()).unwrap());

    let bad = [
        ("{\"type\": \"object\", \"properties\": {}, \"if\": {}}", "Unknown keyword \"if\" at the top level"),
        ("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"pattern\": \"[a-\"}}}", "properties.a: \"pattern\" is not a valid regular expression"),
        ("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"x-secret\": \"yes\"}}}", "\"x-secret\" must be true or false"),
        ("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"date\"}}}", "properties.a: \"type\" must be"),
        ("not json", "The schema is not valid JSON"),
    ];
    for (text, expected) in bad {
        form.settings_schema = text.into();
        let (status, error) = error_of(save_response(&app, &developer, &form).await).await;
        assert_eq!(status, 422, "{text}");
        let message = error.field_message("settings_schema").unwrap_or_else(|| panic!("no settings_schema message for {text}: {error:?}"));
        assert!(message.contains(expected), "{text}: {message}");
    }
    // Two problems at once, one per line.
    form.settings_schema = "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"maxLen\": 2}, \"b\": {\"type\": \"integer\", \"minimum\": \"1\"}}}".into();
    let (_, error) = error_of(save_response(&app, &developer, &form).await).await;
    assert_eq!(error.field_message("settings_schema").unwrap().lines().count(), 2, "{error:?}");

    // A good one goes into the draft, and staff see it against the live one.
    form.settings_schema = "{\"type\": \"object\", \"properties\": {\"channel\": {\"type\": \"string\"}}}".into();
    assert_eq!(save_response(&app, &developer, &form).await.status(), 200);
    assert_eq!(console(&app, &developer, "sync-robot").await.form.settings_schema, form.settings_schema);
    let res = app.rpc(&developer, "submit_plugin", &[("slug", "sync-robot"), ("release_notes", "Fewer settings.")]).await;
    assert_eq!(res.status(), 200);
    let staff = app.sign_in("staff@plugboard.test").await;
    let staff_view: app::domain::StaffPlugin = app.rpc(&staff, "staff_plugin", &[("slug", "sync-robot")]).await.json().await.unwrap();
    let diff = staff_view.candidate.expect("a version in review");
    let change = diff.changes.iter().find(|c| c.field == "Settings schema").expect("the schema change is shown");
    assert!(change.before.contains("x-secret") && change.after.contains("channel") && !change.after.contains("x-secret"));
}

async fn required_settings_come_between_consent_and_code(backend: Backend) {
    let logs = Logs::capture();
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let receiver = Receiver::always(204).await;
    let plugin = plugin_with_settings(&app, "sync-robot", &receiver.url).await;
    let admin = app.sign_in("admin@acme.test").await;

    // Allow leads to the Settings form, not (yet) to the plugin.
    let location = allow(&app, &admin, &plugin).await;
    let ticket = location.strip_prefix("/installed/sync-robot/settings?setup=").unwrap_or_else(|| panic!("to the settings form: {location}"));
    let shown: SettingsPage = page(&app, &admin, "sync-robot", ticket).await.json().await.unwrap();
    assert!(shown.setup && !shown.complete && shown.can_manage);
    let keys: Vec<&str> = shown.fields.iter().map(|f| f.field.key.as_str()).collect();
    assert_eq!(keys, ["project", "channel", "api_key", "site", "notify", "mode", "limit", "ratio", "enabled"], "in the order declared");
    let acme_project = app.first_project("admin@acme.test").await.to_string();
    assert!(shown.projects.iter().any(|(id, _)| id.to_string() == acme_project), "the tenant's projects to choose from");
    let globex_project = app.first_project("owner@globex.test").await.to_string();
    assert!(!shown.projects.iter().any(|(id, _)| id.to_string() == globex_project), "never another tenant's");
    let status: String = sqlx::query_scalar("SELECT i.status FROM installations i JOIN plugins p ON p.id = i.plugin_id WHERE p.slug = 'sync-robot'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "pending", "consented, not installed: no code yet");

    // Every type and constraint refused, each setting named; nothing saved, the consent still waits.
    let bad = [
        ("project", globex_project.as_str(), "Choose one of your organisation's projects."),
        ("channel", "general", "Enter a value that matches the pattern ^#[a-z0-9-]+$."),
        ("site", "example.com", "Enter a full web address, such as https://example.com/path."),
        ("notify", "nobody", "Enter an email address, such as name@example.com."),
        ("mode", "weekly", "Choose one of: daily, hourly."),
        ("limit", "101", "Enter a value from 1 to 100."),
        ("ratio", "two", "Enter a number."),
        ("enabled", "maybe", "Choose yes or no."),
    ];
    let mut values: Vec<(&str, &str)> = bad.iter().map(|(k, v, _)| (*k, *v)).collect();
    values.push(("api_key", ""));
    values.push(("colour", "blue"));
    let problems = refused(save(&app, &admin, "sync-robot", &values, &[("setup", ticket)]).await).await;
    for (key, _, message) in bad {
        assert!(problems.contains(&(key.to_owned(), message.to_owned())), "{key}: {problems:?}");
    }
    assert!(problems.iter().any(|(k, m)| k == "api_key" && m == "This setting is required."), "{problems:?}");
    assert!(problems.iter().any(|(k, m)| k == "colour" && m.contains("no setting named")), "unknown keys refused: {problems:?}");
    // (Each problem in the order the schema declares its setting.)
    let other_bounds = [("notify", "a b@example.com", "Enter an email address, such as name@example.com."), ("limit", "0", "Enter a value from 1 to 100."), ("ratio", "-0.5", "Enter a value from 0 to 1.")];
    let values: Vec<(&str, &str)> = [("project", acme_project.as_str()), ("channel", "#ok"), ("api_key", "k")].into_iter().chain(other_bounds.iter().map(|(k, v, _)| (*k, *v))).collect();
    let problems = refused(save(&app, &admin, "sync-robot", &values, &[]).await).await;
    assert_eq!(problems, other_bounds.iter().map(|(k, _, m)| (k.to_string(), m.to_string())).collect::<Vec<_>>());
    let problems = refused(save(&app, &admin, "sync-robot", &[("project", &acme_project), ("channel", "#"), ("api_key", "k")], &[]).await).await;
    assert_eq!(problems, [("channel".to_owned(), "Use at least 2 characters.".to_owned())].to_vec(), "bounds of a string");
    let long = format!("#{}", "a".repeat(20));
    let problems = refused(save(&app, &admin, "sync-robot", &[("project", &acme_project), ("channel", &long), ("api_key", "k")], &[]).await).await;
    assert_eq!(problems[0].1, "Use at most 20 characters.");

    // Refused as a plain form (JavaScript off): back to the form's page, the error in its
    // address for the page to show (Leptos' `__err`), the consent still waiting.
    let form_page = app.url(&format!("/installed/sync-robot/settings?setup={ticket}"));
    let res = admin
        .post(app.url("/rpc/save_settings"))
        .header("accept", "text/html")
        .header("referer", &form_page)
        .form(&[("slug", "sync-robot"), ("setup", ticket), ("values[channel]", "no hash")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let back = res.headers()["location"].to_str().unwrap();
    assert!(back.starts_with(&form_page) && back.contains("__err="), "{back}");
    let (status, html) = app.get_html(&admin, &back[app.base.len()..]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Enter a value that matches the pattern"), "the message on the page");

    // A member cannot see a pending installation's settings, nor change any.
    let member = app.sign_in("member@acme.test").await;
    assert_eq!(page(&app, &member, "sync-robot", "").await.status(), 404);
    assert_eq!(save(&app, &member, "sync-robot", &[("channel", "#x1")], &[]).await.status(), 403);

    // Saved: the admin goes on to the plugin with its code and state.
    const SECRET: &str = "sk_live_never_shown_7731";
    let good = [
        ("project", acme_project.as_str()),
        ("channel", "#releases"),
        ("api_key", SECRET),
        ("site", "https://ci.example.com/x"),
        ("limit", "25"),
        ("ratio", "0.5"),
        ("notify", "ops@acme.test"),
        ("enabled", "true"),
    ];
    // (A hydrated page's call: the answer names where to go, and the page goes there.)
    let res = save(&app, &admin, "sync-robot", &good, &[("setup", ticket)]).await;
    assert_eq!(res.status(), 200);
    let target = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(target.starts_with(&plugin.redirect_uri), "{target}");
    let params = query_of(&target);
    assert_eq!(params["state"], "st");
    let res = plugin.exchange(&app, &params["code"]).await;
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    // The ticket was for one use.
    assert_eq!(save(&app, &admin, "sync-robot", &good, &[("setup", ticket)]).await.status(), 409);

    // The plugin reads everything in force, its secret included, defaults filled in.
    let (status, body) = api_settings(&app, token).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"settings": {"project": acme_project.parse::<i64>().unwrap(), "channel": "#releases", "api_key": SECRET, "site": "https://ci.example.com/x",
                            "notify": "ops@acme.test", "mode": "daily", "limit": 25, "ratio": 0.5, "enabled": true}, "missing": []})
    );

    // The secret is sealed in the database and never reaches a browser.
    let acme = app.member_of("admin@acme.test").await.scope();
    let installation = app.installation_in(&acme, "sync-robot").await;
    let row: (String, String) = sqlx::query_as("SELECT config, config_secrets FROM installations WHERE id = $1").bind(installation.get()).fetch_one(app.db.pool()).await.unwrap();
    assert!(!row.0.contains(SECRET) && !row.1.contains(SECRET), "{row:?}");
    assert!(row.1.contains("api_key") && row.0.contains("#releases"));
    for who in [&admin, &member] {
        let answer = page(&app, who, "sync-robot", "").await.text().await.unwrap();
        assert!(!answer.contains(SECRET) && answer.contains("#releases"), "{answer}");
        let (status, html) = app.get_html(who, "/installed/sync-robot/settings").await;
        assert_eq!(status, 200);
        assert!(!html.contains(SECRET) && html.contains("#releases"));
        assert!(!installed(&app, who).await.plugins.iter().find(|p| p.slug.as_str() == "sync-robot").unwrap().setup_needed);
    }
    let shown: SettingsPage = page(&app, &member, "sync-robot", "").await.json().await.unwrap();
    assert!(!shown.can_manage);
    assert!(shown.fields.iter().find(|f| f.field.key == "api_key").unwrap().secret_set);

    // Another installation's token reads its own settings, never Acme's.
    let globex = app.sign_in("owner@globex.test").await;
    let location = allow(&app, &globex, &plugin).await;
    let globex_ticket = location.rsplit('=').next().unwrap().to_owned();
    assert_eq!(save(&app, &admin, "sync-robot", &good, &[("setup", &globex_ticket)]).await.status(), 409, "a ticket is its admin's");
    // "Set up later" as a plain form, before hydration: a real redirect to the plugin.
    let res = globex
        .post(app.url("/rpc/save_settings"))
        .header("accept", "text/html")
        .header("referer", app.url(&format!("/installed/sync-robot/settings?setup={globex_ticket}")))
        .form(&[("slug", "sync-robot"), ("setup", globex_ticket.as_str()), ("later", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert!(res.headers()["location"].to_str().unwrap().starts_with(&plugin.redirect_uri));
    let globex_code = query_of(res.headers()["location"].to_str().unwrap())["code"].clone();
    let globex_tokens: Value = plugin.exchange(&app, &globex_code).await.json().await.unwrap();
    let (status, body) = api_settings(&app, globex_tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"settings": {"mode": "daily", "enabled": true}, "missing": ["project", "channel", "api_key"]}));
    let globex_row = installed(&app, &globex).await;
    assert!(globex_row.plugins.iter().find(|p| p.slug.as_str() == "sync-robot").unwrap().setup_needed, "Finish setting up");

    // A change is announced with the changed keys only, never a value.
    receiver.wait_for(2).await;
    // (`enabled` goes from true, set, to unset, whose default is true: no change for the plugin.)
    let res = save(&app, &admin, "sync-robot", &[("project", &acme_project), ("channel", "#ops"), ("api_key", ""), ("site", "https://ci.example.com/x"), ("limit", "25"), ("ratio", "0.5"), ("notify", "ops@acme.test"), ("mode", "hourly"), ("enabled", "")], &[]).await;
    assert_eq!(res.status(), 200);
    let changed: Vec<String> = res.json().await.unwrap();
    assert_eq!(changed, ["channel", "mode"], "an empty secret keeps the stored one; a default is what the plugin read");
    let got = receiver.wait_for(3).await;
    let event = got[2].json();
    assert_eq!(event["type"], "installation.config_updated");
    assert_eq!(event["data"]["changed"], json!(["channel", "mode"]));
    assert!(!String::from_utf8_lossy(&got[2].body).contains("#ops"));
    // Replacing the secret and clearing a value.
    let problems = refused(save(&app, &admin, "sync-robot", &[("project", &acme_project), ("channel", "#ops"), ("api_key", "sk_new_1")], &[("clear[api_key]", "1")]).await).await;
    assert_eq!(problems, [("api_key".to_owned(), "Clear the value or type a new one, not both.".to_owned())].to_vec());
    let res = save(&app, &admin, "sync-robot", &[("project", &acme_project), ("channel", "#ops"), ("api_key", "sk_new_1"), ("mode", "hourly"), ("enabled", "false")], &[]).await;
    assert_eq!(res.json::<Vec<String>>().await.unwrap(), ["api_key", "site", "notify", "limit", "ratio", "enabled"]);
    let event = receiver.wait_for(4).await[3].json();
    assert_eq!(event["data"]["changed"], json!(["api_key", "site", "notify", "limit", "ratio", "enabled"]));
    assert_eq!(api_settings(&app, token).await.1["settings"]["enabled"], false);
    assert!(!event.to_string().contains("sk_new_1"));
    assert_eq!(api_settings(&app, token).await.1["settings"]["api_key"], "sk_new_1");
    // A required secret cannot be cleared.
    let problems = refused(save(&app, &admin, "sync-robot", &[("project", &acme_project), ("channel", "#ops")], &[("clear[api_key]", "1")]).await).await;
    assert_eq!(problems, [("api_key".to_owned(), "This setting is required.".to_owned())].to_vec());

    // Nothing the server logged holds a secret's value (and it logged the saves).
    let logged = logs.text();
    assert!(logged.contains("config_secrets"), "the capture works (the statements that save them are logged)");
    assert!(!logged.contains(SECRET) && !logged.contains("sk_new_1"), "a secret in the logs");

    // Uninstalled: the token is dead and the settings are gone.
    let id = installation.to_string();
    assert_eq!(app.rpc(&admin, "uninstall_plugin", &[("installation_id", id.as_str())]).await.status(), 200);
    assert_eq!(api_settings(&app, token).await.0, 401);
    let row: (String, String) = sqlx::query_as("SELECT config, config_secrets FROM installations WHERE id = $1").bind(installation.get()).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(row, ("{}".to_owned(), "{}".to_owned()));
}

async fn a_new_schema_keeps_what_still_fits_and_flags_the_rest(backend: Backend) {
    let Installed { app, plugin, admin, project, token, receiver: _receiver } = installed_with_settings(backend, &[("limit", "80")]).await;
    let (project, token) = (project.to_string(), token.as_str());

    // Version 2: `limit` allows at most 50 now, and `region` is new and required.
    let developer = app.sign_in(DEVELOPER).await;
    let mut form = console(&app, &developer, "sync-robot").await.form;
    let mut schema: Value = serde_json::from_str(&form.settings_schema).unwrap();
    schema["properties"]["limit"]["maximum"] = json!(50);
    schema["properties"]["region"] = json!({"type": "string", "enum": ["eu", "us"]});
    schema["required"] = json!(["project", "channel", "api_key", "region"]);
    form.settings_schema = schema.to_string();
    assert_eq!(save_response(&app, &developer, &form).await.status(), 200);
    // Nothing changes for tenants before staff publish.
    assert!(!installed(&app, &admin).await.plugins.iter().find(|p| p.slug.as_str() == "sync-robot").unwrap().setup_needed);
    release(&app, &developer, "sync-robot", "Regions.").await;

    let row = installed(&app, &admin).await;
    assert!(row.plugins.iter().find(|p| p.slug.as_str() == "sync-robot").unwrap().setup_needed, "Finish setting up again");
    let shown: SettingsPage = page(&app, &admin, "sync-robot", "").await.json().await.unwrap();
    let limit = shown.fields.iter().find(|f| f.field.key == "limit").unwrap();
    assert_eq!(limit.value, None);
    assert_eq!(limit.flagged.as_deref(), Some("The value saved before, 80, no longer fits: Enter a value from 1 to 50."));
    assert_eq!(shown.fields.iter().find(|f| f.field.key == "channel").unwrap().value.as_deref(), Some("#releases"), "kept where it fits");
    let (_, body) = api_settings(&app, token).await;
    assert_eq!(body["missing"], json!(["region"]));
    assert!(body["settings"].get("limit").is_none() && body["settings"]["api_key"] == "k1");

    let res = save(&app, &admin, "sync-robot", &[("project", &project), ("channel", "#releases"), ("limit", "40"), ("region", "eu")], &[]).await;
    assert_eq!(res.json::<Vec<String>>().await.unwrap(), ["limit", "region"]);
    assert_eq!(api_settings(&app, token).await.1["missing"], json!([]));
    assert!(!installed(&app, &admin).await.plugins.iter().find(|p| p.slug.as_str() == "sync-robot").unwrap().setup_needed);

    // With every required setting set, a consent goes straight on to the plugin, as before.
    let location = answer(&app, &admin, &plugin.authorize_params("read:tasks", "again"), "allow").await;
    assert!(location.starts_with(&plugin.redirect_uri), "complete settings: straight on ({location})");
}

async fn deleting_a_project_clears_the_settings_that_name_it(backend: Backend) {
    let Installed { app, receiver, admin, project, token, .. } = installed_with_settings(backend, &[]).await;
    let token = token.as_str();
    receiver.wait_for(1).await;

    // Another plugin deletes the project through the API.
    let remover = app.register(PluginSpec::new("project-remover").scopes("write:projects")).await;
    let remover_tokens = remover.install_and_exchange(&app, &admin, "write:projects").await;
    let res = crate::support::http()
        .delete(app.url(&format!("/api/v1/projects/{project}")))
        .bearer_auth(remover_tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    let (_, body) = api_settings(&app, token).await;
    assert_eq!(body["missing"], json!(["project"]), "{body}");
    assert!(body["settings"].get("project").is_none());
    let event = receiver.wait_for(2).await[1].json();
    assert_eq!((event["type"].as_str(), &event["data"]["changed"]), (Some("installation.config_updated"), &json!(["project"])));
    assert!(installed(&app, &admin).await.plugins.iter().find(|p| p.slug.as_str() == "sync-robot").unwrap().setup_needed);
}

async fn a_client_plugin_reads_settings_without_secrets(backend: Backend) {
    let Installed { app, receiver: _receiver, .. } = installed_with_settings(backend, &[]).await;
    let developer = app.sign_in(DEVELOPER).await;
    crate::support::upload_bundle(&app, &developer, "sync-robot", b"plugboard.settings.get();".to_vec()).await;
    release(&app, &developer, "sync-robot", "A panel.").await;

    let member = app.sign_in("member@acme.test").await;
    let installation = app.installation_id("sync-robot", "admin@acme.test").await.to_string();
    let res = app.rpc(&member, "bridge_call", &[("installation_id", installation.as_str()), ("method", "settings.get"), ("params", "{}")]).await;
    assert_eq!(res.status(), 200);
    let answer: Result<Value, app::domain::BridgeError> = res.json().await.unwrap();
    let answer = answer.expect("settings.get needs no scope");
    assert_eq!(answer["settings"]["channel"], "#releases", "{answer}");
    assert!(answer["settings"].get("api_key").is_none(), "no secret in a browser: {answer}");
    assert_eq!(answer["missing"], json!([]));
}

crate::on_both_databases!(
    the_console_checks_a_settings_schema,
    required_settings_come_between_consent_and_code,
    a_new_schema_keeps_what_still_fits_and_flags_the_rest,
    a_client_plugin_reads_settings_without_secrets,
    deleting_a_project_clears_the_settings_that_name_it,
);
