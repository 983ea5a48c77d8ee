//! The bridge between a client-side plugin and the host page (DESIGN.md §7): the methods a
//! plugin may call with `postMessage`, the scope each needs, and the answers. Shared by the
//! host in the browser (which checks first) and the server (which checks again and runs
//! the call through the REST API's own code).

use super::{InstallationId, Scope, ScopeSet};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BridgeMethod {
    #[serde(rename = "projects.list")]
    ProjectsList,
    #[serde(rename = "tasks.list")]
    TasksList,
    #[serde(rename = "tasks.create")]
    TasksCreate,
    #[serde(rename = "tasks.update")]
    TasksUpdate,
    #[serde(rename = "context.get")]
    ContextGet,
    #[serde(rename = "ui.notify")]
    UiNotify,
    /// The installation's settings that are not secret.
    #[serde(rename = "settings.get")]
    SettingsGet,
}

impl BridgeMethod {
    pub const ALL: [Self; 7] =
        [Self::ProjectsList, Self::TasksList, Self::TasksCreate, Self::TasksUpdate, Self::ContextGet, Self::UiNotify, Self::SettingsGet];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProjectsList => "projects.list",
            Self::TasksList => "tasks.list",
            Self::TasksCreate => "tasks.create",
            Self::TasksUpdate => "tasks.update",
            Self::ContextGet => "context.get",
            Self::UiNotify => "ui.notify",
            Self::SettingsGet => "settings.get",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    /// The scope the installation must have granted (`write:X` covers `read:X`).
    pub fn needs(self) -> Option<Scope> {
        match self {
            Self::ProjectsList => Some(Scope::ReadProjects),
            Self::TasksList => Some(Scope::ReadTasks),
            Self::TasksCreate | Self::TasksUpdate => Some(Scope::WriteTasks),
            Self::ContextGet | Self::UiNotify | Self::SettingsGet => None,
        }
    }

    /// Whether it changes the tenant's data (the host page then shows the change).
    pub fn writes(self) -> bool {
        matches!(self, Self::TasksCreate | Self::TasksUpdate)
    }

    /// Checks the call against a grant, as the host does before anything is sent.
    pub fn check(self, granted: &ScopeSet) -> Result<(), BridgeError> {
        match self.needs() {
            Some(scope) if !granted.allows(scope) => Err(BridgeError::insufficient_scope(scope)),
            _ => Ok(()),
        }
    }
}

/// What a failed call answers: `{id, error: {code, message, field?}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeError {
    /// Stable: `insufficient_scope`, `unknown_method`, `bad_request`, `validation_failed`,
    /// `not_found`, `rate_limited`, `uninstalled`, `unavailable`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl BridgeError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into(), field: None }
    }

    pub fn insufficient_scope(scope: Scope) -> Self {
        Self::new("insufficient_scope", format!("This call needs the {scope} scope, which the installation did not grant."))
    }

    pub fn uninstalled() -> Self {
        Self::new("uninstalled", "The plugin was uninstalled.")
    }
}

/// An installed client-side plugin, as the host page frames it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientPlugin {
    pub installation_id: InstallationId,
    pub slug: String,
    pub name: String,
    /// Where its sandboxed frame document is served.
    pub frame_url: String,
    pub scopes: ScopeSet,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_method_needs_its_scope() {
        let read_only = ScopeSet::parse_oauth("read:tasks").unwrap();
        assert_eq!(BridgeMethod::TasksList.check(&read_only), Ok(()));
        assert_eq!(BridgeMethod::TasksCreate.check(&read_only).unwrap_err().code, "insufficient_scope");
        assert_eq!(BridgeMethod::ProjectsList.check(&read_only).unwrap_err().code, "insufficient_scope");
        let writer = ScopeSet::parse_oauth("write:tasks").unwrap();
        assert_eq!(BridgeMethod::TasksList.check(&writer), Ok(()), "write covers read");
        assert_eq!(BridgeMethod::UiNotify.check(&ScopeSet::parse_oauth("").unwrap()), Ok(()));
        for m in BridgeMethod::ALL {
            assert_eq!(BridgeMethod::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        assert_eq!(BridgeMethod::parse("users.delete"), None);
    }
}
