use super::{InstallationId, PluginSlug, ScopeSet};
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
