//! Installation settings (DESIGN.md §3): what an owner or admin tells a plugin (which
//! project to sync, an API key of the other service), in the fields its live version's
//! schema declares. Values are checked on the server against that schema, secrets are
//! sealed by the vault and only the plugin's own token reads them back, and each change
//! sends `installation.config_updated` with the names of the keys that changed.
//!
//! Stored values are read against the *live* schema every time: a value that no longer
//! fits (a new version changed the field) is flagged for the admin and not given to the
//! plugin, and a required setting without a value makes the installation "Finish setting
//! up" again. Nothing is rewritten when a version goes live.

pub mod schema;

use super::scope::{Member, TenantScope};
use super::store::installations::InstallStatus;
use super::store::settings::{self as store, InstallationSettings, SettingsColumns};
use super::store::{self as stores, Conn};
use super::vault::Vault;
use super::webhooks::{self, ConfigUpdatedData, Data, Recipient};
use super::Db;
use crate::domain::{InstallationId, PluginSlug, SettingField, SettingKind, SettingValue, SettingsPage, SettingsSchema};
use crate::error::{AppError, FieldError};
use serde_json::{Map, Value};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("that plugin is not installed")]
    NotInstalled,
    #[error("the plugin has no settings")]
    NoSettings,
    #[error("only owners and admins change settings")]
    NotAllowed,
    #[error("some settings are not valid")]
    Invalid(Vec<FieldError>),
    #[error("a stored secret does not open")]
    Sealed,
    #[error(transparent)]
    Db(#[from] stores::Error),
}

impl From<SettingsError> for AppError {
    fn from(err: SettingsError) -> Self {
        match err {
            SettingsError::NotInstalled => AppError::NotFound("That plugin is not installed in your organisation.".into()),
            SettingsError::NoSettings => AppError::NotFound("This plugin has no settings.".into()),
            SettingsError::NotAllowed => AppError::Forbidden("Only owners and admins can change a plugin's settings.".into()),
            SettingsError::Invalid(errors) => AppError::InvalidFields(errors),
            SettingsError::Sealed => {
                tracing::error!("a stored setting does not open with this server's key");
                AppError::Internal
            }
            SettingsError::Db(e) => super::internal("reading or saving settings failed")(e),
        }
    }
}

/// The context a secret setting is sealed under: its installation and key, so a value
/// copied to another row or key does not open.
fn seal_context(installation: InstallationId, key: &str) -> String {
    format!("setting:{installation}:{key}")
}

/// One setting of an installation, read against the live schema.
#[derive(Debug, Clone)]
pub struct Reading<'a> {
    pub field: &'a SettingField,
    /// The stored value, when it fits the field (never a secret's).
    pub stored: Option<Value>,
    /// A secret has a stored (sealed) value.
    pub secret_set: bool,
    /// The stored value no longer fits: why.
    pub flagged: Option<String>,
}

impl Reading<'_> {
    /// What the plugin gets: the stored value, else the field's default.
    pub fn effective(&self) -> Option<Value> {
        self.stored.clone().or_else(|| schema::default_of(&self.field.kind))
    }

    /// A required setting with no value (a default counts).
    pub fn missing(&self) -> bool {
        self.field.required && !self.secret_set && self.effective().is_none()
    }
}

/// The installation's stored values, field by field, against `schema`; `projects` are
/// the tenant's projects among those the values name.
pub fn read<'a>(schema: &'a SettingsSchema, config: &Map<String, Value>, secrets: &Map<String, Value>, projects: &[i64]) -> Vec<Reading<'a>> {
    schema
        .fields
        .iter()
        .map(|field| {
            if field.is_secret() {
                return Reading { field, stored: None, secret_set: secrets.get(&field.key).is_some_and(Value::is_string), flagged: None };
            }
            let Some(value) = config.get(&field.key) else { return Reading { field, stored: None, secret_set: false, flagged: None } };
            let verdict = schema::check(field, value).and_then(|()| match (&field.kind, value.as_i64()) {
                (SettingKind::Project, Some(id)) if !projects.contains(&id) => Err("That project no longer exists.".to_owned()),
                _ => Ok(()),
            });
            match verdict {
                Ok(()) => Reading { field, stored: Some(value.clone()), secret_set: false, flagged: None },
                Err(why) => Reading {
                    field,
                    stored: None,
                    secret_set: false,
                    flagged: Some(format!("The value saved before, {}, no longer fits: {why}", schema::to_form(value))),
                },
            }
        })
        .collect()
}

/// The project ids an installation's values name, for [`read`].
fn named_projects(schema: &SettingsSchema, config: &Map<String, Value>) -> Vec<i64> {
    schema
        .fields
        .iter()
        .filter(|f| f.kind == SettingKind::Project)
        .filter_map(|f| config.get(&f.key).and_then(Value::as_i64))
        .collect()
}

