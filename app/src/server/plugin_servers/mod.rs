//! Plugin servers (DESIGN.md §6, the App Connect contract): the calls Plugboard makes to a
//! plugin's `server_url`, each carrying a short-lived JWT the plugin can verify; Connect
//! and Logout (through the plugin server, or with Plugboard as the OAuth client of the
//! plugin's service); license status; and content processing (Runs and their jobs).

pub mod client;
pub mod connections;
pub mod jobs;
pub mod jwt;
pub mod license;
pub mod routes;
pub mod service_oauth;

use crate::server::scope::TenantScope;
use crate::domain::{InstallationId, ScopeSet, SessionUser, TenantId};
use crate::server::Db;
use client::Target;
use service_oauth::ServiceOAuth;

/// One plugin a tenant has installed (active), with what talking to its server needs.
#[derive(Debug, Clone)]
pub struct PluginInstall {
    pub installation: InstallationId,
    pub tenant: TenantId,
    pub granted: ScopeSet,
    pub plugin_id: crate::domain::PluginId,
    pub slug: String,
    pub name: String,
    pub client_id: String,
    pub server_url: Option<String>,
    /// The `whsec_…` secret that signs the JWT.
    pub signing_secret: Option<String>,
    pub show_authorization_button: bool,
    /// A paid plugin: its server reports license status.
    pub monetized: bool,
    pub processes_content: bool,
    pub oauth: Option<ServiceOAuth>,
    /// The service's client secret, sealed (see `connections::client_secret`).
    pub oauth_client_secret: Option<String>,
    /// Client-side code (DESIGN.md §7), if it ships any.
    pub bundle: Option<Bundle>,
    /// The network origins its client-side code may reach.
    pub client_origins: Vec<String>,
}

/// A client-side plugin's stored bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// Hex SHA-256 of the bytes: its address, `/bundles/{sha256}.js`.
    pub sha256: String,
    /// Subresource Integrity, `sha384-…`.
    pub integrity: String,
}

/// Which of a tenant's installations to load.
pub enum Which<'a> {
    All,
    Slug(&'a str),
    Installation(InstallationId),
}

impl PluginInstall {
    /// Connect/Logout is offered: Plugboard runs the OAuth flow, or the plugin server does.
    pub fn offers_connect(&self) -> bool {
        self.oauth.is_some() || (self.show_authorization_button && self.server_url.is_some())
    }

    /// A call to this plugin's server on behalf of `user`.
    pub fn target(&self, vault: &crate::server::vault::Vault, user: &SessionUser) -> Option<Target> {
        let server_url = self.server_url.clone()?;
        Some(Target {
            server_url,
            slug: self.slug.clone(),
            client_id: self.client_id.clone(),
            signing_secret: self
                .signing_secret
                .as_deref()
                .and_then(|stored| crate::server::registry::open_signing_secret(vault, &self.slug, stored))
                .unwrap_or_default(),
            user_id: user.id.get(),
            tenant_id: user.tenant_id.get(),
        })
    }

    /// The tenant's active installations (all, or the one named), oldest first.
    pub async fn load(db: &Db, scope: &TenantScope, which: Which<'_>) -> Result<Vec<Self>, crate::server::store::Error> {
        crate::server::store::installations::plugin_installs(db, scope, which).await
    }

    /// One installation, if the tenant has it active.
    pub async fn find(db: &Db, scope: &TenantScope, which: Which<'_>) -> Result<Option<Self>, crate::server::store::Error> {
        Ok(Self::load(db, scope, which).await?.into_iter().next())
    }
}
