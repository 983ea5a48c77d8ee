//! The front channel: `GET /oauth/authorize` checks the request and shows the consent
//! screen; `POST /oauth/authorize` takes the admin's answer and sends the browser back
//! to the plugin with a code (or `error=access_denied`).
//!
//! Until the client and its redirect URI are known to be genuine, every problem is an
//! error page and never a redirect (RFC 6749 §4.1.2.1); after that, problems go back
//! to the plugin as `error=` with its `state`.

use super::grants;
use crate::server::store::grants::CodeRequest;
use super::pages;
use super::pkce;
use super::redirect_uri::{self, RedirectUri};
use crate::domain::{PluginId, ScopeSet};
use crate::server::scope::Member;
use crate::server::installations;
use crate::server::plugin_servers::jwt::{self, HandoverClaims, HANDOVER_LIFETIME_SECS};
use crate::server::secrets::{random_token, sha256_hex};
use crate::server::{now, session, AppState};
use axum::extract::{Form, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use crate::server::store::consents::{self, Consent, NewConsent};
use crate::server::store::{self as stores, plugins as store_plugins};
use std::collections::HashMap;

/// A consent screen stays valid this long.
const CONSENT_TTL_SECS: i64 = 10 * 60;
/// An allowed consent waits this long for the admin's settings.
const SETTINGS_TTL_SECS: i64 = 30 * 60;

pub use crate::server::store::plugins::PluginClient;

pub async fn find_client(state: &AppState, client_id: &str) -> Result<Option<PluginClient>, stores::Error> {
    store_plugins::client(&state.db, client_id).await
}

/// Sends the browser back to the plugin with `params`, `state` and `iss` (RFC 9207).
fn back_to_client(state: &AppState, uri: &RedirectUri, params: &[(&str, &str)], client_state: Option<&str>) -> Response {
    Redirect::to(&client_url(state, uri, params, client_state)).into_response()
}

/// The plugin's redirect URI with `params`, `state` and `iss`.
fn client_url(state: &AppState, uri: &RedirectUri, params: &[(&str, &str)], client_state: Option<&str>) -> String {
    let mut all: Vec<(&str, &str)> = params.to_vec();
    if let Some(s) = client_state {
        all.push(("state", s));
    }
    let issuer = state.settings.public_url.trim_end_matches('/').to_owned();
    all.push(("iss", &issuer));
    uri.with_params(&all)
}

fn error_to_client(state: &AppState, uri: &RedirectUri, error: &str, description: &str, client_state: Option<&str>) -> Response {
    back_to_client(state, uri, &[("error", error), ("error_description", description)], client_state)
}

/// To the sign-in page, and back to `next` afterwards.
fn server_error(err: stores::Error) -> Response {
    tracing::error!(error = %err, "authorization endpoint failed on the database");
    pages::error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Plugboard could not complete this step. Please try again.")
}

#[tracing::instrument(skip_all)]
pub async fn show_consent(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let raw_query = query.unwrap_or_default();
    let mut params: HashMap<String, String> = HashMap::new();
    let mut repeated = Vec::new();
    for (k, v) in form_urlencoded::parse(raw_query.as_bytes()) {
        if params.insert(k.to_string(), v.into_owned()).is_some() {
            repeated.push(k.into_owned());
        }
    }
    let get = |name: &str| params.get(name).map(String::as_str).filter(|v| !v.is_empty());

    // 1. The client and its redirect URI, or an error page.
    if repeated.iter().any(|k| k == "client_id" || k == "redirect_uri") {
        return pages::error_page(StatusCode::BAD_REQUEST, "Invalid installation link", "The link names its plugin or its return address more than once.");
    }
    let Some(client_id) = get("client_id") else {
        return pages::error_page(StatusCode::BAD_REQUEST, "Invalid installation link", "The link does not say which plugin to install (client_id is missing).");
    };
    let plugin = match find_client(&state, client_id).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return pages::error_page(StatusCode::BAD_REQUEST, "Unknown plugin", "No plugin is registered with this client id. The link may be mistyped or out of date.")
        }
        Err(e) => return server_error(e),
    };
    let Some(uri) = get("redirect_uri").and_then(|r| redirect_uri::find_registered(&plugin.redirect_uris, r)).cloned() else {
        return pages::error_page(
            StatusCode::BAD_REQUEST,
            "Invalid return address",
            &format!("{} did not register the address this link would send you back to, so Plugboard will not send you there.", plugin.name),
        );
    };
    let client_state = get("state");

    // A suspended plugin gets no consent from anybody, its developer included.
    if plugin.suspended {
        return pages::error_page(
            StatusCode::BAD_REQUEST,
            "This plugin is suspended",
            &format!("Plugboard suspended {}, so it cannot be installed or reactivated for now.", plugin.name),
        );
    }

    // An unpublished plugin's redirect URI is only its developer's word: nobody reviewed
    // it, so Plugboard sends nobody there but the developer, and the organisations the
    // developer invited to test it, until it is published; a private one only the invited
    // organisations and those that installed it before it turned private. Anyone else
    // (staff included) sees an error page, signed in or not.
    let viewer = if plugin.is_published && !plugin.is_private {
        None
    } else {
        let user = match session::user_of_request(&state, &headers).await {
            Ok(Some(u)) => u,
            Ok(None) => return session::sign_in_first(&format!("/oauth/authorize?{raw_query}")),
            Err(e) => return server_error(e),
        };
        let admitted = match crate::server::store::invites::is_admitted(&state.db, plugin.id, user.scope().tenant()).await {
            Ok(admitted) => admitted,
            Err(e) => return server_error(e),
        };
        if plugin.developer_id != Some(user.id) && !admitted {
            return pages::error_page(
                StatusCode::BAD_REQUEST,
                "This plugin is not available",
                &format!("{} is not published in the marketplace, so it cannot be installed.", plugin.name),
            );
        }
        Some(user)
    };

    // 2. Everything else goes back to the plugin as an OAuth error.
    if let Some(name) = repeated.first() {
        return error_to_client(&state, &uri, "invalid_request", &format!("{name} was given more than once"), client_state);
    }
    match get("response_type") {
        Some("code") => {}
        Some(_) => return error_to_client(&state, &uri, "unsupported_response_type", "only response_type=code is supported", client_state),
        None => return error_to_client(&state, &uri, "invalid_request", "response_type is required", client_state),
    }
    if get("code_challenge_method") != Some("S256") {
        return error_to_client(&state, &uri, "invalid_request", "PKCE with code_challenge_method=S256 is required", client_state);
    }
    let Some(challenge) = get("code_challenge").filter(|c| pkce::is_valid_challenge(c)) else {
        return error_to_client(&state, &uri, "invalid_request", "code_challenge must be the 43-character S256 challenge", client_state);
    };
    let scopes = match get("scope") {
        None => plugin.permissions.clone(),
        Some(raw) => match ScopeSet::parse_oauth(raw) {
            Ok(s) if s.is_subset_of(&plugin.permissions) => s,
            Ok(_) => return error_to_client(&state, &uri, "invalid_scope", "the plugin asked for a scope it did not register", client_state),
            Err(e) => return error_to_client(&state, &uri, "invalid_scope", &e, client_state),
        },
    };

    // 3. The person: signed in, allowed to install.
    let user = match viewer {
        Some(user) => user,
        None => match session::user_of_request(&state, &headers).await {
            Ok(Some(u)) => u,
            Ok(None) => return session::sign_in_first(&format!("/oauth/authorize?{raw_query}")),
            Err(e) => return server_error(e),
        },
    };
    if !user.role.can_manage_plugins() {
        return pages::not_allowed_page(&plugin, &user);
    }

    // 4. The consent screen, whose form carries only a one-time id bound to this user.
    let consent = random_token("pbcr_");
    let request = NewConsent {
        id_hash: &sha256_hex(&consent),
        user_id: user.id,
        tenant_id: user.scope().tenant(),
        plugin_id: plugin.id,
        redirect_uri: uri.as_str(),
        scopes: &scopes,
        state: client_state.as_deref(),
        code_challenge: &challenge,
        expires_at: now() + CONSENT_TTL_SECS,
    };
    if let Err(e) = consents::insert(&state.db, &request).await {
        return server_error(e);
    }
    // An installation the tenant has already: the screen shows only what changes.
    let installed = match stores::installations::of_plugin(&state.db, &user.scope(), plugin.id).await {
        Ok(found) => found,
        Err(e) => return server_error(e),
    };
    let granted = installed.as_ref().map(|(_, scopes, facts)| pages::Granted { scopes, reactivating: facts.installation_suspended_at.is_some() });
    pages::consent_page(&plugin, &user, &scopes, granted, &uri, &consent)
}

