//! The developer console (`/developer`): a developer profile, plugin registration and
//! editing, credentials shown once, submission for review, webhook deliveries with
//! Redeliver, and install statistics drawn as SVG by the app.

use crate::components::charts::{InstallsChart, RatingChart};
use crate::components::format::{format_date, format_time};
use crate::components::layout::load_failure;
use crate::components::plugin_card::{format_count, PluginIcon, Rating};
use crate::domain::{
    Category, ConsolePlugin, Decision, DeliveryLog, DeveloperOverview, DeveloperPlugin, InstallStats, PluginForm,
    ReviewState, Scope, ShownSecrets,
};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Days the statistics page covers.
pub const STATS_DAYS: i64 = 30;

/// Runs `action` on the signed-in developer's plugin `slug`; a failure answers with its
/// HTTP status.
#[cfg(feature = "ssr")]
async fn with_my_plugin<T, Fut>(
    slug: &str,
    action: impl FnOnce(crate::server::AppState, crate::server::scope::Member, crate::domain::PluginSlug) -> Fut,
) -> Result<T, AppError>
where
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    crate::server::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            let slug = crate::server::plugin_address(slug)?;
            action(state, user, slug).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "developer_overview")]
pub async fn load_developer_overview() -> Result<DeveloperOverview, AppError> {
    crate::server::with_status(
        async {
            use crate::server::console;
            let (state, user) = crate::server::session::signed_in().await?;
            let developer_name = console::developer_name(&state.db, &user).await?;
            let plugins = if user.is_developer { console::list_mine(&state.db, &user).await? } else { Vec::new() };
            Ok(DeveloperOverview { is_developer: user.is_developer, developer_name, plugins })
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "become_developer")]
pub async fn become_developer(developer_name: String) -> Result<(), AppError> {
    crate::server::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            Ok(crate::server::console::become_developer(&state.db, &user, &developer_name).await?)
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "create_plugin")]
pub async fn create_plugin(form: PluginForm) -> Result<ShownSecrets, AppError> {
    crate::server::with_status(
        async {
            let (state, user) = crate::server::session::signed_in().await?;
            Ok(crate::server::console::create(&state.db, &state.vault, &user, &form, &state.settings.outbound).await?)
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "developer_plugin")]
pub async fn load_developer_plugin(slug: String) -> Result<ConsolePlugin, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move { Ok(crate::server::console::console_plugin(&state.db, &user, &slug, &state.settings.public_url).await?) }).await
}

#[server(prefix = "/rpc", endpoint = "update_plugin")]
/// Saves the settings; `true` when the change sent a published plugin back to review.
pub async fn update_plugin(slug: String, form: PluginForm) -> Result<bool, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        use crate::server::console;
        Ok(console::update(&state.db, &state.vault, &user, &slug, &form, &state.settings.outbound).await? == console::Saved::BackInReview)
    })
    .await
}

/// Rotates the client secret (`secret=client`) or the webhook signing secret (`secret=webhook`).
#[server(prefix = "/rpc", endpoint = "rotate_secret")]
pub async fn rotate_secret(slug: String, secret: String) -> Result<ShownSecrets, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        use crate::server::console;
        match secret.as_str() {
            "client" => Ok(console::rotate_client_secret(&state.db, &user, &slug).await?),
            "webhook" => Ok(console::rotate_webhook_secret(&state.db, &state.vault, &user, &slug).await?),
            _ => Err(AppError::invalid("secret", "Say which secret to rotate: client or webhook.")),
        }
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "submit_plugin")]
pub async fn submit_plugin(slug: String) -> Result<(), AppError> {
    with_my_plugin(&slug, |state, user, slug| async move { Ok(crate::server::console::submit(&state.db, &user, &slug).await?) }).await
}

#[server(prefix = "/rpc", endpoint = "plugin_deliveries")]
pub async fn plugin_deliveries(slug: String) -> Result<DeliveryLog, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move { Ok(crate::server::console::deliveries(&state.db, &user, &slug).await?) }).await
}

#[server(prefix = "/rpc", endpoint = "redeliver")]
pub async fn redeliver(slug: String, event_id: i64) -> Result<(), AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        crate::server::console::redeliver(&state.db, &user, &slug, event_id).await?;
        state.webhook_wakeup.notify_one();
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "reenable_webhooks")]
pub async fn reenable_webhooks(slug: String) -> Result<(), AppError> {
    with_my_plugin(&slug, |state, user, slug| async move { Ok(crate::server::console::reenable_webhooks(&state.db, &user, &slug).await?) }).await
}

