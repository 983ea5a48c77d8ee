//! A plugin's versions as people read them: a history line per version, and a version
//! compared with the live one, field by field (what staff review, and what a developer's
//! draft would change).

use crate::domain::{BundleRef, FieldChange, Scope, VersionDiff, VersionSummary};
use crate::server::store::versions::{self as store, Reviewed, Version};
use crate::server::store::plugins::OwnedPlugin;
use crate::server::store::{self as stores};
use crate::server::Db;
use super::PublishingError;

/// A version as a history line.
pub fn summary(version: &Version, live: Option<i64>) -> VersionSummary {
    VersionSummary {
        number: version.number,
        state: version.state,
        live: live == Some(version.number),
        release_notes: version.release_notes.clone(),
        review_reason: version.review_reason.clone(),
        created_at: version.created_at,
        submitted_at: version.submitted_at,
        decided_at: version.decided_at,
    }
}

/// The plugin's versions, newest first, the live one marked.
pub fn history(versions: &store::Versions) -> Vec<VersionSummary> {
    let live = versions.live().map(|v| v.number);
    versions.all.iter().map(|v| summary(v, live)).collect()
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "(none)".to_owned())
}

fn yes_no(value: bool) -> String {
    if value { "Yes" } else { "No" }.to_owned()
}

/// Every field but scopes, origins and the bundle (shown on their own), as text.
fn fields(r: &Reviewed) -> Vec<(&'static str, String)> {
    let oauth = r.oauth.as_ref().map_or_else(
        || "(none)".to_owned(),
        |o| format!("client {} at {} (token {}), scopes: {}", o.client_id, o.authorization_url, o.token_url, o.scopes.join(" ")),
    );
    vec![
        ("Name", r.name.clone()),
        ("Description", r.description.clone()),
        ("Author", r.author.clone()),
        ("Author link", text(&r.author_url)),
        ("Icon", text(&r.icon_url)),
        ("Category", r.category.label().to_owned()),
        ("Webhook URL", text(&r.webhook_url)),
        ("Plugin server URL", text(&r.server_url)),
        ("Connect/Logout button", yes_no(r.show_authorization_button)),
        ("Paid (license status)", yes_no(r.monetized)),
        ("Runs (content processing)", yes_no(r.processes_content)),
        ("Visibility", if r.private { "Private: invited organisations only".into() } else { "Public: listed in the marketplace".into() }),
        ("OAuth client of its service", oauth),
        (
            "OAuth client secret",
            match (&r.oauth_client_secret, r.oauth.is_some()) {
                (Some(_), _) => "set".to_owned(),
                (None, true) => "not set".to_owned(),
                (None, false) => "(none)".to_owned(),
            },
        ),
        ("Settings schema", r.settings_schema.clone().unwrap_or_else(|| "(none)".to_owned())),
        ("Events subscribed", r.subscriptions.describe()),
    ]
}

/// `version` against `live` (none: everything is new).
pub async fn diff(db: &Db, version: &Version, live: Option<&Version>) -> Result<VersionDiff, stores::Error> {
    let after = &version.fields;
    let before = live.map(|l| &l.fields);
    let changes = field_changes(after, before);
    let no_scopes = crate::domain::ScopeSet::default();
    let before_scopes = before.map(|b| &b.scopes).unwrap_or(&no_scopes);
    let scopes_added: Vec<Scope> = after.scopes.without(before_scopes).iter().collect();
    let scopes_removed: Vec<Scope> = before_scopes.without(&after.scopes).iter().collect();
    let before_origins: &[String] = before.map(|b| b.client_origins.as_slice()).unwrap_or(&[]);
    let origins_added = after.client_origins.iter().filter(|o| !before_origins.contains(o)).cloned().collect();
    let origins_removed = before_origins.iter().filter(|o| !after.client_origins.contains(o)).cloned().collect();
    let before_bundle = before.and_then(|b| b.bundle_sha256.clone());
    Ok(VersionDiff {
        number: version.number,
        state: version.state,
        live_number: live.map(|l| l.number),
        release_notes: version.release_notes.clone(),
        changes,
        scopes_added,
        scopes_removed,
        origins_added,
        origins_removed,
        bundle_changed: before_bundle != after.bundle_sha256,
        bundle_before: bundle_ref(db, before_bundle).await?,
        bundle_after: bundle_ref(db, after.bundle_sha256.clone()).await?,
    })
}

/// Every reviewed field but scopes, origins and the bundle that differs between `after`
/// and `before` (none: everything is new), as text.
pub fn field_changes(after: &Reviewed, before: Option<&Reviewed>) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let before_fields = before.map(fields).unwrap_or_default();
    for (field, value) in fields(after) {
        let old = before_fields.iter().find(|(f, _)| *f == field).map(|(_, v)| v.clone());
        let secret_changed = field == "OAuth client secret" && before.is_some_and(|b| b.oauth_client_secret != after.oauth_client_secret);
        if old.as_deref() != Some(value.as_str()) || secret_changed {
            let after_text = if secret_changed && value == "set" { "set (a new secret)".to_owned() } else { value };
            changes.push(FieldChange { field: field.to_owned(), before: old.unwrap_or_default(), after: after_text });
        }
    }
    changes
}

async fn bundle_ref(db: &Db, sha256: Option<String>) -> Result<Option<BundleRef>, stores::Error> {
    let Some(sha256) = sha256 else { return Ok(None) };
    let bytes = store::bundle_size(db, &sha256).await?.unwrap_or(0);
    Ok(Some(BundleRef { sha256, bytes }))
}

/// What a developer's change to their plugin did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Nothing staff review changed: no version was started.
    Unchanged,
    /// The plugin has nothing live and runs nowhere but in its developer's organisation and
    /// the organisations they invited to test it: those installations run the change now.
    Running,
    /// In draft version `n`: tenants keep running what staff published until they
    /// publish this one.
    Draft(i64),
}

/// The draft a developer's change goes into, found or started inside their transaction.
pub(crate) struct OpenDraft {
    pub id: i64,
    pub number: i64,
    /// The plugin has a live version (tenants keep running it).
    pub live: bool,
}

/// The plugin's draft, started from its newest version when there is none; refused
/// while staff review a version (it stays as submitted).
pub(crate) async fn open_draft(
    conn: &mut crate::server::store::Conn,
    plugin: OwnedPlugin,
    versions: &store::Versions,
    now: i64,
    in_review: &'static str,
) -> Result<OpenDraft, PublishingError> {
    if versions.in_review().is_some() {
        return Err(PublishingError::Conflict(in_review));
    }
    let live = versions.live().is_some();
    match (versions.draft(), versions.latest()) {
        (Some(draft), _) => Ok(OpenDraft { id: draft.id, number: draft.number, live }),
        (None, Some(latest)) => Ok(OpenDraft { id: store::start_draft(conn, plugin, latest, now).await?, number: latest.number + 1, live }),
        (None, None) => Err(PublishingError::Db(stores::Error::RowNotFound)),
    }
}

impl OpenDraft {
    /// After a change to the draft: a plugin nobody else runs runs it as saved
    /// (`versions::mirror_unpublished`); otherwise it waits in the draft.
    pub(crate) async fn saved(&self, conn: &mut crate::server::store::Conn, plugin: OwnedPlugin, now: i64) -> Result<Saved, stores::Error> {
        if !self.live && store::mirror_unpublished(conn, plugin, self.id, now).await? {
            return Ok(Saved::Running);
        }
        Ok(Saved::Draft(self.number))
    }
}
