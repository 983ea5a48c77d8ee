//! Plugboard as the OAuth 2.0 client of a plugin's own service (DESIGN.md §6,
//! `oauth_config`): the manifest's settings, and the authorization code flow with PKCE
//! through the `oauth2` crate. Token requests go through the outbound client (public
//! addresses only, no redirects, a timeout); the token URL is checked before each call.

use crate::error::FieldError;
use crate::server::outbound::{self, OutboundPolicy};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

/// Where Plugboard's OAuth client receives a plugin's service's answer: one address per
/// plugin, to register at its service.
pub fn callback_url(public_url: &str, slug: &str) -> String {
    format!("{}/marketplace/callback/{slug}", public_url.trim_end_matches('/'))
}
const MAX_SCOPES: usize = 20;

/// A plugin's `oauth_config` (stored as JSON; the client secret is sealed apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOAuth {
    pub authorization_url: String,
    pub token_url: String,
    pub client_id: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl ServiceOAuth {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(raw: &str) -> Option<Self> {
        serde_json::from_str(raw).ok()
    }

    /// The console's five fields: all empty is no OAuth client; otherwise the URLs and
    /// the client id are required (the secret may be empty: a public client with PKCE).
    pub fn parse_form(
        authorization_url: &str,
        token_url: &str,
        client_id: &str,
        scopes: &str,
        policy: &OutboundPolicy,
    ) -> Result<Option<Self>, Vec<FieldError>> {
        if [authorization_url, token_url, client_id, scopes].iter().all(|f| f.trim().is_empty()) {
            return Ok(None);
        }
        let mut errors = Vec::new();
        // The browser goes to the authorization URL; Plugboard itself calls the token URL.
        let authorization_url = outbound::parse_link(authorization_url)
            .map_err(|e| errors.push(FieldError::new("oauth_authorization_url", e)))
            .ok();
        let token_url = outbound::parse_endpoint_url(token_url, policy)
            .map_err(|e| errors.push(FieldError::new("oauth_token_url", e)))
            .ok();
        let client_id = client_id.trim();
        if client_id.is_empty() || client_id.len() > 200 || client_id.chars().any(char::is_control) {
            errors.push(FieldError::new("oauth_client_id", "Give the client id your service issued to Plugboard (at most 200 characters)."));
        }
        let scopes: Vec<String> = scopes.split_whitespace().map(str::to_owned).collect();
        let bad_scope = scopes.iter().any(|s| s.len() > 100 || s.chars().any(|c| !c.is_ascii_graphic() || c == '"' || c == '\\'));
        if scopes.len() > MAX_SCOPES || bad_scope {
            errors.push(FieldError::new("oauth_scopes", format!("List at most {MAX_SCOPES} scopes, separated by spaces, without quotes.")));
        }
        match (authorization_url, token_url) {
            (Some(authorization_url), Some(token_url)) if errors.is_empty() => {
                Ok(Some(Self { authorization_url, token_url, client_id: client_id.to_owned(), scopes }))
            }
            _ => Err(errors),
        }
    }
}

/// Why the plugin's service did not give tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The code or refresh token is no good (expired, used, revoked): connect again.
    #[error("the service refused the grant")]
    Refused,
    #[error("the service could not be reached or answered badly: {0}")]
    Failed(String),
}

/// Tokens as the service issued them.
#[derive(Debug, Clone)]
pub struct ServiceTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    pub scopes: String,
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn client(config: &ServiceOAuth, secret: Option<&str>, callback: &str) -> Result<Client, TokenError> {
    let bad = |what: &str| TokenError::Failed(format!("the plugin's {what} is not a valid URL"));
    let mut client = BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_auth_uri(AuthUrl::new(config.authorization_url.clone()).map_err(|_| bad("authorization URL"))?)
        .set_token_uri(TokenUrl::new(config.token_url.clone()).map_err(|_| bad("token URL"))?)
        .set_redirect_uri(RedirectUrl::new(callback.to_owned()).map_err(|_| bad("callback"))?);
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        client = client.set_client_secret(ClientSecret::new(secret.to_owned()));
    }
    Ok(client)
}

/// The authorization URL to send the browser to, with `state` and a PKCE S256
/// challenge; the verifier is what the code exchange must present.
pub fn authorization_request(config: &ServiceOAuth, callback: &str, state: &str) -> Result<(String, String), TokenError> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = state.to_owned();
    let (url, _) = client(config, None, callback)?
        .authorize_url(move || CsrfToken::new(state))
        .add_scopes(config.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .url();
    Ok((url.to_string(), verifier.secret().clone()))
}

fn received(token: oauth2::basic::BasicTokenResponse, now: i64, previous_refresh: Option<&str>) -> ServiceTokens {
    ServiceTokens {
        access_token: token.access_token().secret().clone(),
        // A service that does not rotate refresh tokens keeps the old one valid.
        refresh_token: token.refresh_token().map(|r| r.secret().clone()).or_else(|| previous_refresh.map(str::to_owned)),
        expires_at: token.expires_in().map(|d| now + i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2)),
        scopes: token.scopes().map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")).unwrap_or_default(),
    }
}

