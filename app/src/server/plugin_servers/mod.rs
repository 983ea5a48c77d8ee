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
use sqlx::Row;

/// One plugin a tenant has installed (active), with what talking to its server needs.
#[derive(Debug, Clone)]
pub struct PluginInstall {
    pub installation: InstallationId,
    pub tenant: TenantId,
    pub granted: ScopeSet,
    pub plugin_id: i64,
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
            user_id: user.id.0,
            tenant_id: user.tenant_id.0,
        })
    }

    /// The tenant's active installations (all, or the one named), oldest first.
    pub async fn load(db: &Db, scope: &TenantScope, which: Which<'_>) -> Result<Vec<Self>, sqlx::Error> {
        let (filter, slug, installation) = match which {
            Which::All => ("", None, None),
            Which::Slug(slug) => (" AND p.slug = $2", Some(slug.to_owned()), None),
            Which::Installation(id) => (" AND i.id = $2", None, Some(id.0)),
        };
        let sql = format!(
            "SELECT i.id, i.tenant_id, i.granted_scopes, p.id AS plugin_id, p.slug, p.name, p.client_id, p.server_url, p.webhook_secret, \
                    p.show_authorization_button, p.monetized, p.processes_content, p.oauth_config, p.oauth_client_secret, \
                    p.client_origins, b.sha256, b.integrity \
             FROM installations i JOIN plugins p ON p.id = i.plugin_id LEFT JOIN plugin_bundles b ON b.plugin_id = p.id \
             WHERE i.tenant_id = $1 AND i.status = 'active'{filter} ORDER BY i.id"
        );
        let mut query = sqlx::query(&sql).bind(scope.tenant().0);
        if let Some(slug) = slug {
            query = query.bind(slug);
        }
        if let Some(id) = installation {
            query = query.bind(id);
        }
        let rows = query.fetch_all(db.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(Self {
                    installation: InstallationId(r.try_get("id")?),
                    tenant: TenantId(r.try_get("tenant_id")?),
                    granted: ScopeSet::from_json(&r.try_get::<String, _>("granted_scopes")?),
                    plugin_id: r.try_get("plugin_id")?,
                    slug: r.try_get("slug")?,
                    name: r.try_get("name")?,
                    client_id: r.try_get("client_id")?,
                    server_url: r.try_get("server_url")?,
                    signing_secret: r.try_get("webhook_secret")?,
                    show_authorization_button: r.try_get::<i64, _>("show_authorization_button")? == 1,
                    monetized: r.try_get::<i64, _>("monetized")? == 1,
                    processes_content: r.try_get::<i64, _>("processes_content")? == 1,
                    oauth: r.try_get::<Option<String>, _>("oauth_config")?.as_deref().and_then(ServiceOAuth::from_json),
                    oauth_client_secret: r.try_get("oauth_client_secret")?,
                    bundle: match (r.try_get::<Option<String>, _>("sha256")?, r.try_get::<Option<String>, _>("integrity")?) {
                        (Some(sha256), Some(integrity)) => Some(Bundle { sha256, integrity }),
                        _ => None,
                    },
                    client_origins: serde_json::from_str(&r.try_get::<String, _>("client_origins")?).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// One installation, if the tenant has it active.
    pub async fn find(db: &Db, scope: &TenantScope, which: Which<'_>) -> Result<Option<Self>, sqlx::Error> {
        Ok(Self::load(db, scope, which).await?.into_iter().next())
    }
}
