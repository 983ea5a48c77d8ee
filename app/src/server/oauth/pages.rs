//! The authorization server's own pages: the consent screen and its error pages.
//! Plain server-rendered HTML with no script: nothing on them needs JavaScript, and a
//! page that grants access to a tenant's data is better without any.

use crate::server::store::plugins::PluginClient;
use super::redirect_uri::RedirectUri;
use crate::components::layout::Brand;
use crate::components::plugin_card::PluginIcon;
use crate::components::versions::ScopeItems;
use crate::domain::{ScopeSet, SessionUser};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use leptos::prelude::*;
use leptos::tachys::view::RenderHtml;

fn document(status: StatusCode, title: &str, body: impl IntoView + 'static) -> Response {
    let title = title.to_owned();
    let html = Owner::new().with(move || {
        view! {
            <html lang="en">
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <title>{format!("{title} · Plugboard")}</title>
                    <link rel="stylesheet" href="/pkg/plugboard.css"/>
                    <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                </head>
                <body>
                    <header class="site-header">
                        <div class="site-header-inner">
                            <Brand/>
                        </div>
                    </header>
                    <main class="page">{body}</main>
                </body>
            </html>
        }
        .to_html()
    });
    let mut response = (status, Html(format!("<!DOCTYPE html>{html}"))).into_response();
    let headers = response.headers_mut();
    // The consent screen must never be framed (clickjacking) nor cached.
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'; form-action 'self' https: http:; base-uri 'none'"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A dead end with an explanation, and never a redirect.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let (heading, message) = (title.to_owned(), message.to_owned());
    document(
        status,
        title,
        view! {
            <section class="auth-card consent" data-testid="oauth-error">
                <h1>{heading}</h1>
                <p>{message}</p>
                <p><a class="button" href="/marketplace">"Back to the marketplace"</a></p>
            </section>
        },
    )
}

/// A member or viewer reached an install: say why not, and who can.
pub fn not_allowed_page(plugin: &PluginClient, user: &SessionUser) -> Response {
    let message = format!(
        "Only owners and admins of {} can install plugins. You are signed in as {} ({}). Ask an owner or admin to install {}.",
        user.tenant_name,
        user.email,
        user.role.label().to_lowercase(),
        plugin.name
    );
    let back = format!("/marketplace/{}", plugin.slug);
    document(
        StatusCode::FORBIDDEN,
        "Not allowed",
        view! {
            <section class="auth-card consent" data-testid="oauth-not-allowed">
                <h1>"You can't install plugins"</h1>
                <p>{message}</p>
                <p><a class="button" href=back>"Back to the plugin"</a></p>
            </section>
        },
    )
}

/// What the tenant has granted the plugin already, for a consent on an installation it
/// has: the screen then shows only the difference.
pub struct Granted<'a> {
    pub scopes: &'a ScopeSet,
    /// The installation was stopped by the plugin's suspension: this consent restarts it.
    pub reactivating: bool,
}

/// The consent screen. For a tenant that has the plugin installed already (`granted`),
/// it shows only the difference: what the plugin would gain, and what it would lose.
pub fn consent_page(plugin: &PluginClient, user: &SessionUser, scopes: &ScopeSet, granted: Option<Granted<'_>>, uri: &RedirectUri, consent: &str) -> Response {
    let icon = view! { <PluginIcon name=plugin.name.clone() slug=plugin.slug.clone() icon_url=plugin.icon_url.clone() size="large"/> };
    let author = plugin.author.clone();
    let verified = plugin.is_verified;
    let test_version = plugin.never_published;
    let who = format!("Signed in as {} · {}", user.email, user.role.label());
    let host = url::Url::parse(uri.as_str()).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
    let (name, tenant) = (&plugin.name, &user.tenant_name);
    let added: Vec<_> = granted.as_ref().map_or_else(|| scopes.clone(), |g| scopes.without(g.scopes)).iter().collect();
    let removed: Vec<_> = granted.as_ref().map(|g| g.scopes.without(scopes)).unwrap_or_default().iter().collect();
    let nothing = added.is_empty();
    let installed = granted.is_some();
    let kept = granted.as_ref().map_or(0, |g| g.scopes.intersect(scopes).iter().count());
    let title = match &granted {
        Some(g) if g.reactivating => format!("Reactivate {name} for {tenant}?"),
        Some(_) => format!("Update {name}'s access for {tenant}?"),
        None => format!("Install {name} for {tenant}?"),
    };
    let lead = match (installed, nothing) {
        (true, false) => format!("{name} keeps what you granted, and asks to also be able to:"),
        (true, true) => format!("{name} asks for nothing more than you granted."),
        (false, false) => format!("{name} will be able to:"),
        (false, true) => format!("{name} asks for no access to your data."),
    };
    let consent = consent.to_owned();
    document(
        StatusCode::OK,
        &format!("Install {}", plugin.name),
        view! {
            <section class="auth-card consent" data-testid="consent">
                <p class="muted">{who}</p>
                <div class="consent-plugin">{icon}</div>
                <h1>{title}</h1>
                <p class="badges">
                    {verified.then(|| view! { <span class="badge verified" title="Reviewed by Plugboard">"✓ Verified"</span> })}
                    <span class="badge">{format!("by {author}")}</span>
                    {test_version.then(|| view! { <span class="badge test-version" data-testid="consent-test-version">"Test version"</span> })}
                </p>
                {test_version.then(|| view! {
                    <p class="notice">"Plugboard staff have not reviewed this version yet: only its developer and the organisations they invited can install it."</p>
                })}
                <h2>{lead}</h2>
                {(!nothing).then(|| view! { <ul class="scope-list" data-testid="consent-added"><ScopeItems scopes=added mark="added"/></ul> })}
                {(!removed.is_empty()).then(|| view! {
                    <h2>"It will no longer be able to:"</h2>
                    <ul class="scope-list" data-testid="consent-removed"><ScopeItems scopes=removed mark="removed"/></ul>
                })}
                {installed.then(|| view! { <p class="muted" data-testid="consent-kept">{format!("It keeps {kept} permission(s) you granted before.")}</p> })}
                <p class="hint">{format!("You will then be sent to {host}. An admin can uninstall it at any time from Installed plugins.")}</p>
                <form method="post" action="/oauth/authorize" class="consent-actions">
                    <input type="hidden" name="consent" value=consent/>
                    <button type="submit" name="decision" value="deny" class="button">"Deny"</button>
                    <button type="submit" name="decision" value="allow" class="button primary">"Allow"</button>
                </form>
            </section>
        },
    )
}