async fn projects_named(conn: &mut Conn, scope: &TenantScope, schema: &SettingsSchema, config: &Map<String, Value>) -> Result<Vec<i64>, stores::Error> {
    store::existing_projects(conn, scope, &named_projects(schema, config)).await
}

/// An installation's stored values read against its plugin's live schema (`None`: the
/// plugin has no settings), with the projects they name that still exist.
async fn read_stored<'a>(conn: &mut Conn, scope: &TenantScope, stored: &'a SettingsColumns) -> Result<Option<(Vec<Reading<'a>>, Vec<i64>)>, stores::Error> {
    let Some(schema) = &stored.config_schema.0 else { return Ok(None) };
    let projects = projects_named(conn, scope, schema, &stored.config.0).await?;
    Ok(Some((read(schema, &stored.config.0, &stored.config_secrets.0, &projects), projects)))
}

/// What Installed plugins says of an installation's settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub has_settings: bool,
    /// A required setting has no value: "Finish setting up".
    pub setup_needed: bool,
    /// A saved value no longer fits the live version's schema.
    pub flagged: bool,
}

/// What an installation (of a list) has of settings.
pub async fn summary(db: &Db, scope: &TenantScope, stored: &SettingsColumns) -> Result<Summary, stores::Error> {
    let Some(schema) = &stored.config_schema.0 else { return Ok(Summary::default()) };
    let projects = if named_projects(schema, &stored.config.0).is_empty() {
        Vec::new()
    } else {
        let mut conn = db.pool().acquire().await?;
        projects_named(&mut conn, scope, schema, &stored.config.0).await?
    };
    let readings = read(schema, &stored.config.0, &stored.config_secrets.0, &projects);
    Ok(Summary {
        has_settings: true,
        setup_needed: readings.iter().any(Reading::missing),
        flagged: readings.iter().any(|r| r.flagged.is_some()),
    })
}

/// The installation's plugin has settings and a required one has no value: the plugin's
/// slug (the Settings page's address). Read in the consent's transaction.
pub async fn setup_needed(conn: &mut Conn, scope: &TenantScope, installation: InstallationId) -> Result<Option<PluginSlug>, stores::Error> {
    let Some(found) = store::of_installation(&mut *conn, scope, installation).await? else { return Ok(None) };
    let Some((readings, _)) = read_stored(conn, scope, &found.stored).await? else { return Ok(None) };
    let missing = readings.iter().any(Reading::missing);
    Ok(missing.then_some(found.slug.clone()))
}

/// The Settings page of the member's installation of `slug`.
pub async fn page(db: &Db, member: &Member, slug: &PluginSlug) -> Result<SettingsPage, SettingsError> {
    let scope = member.scope();
    let mut conn = db.pool().acquire().await?;
    let found = store::of_slug(&mut conn, &scope, slug).await?.ok_or(SettingsError::NotInstalled)?;
    let can_manage = member.role.can_manage_plugins();
    // A pending installation is an admin's consent still being set up: theirs to see.
    if found.status.0 == InstallStatus::Pending && !can_manage {
        return Err(SettingsError::NotInstalled);
    }
    let (readings, projects) = read_stored(&mut conn, &scope, &found.stored).await?.ok_or(SettingsError::NoSettings)?;
    let complete = !readings.iter().any(Reading::missing);
    let choices = if readings.iter().any(|r| r.field.kind == SettingKind::Project) {
        store::project_choices(&mut conn, &scope, &projects).await?
    } else {
        Vec::new()
    };
    let fields = readings
        .into_iter()
        .map(|r| SettingValue {
            field: r.field.clone(),
            value: r.stored.as_ref().map(schema::to_form),
            secret_set: r.secret_set,
            flagged: if can_manage { r.flagged } else { None },
        })
        .collect();
    let pending = found.status.0 == InstallStatus::Pending;
    Ok(SettingsPage { plugin_name: found.name, slug: found.slug, fields, can_manage, projects: choices, complete, setup: false, pending })
}

