//! What the CLI does with `plugboard.toml` (issue 20), through the developer API:
//! validate it with the console form's rules, say what deploying it would change and how
//! each change reaches tenants, and deploy it (register the plugin, or save its draft,
//! and submit it). The same steps as the console's, so the two cannot disagree.

use super::manifest::Manifest;
use super::versions::{field_changes, Saved};
use super::{form, owned, plugins, submission, PublishingError};
use crate::domain::{PluginSlug, ShownSecrets};
use crate::error::FieldError;
use crate::server::outbound::OutboundPolicy;
use crate::server::registry::NewPlugin;
use crate::server::scope::Member;
use crate::server::store::versions::{self as store, Reviewed};
use crate::server::store::plugins as store_plugins;
use crate::server::vault::Vault;
use crate::server::Db;
use serde::{Deserialize, Serialize};

/// How a change reaches the organisations that run the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// Runs as soon as it is deployed.
    LiveNow,
    /// Runs once staff publish the version.
    NeedsReview,
    /// Each installation keeps its grant until an owner or admin approves the update.
    NeedsReconsent,
}

impl Reach {
    pub fn label(self) -> &'static str {
        match self {
            Reach::LiveNow => "live now",
            Reach::NeedsReview => "needs review",
            Reach::NeedsReconsent => "needs re-consent by installers",
        }
    }
}

/// One change deploying the manifest would make.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedChange {
    pub field: String,
    pub before: String,
    pub after: String,
    pub reach: Vec<Reach>,
    /// Why it reaches tenants that way.
    pub why: String,
}

/// What deploying the manifest would do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub slug: String,
    /// No plugin of the developer's has this slug: deploying registers it.
    pub new_plugin: bool,
    pub changes: Vec<PlannedChange>,
    /// Why deploying cannot happen now (a version in review), if so.
    pub blocked: Option<String>,
}

/// The manifest read and checked by the console form's rules; each problem named by the
/// manifest's key.
pub fn validate(text: &str, policy: &OutboundPolicy) -> Result<(Manifest, NewPlugin), Vec<FieldError>> {
    let manifest = Manifest::parse(text)?;
    let edit = form::validate(&manifest.to_form(), policy)
        .map_err(|errors| errors.into_iter().map(|e| FieldError::new(&Manifest::key_of(&e.field), e.message)).collect::<Vec<_>>())?;
    Ok((manifest, edit))
}

fn invalid(errors: Vec<FieldError>) -> PublishingError {
    PublishingError::Invalid(errors)
}

/// What deploying the manifest (and the bundle of SHA-256 `bundle`, when it names one)
/// would change against what runs now, each change with how it reaches tenants and why.
pub async fn plan(db: &Db, member: &Member, text: &str, bundle: Option<String>, policy: &OutboundPolicy) -> Result<Plan, PublishingError> {
    let (manifest, edit) = validate(text, policy).map_err(invalid)?;
    let slug = edit.slug.clone();
    let plugin = match owned(db, member, &slug).await {
        Ok(plugin) => plugin,
        Err(PublishingError::NotFound) => {
            let after = Reviewed::edited(&edit, None, bundle);
            let changes = field_changes(&after, None)
                .into_iter()
                .map(|c| PlannedChange { reach: vec![Reach::LiveNow], why: "A new plugin: only your organisation can install it until staff publish it.".into(), ..planned(c) })
                .collect();
            return Ok(Plan { slug: manifest.slug, new_plugin: true, changes, blocked: None });
        }
        Err(e) => return Err(e),
    };
    let versions = store::read(db, plugin.id()).await?;
    let live = versions.live();
    let Some(running) = live.or(versions.draft()).or(versions.latest()) else {
        return Err(PublishingError::Db(crate::server::store::Error::RowNotFound));
    };
    let before = &running.fields;
    let after = Reviewed::edited(&edit, before.oauth_client_secret.clone(), bundle.or_else(|| before.bundle_sha256.clone()));
    let installs = store_plugins::standing(db, plugin).await?.active;
    let (reach, why): (Vec<Reach>, String) = match live {
        Some(live) => (vec![Reach::NeedsReview], format!("Organisations run version {} until staff publish the new one.", live.number)),
        None => (vec![Reach::LiveNow], "Nothing is published yet: your organisation and the ones you invited run each saved draft.".into()),
    };
    let mut changes: Vec<PlannedChange> =
        field_changes(&after, Some(before)).into_iter().map(|c| PlannedChange { reach: reach.clone(), why: why.clone(), ..planned(c) }).collect();
    let added = after.scopes.without(&before.scopes);
    if !added.is_empty() {
        let mut with_consent = reach.clone();
        with_consent.push(Reach::NeedsReconsent);
        changes.push(PlannedChange {
            field: "Scopes added".into(),
            before: String::new(),
            after: added.to_oauth(),
            reach: with_consent,
            why: format!(
                "{why} {} keeps what it granted until an owner or admin approves the update (calls needing the new scopes get 403 until then).",
                match installs {
                    0 => "Each installation".to_owned(),
                    1 => "Its one installation".to_owned(),
                    n => format!("Each of its {n} installations"),
                }
            ),
        });
    }
    let removed = before.scopes.without(&after.scopes);
    if !removed.is_empty() {
        changes.push(PlannedChange {
            field: "Scopes removed".into(),
            before: removed.to_oauth(),
            after: String::new(),
            reach: reach.clone(),
            why: format!("{why} Installations lose them when it runs, without being asked."),
        });
    }
    let origins_before = before.client_origins.join(" ");
    let origins_after = after.client_origins.join(" ");
    if origins_before != origins_after {
        changes.push(PlannedChange { field: "Network origins".into(), before: origins_before, after: origins_after, reach: reach.clone(), why: why.clone() });
    }
    if after.bundle_sha256 != before.bundle_sha256 {
        let short = |s: &Option<String>| s.as_deref().map(|s| s.chars().take(12).collect::<String>()).unwrap_or_else(|| "(none)".into());
        changes.push(PlannedChange {
            field: "Client-side code".into(),
            before: short(&before.bundle_sha256),
            after: short(&after.bundle_sha256),
            reach: reach.clone(),
            why: why.clone(),
        });
    }
    let current_uris = store_plugins::console(db, plugin).await?.redirect_uris.0.iter().map(|u| u.as_str().to_owned()).collect::<Vec<_>>();
    let new_uris = edit.redirect_uris.iter().map(|u| u.as_str().to_owned()).collect::<Vec<_>>();
    if current_uris != new_uris {
        changes.push(PlannedChange {
            field: "Redirect URIs".into(),
            before: current_uris.join(" "),
            after: new_uris.join(" "),
            reach: vec![Reach::LiveNow],
            why: "Redirect URIs are the plugin's own, like its credentials: they apply at once, to every version.".into(),
        });
    }
    let blocked = versions.in_review().map(|v| format!("Staff are reviewing version {}: deploy once they decide.", v.number));
    Ok(Plan { slug: manifest.slug, new_plugin: false, changes, blocked })
}

