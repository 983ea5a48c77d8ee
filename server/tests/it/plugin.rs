//! A registered test plugin and the steps of an install, driven the way a browser and
//! a plugin server would: consent screen, Allow, code, token endpoint.

use crate::common::TestApp;
use app::domain::{Category, PluginSlug, ScopeSet};
use app::server::oauth::pkce;
use app::server::oauth::redirect_uri::RedirectUri;
use app::server::registry::{self, Credentials, NewPlugin};
use std::collections::HashMap;

pub const VERIFIER: &str = "a-perfectly-fine-pkce-code-verifier-of-fifty-characters";

pub struct TestPlugin {
    pub creds: Credentials,
    pub redirect_uri: String,
    pub other_redirect_uri: String,
}

impl TestPlugin {
    /// Registers a published plugin asking for `scopes`, with two redirect URIs and an
    /// optional webhook URL.
    pub async fn register(app: &TestApp, slug: &str, scopes: &str, webhook_url: Option<String>) -> Self {
        let redirect_uri = format!("https://{slug}.example.com/oauth/callback");
        let other_redirect_uri = format!("https://{slug}.example.com/other/callback");
        let plugin = NewPlugin {
            slug: PluginSlug::parse(slug).unwrap(),
            name: format!("Plugin {slug}"),
            description: "A test plugin.".into(),
            author: "Test Author".into(),
            author_url: None,
            icon_url: None,
            category: Category::Productivity,
            redirect_uris: vec![RedirectUri::parse(&redirect_uri).unwrap(), RedirectUri::parse(&other_redirect_uri).unwrap()],
            scopes: ScopeSet::parse_oauth(scopes).unwrap(),
            webhook_url,
            server_url: None,
            show_authorization_button: false,
            monetized: false,
            processes_content: false,
            oauth: None,
            oauth_client_secret: None,
            client_origins: Vec::new(),
            publish: true,
            verified: true,
            developer_id: None,
        };
        let creds = registry::create_plugin(&app.db, &app.state().vault, &plugin).await.expect("register plugin");
        Self { creds, redirect_uri, other_redirect_uri }
    }

    /// The authorization request a well-behaved plugin makes.
    pub fn authorize_params(&self, scope: &str, state: &str) -> Vec<(String, String)> {
        vec![
            ("response_type".into(), "code".into()),
            ("client_id".into(), self.creds.client_id.clone()),
            ("redirect_uri".into(), self.redirect_uri.clone()),
            ("scope".into(), scope.into()),
            ("state".into(), state.into()),
            ("code_challenge".into(), pkce::s256(VERIFIER)),
            ("code_challenge_method".into(), "S256".into()),
        ]
    }

    /// Consent then Allow as `browser`; returns the code.
    pub async fn install(&self, app: &TestApp, browser: &reqwest::Client, scope: &str) -> String {
        let location = approve(app, browser, &self.authorize_params(scope, "s")).await;
        let params = query_of(&location);
        params.get("code").cloned().unwrap_or_else(|| panic!("no code in {location}"))
    }

    /// The token endpoint with this plugin's credentials (HTTP Basic) and a form body.
    pub async fn token(&self, app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
        crate::common::http()
            .post(app.url("/oauth/token"))
            .basic_auth(&self.creds.client_id, Some(&self.creds.client_secret))
            .form(form)
            .send()
            .await
            .expect("token request")
    }

    pub async fn exchange(&self, app: &TestApp, code: &str) -> reqwest::Response {
        self.token(app, &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &self.redirect_uri), ("code_verifier", VERIFIER)])
            .await
    }

    /// Installs and exchanges; returns the token response.
    pub async fn install_and_exchange(&self, app: &TestApp, browser: &reqwest::Client, scope: &str) -> serde_json::Value {
        let code = self.install(app, browser, scope).await;
        let res = self.exchange(app, &code).await;
        assert_eq!(res.status(), 200, "exchange");
        res.json().await.unwrap()
    }

    pub async fn refresh(&self, app: &TestApp, refresh_token: &str) -> reqwest::Response {
        self.token(app, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
    }

    /// RFC 7662 as this plugin.
    pub async fn introspect(&self, app: &TestApp, token: &str) -> serde_json::Value {
        let res = crate::common::http()
            .post(app.url("/oauth/introspect"))
            .basic_auth(&self.creds.client_id, Some(&self.creds.client_secret))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// Checks an Install hand-over as the plugin must: its signature, and `iss` equal to
    /// the Plugboard it was configured with (`issuer`).
    pub fn verify_handover(&self, token: &str, issuer: &str) -> app::server::plugin_servers::jwt::HandoverClaims {
        let secret = self.creds.webhook_secret.as_deref().expect("signing secret");
        app::server::plugin_servers::jwt::HandoverClaims::verify(secret, token, &self.creds.client_id, issuer, app::server::now())
            .expect("a genuine hand-over")
    }

    pub async fn is_active(&self, app: &TestApp, token: &str) -> bool {
        self.introspect(app, token).await["active"] == true
    }
}

/// GET /oauth/authorize as `browser` with `params`.
pub async fn authorize(app: &TestApp, browser: &reqwest::Client, params: &[(String, String)]) -> reqwest::Response {
    browser.get(app.url("/oauth/authorize")).query(params).send().await.expect("authorize")
}

/// The consent form's one-time token, read from the page.
pub fn consent_token(html: &str) -> String {
    let marker = "name=\"consent\" value=\"";
    let start = html.find(marker).unwrap_or_else(|| panic!("no consent form in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Shows the consent screen and answers it; returns the redirect's Location.
pub async fn answer(app: &TestApp, browser: &reqwest::Client, params: &[(String, String)], decision: &str) -> String {
    let res = authorize(app, browser, params).await;
    assert_eq!(res.status(), 200, "consent page");
    let consent = consent_token(&res.text().await.unwrap());
    let res = browser
        .post(app.url("/oauth/authorize"))
        .header("origin", app.base.clone())
        .form(&[("consent", consent.as_str()), ("decision", decision)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "answer redirects");
    res.headers()["location"].to_str().unwrap().to_owned()
}

pub async fn approve(app: &TestApp, browser: &reqwest::Client, params: &[(String, String)]) -> String {
    answer(app, browser, params, "allow").await
}

/// The decoded query parameters of a URL.
pub fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url).expect("absolute URL").query_pairs().into_owned().collect()
}
