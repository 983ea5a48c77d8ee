//! An installation's settings (migration 0011): `installations.config` holds the values
//! that are not secret (a JSON object), `installations.config_secrets` each secret's value
//! sealed by the vault under its own context (a JSON object of sealed strings), and the
//! plugin's live `config_schema` says what they may be.

use super::installations::InstallStatus;
use super::{Conn, Known, UnknownValue};
use crate::domain::{InstallationId, PluginId, PluginSlug, SettingsSchema};
use crate::server::scope::TenantScope;
use serde_json::{Map, Value};

/// A version's settings schema as stored (`None`: the version declares none). A stored
/// text that the parser refuses is a decode error.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredSettingsSchema(pub Option<SettingsSchema>);

impl TryFrom<Option<String>> for StoredSettingsSchema {
    type Error = UnknownValue;

    fn try_from(text: Option<String>) -> Result<Self, UnknownValue> {
        match text {
            None => Ok(StoredSettingsSchema(None)),
            Some(raw) => crate::server::settings::schema::stored(&raw)
                .map(|s| StoredSettingsSchema(Some(s)))
                .ok_or_else(|| UnknownValue { what: "settings schema", value: raw.chars().take(80).collect() }),
        }
    }
}

/// A JSON object column (`config`, `config_secrets`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredObject(pub Map<String, Value>);

impl TryFrom<String> for StoredObject {
    type Error = UnknownValue;

    fn try_from(json: String) -> Result<Self, UnknownValue> {
        match serde_json::from_str(&json) {
            Ok(Value::Object(map)) => Ok(StoredObject(map)),
            _ => Err(UnknownValue { what: "settings object", value: json.chars().take(80).collect() }),
        }
    }
}

/// An installation's stored values with its plugin's live schema, for a list.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct SettingsColumns {
    #[sqlx(try_from = "Option<String>")]
    pub config_schema: StoredSettingsSchema,
    #[sqlx(try_from = "String")]
    pub config: StoredObject,
    /// Key → sealed value.
    #[sqlx(try_from = "String")]
    pub config_secrets: StoredObject,
}

/// The columns of [`SettingsColumns`], for installations `i` of plugins `p`.
pub const SETTINGS_COLUMNS: &str = "p.config_schema, i.config, i.config_secrets";

/// An installation with its plugin's live settings schema and its stored values.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstallationSettings {
    pub id: InstallationId,
    pub plugin_id: PluginId,
    #[sqlx(try_from = "String")]
    pub status: Known<InstallStatus>,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub slug: PluginSlug,
    #[sqlx(flatten)]
    pub stored: SettingsColumns,
}

const COLUMNS: &str = "i.id, i.plugin_id, i.status, p.name, p.slug, p.config_schema, i.config, i.config_secrets";

/// The scope's installation of the plugin at `slug`, pending or active.
pub async fn of_slug(conn: &mut Conn, scope: &TenantScope, slug: &PluginSlug) -> Result<Option<InstallationSettings>, super::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM installations i JOIN plugins p ON p.id = i.plugin_id \
         WHERE i.tenant_id = $1 AND p.slug = $2 AND i.status <> 'uninstalled'"
    ))
    .bind(scope.tenant())
    .bind(slug.as_str())
    .fetch_optional(conn)
    .await
}

/// The scope's installation `installation`, pending or active.
pub async fn of_installation(conn: &mut Conn, scope: &TenantScope, installation: InstallationId) -> Result<Option<InstallationSettings>, super::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM installations i JOIN plugins p ON p.id = i.plugin_id \
         WHERE i.tenant_id = $1 AND i.id = $2 AND i.status <> 'uninstalled'"
    ))
    .bind(scope.tenant())
    .bind(installation)
    .fetch_optional(conn)
    .await
}

/// The tenant's installations (pending or active) whose plugin declares settings.
pub async fn of_tenant(conn: &mut Conn, scope: &TenantScope) -> Result<Vec<InstallationSettings>, super::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM installations i JOIN plugins p ON p.id = i.plugin_id \
         WHERE i.tenant_id = $1 AND i.status <> 'uninstalled' AND p.config_schema IS NOT NULL"
    ))
    .bind(scope.tenant())
    .fetch_all(conn)
    .await
}

/// Takes the installation's row lock (PostgreSQL; SQLite's write transaction holds the
/// database) so two saves of one installation's settings run one after the other.
pub async fn lock(conn: &mut Conn, scope: &TenantScope, installation: InstallationId) -> Result<(), super::Error> {
    sqlx::query("UPDATE installations SET updated_at = updated_at WHERE id = $1 AND tenant_id = $2")
        .bind(installation)
        .bind(scope.tenant())
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes the installation's values: `config` the plain ones, `secrets` the sealed ones.
pub async fn save(conn: &mut Conn, scope: &TenantScope, installation: InstallationId, config: &Map<String, Value>, secrets: &Map<String, Value>, now: i64) -> Result<(), super::Error> {
    sqlx::query("UPDATE installations SET config = $1, config_secrets = $2, updated_at = $3 WHERE id = $4 AND tenant_id = $5 AND status <> 'uninstalled'")
        .bind(Value::Object(config.clone()).to_string())
        .bind(Value::Object(secrets.clone()).to_string())
        .bind(now)
        .bind(installation)
        .bind(scope.tenant())
        .execute(conn)
        .await?;
    Ok(())
}

/// Which of `ids` are projects of the scope's tenant.
pub async fn existing_projects(conn: &mut Conn, scope: &TenantScope, ids: &[i64]) -> Result<Vec<i64>, super::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // A handful of ids (one per project setting), bound one by one.
    let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!("SELECT id FROM projects WHERE tenant_id = $1 AND id IN ({})", placeholders.join(", "));
    let mut query = sqlx::query_scalar(&sql).bind(scope.tenant());
    for id in ids {
        query = query.bind(*id);
    }
    query.fetch_all(conn).await
}

/// The tenant's projects for a chooser: (id, name), by name, the first thousand, and
/// those in `also` (the ones settings name now) wherever they sort.
pub async fn project_choices(conn: &mut Conn, scope: &TenantScope, also: &[i64]) -> Result<Vec<(i64, String)>, super::Error> {
    let mut choices: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM projects WHERE tenant_id = $1 ORDER BY name, id LIMIT 1000")
        .bind(scope.tenant())
        .fetch_all(&mut *conn)
        .await?;
    for id in also.iter().filter(|id| !choices.iter().any(|(c, _)| c == *id)).copied().collect::<Vec<_>>() {
        let named: Option<(i64, String)> = sqlx::query_as("SELECT id, name FROM projects WHERE tenant_id = $1 AND id = $2")
            .bind(scope.tenant())
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        choices.extend(named);
    }
    Ok(choices)
}
