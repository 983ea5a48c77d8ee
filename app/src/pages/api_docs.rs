//! "Plugin API": how a plugin developer installs through OAuth and calls `/api/v1`.
//! The OpenAPI document is the reference; this page is the guide around it.

use crate::domain::{EventDoc, Scope};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// The webhook event catalog: each type's sentence, scope, JSON Schema and example, built
/// from the payload types (the OpenAPI document's `webhooks` has the same).
#[server(prefix = "/rpc", endpoint = "event_catalog")]
pub async fn event_catalog() -> Result<Vec<EventDoc>, AppError> {
    Ok(crate::server::webhooks::events::catalog())
}

/// The routes of `/api/v1` and the scope each needs (the OpenAPI document has the detail).
const ROUTES: &[(&str, &str, Option<Scope>, &str)] = &[
    ("GET", "/api/v1/installation", None, "The installation behind the token: tenant, plugin, scopes in force."),
    ("GET", "/api/v1/installation/settings", None, "The installation's settings (secrets included) and the required ones still missing."),
    ("GET", "/api/v1/projects", Some(Scope::ReadProjects), "The tenant's projects, oldest first; ?archived=true|false."),
    ("POST", "/api/v1/projects", Some(Scope::WriteProjects), "Create a project: {\"name\", \"description\"?, \"archived\"?}."),
    ("GET", "/api/v1/projects/{id}", Some(Scope::ReadProjects), "One project."),
    ("PATCH", "/api/v1/projects/{id}", Some(Scope::WriteProjects), "Change the given fields."),
    ("DELETE", "/api/v1/projects/{id}", Some(Scope::WriteProjects), "Delete a project and its tasks."),
    ("GET", "/api/v1/tasks", Some(Scope::ReadTasks), "The tenant's tasks, oldest first; ?status=todo|doing|done&project_id=."),
    ("POST", "/api/v1/tasks", Some(Scope::WriteTasks), "Create a task: {\"project_id\", \"title\", \"status\"?, \"assignee_id\"?, \"due_date\"?}."),
    ("GET", "/api/v1/tasks/{id}", Some(Scope::ReadTasks), "One task."),
    ("PATCH", "/api/v1/tasks/{id}", Some(Scope::WriteTasks), "Change the given fields; null clears assignee_id or due_date."),
    ("DELETE", "/api/v1/tasks/{id}", Some(Scope::WriteTasks), "Delete a task."),
    ("GET", "/api/v1/users", Some(Scope::ReadUsers), "The tenant's people, oldest first: id, name, email, role."),
    ("GET", "/api/v1/users/{id}", Some(Scope::ReadUsers), "One of them."),
    ("POST", "/api/v1/jobs/{id}", None, "Finish a Run you answered with 202: {\"status\": \"done\", \"result\"?: {…}} or {\"status\": \"failed\", \"error\"}."),
];

/// The error codes a plugin can meet, with their status.
const ERRORS: &[(u16, &str, &str)] = &[
    (400, "bad_request", "Unknown field, wrong type, bad JSON or a bad query parameter; field names it."),
    (400, "invalid_request", "A token in the URL, or a malformed Authorization header."),
    (401, "invalid_token", "No token, or one that is unknown, expired, revoked, or of an uninstalled plugin."),
    (403, "insufficient_scope", "The installation did not grant the scope the route needs; the message names it."),
    (404, "not_found", "The path names no object of this tenant (another tenant's objects do not exist for you)."),
    (405, "method_not_allowed", "The route does not take that method."),
    (413, "payload_too_large", "The body is over 64 KiB."),
    (415, "unsupported_media_type", "The body is not sent as application/json."),
    (409, "conflict", "The job is already finished, or its deadline passed."),
    (422, "validation_failed", "A rule was broken, e.g. an empty title or a date that does not exist, or a reference in the body (project_id, assignee_id) to no object of this tenant (another tenant's too); field names it."),
    (429, "rate_limited", "Too many requests for this installation; wait Retry-After seconds."),
];

const INSTALL_EXAMPLE: &str = r#"# 1. The admin clicks Install; Plugboard sends the browser to your first redirect URI with
#    ?install_token={JWT}. Verify it before anything else (see "Checking the hand-over" below):
#    HS256 under your whsec_ secret, iss equal to the Plugboard URL YOU configured (never an
#    address from the link), aud your client id, exp not passed. Then make a PKCE pair and a
#    state, and redirect to YOUR configured Plugboard:
PLUGBOARD=https://plugboard.example.com
VERIFIER=$(openssl rand -base64 48 | tr '+/' '-_' | tr -d '=\n')
CHALLENGE=$(printf %s "$VERIFIER" | openssl dgst -sha256 -binary | openssl base64 | tr '+/' '-_' | tr -d '=\n')
echo "$PLUGBOARD/oauth/authorize?response_type=code&client_id=$CLIENT_ID&redirect_uri=https%3A%2F%2Fyour.app%2Fcallback&scope=read%3Aprojects+write%3Atasks&state=$STATE&code_challenge=$CHALLENGE&code_challenge_method=S256"

