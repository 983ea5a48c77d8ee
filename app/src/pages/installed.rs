//! "Installed plugins": what the tenant has installed, with what access, since when and
//! by whom, and Uninstall (which revokes every token of the installation at once).

use crate::components::format::format_date;
use crate::components::layout::SignInPrompt;
use crate::components::plugin_card::PluginIcon;
use crate::components::versions::ScopeItems;
use crate::domain::{connect_problem, ConnectionView, InstallationId, InstalledOverview, InstalledPlugin, LicenseView, ScopeUpdate};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[server(prefix = "/rpc", endpoint = "installed_plugins")]
pub async fn installed_plugins() -> Result<InstalledOverview, AppError> {
    crate::server_fn::with_status(installed_plugins_inner().await)
}

#[cfg(feature = "ssr")]
async fn installed_plugins_inner() -> Result<InstalledOverview, AppError> {
    use crate::server::plugin_servers::{connections, license, PluginInstall, Which};
    use crate::server::{installations, internal, now, session};
    let (state, user) = session::signed_in().await?;
    let t = now();
    let mut plugins = installations::list_for_tenant(&state.db, &user)
        .await
        .map_err(internal("listing installations failed"))?;
    let servers = PluginInstall::load(&state.db, &user.scope(), Which::All).await.map_err(internal("loading plugin servers failed"))?;
    // Every plugin server is asked at once; each call has its timeout.
    let (mut licenses, connections) = futures::join!(
        license::for_tenant(&state.plugin_servers, &state.vault, &state.licenses, &user, &servers, t),
        connections::status_for(&state, &user, &servers, t),
    );
    let mut connections = connections.map_err(internal("reading connections failed"))?;
    for plugin in &mut plugins {
        plugin.license = licenses.remove(plugin.slug.as_str());
        plugin.connection = connections.remove(plugin.slug.as_str());
    }
    Ok(InstalledOverview { plugins, can_manage: user.role.can_manage_plugins() })
}

/// Logout from a plugin's service: Plugboard forgets the tokens it held for the user, or
/// tells the plugin server.
#[server(prefix = "/rpc", endpoint = "disconnect_plugin")]
pub async fn disconnect_plugin(installation_id: InstallationId) -> Result<(), AppError> {
    crate::server_fn::with_status(disconnect_plugin_inner(installation_id).await)
}

#[cfg(feature = "ssr")]
async fn disconnect_plugin_inner(installation: InstallationId) -> Result<(), AppError> {
    use crate::server::plugin_servers::connections;
    use crate::server::{now, session};
    let (state, user) = session::signed_in().await?;
    Ok(connections::logout(&state, &user, installation, now()).await?)
}

#[server(prefix = "/rpc", endpoint = "uninstall_plugin")]
pub async fn uninstall_plugin(installation_id: InstallationId) -> Result<(), AppError> {
    crate::server_fn::with_status(uninstall_plugin_inner(installation_id).await)
}

#[cfg(feature = "ssr")]
async fn uninstall_plugin_inner(installation: InstallationId) -> Result<(), AppError> {
    use crate::server::{installations, session};
    let (state, user) = session::signed_in().await?;
    installations::uninstall(&state.db, &user, installation).await?;
    state.webhook_wakeup.notify_one();
    Ok(())
}

/// An owner or admin answers a plugin's update request (`decision` is `approve` or
/// `decline`): approving grants what its live version asks for, in place.
#[server(prefix = "/rpc", endpoint = "answer_update")]
pub async fn answer_update(installation_id: InstallationId, decision: String) -> Result<(), AppError> {
    crate::server_fn::with_status(answer_update_inner(installation_id, decision).await)
}

#[cfg(feature = "ssr")]
async fn answer_update_inner(installation: InstallationId, decision: String) -> Result<(), AppError> {
    use crate::server::{session, upgrades};
    let (state, user) = session::signed_in().await?;
    match decision.as_str() {
        "approve" => {
            upgrades::approve(&state.db, &user, installation).await?;
            state.webhook_wakeup.notify_one();
        }
        "decline" => upgrades::decline(&state.db, &user, installation).await?,
        _ => return Err(AppError::invalid("decision", "Approve or decline the update.")),
    }
    Ok(())
}

