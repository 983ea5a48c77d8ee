//! The webhook event types (issue 19): the lifecycle of an installation, which every
//! plugin with a webhook URL hears about, and changes to a tenant's data, which a version
//! subscribes to and which reach an installation only when its grant lets it read them.

use super::Scope;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "plugin.installed")]
    PluginInstalled,
    #[serde(rename = "plugin.uninstalled")]
    PluginUninstalled,
    #[serde(rename = "installation.scopes_updated")]
    ScopesUpdated,
    #[serde(rename = "installation.config_updated")]
    ConfigUpdated,
    #[serde(rename = "grant.revoked")]
    GrantRevoked,
    #[serde(rename = "project.created")]
    ProjectCreated,
    #[serde(rename = "project.updated")]
    ProjectUpdated,
    #[serde(rename = "project.deleted")]
    ProjectDeleted,
    #[serde(rename = "task.created")]
    TaskCreated,
    #[serde(rename = "task.updated")]
    TaskUpdated,
    #[serde(rename = "task.deleted")]
    TaskDeleted,
    #[serde(rename = "member.added")]
    MemberAdded,
    #[serde(rename = "member.updated")]
    MemberUpdated,
    #[serde(rename = "member.removed")]
    MemberRemoved,
}

impl EventType {
    pub const ALL: [EventType; 14] = [
        EventType::PluginInstalled,
        EventType::PluginUninstalled,
        EventType::ScopesUpdated,
        EventType::ConfigUpdated,
        EventType::GrantRevoked,
        EventType::ProjectCreated,
        EventType::ProjectUpdated,
        EventType::ProjectDeleted,
        EventType::TaskCreated,
        EventType::TaskUpdated,
        EventType::TaskDeleted,
        EventType::MemberAdded,
        EventType::MemberUpdated,
        EventType::MemberRemoved,
    ];

    /// The data events a version may subscribe to.
    pub const SUBSCRIBABLE: [EventType; 9] = [
        EventType::ProjectCreated,
        EventType::ProjectUpdated,
        EventType::ProjectDeleted,
        EventType::TaskCreated,
        EventType::TaskUpdated,
        EventType::TaskDeleted,
        EventType::MemberAdded,
        EventType::MemberUpdated,
        EventType::MemberRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PluginInstalled => "plugin.installed",
            EventType::PluginUninstalled => "plugin.uninstalled",
            EventType::ScopesUpdated => "installation.scopes_updated",
            EventType::ConfigUpdated => "installation.config_updated",
            EventType::GrantRevoked => "grant.revoked",
            EventType::ProjectCreated => "project.created",
            EventType::ProjectUpdated => "project.updated",
            EventType::ProjectDeleted => "project.deleted",
            EventType::TaskCreated => "task.created",
            EventType::TaskUpdated => "task.updated",
            EventType::TaskDeleted => "task.deleted",
            EventType::MemberAdded => "member.added",
            EventType::MemberUpdated => "member.updated",
            EventType::MemberRemoved => "member.removed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw)
    }

    /// The scope an installation's grant needs to receive the event; `None` for the
    /// lifecycle events, which every plugin with a webhook URL receives unasked.
    pub fn needs(self) -> Option<Scope> {
        match self {
            EventType::ProjectCreated | EventType::ProjectUpdated | EventType::ProjectDeleted => Some(Scope::ReadProjects),
            EventType::TaskCreated | EventType::TaskUpdated | EventType::TaskDeleted => Some(Scope::ReadTasks),
            EventType::MemberAdded | EventType::MemberUpdated | EventType::MemberRemoved => Some(Scope::ReadUsers),
            EventType::PluginInstalled | EventType::PluginUninstalled | EventType::ScopesUpdated | EventType::ConfigUpdated | EventType::GrantRevoked => None,
        }
    }