# 2. The admin allows; your callback receives ?code=…&state=…&iss=… . Check state, then exchange the code:
curl -s -u "$CLIENT_ID:$CLIENT_SECRET" "$PLUGBOARD/oauth/token" \
  -d grant_type=authorization_code -d code="$CODE" \
  -d redirect_uri=https://your.app/callback -d code_verifier="$VERIFIER"
# {"access_token":"pba_…","token_type":"Bearer","expires_in":3600,"refresh_token":"pbr_…","scope":"read:projects write:tasks"}"#;

/// The first redirect URI's two roles, drawn as the admin's browser meets them.
const HANDOVER_DIAGRAM: &str = r#"Admin's browser               Plugboard                       Your plugin: first redirect URI
      |                           |                                         |
      |-- clicks Install -------->|                                         |
      |<-- 303 to https://your.app/callback?install_token=JWT ---------------|
      |--------------------------------------------------------------------->| ROLE 1: the hand-over
      |                           |        verify the JWT (whsec_, iss, aud, |   (install_token present)
      |                           |        exp); make state + PKCE verifier  |
      |<-- 302 to YOUR configured Plugboard /oauth/authorize?...&state&code_challenge
      |-------------------------->|                                         |
      |   consent screen: Allow   |                                         |
      |<-- 303 to https://your.app/callback?code=...&state=...&iss=... ------|
      |--------------------------------------------------------------------->| ROLE 2: the OAuth callback
      |                           |<-- POST /oauth/token (code, verifier) ---|   (code or error present)
      |                           |--- access + refresh token (one tenant) ->|"#;

const MANIFEST_EXAMPLE: &str = r#"# plugboard.toml: one version of your plugin, kept in your repository.
slug = "task-sync"                  # its address and client identity; never changes
name = "Task Sync"
description = "Keeps your tasks in step with the tracker."   # Markdown
author = "Robot Works"
author_url = "https://robot.works"
category = "automation"             # productivity, communication, developer-tools, analytics,
                                    # automation, security, finance, marketing, support
private = false                     # true: only organisations you invite can install it
scopes = ["read:projects", "write:tasks"]
redirect_uris = ["https://sync.robot.works/oauth/callback"]   # the first one also gets the hand-over
webhook_url = "https://sync.robot.works/hooks"
events = ["task.created", "task.updated"]
server_url = "https://sync.robot.works/plugboard"            # a plugin server (optional)
show_authorization_button = false
monetized = false
processes_content = false
client_bundle = "dist/plugin.js"    # client-side code, relative to this file (optional)
client_origins = ["https://api.robot.works"]
settings_schema = '''
{"type": "object", "properties": {"project": {"type": "integer", "x-source": "projects"}}, "required": ["project"]}
'''

[oauth]                             # Plugboard as the OAuth client of your service (optional);
authorization_url = "https://robot.works/oauth/authorize"   # its client secret is typed once
token_url = "https://robot.works/oauth/token"               # in the console, never in this file
client_id = "plugboard"
scopes = ["tasks"]"#;

const CLI_EXAMPLE: &str = r#"export PLUGBOARD_URL=https://plugboard.example.com
export PLUGBOARD_DEVELOPER_TOKEN=pbd_…      # Developer console → Developer tokens
server plugins validate                     # the console form's checks, by key
server plugins diff                         # what would change, and how it reaches organisations
server plugins deploy                       # register it, or save it as the draft; uploads client_bundle
server plugins deploy --submit "Adds due dates."   # then submit it for review

task-sync: 2 changes against what runs now
  Description: "Keeps tasks in step." → "Keeps your tasks in step with the tracker."
    [needs review] Organisations run version 3 until staff publish the new one.
  Scopes added: + write:tasks
    [needs review, needs re-consent by installers] … Each of its 12 installations keeps what it granted until an owner or admin approves the update."#;

const HANDOVER_EXAMPLE: &str = r#"// Node.js: check Plugboard's Install hand-over (?install_token=…) before starting the install.
import crypto from "node:crypto";
const PLUGBOARD = "https://plugboard.example.com"; // from your configuration, never from the link