#[server(prefix = "/rpc", endpoint = "plugin_stats")]
pub async fn plugin_stats(slug: String) -> Result<InstallStats, AppError> {
    with_my_plugin(&slug, |state, user, slug| async move {
        Ok(crate::server::console::stats(&state.db, &user, &slug, STATS_DAYS, crate::server::now()).await?)
    })
    .await
}

/// What the console says about a refused icon upload (`?icon_error=`).
fn icon_problem(code: &str) -> &'static str {
    match code {
        "too-large" => "The icon must be at most 256 KiB.",
        "type" => "Upload a PNG, JPEG or WebP image (SVG is not accepted).",
        "missing" => "Choose an image file first.",
        _ => "The upload could not be read. Please try again.",
    }
}

/// What the console says after a bundle upload (`?bundle=` or `?bundle_error=`).
fn bundle_notice(query: &leptos_router::params::ParamsMap) -> Option<(bool, &'static str)> {
    if let Some(code) = query.get("bundle_error") {
        return Some((true, match code.as_str() {
            "too-large" => "The bundle must be at most 512 KiB.",
            "type" => "Upload the plugin's JavaScript: one UTF-8 .js file (not a page).",
            "missing" => "Choose a JavaScript file first.",
            "in-review" => "Staff are reviewing this plugin as submitted: upload new code once they decide.",
            _ => "The upload could not be read. Please try again.",
        }));
    }
    query.get("bundle").map(|done| (false, if done == "in-review" {
        "Uploaded. The published plugin's new code is back in review, out of the marketplace until staff publish it again."
    } else {
        "Uploaded. Organisations that install the plugin see it on their Projects page."
    }))
}

/// An error as the console shows it by a form. Field problems are shown on their fields,
/// so the summary only points at them.
fn error_view(err: &AppError) -> impl IntoView {
    let text = match err {
        AppError::InvalidFields(errors) if errors.len() == 1 => "One field needs attention: see its message above.".to_owned(),
        AppError::InvalidFields(errors) => format!("{} fields need attention: see their messages above.", errors.len()),
        other => other.to_string(),
    };
    view! { <p class="form-error" role="alert">{text}</p> }
}