#[derive(Deserialize)]
pub struct ConsentAnswer {
    #[serde(default)]
    consent: String,
    #[serde(default)]
    decision: String,
}

#[tracing::instrument(skip_all)]
pub async fn answer_consent(State(state): State<AppState>, headers: HeaderMap, Form(answer): Form<ConsentAnswer>) -> Response {
    let user = match session::user_of_request(&state, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            return pages::error_page(StatusCode::UNAUTHORIZED, "Please sign in again", "Your session ended before you answered. Start the installation again from the marketplace.")
        }
        Err(e) => return server_error(e),
    };
    if answer.consent.is_empty() {
        return pages::error_page(StatusCode::FORBIDDEN, "This form cannot be accepted", "The consent form arrived without its security token, so Plugboard ignored it. Start the installation again.");
    }
    // One use only: taking the request deletes it.
    let t = now();
    let taken = consents::take(&state.db, &sha256_hex(&answer.consent), user.id).await;
    let consent = match taken {
        Ok(Some(row)) => row,
        Ok(None) => {
            return pages::error_page(StatusCode::FORBIDDEN, "This form cannot be accepted", "The consent form was already answered, expired, or was not issued to you. Start the installation again.")
        }
        Err(e) => return server_error(e),
    };
    if consent.expires_at <= t || consent.tenant_id != user.tenant_id {
        return pages::error_page(StatusCode::FORBIDDEN, "This form expired", "The consent form is more than ten minutes old. Start the installation again.");
    }
    if !user.role.can_manage_plugins() {
        return pages::error_page(StatusCode::FORBIDDEN, "Only owners and admins can install plugins", "Ask an owner or admin of your organisation to install it.");
    }
    let Ok(uri) = RedirectUri::parse(&consent.redirect_uri) else {
        return pages::error_page(StatusCode::BAD_REQUEST, "Invalid return address", "The plugin's return address is no longer valid.");
    };
    match answer.decision.as_str() {
        "deny" => error_to_client(&state, &uri, "access_denied", "the administrator denied the request", consent.state.as_deref()),
        "allow" => match issue(&state, &user, &consent, &uri, Step::Consented, t).await {
            Ok(Issued::Code(code)) => back_to_client(&state, &uri, &[("code", &code)], consent.state.as_deref()),
            Ok(Issued::Settings { ticket, slug }) => {
                let target = format!("/installed/{}/settings?setup={ticket}", slug.as_str());
                (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response()
            }
            Ok(Issued::Suspended) => suspended_meanwhile(),
            Ok(Issued::Withdrawn) => withdrawn_meanwhile(),
            Err(e) => server_error(e),
        },
        _ => pages::error_page(StatusCode::BAD_REQUEST, "Unknown answer", "Choose Allow or Deny."),
    }
}

