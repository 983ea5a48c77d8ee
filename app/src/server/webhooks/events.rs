//! What each event type carries (issue 19). The payload types below build every webhook
//! body and, through their `ToSchema`, the JSON Schemas published in the OpenAPI
//! document's `webhooks` section and on the API guide, so the two cannot drift apart.
//! The examples are built by the same code from sample values.

use crate::domain::{EventDoc, EventType, InstallationId, OrgUser, PluginId, Project, Role, Scope, ScopeSet, Task, TaskStatus, TenantId, TokenFailure, UserId};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::openapi::{RefOr, Schema};
use utoipa::ToSchema;

/// The installation an event is sent about and to.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Recipient {
    #[schema(value_type = i64)]
    pub installation_id: InstallationId,
    #[schema(value_type = i64)]
    pub tenant_id: TenantId,
    #[schema(value_type = i64)]
    pub plugin_id: PluginId,
}

/// Who made a change: a person of the organisation, or an installed plugin (through the
/// API, or its client-side code through the bridge). A plugin compares `id` with its own
/// installation's to ignore its own writes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Actor {
    User {
        #[schema(value_type = i64)]
        id: UserId,
    },
    Installation {
        #[schema(value_type = i64)]
        id: InstallationId,
        /// The plugin's slug.
        plugin: String,
    },
}

/// `plugin.installed`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstalledData {
    #[serde(flatten)]
    pub recipient: Recipient,
    /// The scopes granted.
    #[schema(value_type = Vec<String>)]
    pub scopes: ScopeSet,
}

/// `plugin.uninstalled`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UninstalledData {
    #[serde(flatten)]
    pub recipient: Recipient,
}

/// `installation.scopes_updated`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScopesUpdatedData {
    #[serde(flatten)]
    pub recipient: Recipient,
    /// The scopes granted now.
    #[schema(value_type = Vec<String>)]
    pub scopes: ScopeSet,
    #[schema(value_type = Vec<String>)]
    pub previous_scopes: ScopeSet,
}

/// `installation.config_updated`: read the settings again.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConfigUpdatedData {
    #[serde(flatten)]
    pub recipient: Recipient,
    /// The keys whose values in force changed (never the values).
    pub changed: Vec<String>,
}

/// Why a grant was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevokedFor {
    /// A refresh token was presented after it had been used.
    RefreshTokenReused,
    /// The authorization code that started the grant was presented again.
    AuthorizationCodeReused,
}

impl RevokedFor {
    /// How the console records it.
    pub fn failure(self) -> TokenFailure {
        match self {
            RevokedFor::RefreshTokenReused => TokenFailure::RefreshReused,
            RevokedFor::AuthorizationCodeReused => TokenFailure::CodeReused,
        }
    }

    /// The reuse a recorded failure was, if it was one.
    pub fn of(failure: TokenFailure) -> Option<Self> {
        match failure {
            TokenFailure::RefreshReused => Some(RevokedFor::RefreshTokenReused),
            TokenFailure::CodeReused => Some(RevokedFor::AuthorizationCodeReused),
            TokenFailure::GrantRevoked | TokenFailure::Expired | TokenFailure::ScopeTooWide | TokenFailure::RateLimited => None,
        }
    }
}

/// `grant.revoked`: the plugin's tokens for this installation no longer work; it gets new
/// ones when an owner or admin reconnects it (a consent, then a code as at install).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantRevokedData {
    #[serde(flatten)]
    pub recipient: Recipient,
    pub reason: RevokedFor,
}

/// `project.created`, `project.deleted` (the project as it was) and `project.updated`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectData {
    #[serde(flatten)]
    pub recipient: Recipient,
    pub actor: Actor,
    /// As `GET /api/v1/projects/{id}` returns it.
    pub project: Project,
    /// `project.updated` only: the fields that changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<&'static str>>,
}

/// `task.created`, `task.deleted` (the task as it was) and `task.updated`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskData {
    #[serde(flatten)]
    pub recipient: Recipient,
    pub actor: Actor,
    /// As `GET /api/v1/tasks/{id}` returns it.
    pub task: Task,
    /// `task.updated` only: the fields that changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<&'static str>>,
}

