//! Plugins, tenants and installations made straight through the domain code, for the
//! tests and benchmarks that need many of them quickly. Everything goes through the same
//! functions the consent screen and the token endpoint use; only the browser is skipped.

use app::domain::{Category, Email, InstallationId, Password, PluginId, PluginSlug, Role, ScopeSet, TenantId, TenantName};
use app::server::oauth::grants::{self, Client, GrantError, IssuedTokens};
use app::server::store::grants::CodeRequest;
use app::server::oauth::pkce;
use app::server::oauth::redirect_uri::RedirectUri;
use app::server::registry::{self, Credentials, Listing, NewPlugin, RegistryError};
use app::server::accounts::{self, Authenticated};
use app::server::scope::Member;
use app::server::{installations, now, session, store, Db, Settings};

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

/// A registered, published plugin: its id, credentials, grant and redirect URIs.
pub struct FixturePlugin {
    pub id: PluginId,
    pub creds: Credentials,
    pub scopes: ScopeSet,
    /// The first redirect URI: the one its codes are issued for.
    pub redirect_uri: String,
    /// The second, for tests of a code redeemed at another address.
    pub other_redirect_uri: String,
}

/// The one way tests, benchmarks and fixtures register a plugin: a published plugin
/// `slug` with two redirect URIs under `https://{slug}.example.com`, asking for
/// `read:projects` unless told otherwise.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    slug: String,
    scopes: String,
    webhook_url: Option<String>,
    verified: bool,
    settings_schema: Option<String>,
    events: String,
}

impl PluginSpec {
    pub fn new(slug: &str) -> Self {
        Self { slug: slug.to_owned(), scopes: "read:projects".into(), webhook_url: None, verified: false, settings_schema: None, events: String::new() }
    }

    /// Subscribes to these data events, space-separated (`task.created project.deleted`).
    pub fn events(mut self, events: &str) -> Self {
        self.events = events.to_owned();
        self
    }

    pub fn event_list(&self) -> &str {
        &self.events
    }

    /// Declares these settings (a schema the console would accept).
    pub fn settings(mut self, schema: &str) -> Self {
        self.settings_schema = Some(schema.to_owned());
        self
    }

    /// The scopes it asks for, space-separated.
    pub fn scopes(mut self, scopes: &str) -> Self {
        self.scopes = scopes.to_owned();
        self
    }