fn planned(change: crate::domain::FieldChange) -> PlannedChange {
    PlannedChange { field: change.field, before: change.before, after: change.after, reach: Vec::new(), why: String::new() }
}

/// What a deploy did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployed {
    pub slug: String,
    pub outcome: Outcome,
    /// A new plugin's credentials, shown this once.
    pub created: Option<ShownSecrets>,
    /// The draft version the change went into, when the plugin has a live one.
    pub draft: Option<i64>,
}

/// Where a deploy's change went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A new plugin, a draft.
    Registered,
    /// Nothing staff review changed (redirect URIs may have).
    Unchanged,
    /// Nothing is published: the developer's and invited organisations run it now.
    Running,
    /// Into the draft version: organisations run the live one until staff publish it.
    Draft,
}

/// Registers the plugin the manifest describes, or saves it as the plugin's draft (the
/// same steps as the console's form).
pub async fn deploy(db: &Db, vault: &Vault, member: &Member, text: &str, policy: &OutboundPolicy) -> Result<Deployed, PublishingError> {
    let (manifest, edit) = validate(text, policy).map_err(invalid)?;
    let form = manifest.to_form();
    let slug: PluginSlug = edit.slug.clone();
    let (outcome, created, draft) = match owned(db, member, &slug).await {
        Ok(_) => match plugins::update(db, vault, member, &slug, &form, policy).await? {
            Saved::Draft(n) => (Outcome::Draft, None, Some(n)),
            Saved::Unchanged => (Outcome::Unchanged, None, None),
            Saved::Running => (Outcome::Running, None, None),
        },
        Err(PublishingError::NotFound) => (Outcome::Registered, Some(plugins::create(db, vault, member, &form, policy).await?), None),
        Err(e) => return Err(e),
    };
    Ok(Deployed { slug: slug.as_str().to_owned(), outcome, created, draft })
}

/// Submits the plugin's next version with its release notes: its number.
pub async fn submit(db: &Db, member: &Member, slug: &PluginSlug, notes: &str) -> Result<i64, PublishingError> {
    submission::submit(db, member, slug, notes).await
}

/// The plugin's `plugboard.toml`: the version its console form shows (the draft, or
/// the newest), with `client_bundle` pointing where `plugins deploy` looks by default.
pub async fn export(db: &Db, member: &Member, slug: &PluginSlug, public_url: &str) -> Result<String, PublishingError> {
    let console = plugins::console_plugin(db, member, slug, public_url).await?;
    let bundle = console.bundle.as_ref().map(|_| "plugin.js");
    Manifest::of_form(&console.form, bundle).to_toml().map_err(|e| {
        tracing::error!(error = %e, plugin = %slug.as_str(), "could not write a plugin's manifest");
        PublishingError::Internal("the manifest could not be written")
    })
}