fn withdrawn_meanwhile() -> Response {
    pages::error_page(StatusCode::BAD_REQUEST, "This plugin is not available", "Its developer withdrew the invite to test it while you were deciding, so it cannot be installed.")
}

fn suspended_meanwhile() -> Response {
    pages::error_page(StatusCode::BAD_REQUEST, "This plugin is suspended", "Plugboard suspended this plugin while you were deciding, so it cannot be installed or reactivated for now.")
}

/// Where an allowed consent is on its way to a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Just allowed: a plugin whose required settings are missing gets them first.
    Consented,
    /// The admin saved the settings, or chose to set them up later.
    SettingsDone,
}

/// What an allowed consent leads to.
enum Issued {
    /// The code, for the plugin.
    Code(String),
    /// The Settings form first; the consent waits under `ticket`.
    Settings { ticket: String, slug: crate::domain::PluginSlug },
    /// Staff suspended the plugin meanwhile: nothing.
    Suspended,
    /// The developer withdrew the invite that let the tenant test the unpublished
    /// plugin meanwhile: nothing.
    Withdrawn,
}

/// Why a consent that waited for settings cannot go on to the plugin.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error("the installation waited too long or was finished already")]
    Expired,
    #[error("the plugin was suspended")]
    Suspended,
    #[error("the invite to test the plugin was withdrawn")]
    Withdrawn,
    #[error(transparent)]
    Db(#[from] stores::Error),
}