    /// When it is sent, in a sentence for the console and the API guide.
    pub fn sentence(self) -> &'static str {
        match self {
            EventType::PluginInstalled => "An organisation installed the plugin (its admin allowed the consent and the plugin exchanged the code).",
            EventType::PluginUninstalled => "An organisation uninstalled the plugin; its tokens no longer work.",
            EventType::ScopesUpdated => "An organisation granted the installation other permissions (an update, or a narrower grant).",
            EventType::ConfigUpdated => "An admin changed the installation's settings; `changed` names the keys.",
            EventType::GrantRevoked => "Plugboard revoked the installation's grant because one of its refresh tokens, or its authorization code, was presented twice (someone may hold a copy): every token of the grant stopped working. The installation stays installed; its owners and admins are asked to reconnect the plugin, which brings a new authorization code.",
            EventType::ProjectCreated => "A project was created.",
            EventType::ProjectUpdated => "A project was renamed, described, archived or unarchived; `changed` names the fields.",
            EventType::ProjectDeleted => "A project was deleted; a `task.deleted` for each of its tasks comes before it.",
            EventType::TaskCreated => "A task was created.",
            EventType::TaskUpdated => "A task's title, status, project, assignee or due date changed; `changed` names the fields.",
            EventType::TaskDeleted => "A task was deleted.",
            EventType::MemberAdded => "A person joined the organisation.",
            EventType::MemberUpdated => "A person's role changed; `changed` names the fields.",
            EventType::MemberRemoved => "A person left the organisation (as they were); a `task.updated` for each task they were assigned comes before it.",
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event type as the API guide lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDoc {
    pub name: String,
    pub sentence: String,
    /// The scope a grant needs to receive it (`None`: every plugin with a webhook URL).
    pub scope: Option<String>,
    /// A self-contained JSON Schema (2020-12) of the whole body, pretty-printed.
    pub schema: String,
    /// An example body, pretty-printed.
    pub example: String,
}

/// The data events a version subscribes to: subscribable types only, each once, in
/// catalog order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriptions(Vec<EventType>);

impl Subscriptions {
    /// The named event types, or the first name that is not a data event type.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut types = Vec::new();
        for name in names {
            let name = name.trim();
            match EventType::parse(name) {
                Some(t) if EventType::SUBSCRIBABLE.contains(&t) => types.push(t),
                Some(t) => return Err(format!("{t} is sent to every plugin with a webhook URL; subscribe only to data events")),
                None => return Err(format!("there is no event type {name:?}")),
            }
        }
        types.sort();
        types.dedup();
        Ok(Subscriptions(types))
    }

    pub fn contains(&self, event: EventType) -> bool {
        self.0.contains(&event)
    }

    pub fn iter(&self) -> impl Iterator<Item = EventType> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// As stored: a JSON array of names.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".into())
    }

    /// For people: the names, comma-separated, or "none".
    pub fn describe(&self) -> String {
        if self.0.is_empty() {
            "none".into()
        } else {
            self.0.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serde_agrees() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), serde_json::Value::from(t.as_str()));
        }
        assert_eq!(EventType::parse("task.exploded"), None);
    }

    #[test]
    fn data_events_need_a_read_scope_and_lifecycle_ones_none() {
        for t in EventType::ALL {
            assert_eq!(t.needs().is_some(), EventType::SUBSCRIBABLE.contains(&t), "{t}");
        }
        assert_eq!(EventType::TaskDeleted.needs(), Some(Scope::ReadTasks));
        assert_eq!(EventType::ProjectUpdated.needs(), Some(Scope::ReadProjects));
    }

    #[test]
    fn subscriptions_take_data_events_once_in_order() {
        let s = Subscriptions::parse(["task.updated", "project.created", "task.updated"]).unwrap();
        assert_eq!(s.iter().collect::<Vec<_>>(), [EventType::ProjectCreated, EventType::TaskUpdated]);
        assert_eq!(s.to_json(), r#"["project.created","task.updated"]"#);
        assert!(Subscriptions::parse(["plugin.installed"]).unwrap_err().contains("every plugin"));
        assert!(Subscriptions::parse(["task.exploded"]).unwrap_err().contains("no event type"));
    }
}