/// A plugin's live version asks for other scopes than the organisation granted: only the
/// difference, each scope with its sentence, the release notes, and (for owners and
/// admins) Approve and Decline.
#[component]
pub fn UpdateRequest(update: ScopeUpdate, installation_id: InstallationId, can_manage: bool, answer: ServerAction<AnswerUpdate>) -> impl IntoView {
    let heading = if update.declined { "Update declined: it keeps the access you granted" } else { "Update requested" };
    view! {
        <section class="update-request" data-testid="update-request" data-version=update.version>
            <h3>{heading}</h3>
            <p>{format!("Version {} asks to also be able to:", update.version)}</p>
            <ul class="scope-list" data-testid="update-added">
                <ScopeItems scopes=update.added.clone() mark="added"/>
            </ul>
            {(!update.removed.is_empty()).then(|| view! {
                <p>"It no longer asks to:"</p>
                <ul class="scope-list" data-testid="update-removed"><ScopeItems scopes=update.removed.clone() mark="removed"/></ul>
            })}
            <div class="release-notes"><h4>"What's new"</h4><div inner_html=update.notes_html.clone()></div></div>
            {can_manage.then(|| view! {
                <div class="actions">
                    <ActionForm action=answer attr:class="inline-form">
                        <input type="hidden" name="installation_id" value=installation_id.get()/>
                        <input type="hidden" name="decision" value="approve"/>
                        <button type="submit" class="button primary" data-testid="approve-update" disabled=move || answer.pending().get()>"Approve"</button>
                    </ActionForm>
                    {(!update.declined).then(|| view! {
                        <ActionForm action=answer attr:class="inline-form">
                            <input type="hidden" name="installation_id" value=installation_id.get()/>
                            <input type="hidden" name="decision" value="decline"/>
                            <button type="submit" class="button" data-testid="decline-update" disabled=move || answer.pending().get()>"Decline"</button>
                        </ActionForm>
                    })}
                </div>
            })}
            {move || answer.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
        </section>
    }
    .into_any()
}

#[component]
pub fn InstalledPage() -> impl IntoView {
    let uninstall = ServerAction::<UninstallPlugin>::new();
    let disconnect = ServerAction::<DisconnectPlugin>::new();
    let answer = ServerAction::<AnswerUpdate>::new();
    let installed = Resource::new(
        move || (uninstall.version().get(), disconnect.version().get(), answer.version().get()),
        |_| installed_plugins(),
    );
    // Where Connect came back from: a code, shown as its fixed message.
    let query = use_query_map();
    let connect_notice = move || {
        let query = query.read();
        if let Some(code) = query.get("connect_error") {
            Some(view! { <p class="form-error" role="alert" data-testid="connect-notice">{connect_problem(&code)}</p> }.into_any())
        } else {
            query.get("connected").map(|_| view! { <p class="notice" role="status" data-testid="connect-notice">"Connected."</p> }.into_any())
        }
    };

    view! {
        <Title text="Installed plugins"/>
        <section class="hero">
            <h1>"Installed plugins"</h1>
            <p class="muted">"Plugins your organisation has installed, and what each may do with your data."</p>
        </section>
        {connect_notice}
        {move || uninstall.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
        {move || disconnect.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match installed.await {
                    Err(AppError::NotSignedIn) => view! {
                        <SignInPrompt message="Sign in to see your organisation's plugins." next="/installed"/>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(o) if o.plugins.is_empty() => view! {
                        <div class="empty-state">
                            <h2>"Nothing installed yet"</h2>
                            <p class="muted">"Find plugins for your projects and tasks in the marketplace."</p>
                            <A href="/marketplace" attr:class="button primary">"Browse the marketplace"</A>
                        </div>
                    }.into_any(),
                    Ok(o) => view! {
                        <ul class="installed-list">
                            {o.plugins.into_iter().map(|p| view! { <InstalledRow plugin=p can_manage=o.can_manage disconnect answer/> }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A paid plugin's license, as its server reports it.
#[component]
fn License(license: LicenseView) -> impl IntoView {
    let (class, label) = match license.active {
        Some(true) => ("license active", "License active"),
        Some(false) => ("license inactive", "License not active"),
        None => ("license unknown", "License status unavailable"),
    };
    view! {
        <section class=class data-testid="license">
            <strong>{label}</strong>
            // Sanitised on the server: links stay, script does not.
            <div class="license-description" inner_html=license.description_html></div>
            {license.error_message.map(|m| view! { <p class="form-error" data-testid="license-error">{m}</p> })}
            {license.problem.map(|p| view! { <p class="muted" data-testid="license-problem">{p}</p> })}
        </section>
    }
}

/// Connect or Log out of the plugin's own service.
#[component]
fn Connection(slug: String, installation_id: InstallationId, connection: ConnectionView, disconnect: ServerAction<DisconnectPlugin>) -> impl IntoView {
    // A plain form: Connect leaves Plugboard for the plugin's authorization page.
    let connect = move |label: &'static str| {
        view! {
            <form method="post" action=format!("/marketplace/{slug}/connect") class="inline-form">
                <button type="submit" class="button primary">{label}</button>
            </form>
        }
    };
    let body = match connection.connected {
        Some(true) => view! {
            <span class="badge connected">"Connected"</span>
            <ActionForm action=disconnect attr:class="inline-form">
                <input type="hidden" name="installation_id" value=installation_id.get()/>
                <button type="submit" class="button" disabled=move || disconnect.pending().get()>"Log out"</button>
            </ActionForm>
        }
        .into_any(),
        Some(false) => view! { <span class="muted">"Not connected"</span> {connect("Connect")} }.into_any(),
        None => view! {
            <span class="muted">"Connection status unavailable"</span>
            {connection.problem.map(|p| view! { <p class="muted" data-testid="connection-problem">{p}</p> })}
            {connect("Try to connect")}
        }
        .into_any(),
    };
    view! { <section class="connection" data-testid="connection">{body}</section> }
}

#[component]
fn InstalledRow(
    plugin: InstalledPlugin,
    can_manage: bool,
    disconnect: ServerAction<DisconnectPlugin>,
    answer: ServerAction<AnswerUpdate>,
) -> AnyView {
    let id = plugin.installation_id;
    let name = plugin.name.clone();
    let href = format!("/marketplace/{}", plugin.slug.as_str());
    let when = format!(
        "Installed {}{}",
        format_date(plugin.installed_at),
        plugin.installed_by.as_ref().map(|by| format!(" by {by}")).unwrap_or_default()
    );
    let scopes = plugin.scopes.clone();
    view! {
        <li class="installed-row" data-installed=plugin.slug.as_str().to_owned()>
            <PluginIcon name=plugin.name.clone() slug=plugin.slug.as_str().to_owned() icon_url=plugin.icon_url.clone()/>
            <div class="installed-main">
                <h2><A href=href>{plugin.name.clone()}</A></h2>
                <p class="author">{format!("by {}", plugin.author)}{plugin.is_verified.then_some(" · ✓ Verified")}</p>
                {plugin.test_version.then(|| view! {
                    <p class="notice" data-testid="test-version">
                        <strong>"Test version. "</strong>
                        "Plugboard staff have not reviewed this plugin yet: your organisation runs it as its developer's test."
                    </p>
                })}
                <p class="muted">{when}</p>
                <ul class="granted-scopes" aria-label="Granted permissions">
                    {scopes.iter().map(|s| view! { <li title=s.sentence()><code>{s.as_str()}</code></li> }).collect_view()}
                    {scopes.is_empty().then(|| view! { <li class="muted">"No access to your data"</li> })}
                </ul>
                {plugin.suspended.clone().map(|reason| view! {
                    <p class="form-error" role="alert" data-testid="suspended">{format!("Suspended by Plugboard: {reason}")}</p>
                })}
                {(plugin.needs_reactivation).then(|| view! {
                    <p class="notice" data-testid="needs-reactivation">
                        "Plugboard lifted this plugin's suspension. It runs again once an owner or admin reactivates it. "
                        {can_manage.then(|| view! { <a class="button primary" href=format!("/marketplace/{}/install", plugin.slug.as_str())>"Reactivate"</a> })}
                    </p>
                })}
                {plugin.reconnect_needed.map(|at| view! {
                    <p class="form-error" role="alert" data-testid="reconnect-needed">
                        <strong>"Reconnect needed. "</strong>
                        {format!(
                            "On {} Plugboard stopped this plugin's access: one of its tokens was used twice, so someone may hold a copy. It does nothing with your data until {}.",
                            format_date(at),
                            if can_manage { "you reconnect it (you are asked to allow it again)" } else { "an owner or admin reconnects it" },
                        )}
                        " "
                        {can_manage.then(|| view! { <a class="button primary" href=format!("/marketplace/{}/install", plugin.slug.as_str())>"Reconnect"</a> })}
                    </p>
                })}
                {plugin.setup_needed.then(|| view! {
                    <p class="notice" data-testid="finish-setup">
                        {if can_manage { "Finish setting up: a required setting has no value. " } else { "Not set up yet: an owner or admin has to finish its settings. " }}
                        {can_manage.then(|| view! { <A href=format!("/installed/{}/settings", plugin.slug.as_str()) attr:class="button primary">"Finish setting up"</A> })}
                    </p>
                })}
                {(plugin.settings_flagged && !plugin.setup_needed).then(|| view! {
                    <p class="notice" data-testid="settings-flagged">
                        "A setting saved before no longer fits the plugin's current version. "
                        <A href=format!("/installed/{}/settings", plugin.slug.as_str())>"Review the settings"</A>
                    </p>
                })}
                {(plugin.has_settings && !(plugin.setup_needed && can_manage)).then(|| view! {
                    <p><A href=format!("/installed/{}/settings", plugin.slug.as_str()) attr:data-testid="settings-link">"Settings"</A></p>
                })}
                {plugin.update.clone().map(|update| view! { <UpdateRequest update installation_id=id can_manage answer/> })}
                {plugin.license.clone().map(|license| view! { <License license/> })}
                {plugin.connection.clone().map(|connection| view! {
                    <Connection slug=plugin.slug.as_str().to_owned() installation_id=id connection disconnect/>
                })}
            </div>
            <div class="installed-actions">
                {can_manage.then(|| view! { <UninstallControl installation_id=id name/> }.into_any())}
            </div>
        </li>
    }
    .into_any()
}

/// Uninstall, asked first: the plugin loses access at once. An island for the question
/// only; the answer is a plain form post, whose redirect brings back the fresh list.
#[island]
fn UninstallControl(installation_id: InstallationId, name: String) -> impl IntoView {
    use server_fn::ServerFn;
    let confirming = RwSignal::new(false);
    let uninstall_url = UninstallPlugin::url();
    view! {
        <Show
            when=move || confirming.get()
            fallback=move || view! { <button class="button" on:click=move |_| confirming.set(true)>"Uninstall"</button> }
        >
            <div class="confirm" role="alertdialog" aria-label="Confirm uninstall">
                <p>{format!("Uninstall {name}? It loses access to your data at once.")}</p>
                <form method="post" action=uninstall_url class="inline-form">
                    <input type="hidden" name="installation_id" value=installation_id.get()/>
                    <button type="submit" class="button danger">"Yes, uninstall"</button>
                </form>
                <button class="button subtle" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </div>
        </Show>
    }
    .into_any()
}