impl From<ResumeError> for crate::error::AppError {
    fn from(err: ResumeError) -> Self {
        use crate::error::AppError;
        match err {
            ResumeError::Expired => AppError::Conflict(
                "This installation cannot continue: it was finished already, or waited more than 30 minutes. Your settings are saved; install the plugin again from the marketplace.".into(),
            ),
            ResumeError::Suspended => AppError::Conflict("Plugboard suspended this plugin, so it cannot be installed for now.".into()),
            ResumeError::Withdrawn => AppError::Conflict("Its developer withdrew the invite to test this plugin, so it cannot be installed.".into()),
            ResumeError::Db(e) => crate::server::internal("continuing an installation failed")(e),
        }
    }
}

/// Whether `ticket` is a consent of `user` to the plugin `slug` waiting for their settings.
pub async fn is_waiting(state: &AppState, user: &Member, ticket: &str, slug: &crate::domain::PluginSlug) -> Result<bool, stores::Error> {
    consents::is_awaiting(&state.db, &sha256_hex(ticket), user.id, slug, now()).await
}

/// The admin saved the settings a consent waited for (or will set them up later): the
/// code is issued now, and the answer is where the browser goes (the plugin's redirect
/// URI with the code and `state`).
pub async fn resume_after_settings(state: &AppState, user: &Member, ticket: &str, slug: &crate::domain::PluginSlug) -> Result<String, ResumeError> {
    let t = now();
    let consent = consents::take_awaiting(&state.db, &sha256_hex(ticket), user.id, slug).await?.ok_or(ResumeError::Expired)?;
    if consent.expires_at <= t || consent.tenant_id != user.tenant_id || !user.role.can_manage_plugins() {
        return Err(ResumeError::Expired);
    }
    let uri = RedirectUri::parse(&consent.redirect_uri).map_err(|_| ResumeError::Expired)?;
    match issue(state, user, &consent, &uri, Step::SettingsDone, t).await? {
        Issued::Code(code) => Ok(client_url(state, &uri, &[("code", &code)], consent.state.as_deref())),
        Issued::Suspended => Err(ResumeError::Suspended),
        Issued::Withdrawn => Err(ResumeError::Withdrawn),
        Issued::Settings { .. } => Err(ResumeError::Expired),
    }
}

/// Records the consent (installation `pending`) and issues the code, atomically, or,
/// just after consent to a plugin whose required settings are missing, parks the consent
/// for the Settings form. A version that went live meanwhile and asks for less narrows
/// what the consent grants.
async fn issue(state: &AppState, user: &Member, consent: &Consent, uri: &RedirectUri, step: Step, t: i64) -> Result<Issued, stores::Error> {
    let plugin: PluginId = consent.plugin_id;
    let mut tx = state.db.begin_write().await?;
    let gate = store_plugins::consent_gate(&mut tx, plugin, &user.scope(), user.id).await?;
    if gate.suspended {
        return Ok(Issued::Suspended);
    }
    if !gate.open {
        return Ok(Issued::Withdrawn);
    }
    let scopes: &ScopeSet = &consent.scopes.0.intersect(&gate.live);
    let installation = installations::record_consent(&mut tx, &user.scope(), plugin, user.id, scopes, t).await?;
    if step == Step::Consented {
        if let Some(slug) = crate::server::settings::setup_needed(&mut tx, &user.scope(), installation).await? {
            let ticket = random_token("pbst_");
            let waiting = Consent { scopes: stores::StoredScopes(scopes.clone()), ..consent.clone() };
            consents::await_settings(&mut tx, &sha256_hex(&ticket), user.id, &waiting, t + SETTINGS_TTL_SECS).await?;
            tx.commit().await?;
            return Ok(Issued::Settings { ticket, slug });
        }
    }
    let request = CodeRequest {
        plugin,
        installation,
        tenant: user.tenant_id,
        user: user.id,
        redirect_uri: uri.as_str(),
        scopes,
        code_challenge: &consent.code_challenge,
    };
    let code = grants::issue_code(&mut tx, &request, t).await?;
    tx.commit().await?;
    Ok(Issued::Code(code))
}

