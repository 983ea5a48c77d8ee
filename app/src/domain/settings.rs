//! Installation settings (DESIGN.md §3): the schema a plugin version declares, a small
//! documented subset of JSON Schema, and what the Settings page shows of an
//! installation's values. The schema is parsed and values are checked on the server
//! (`server::settings`); the browser only renders what these types hold.

use super::PluginSlug;
use serde::{Deserialize, Serialize};

/// A version's settings: its fields in the order the developer declared them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SettingsSchema {
    pub fields: Vec<SettingField>,
}

impl SettingsSchema {
    pub fn field(&self, key: &str) -> Option<&SettingField> {
        self.fields.iter().find(|f| f.key == key)
    }
}

/// One setting: its key (the JSON property), how people see it, and what it may hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingField {
    pub key: String,
    /// `title`, or the key when the schema gives none.
    pub title: String,
    pub description: Option<String>,
    pub required: bool,
    pub kind: SettingKind,
}

impl SettingField {
    pub fn is_secret(&self) -> bool {
        matches!(self.kind, SettingKind::Text { secret: true, .. })
    }
}

/// `format` of a string setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextFormat {
    Uri,
    Email,
}

impl TextFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            TextFormat::Uri => "uri",
            TextFormat::Email => "email",
        }
    }
}

/// What a setting holds, with its constraints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SettingKind {
    /// `"type": "string"`; `secret` is `"x-secret": true` (sealed, never shown again).
    Text {
        min_length: Option<u64>,
        max_length: Option<u64>,
        pattern: Option<String>,
        format: Option<TextFormat>,
        /// `enum`: the value must be one of these.
        choices: Vec<String>,
        default: Option<String>,
        secret: bool,
    },
    /// `"type": "integer"`.
    Integer { minimum: Option<i64>, maximum: Option<i64>, choices: Vec<i64>, default: Option<i64> },
    /// `"type": "number"`.
    Number { minimum: Option<f64>, maximum: Option<f64>, default: Option<f64> },
    /// `"type": "boolean"`.
    Boolean { default: Option<bool> },
    /// `"type": "integer", "x-source": "projects"`: the id of one of the tenant's projects.
    Project,
}

/// The Settings page of one installation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsPage {
    pub plugin_name: String,
    pub slug: PluginSlug,
    pub fields: Vec<SettingValue>,
    /// Owners and admins change settings; everyone else reads them.
    pub can_manage: bool,
    /// The tenant's projects, for `x-source: projects` settings: (id, name).
    pub projects: Vec<(i64, String)>,
    /// Every required setting has a value.
    pub complete: bool,
    /// The viewer is installing the plugin: saving hands them on to the plugin.
    pub setup: bool,
    /// Consented to but never finished (no code was exchanged): not installed yet.
    pub pending: bool,
}

/// One setting of an installation as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingValue {
    pub field: SettingField,
    /// The stored value as the form shows it; never a secret's.
    pub value: Option<String>,
    /// A secret has a stored value.
    pub secret_set: bool,
    /// The stored value no longer fits the live version's schema (why); it is not used.
    pub flagged: Option<String>,
}