/// How much of a token answer is read; more is a bad answer.
const MAX_TOKEN_ANSWER_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error("the token URL cannot be reached")]
    Unreachable(#[from] reqwest::Error),
    #[error("the token answer is too large")]
    TooLarge,
}

/// Sends a token request through the outbound client, reading at most
/// `MAX_TOKEN_ANSWER_BYTES` of the answer (the crate's own adapter reads it all).
async fn send(http: reqwest::Client, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, SendError> {
    let (parts, body) = request.into_parts();
    let mut response = http.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body).send().await?;
    let mut answer = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_TOKEN_ANSWER_BYTES {
            return Err(SendError::TooLarge);
        }
    }
    answer.body(bytes).map_err(|_| SendError::TooLarge)
}

fn token_error(err: RequestTokenError<SendError, oauth2::StandardErrorResponse<BasicErrorResponseType>>) -> TokenError {
    match err {
        RequestTokenError::ServerResponse(answer) if matches!(answer.error(), BasicErrorResponseType::InvalidGrant) => TokenError::Refused,
        RequestTokenError::ServerResponse(answer) => TokenError::Failed(format!("the service answered {}", answer.error())),
        RequestTokenError::Request(e) => TokenError::Failed(format!("the service's {e}")),
        RequestTokenError::Parse(..) | RequestTokenError::Other(_) => TokenError::Failed("the service's token answer cannot be read".into()),
    }
}

/// Checks the token URL against the outbound policy before each call (an IP literal is
/// not seen by the guarded resolver).
fn check_token_url(config: &ServiceOAuth, policy: &OutboundPolicy) -> Result<(), TokenError> {
    policy.check_url(&config.token_url).map(|_| ()).map_err(|e| TokenError::Failed(format!("the token URL is not allowed: {e}")))
}

/// Exchanges an authorization code, presenting the PKCE verifier.
pub async fn exchange_code(
    http: &reqwest::Client,
    policy: &OutboundPolicy,
    config: &ServiceOAuth,
    secret: Option<&str>,
    callback: &str,
    code: &str,
    verifier: &str,
    now: i64,
) -> Result<ServiceTokens, TokenError> {
    check_token_url(config, policy)?;
    let token = client(config, secret, callback)?
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
        .request_async(&|request| send(http.clone(), request))
        .await
        .map_err(token_error)?;
    Ok(received(token, now, None))
}

/// Trades a refresh token for fresh tokens.
pub async fn refresh(
    http: &reqwest::Client,
    policy: &OutboundPolicy,
    config: &ServiceOAuth,
    secret: Option<&str>,
    callback: &str,
    refresh_token: &str,
    now: i64,
) -> Result<ServiceTokens, TokenError> {
    check_token_url(config, policy)?;
    let token = client(config, secret, callback)?
        .exchange_refresh_token(&RefreshToken::new(refresh_token.to_owned()))
        .request_async(&|request| send(http.clone(), request))
        .await
        .map_err(token_error)?;
    Ok(received(token, now, Some(refresh_token)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::outbound::parse_allowlist;

    fn policy() -> OutboundPolicy {
        OutboundPolicy { allowlist: parse_allowlist("127.0.0.1").unwrap() }
    }

    #[test]
    fn the_form_is_all_or_nothing_and_names_each_field() {
        assert_eq!(ServiceOAuth::parse_form("", " ", "", "", &policy()), Ok(None));
        let fields = |r: Result<Option<ServiceOAuth>, Vec<FieldError>>| r.unwrap_err().into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(
            fields(ServiceOAuth::parse_form("ftp://x", "https://10.0.0.1/token", "", "a\"b", &OutboundPolicy::default())),
            ["oauth_authorization_url", "oauth_token_url", "oauth_client_id", "oauth_scopes"]
        );
        let ok = ServiceOAuth::parse_form("https://svc.example.com/authorize", "http://127.0.0.1:9/token", "plugboard", "read  write", &policy())
            .unwrap()
            .unwrap();
        assert_eq!(ok.scopes, ["read", "write"]);
        assert_eq!(ServiceOAuth::from_json(&ok.to_json()), Some(ok));
    }

    #[test]
    fn the_authorization_request_carries_state_pkce_and_the_callback() {
        let config = ServiceOAuth {
            authorization_url: "https://svc.example.com/authorize?tenant=x".into(),
            token_url: "https://svc.example.com/token".into(),
            client_id: "plugboard".into(),
            scopes: vec!["read".into(), "write".into()],
        };
        let callback = callback_url("https://plugboard.example.com/", "time-keeper");
        let (url, verifier) = authorization_request(&config, &callback, "st4te").unwrap();
        let url = url::Url::parse(&url).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["tenant"], "x");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "plugboard");
        assert_eq!(q["state"], "st4te");
        assert_eq!(q["scope"], "read write");
        assert_eq!(q["redirect_uri"], "https://plugboard.example.com/marketplace/callback/time-keeper");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], crate::server::oauth::pkce::s256(&verifier));
    }
}