/// `member.added`, `member.removed` (the person as they were) and `member.updated`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberData {
    #[serde(flatten)]
    pub recipient: Recipient,
    pub actor: Actor,
    /// As `GET /api/v1/users/{id}` returns them.
    pub user: OrgUser,
    /// `member.updated` only: the fields that changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<&'static str>>,
}

/// An event's `data`, typed.
#[derive(Debug, Clone)]
pub enum Data {
    Installed(InstalledData),
    Uninstalled(UninstalledData),
    ScopesUpdated(ScopesUpdatedData),
    ConfigUpdated(ConfigUpdatedData),
    GrantRevoked(GrantRevokedData),
    Project(EventType, ProjectData),
    Task(EventType, TaskData),
    Member(EventType, MemberData),
}

impl Data {
    pub fn event_type(&self) -> EventType {
        match self {
            Data::Installed(_) => EventType::PluginInstalled,
            Data::Uninstalled(_) => EventType::PluginUninstalled,
            Data::ScopesUpdated(_) => EventType::ScopesUpdated,
            Data::ConfigUpdated(_) => EventType::ConfigUpdated,
            Data::GrantRevoked(_) => EventType::GrantRevoked,
            Data::Project(t, _) | Data::Task(t, _) | Data::Member(t, _) => *t,
        }
    }

    pub fn recipient(&self) -> Recipient {
        match self {
            Data::Installed(d) => d.recipient,
            Data::Uninstalled(d) => d.recipient,
            Data::ScopesUpdated(d) => d.recipient,
            Data::ConfigUpdated(d) => d.recipient,
            Data::GrantRevoked(d) => d.recipient,
            Data::Project(_, d) => d.recipient,
            Data::Task(_, d) => d.recipient,
            Data::Member(_, d) => d.recipient,
        }
    }

    fn to_value(&self) -> Value {
        let value = match self {
            Data::Installed(d) => serde_json::to_value(d),
            Data::Uninstalled(d) => serde_json::to_value(d),
            Data::ScopesUpdated(d) => serde_json::to_value(d),
            Data::ConfigUpdated(d) => serde_json::to_value(d),
            Data::GrantRevoked(d) => serde_json::to_value(d),
            Data::Project(_, d) => serde_json::to_value(d),
            Data::Task(_, d) => serde_json::to_value(d),
            Data::Member(_, d) => serde_json::to_value(d),
        };
        // Plain structs of numbers and strings: serialising them cannot fail.
        value.unwrap_or_default()
    }

    /// The body every attempt sends, fixed when the event is queued (Standard Webhooks:
    /// `type`, `timestamp`, `data`).
    pub fn payload(&self, now: i64) -> String {
        json!({ "type": self.event_type().as_str(), "timestamp": rfc3339(now), "data": self.to_value() }).to_string()
    }
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// The schema of an event type's `data`, its name, and the schemas it refers to.
fn data_schema(event: EventType) -> (String, RefOr<Schema>, Vec<(String, RefOr<Schema>)>) {
    fn of<T: ToSchema>() -> (String, RefOr<Schema>, Vec<(String, RefOr<Schema>)>) {
        let mut refs = Vec::new();
        T::schemas(&mut refs);
        (T::name().into_owned(), T::schema(), refs)
    }
    match event {
        EventType::PluginInstalled => of::<InstalledData>(),
        EventType::PluginUninstalled => of::<UninstalledData>(),
        EventType::ScopesUpdated => of::<ScopesUpdatedData>(),
        EventType::ConfigUpdated => of::<ConfigUpdatedData>(),
        EventType::GrantRevoked => of::<GrantRevokedData>(),
        EventType::ProjectCreated | EventType::ProjectUpdated | EventType::ProjectDeleted => of::<ProjectData>(),
        EventType::TaskCreated | EventType::TaskUpdated | EventType::TaskDeleted => of::<TaskData>(),
        EventType::MemberAdded | EventType::MemberUpdated | EventType::MemberRemoved => of::<MemberData>(),
    }
}

/// The name of an event type's schema in the OpenAPI document: `task.created` is
/// `TaskCreatedEvent`.
pub fn schema_name(event: EventType) -> String {
    let mut name = String::new();
    for word in event.as_str().split(['.', '_']) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name + "Event"
}

/// The envelope of one event type, referring to its data schema under `prefix`.
fn envelope(event: EventType, data_ref: &str) -> Value {
    let mut data = json!({ "$ref": data_ref });
    // `changed` is there exactly on the `updated` events.
    if let EventType::ProjectUpdated | EventType::TaskUpdated | EventType::MemberUpdated = event {
        data = json!({ "allOf": [data, { "type": "object", "required": ["changed"] }] });
    } else if matches!(
        event,
        EventType::ProjectCreated | EventType::ProjectDeleted | EventType::TaskCreated | EventType::TaskDeleted | EventType::MemberAdded | EventType::MemberRemoved
    ) {
        data = json!({ "allOf": [data, { "not": { "type": "object", "required": ["changed"] } }] });
    }
    json!({
        "type": "object",
        "description": event.sentence(),
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": { "const": event.as_str() },
            "timestamp": { "type": "string", "format": "date-time" },
            "data": data,
        },
    })
}

