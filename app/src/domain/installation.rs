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
}

/// The "Installed plugins" page: the tenant's installations, and whether the viewer may
/// uninstall them (owners and admins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstalledOverview {
    pub plugins: Vec<InstalledPlugin>,
    pub can_manage: bool,
}