function verifyHandover(token, { clientId, webhookSecret }) {
  const [header, payload, signature, extra] = String(token).split(".");
  if (!signature || extra !== undefined) return null;
  try {
    if (JSON.parse(Buffer.from(header, "base64url")).alg !== "HS256") return null;
    const key = Buffer.from(webhookSecret.replace(/^whsec_/, ""), "base64");
    const expected = crypto.createHmac("sha256", key).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
    const claims = JSON.parse(Buffer.from(payload, "base64url"));
    // iss is Plugboard's public URL exactly, without a trailing slash.
    const ok = claims.iss === PLUGBOARD && claims.aud === clientId && claims.exp > Date.now() / 1000;
    return ok ? claims : null; // claims.tid: the tenant, claims.sub: the admin, claims.jti: unique
  } catch {
    return null; // not JSON: not a token of Plugboard's
  }
}"#;

const CALL_EXAMPLE: &str = r#"# 3. Call the API with the access token.
curl -s -H "Authorization: Bearer $ACCESS_TOKEN" "$PLUGBOARD/api/v1/installation"
curl -s -H "Authorization: Bearer $ACCESS_TOKEN" "$PLUGBOARD/api/v1/projects?limit=10"
curl -s -H "Authorization: Bearer $ACCESS_TOKEN" -H "Content-Type: application/json" \
  -d '{"project_id": 42, "title": "Follow up with the customer", "due_date": "2026-12-01"}' \
  "$PLUGBOARD/api/v1/tasks"

# 4. Before the hour is up, refresh. Keep the new refresh token: the old one is now dead,
#    and presenting it again revokes every token of the installation.
curl -s -u "$CLIENT_ID:$CLIENT_SECRET" "$PLUGBOARD/oauth/token" \
  -d grant_type=refresh_token -d refresh_token="$REFRESH_TOKEN""#;

const ERROR_EXAMPLE: &str = r#"HTTP/1.1 422 Unprocessable Entity
{"error": {"code": "validation_failed", "message": "due_date \"2026-02-30\" is not a date of the form YYYY-MM-DD", "field": "due_date"}}

HTTP/1.1 403 Forbidden
WWW-Authenticate: Bearer realm="Plugboard", error="insufficient_scope", scope="write:tasks"
{"error": {"code": "insufficient_scope", "message": "This call needs the write:tasks scope, which the installation did not grant."}}"#;

const PAGINATION_EXAMPLE: &str = r#"GET /api/v1/tasks?project_id=42&limit=50
{"data": [ … 50 tasks … ], "next_cursor": "123"}

GET /api/v1/tasks?project_id=42&limit=50&cursor=123
{"data": [ … the rest … ], "next_cursor": null}"#;

const SETTINGS_SCHEMA_EXAMPLE: &str = r##"{
  "type": "object",
  "properties": {
    "project":  {"type": "integer", "x-source": "projects", "title": "Project to sync"},
    "channel":  {"type": "string", "title": "Channel", "pattern": "^#[a-z0-9-]+$", "maxLength": 80},
    "api_key":  {"type": "string", "title": "API key", "x-secret": true},
    "digest":   {"type": "string", "enum": ["daily", "hourly"], "default": "daily"},
    "max_items":{"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    "notify":   {"type": "boolean", "default": true}
  },
  "required": ["project", "channel", "api_key"],
  "additionalProperties": false
}"##;

const SETTINGS_EXAMPLE: &str = r##"GET /api/v1/installation/settings
{"settings": {"project": 12, "channel": "#releases", "api_key": "sk_live_…", "digest": "daily", "max_items": 20, "notify": true},
 "missing": []}"##;

const WEBHOOK_EXAMPLE: &str = r#"POST {your webhook_url}
webhook-id: msg_…              (the same on every retry: deduplicate on it)
webhook-timestamp: 1795000000
webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=
{"type": "plugin.installed", "timestamp": "2026-11-18T12:00:00Z",
 "data": {"installation_id": 7, "tenant_id": 3, "plugin_id": 12, "scopes": ["read:projects", "write:tasks"]}}

signature = base64(HMAC-SHA256(key = base64-decoded part of whsec_…, message = "{id}.{timestamp}.{body}"))"#;