/// An example of the event, built by the code that builds real payloads.
pub fn example(event: EventType) -> Value {
    sample_event(event).unwrap_or_default()
}

fn sample_event(event: EventType) -> Result<Value, serde_json::Error> {
    // Ids come from rows or requests only; the example's are read as a request's would be.
    fn id<T: serde::de::DeserializeOwned>(n: i64) -> Result<T, serde_json::Error> {
        serde_json::from_value(Value::from(n))
    }
    let recipient = Recipient { installation_id: id(7)?, tenant_id: id(3)?, plugin_id: id(12)? };
    let actor = Actor::User { id: id(41)? };
    let project = Project {
        id: id(5)?,
        name: "Website relaunch".into(),
        description: "Everything for the new site.".into(),
        archived: false,
        created_at: 1_795_000_000,
        updated_at: 1_795_000_600,
    };
    let task = Task {
        id: id(88)?,
        project_id: id(5)?,
        title: "Write the launch post".into(),
        status: TaskStatus::Doing,
        assignee_id: Some(id(41)?),
        due_date: Some("2026-12-01".into()),
        created_at: 1_795_000_000,
        updated_at: 1_795_000_600,
    };
    let scopes = ScopeSet::new([Scope::ReadProjects, Scope::WriteTasks]);
    let data = match event {
        EventType::PluginInstalled => Data::Installed(InstalledData { recipient, scopes }),
        EventType::PluginUninstalled => Data::Uninstalled(UninstalledData { recipient }),
        EventType::ScopesUpdated => Data::ScopesUpdated(ScopesUpdatedData { recipient, previous_scopes: ScopeSet::new([Scope::ReadProjects]), scopes }),
        EventType::ConfigUpdated => Data::ConfigUpdated(ConfigUpdatedData { recipient, changed: vec!["channel".into()] }),
        EventType::GrantRevoked => Data::GrantRevoked(GrantRevokedData { recipient, reason: RevokedFor::RefreshTokenReused }),
        EventType::ProjectCreated | EventType::ProjectDeleted => Data::Project(event, ProjectData { recipient, actor, project, changed: None }),
        EventType::ProjectUpdated => Data::Project(event, ProjectData { recipient, actor, project, changed: Some(vec!["name"]) }),
        EventType::TaskCreated | EventType::TaskDeleted => {
            let actor = Actor::Installation { id: id(9)?, plugin: "sync-robot".into() };
            Data::Task(event, TaskData { recipient, actor, task, changed: None })
        }
        EventType::TaskUpdated => Data::Task(event, TaskData { recipient, actor, task, changed: Some(vec!["status", "assignee_id"]) }),
        EventType::MemberAdded | EventType::MemberUpdated | EventType::MemberRemoved => {
            let user = OrgUser { id: id(43)?, name: "Nia Newcomer".into(), email: "nia@acme.example".into(), role: Role::Member };
            let changed = (event == EventType::MemberUpdated).then(|| vec!["role"]);
            Data::Member(event, MemberData { recipient, actor, user, changed })
        }
    };
    serde_json::from_str(&data.payload(1_795_000_600))
}

/// Replaces every `$ref` to `#/components/schemas/X` with one to `{prefix}X`.
fn rebase_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    *r = format!("{prefix}{name}");
                }
            }
            map.values_mut().for_each(|v| rebase_refs(v, prefix));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rebase_refs(v, prefix)),
        _ => {}
    }
}

