use super::{InstallationId, JobId, PluginSlug, ScopeSet, TaskId};
use serde::{Deserialize, Serialize};

/// One plugin installed in the signed-in tenant, as the "Installed plugins" page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstalledPlugin {
    pub installation_id: InstallationId,
    pub slug: PluginSlug,
    pub name: String,
    pub author: String,
    pub icon_url: Option<String>,
    pub is_verified: bool,
    pub scopes: ScopeSet,
    /// Unix seconds.
    pub installed_at: i64,
    pub installed_by: Option<String>,
    /// For a paid plugin: what its server says of the tenant's license.
    pub license: Option<LicenseView>,
    /// For a plugin with Connect/Logout: whether the viewer is connected to its service.
    pub connection: Option<ConnectionView>,
    /// The live version asks for other scopes than the tenant granted.
    pub update: Option<ScopeUpdate>,
    /// Staff suspended the plugin: nothing of it runs.
    pub suspended: Option<String>,
    /// Its plugin's suspension stopped it, and the suspension is lifted: it runs again
    /// after a consent.
    pub needs_reactivation: bool,
    /// Its live version declares settings (the Settings page exists).
    pub has_settings: bool,
    /// A required setting has no value: "Finish setting up".
    pub setup_needed: bool,
    /// When Plugboard revoked the installation's grant because a copy of one of its
    /// tokens was used (reuse detection): the plugin has no access until an owner or
    /// admin reconnects it.
    pub reconnect_needed: Option<i64>,
    /// Staff have not published the plugin: the organisation runs a version nobody
    /// reviewed (its developer's own, or an invited one's test install).
    pub test_version: bool,
    /// For owners and admins: a saved setting no longer fits the live version.
    pub settings_flagged: bool,
}

/// A live version that asks for more than an installation granted: only the difference,
/// for the owners and admins who approve or decline it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeUpdate {
    pub version: i64,
    pub added: Vec<super::Scope>,
    pub removed: Vec<super::Scope>,
    /// The version's "What's new", rendered and sanitised on the server.
    pub notes_html: String,
    /// The tenant declined this version's request (it can still approve it).
    pub declined: bool,
}

/// The viewer's connection to a plugin's own service (DESIGN.md §6): asked of the plugin
/// server (`checkAuth`), or known to Plugboard when it is the OAuth client itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionView {
    /// `None` when the plugin's server could not say.
    pub connected: Option<bool>,
    /// Why Plugboard could not find out.
    pub problem: Option<String>,
}

/// A paid plugin's license, as its server reported it (DESIGN.md §6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LicenseView {
    /// `None` when the plugin's server could not say.
    pub active: Option<bool>,
    /// The server's description, Markdown rendered and sanitised on the server.
    pub description_html: String,
    /// The server's `errorMessage`, for owners and admins only.
    pub error_message: Option<String>,
    /// Why Plugboard could not get an answer.
    pub problem: Option<String>,
}

/// The "Installed plugins" page: the tenant's installations, and whether the viewer may
/// uninstall them (owners and admins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstalledOverview {
    pub plugins: Vec<InstalledPlugin>,
    pub can_manage: bool,
}

/// What the Installed plugins page says when Connect comes back with `connect_error`:
/// a fixed message per code, so nothing from the URL is shown as text.
pub fn connect_problem(code: &str) -> &'static str {
    match code {
        "declined" => "You declined the connection.",
        "expired" => "That connection attempt expired or was already used. Try Connect again.",
        "session" => "That connection was started in another browser session. Try Connect again.",
        "refused" => "The plugin's service refused the authorization. Try Connect again.",
        "service" => "The plugin's service could not be reached or answered badly. Try again later.",
        "server_down" => "The plugin's server cannot be reached. Try again later.",
        "server_error" => "The plugin's server could not start the connection. Try again later.",
        "not_installed" => "That plugin is not installed in your organisation, or offers no connection.",
        _ => "The connection did not work. Try again.",
    }
}

/// Where a Run stands (DESIGN.md §6 content processing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum JobStatus {
    /// Accepted by the plugin (202), whose answer is still to come.
    Pending,
    Done,
    Failed,
    /// The plugin never answered within the deadline.
    TimedOut,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Done, Self::Failed, Self::TimedOut].into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Working…",
            Self::Done => "Done",
            Self::Failed => "Failed",
            Self::TimedOut => "Timed out",
        }
    }
}

/// A Run of a plugin on a task, as the tenant sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub id: JobId,
    pub plugin_name: String,
    pub task_id: Option<TaskId>,
    pub status: JobStatus,
    /// The plugin's `message`, its answer as JSON, or what went wrong.
    pub summary: Option<String>,
    pub created_at: i64,
}

/// A plugin the tenant installed that can Run on tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunnablePlugin {
    pub installation_id: InstallationId,
    pub name: String,
}
