//! The one way tests register a plugin, `PluginSpec` (shared with the benchmarks and
//! fixtures), through either door a real plugin comes in by: the registry
//! (`TestApp::register`, as the `plugin create` command does) or the developer console
//! with staff's review (`published_and_installed`). Then the steps of an install, driven
//! the way a browser and a plugin server would: consent screen, Allow, code, token
//! endpoint.

use super::harness::TestApp;
use super::reference_plugin::Reference;
use app::server::oauth::pkce;
use app::server::registry::Credentials;
pub use server::fixtures::PluginSpec;
use std::collections::HashMap;

pub use server::fixtures::VERIFIER;

pub struct TestPlugin {
    pub creds: Credentials,
    pub redirect_uri: String,
    pub other_redirect_uri: String,
}

impl TestApp {
    /// Registers a published, verified plugin as `spec` says.
    pub async fn register(&self, spec: PluginSpec) -> TestPlugin {
        let plugin = spec.verified().register(&self.db, &self.state().vault).await.expect("register plugin");
        TestPlugin { creds: plugin.creds, redirect_uri: plugin.redirect_uri, other_redirect_uri: plugin.other_redirect_uri }
    }
}

/// A plugin registered by a developer through the console with the spec's slug, scopes
/// and webhook URL and `fields` besides (server URL, flags, OAuth client), submitted and
/// published by staff. The reference server learns its secret and client id.
/// (Staff mark plugins verified, not the console: a verified spec is refused.)
pub async fn published(app: &TestApp, reference: &Reference, spec: PluginSpec, fields: &[(&str, &str)]) -> TestPlugin {
    let slug = spec.slug().to_owned();
    let (plugin, secrets) = drafted(app, spec, fields).await;
    reference.configure(secrets.webhook_secret.as_deref().unwrap(), &secrets.client_id);
    let developer = app.sign_in("developer@partners.test").await;
    release(app, &developer, &slug, "First release.").await;
    plugin
}

/// A plugin the demo developer registered through the console as [`published`] does,
/// left a draft; with the secrets the console showed.
pub async fn drafted(app: &TestApp, spec: PluginSpec, fields: &[(&str, &str)]) -> (TestPlugin, app::domain::ShownSecrets) {
    assert!(!spec.is_verified(), "the console cannot register a plugin verified");
    let (slug, scope) = (spec.slug(), spec.scope_list());
    let developer = app.sign_in("developer@partners.test").await;
    let redirect_uri = spec.redirect_uri();
    let scope_fields: Vec<(String, String)> =
        scope.split(' ').enumerate().map(|(i, s)| (format!("form[scopes][{i}]"), s.to_owned())).collect();
    let mut form: Vec<(&str, &str)> = vec![
        ("form[slug]", slug),
        ("form[name]", slug),
        ("form[description]", "A plugin with a server."),
        ("form[author]", "Robot Works"),
        ("form[category]", "automation"),
        ("form[redirect_uris]", &redirect_uri),
    ];
    form.extend(scope_fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let event_fields: Vec<(String, String)> =
        spec.event_list().split_whitespace().enumerate().map(|(i, e)| (format!("form[events][{i}]"), e.to_owned())).collect();
    form.extend(event_fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Some(url) = spec.webhook_url() {
        form.push(("form[webhook_url]", url));
    }
    form.extend_from_slice(fields);
    let res = app.rpc(&developer, "create_plugin", &form).await;
    assert_eq!(res.status(), 200, "create {slug}");
    let secrets: app::domain::ShownSecrets = res.json().await.unwrap();
    (TestPlugin::from_console(&secrets, &redirect_uri), secrets)
}

/// The developer submits the plugin's next version with `notes`, and staff publish it.
pub async fn release(app: &TestApp, developer: &reqwest::Client, slug: &str, notes: &str) {
    assert_eq!(app.rpc(developer, "submit_plugin", &[("slug", slug), ("release_notes", notes)]).await.status(), 200, "submit {slug}");
    let staff = app.sign_in("staff@plugboard.test").await;
    assert_eq!(app.rpc(&staff, "decide", &[("slug", slug), ("decision", "published"), ("reason", "")]).await.status(), 200, "publish {slug}");
}

/// [`published`], then installed by Acme's admin with the spec's scopes; the reference
/// server learns the access token it got; the answer is the token response.
pub async fn published_and_installed(app: &TestApp, reference: &Reference, spec: PluginSpec, fields: &[(&str, &str)]) -> serde_json::Value {
    let scope = spec.scope_list().to_owned();
    let plugin = published(app, reference, spec, fields).await;
    let admin = app.sign_in("admin@acme.test").await;
    let tokens = plugin.install_and_exchange(app, &admin, &scope).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    *reference.memory.plugboard.lock().unwrap() = Some((app.base.clone(), access));
    tokens
}

/// The developer's console view of their plugin `slug`.
pub async fn console(app: &TestApp, developer: &reqwest::Client, slug: &str) -> app::domain::ConsolePlugin {
    let res = app.rpc(developer, "developer_plugin", &[("slug", slug)]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Saves `form` (the console's form, changed) as the plugin's settings; the draft version
/// the change went into, if the plugin has a live one.
pub async fn save(app: &TestApp, developer: &reqwest::Client, form: &app::domain::PluginForm) -> Option<i64> {
    let res = save_response(app, developer, form).await;
    assert_eq!(res.status(), 200, "save {}", form.slug);
    res.json().await.unwrap()
}

pub async fn save_response(app: &TestApp, developer: &reqwest::Client, form: &app::domain::PluginForm) -> reqwest::Response {
    let mut pairs: Vec<(String, String)> = vec![("slug".into(), form.slug.clone())];
    let serde_json::Value::Object(fields) = serde_json::to_value(form).unwrap() else { unreachable!("a form is an object") };
    for (name, value) in fields {
        match value {
            serde_json::Value::String(text) => pairs.push((format!("form[{name}]"), text)),
            serde_json::Value::Bool(true) => pairs.push((format!("form[{name}]"), "true".into())),
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    pairs.push((format!("form[{name}][{i}]"), item.as_str().unwrap().to_owned()));
                }
            }
            _ => {}
        }
    }
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.rpc(developer, "update_plugin", &borrowed).await
}

/// Uploads `bytes` as `slug`'s bundle; the console page it sends the developer back to.
pub async fn upload_bundle(app: &TestApp, developer: &reqwest::Client, slug: &str, bytes: Vec<u8>) -> String {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("bundle.js").mime_str("text/javascript").unwrap();
    let res = developer
        .post(app.url(&format!("/developer/plugins/{slug}/bundle")))
        .header("origin", app.base.clone())
        .multipart(reqwest::multipart::Form::new().part("bundle", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Lower-case hex SHA-256: a bundle's address.
pub fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl TestPlugin {
    /// The plugin a developer registered through the console, from the secrets it showed.
    pub fn from_console(secrets: &app::domain::ShownSecrets, redirect_uri: &str) -> Self {
        TestPlugin {
            creds: Credentials {
                slug: secrets.slug.clone(),
                client_id: secrets.client_id.clone(),
                client_secret: secrets.client_secret.clone().expect("a new plugin's client secret"),
                webhook_secret: secrets.webhook_secret.clone(),
            },
            redirect_uri: redirect_uri.to_owned(),
            other_redirect_uri: redirect_uri.to_owned(),
        }
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
        crate::support::http()
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
        let res = crate::support::http()
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
