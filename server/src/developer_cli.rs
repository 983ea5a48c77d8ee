//! The developer commands (issue 20): `server plugins validate|diff|deploy` read
//! `plugboard.toml` and call a running Plugboard's developer API with a developer token.
//! They open no database: everything goes through the server, which applies the console
//! form's rules and the developer's own plugins only.

use app::server::publishing::deploy::{Deployed, Outcome, Plan};
use app::server::publishing::manifest::Manifest;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where and as whom.
pub struct Remote {
    pub url: String,
    pub token: String,
    pub manifest: PathBuf,
}

/// What to do.
pub enum Action {
    Validate,
    Diff,
    Deploy { submit: Option<String> },
}

pub async fn run(remote: &Remote, action: Action) -> Result<(), String> {
    let text = std::fs::read_to_string(&remote.manifest).map_err(|e| format!("cannot read {}: {e}", remote.manifest.display()))?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let api = Api { client, base: remote.url.trim_end_matches('/').to_owned(), token: remote.token.clone() };
    match action {
        Action::Validate => {
            let answer = api.post("/api/developer/v1/validate", &json!({ "manifest": text })).await?;
            println!("{} is valid: plugin {}", remote.manifest.display(), answer["slug"].as_str().unwrap_or_default());
            Ok(())
        }
        Action::Diff => {
            let bundle = bundle_of(&remote.manifest, &text)?;
            let sha = bundle.as_ref().map(|(_, bytes)| hex::encode(Sha256::digest(bytes)));
            let plan: Plan = typed(api.post("/api/developer/v1/diff", &json!({ "manifest": text, "bundle_sha256": sha })).await?)?;
            print!("{}", describe(&plan));
            Ok(())
        }
        Action::Deploy { submit } => {
            let deployed: Deployed = typed(api.post("/api/developer/v1/deploy", &json!({ "manifest": text })).await?)?;
            let slug = deployed.slug;
            if let Some(created) = &deployed.created {
                println!("registered {slug}. Keep these secrets now: they are shown only this once.");
                println!("{}", serde_json::to_string(created).map_err(|e| e.to_string())?);
            }
            match (deployed.outcome, deployed.draft) {
                (Outcome::Draft, Some(n)) => println!("saved in draft version {n}: organisations keep running the live version until staff publish it"),
                (Outcome::Running, _) => println!("saved: your organisation and the ones you invited run it now"),
                (Outcome::Unchanged, _) => println!("nothing staff review changed"),
                (Outcome::Registered | Outcome::Draft, _) => {}
            }
            if let Some((path, bytes)) = bundle_of(&remote.manifest, &text)? {
                api.put_js(&format!("/api/developer/v1/plugins/{slug}/bundle"), bytes).await?;
                println!("uploaded {}", path.display());
            }
            if let Some(notes) = submit {
                let answer = api.post(&format!("/api/developer/v1/plugins/{slug}/submit"), &json!({ "release_notes": notes })).await?;
                println!("submitted version {} for review", answer["submitted"]);
            }
            Ok(())
        }
    }
}

/// The client-side bundle the manifest names (relative to the manifest), read. The
/// manifest is read by the server's own rules; a file it cannot read is reported as the
/// server would (the server checks the rest).
fn bundle_of(manifest: &Path, text: &str) -> Result<Option<(PathBuf, Vec<u8>)>, String> {
    let parsed = Manifest::parse(text)
        .map_err(|problems| problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("\n"))?;
    if parsed.client_bundle.is_empty() {
        return Ok(None);
    }
    let path = manifest.parent().unwrap_or(Path::new(".")).join(&parsed.client_bundle);
    let bytes = std::fs::read(&path).map_err(|e| format!("client_bundle: cannot read {}: {e}", path.display()))?;
    Ok(Some((path, bytes)))
}

/// A plan as people read it: each change, how it reaches organisations, and why.
pub fn describe(plan: &Plan) -> String {
    let slug = &plan.slug;
    let mut out = String::new();
    if plan.new_plugin {
        out.push_str(&format!("{slug}: a new plugin; deploying registers it.\n"));
    } else if plan.changes.is_empty() {
        out.push_str(&format!("{slug}: nothing would change.\n"));
    } else {
        let n = plan.changes.len();
        out.push_str(&format!("{slug}: {n} change{} against what runs now\n", if n == 1 { "" } else { "s" }));
    }
    for change in &plan.changes {
        let (before, after) = (change.before.replace('\n', " "), change.after.replace('\n', " "));
        let what = match (before.is_empty(), after.is_empty()) {
            (true, _) => format!("+ {after}"),
            (_, true) => format!("- {before}"),
            _ => format!("{before:?} → {after:?}"),
        };
        let reach: Vec<&str> = change.reach.iter().map(|r| r.label()).collect();
        out.push_str(&format!("  {}: {what}\n    [{}] {}\n", change.field, reach.join(", "), change.why.replace('\n', " ")));
    }
    if let Some(blocked) = &plan.blocked {
        out.push_str(&format!("Note: {blocked}\n"));
    }
    out
}

/// An answer as the type the server sent.
fn typed<T: serde::de::DeserializeOwned>(answer: Value) -> Result<T, String> {
    serde_json::from_value(answer).map_err(|e| format!("Plugboard answered something this CLI does not read: {e}"))
}

struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let request = self.client.post(format!("{}{path}", self.base)).bearer_auth(&self.token).json(body);
        answer(request.send().await).await
    }

    async fn put_js(&self, path: &str, bytes: Vec<u8>) -> Result<Value, String> {
        let request = self.client.put(format!("{}{path}", self.base)).bearer_auth(&self.token).header("content-type", "text/javascript").body(bytes);
        answer(request.send().await).await
    }
}

/// The JSON answer, or the error the API gave, with every field's message.
async fn answer(sent: reqwest::Result<reqwest::Response>) -> Result<Value, String> {
    let response = sent.map_err(|e| format!("cannot reach Plugboard: {e}"))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| format!("Plugboard answered {status} with no JSON: {e}"))?;
    if status.is_success() {
        return Ok(body);
    }
    let error = &body["error"];
    let mut message = format!("{} ({status})", error["message"].as_str().unwrap_or("the request failed"));
    for field in error["fields"].as_array().into_iter().flatten() {
        message.push_str(&format!("\n  {}: {}", field["field"].as_str().unwrap_or_default(), field["message"].as_str().unwrap_or_default()));
    }
    Err(message)
}