/// `GET /marketplace/{slug}/install`: the Install button. Plugboard cannot start the
/// authorization itself (the plugin must hold the PKCE verifier and the state), so it
/// sends the admin to the plugin's first redirect URI with one signed `install_token`
/// (a JWT under the plugin's signing secret: issuer, plugin, tenant, admin, five
/// minutes); the plugin checks it, compares its `iss` with the Plugboard it was
/// configured with, and redirects to that Plugboard's `/oauth/authorize`. Plain query
/// parameters could be forged by anyone to send a plugin to a fake Plugboard.
#[tracing::instrument(skip_all)]
pub async fn launch_install(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(slug): axum::extract::Path<String>,
) -> Response {
    let user = match session::user_of_request(&state, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return session::sign_in_first(&format!("/marketplace/{slug}/install")),
        Err(e) => return server_error(e),
    };
    let (client_id, visible) = match store_plugins::install_gate(&state.db, &slug).await {
        Ok(Some(gate)) => {
            let visible = if gate.suspended_at.is_some() {
                false
            } else if (gate.is_published.0 && !gate.is_private.0) || gate.developer_id == Some(user.id) {
                true
            } else {
                match crate::server::store::invites::is_admitted(&state.db, gate.id, user.scope().tenant()).await {
                    Ok(admitted) => admitted,
                    Err(e) => return server_error(e),
                }
            };
            (gate.client_id, visible)
        }
        Ok(None) => (String::new(), false),
        Err(e) => return server_error(e),
    };
    if !visible {
        return pages::error_page(StatusCode::NOT_FOUND, "Plugin not found", "There is no plugin at this address.");
    }
    let plugin = match find_client(&state, &client_id).await {
        Ok(Some(p)) => p,
        Ok(None) => return pages::error_page(StatusCode::NOT_FOUND, "Plugin not found", "There is no plugin at this address."),
        Err(e) => return server_error(e),
    };
    if !user.role.can_manage_plugins() {
        return pages::not_allowed_page(&plugin, &user);
    }
    let Some(first) = plugin.redirect_uris.first() else {
        return pages::error_page(StatusCode::CONFLICT, "This plugin cannot be installed yet", "Its developer has not registered a redirect URI.");
    };
    let secret = match crate::server::registry::signing_secret(&state.db, &state.vault, &plugin.slug).await {
        Ok(Some(secret)) => secret,
        Ok(None) => {
            tracing::error!(plugin = %plugin.slug, "no signing secret to sign the Install hand-over with");
            return pages::error_page(StatusCode::CONFLICT, "This plugin cannot be installed right now", "Plugboard cannot sign the hand-over to it. Please try again later.");
        }
        Err(e) => return server_error(e),
    };
    let t = now();
    let claims = HandoverClaims {
        iss: state.settings.public_url.trim_end_matches('/').to_owned(),
        aud: client_id,
        sub: user.id.to_string(),
        tid: user.tenant_id.to_string(),
        install: plugin.slug.clone(),
        iat: t,
        exp: t + HANDOVER_LIFETIME_SECS,
        jti: crate::server::secrets::random_hex(16),
    };
    let Ok(token) = jwt::mint(&secret, &claims) else {
        tracing::error!(plugin = %plugin.slug, "the plugin's signing secret is malformed");
        return pages::error_page(StatusCode::CONFLICT, "This plugin cannot be installed right now", "Plugboard cannot sign the hand-over to it. Please try again later.");
    };
    let target = first.with_params(&[("install_token", &token)]);
    (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response()
}