#[component]
pub fn DeveloperHomePage() -> impl IntoView {
    let become_dev = ServerAction::<BecomeDeveloper>::new();
    let overview = Resource::new(move || become_dev.version().get(), |_| load_developer_overview());
    view! {
        <Title text="Developer console"/>
        <section class="hero">
            <h1>"Developer console"</h1>
            <p class="muted">"Register plugins, keep their credentials, follow their webhooks and installs."</p>
        </section>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(e) => load_failure(e, "Sign in to use the developer console.", "/developer"),
                    Ok(o) if !o.is_developer => view! {
                        <section class="panel" data-testid="become-developer">
                            <h2>"Become a plugin developer"</h2>
                            <p class="muted">"Plugins you publish show this name as their author. You can change it per plugin."</p>
                            <ActionForm action=become_dev attr:class="stacked-form">
                                <label for="developer-name">"Public developer name"</label>
                                <input id="developer-name" type="text" name="developer_name" value=o.developer_name maxlength="80" required/>
                                {move || become_dev.value().get().and_then(Result::err).map(|e| error_view(&e))}
                                <button type="submit" class="button primary">"Create developer profile"</button>
                            </ActionForm>
                        </section>
                    }.into_any(),
                    Ok(o) => view! { <DeveloperPluginList plugins=o.plugins/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DeveloperPluginList(plugins: Vec<DeveloperPlugin>) -> impl IntoView {
    view! {
        <div class="toolbar">
            <h2>"Your plugins"</h2>
            <A href="/developer/new" attr:class="button primary">"Register a plugin"</A>
        </div>
        {plugins.is_empty().then(|| view! {
            <p class="empty-state muted">"No plugins yet. Register one to get its OAuth credentials."</p>
        })}
        <ul class="console-list">
            {plugins.into_iter().map(|p| {
                let href = format!("/developer/plugins/{}", p.slug);
                view! {
                    <li class="console-row" data-dev-plugin=p.slug.clone()>
                        <PluginIcon name=p.name.clone() slug=p.slug.clone() icon_url=p.icon_url.clone()/>
                        <div class="console-main">
                            <h3><A href=href>{p.name.clone()}</A></h3>
                            <p class="muted"><code>{p.slug.clone()}</code>{format!(" · changed {}", format_date(p.updated_at))}</p>
                        </div>
                        <StateBadge state=p.state/>
                        {p.is_verified.then(|| view! { <span class="badge verified">"✓ Verified"</span> })}
                        <span class="muted">{format!("{} active install{}", format_count(p.active_installs), if p.active_installs == 1 { "" } else { "s" })}</span>
                        <Rating rating=p.rating count=p.review_count/>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn StateBadge(state: ReviewState) -> impl IntoView {
    view! { <span class=format!("badge state-{}", state.as_str()) data-state=state.as_str()>{state.label()}</span> }
}

/// The plugin form's fields, for registering and for editing. Inputs are named
/// `form[…]` (the server function's one argument); each shows its own message.
#[component]
fn PluginFormFields(
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
    }
}

/// Secrets as they are shown: this once.
#[component]
fn SecretsPanel(secrets: ShownSecrets) -> impl IntoView {
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

#[component]
pub fn NewPluginPage() -> impl IntoView {
    let create = ServerAction::<CreatePlugin>::new();
    let overview = Resource::new(|| (), |_| load_developer_overview());
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <Title text="Register a plugin"/>
        <p class="breadcrumbs"><A href="/developer">"Developer console"</A> " / New plugin"</p>
        <h1>"Register a plugin"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(e) => load_failure(e, "Sign in to use the developer console.", "/developer/new"),
                    Ok(o) if !o.is_developer => view! {
                        <p class="notice">"Create your developer profile first."</p>
                        <A href="/developer" attr:class="button primary">"Developer console"</A>
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
                                    <A href=href attr:class="button primary">"Open the plugin"</A>
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

fn slug_from_route() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.with(|p| p.get("slug").unwrap_or_default()))
}

/// Links between a plugin's console pages.
#[component]
fn ConsoleTabs(slug: String, current: &'static str) -> impl IntoView {
    let tabs = [("Settings", ""), ("Webhook deliveries", "/deliveries"), ("Statistics", "/stats")];
    view! {
        <nav class="tabs" aria-label="Plugin console">
            {tabs.into_iter().map(|(label, suffix)| {
                let href = format!("/developer/plugins/{slug}{suffix}");
                view! { <A href=href attr:class=if suffix == current { "tab current" } else { "tab" }>{label}</A> }
            }).collect_view()}
            <a class="tab" href=format!("/marketplace/{slug}")>"Public page"</a>
        </nav>
    }
}

#[component]
pub fn DeveloperPluginPage() -> impl IntoView {
    let slug = slug_from_route();
    let update = ServerAction::<UpdatePlugin>::new();
    let submit = ServerAction::<SubmitPlugin>::new();
    let plugin = Resource::new(
        move || (slug.get(), update.version().get(), submit.version().get()),
        |(slug, _, _)| load_developer_plugin(slug),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match plugin.await {
                    Err(e) => load_failure(e, "Sign in to use the developer console.", "/developer"),
                    Ok(p) => view! { <ConsolePluginView plugin=p update submit/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ConsolePluginView(plugin: ConsolePlugin, update: ServerAction<UpdatePlugin>, submit: ServerAction<SubmitPlugin>) -> impl IntoView {
    let slug = plugin.form.slug.clone();
    let slug_submit = slug.clone();
    let rotate = ServerAction::<RotateSecret>::new();
    let update_error = Signal::derive(move || update.value().get().and_then(Result::err));
    let query = use_query_map();
    let icon_error = move || query.with(|q| q.get("icon_error"));
    let state = plugin.state;
    let reason = plugin.review_reason.clone().filter(|_| matches!(state, ReviewState::Rejected | ReviewState::Unpublished));
    view! {
        <Title text=format!("{} · Developer console", plugin.form.name)/>
        <p class="breadcrumbs"><A href="/developer">"Developer console"</A> " / " {plugin.form.name.clone()}</p>
        <header class="console-head">
            <h1>{plugin.form.name.clone()}</h1>
            <StateBadge state/>
            {plugin.is_verified.then(|| view! { <span class="badge verified">"✓ Verified"</span> })}
        </header>
        <ConsoleTabs slug=slug.clone() current=""/>
        <section class="panel review-state" data-testid="review-state">
            {match state {
                ReviewState::Draft => "A draft: only you and staff can see it. Install it in your own organisation to try it.",
                ReviewState::InReview => "Submitted: Plugboard staff will review it and publish it or tell you what to change.",
                ReviewState::Published => "Published: organisations find it in the marketplace.",
                ReviewState::Rejected => "Rejected: change what the reviewer asks, then submit it again.",
                ReviewState::Unpublished => "Unpublished by staff: it is out of the marketplace until it passes review again.",
            }}
            {reason.map(|r| view! { <blockquote class="review-reason" data-testid="review-reason"><strong>"Reviewer: "</strong>{r}</blockquote> })}
            {state.can_submit().then(|| view! {
                <ActionForm action=submit attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug_submit/>
                    <button type="submit" class="button primary">"Submit for review"</button>
                </ActionForm>
            })}
            {move || submit.value().get().and_then(Result::err).map(|e| error_view(&e))}
        </section>

        <section class="panel credentials">
            <h2>"Credentials"</h2>
            <dl>
                <dt>"Client ID"</dt><dd><code data-testid="client-id">{plugin.client_id.clone()}</code></dd>
                <dt>"Client secret"</dt><dd class="muted">"Shown once, when made. Rotating it stops the old one at once."</dd>
            </dl>
            <div class="actions">
                <RotateSecret rotate slug=slug.clone() secret="client" label="Rotate client secret"
                    question="The current client secret stops working at once: plugin servers using it can no longer get tokens. Rotate it?"/>
                <RotateSecret rotate slug=slug.clone() secret="webhook" label="Rotate webhook signing secret"
                    question="Messages are signed with the new secret from the next delivery on: receivers checking the old one reject them. Rotate it?"/>
            </div>
            {move || rotate.value().get().map(|r| match r {
                Ok(secrets) => view! { <SecretsPanel secrets/> }.into_any(),
                Err(e) => error_view(&e).into_any(),
            })}
        </section>

        <section class="panel icon-upload">
            <h2>"Icon"</h2>
            <div class="icon-row">
                <PluginIcon name=plugin.form.name.clone() slug=slug.clone()
                    icon_url=Some(plugin.form.icon_url.clone()).filter(|u| !u.is_empty()) size="large"/>
                // A plain multipart form: the browser sends the file itself, script or not.
                <form method="post" enctype="multipart/form-data" action=format!("/developer/plugins/{slug}/icon") class="stacked-form">
                    <label for="icon-file">"Upload a square PNG, JPEG or WebP (at most 256 KiB), or link one below"</label>
                    <input id="icon-file" type="file" name="icon" accept="image/png,image/jpeg,image/webp" required/>
                    {move || icon_error().map(|code| view! { <p class="form-error" role="alert" data-testid="icon-error">{icon_problem(&code)}</p> })}
                    <button type="submit" class="button">"Upload icon"</button>
                </form>
            </div>
        </section>

        <section class="panel bundle-upload" data-testid="bundle">
            <h2>"Client-side code"</h2>
            <p class="muted">
                "A JavaScript bundle that runs in a sandboxed frame on your users' Projects page and calls Plugboard through "
                <a href="/docs/api#client-plugins" rel="external">"the bridge"</a>
                ", limited to the permissions they grant. It may reach only the network origins you declare below."
            </p>
            {plugin.bundle.clone().map(|(sha256, bytes)| view! {
                <p data-testid="bundle-current">"Current bundle: " <code>{format!("{}…", &sha256[..12.min(sha256.len())])}</code> {format!(" · {} KiB", (bytes + 1023) / 1024)}</p>
            })}
            <form method="post" enctype="multipart/form-data" action=format!("/developer/plugins/{slug}/bundle") class="stacked-form">
                <label for="bundle-file">"Upload the bundle (one .js file, at most 512 KiB)"</label>
                <input id="bundle-file" type="file" name="bundle" accept=".js,text/javascript" required/>
                {move || query.with(bundle_notice).map(|(is_error, text)| if is_error {
                    view! { <p class="form-error" role="alert" data-testid="bundle-notice">{text}</p> }.into_any()
                } else {
                    view! { <p class="notice" role="status" data-testid="bundle-notice">{text}</p> }.into_any()
                })}
                <button type="submit" class="button">"Upload bundle"</button>
            </form>
        </section>

        <section class="panel">
            <h2>"Listing and OAuth settings"</h2>
            <ActionForm action=update attr:class="stacked-form plugin-form">
                <input type="hidden" name="slug" value=slug.clone()/>
                <PluginFormFields initial=plugin.form.clone() error=update_error editing=true
                    oauth_secret_set=plugin.oauth_client_secret_set oauth_callback_url=plugin.oauth_callback_url.clone()/>
                {move || update_error.get().map(|e| error_view(&e))}
                {move || match update.value().get() {
                    Some(Ok(false)) => Some(view! { <p class="notice" role="status">"Saved."</p> }.into_any()),
                    Some(Ok(true)) => Some(view! {
                        <p class="notice" role="status" data-testid="back-in-review">
                            "Saved. Its permissions or redirect URIs changed, so it is back in review and out of the marketplace until staff publish it again."
                        </p>
                    }.into_any()),
                    _ => None,
                }}
                <button type="submit" class="button primary" disabled=move || update.pending().get()>"Save changes"</button>
            </ActionForm>
        </section>

        <DecisionHistory decisions=plugin.decisions.clone()/>
    }
}

/// A rotation button that asks first: the old secret stops at once.
#[component]
fn RotateSecret(rotate: ServerAction<RotateSecret>, slug: String, secret: &'static str, label: &'static str, question: &'static str) -> impl IntoView {
    let confirming = RwSignal::new(false);
    // The question closes once the rotation is done (closing it on the click would
    // remove the form before it is sent).
    Effect::new(move |_| {
        if rotate.version().get() > 0 {
            confirming.set(false);
        }
    });
    let slug = StoredValue::new(slug);
    view! {
        <Show
            when=move || confirming.get()
            fallback=move || view! { <button class="button" on:click=move |_| confirming.set(true)>{label}</button> }
        >
            <div class="confirm" role="alertdialog" aria-label=label>
                <p>{question}</p>
                <ActionForm action=rotate attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug.get_value()/>
                    <input type="hidden" name="secret" value=secret/>
                    <button type="submit" class="button danger">"Yes, rotate"</button>
                </ActionForm>
                <button class="button subtle" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </div>
        </Show>
    }
}

/// Who decided what about a plugin, and when.
#[component]
pub fn DecisionHistory(decisions: Vec<Decision>) -> impl IntoView {
    view! {
        <section class="panel decisions">
            <h2>"Review history"</h2>
            {decisions.is_empty().then(|| view! { <p class="muted">"Nothing yet."</p> })}
            <ol class="decision-list">
                {decisions.into_iter().map(|d| view! {
                    <li data-decision=d.kind.as_str()>
                        <strong>{d.kind.as_str().to_owned()}</strong>
                        {format!(" by {} on {}", d.actor, format_time(d.at))}
                        {d.reason.map(|r| view! { <blockquote>{r}</blockquote> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
pub fn DeliveriesPage() -> impl IntoView {
    let slug = slug_from_route();
    let redeliver = ServerAction::<Redeliver>::new();
    let reenable = ServerAction::<ReenableWebhooks>::new();
    let log = Resource::new(
        move || (slug.get(), redeliver.version().get(), reenable.version().get()),
        |(slug, _, _)| plugin_deliveries(slug),
    );
    view! {
        <Title text="Webhook deliveries"/>
        {move || redeliver.value().get().and_then(Result::err).map(|e| error_view(&e))}
        {move || reenable.value().get().and_then(Result::err).map(|e| error_view(&e))}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Err(e) => load_failure(e, "Sign in to use the developer console.", "/developer"),
                    Ok(log) => view! { <DeliveryLogView log slug=slug.get_untracked() redeliver reenable/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DeliveryLogView(log: DeliveryLog, slug: String, redeliver: ServerAction<Redeliver>, reenable: ServerAction<ReenableWebhooks>) -> impl IntoView {
    let endpoint = log.webhook.clone();
    let slug_reenable = slug.clone();
    view! {
        <p class="breadcrumbs"><A href="/developer">"Developer console"</A> " / " {log.plugin_name.clone()}</p>
        <h1>{format!("{}: webhook deliveries", log.plugin_name)}</h1>
        <ConsoleTabs slug=slug.clone() current="/deliveries"/>
        <section class="panel endpoint" data-testid="endpoint">
            {match (&endpoint.url, endpoint.disabled_at) {
                (None, _) => view! { <p class="muted">"No webhook URL: add one in the plugin's settings to receive lifecycle events."</p> }.into_any(),
                (Some(url), Some(at)) => view! {
                    <p class="form-error" role="alert" data-testid="endpoint-disabled">
                        {format!("Deliveries to {url} are disabled since {}: {}", format_time(at), endpoint.disabled_reason.clone().unwrap_or_default())}
                    </p>
                    <ActionForm action=reenable attr:class="inline-form">
                        <input type="hidden" name="slug" value=slug_reenable.clone()/>
                        <button type="submit" class="button primary">"Re-enable deliveries"</button>
                    </ActionForm>
                }.into_any(),
                (Some(url), None) => view! {
                    <p>"Sending to " <code>{url.clone()}</code></p>
                    {endpoint.failing_since.map(|since| view! {
                        <p class="notice">{format!("Failing since {}. After 5 days of failures the endpoint is disabled.", format_time(since))}</p>
                    })}
                }.into_any(),
            }}
        </section>
        {log.deliveries.is_empty().then(|| view! { <p class="muted">"No webhook messages yet."</p> })}
        <ul class="delivery-list">
            {log.deliveries.into_iter().map(|d| {
                let slug = slug.clone();
                view! {
                    <li class="delivery" data-event-type=d.event_type.clone() data-status=d.status.clone()>
                        <header>
                            <strong>{d.event_type.clone()}</strong>
                            <span class=format!("badge delivery-{}", d.status)>{d.status.clone()}</span>
                            <code class="muted">{d.message_id.clone()}</code>
                            <span class="muted">{format_time(d.created_at)}</span>
                            {d.next_attempt_at.map(|at| view! { <span class="muted" data-testid="next-retry">{format!("next attempt {}", format_time(at))}</span> })}
                            <ActionForm action=redeliver attr:class="inline-form">
                                <input type="hidden" name="slug" value=slug/>
                                <input type="hidden" name="event_id" value=d.event_id/>
                                <button type="submit" class="button subtle">"Redeliver"</button>
                            </ActionForm>
                        </header>
                        <table class="attempts">
                            <thead><tr><th>"#"</th><th>"When"</th><th>"Result"</th><th>"Latency"</th><th>"Response"</th></tr></thead>
                            <tbody>
                                {d.attempts.into_iter().map(|a| view! {
                                    <tr class="attempt">
                                        <td>{a.attempt}</td>
                                        <td>{format_time(a.attempted_at)}</td>
                                        <td>{match (a.status_code, a.error) {
                                            (Some(code), _) => format!("HTTP {code}"),
                                            (None, Some(err)) => err,
                                            (None, None) => "no answer".to_owned(),
                                        }}</td>
                                        <td>{format!("{} ms", a.latency_ms)}</td>
                                        <td><code class="excerpt">{a.response_excerpt.unwrap_or_default()}</code></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn StatsPage() -> impl IntoView {
    let slug = slug_from_route();
    let stats = Resource::new(move || slug.get(), plugin_stats);
    view! {
        <Title text="Install statistics"/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match stats.await {
                    Err(e) => load_failure(e, "Sign in to use the developer console.", "/developer"),
                    Ok(stats) => {
                        let slug = slug.get_untracked();
                        let installs: i64 = stats.days.iter().map(|d| d.installs).sum();
                        let uninstalls: i64 = stats.days.iter().map(|d| d.uninstalls).sum();
                        view! {
                            <p class="breadcrumbs"><A href="/developer">"Developer console"</A> " / " {stats.plugin_name.clone()}</p>
                            <h1>{format!("{}: statistics", stats.plugin_name)}</h1>
                            <ConsoleTabs slug current="/stats"/>
                            <section class="stat-tiles">
                                <div class="tile" data-testid="active-installs"><span class="figure">{format_count(stats.active_installations)}</span>{if stats.active_installations == 1 { " active installation" } else { " active installations" }}</div>
                                <div class="tile" data-testid="period-installs"><span class="figure">{format_count(installs)}</span>{format!(" installs, {} uninstalls in {STATS_DAYS} days", format_count(uninstalls))}</div>
                                <div class="tile"><Rating rating=stats.rating count=stats.review_count/></div>
                            </section>
                            <section class="panel">
                                <h2>"Installs and uninstalls per day"</h2>
                                <InstallsChart days=stats.days.clone()/>
                            </section>
                            <section class="panel">
                                <h2>"Rating over time"</h2>
                                <p class="muted">"The mean at the end of each day of the reviews written by then, as they read now."</p>
                                <RatingChart days=stats.days/>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