/// The scope's project `project` was deleted: every setting of the tenant's installations
/// that named it is cleared (a required one makes its installation "Finish setting up"),
/// and each active installation's plugin hears which keys changed. In the deletion's
/// transaction.
pub async fn forget_project(conn: &mut Conn, scope: &TenantScope, project: crate::domain::ProjectId, now: i64) -> Result<(), stores::Error> {
    for found in store::of_tenant(&mut *conn, scope).await? {
        let Some(schema) = &found.stored.config_schema.0 else { continue };
        let named: Vec<String> = schema
            .fields
            .iter()
            .filter(|f| f.kind == SettingKind::Project && found.stored.config.0.get(&f.key).and_then(Value::as_i64) == Some(project.get()))
            .map(|f| f.key.clone())
            .collect();
        if named.is_empty() {
            continue;
        }
        let mut config = found.stored.config.0.clone();
        for key in &named {
            config.remove(key);
        }
        store::save(&mut *conn, scope, found.id, &config, &found.stored.config_secrets.0, now).await?;
        if found.status.0 == InstallStatus::Active {
            config_updated(&mut *conn, scope, &found, named, now).await?;
        }
    }
    Ok(())
}

/// Queues `installation.config_updated` naming the keys whose values in force changed.
async fn config_updated(conn: &mut Conn, scope: &TenantScope, found: &InstallationSettings, changed: Vec<String>, now: i64) -> Result<(), stores::Error> {
    let recipient = Recipient { installation_id: found.id, tenant_id: scope.tenant(), plugin_id: found.plugin_id };
    webhooks::enqueue(conn, &Data::ConfigUpdated(ConfigUpdatedData { recipient, changed }), now).await
}

/// What an owner or admin submitted: each setting's text (`values[key]`) and the secrets
/// to clear (`clear[key]`). An empty text means no value, except for a secret, where it
/// keeps the stored one.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub values: HashMap<String, String>,
    pub clear: HashMap<String, String>,
}

/// A save's outcome: the keys whose values changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub installation: InstallationId,
    pub changed: Vec<String>,
}

/// Checks every submitted value against the live schema and, when all fit, stores them
/// (secrets sealed) and tells an active installation's plugin which keys changed. Nothing
/// is written when one value does not fit; each problem names its setting.
pub async fn save(db: &Db, vault: &Vault, member: &Member, slug: &PluginSlug, input: &SettingsInput, now: i64) -> Result<Saved, SettingsError> {
    if !member.role.can_manage_plugins() {
        return Err(SettingsError::NotAllowed);
    }
    let scope = member.scope();
    let mut tx = db.begin_write().await?;
    let Some(found) = store::of_slug(&mut tx, &scope, slug).await? else { return Err(SettingsError::NotInstalled) };
    store::lock(&mut tx, &scope, found.id).await?;
    // Read again under the lock: another admin's save may have committed meanwhile.
    let found = store::of_installation(&mut tx, &scope, found.id).await?.ok_or(SettingsError::NotInstalled)?;
    let schema = found.stored.config_schema.0.clone().ok_or(SettingsError::NoSettings)?;
    let (config, secrets, changed) = apply(&mut tx, &scope, vault, &found, &schema, input).await?;
    store::save(&mut tx, &scope, found.id, &config, &secrets, now).await?;
    // A plugin not yet installed (its admin is setting it up) reads them at its install.
    if found.status.0 == InstallStatus::Active && !changed.is_empty() {
        config_updated(&mut tx, &scope, &found, changed.clone(), now).await?;
    }
    tx.commit().await?;
    Ok(Saved { installation: found.id, changed })
}

type Applied = (Map<String, Value>, Map<String, Value>, Vec<String>);