#[component]
pub fn ApiDocsPage() -> impl IntoView {
    view! {
        <Title text="Plugin API"/>
        <article class="docs">
            <section class="hero">
                <h1>"The plugin API"</h1>
                <p class="muted">
                    "What an installed plugin can do with a tenant's projects and tasks, and how it gets there. "
                    "The reference is the "
                    <a href="/api/v1/openapi.json" rel="external">"OpenAPI 3.1 document"</a>
                    ", generated from the code that serves it."
                </p>
            </section>
            <nav class="docs-toc" aria-label="On this page">
                <a href="#install">"Install"</a>
                <a href="#handover">"Install hand-over"</a>
                <a href="#authentication">"Authentication"</a>
                <a href="#scopes">"Scopes"</a>
                <a href="#routes">"Routes"</a>
                <a href="#errors">"Errors"</a>
                <a href="#pagination">"Pagination"</a>
                <a href="#rate-limits">"Rate limits"</a>
                <a href="#settings">"Settings"</a>
                <a href="#testing">"Testing"</a>
                <a href="#manifest">"plugboard.toml"</a>
                <a href="#webhooks">"Webhooks"</a>
                <a href="#events">"Events"</a>
            </nav>

            <section id="install">
                <h2>"Install, then call: the whole flow"</h2>
                <p>
                    "First register your plugin in the " <a href="/developer">"developer console"</a> ": it gives you a client id, "
                    "a client secret and a webhook signing secret (each secret is shown once). Try the draft in your own "
                    "organisation, then submit it; once Plugboard staff publish it, every organisation can install it."
                </p>
                <p>
                    "Installing is an OAuth 2.0 authorization code grant with PKCE (S256 only). Plugboard is the authorization "
                    "server: the tenant's admin approves your scopes on its consent screen, your redirect URI receives a code, "
                    "and you exchange it with your client secret and PKCE verifier for tokens bound to that one tenant. "
                    "The redirect URI must equal a registered one byte for byte. The server's metadata is at "
                    <a href="/.well-known/oauth-authorization-server" rel="external"><code>"/.well-known/oauth-authorization-server"</code></a>"."
                </p>
                <pre class="code"><code>{INSTALL_EXAMPLE}</code></pre>
                <pre class="code"><code>{CALL_EXAMPLE}</code></pre>
            </section>

            <section id="handover">
                <h2>"The Install hand-over"</h2>
                <p>
                    "Plugboard cannot start the authorization for you: only your plugin may hold the PKCE verifier and the "
                    <code>"state"</code>". So your " <strong>"first"</strong> " registered redirect URI has two roles, told apart by its query:"
                </p>
                <ol>
                    <li><strong>"Hand-over"</strong>" ("<code>"install_token"</code>" present): an admin clicked Install, Reconnect or "
                        "Reactivate. Verify the token, make a "<code>"state"</code>" and a PKCE pair, and send the browser to "
                        <code>"/oauth/authorize"</code>" of the Plugboard you were configured with."</li>
                    <li><strong>"Callback"</strong>" ("<code>"code"</code>" or "<code>"error"</code>", with "<code>"state"</code>" and "
                        <code>"iss"</code>"): the admin answered the consent. Check "<code>"state"</code>" and "<code>"iss"</code>", then exchange the code."</li>
                </ol>
                <pre class="code" role="img" aria-label="Sequence: Install sends the browser to the plugin's first redirect URI with an install_token; the plugin redirects to Plugboard's authorize endpoint; after the consent the browser returns to the same URI with a code, which the plugin exchanges at the token endpoint."><code>{HANDOVER_DIAGRAM}</code></pre>
                <p>
                    "Your other redirect URIs only ever receive callbacks. A draft's hand-over goes only to its developer's own organisation and the ones they invited "
                    "organisation. Reconnect (after a grant was revoked for reuse) and Reactivate (after a suspension) run the "
                    "same hand-over for an installation that exists: the consent shows what it grants, and the new code starts a new grant."
                </p>
                <h3 id="install-handover">"Checking the hand-over"</h3>
                <p>
                    "Anyone can build a link to your redirect URI. The Install hand-over is therefore one token, "
                    <code>"install_token"</code>", a JWT signed (HS256) with your "<code>"whsec_…"</code>" signing secret, carrying "
                    <code>"iss"</code>" (Plugboard's URL), "<code>"aud"</code>" (your client id), "<code>"tid"</code>" (the tenant), "
                    <code>"sub"</code>" (the admin), "<code>"install"</code>" (your slug), a five-minute "<code>"exp"</code>" and a unique "
                    <code>"jti"</code>". Refuse it unless the signature holds and "<code>"iss"</code>" equals the Plugboard URL you were "
                    "configured with; send the admin only to that Plugboard, and your client secret only to its token endpoint."
                </p>
                <pre class="code"><code>{HANDOVER_EXAMPLE}</code></pre>
            </section>

            <section id="authentication">
                <h2>"Authentication"</h2>
                <ul>
                    <li>"Send " <code>"Authorization: Bearer pba_…"</code> " on every call. A token in the query string is refused, even a valid one."</li>
                    <li>"Access tokens live one hour (" <code>"expires_in"</code> "). Refresh tokens rotate on every use; an already-used one revokes the whole grant."</li>
                    <li>"An unknown, expired or revoked token, or one of an uninstalled plugin, answers " <code>"401"</code>
                        " with " <code>"WWW-Authenticate: Bearer realm=\"Plugboard\", error=\"invalid_token\""</code> ". "
                        "A request without a token gets " <code>"401"</code> " with " <code>"WWW-Authenticate: Bearer realm=\"Plugboard\""</code>
                        " and no error code there, as RFC 6750 §3.1 says (the JSON body's code is still " <code>"invalid_token"</code> "). "
                        "Uninstalling revokes every token at once."</li>
                    <li>"Reuse detection: presenting a refresh token that was already used, or a code a second time, revokes the "
                        "grant and every token of it (someone may hold a copy). The token endpoint then answers your client "
                        <code>"400 invalid_grant"</code>" with an "<code>"error_description"</code>" that says the grant was revoked for reuse "
                        "(another client presenting it learns nothing); " <code>"grant.revoked"</code> " reaches your webhook with the "
                        <code>"reason"</code>"; the console's Statistics tab lists it under Token health with the time and installation; "
                        "and the organisation's owners and admins see \"Reconnect needed\" on Installed plugins. Their Reconnect runs the "
                        <a href="#handover">"Install hand-over"</a>" again, and the new code starts a new grant. To avoid it: store each new "
                        "refresh token before using the access token, and refresh from one place at a time."</li>
                    <li><code>"POST /oauth/introspect"</code> " (RFC 7662) tells you what a token of yours is; " <code>"POST /oauth/revoke"</code> " (RFC 7009) ends it."</li>
                </ul>
            </section>

            <section id="scopes">
                <h2>"Scopes"</h2>
                <p>"The admin sees each sentence on the consent screen. " <code>"write:X"</code> " also allows " <code>"read:X"</code>
                   ". A refresh may ask for fewer scopes than the installation grants, never more: the new access token carries only "
                   "those, the grant itself does not change, and a later refresh without " <code>"scope"</code> " gets the whole grant again. "
                   "A call a narrowed token may not make answers " <code>"403 insufficient_scope"</code> " saying the token, not the installation, lacks the scope; "
                   <code>"GET /api/v1/installation"</code> " lists both (" <code>"scopes"</code> ": this token's, " <code>"granted_scopes"</code>
                   ": the installation's). A plugin that needs more publishes a "
                   "version that asks for it: each installation keeps its grant (calls needing the new scope get "
                   <code>"403 insufficient_scope"</code> ") until an owner or admin approves the update; the grant then widens "
                   "in place, " <code>"installation.scopes_updated"</code> " tells you (with " <code>"scopes"</code> " and "
                   <code>"previous_scopes"</code> "), and your next refresh without " <code>"scope"</code> " carries it. "
                   "A version that asks for less applies at once."</p>
                <table class="docs-table">
                    <thead><tr><th>"Scope"</th><th>"What the admin grants"</th></tr></thead>
                    <tbody>
                        {Scope::ALL.iter().map(|s| view! { <tr><td><code>{s.as_str()}</code></td><td>{s.sentence()}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </section>

            <section id="routes">
                <h2>"Routes"</h2>
                <table class="docs-table">
                    <thead><tr><th>"Route"</th><th>"Scope"</th><th>"What it does"</th></tr></thead>
                    <tbody>
                        {ROUTES.iter().map(|(method, path, scope, what)| view! {
                            <tr>
                                <td><code>{format!("{method} {path}")}</code></td>
                                <td>{scope.map(|s| view! { <code>{s.as_str()}</code> }.into_any()).unwrap_or_else(|| "none".into_any())}</td>
                                <td>{*what}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <p>"Bodies are JSON (" <code>"Content-Type: application/json"</code> ", at most 64 KiB); unknown fields are refused. "
                   "Times are Unix seconds; due dates are " <code>"YYYY-MM-DD"</code> ". Objects you create or change are marked with your plugin's name on the tenant's Projects page."</p>
            </section>

            <section id="errors">
                <h2>"Errors"</h2>
                <p>"Every error has the same shape: " <code>"{\"error\": {\"code\", \"message\", \"field\"?}}"</code>
                   ". Branch on " <code>"code"</code> "; " <code>"message"</code> " is for people; " <code>"field"</code> " names the request field at fault."</p>
                <table class="docs-table">
                    <thead><tr><th>"Status"</th><th>"Code"</th><th>"When"</th></tr></thead>
                    <tbody>
                        {ERRORS.iter().map(|(status, code, when)| view! { <tr><td>{*status}</td><td><code>{*code}</code></td><td>{*when}</td></tr> }).collect_view()}
                    </tbody>
                </table>
                <pre class="code"><code>{ERROR_EXAMPLE}</code></pre>
            </section>

            <section id="pagination">
                <h2>"Pagination"</h2>
                <p>"Lists take " <code>"limit"</code> " (1 to 100, default 25) and answer " <code>"next_cursor"</code>
                   "; pass it back as " <code>"cursor"</code> " for the next page. It is " <code>"null"</code>
                   " on the last page. Pass the cursor back as you got it."</p>
                <pre class="code"><code>{PAGINATION_EXAMPLE}</code></pre>
            </section>

            <section id="rate-limits">
                <h2>"Rate limits"</h2>
                <p>"Each installation has its own budget of requests per minute (600 unless the operator sets another), shared by "
                   "every Plugboard server (each adds up its requests every few tens of milliseconds). Every answer carries " <code>"RateLimit-Limit"</code> ", " <code>"RateLimit-Remaining"</code>
                   " and " <code>"RateLimit-Reset"</code> " (seconds until the window ends). Over the budget, the answer is "
                   <code>"429 rate_limited"</code> " with " <code>"Retry-After"</code> ". Introspecting a token spends its installation's budget too. At the token "
                   "endpoint, each grant may refresh 30 times a minute (you need about once an hour), and an address that "
                   "fails client authentication repeatedly is slowed down; your own calls with the right secret never are."</p>
            </section>

            <section id="plugin-server">
                <h2>"Your plugin server"</h2>
                <p>"With a " <code>"server_url"</code> ", Plugboard calls your server with " <code>"Authorization: Bearer <JWT>"</code>
                   ": HS256 keyed with the bytes of your " <code>"whsec_…"</code> " signing secret, " <code>"iss"</code> " plugboard, "
                   <code>"aud"</code> " your client id, " <code>"sub"</code> " the user, " <code>"tid"</code> " the tenant, valid five minutes. "
                   "Verify it on every call. Answer within 5 seconds."</p>
                <ul>
                    <li><code>"GET /plugins/checkAuth/{pluginId}"</code> " → " <code>"{\"successful\": bool}"</code> " and "
                        <code>"GET /plugins/generateAuthUrl/{pluginId}"</code> " → " <code>"{\"authUrl\"}"</code> ": the Connect button; "
                        <code>"POST /plugins/logout/{pluginId}"</code> " with " <code>"{\"jwtToken\"}"</code> ": Log out."</li>
                    <li><code>"GET /plugins/licenseStatus/{pluginId}"</code> " → " <code>"{\"licenseStatus\", \"licenseStatusDescription\", \"errorMessage\"?}"</code> " for paid plugins."</li>
                    <li><code>"POST /plugin/{pluginId}"</code> " with " <code>"{\"jobId\", \"content\": {\"type\": \"task\", \"task\"}, \"user\", \"serviceAccessToken\"?}"</code>
                        ": answer " <code>"200"</code> " with your result (its " <code>"message"</code> " is shown), or " <code>"202"</code>
                        " and later " <code>"POST /api/v1/jobs/{jobId}"</code> " with your access token. A job not finished within 10 minutes times out."</li>
                </ul>
                <p>"Or give Plugboard your service's OAuth settings (" <code>"oauth_config"</code> "): it runs the authorization code flow with PKCE as your client, "
                   "with the redirect URI " <code>"/marketplace/callback/{slug}"</code> ", keeps each person's tokens encrypted, refreshes them before they expire, "
                   "and sends the access token as " <code>"serviceAccessToken"</code> " with content to process."</p>
            </section>

            <section id="client-plugins">
                <h2>"Client-side plugins"</h2>
                <p>"Upload a JavaScript bundle (one file, at most 512 KiB) in the developer console and declare the network origins it may reach. "
                   "It runs on the organisation's Projects page in " <code>"<iframe sandbox=\"allow-scripts\">"</code>
                   ": no cookies, no storage, no forms, no access to the page around it, and a CSP that allows only your bundle, Plugboard's bridge script and your declared origins. "
                   "The bridge, " <code>"/bridge/v1.js"</code> ", is loaded before your bundle and gives you " <code>"window.plugboard"</code> ":"</p>
                <ul>
                    <li><code>"plugboard.projects.list(params)"</code> " (read:projects), " <code>"plugboard.tasks.list(params)"</code> " (read:tasks): the REST API's query parameters and answers."</li>
                    <li><code>"plugboard.tasks.create(fields)"</code> ", " <code>"plugboard.tasks.update(id, fields)"</code> " (write:tasks): the REST API's bodies, checked the same way. "
                        "Your frame acts as the person using it: a write needs their role too, so a viewer's call answers " <code>"forbidden"</code> "."</li>
                    <li><code>"plugboard.context.get()"</code> " → " <code>"{tenant, user: {displayName}, plugin, theme}"</code> "; " <code>"plugboard.ui.notify(message)"</code> " shows a toast under your plugin's name."</li>
                    <li><code>"plugboard.settings.get()"</code> " → " <code>"{settings, missing}"</code> ": the installation's settings, without the secret ones (they never reach a browser)."</li>
                </ul>
                <p>"Each returns a promise; a refused call rejects with " <code>"{code, message, field?}"</code> " (" <code>"insufficient_scope"</code> ", " <code>"unknown_method"</code> ", "
                   <code>"bad_request"</code> ", " <code>"validation_failed"</code> ", " <code>"not_found"</code> ", " <code>"rate_limited"</code> ", " <code>"uninstalled"</code>
                   "). Calls count against the installation's API rate limit. Underneath it is " <code>"postMessage({id, method, params})"</code> " → " <code>"{id, result}"</code> " or " <code>"{id, error}"</code> "."</p>
            </section>

            <section id="settings">
                <h2>"Settings"</h2>
                <p>"A version may declare the settings an organisation gives your plugin (which project to sync, a channel, an API key of your service) "
                   "as a settings schema in the developer console. Owners and admins fill them in on Installed plugins → Settings, "
                   "in a form Plugboard makes from the schema and checks on the server. When a required setting has no value, the admin lands on that form "
                   "right after the consent screen, and your redirect URI gets its code once they save it (or choose “Set up later”): "
                   "your first token usually finds the settings there."</p>
                <p>"The schema is a small subset of JSON Schema. Anything outside it is refused when you save, with a message saying where:"</p>
                <ul>
                    <li>"The top level: " <code>r#""type": "object""#</code> ", " <code>"properties"</code> " (at most 50), " <code>"required"</code>
                        ", " <code>"additionalProperties"</code> " (only " <code>"false"</code> ": unknown settings are always refused), " <code>"title"</code> ", "
                        <code>"description"</code> ", " <code>"$schema"</code> ". Setting names are a letter, then letters, digits or underscores (at most 64)."</li>
                    <li>"Each setting: " <code>"type"</code> " (" <code>"string"</code> ", " <code>"integer"</code> ", " <code>"number"</code> ", "
                        <code>"boolean"</code> "), " <code>"title"</code> ", " <code>"description"</code> ", " <code>"default"</code> " (which must itself fit)."</li>
                    <li><code>"string"</code> ": " <code>"minLength"</code> ", " <code>"maxLength"</code> " (at most 10,000), " <code>"pattern"</code>
                        " (a regular expression, searched anywhere in the value as JSON Schema does: anchor it with " <code>"^…$"</code>
                        "; Rust " <code>"regex"</code> " syntax, so no look-around or back-references), " <code>"format"</code> " (" <code>"uri"</code> " or "
                        <code>"email"</code> "), " <code>"enum"</code> ", and " <code>r#""x-secret": true"#</code> " for a secret (no default, no enum)."</li>
                    <li><code>"integer"</code> ": " <code>"minimum"</code> ", " <code>"maximum"</code> ", " <code>"enum"</code> ", and "
                        <code>r#""x-source": "projects""#</code> " for the id of one of the organisation's projects, chosen from a list. "
                        <code>"number"</code> ": " <code>"minimum"</code> ", " <code>"maximum"</code> ". " <code>"boolean"</code> ": " <code>"default"</code> "."</li>
                </ul>
                <pre class="code"><code>{SETTINGS_SCHEMA_EXAMPLE}</code></pre>
                <p>"Read them with the installation's token (any scope): " <code>"GET /api/v1/installation/settings"</code>
                   " gives every value in force, a setting's " <code>"default"</code> " when nobody set one, secrets in clear (only ever to your token), "
                   "and " <code>"missing"</code> ": the required ones without a value. Secrets are stored encrypted and never shown to anybody again. "
                   "A client-side plugin reads the same without the secrets: " <code>"plugboard.settings.get()"</code> "."</p>
                <pre class="code"><code>{SETTINGS_EXAMPLE}</code></pre>
                <p>"Each change sends " <code>"installation.config_updated"</code> " with " <code>"data.changed"</code>
                   ", the names of the settings that changed (never their values): read them again. "
                   "A new version's schema applies when staff publish it: values that still fit are kept; the others are left out of the answer "
                   "and shown to the admins to set again, and an installation missing a required setting shows “Finish setting up”."</p>
            </section>

            <section id="testing">
                <h2>"Test installs and private plugins"</h2>
                <p>"Until staff publish your plugin, it installs in your own organisation, and in the organisations you invite. "
                   "Under Test installs on the plugin's console page, name the organisation as it is called on Plugboard and send "
                   "the link to one of its owners or admins. Once they accept, their organisation sees the plugin's page and installs "
                   "it through the usual consent screen, marked " <strong>"Test version"</strong> " there and on Installed plugins, and "
                   "it runs each draft you save, as your own organisation does. Withdraw the invite and it is uninstalled there at once."</p>
                <p>"A " <strong>"private"</strong> " plugin (" <code>"private = true"</code> ", or the console's checkbox) is reviewed "
                   "and published like any other, but never listed: only the organisations you invite see and install it, for a "
                   "company's own internal tools. Withdrawing an invite uninstalls it there too."</p>
            </section>

            <section id="manifest">
                <h2>"plugboard.toml and the CLI"</h2>
                <p>"The console's form as a file: keep it in your repository and deploy from CI. The console exports the current "
                   "one (Credentials → Export plugboard.toml). Unknown keys are refused; every key but " <code>"slug"</code> ", "
                   <code>"name"</code> ", " <code>"author"</code> ", " <code>"category"</code> " and " <code>"redirect_uris"</code> " is optional."</p>
                <pre class="code"><code>{MANIFEST_EXAMPLE}</code></pre>
                <p>"The " <code>"server"</code> " binary's developer commands call a running Plugboard with a developer token "
                   "(made on the console's home page; it acts as you on your own plugins only). " <code>"diff"</code>
                   " classifies each change: " <strong>"live now"</strong> " (redirect URIs, which are the plugin's own; anything while "
                   "nothing is published), " <strong>"needs review"</strong> " (every reviewed field of a published plugin), "
                   <strong>"needs re-consent by installers"</strong> " (new scopes: installations keep their grant until approved)."</p>
                <pre class="code"><code>{CLI_EXAMPLE}</code></pre>
                <p>"The commands call " <code>"/api/developer/v1"</code> " (" <code>"validate"</code> ", " <code>"diff"</code> ", "
                   <code>"deploy"</code> ", " <code>"plugins/{slug}/bundle"</code> ", " <code>"plugins/{slug}/submit"</code> ", "
                   <code>"plugins/{slug}/manifest"</code> ") with " <code>"Authorization: Bearer pbd_…"</code> "; a failure is "
                   <code>"{\"error\": {\"code\", \"message\", \"fields\"?}}"</code> "."</p>
            </section>

            <section id="webhooks">
                <h2>"Webhooks"</h2>
                <p>"Plugboard tells your " <code>"webhook_url"</code> " about " <code>"plugin.installed"</code> ", "
                   <code>"plugin.uninstalled"</code> ", " <code>"installation.scopes_updated"</code> " and "
                   <code>"installation.config_updated"</code> ", and about the data events it subscribes to (" <a href="#events">"Events"</a> "), signed the Standard Webhooks way. Answer 2xx within 15 seconds; "
                   "otherwise it retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h. " <code>"410 Gone"</code>
                   " turns your endpoint off, and so do five days of failures. Delivery is at least once."</p>
                <pre class="code"><code>{WEBHOOK_EXAMPLE}</code></pre>
            </section>
            <EventCatalog/>
        </article>
    }
}

/// Every event type, with its schema and an example.
#[component]
fn EventCatalog() -> impl IntoView {
    let catalog = Resource::new(|| (), |_| event_catalog());
    view! {
        <section id="events">
            <h2>"Events"</h2>
            <p>"Every plugin with a webhook URL hears about its own installations. Data events are sent only when the live version "
               "subscribes to them (the console's event list, reviewed like the rest) and the installation's grant lets it read what changed: "
               <code>"read:tasks"</code> " for task events, " <code>"read:projects"</code> " for project events (or the matching "
               <code>"write:"</code> "). A narrower grant stops them. Each data event carries the object as the API returns it (as it was, "
               "for a deletion) and an " <code>"actor"</code> ": " <code>"{\"type\": \"user\", \"id\"}"</code> " or "
               <code>"{\"type\": \"installation\", \"id\", \"plugin\"}"</code> ", so your plugin can ignore its own writes. "
               "One organisation's events reach you in the order they were made; a failed one is retried while later ones go on. "
               "The same schemas are under " <code>"webhooks"</code> " in the " <a href="/api/v1/openapi.json" rel="external">"OpenAPI document"</a> "."</p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match catalog.await {
                        Err(_) => view! { <p class="error">"The event catalog could not be loaded; the OpenAPI document has it."</p> }.into_any(),
                        Ok(events) => events.into_iter().map(|e| view! {
                            <div class="event" id=format!("event-{}", e.name.replace('.', "-"))>
                                <h3><code>{e.name.clone()}</code></h3>
                                <p>{e.sentence.clone()} " " <span class="muted">{match &e.scope {
                                    Some(scope) => format!("Needs {scope} and a subscription."),
                                    None => "Always sent.".to_owned(),
                                }}</span></p>
                                <details>
                                    <summary>"Example"</summary>
                                    <pre class="code" tabindex="0"><code>{e.example.clone()}</code></pre>
                                </details>
                                <details>
                                    <summary>"JSON Schema"</summary>
                                    <pre class="code" tabindex="0"><code>{e.schema.clone()}</code></pre>
                                </details>
                            </div>
                        }).collect_view().into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