    pub fn webhook(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    /// Marked verified by staff (a badge on its card and consent screen).
    pub fn verified(mut self) -> Self {
        self.verified = true;
        self
    }

    pub fn redirect_uri(&self) -> String {
        format!("https://{}.example.com/oauth/callback", self.slug)
    }

    fn other_redirect_uri(&self) -> String {
        format!("https://{}.example.com/other/callback", self.slug)
    }

    pub fn slug(&self) -> &str {
        &self.slug
    }

    pub fn scope_list(&self) -> &str {
        &self.scopes
    }

    pub fn webhook_url(&self) -> Option<&str> {
        self.webhook_url.as_deref()
    }

    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// Registers it through the registry, as the `plugin create` command does.
    pub async fn register(&self, db: &Db, vault: &app::server::vault::Vault) -> Result<FixturePlugin, FixtureError> {
        let (redirect_uri, other_redirect_uri) = (self.redirect_uri(), self.other_redirect_uri());
        let uri = |raw: &str| RedirectUri::parse(raw).map_err(|_| FixtureError::Invalid("redirect URI"));
        let listing = Listing {
            slug: PluginSlug::parse(&self.slug).map_err(|_| FixtureError::Invalid("slug"))?,
            name: format!("Plugin {}", self.slug),
            description: "A test plugin.".into(),
            author: "Test Author".into(),
            category: Category::Productivity,
            redirect_uris: vec![uri(&redirect_uri)?, uri(&other_redirect_uri)?],
            scopes: ScopeSet::parse_oauth(&self.scopes).map_err(|_| FixtureError::Invalid("scopes"))?,
        };
        if let Some(schema) = &self.settings_schema {
            app::server::settings::schema::parse(schema).map_err(|_| FixtureError::Invalid("settings schema"))?;
        }
        let subscriptions = app::domain::Subscriptions::parse(self.events.split_whitespace()).map_err(|_| FixtureError::Invalid("events"))?;
        let plugin = NewPlugin {
            webhook_url: self.webhook_url.clone(),
            settings_schema: self.settings_schema.clone(),
            subscriptions,
            publish: true,
            verified: self.verified,
            ..NewPlugin::api_only(listing)
        };
        let creds = registry::create_plugin(db, vault, &plugin).await?;
        let id = store::plugins::client(db, &creds.client_id).await?.ok_or(FixtureError::Invalid("the plugin was not stored"))?.id;
        Ok(FixturePlugin { id, creds, scopes: plugin.scopes, redirect_uri, other_redirect_uri })
    }
}

/// A new tenant named `name` with its owner `owner@{name}.test`, signed up (so a session
/// may open for them).
pub async fn tenant_with_owner(db: &Db, name: &str) -> Result<(TenantId, Authenticated), FixtureError> {
    let email = Email::parse(&format!("owner@{}.test", name.to_lowercase().replace(' ', "-"))).map_err(FixtureError::Invalid)?;
    let owner = accounts::NewUser {
        email: &email,
        display_name: "Owner",
        password: &Password::parse_new("fixture-password").map_err(FixtureError::Invalid)?,
        role: Role::Owner,
    };
    Ok(accounts::create_tenant_with_owner(db, &TenantName::parse(name).map_err(FixtureError::Invalid)?, &owner).await?)
}

/// The person signed in, as a page request sees them: a session opened, resolved and
/// ended (the member stays as a value, for the steps a test or bench takes as them).
pub async fn member(db: &Db, person: Authenticated) -> Result<Member, FixtureError> {
    let token = session::create(db, person).await?;
    let member = session::resolve(db, &Settings::default(), &token).await?.ok_or(FixtureError::Invalid("the session did not resolve"))?;
    session::delete(db, &token).await?;
    Ok(member)
}

/// Records `owner`'s consent to `scopes` in their tenant and issues `n` codes for it, as
/// Allow does.
pub async fn consent_codes(db: &Db, plugin: &FixturePlugin, owner: &Member, scopes: &ScopeSet, n: usize) -> Result<(InstallationId, Vec<String>), FixtureError> {
    let challenge = pkce::s256(VERIFIER);
    let (tenant, user) = (owner.scope().tenant(), owner.id);
    let mut tx = db.begin_write().await?;
    let installation = installations::record_consent(&mut tx, &owner.scope(), plugin.id, user, scopes, now()).await?;
    let mut codes = Vec::with_capacity(n);
    for _ in 0..n {
        let request = CodeRequest { plugin: plugin.id, installation, tenant, user, redirect_uri: &plugin.redirect_uri, scopes, code_challenge: &challenge };
        codes.push(grants::issue_code(&mut tx, &request, now()).await?);
    }
    tx.commit().await?;
    Ok((installation, codes))
}

/// Installs `plugin` in `tenant` with `scopes` and exchanges the code: an active
/// installation and its tokens.
pub async fn install(db: &Db, plugin: &FixturePlugin, owner: &Member, scopes: &ScopeSet) -> Result<(InstallationId, IssuedTokens), FixtureError> {
    let (installation, codes) = consent_codes(db, plugin, owner, scopes, 1).await?;
    let client = Client { plugin_id: plugin.id, client_id: plugin.creds.client_id.clone() };
    let code = codes.first().ok_or(FixtureError::Invalid("no code"))?;
    let tokens = installations::exchange_code(db, &client, code, &plugin.redirect_uri, VERIFIER, now()).await?;
    Ok((installation, tokens))
}

/// Ships `bytes` as the client-side code of `plugin`'s live version, as if staff had
/// published it (the seed's way, for tests of what runs rather than of review).
pub async fn ship_bundle(db: &Db, plugin: &FixturePlugin, bytes: &[u8]) -> Result<String, FixtureError> {
    let mut tx = db.begin_write().await?;
    let sha256 = app::server::client_plugins::bundles::store(&mut tx, bytes, now()).await?;
    store::seed::ship_bundle(&mut tx, plugin.id, &sha256).await?;
    tx.commit().await?;
    Ok(sha256)
}
