//! Plugins, tenants and installations made straight through the domain code, for the
//! tests and benchmarks that need many of them quickly. Everything goes through the same
//! functions the consent screen and the token endpoint use; only the browser is skipped.

use app::domain::{Category, Email, InstallationId, Password, PluginId, PluginSlug, Role, ScopeSet, TenantId, TenantName, UserId};
use app::server::oauth::grants::{self, Client, GrantError, IssuedTokens};
use app::server::store::grants::CodeRequest;
use app::server::oauth::pkce;
use app::server::oauth::redirect_uri::RedirectUri;
use app::server::registry::{self, Credentials, NewPlugin, RegistryError};
use app::server::{accounts, installations, now, session, Db, Settings};

/// The one redirect URI fixture plugins register.
pub const REDIRECT_URI: &str = "https://fixture.example.com/oauth/callback";
/// The PKCE verifier behind every fixture code.
pub const VERIFIER: &str = "fixture-pkce-verifier-0123456789-abcdefghijklmnopq";

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Account(#[from] accounts::AccountError),
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A registered, published plugin and its id.
pub struct FixturePlugin {
    pub id: PluginId,
    pub creds: Credentials,
    pub scopes: ScopeSet,
}

/// Registers a published plugin asking for `scopes` (space-separated).
pub async fn register_plugin(db: &Db, vault: &app::server::vault::Vault, slug: &str, scopes: &str, webhook_url: Option<String>) -> Result<FixturePlugin, FixtureError> {
    let plugin = NewPlugin {
        slug: PluginSlug::parse(slug).map_err(|_| FixtureError::Invalid("slug"))?,
        name: format!("Fixture {slug}"),
        description: String::new(),
        author: "Fixtures".into(),
        author_url: None,
        icon_url: None,
        category: Category::Automation,
        redirect_uris: vec![RedirectUri::parse(REDIRECT_URI).map_err(|_| FixtureError::Invalid("redirect URI"))?],
        scopes: ScopeSet::parse_oauth(scopes).map_err(|_| FixtureError::Invalid("scopes"))?,
        webhook_url,
        server_url: None,
        show_authorization_button: false,
        monetized: false,
        processes_content: false,
        oauth: None,
        oauth_client_secret: None,
        client_origins: Vec::new(),
        publish: true,
        verified: false,
        developer_id: None,
    };
    let creds = registry::create_plugin(db, vault, &plugin).await?;
    let id: i64 = sqlx::query_scalar("SELECT id FROM plugins WHERE client_id = $1").bind(&creds.client_id).fetch_one(db.pool()).await?;
    Ok(FixturePlugin { id: PluginId(id), creds, scopes: plugin.scopes })
}

/// A new tenant named `name` with its owner `owner@{name}.test`.
pub async fn tenant_with_owner(db: &Db, name: &str) -> Result<(TenantId, UserId), FixtureError> {
    let email = Email::parse(&format!("owner@{}.test", name.to_lowercase().replace(' ', "-"))).map_err(FixtureError::Invalid)?;
    let owner = accounts::NewUser {
        email: &email,
        display_name: "Owner",
        password: &Password::parse_new("fixture-password").map_err(FixtureError::Invalid)?,
        role: Role::Owner,
    };
    Ok(accounts::create_tenant_with_owner(db, &TenantName::parse(name).map_err(FixtureError::Invalid)?, &owner).await?)
}

/// Records the owner's consent to `scopes` and issues `n` codes for it, as Allow does.
pub async fn consent_codes(
    db: &Db,
    plugin: &FixturePlugin,
    tenant: TenantId,
    user: UserId,
    scopes: &ScopeSet,
    n: usize,
) -> Result<(InstallationId, Vec<String>), FixtureError> {
    let challenge = pkce::s256(VERIFIER);
    // The owner consents from a session, as on the consent screen.
    let token = session::create(db, user).await?;
    let member = session::resolve(db, &Settings::default(), &token).await?.ok_or(FixtureError::Invalid("the session did not resolve"))?;
    session::delete(db, &token).await?;
    if member.scope().tenant() != tenant {
        return Err(FixtureError::Invalid("the user is not in that tenant"));
    }
    let mut tx = db.begin_write().await?;
    let installation = installations::record_consent(&mut tx, &member.scope(), plugin.id, user, scopes, now()).await?;
    let mut codes = Vec::with_capacity(n);
    for _ in 0..n {
        let request = CodeRequest { plugin: plugin.id, installation, tenant, user, redirect_uri: REDIRECT_URI, scopes, code_challenge: &challenge };
        codes.push(grants::issue_code(&mut tx, &request, now()).await?);
    }
    tx.commit().await?;
    Ok((installation, codes))
}

/// Installs `plugin` in `tenant` with `scopes` and exchanges the code: an active
/// installation and its tokens.
pub async fn install(db: &Db, plugin: &FixturePlugin, tenant: TenantId, user: UserId, scopes: &ScopeSet) -> Result<(InstallationId, IssuedTokens), FixtureError> {
    let (installation, codes) = consent_codes(db, plugin, tenant, user, scopes, 1).await?;
    let client = Client { plugin_id: plugin.id, client_id: plugin.creds.client_id.clone() };
    let code = codes.first().ok_or(FixtureError::Invalid("no code"))?;
    let tokens = installations::exchange_code(db, &client, code, REDIRECT_URI, VERIFIER, now()).await?;
    Ok((installation, tokens))
}