/// Adds the event catalog to an OpenAPI 3.1 document (as JSON): each event's envelope and
/// data schemas under `components.schemas`, and under `webhooks` the request Plugboard
/// sends for it, with its example.
pub fn add_to_openapi(doc: &mut Value) {
    let mut webhooks = Map::new();
    for event in EventType::ALL {
        let (data_name, data, refs) = data_schema(event);
        let schemas = &mut doc["components"]["schemas"];
        if !schemas.is_object() {
            *schemas = json!({});
        }
        for (name, schema) in refs.into_iter().chain([(data_name.clone(), data)]) {
            schemas[name] = serde_json::to_value(schema).unwrap_or_default();
        }
        let name = schema_name(event);
        schemas[&name] = envelope(event, &format!("#/components/schemas/{data_name}"));
        let scope = match event.needs() {
            Some(scope) => format!(" Sent to installations of plugins whose live version subscribes to it and whose grant includes `{scope}` (or the matching `write:`)."),
            None => " Sent to every plugin with a webhook URL.".into(),
        };
        webhooks.insert(
            event.as_str().into(),
            json!({ "post": {
                "operationId": event.as_str(),
                "summary": event.as_str(),
                "description": format!("{}{scope} Signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`).", event.sentence()),
                "requestBody": { "required": true, "content": { "application/json": {
                    "schema": { "$ref": format!("#/components/schemas/{name}") },
                    "example": example(event),
                } } },
                "responses": {
                    "2XX": { "description": "Received. Any other answer, or none within the timeout, is retried on the schedule of the guide." },
                    "410": { "description": "Turns the endpoint off: Plugboard sends nothing more until the developer turns it on again." },
                },
            } }),
        );
    }
    doc["webhooks"] = Value::Object(webhooks);
}

/// A self-contained JSON Schema of an event type's body: its envelope, with every schema
/// it refers to under `$defs`.
pub fn json_schema(event: EventType) -> Value {
    let (data_name, data, refs) = data_schema(event);
    let mut defs = Map::new();
    for (name, schema) in refs.into_iter().chain([(data_name.clone(), data)]) {
        defs.insert(name, serde_json::to_value(schema).unwrap_or_default());
    }
    let mut schema = envelope(event, &format!("#/$defs/{data_name}"));
    schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    schema["title"] = json!(event.as_str());
    schema["$defs"] = Value::Object(defs);
    rebase_refs(&mut schema, "#/$defs/");
    schema
}

/// The whole catalog, for the API guide.
pub fn catalog() -> Vec<EventDoc> {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    EventType::ALL
        .into_iter()
        .map(|event| EventDoc {
            name: event.as_str().into(),
            sentence: event.sentence().into(),
            scope: event.needs().map(|s| s.as_str().into()),
            schema: pretty(&json_schema(event)),
            example: pretty(&example(event)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_pascal_case() {
        assert_eq!(schema_name(EventType::TaskCreated), "TaskCreatedEvent");
        assert_eq!(schema_name(EventType::ConfigUpdated), "InstallationConfigUpdatedEvent");
    }

    #[test]
    fn examples_carry_their_type_and_the_changed_fields_only_on_updates() {
        for event in EventType::ALL {
            let e = example(event);
            assert_eq!(e["type"], event.as_str());
            assert_eq!(e["data"]["installation_id"], 7);
            let updated = matches!(event, EventType::TaskUpdated | EventType::ProjectUpdated | EventType::ConfigUpdated | EventType::MemberUpdated);
            assert_eq!(e["data"].get("changed").is_some(), updated, "{event}");
            assert_eq!(e["data"].get("actor").is_some(), event.needs().is_some(), "{event}");
        }
        assert_eq!(example(EventType::TaskCreated)["data"]["actor"], json!({"type": "installation", "id": 9, "plugin": "sync-robot"}));
    }

    #[test]
    fn the_self_contained_schema_refers_only_to_its_own_defs() {
        let schema = json_schema(EventType::TaskUpdated).to_string();
        assert!(!schema.contains("#/components/"), "{schema}");
        let defs = json_schema(EventType::TaskUpdated)["$defs"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        for name in ["TaskData", "Task", "Actor", "Recipient", "TaskStatus"] {
            assert!(schema.contains(&format!("\"#/$defs/{name}\"")), "{name} is referred to: {schema}");
            assert!(defs.iter().any(|d| d == name), "{name} is defined: {defs:?}");
        }
    }
}
