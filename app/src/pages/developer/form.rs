//! The plugin form, and registering a new plugin with it (its secrets shown once).

use crate::components::layout::PageTitle;
use crate::components::layout::load_failure;
use crate::domain::{Category, EventType, PluginForm, Scope, ShownSecrets};
use crate::error::AppError;
use leptos::prelude::*;
use super::error_view;
use super::home::load_developer_overview;

#[server(prefix = "/rpc", endpoint = "create_plugin")]
pub async fn create_plugin(form: PluginForm) -> Result<ShownSecrets, AppError> {
    crate::server_fn::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            Ok(crate::server::publishing::plugins::create(&state.db, &state.vault, &user, &form, &state.settings.outbound).await?)
        }
        .await,
    )
}

/// The plugin form's fields, for registering and for editing. Inputs are named
/// `form[…]` (the server function's one argument); each shows its own message.
#[component]
pub(super) fn PluginFormFields(
    initial: PluginForm,
    #[prop(into)] error: Signal<Option<AppError>>,
    editing: bool,
    /// Editing: whether a service client secret is stored.
    #[prop(optional)]
    oauth_secret_set: bool,
    /// Editing: the callback to register at the plugin's service.
    #[prop(optional)]
    oauth_callback_url: Option<String>,
) -> impl IntoView {
    let message = move |field: &'static str| {
        move || {
            error.get().and_then(|e| e.field_message(field)).map(|m| view! { <p class="field-error" data-field=field>{m}</p> })
        }
    };
    let category = initial.category.clone();
    view! {
        <label for="plugin-name">"Name"</label>
        <input id="plugin-name" type="text" name="form[name]" value=initial.name.clone() maxlength="60" required/>
        {message("name")}
        <label for="plugin-slug">"Address (slug)"</label>
        <input id="plugin-slug" type="text" name="form[slug]" value=initial.slug.clone() readonly=editing
            pattern="[a-z0-9]+(-[a-z0-9]+)*" maxlength="64" required/>
        <p class="hint">{if editing { "The address and client identity never change." } else { "Lowercase letters, digits and dashes: /marketplace/your-slug." }}</p>
        {message("slug")}
        <label for="plugin-description">"Description (Markdown)"</label>
        <textarea id="plugin-description" name="form[description]" rows="6">{initial.description.clone()}</textarea>
        {message("description")}
        <label for="plugin-author">"Author"</label>
        <input id="plugin-author" type="text" name="form[author]" value=initial.author.clone() maxlength="80"/>
        {message("author")}
        <label for="plugin-author-url">"Author website (https)"</label>
        <input id="plugin-author-url" type="url" name="form[author_url]" value=initial.author_url.clone()/>
        {message("author_url")}
        <label for="plugin-icon-url">"Icon URL (https, square image)"</label>
        // Text, not url: an uploaded icon's address is relative, which a url field refuses.
        <input id="plugin-icon-url" type="text" inputmode="url" name="form[icon_url]" value=initial.icon_url.clone()/>
        {message("icon_url")}
        <label for="plugin-category">"Category"</label>
        <select id="plugin-category" name="form[category]">
            <option value="" selected=category.is_empty()>"Choose a category"</option>
            {Category::ALL.into_iter().map(|c| view! {
                <option value=c.as_str() selected=category == c.as_str()>{c.label()}</option>
            }).collect_view()}
        </select>
        {message("category")}
        <fieldset class="scopes">
            <legend>"Permissions the plugin asks for"</legend>
            {Scope::ALL.into_iter().enumerate().map(|(i, s)| {
                let checked = initial.scopes.iter().any(|x| x == s.as_str());
                let id = format!("scope-{}", s.as_str().replace(':', "-"));
                view! {
                    <div class="scope-choice">
                        <input type="checkbox" id=id.clone() name=format!("form[scopes][{i}]") value=s.as_str() checked=checked/>
                        <label for=id><code>{s.as_str()}</code>" " <span class="muted">{s.sentence()}</span></label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
        {message("scopes")}
        <label for="plugin-redirect-uris">"Redirect URIs, one per line"</label>
        <textarea id="plugin-redirect-uris" name="form[redirect_uris]" rows="3">{initial.redirect_uris.clone()}</textarea>
        <p class="hint">"Exact matches. https, or http on 127.0.0.1 and localhost while you develop. The first one also receives the Install hand-over."</p>
        {message("redirect_uris")}
        <label for="plugin-webhook-url">"Webhook URL (optional)"</label>
        <input id="plugin-webhook-url" type="url" name="form[webhook_url]" value=initial.webhook_url.clone()/>
        {message("webhook_url")}
        <fieldset class="plugin-server">
            <legend>"Plugin server (optional)"</legend>
            <label for="plugin-server-url">"Server URL"</label>
            <input id="plugin-server-url" type="url" name="form[server_url]" value=initial.server_url.clone()/>
            <p class="hint">"Plugboard calls it with a short-lived JWT signed with your webhook signing secret."</p>
            {message("server_url")}
            <div class="scope-choice">
                <input type="checkbox" id="plugin-auth-button" name="form[show_authorization_button]" value="true"
                    checked=initial.show_authorization_button/>
                <label for="plugin-auth-button">"Show Connect/Logout for your own service"</label>
            </div>
            <div class="scope-choice">
                <input type="checkbox" id="plugin-monetized" name="form[monetized]" value="true" checked=initial.monetized/>
                <label for="plugin-monetized">"Paid plugin: show its license status"</label>
            </div>
            <div class="scope-choice">
                <input type="checkbox" id="plugin-processes-content" name="form[processes_content]" value="true"
                    checked=initial.processes_content/>
                <label for="plugin-processes-content">"Processes content: offer Run on tasks (POST /plugin/{pluginId})"</label>
            </div>
            <div class="scope-choice">
                <input type="checkbox" id="plugin-private" name="form[private]" value="true" checked=initial.private/>
                <label for="plugin-private">"Private: never listed in the marketplace; only the organisations you invite (Test installs) can install it. Staff still review it."</label>
            </div>
        </fieldset>
        <fieldset class="plugin-oauth">
            <legend>"Your service's OAuth (optional)"</legend>
            <p class="hint">
                "Plugboard can run the OAuth authorization code flow (with PKCE) against your own service, keep each person's tokens encrypted, refresh them, and send the access token with content to process. Register this redirect URI at your service: "
                <code>{oauth_callback_url.unwrap_or_else(|| "/marketplace/callback/{slug} on this Plugboard's address".to_owned())}</code>
            </p>
            <label for="oauth-authorization-url">"Authorization URL"</label>
            <input id="oauth-authorization-url" type="url" name="form[oauth_authorization_url]" value=initial.oauth_authorization_url.clone()/>
            {message("oauth_authorization_url")}
            <label for="oauth-token-url">"Token URL"</label>
            <input id="oauth-token-url" type="url" name="form[oauth_token_url]" value=initial.oauth_token_url.clone()/>
            {message("oauth_token_url")}
            <label for="oauth-client-id">"Client ID (issued by your service to Plugboard)"</label>
            <input id="oauth-client-id" type="text" name="form[oauth_client_id]" value=initial.oauth_client_id.clone() maxlength="200"/>
            {message("oauth_client_id")}
            <label for="oauth-client-secret">"Client secret"</label>
            <input id="oauth-client-secret" type="password" name="form[oauth_client_secret]" value="" autocomplete="off"/>
            <p class="hint">{if oauth_secret_set {
                "A secret is stored, encrypted; it is never shown. Leave this empty to keep it."
            } else {
                "Stored encrypted and never shown. Leave empty for a public client (PKCE only)."
            }}</p>
            <label for="oauth-scopes">"Scopes (separated by spaces)"</label>
            <input id="oauth-scopes" type="text" name="form[oauth_scopes]" value=initial.oauth_scopes.clone()/>
            {message("oauth_scopes")}
        </fieldset>
        <label for="plugin-client-origins">"Network origins your client-side code may reach, one per line (optional)"</label>
        <textarea id="plugin-client-origins" name="form[client_origins]" rows="2" placeholder="https://api.example.com">{initial.client_origins.clone()}</textarea>
        <p class="hint">"Exact origins, https (http only on 127.0.0.1 and localhost). Everything else is blocked in the plugin's frame."</p>
        {message("client_origins")}
        <fieldset class="scopes events">
            <legend>"Events sent to your webhook URL"</legend>
            <p class="hint">"Installs, uninstalls, permission and settings changes always are. Choose the data events too; "
                "an installation receives one only when its grant lets it read what changed. Each event's schema is in the "
                <a href="/docs/api#events" rel="external">"API guide"</a>"."</p>
            {EventType::SUBSCRIBABLE.into_iter().enumerate().map(|(i, e)| {
                let id = format!("event-{}", e.as_str().replace('.', "-"));
                let checked = initial.events.iter().any(|x| x == e.as_str());
                view! {
                    <div class="scope-choice">
                        <input type="checkbox" id=id.clone() name=format!("form[events][{i}]") value=e.as_str() checked=checked/>
                        <label for=id><code>{e.as_str()}</code>" " <span class="muted">{e.sentence()}</span></label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
        {message("events")}
        <label for="plugin-settings-schema">"Settings schema (JSON, optional)"</label>
        <textarea id="plugin-settings-schema" name="form[settings_schema]" rows="8" spellcheck="false" class="code"
            placeholder=r#"{"type": "object", "properties": {"channel": {"type": "string", "title": "Channel"}}, "required": ["channel"]}"#>
            {initial.settings_schema.clone()}
        </textarea>
        <p class="hint">"What an organisation's admins set when they install the plugin: a subset of JSON Schema, described in the "
            <a href="/docs/api#settings" rel="external">"API guide"</a>". Changing it needs review."</p>
        {message("settings_schema")}
    }
}

/// Secrets as they are shown: this once.
#[component]
pub(super) fn SecretsPanel(secrets: ShownSecrets) -> impl IntoView {
    view! {
        <section class="panel secrets" data-testid="secrets" role="status">
            <h2>"Copy these now"</h2>
            <p class="muted">"Plugboard keeps only a hash of the client secret and will not show it again. Rotate it if it is lost."</p>
            <dl>
                <dt>"Client ID"</dt><dd><code data-testid="client-id">{secrets.client_id.clone()}</code></dd>
                {secrets.client_secret.clone().map(|s| view! { <dt>"Client secret"</dt><dd><code data-testid="client-secret">{s}</code></dd> })}
                {secrets.webhook_secret.clone().map(|s| view! { <dt>"Webhook signing secret"</dt><dd><code data-testid="webhook-secret">{s}</code></dd> })}
            </dl>
        </section>
    }
}

/// Registering a plugin: an island (in a WASM chunk of its own), for the credentials shown
/// once.
#[island(lazy)]
pub fn NewPluginPage() -> impl IntoView {
    let create = ServerAction::<CreatePlugin>::new();
    let overview = Resource::new(|| (), |_| load_developer_overview());
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <PageTitle text="Register a plugin"/>
        <p class="breadcrumbs"><a href="/developer">"Developer console"</a> " / New plugin"</p>
        <h1>"Register a plugin"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(e) => load_failure(e, "Sign in to use the developer console.", "/developer/new"),
                    Ok(o) if !o.is_developer => view! {
                        <p class="notice">"Create your developer profile first."</p>
                        <a href="/developer" class="button primary">"Developer console"</a>
                    }.into_any(),
                    Ok(o) => {
                        let initial = StoredValue::new(PluginForm { author: o.developer_name, ..PluginForm::default() });
                        view! {
                        {move || match create.value().get() {
                            Some(Ok(secrets)) => {
                                let href = format!("/developer/plugins/{}", secrets.slug);
                                view! {
                                    <SecretsPanel secrets/>
                                    <p>"Your plugin is a draft. Try it, then submit it for review."</p>
                                    <a href=href class="button primary">"Open the plugin"</a>
                                }.into_any()
                            }
                            _ => ().into_any(),
                        }}
                        <Show when=move || !matches!(create.value().get(), Some(Ok(_)))>
                            <ActionForm action=create attr:class="stacked-form plugin-form">
                                <PluginFormFields initial=initial.get_value() error editing=false/>
                                {move || error.get().map(|e| error_view(&e))}
                                <button type="submit" class="button primary" disabled=move || create.pending().get()>"Register plugin"</button>
                            </ActionForm>
                        </Show>
                    }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