/// The new plain and sealed values and the keys that changed, or every problem.
async fn apply(conn: &mut Conn, scope: &TenantScope, vault: &Vault, found: &InstallationSettings, schema: &SettingsSchema, input: &SettingsInput) -> Result<Applied, SettingsError> {
    let mut errors = Vec::new();
    for key in input.values.keys().chain(input.clear.keys()) {
        if schema.field(key).is_none() && !errors.iter().any(|e: &FieldError| &e.field == key) {
            errors.push(FieldError::new(key, format!("{} has no setting named {key:?}.", found.name)));
        }
    }
    let old_config = &found.stored.config.0;
    let old_secrets = &found.stored.config_secrets.0;
    // What the plugin had: a change is a change of what it reads (a default included).
    let old_projects = projects_named(conn, scope, schema, old_config).await?;
    let before: HashMap<String, Option<Value>> =
        read(schema, old_config, old_secrets, &old_projects).iter().map(|r| (r.field.key.clone(), r.effective())).collect();
    let mut config = Map::new();
    let mut secrets = Map::new();
    let mut changed = Vec::new();
    let mut projects = Vec::new();
    for field in &schema.fields {
        let key = &field.key;
        let raw = input.values.get(key).map(String::as_str).unwrap_or("");
        let parsed = schema::from_form(field, raw).and_then(|v| match v {
            Some(value) => schema::check(field, &value).map(|()| Some(value)),
            None => Ok(None),
        });
        let value = match parsed {
            Ok(value) => value,
            Err(message) => {
                errors.push(FieldError::new(key, message));
                continue;
            }
        };
        if field.is_secret() {
            if input.clear.contains_key(key) && value.is_some() {
                errors.push(FieldError::new(key, "Clear the value or type a new one, not both."));
                continue;
            }
            let old = old_secrets.get(key).and_then(Value::as_str);
            let new = if input.clear.contains_key(key) {
                None
            } else if let Some(Value::String(plain)) = &value {
                Some(vault.seal(&seal_context(found.id, key), plain))
            } else {
                old.map(str::to_owned)
            };
            let differs = match (old, &new, &value) {
                (None, None, _) => false,
                (Some(_), None, _) | (None, Some(_), _) => true,
                // Replaced: changed unless it is the same secret again.
                (Some(old), Some(_), Some(Value::String(plain))) => vault.open(&seal_context(found.id, key), old).map_err(|_| SettingsError::Sealed)? != *plain,
                (Some(_), Some(_), _) => false,
            };
            if field.required && new.is_none() {
                errors.push(FieldError::new(key, "This setting is required."));
                continue;
            }
            if differs {
                changed.push(key.clone());
            }
            if let Some(sealed) = new {
                secrets.insert(key.clone(), Value::String(sealed));
            }
            continue;
        }
        if field.required && value.is_none() && schema::default_of(&field.kind).is_none() {
            errors.push(FieldError::new(key, "This setting is required."));
            continue;
        }
        if let (SettingKind::Project, Some(id)) = (&field.kind, value.as_ref().and_then(Value::as_i64)) {
            projects.push((key.clone(), id));
        }
        let in_force = value.clone().or_else(|| schema::default_of(&field.kind));
        if before.get(key).cloned().flatten() != in_force {
            changed.push(key.clone());
        }
        if let Some(value) = value {
            config.insert(key.clone(), value);
        }
    }
    // A project setting names one of this organisation's projects.
    let ids: Vec<i64> = projects.iter().map(|(_, id)| *id).collect();
    let existing = store::existing_projects(conn, scope, &ids).await?;
    for (key, id) in projects {
        if !existing.contains(&id) {
            errors.push(FieldError::new(&key, "Choose one of your organisation's projects."));
        }
    }
    if errors.is_empty() {
        Ok((config, secrets, changed))
    } else {
        Err(SettingsError::Invalid(errors))
    }
}

/// An installation's settings as its plugin reads them with its token: every value in
/// force (defaults included, secrets opened) and the required ones still missing.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PluginSettings {
    /// Key → value, as the schema types it (string, integer, number, boolean; a project
    /// setting holds the project's id).
    #[schema(value_type = Object, example = json!({"project": 12, "channel": "#general", "api_key": "sk_live_…"}))]
    pub settings: Map<String, Value>,
    /// Required settings with no value yet: the organisation has not finished setting
    /// the plugin up.
    pub missing: Vec<String>,
}

/// The settings of `installation`, for its plugin (secrets included).
pub async fn for_plugin(db: &Db, vault: &Vault, scope: &TenantScope, installation: InstallationId) -> Result<PluginSettings, SettingsError> {
    values(db, Some(vault), scope, installation).await
}

/// The settings of `installation` a client-side plugin reads through the bridge: no
/// secrets (the frame runs in the person's browser).
pub async fn for_frame(db: &Db, scope: &TenantScope, installation: InstallationId) -> Result<PluginSettings, SettingsError> {
    values(db, None, scope, installation).await
}

async fn values(db: &Db, vault: Option<&Vault>, scope: &TenantScope, installation: InstallationId) -> Result<PluginSettings, SettingsError> {
    let mut conn = db.pool().acquire().await?;
    let found = store::of_installation(&mut conn, scope, installation).await?.ok_or(SettingsError::NotInstalled)?;
    let Some((readings, _)) = read_stored(&mut conn, scope, &found.stored).await? else {
        return Ok(PluginSettings { settings: Map::new(), missing: Vec::new() });
    };
    let mut settings = Map::new();
    let mut missing = Vec::new();
    for reading in readings {
        let key = &reading.field.key;
        if reading.missing() {
            missing.push(key.clone());
        }
        if reading.field.is_secret() {
            let (Some(vault), Some(sealed)) = (vault, found.stored.config_secrets.0.get(key).and_then(Value::as_str)) else { continue };
            let plain = vault.open(&seal_context(found.id, key), sealed).map_err(|_| SettingsError::Sealed)?;
            settings.insert(key.clone(), Value::String(plain));
        } else if let Some(value) = reading.effective() {
            settings.insert(key.clone(), value);
        }
    }
    Ok(PluginSettings { settings, missing })
}
