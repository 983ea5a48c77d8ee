//! `plugboard.toml` and the developer commands (issue 20), run as the real binary against
//! the test server with a developer token made in the console: the same field messages as
//! the console's form, a diff that says how each change reaches organisations, deploys
//! that register, save, upload the bundle and submit, and a token that reaches its own
//! developer's plugins only.

use crate::support::{Backend, TestApp, TestPlugin};
use app::domain::{ConsolePlugin, ReviewState, ShownSecrets};
use std::path::PathBuf;

const MANIFEST: &str = r#"
slug = "toml-robot"
name = "TOML Robot"
description = "Deployed from a file."
author = "Robot Works"
category = "automation"
scopes = ["read:projects"]
redirect_uris = ["https://toml-robot.example.com/oauth/callback"]
client_bundle = "dist/plugin.js"
"#;

/// A directory of its own with the manifest and its bundle.
struct Workdir(PathBuf);

impl Workdir {
    fn new(manifest: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("plugboard-cli-{}-{}", std::process::id(), rand::random::<u64>()));
        std::fs::create_dir_all(dir.join("dist")).unwrap();
        std::fs::write(dir.join("dist/plugin.js"), "Plugboard.ready();\n").unwrap();
        let work = Workdir(dir);
        work.write(manifest);
        work
    }

    fn write(&self, manifest: &str) {
        std::fs::write(self.manifest(), manifest).unwrap();
    }

    fn manifest(&self) -> PathBuf {
        self.0.join("plugboard.toml")
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `server plugins <command> …` against the app; its exit status, stdout and stderr.
fn cli(app: &TestApp, token: &str, work: &Workdir, args: &[&str]) -> (bool, String, String) {
    let manifest = work.manifest();
    let mut all = vec!["plugins"];
    all.extend_from_slice(args);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(&all)
        .args(["--manifest", manifest.to_str().unwrap()])
        .env("PLUGBOARD_URL", app.url(""))
        .env("PLUGBOARD_DEVELOPER_TOKEN", token)
        .env("DATABASE_URL", "sqlite://nowhere/at/all.db")
        .env("RUST_LOG", "error")
        .output()
        .expect("run the server binary");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

async fn token_of(app: &TestApp, developer: &reqwest::Client) -> String {
    let res = app.rpc(developer, "create_developer_token", &[("name", "CI deploys")]).await;
    assert_eq!(res.status(), 200);
    let token: String = res.json().await.unwrap();
    assert!(token.starts_with("pbd_"));
    token
}

async fn console(app: &TestApp, developer: &reqwest::Client) -> ConsolePlugin {
    crate::support::plugins::console(app, developer, "toml-robot").await
}

fn with(manifest: &str, from: &str, to: &str) -> String {
    assert!(manifest.contains(from), "{from}");
    manifest.replace(from, to)
}

async fn a_manifest_is_validated_deployed_and_diffed_as_the_console_would(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let developer = app.sign_in("developer@partners.test").await;
    let token = token_of(&app, &developer).await;
    let work = Workdir::new(MANIFEST);

    // Validation: the form's own messages, by the manifest's keys.
    let (ok, out, _) = cli(&app, &token, &work, &["validate"]);
    assert!(ok && out.contains("is valid: plugin toml-robot"), "{out}");
    work.write(&with(MANIFEST, r#"scopes = ["read:projects"]"#, r#"scopes = ["read:everything"]"#));
    let (ok, _, err) = cli(&app, &token, &work, &["validate"]);
    assert!(!ok);
    let bad_scope = app
        .rpc(&developer, "create_plugin", &[("form[slug]", "other-robot"), ("form[name]", "Other"), ("form[author]", "R"), ("form[category]", "automation"),
            ("form[redirect_uris]", "https://o.example.com/cb"), ("form[scopes][0]", "read:everything")])
        .await;
    let (_, console_error) = crate::support::error_of(bad_scope).await;
    let message = console_error.field_message("scopes").expect("the console names the field");
    assert!(err.contains(&format!("scopes: {message}")), "the CLI gives the console's message: {err}");
    work.write(&with(MANIFEST, "description =", "descripton ="));
    let (ok, _, err) = cli(&app, &token, &work, &["validate"]);
    assert!(!ok && err.contains("manifest: line") && err.contains("descripton"), "{err}");
    let (ok, _, err) = cli(&app, "pbd_not-a-token", &work, &["validate"]);
    assert!(!ok && err.contains("Send a developer token") && err.contains("401"), "{err}");

    // A first deploy registers the plugin and uploads its bundle.
    work.write(MANIFEST);
    let (ok, out, _) = cli(&app, &token, &work, &["diff"]);
    assert!(ok && out.contains("toml-robot: a new plugin"), "{out}");
    let (ok, out, err) = cli(&app, &token, &work, &["deploy"]);
    assert!(ok, "{err}");
    let secrets: ShownSecrets = serde_json::from_str(out.lines().find(|l| l.starts_with('{')).expect("the credentials, once")).unwrap();
    assert!(out.contains("uploaded") && out.contains("plugin.js"), "{out}");
    let shown = console(&app, &developer).await;
    assert_eq!((shown.form.description.as_str(), shown.state), ("Deployed from a file.", ReviewState::Draft));
    assert!(shown.bundle.is_some(), "the bundle went up");

    // Acme tests it; then a description edit and a new scope.
    let plugin = TestPlugin::from_console(&secrets, "https://toml-robot.example.com/oauth/callback");
    let admin = app.sign_in("admin@acme.test").await;
    let res = app.rpc(&developer, "invite_organisation", &[("slug", "toml-robot"), ("organisation", "Acme Corp")]).await;
    let link: app::domain::InviteLink = res.json().await.unwrap();
    let invite = link.url.rsplit_once("/invites/").unwrap().1.to_owned();
    assert_eq!(app.rpc(&admin, "accept_invite", &[("token", &invite)]).await.status(), 200);
    plugin.install_and_exchange(&app, &admin, "read:projects").await;
    let edited = with(&with(MANIFEST, "Deployed from a file.", "Deployed again."), r#"scopes = ["read:projects"]"#, r#"scopes = ["read:projects", "write:tasks"]"#);
    work.write(&edited);
    let (ok, out, _) = cli(&app, &token, &work, &["diff"]);
    assert!(ok, "{out}");
    let description = out.lines().skip_while(|l| !l.contains("Description:")).nth(1).unwrap_or_default();
    assert!(description.contains("[live now]"), "a description edit of an unpublished plugin is live now:\n{out}");
    let scopes = out.lines().skip_while(|l| !l.contains("Scopes added: + write:tasks")).nth(1).unwrap_or_default();
    assert!(scopes.contains("needs re-consent by installers") && scopes.contains("Its one installation keeps what it granted"), "{out}");
    assert!(!out.contains("Client-side code"), "the same bundle is no change:\n{out}");

    // Deploy and submit; a diff now says why a deploy would wait.
    let (ok, out, err) = cli(&app, &token, &work, &["deploy", "--submit", "Writes tasks now."]);
    assert!(ok && out.contains("submitted version 1 for review"), "{out}{err}");
    let shown = console(&app, &developer).await;
    assert_eq!((shown.form.description.as_str(), shown.state), ("Deployed again.", ReviewState::InReview));
    let (_, out, _) = cli(&app, &token, &work, &["diff"]);
    assert!(out.contains("nothing would change") && out.contains("Staff are reviewing version 1"), "{out}");

    // Staff publish it: from now on an edit needs review, and a redirect URI is live now.
    let staff = app.sign_in("staff@plugboard.test").await;
    assert_eq!(app.rpc(&staff, "decide", &[("slug", "toml-robot"), ("decision", "published"), ("reason", "")]).await.status(), 200);
    let later = with(
        &with(&edited, "Deployed again.", "Deployed a third time."),
        r#"redirect_uris = ["https://toml-robot.example.com/oauth/callback"]"#,
        r#"redirect_uris = ["https://toml-robot.example.com/oauth/callback", "https://toml-robot.example.com/v2/callback"]"#,
    );
    work.write(&later);
    let (_, out, _) = cli(&app, &token, &work, &["diff"]);
    let after = |field: &str| out.lines().skip_while(|l| !l.contains(field)).nth(1).unwrap_or_default().to_owned();
    assert!(after("Description:").contains("[needs review]") && after("Description:").contains("version 1"), "{out}");
    assert!(after("Redirect URIs:").contains("[live now]"), "{out}");

    // The console exports the manifest the plugin has.
    let res = developer.get(app.url("/developer/plugins/toml-robot/plugboard.toml")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("plugboard.toml"));
    let exported = app::server::publishing::manifest::Manifest::parse(&res.text().await.unwrap()).expect("the export reads back");
    assert_eq!((exported.description.as_str(), exported.scopes.len(), exported.client_bundle.as_str()), ("Deployed again.", 2, "plugin.js"));
}

async fn a_developer_token_reaches_its_own_developers_plugins_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let developer = app.sign_in("developer@partners.test").await;
    let token = token_of(&app, &developer).await;
    let work = Workdir::new(MANIFEST);
    assert!(cli(&app, &token, &work, &["deploy"]).0);
    // Another developer's token cannot touch it: their deploy finds the address taken.
    let other = app.sign_in("owner@globex.test").await;
    assert_eq!(app.rpc(&other, "become_developer", &[("developer_name", "Globex Labs")]).await.status(), 200);
    let theirs = token_of(&app, &other).await;
    work.write(&with(MANIFEST, "Deployed from a file.", "Hijacked."));
    let (ok, _, err) = cli(&app, &theirs, &work, &["deploy"]);
    assert!(!ok && err.contains("slug: The address \"toml-robot\" is taken"), "{err}");
    let res = crate::support::http().get(app.url("/api/developer/v1/plugins/toml-robot/manifest")).bearer_auth(&theirs).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(console(&app, &developer).await.form.description, "Deployed from a file.");
    // A revoked token is refused from the next call.
    let listed: app::domain::DeveloperOverview = app.rpc(&developer, "developer_overview", &[]).await.json().await.unwrap();
    assert_eq!(listed.tokens.len(), 1);
    assert!(listed.tokens[0].last_used_at.is_some(), "its use is noted");
    let id = listed.tokens[0].id.to_string();
    assert_eq!(app.rpc(&developer, "revoke_developer_token", &[("token_id", &id)]).await.status(), 200);
    let (ok, _, err) = cli(&app, &token, &work, &["validate"]);
    assert!(!ok && err.contains("401"), "{err}");
    // A session cookie is no developer token, nor is no token at all.
    let res = developer.post(app.url("/api/developer/v1/validate")).json(&serde_json::json!({ "manifest": MANIFEST })).send().await.unwrap();
    assert_eq!(res.status(), 401, "the developer's own session");
    let res = crate::support::http().post(app.url("/api/developer/v1/validate")).json(&serde_json::json!({ "manifest": MANIFEST })).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_token");
}

async fn bad_requests_to_the_developer_api_get_clear_json_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let developer = app.sign_in("developer@partners.test").await;
    let token = token_of(&app, &developer).await;
    let post = |path: &str, body: reqwest::Body| {
        crate::support::http().post(app.url(path)).bearer_auth(&token).header("content-type", "application/json").body(body).send()
    };
    let error = |res: reqwest::Response| async move {
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.expect("a JSON error");
        (status, body["error"]["code"].as_str().unwrap_or_default().to_owned(), body)
    };
    let (status, code, _) = error(post("/api/developer/v1/validate", "not json".into()).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (400, "bad_request"));
    let huge = serde_json::json!({ "manifest": "#".repeat(300 * 1024) }).to_string();
    let (status, code, _) = error(post("/api/developer/v1/validate", huge.into()).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));
    let body = serde_json::json!({ "manifest": MANIFEST, "bundle_sha256": "xyz" }).to_string();
    let (status, code, body) = error(post("/api/developer/v1/diff", body.into()).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (422, "validation_failed"));
    assert_eq!(body["error"]["fields"][0]["field"], "bundle_sha256");
    // An unknown key is reported on its own line.
    let typo = format!("{MANIFEST}colour = \"red\"\n");
    let (status, _, body) = error(post("/api/developer/v1/validate", serde_json::json!({ "manifest": typo }).to_string().into()).await.unwrap()).await;
    assert_eq!(status, 422);
    let line = typo.lines().position(|l| l.starts_with("colour")).unwrap() + 1;
    assert!(body["error"]["fields"][0]["message"].as_str().unwrap().starts_with(&format!("line {line}:")), "{body}");
}

crate::on_both_databases!(
    a_manifest_is_validated_deployed_and_diffed_as_the_console_would,
    a_developer_token_reaches_its_own_developers_plugins_only,
    bad_requests_to_the_developer_api_get_clear_json_errors,
);
